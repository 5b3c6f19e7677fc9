//! The shape of a timeline's page, the same on every backend.

use lobbyscope_store::ActivityFilter;
use sqlx::QueryBuilder;

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
