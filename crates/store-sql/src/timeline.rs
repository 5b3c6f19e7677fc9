//! The shape of a timeline's page, the same on every backend.

use std::collections::HashMap;

use lobbyscope_domain::Institution;
use lobbyscope_store::{
    Activity, ActivityFilter, ActivityPage, MeetingView, PositionItemView, QuarterActivity, ResponseView, Result, Seek,
    TimelineSummary, Wanted,
};
use sqlx::QueryBuilder;

use crate::cols::{Cols, RowRef};

/// What a timeline entry is. Entries of the same date are listed a position item before the
/// response it summarises, responses (dated to the second) before meetings: the timelines'
/// statements order by kind as 0, 1, 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Position,
    Response,
    Meeting,
}

impl EntryKind {
    /// The kind a timeline statement's first column gives.
    pub fn of(number: i64) -> EntryKind {
        match number {
            0 => EntryKind::Position,
            1 => EntryKind::Response,
            _ => EntryKind::Meeting,
        }
    }
}

/// One item of a timeline's page before it is read in full.
pub struct Entry {
    pub kind: EntryKind,
    pub id: String,
}

/// A filter's year as a range of dates, which both forms of date ('2021-05-31',
/// '2021-05-31 10:00:00') fall in.
pub fn year_range(f: &ActivityFilter) -> Option<(String, String)> {
    f.year.map(|y| (format!("{y:04}"), format!("{:04}", y + 1)))
}

/// Restricts a query on a table with a `date` column to a range of [`year_range`].
pub fn push_range<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, range: Option<&(String, String)>)
where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    if let Some((from, to)) = range {
        q.push(" AND date >= ").push_bind(from.clone()).push(" AND date < ").push_bind(to.clone());
    }
}

/// The ids of `kind` among a page's entries, in order; responses by their number.
pub fn ids_of(page: &[Entry], kind: EntryKind) -> Vec<String> {
    page.iter().filter(|e| e.kind == kind).map(|e| e.id.clone()).collect()
}

pub fn response_ids(page: &[Entry]) -> Vec<i64> {
    ids_of(page, EntryKind::Response).iter().filter_map(|id| id.parse().ok()).collect()
}

/// A page's records, read by kind, put back in the page's order; an entry whose record is
/// gone (removed since the page's statement) is left out.
pub fn assemble(
    page: &[Entry],
    meetings: Vec<MeetingView>,
    responses: Vec<ResponseView>,
    positions: Vec<PositionItemView>,
) -> Vec<Activity> {
    let mut meetings: HashMap<String, MeetingView> = meetings.into_iter().map(|m| (m.id.to_string(), m)).collect();
    let mut responses: HashMap<u64, ResponseView> = responses.into_iter().map(|r| (r.id, r)).collect();
    let mut positions: HashMap<String, PositionItemView> = positions.into_iter().map(|p| (p.id.clone(), p)).collect();
    page.iter()
        .filter_map(|e| match e.kind {
            EntryKind::Meeting => meetings.remove(&e.id).map(Activity::Meeting),
            EntryKind::Response => e.id.parse().ok().and_then(|id| responses.remove(&id)).map(Activity::Response),
            EntryKind::Position => positions.remove(&e.id).map(Activity::Position),
        })
        .collect()
}

/// A timeline's page: its records with the counts its quarters give.
pub fn activity_page(summary: TimelineSummary, items: Vec<Activity>, wanted: Wanted) -> ActivityPage {
    ActivityPage {
        items,
        matching: wanted.matching(&summary),
        counts: summary.counts,
        positions: summary.all_positions,
        years: summary.years,
        per_quarter: summary.per_quarter,
    }
}

/// The quarters of an organisation's timeline from rows of `quarter, commission, parliament,
/// responses, positions`.
pub fn quarters<'r>(rows: impl IntoIterator<Item = Cols<'r>>) -> Result<Vec<QuarterActivity>> {
    rows.into_iter()
        .map(|c| {
            Ok(QuarterActivity {
                quarter: c.get(0)?,
                commission: c.u64(1)?,
                parliament: c.u64(2)?,
                responses: c.u64(3)?,
                positions: c.u64(4)?,
            })
        })
        .collect()
}

/// The statement for an organisation's quarters, in a backend's terms: `quarter` is its
/// expression for the quarter of a `date` column; `$1` the organisation's key. Position items
/// are counted per quarter too, so that a seek can step over them.
pub fn org_quarters_sql(quarter: &str) -> String {
    format!(
        "SELECT quarter, commission, parliament, responses, 0 FROM org_quarters WHERE org_key = $1 \
         AND (commission <> 0 OR parliament <> 0 OR responses <> 0) \
         UNION ALL SELECT {quarter}, 0, 0, 0, count(*) FROM position_items WHERE shown = 1 AND org_key = $1 GROUP BY 1"
    )
}

/// Restricts a timeline's arm to what a [`Seek`] keeps.
fn push_seek<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, seek: Option<&Seek>)
where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match seek {
        Some(Seek::Before { date, .. }) => {
            q.push(" AND date < ").push_bind(date.clone());
        }
        Some(Seek::Undated { .. }) => {
            q.push(" AND date IS NULL");
        }
        None => {}
    }
}

