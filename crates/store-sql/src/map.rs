//! What a stored row means: the store's views built from rows, the same for every SQL backend
//! (the backends' schemas name and type their columns alike).

use std::collections::HashMap;

use lobbyscope_domain::{Costs, Institution, Locator, Provenance, RegisterEntry, SourceKind};
use lobbyscope_store::{
    ActivityCounts, AttendeeView, CheckedSentence, HostView, InitiativeView, ItemStatus, LinkMethod, MeetingVersion,
    MeetingView, Organisation, OrganisationSummary, PersonFacet, PersonKind, PersonView, PositionCounts,
    PositionItemView, PositionSentence, PublicationView, ResponseView, Result, SourceTextRecord, Stats, StoreError,
    StoredRegisterEntry, ValueCount,
};
use sqlx::QueryBuilder;

use crate::cols::Cols;

/// Stored rows that cannot all be true at once (a value that cannot be read is a `Cols` error):
/// a bug or a hand-edited database, never bad input.
pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Appends `(?, ?, …)` binding each value.
pub fn push_in<DB: sqlx::Database, T>(q: &mut QueryBuilder<DB>, values: impl IntoIterator<Item = T>)
where
    T: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push("(");
    let mut list = q.separated(", ");
    for v in values {
        list.push_bind(v);
    }
    q.push(")");
}

