//! Copying a whole store into another, of the same backend or not (`lobbyscope copy-store`).
//!
//! Only the records and the state a store cannot work out again (the linking pass owed, each
//! source's health) are copied ([`CopyTable`]): every figure pages read (counts, quarters,
//! published names, a person's or a procedure's meetings) is kept by the target's own triggers
//! and fold as the rows arrive, exactly as an import keeps it, so a copy needs no knowledge of
//! how either backend keeps them. Rows travel as [`CopyValue`]s, in pages read by key
//! ([`Store::copy_out`]) and written in transactions of many pages ([`CopyWriter`]): memory
//! holds two pages whatever the store's size.

use std::fmt;

use async_trait::async_trait;

use crate::{Result, Stats, Store, StoreError};

/// The tables a copy carries, in the order it writes them ([`CopyTable::ALL`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CopyTable {
    ImportFiles,
    RegisterEntries,
    Organisations,
    People,
    Meetings,
    MeetingHosts,
    MeetingProcedures,
    MeetingAttendees,
    MeetingHistory,
    Initiatives,
    Publications,
    Feedback,
    PositionItems,
    PositionSentences,
    PositionCitations,
    SourceTexts,
    SourceHealth,
    Withdrawals,
    PendingWork,
}

impl CopyTable {
    /// Every table a copy carries, in the order it writes them. Organisations come before the
    /// mentions that point at them, since the fold counts a mention onto its organisation's row
    /// when the mention arrives; a meeting comes before its hosts, procedures and attendees,
    /// whose triggers and fold read its date and institution; a row before the rows that refer
    /// to it (people before hosts, initiatives before publications, items before sentences
    /// before citations); the sources' health, which refers to nothing; the owed work last, once
    /// what it is owed for is there.
    pub const ALL: [CopyTable; 19] = [
        CopyTable::ImportFiles,
        CopyTable::RegisterEntries,
        CopyTable::Organisations,
        CopyTable::People,
        CopyTable::Meetings,
        CopyTable::MeetingHosts,
        CopyTable::MeetingProcedures,
        CopyTable::MeetingAttendees,
        CopyTable::MeetingHistory,
        CopyTable::Initiatives,
        CopyTable::Publications,
        CopyTable::Feedback,
        CopyTable::PositionItems,
        CopyTable::PositionSentences,
        CopyTable::PositionCitations,
        CopyTable::SourceTexts,
        CopyTable::SourceHealth,
        CopyTable::Withdrawals,
        CopyTable::PendingWork,
    ];

    /// The table's name, as both schemas and every report name it.
    pub fn name(self) -> &'static str {
        match self {
            CopyTable::ImportFiles => "import_files",
            CopyTable::RegisterEntries => "register_entries",
            CopyTable::Organisations => "organisations",
            CopyTable::People => "people",
            CopyTable::Meetings => "meetings",
            CopyTable::MeetingHosts => "meeting_hosts",
            CopyTable::MeetingProcedures => "meeting_procedures",
            CopyTable::MeetingAttendees => "meeting_attendees",
            CopyTable::MeetingHistory => "meeting_history",
            CopyTable::Initiatives => "initiatives",
            CopyTable::Publications => "publications",
            CopyTable::Feedback => "feedback",
            CopyTable::PositionItems => "position_items",
            CopyTable::PositionSentences => "position_sentences",
            CopyTable::PositionCitations => "position_citations",
            CopyTable::SourceTexts => "source_texts",
            CopyTable::SourceHealth => "source_health",
            CopyTable::Withdrawals => "withdrawals",
            CopyTable::PendingWork => "pending_work",
        }
    }

    /// A table of state every store holds one row of from its creation (`pending_work`): a copy
    /// replaces the target's row instead of adding one, and an empty store is empty without it.
    pub fn is_state(self) -> bool {
        self == CopyTable::PendingWork
    }

    /// Rows per page: a few thousand, so that each transaction pays for itself; fewer of the
    /// texts extracted from attachments, which run to hundreds of kilobytes each.
    pub fn page_rows(self) -> usize {
        match self {
            CopyTable::SourceTexts => 64,
            _ => 2000,
        }
    }
}

