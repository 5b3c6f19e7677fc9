//! The read side of people and procedures: a person with what the sources said about them, a
//! person's meetings, the meetings citing a procedure.

use lobbyscope_store::{
    ActivityFilter, ActivityPage, PersonView, QuarterActivity, Result, Seek, TimelineSummary, Wanted,
};
use lobbyscope_store_sql::map;
use lobbyscope_store_sql::timeline::{meetings_page_query, meetings_quarter, meetings_quarters_query};
use sqlx::{Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::db_err;
use crate::read::{Entry, EntryKind, QUARTER_OF_DATE, timeline_page};

/// One person by stored key (`keys::person_key`), or `None`.
pub(crate) async fn person(pool: &SqlitePool, key: &str) -> Result<Option<PersonView>> {
    let Some(row) = sqlx::query("SELECT key, kind, name, ep_id FROM people WHERE key = ?")
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

/// The meetings a person hosted, as a timeline (no consultation responses), from the person's
/// range of `person_meetings`.
pub(crate) async fn person_activity(pool: &SqlitePool, key: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    meetings_timeline(pool, "person_meetings", "person_meetings WHERE person_key = ", key, f).await
}

/// The meetings citing a procedure reference, as a timeline, from the procedure's range of
/// `procedure_meetings` (migration 0010).
pub(crate) async fn procedure_activity(pool: &SqlitePool, reference: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    meetings_timeline(pool, "procedure_meetings", "procedure_meetings WHERE reference = ", reference, f).await
}

/// A timeline of meetings only, read from `from` (a table whose rows hold `date`, `meeting_id`
/// and `institution`, and a condition the key is bound after): the counts and
/// chart from one grouped statement, the page from one ordered one, so that only a page's rows
/// leave the database however many meetings the timeline holds.
async fn meetings_timeline(
    pool: &SqlitePool,
    table: &'static str,
    from: &str,
    key: &str,
    f: &ActivityFilter,
) -> Result<ActivityPage> {
    // A meeting counts once, however many times the person is listed in it.
    let rows =
        meetings_quarters_query::<Sqlite>(QUARTER_OF_DATE, from, key).build().fetch_all(pool).await.map_err(db_err)?;
    let quarters: Vec<QuarterActivity> =
        rows.iter().map(|r| meetings_quarter(&Cols::new(r, table))).collect::<Result<_>>()?;
    let summary = TimelineSummary::of(&quarters, f);
    let wanted = Wanted::meetings_of(f);
    let mut entries = Vec::new();
    if f.limit > 0 && u64::from(f.offset) < wanted.matching(&summary) {
        let seek = Seek::of(&quarters, f, wanted);
        let mut q = meetings_page_query::<Sqlite>(from, key, f, seek.as_ref());
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            entries.push(Entry { kind: EntryKind::Meeting, id: Cols::new(&r, table).get(1)? });
        }
    }
    timeline_page(pool, summary, &entries, wanted).await
}
