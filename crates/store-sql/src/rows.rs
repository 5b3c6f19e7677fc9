//! How domain values are laid into columns: each table's column list and the values of a row,
//! in a type either backend binds ([`Val`]).

use lobbyscope_domain::{
    Costs, Facets, Feedback, Initiative, Locator, Meeting, MeetingId, PersonKey, Provenance, RegisterEntry,
};
use lobbyscope_store::{ImportFile, MentionLink, Organisation};

pub fn locator_json(l: &Locator) -> String {
    json(l)
}

#[allow(clippy::expect_used, reason = "serde_json fails only on maps with non-string keys, which no domain value has")]
pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("domain values serialise")
}

pub fn date<T: ToString>(d: &Option<T>) -> Option<String> {
    d.as_ref().map(ToString::to_string)
}

/// A moment as RFC 3339 text in UTC, to the nanosecond it holds (`2026-12-07T11:44:35Z`,
/// `2026-12-07T11:44:35.250Z`): read back by `Cols::rfc3339_opt` as it was.
pub fn rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

pub fn int(n: Option<u64>) -> Option<i64> {
    n.and_then(|n| i64::try_from(n).ok())
}

/// One value of a row to insert, in a type both backends bind: the store's own, which a copy
/// between stores carries too.
pub use lobbyscope_store::CopyValue as Val;

/// A row to insert: its values in the order of its table's column list.
pub type RowVals = lobbyscope_store::CopyRow;

/// The provenance columns every record table ends with, and their values.
pub const PROVENANCE_COLUMNS: &str = "source, file, locator, imported_at, content_hash";

fn provenance(row: &mut RowVals, p: &Provenance) {
    row.extend([
        Val::from(p.source.as_str()),
        Val::from(p.file.clone()),
        Val::from(locator_json(&p.locator)),
        Val::from(p.imported_at.clone()),
        Val::from(p.content_hash.clone()),
    ]);
}

pub const REGISTER_COLUMNS: &str = "register_id, snapshot_date, name, acronym, entity_form, category, \
    head_office_country, head_office_city, website, goals, levels_of_interest, fields_of_interest, \
    eu_legislative_proposals, members, fte, ep_accredited, costs_min, costs_max, costs_amount, \
    financial_year_start, financial_year_end, registration_date, last_update_date, \
    source, file, locator, imported_at, content_hash";

pub fn register_row(p: &Provenance, r: &RegisterEntry) -> RowVals {
    let (min, max, amount) = match r.costs {
        Some(Costs::Range { min, max }) => (Some(min), Some(max), None),
        Some(Costs::Amount { amount }) => (None, None, Some(amount)),
        None => (None, None, None),
    };
    let mut row = vec![
        Val::from(r.register_id.as_str()),
        Val::from(r.snapshot_date.to_string()),
        Val::from(r.name.clone()),
        Val::from(r.acronym.clone()),
        Val::from(r.entity_form.clone()),
        Val::from(r.category.clone()),
        Val::from(r.head_office_country.clone()),
        Val::from(r.head_office_city.clone()),
        Val::from(r.website.clone()),
        Val::from(r.goals.clone()),
        Val::from(json(&r.levels_of_interest)),
        Val::from(json(&r.fields_of_interest)),
        Val::from(r.eu_legislative_proposals.clone()),
        Val::from(r.members.map(i64::from)),
        Val::from(r.fte),
        Val::from(r.ep_accredited.map(i64::from)),
        Val::from(int(min)),
        Val::from(int(max)),
        Val::from(int(amount)),
        Val::from(date(&r.financial_year_start)),
        Val::from(date(&r.financial_year_end)),
        Val::from(date(&r.registration_date)),
        Val::from(date(&r.last_update_date)),
    ];
    provenance(&mut row, p);
    row
}

pub const MEETING_COLUMNS: &str = "id, natural_key, ordinal, facets, institution, date, cabinet, dg, dg_acronym, \
    portfolio, location, subject, attendees_raw, source, file, locator, imported_at, content_hash";

pub fn meeting_row(id: &MeetingId, facets: &Facets, p: &Provenance, m: &Meeting) -> RowVals {
    let mut row = vec![
        Val::from(id.to_string()),
        Val::from(id.key().as_str()),
        Val::from(i64::from(id.ordinal())),
        Val::from(facets.to_string()),
        Val::from(m.institution.as_str()),
        Val::from(m.date.to_string()),
        Val::from(m.cabinet.clone()),
        Val::from(m.dg.clone()),
        Val::from(m.dg_acronym.clone()),
        Val::from(m.portfolio.clone()),
        Val::from(m.location.clone()),
        Val::from(m.subject.clone()),
        Val::from(m.attendees_raw.clone()),
    ];
    provenance(&mut row, p);
    row
}

