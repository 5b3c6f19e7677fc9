//! The read side: records as pages show them.

use std::collections::HashMap;

use lobbyscope_domain::{Costs, Institution, Locator, MeetingId, Provenance, RegisterEntry, SourceKind};
use lobbyscope_store::{
    Activity, ActivityFilter, ActivityPage, AttendeeView, HostView, LinkMethod, MeetingVersion, MeetingView,
    PositionItemView, ResponseView, Result, StoreError, StoredRegisterEntry, TimelineSummary,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::db_err;
use crate::positions::positions_by_ids;

/// Stored rows that cannot all be true at once (a value that cannot be read is a `Cols` error):
/// a bug or a hand-edited database, never bad input.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Reads the provenance columns, which every record table ends with under the same names.
pub(crate) fn provenance(c: &Cols) -> Result<Provenance> {
    Ok(Provenance {
        source: c.parse("source", |s| SourceKind::parse(s).ok_or("unknown source kind"))?,
        file: c.get("file")?,
        locator: c.json::<Locator>("locator")?,
        imported_at: c.get("imported_at")?,
        content_hash: c.get("content_hash")?,
    })
}

fn institution(s: &str) -> Result<Institution, &'static str> {
    match s {
        "commission" => Ok(Institution::Commission),
        "parliament" => Ok(Institution::Parliament),
        _ => Err("unknown institution"),
    }
}

pub(crate) fn register_entry(r: &SqliteRow) -> Result<StoredRegisterEntry> {
    let c = Cols::new(r, "register_entries");
    let costs = match (c.u64_opt("costs_min")?, c.u64_opt("costs_max")?, c.u64_opt("costs_amount")?) {
        (Some(min), Some(max), _) => Some(Costs::Range { min, max }),
        (_, _, Some(amount)) => Some(Costs::Amount { amount }),
        _ => None,
    };
    let entry = RegisterEntry {
        register_id: c.register_id("register_id")?,
        snapshot_date: c.date("snapshot_date")?,
        name: c.get("name")?,
        acronym: c.get("acronym")?,
        entity_form: c.get("entity_form")?,
        category: c.get("category")?,
        head_office_country: c.get("head_office_country")?,
        head_office_city: c.get("head_office_city")?,
        website: c.get("website")?,
        goals: c.get("goals")?,
        levels_of_interest: c.json("levels_of_interest")?,
        fields_of_interest: c.json("fields_of_interest")?,
        eu_legislative_proposals: c.get("eu_legislative_proposals")?,
        members: c.u32_opt("members")?,
        fte: c.get("fte")?,
        ep_accredited: c.u32_opt("ep_accredited")?,
        costs,
        financial_year_start: c.date_opt("financial_year_start")?,
        financial_year_end: c.date_opt("financial_year_end")?,
        registration_date: c.date_opt("registration_date")?,
        last_update_date: c.date_opt("last_update_date")?,
    };
    Ok(StoredRegisterEntry { entry, provenance: provenance(&c)? })
}

/// Appends `(?, ?, …)` binding each value.
pub(crate) fn push_in<T>(q: &mut QueryBuilder<Sqlite>, values: impl IntoIterator<Item = T>)
where
    T: for<'t> sqlx::Encode<'t, Sqlite> + sqlx::Type<Sqlite>,
{
    q.push("(");
    let mut list = q.separated(", ");
    for v in values {
        list.push_bind(v);
    }
    q.push(")");
}

