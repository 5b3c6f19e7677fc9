//! The read side: records as pages show them.

use std::collections::HashMap;

use lobbyscope_domain::MeetingId;
use lobbyscope_store::{ActivityPage, MeetingVersion, MeetingView, ResponseView, Result, TimelineSummary, Wanted};
pub(crate) use lobbyscope_store_sql::map::push_in;
use lobbyscope_store_sql::map::{self, ATTENDEE_COLUMNS, HOST_COLUMNS};
pub(crate) use lobbyscope_store_sql::timeline::{Entry, EntryKind};
use lobbyscope_store_sql::timeline::{activity_page, assemble, ids_of, response_ids};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::db_err;
use crate::positions::positions_by_ids;

/// The quarter of a `date` column, as migration 0007's generated `quarter` columns compute it.
pub(crate) const QUARTER_OF_DATE: &str = "CASE WHEN date IS NULL THEN '' ELSE substr(date, 1, 4) || '-Q' || ((CAST(substr(date, 6, 2) AS INTEGER) + 2) / 3) END";

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
        let view = map::meeting(&c)?;
        meetings.insert(id, view);
    }

    let mut q = QueryBuilder::<Sqlite>::new(format!(
        "SELECT meeting_id, {HOST_COLUMNS} FROM meeting_hosts WHERE meeting_id IN "
    ));
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY meeting_id, position");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "meeting_hosts");
        if let Some(m) = meetings.get_mut(c.get::<&str>(0)?) {
            m.hosts.push(map::host(&c)?);
        }
    }

    let mut q = QueryBuilder::<Sqlite>::new(format!(
        "SELECT a.meeting_id, {ATTENDEE_COLUMNS} \
         FROM meeting_attendees a LEFT JOIN organisations o ON o.key = a.org_key WHERE a.meeting_id IN "
    ));
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY a.meeting_id, a.position");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "meeting_attendees");
        if let Some(m) = meetings.get_mut(c.get::<&str>(0)?) {
            m.attendees.push(map::attendee(&c)?);
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
    rows.iter().map(|r| map::meeting_version(&Cols::new(r, "meeting_history"))).collect()
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
        let view = map::response(&c)?;
        responses.insert(id, view);
    }
    Ok(ids.iter().filter_map(|id| responses.remove(id)).collect())
}

/// A timeline's page: the records of `entries` (the page, in order), with the counts its
/// quarters give.
pub(crate) async fn timeline_page(
    pool: &SqlitePool,
    summary: TimelineSummary,
    entries: &[Entry],
    wanted: Wanted,
) -> Result<ActivityPage> {
    let meetings = meetings_by_ids(pool, &ids_of(entries, EntryKind::Meeting)).await?;
    let responses = responses_by_ids(pool, &response_ids(entries)).await?;
    let items = positions_by_ids(pool, &ids_of(entries, EntryKind::Position)).await?;
    Ok(activity_page(summary, assemble(entries, meetings, responses, items), wanted))
}