impl fmt::Display for CopyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One value of a stored row, in a type every backend binds and reads back alike: what a copy
/// carries, and what the SQL backends lay records into columns with.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyValue {
    Text(Option<String>),
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(bool),
}

impl From<String> for CopyValue {
    fn from(s: String) -> CopyValue {
        CopyValue::Text(Some(s))
    }
}

impl From<&str> for CopyValue {
    fn from(s: &str) -> CopyValue {
        CopyValue::Text(Some(s.to_owned()))
    }
}

impl From<Option<String>> for CopyValue {
    fn from(s: Option<String>) -> CopyValue {
        CopyValue::Text(s)
    }
}

impl From<i64> for CopyValue {
    fn from(n: i64) -> CopyValue {
        CopyValue::Int(Some(n))
    }
}

impl From<Option<i64>> for CopyValue {
    fn from(n: Option<i64>) -> CopyValue {
        CopyValue::Int(n)
    }
}

impl From<Option<f64>> for CopyValue {
    fn from(n: Option<f64>) -> CopyValue {
        CopyValue::Real(n)
    }
}

impl From<bool> for CopyValue {
    fn from(b: bool) -> CopyValue {
        CopyValue::Bool(b)
    }
}

/// A row: its values in the order of its table's columns, the same in every backend.
pub type CopyRow = Vec<CopyValue>;

/// Where the next page of a table starts: the key of the last row read. Any backend's cursor
/// serves any backend, since all order a table's rows alike (by key, text by code point).
#[derive(Debug, Clone, PartialEq)]
pub struct CopyCursor {
    table: CopyTable,
    key: CopyRow,
}

impl CopyCursor {
    pub fn new(table: CopyTable, key: CopyRow) -> CopyCursor {
        CopyCursor { table, key }
    }

    pub fn table(&self) -> CopyTable {
        self.table
    }

    /// The key's values, in the order of the key's columns.
    pub fn key(&self) -> &[CopyValue] {
        &self.key
    }
}

/// Rows of one table in key order, and where the next page starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq)]
pub struct CopyPage {
    pub rows: Vec<CopyRow>,
    pub next: Option<CopyCursor>,
}

/// Rows a [`CopyWriter`] writes in one transaction, whatever their pages: the target's fold
/// runs once per transaction, and a busy organisation's row (with the list's indexes on it) is
/// rewritten once per fold, so a transaction a page of 2,000 made the demo's attendees take
/// four times as long. As many as an import session commits at once.
pub const COPY_TRANSACTION_ROWS: usize = 100_000;

/// Writes rows that [`Store::copy_out`] read, of this backend or another, into a store that
/// holds none of them yet, in transactions of about [`COPY_TRANSACTION_ROWS`] rows: each is
/// committed once it holds that many, the store's aggregates brought up to date before, as
/// after an import's session. Dropping the writer discards the transaction not yet committed.
#[async_trait]
pub trait CopyWriter: Send {
    /// Adds `rows` of `table`, in the order of [`CopyTable::ALL`]. A state table's row replaces
    /// the one stored.
    async fn write(&mut self, table: CopyTable, rows: Vec<CopyRow>) -> Result<()>;

    /// Commits what is left.
    async fn finish(self: Box<Self>) -> Result<()>;
}

/// Told how a copy goes, for a progress bar; every method has a silent default.
pub trait CopyProgress: Send + Sync {
    /// `rows` to copy, as counted when the table's turn came.
    fn table_started(&self, _table: CopyTable, _rows: u64) {}
    fn rows_copied(&self, _table: CopyTable, _so_far: u64) {}
    fn table_done(&self, _table: CopyTable, _rows: u64) {}
    /// The indexes the target deferred are being built.
    fn building_indexes(&self) {}
}