/// Full meetings, in the order of `ids`.
pub(crate) async fn meetings_by_ids(pool: &SqlitePool, ids: &[String]) -> Result<Vec<MeetingView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM meetings WHERE id IN ");
    push_in(&mut q, ids.iter().cloned());
    let mut meetings: HashMap<String, MeetingView> = HashMap::new();
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "meetings");
        let id: String = c.get("id")?;
        let view = MeetingView {
            id: c.parse("id", |s| MeetingId::parse(s).ok_or("not a meeting id"))?,
            institution: c.parse("institution", institution)?,
            date: c.date("date")?,
            hosts: Vec::new(),
            cabinet: c.get("cabinet")?,
            dg: c.get("dg")?,
            dg_acronym: c.get("dg_acronym")?,
            portfolio: c.get("portfolio")?,
            location: c.get("location")?,
            subject: c.get("subject")?,
            procedures: Vec::new(),
            attendees: Vec::new(),
            attendees_raw: c.get("attendees_raw")?,
            provenance: provenance(&c)?,
            history: None,
        };
        meetings.insert(id, view);
    }

    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT meeting_id, person_key, name, role FROM meeting_hosts WHERE meeting_id IN ",
    );
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY meeting_id, position");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "meeting_hosts");
        if let Some(m) = meetings.get_mut(c.get::<&str>(0)?) {
            m.hosts.push(HostView { person_key: c.person_key(1)?, name: c.get(2)?, role: c.get(3)? });
        }
    }

    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT a.meeting_id, a.name, a.register_id, a.org_key, a.link_method, o.name \
         FROM meeting_attendees a LEFT JOIN organisations o ON o.key = a.org_key WHERE a.meeting_id IN ",
    );
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY a.meeting_id, a.position");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "meeting_attendees");
        if let Some(m) = meetings.get_mut(c.get::<&str>(0)?) {
            let published: Option<String> = c.get(1)?;
            let register_id = c.register_id_opt(2)?;
            let org_name: Option<String> = c.get(5)?;
            let name = org_name
                .or_else(|| published.clone())
                .or_else(|| register_id.as_ref().map(|id| id.as_str().to_owned()))
                .unwrap_or_default();
            m.attendees.push(AttendeeView {
                org_key: c.org_key_opt(3)?,
                name,
                published_name: published,
                register_id,
                link_method: c.parse_opt(4, |s| LinkMethod::parse(s).ok_or("unknown link method"))?,
            });
        }
    }

    let mut q =
        QueryBuilder::<Sqlite>::new("SELECT meeting_id, reference FROM meeting_procedures WHERE meeting_id IN ");
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY meeting_id, reference");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "meeting_procedures");
        if let Some(m) = meetings.get_mut(c.get::<&str>(0)?) {
            m.procedures.push(c.get(1)?);
        }
    }
    Ok(ids.iter().filter_map(|id| meetings.remove(id)).collect())
}

/// The earlier versions of a meeting, newest first.
pub(crate) async fn meeting_history(pool: &SqlitePool, id: &MeetingId) -> Result<Vec<MeetingVersion>> {
    let rows = sqlx::query(
        "SELECT replaced_at, replaced_by, date, subject, hosts, location, attendees_raw, \
         source, file, locator, imported_at, content_hash \
         FROM meeting_history WHERE meeting_id = ? ORDER BY version DESC",
    )
    .bind(id.to_string())
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    rows.iter()
        .map(|r| {
            let c = Cols::new(r, "meeting_history");
            Ok(MeetingVersion {
                replaced_at: c.get("replaced_at")?,
                replaced_by: c.get("replaced_by")?,
                date: c.date("date")?,
                subject: c.get("subject")?,
                hosts: c.json("hosts")?,
                location: c.get("location")?,
                attendees_raw: c.get("attendees_raw")?,
                provenance: provenance(&c)?,
            })
        })
        .collect()
}