/// Reads the provenance columns, which every record table ends with under the same names.
pub fn provenance(c: &Cols) -> Result<Provenance> {
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

/// A `register_entries` row (every column, by name).
pub fn register_entry(c: &Cols) -> Result<StoredRegisterEntry> {
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
    Ok(StoredRegisterEntry { entry, provenance: provenance(c)? })
}

/// A `meetings` row (every column, by name), without its hosts, attendees and procedures.
pub fn meeting(c: &Cols) -> Result<MeetingView> {
    Ok(MeetingView {
        id: c.meeting_id("id")?,
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
        provenance: provenance(c)?,
        history: None,
    })
}

/// The columns [`meeting_parts`] reads after the meeting's id, per part.
pub const HOST_COLUMNS: &str = "person_key, name, role";
pub const ATTENDEE_COLUMNS: &str = "a.name, a.register_id, a.org_key, a.link_method, o.name";

/// A host: `meeting_id, person_key, name, role`.
pub fn host(c: &Cols) -> Result<HostView> {
    Ok(HostView { person_key: c.person_key(1)?, name: c.get(2)?, role: c.get(3)? })
}

/// An attendee: `meeting_id, name as published, register_id, org_key, link_method, the
/// organisation's name`. It is named as its organisation is, else as published, else by ID.
pub fn attendee(c: &Cols) -> Result<AttendeeView> {
    let published: Option<String> = c.get(1)?;
    let register_id = c.register_id_opt(2)?;
    let org_name: Option<String> = c.get(5)?;
    let name = org_name
        .or_else(|| published.clone())
        .or_else(|| register_id.as_ref().map(|id| id.as_str().to_owned()))
        .unwrap_or_default();
    Ok(AttendeeView {
        org_key: c.org_key_opt(3)?,
        name,
        published_name: published,
        register_id,
        link_method: c.parse_opt(4, |s| LinkMethod::parse(s).ok_or("unknown link method"))?,
    })
}

/// A `meeting_history` row, by name.
pub fn meeting_version(c: &Cols) -> Result<MeetingVersion> {
    Ok(MeetingVersion {
        replaced_at: c.get("replaced_at")?,
        replaced_by: c.get("replaced_by")?,
        date: c.date("date")?,
        subject: c.get("subject")?,
        hosts: c.json("hosts")?,
        location: c.get("location")?,
        attendees_raw: c.get("attendees_raw")?,
        provenance: provenance(c)?,
    })
}

/// A `feedback` row (every column, by name) with its publication's `initiative_id` and the
/// initiative's `short_title`.
pub fn response(c: &Cols) -> Result<ResponseView> {
    Ok(ResponseView {
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
        provenance: provenance(c)?,
    })
}

/// An `initiatives` row (every column, by name), without its publications.
pub fn initiative(c: &Cols) -> Result<InitiativeView> {
    Ok(InitiativeView {
        id: c.u64("id")?,
        reference: c.get("reference")?,
        short_title: c.get("short_title")?,
        dg: c.get("dg")?,
        unit: c.get("unit")?,
        status: c.get("status")?,
        foreseen_act_type: c.get("foreseen_act_type")?,
        stage: c.get("stage")?,
        receiving_feedback_status: c.get("receiving_feedback_status")?,
        topics: c.json("topics")?,
        published_date: c.moment_opt("published_date")?,
        modified_date: c.moment_opt("modified_date")?,
        publications: Vec::new(),
        provenance: provenance(c)?,
    })
}

/// A `publications` row by name, with `stored`: the responses kept for it.
pub fn publication(c: &Cols) -> Result<PublicationView> {
    Ok(PublicationView {
        id: c.u64("id")?,
        kind: c.get("kind")?,
        reference: c.get("reference")?,
        total_feedback: c.u64_opt("total_feedback")?,
        adoption_date: c.moment_opt("adoption_date")?,
        attachments: c.json("attachments")?,
        stored_responses: c.u64("stored")?,
    })
}

/// Counts per value: largest first, then by value, "not given" last among equals.
pub fn value_counts(counts: HashMap<Option<String>, u64>) -> Vec<ValueCount> {
    let mut out: Vec<ValueCount> = counts.into_iter().map(|(value, count)| ValueCount { value, count }).collect();
    out.sort_by(|a, b| {
        b.count.cmp(&a.count).then(a.value.is_none().cmp(&b.value.is_none())).then(a.value.cmp(&b.value))
    });
    out
}

/// An `organisations` row (columns `key, register_id, name, acronym`, by name).
pub fn organisation(c: &Cols) -> Result<Organisation> {
    Ok(Organisation {
        key: c.org_key("key")?,
        register_id: c.register_id_opt("register_id")?,
        name: c.get("name")?,
        acronym: c.get("acronym")?,
    })
}

/// The columns [`summary`] reads.
pub const SUMMARY_COLUMNS: &str = "key, register_id, name, acronym, commission, parliament, responses";

/// An `organisations` row with its counts.
pub fn summary(c: &Cols) -> Result<OrganisationSummary> {
    let counts = ActivityCounts {
        commission_meetings: c.u64("commission")?,
        parliament_meetings: c.u64("parliament")?,
        responses: c.u64("responses")?,
    };
    Ok(OrganisationSummary { organisation: organisation(c)?, total: counts.total(), counts })
}

/// A `people` row (`key, kind, name, ep_id`), without what its meetings say.
pub fn person(c: &Cols) -> Result<PersonView> {
    let kind = c.parse(1, |kind| match kind {
        "mep" => Ok(PersonKind::Mep),
        "commission" => Ok(PersonKind::Commission),
        _ => Err("unknown person kind"),
    })?;
    Ok(PersonView {
        key: c.person_key(0)?,
        kind,
        ep_id: c.u64_opt(3)?,
        published_names: Vec::new(),
        roles: Vec::new(),
        cabinets: Vec::new(),
        dgs: Vec::new(),
        portfolios: Vec::new(),
        name: c.get(2)?,
    })
}

/// A `source_texts` row, by name.
pub fn source_text(c: &Cols) -> Result<SourceTextRecord> {
    Ok(SourceTextRecord {
        id: c.get("id")?,
        response_id: c.u64("response_id")?,
        file: c.get("file")?,
        file_sha256: c.get("file_sha256")?,
        extractor: c.get("extractor")?,
        text: c.get("text")?,
        extracted_at: c.get("extracted_at")?,
    })
}

/// A `position_items` row with what only its own page shows.
pub struct ItemRow {
    pub view: PositionItemView,
    pub status: ItemStatus,
    pub error: Option<String>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
}

pub fn item_status(s: &str) -> Result<ItemStatus, &'static str> {
    ItemStatus::parse(s).ok_or("unknown status")
}

