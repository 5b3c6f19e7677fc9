//! The read side of people and procedures: a person with what the sources said about them, a
//! person's meetings, the meetings citing a procedure.

use lobbyscope_store::{
    ActivityFilter, ActivityPage, PersonView, QuarterActivity, Result, Seek, TimelineSummary, Wanted,
};
use lobbyscope_store_sql::timeline::{
    Entry, EntryKind, meetings_page_query, meetings_quarter, meetings_quarters_query,
};
use lobbyscope_store_sql::{Cols, map};
use sqlx::{PgPool, Postgres};

use crate::db_err;
use crate::read::timeline_page;

/// One person by stored key, or `None`.
pub(crate) async fn person(pool: &PgPool, key: &str) -> Result<Option<PersonView>> {
    let Some(row) = sqlx::query("SELECT key, kind, name, ep_id FROM people WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
    else {
        return Ok(None);
    };
    let mut view = map::person(&Cols::new(&row, "people"))?;
    // Each facet counts distinct meetings: a person listed twice in one meeting counts once.
    let rows = sqlx::query(map::PERSON_FACETS).bind(key).fetch_all(pool).await.map_err(db_err)?;
    for r in &rows {
        map::person_facet(&mut view, &Cols::new(r, "person_meetings"))?;
    }
    let names = sqlx::query(map::PERSON_NAMES).bind(key).bind(&view.name).fetch_all(pool).await.map_err(db_err)?;
    view.published_names = names.iter().map(|r| Cols::new(r, "person_meetings").get(0)).collect::<Result<_>>()?;
    Ok(Some(view))
}

pub(crate) async fn person_activity(pool: &PgPool, key: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    meetings_timeline(pool, "person_meetings", "person_meetings WHERE person_key = ", key, f).await
}

pub(crate) async fn procedure_activity(pool: &PgPool, reference: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    meetings_timeline(pool, "procedure_meetings", "procedure_meetings WHERE reference = ", reference, f).await
}

/// A timeline of meetings only, from a person's or a procedure's range of its table.
async fn meetings_timeline(
    pool: &PgPool,
    table: &'static str,
    from: &str,
    key: &str,
    f: &ActivityFilter,
) -> Result<ActivityPage> {
    let rows = meetings_quarters_query::<Postgres>("quarter_of(date)", from, key)
        .build()
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    let quarters: Vec<QuarterActivity> =
        rows.iter().map(|r| meetings_quarter(&Cols::new(r, table))).collect::<Result<_>>()?;
    let summary = TimelineSummary::of(&quarters, f);
    let wanted = Wanted::meetings_of(f);
    let mut entries = Vec::new();
    if f.limit > 0 && u64::from(f.offset) < wanted.matching(&summary) {
        let seek = Seek::of(&quarters, f, wanted);
        let mut q = meetings_page_query::<Postgres>(from, key, f, seek.as_ref());
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            entries.push(Entry { kind: EntryKind::Meeting, id: Cols::new(&r, table).get(1)? });
        }
    }
    timeline_page(pool, summary, &entries, wanted).await
}