/// Full consultation responses, in the order of `ids`.
pub(crate) async fn responses_by_ids(pool: &SqlitePool, ids: &[i64]) -> Result<Vec<ResponseView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT f.*, p.initiative_id, i.short_title FROM feedback f \
         LEFT JOIN publications p ON p.id = f.publication_id LEFT JOIN initiatives i ON i.id = p.initiative_id \
         WHERE f.id IN ",
    );
    push_in(&mut q, ids.iter().copied());
    let mut responses: HashMap<i64, ResponseView> = HashMap::new();
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "feedback");
        let id: i64 = c.get("id")?;
        let view = ResponseView {
            id: c.u64("id")?,
            date: c.moment_opt("date")?,
            initiative_id: c.u64_opt("initiative_id")?,
            initiative_title: c.get("short_title")?,
            publication_id: c.u64_opt("publication_id")?,
            reference_initiative: c.get("reference_initiative")?,
            organization: c.get("organization")?,
            org_key: c.org_key_opt("org_key")?,
            register_id: c.register_id_opt("register_id")?,
            user_type: c.get("user_type")?,
            country: c.get("country")?,
            language: c.get("language")?,
            text: c.get("text")?,
            attachments: c.json("attachments")?,
            provenance: provenance(&c)?,
        };
        responses.insert(id, view);
    }
    Ok(ids.iter().filter_map(|id| responses.remove(id)).collect())
}

/// What a timeline entry is. Entries of the same date are listed a position item before the
/// response it summarises, responses (dated to the second) before meetings: the timelines'
/// statements order by kind as 0, 1, 2 (`read_org`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    Position,
    Response,
    Meeting,
}

/// One item of a timeline's page before it is read in full.
pub(crate) struct Entry {
    pub kind: EntryKind,
    pub id: String,
}

/// A timeline's page: the records of `entries` (the page, in order), with the counts its
/// quarters give.
pub(crate) async fn timeline_page(
    pool: &SqlitePool,
    summary: TimelineSummary,
    entries: &[Entry],
    matching: u64,
    positions: u64,
) -> Result<ActivityPage> {
    let page: Vec<&Entry> = entries.iter().collect();
    let items = load_entries(pool, &page).await?;
    Ok(ActivityPage {
        items,
        matching,
        counts: summary.counts,
        positions,
        years: summary.years,
        per_quarter: summary.per_quarter,
    })
}

/// A filter's year as a range of dates, which both forms of date ('2021-05-31',
/// '2021-05-31 10:00:00') fall in.
pub(crate) fn year_range(f: &ActivityFilter) -> Option<(String, String)> {
    f.year.map(|y| (format!("{y:04}"), format!("{:04}", y + 1)))
}

/// Restricts a query on a table with a `date` column to a range of [`year_range`].
pub(crate) fn push_range(q: &mut QueryBuilder<Sqlite>, range: Option<&(String, String)>) {
    if let Some((from, to)) = range {
        q.push(" AND date >= ").push_bind(from.clone()).push(" AND date < ").push_bind(to.clone());
    }
}

/// The records of a page of entries, in its order.
pub(crate) async fn load_entries(pool: &SqlitePool, page: &[&Entry]) -> Result<Vec<Activity>> {
    let ids = |kind: EntryKind| page.iter().filter(move |e| e.kind == kind).map(|e| e.id.clone());
    let meeting_ids: Vec<String> = ids(EntryKind::Meeting).collect();
    let response_ids: Vec<i64> = ids(EntryKind::Response).filter_map(|id| id.parse().ok()).collect();
    let position_ids: Vec<String> = ids(EntryKind::Position).collect();
    let mut meetings: HashMap<String, MeetingView> =
        meetings_by_ids(pool, &meeting_ids).await?.into_iter().map(|m| (m.id.to_string(), m)).collect();
    let mut responses: HashMap<u64, ResponseView> =
        responses_by_ids(pool, &response_ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let mut items_of_positions: HashMap<String, PositionItemView> =
        positions_by_ids(pool, &position_ids).await?.into_iter().map(|p| (p.id.clone(), p)).collect();
    Ok(page
        .iter()
        .filter_map(|e| match e.kind {
            EntryKind::Meeting => meetings.remove(&e.id).map(Activity::Meeting),
            EntryKind::Response => e.id.parse().ok().and_then(|id| responses.remove(&id)).map(Activity::Response),
            EntryKind::Position => items_of_positions.remove(&e.id).map(Activity::Position),
        })
        .collect())
}