/// The `LIMIT … OFFSET …` of a page after its seek.
fn push_page<DB: sqlx::Database>(q: &mut QueryBuilder<DB>, f: &ActivityFilter, seek: Option<&Seek>)
where
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let offset = u64::from(f.offset) - seek.map_or(0, Seek::skipped).min(u64::from(f.offset));
    q.push(" LIMIT ")
        .push_bind(i64::from(f.limit))
        .push(" OFFSET ")
        .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
}

/// How the arms of a timeline's compound statement are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arms {
    /// As they are: SQLite merges them from their indexes itself.
    Plain,
    /// Each a subquery ordered as the whole, which PostgreSQL merges (Merge Append) instead of
    /// sorting every row of every arm: 4 ms against 0.1 ms for an organisation with 12,000
    /// items.
    Ordered,
}

/// The statement for a page of an organisation's timeline: each kind newest first by its
/// index, merged in the timeline's order (date, then kind as [`EntryKind`] orders them, then
/// id), so that the offset steps through index entries, not rows. Rows are read by
/// [`org_entry`]. Literals are cast so that every backend reads them as `i64`. With a `seek`,
/// each arm starts at the quarter the page starts in.
pub fn org_page_query<DB: sqlx::Database>(
    key: &str,
    f: &ActivityFilter,
    wanted: Wanted,
    seek: Option<&Seek>,
    arms: Arms,
) -> QueryBuilder<DB>
where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let range = year_range(f);
    let mut q = QueryBuilder::<DB>::new("");
    let mut n = 0;
    let mut arm = |q: &mut QueryBuilder<DB>, sql: &str, institution: Option<Institution>| {
        if n > 0 {
            q.push(" UNION ALL ");
        }
        n += 1;
        if arms == Arms::Ordered {
            q.push("SELECT * FROM (");
        }
        q.push(sql).push_bind(key.to_owned());
        if let Some(i) = institution {
            q.push(" AND institution = ").push_bind(i.as_str().to_owned());
        }
        push_range(q, range.as_ref());
        push_seek(q, seek);
        if arms == Arms::Ordered {
            q.push(format!(" ORDER BY 2 DESC NULLS LAST, 3, 4) AS arm{n}"));
        }
    };
    if wanted.positions {
        arm(
            &mut q,
            "SELECT CAST(0 AS BIGINT) AS kind, date, CAST(0 AS BIGINT) AS number, id FROM position_items \
             WHERE shown = 1 AND org_key = ",
            None,
        );
    }
    if wanted.responses {
        arm(
            &mut q,
            "SELECT CAST(1 AS BIGINT) AS kind, date, id AS number, '' AS id FROM feedback WHERE org_key = ",
            None,
        );
    }
    if wanted.meetings {
        arm(
            &mut q,
            "SELECT CAST(2 AS BIGINT) AS kind, date, CAST(0 AS BIGINT) AS number, meeting_id AS id FROM org_meetings \
             WHERE org_key = ",
            f.institution,
        );
    }
    q.push(" ORDER BY 2 DESC NULLS LAST, 1, 3, 4");
    push_page(&mut q, f, seek);
    q
}

/// A row of [`org_page_query`].
pub fn org_entry(row: RowRef) -> Result<Entry> {
    // The kind says which table the other columns come from.
    let kind = EntryKind::of(Cols::new(row, "org_meetings").get::<i64>(0)?);
    let table = match kind {
        EntryKind::Position => "position_items",
        EntryKind::Response => "feedback",
        EntryKind::Meeting => "org_meetings",
    };
    let c = Cols::new(row, table);
    let id = match kind {
        EntryKind::Response => c.get::<i64>(2)?.to_string(),
        _ => c.get(3)?,
    };
    Ok(Entry { kind, id })
}

/// The statements of a timeline of meetings only, read from `from` (a table whose rows hold
/// `date`, `meeting_id` and `institution`, and a condition the key is bound after): the counts
/// per quarter (a meeting counts once however many rows it has; `quarter` is the backend's
/// expression for a date's quarter) ...
pub fn meetings_quarters_query<DB: sqlx::Database>(quarter: &str, from: &str, key: &str) -> QueryBuilder<DB>
where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut q = QueryBuilder::<DB>::new(format!(
        "SELECT {quarter}, \
           count(DISTINCT CASE WHEN institution = 'commission' THEN meeting_id END), \
           count(DISTINCT CASE WHEN institution = 'parliament' THEN meeting_id END) FROM "
    ));
    q.push(from).push_bind(key.to_owned()).push(" GROUP BY 1");
    q
}

/// ... and the page, newest first.
pub fn meetings_page_query<DB: sqlx::Database>(
    from: &str,
    key: &str,
    f: &ActivityFilter,
    seek: Option<&Seek>,
) -> QueryBuilder<DB>
where
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut q = QueryBuilder::<DB>::new("SELECT DISTINCT date, meeting_id FROM ");
    q.push(from).push_bind(key.to_owned());
    if let Some(i) = f.institution {
        q.push(" AND institution = ").push_bind(i.as_str().to_owned());
    }
    push_range(&mut q, year_range(f).as_ref());
    push_seek(&mut q, seek);
    q.push(" ORDER BY date DESC, meeting_id");
    push_page(&mut q, f, seek);
    q
}

/// A row of [`meetings_quarters_query`].
pub fn meetings_quarter(c: &Cols) -> Result<QuarterActivity> {
    Ok(QuarterActivity { quarter: c.get(0)?, commission: c.u64(1)?, parliament: c.u64(2)?, responses: 0, positions: 0 })
}