/// A [`CopyProgress`] that says nothing.
pub struct QuietCopy;
impl CopyProgress for QuietCopy {}

/// A table's rows in the source and in the copy, counted once the copy was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: CopyTable,
    pub source: u64,
    pub target: u64,
}

/// What a copy ended with: every table's rows in both stores, and the figures each shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyReport {
    pub tables: Vec<TableCount>,
    pub source_stats: Stats,
    pub target_stats: Stats,
}

impl CopyReport {
    /// Whether the copy holds what its source holds: the same rows in every table, and the
    /// same figures (which the target worked out itself).
    pub fn matches(&self) -> bool {
        self.tables.iter().all(|t| t.source == t.target) && self.source_stats == self.target_stats
    }

    /// The tables whose counts differ.
    pub fn differing(&self) -> impl Iterator<Item = &TableCount> {
        self.tables.iter().filter(|t| t.source != t.target)
    }

    /// Rows copied, state tables included.
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.target).sum()
    }
}

/// Which store a failure came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Source,
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Source => "reading the source",
            Side::Target => "writing the target",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Before anything was written: the target is as it was.
    #[error("{side}: {error}")]
    Store { side: Side, error: StoreError },
    #[error("the target is not empty: {table} holds {rows} row(s); copy into a new file or an empty database")]
    TargetNotEmpty { table: CopyTable, rows: u64 },
    /// After some rows were written: the target holds part of the copy.
    #[error(
        "copying {table}, {side}: {error}; the target holds part of the copy: \
         copy again into a new file or an emptied database"
    )]
    Stopped { table: CopyTable, side: Side, error: StoreError },
    /// The copy was made but does not hold what its source holds (a process wrote to the
    /// source meanwhile, or a backend lost rows).
    #[error("the copy does not match its source: {}", mismatch(.0))]
    Mismatch(Box<CopyReport>),
}

fn mismatch(report: &CopyReport) -> String {
    let mut parts: Vec<String> =
        report.differing().map(|t| format!("{} has {} row(s) against {}", t.table, t.target, t.source)).collect();
    if report.source_stats != report.target_stats {
        parts.push("its figures differ".to_owned());
    }
    parts.join(", ")
}

fn source(error: StoreError) -> CopyError {
    CopyError::Store { side: Side::Source, error }
}

fn target(error: StoreError) -> CopyError {
    CopyError::Store { side: Side::Target, error }
}

/// Copies every [`CopyTable`] of `from` into `to`, which must hold no rows, then counts both.
/// Take `to`'s import lock first (and `from`'s, so that no import changes it meanwhile). The
/// target defers the indexes of its empty tables for the copy ([`Store::begin_bulk_load`]) and
/// builds them at the end. Returns the counts when the copy matches its source, else
/// [`CopyError::Mismatch`] with them.
pub async fn copy_store(
    from: &dyn Store,
    to: &dyn Store,
    progress: &dyn CopyProgress,
) -> Result<CopyReport, CopyError> {
    for table in CopyTable::ALL.into_iter().filter(|t| !t.is_state()) {
        let rows = to.copy_count(table).await.map_err(target)?;
        if rows > 0 {
            return Err(CopyError::TargetNotEmpty { table, rows });
        }
    }
    to.begin_bulk_load().await.map_err(target)?;
    let mut writer = to.begin_copy_in().await.map_err(target)?;
    for table in CopyTable::ALL {
        let rows =
            from.copy_count(table).await.map_err(|error| CopyError::Stopped { table, side: Side::Source, error })?;
        progress.table_started(table, rows);
        let copied = copy_table(from, &mut *writer, table, progress)
            .await
            .map_err(|(side, error)| CopyError::Stopped { table, side, error })?;
        progress.table_done(table, copied);
    }
    writer.finish().await.map_err(target)?;
    progress.building_indexes();
    to.end_bulk_load().await.map_err(target)?;

    let mut tables = Vec::with_capacity(CopyTable::ALL.len());
    for table in CopyTable::ALL {
        let source_rows = from.copy_count(table).await.map_err(source)?;
        tables.push(TableCount { table, source: source_rows, target: to.copy_count(table).await.map_err(target)? });
    }
    let source_stats = from.stats().await.map_err(source)?;
    let report = CopyReport { tables, source_stats, target_stats: to.stats().await.map_err(target)? };
    if report.matches() { Ok(report) } else { Err(CopyError::Mismatch(Box::new(report))) }
}