pub const PEOPLE_COLUMNS: &str = "key, kind, name, ep_id";
pub const HOST_COLUMNS: &str = "meeting_id, position, person_key, name, role";
pub const PROCEDURE_COLUMNS: &str = "meeting_id, reference";
pub const ATTENDEE_COLUMNS: &str = "meeting_id, position, name, register_id, org_key, link_method";

/// The rows a meeting's hosts, procedures and attendees add (people once each, by key).
#[derive(Default)]
pub struct MeetingParts {
    pub people: Vec<RowVals>,
    pub hosts: Vec<RowVals>,
    pub procedures: Vec<RowVals>,
    pub attendees: Vec<RowVals>,
}

impl MeetingParts {
    /// The parts of meetings stored under `id`, with the links of their attendees in order.
    pub fn of<'a>(meetings: impl IntoIterator<Item = (&'a MeetingId, &'a Meeting, &'a [Option<MentionLink>])>) -> Self {
        let mut parts = MeetingParts::default();
        let mut people: Vec<(String, RowVals)> = Vec::new();
        for (id, m, links) in meetings {
            let id = id.to_string();
            for (i, h) in m.hosts.iter().enumerate() {
                let person = PersonKey::of(m.institution, h);
                let key = crate::keys::person_key(&person);
                let kind = crate::keys::person_kind(&person);
                people.push((
                    key.clone(),
                    vec![Val::from(key.clone()), Val::from(kind), Val::from(h.name.clone()), Val::from(int(h.ep_id))],
                ));
                parts.hosts.push(vec![
                    Val::from(id.clone()),
                    Val::from(i as i64),
                    Val::from(key),
                    Val::from(h.name.clone()),
                    Val::from(h.role.clone()),
                ]);
            }
            for r in &m.procedures {
                parts.procedures.push(vec![Val::from(id.clone()), Val::from(r.as_str())]);
            }
            for (i, a) in m.attendees.iter().enumerate() {
                let link = links.get(i).cloned().flatten();
                parts.attendees.push(vec![
                    Val::from(id.clone()),
                    Val::from(i as i64),
                    Val::from(a.name.clone()),
                    Val::from(a.register_id.as_ref().map(|r| r.as_str().to_owned())),
                    Val::from(link.as_ref().map(|l| crate::keys::org_key(&l.org))),
                    Val::from(link.as_ref().map(|l| l.method.as_str().to_owned())),
                ]);
            }
        }
        // The first row of each person wins, as `ON CONFLICT DO NOTHING` keeps the stored one.
        people.sort_by(|a, b| a.0.cmp(&b.0));
        people.dedup_by(|a, b| a.0 == b.0);
        parts.people = people.into_iter().map(|(_, row)| row).collect();
        parts
    }
}

pub const INITIATIVE_COLUMNS: &str = "id, reference, short_title, dg, unit, status, foreseen_act_type, stage, \
    receiving_feedback_status, topics, published_date, modified_date, source, file, locator, imported_at, content_hash";

pub fn initiative_row(p: &Provenance, i: &Initiative) -> RowVals {
    let mut row = vec![
        Val::from(i.id as i64),
        Val::from(i.reference.clone()),
        Val::from(i.short_title.clone()),
        Val::from(i.dg.clone()),
        Val::from(i.unit.clone()),
        Val::from(i.status.clone()),
        Val::from(i.foreseen_act_type.clone()),
        Val::from(i.stage.clone()),
        Val::from(i.receiving_feedback_status.clone()),
        Val::from(json(&i.topics)),
        Val::from(date(&i.published_date)),
        Val::from(date(&i.modified_date)),
    ];
    provenance(&mut row, p);
    row
}

pub const PUBLICATION_COLUMNS: &str =
    "id, initiative_id, position, kind, reference, total_feedback, adoption_date, attachments";

/// The publications of initiatives, each under its initiative and in its place.
pub fn publication_rows<'a>(initiatives: impl IntoIterator<Item = &'a Initiative>) -> Vec<RowVals> {
    let mut rows = Vec::new();
    for i in initiatives {
        for (n, p) in i.publications.iter().enumerate() {
            rows.push(vec![
                Val::from(p.id as i64),
                Val::from(i.id as i64),
                Val::from(n as i64),
                Val::from(p.kind.clone()),
                Val::from(p.reference.clone()),
                Val::from(int(p.total_feedback)),
                Val::from(date(&p.adoption_date)),
                Val::from(json(&p.attachments)),
            ]);
        }
    }
    rows
}

pub const FEEDBACK_COLUMNS: &str = "id, publication_id, reference_initiative, date, language, user_type, country, \
    company_size, organization, first_name, surname, register_id, text, attachments, org_key, link_method, \
    source, file, locator, imported_at, content_hash";

/// The organisation a response's links give it: its author's, the first mention.
pub fn feedback_org_key(links: &[Option<MentionLink>]) -> Option<String> {
    links.first()?.as_ref().map(|l| crate::keys::org_key(&l.org))
}

