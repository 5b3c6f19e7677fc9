//! The read side: records as pages show them.

use std::collections::HashMap;

use lobbyscope_domain::MeetingId;
use lobbyscope_store::{ActivityPage, MeetingVersion, MeetingView, ResponseView, Result, TimelineSummary, Wanted};
use lobbyscope_store_sql::Cols;
use lobbyscope_store_sql::map::{self, ATTENDEE_COLUMNS, HOST_COLUMNS};
use lobbyscope_store_sql::timeline::{Entry, EntryKind, activity_page, assemble, ids_of, response_ids};
use sqlx::{AssertSqlSafe, PgPool};

use crate::db_err;
use crate::positions::positions_by_ids;

/// Full meetings, in the order of `ids`.
pub(crate) async fn meetings_by_ids(pool: &PgPool, ids: &[String]) -> Result<Vec<MeetingView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut meetings: HashMap<String, MeetingView> = HashMap::new();
    for r in sqlx::query("SELECT * FROM meetings WHERE id = ANY($1)").bind(ids).fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "meetings");
        meetings.insert(c.get("id")?, map::meeting(&c)?);
    }
    let hosts = sqlx::query(AssertSqlSafe(format!(
        "SELECT meeting_id, {HOST_COLUMNS} FROM meeting_hosts WHERE meeting_id = ANY($1) ORDER BY meeting_id, position"
    )))
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for r in &hosts {
        let c = Cols::new(r, "meeting_hosts");
        if let Some(m) = meetings.get_mut(c.get::<&str>(0)?) {
            m.hosts.push(map::host(&c)?);
        }
    }
    let attendees = sqlx::query(AssertSqlSafe(format!(
        "SELECT a.meeting_id, {ATTENDEE_COLUMNS} FROM meeting_attendees a \
         LEFT JOIN organisations o ON o.key = a.org_key WHERE a.meeting_id = ANY($1) ORDER BY a.meeting_id, a.position"
    )))
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for r in &attendees {
        let c = Cols::new(r, "meeting_attendees");
        if let Some(m) = meetings.get_mut(c.get::<&str>(0)?) {
            m.attendees.push(map::attendee(&c)?);
        }
    }
    let procedures = sqlx::query(
        "SELECT meeting_id, reference FROM meeting_procedures WHERE meeting_id = ANY($1) ORDER BY meeting_id, reference",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for r in &procedures {
        let c = Cols::new(r, "meeting_procedures");
        if let Some(m) = meetings.get_mut(c.get::<&str>(0)?) {
            m.procedures.push(c.get(1)?);
        }
    }
    Ok(ids.iter().filter_map(|id| meetings.remove(id)).collect())
}

/// The earlier versions of a meeting, newest first.
pub(crate) async fn meeting_history(pool: &PgPool, id: &MeetingId) -> Result<Vec<MeetingVersion>> {
    let rows = sqlx::query("SELECT * FROM meeting_history WHERE meeting_id = $1 ORDER BY version DESC")
        .bind(id.to_string())
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    rows.iter().map(|r| map::meeting_version(&Cols::new(r, "meeting_history"))).collect()
}

/// Full consultation responses, in the order of `ids`.
pub(crate) async fn responses_by_ids(pool: &PgPool, ids: &[i64]) -> Result<Vec<ResponseView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT f.*, p.initiative_id, i.short_title FROM feedback f \
         LEFT JOIN publications p ON p.id = f.publication_id LEFT JOIN initiatives i ON i.id = p.initiative_id \
         WHERE f.id = ANY($1)",
    )
    .bind(ids)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut responses: HashMap<i64, ResponseView> = HashMap::new();
    for r in &rows {
        let c = Cols::new(r, "feedback");
        responses.insert(c.get("id")?, map::response(&c)?);
    }
    Ok(ids.iter().filter_map(|id| responses.remove(id)).collect())
}

/// A timeline's page: the records of `entries` (the page, in order), with the counts its
/// quarters give.
pub(crate) async fn timeline_page(
    pool: &PgPool,
    summary: TimelineSummary,
    entries: &[Entry],
    wanted: Wanted,
) -> Result<ActivityPage> {
    let meetings = meetings_by_ids(pool, &ids_of(entries, EntryKind::Meeting)).await?;
    let responses = responses_by_ids(pool, &response_ids(entries)).await?;
    let items = positions_by_ids(pool, &ids_of(entries, EntryKind::Position)).await?;
    Ok(activity_page(summary, assemble(entries, meetings, responses, items), wanted))
}
