//! The read side: records as pages show them.

use std::collections::HashMap;

use lobbyscope_domain::MeetingId;
use lobbyscope_store::{
    Activity, ActivityPage, MeetingVersion, MeetingView, PositionItemView, ResponseView, Result, TimelineSummary,
};
use lobbyscope_store_sql::map::{self, ATTENDEE_COLUMNS, HOST_COLUMNS};
pub(crate) use lobbyscope_store_sql::map::{corrupt, push_in};
pub(crate) use lobbyscope_store_sql::timeline::{Entry, EntryKind, push_range, year_range};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::db_err;
use crate::positions::positions_by_ids;

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