/// A `position_items` row (every column, by name), without its sentences.
pub fn item_row(c: &Cols) -> Result<ItemRow> {
    Ok(ItemRow {
        view: PositionItemView {
            id: c.get("id")?,
            org_key: c.org_key("org_key")?,
            group: c.get("grp")?,
            headline: c.get::<Option<String>>("headline")?.unwrap_or_default(),
            date: c.when_opt("date")?,
            writer: c.get("writer")?,
            model: c.get("model")?,
            prompt_version: c.get("prompt_version")?,
            written_at: c.get("written_at")?,
            sources: c.json("sources")?,
            sentences: Vec::new(),
            dropped: 0,
        },
        status: c.parse("status", item_status)?,
        error: c.get("error")?,
        prompt_tokens: c.u64_opt("prompt_tokens")?,
        completion_tokens: c.u64_opt("completion_tokens")?,
    })
}

/// Pages show the kept sentences Message first, then Why, then Impact.
pub fn shown_sentences(all: &[CheckedSentence]) -> (Vec<PositionSentence>, u32) {
    let mut kept: Vec<PositionSentence> = all
        .iter()
        .filter(|s| s.kept)
        .map(|s| PositionSentence { part: s.part, text: s.text.clone(), citations: s.citations.clone() })
        .collect();
    kept.sort_by_key(|s| s.part);
    let dropped = all.iter().filter(|s| !s.kept).count() as u32;
    (kept, dropped)
}

/// The record counts kept in `record_counts` (name → rows), as `lobbyscope stats` shows them.
pub fn stats(counts: &HashMap<String, i64>, register_snapshots: i64, last_import: Option<String>) -> Stats {
    let n = |name: &str| counts.get(name).copied().unwrap_or(0);
    Stats {
        organisations: n("organisations"),
        registered_organisations: n("registered_organisations"),
        register_snapshots,
        register_entries: n("register_entries"),
        meetings: n("commission_meetings") + n("parliament_meetings"),
        commission_meetings: n("commission_meetings"),
        parliament_meetings: n("parliament_meetings"),
        initiatives: n("initiatives"),
        publications: n("publications"),
        consultation_responses: n("responses"),
        people: n("people"),
        imported_files: n("imported_files"),
        last_import,
        position_items: PositionCounts {
            shown: n("positions_shown"),
            written: n("positions_written"),
            empty: n("positions_empty"),
            pending: n("positions_pending"),
        },
    }
}

/// What a person's meetings say of them, by facet, each with the distinct meetings it comes
/// from: rows of `facet, label, meetings` in the order pages show them. The statement's one
/// parameter is the person's key; `$1` is read alike by both backends.
pub const PERSON_FACETS: &str = "SELECT 'role', role, count(DISTINCT meeting_id) FROM person_meetings \
       WHERE person_key = $1 AND role IS NOT NULL GROUP BY role \
     UNION ALL SELECT 'cabinet', cabinet, count(DISTINCT meeting_id) FROM person_meetings \
       WHERE person_key = $1 AND cabinet IS NOT NULL GROUP BY cabinet \
     UNION ALL SELECT 'dg', dg, count(DISTINCT meeting_id) FROM person_meetings \
       WHERE person_key = $1 AND dg IS NOT NULL GROUP BY dg \
     UNION ALL SELECT 'portfolio', portfolio, count(DISTINCT meeting_id) FROM person_meetings \
       WHERE person_key = $1 AND portfolio IS NOT NULL GROUP BY portfolio \
     ORDER BY 1, 3 DESC, 2";

/// The other names a person's meetings published for them: parameters the key and the name.
pub const PERSON_NAMES: &str =
    "SELECT DISTINCT name FROM person_meetings WHERE person_key = $1 AND name <> $2 ORDER BY name LIMIT 50";

/// Adds a row of [`PERSON_FACETS`] to the person.
pub fn person_facet(view: &mut PersonView, c: &Cols) -> Result<()> {
    let facet = PersonFacet { label: c.get(1)?, meetings: c.u64(2)? };
    match c.get::<&str>(0)? {
        "role" => view.roles.push(facet),
        "cabinet" => view.cabinets.push(facet),
        "dg" => view.dgs.push(facet),
        _ => view.portfolios.push(facet),
    }
    Ok(())
}