pub fn feedback_row(p: &Provenance, f: &Feedback, links: &[Option<MentionLink>]) -> RowVals {
    let link = links.first().cloned().flatten();
    let mut row = vec![
        Val::from(f.id as i64),
        Val::from(int(f.publication_id)),
        Val::from(f.reference_initiative.clone()),
        Val::from(date(&f.date)),
        Val::from(f.language.clone()),
        Val::from(f.user_type.clone()),
        Val::from(f.country.clone()),
        Val::from(f.company_size.clone()),
        Val::from(f.organization.clone()),
        Val::from(f.first_name.clone()),
        Val::from(f.surname.clone()),
        Val::from(f.register_id.as_ref().map(|r| r.as_str().to_owned())),
        Val::from(f.text.clone()),
        Val::from(json(&f.attachments)),
        Val::from(feedback_org_key(links)),
        Val::from(link.as_ref().map(|l| l.method.as_str().to_owned())),
    ];
    provenance(&mut row, p);
    row
}

pub const ORGANISATION_COLUMNS: &str = "key, register_id, name, acronym";

pub const IMPORT_FILE_COLUMNS: &str = "sha256, file, source, imported_at";

pub fn import_file_row(f: &ImportFile) -> RowVals {
    vec![
        Val::from(f.sha256.clone()),
        Val::from(f.file.clone()),
        Val::from(f.source.as_str().to_owned()),
        Val::from(f.imported_at.clone()),
    ]
}

pub fn organisation_row(o: &Organisation) -> RowVals {
    vec![
        Val::from(crate::keys::org_key(&o.key)),
        Val::from(o.register_id.as_ref().map(|id| id.as_str().to_owned())),
        Val::from(o.name.clone()),
        Val::from(o.acronym.clone()),
    ]
}

/// Rows in the next multi-row statement when `left` rows of `columns` binds remain to be
/// written: the largest power of two that is at most `left` and fits `max_binds`. Statements
/// come in a few sizes, each prepared once per connection and reused: preparing a statement of
/// every length a file happened to have cost about a tenth of an import.
pub fn statement_rows(left: usize, columns: usize, max_binds: usize) -> usize {
    let most = (max_binds / columns.max(1)).max(1);
    let fits = left.clamp(1, most);
    1 << fits.ilog2()
}

/// Binds a row's values to a statement's parameters, in order.
pub fn bind_vals<'q, DB: sqlx::Database>(
    mut q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    vals: RowVals,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    Option<String>: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    Option<i64>: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    Option<f64>: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    bool: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    for v in vals {
        q = match v {
            Val::Text(t) => q.bind(t),
            Val::Int(n) => q.bind(n),
            Val::Real(f) => q.bind(f),
            Val::Bool(x) => q.bind(x),
        };
    }
    q
}

/// The multi-row INSERTs that write `rows` after `head` (`INSERT … (columns) `) and before
/// `tail` (a conflict clause), in statements of the few sizes [`statement_rows`] gives.
pub fn insert_statements<DB: sqlx::Database>(
    head: &str,
    rows: Vec<RowVals>,
    tail: &str,
    max_binds: usize,
) -> Vec<sqlx::QueryBuilder<DB>>
where
    Option<String>: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    Option<i64>: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    Option<f64>: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    bool: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let columns = rows.first().map_or(1, Vec::len);
    let mut rows = rows.into_iter().peekable();
    let mut statements = Vec::new();
    while rows.peek().is_some() {
        let n = statement_rows(rows.len(), columns, max_binds);
        let mut q = sqlx::QueryBuilder::<DB>::new(head);
        q.push_values(rows.by_ref().take(n), |mut b, row| {
            for v in row {
                match v {
                    Val::Text(t) => b.push_bind(t),
                    Val::Int(n) => b.push_bind(n),
                    Val::Real(f) => b.push_bind(f),
                    Val::Bool(x) => b.push_bind(x),
                };
            }
        });
        q.push(tail);
        statements.push(q);
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::statement_rows;

    #[test]
    fn statements_come_in_few_sizes() {
        let mut sizes = std::collections::BTreeSet::new();
        for rows in 1..5000 {
            let (mut left, mut written) = (rows, 0);
            while left > 0 {
                let n = statement_rows(left, 21, 30_000);
                assert!(n <= left && n * 21 <= 30_000, "{n} rows of 21 binds, {left} left");
                sizes.insert(n);
                (left, written) = (left - n, written + n);
            }
            assert_eq!(written, rows);
        }
        // 1, 2, 4, ... 1024: eleven statements to prepare per table, whatever the files.
        assert_eq!(sizes.len(), 11);
        assert_eq!(statement_rows(3000, 1, 30_000), 2048);
        assert_eq!(statement_rows(5, 40_000, 30_000), 1, "a row wider than the limit still goes alone");
    }
}