/// Copies one table page by page, reading the next page while the last one is written.
/// Returns how many rows it copied, or which side failed.
async fn copy_table(
    from: &dyn Store,
    writer: &mut dyn CopyWriter,
    table: CopyTable,
    progress: &dyn CopyProgress,
) -> Result<u64, (Side, StoreError)> {
    let limit = table.page_rows();
    let mut page = from.copy_out(table, None, limit).await.map_err(|e| (Side::Source, e))?;
    let mut copied = 0;
    loop {
        let CopyPage { rows, next } = page;
        if rows.is_empty() {
            return Ok(copied);
        }
        let n = rows.len() as u64;
        let read_next = async {
            match &next {
                Some(after) => from.copy_out(table, Some(after), limit).await.map(Some),
                None => Ok(None),
            }
        };
        let (written, read) = both(writer.write(table, rows), read_next).await;
        written.map_err(|e| (Side::Target, e))?;
        copied += n;
        progress.rows_copied(table, copied);
        match read.map_err(|e| (Side::Source, e))? {
            Some(following) => page = following,
            None => return Ok(copied),
        }
    }
}

/// Runs two futures at once on the calling task, until both are done.
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    use std::task::Poll;
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        match (ra.take(), rb.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (ra, rb) = (a, b);
                Poll::Pending
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_copied_once_and_state_last() {
        let names: std::collections::HashSet<&str> = CopyTable::ALL.iter().map(|t| t.name()).collect();
        assert_eq!(names.len(), CopyTable::ALL.len());
        let position = |t: CopyTable| CopyTable::ALL.iter().position(|&x| x == t).expect("listed");
        for (before, after) in [
            (CopyTable::Organisations, CopyTable::MeetingAttendees),
            (CopyTable::Organisations, CopyTable::Feedback),
            (CopyTable::People, CopyTable::MeetingHosts),
            (CopyTable::Meetings, CopyTable::MeetingHosts),
            (CopyTable::Meetings, CopyTable::MeetingProcedures),
            (CopyTable::Meetings, CopyTable::MeetingAttendees),
            (CopyTable::Initiatives, CopyTable::Publications),
            (CopyTable::PositionItems, CopyTable::PositionSentences),
            (CopyTable::PositionSentences, CopyTable::PositionCitations),
        ] {
            assert!(position(before) < position(after), "{before} must come before {after}");
        }
        assert_eq!(CopyTable::ALL.iter().filter(|t| t.is_state()).count(), 1);
        assert!(CopyTable::ALL.last().is_some_and(|t| t.is_state()));
    }

    #[test]
    fn a_mismatch_names_the_tables_that_differ() {
        let count = |table, source, target| TableCount { table, source, target };
        let report = CopyReport {
            tables: vec![count(CopyTable::Meetings, 3, 3), count(CopyTable::Feedback, 12, 11)],
            source_stats: Stats::default(),
            target_stats: Stats::default(),
        };
        assert!(!report.matches());
        assert_eq!(
            CopyError::Mismatch(Box::new(report.clone())).to_string(),
            "the copy does not match its source: feedback has 11 row(s) against 12"
        );
        let figures = CopyReport { target_stats: Stats { meetings: 1, ..Stats::default() }, ..report };
        assert!(CopyError::Mismatch(Box::new(figures)).to_string().ends_with(", its figures differ"));
    }
}
