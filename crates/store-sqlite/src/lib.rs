//! The embedded store: one SQLite file in WAL mode, migrations compiled in.
//!
//! Writes go through multi-row INSERTs inside one transaction per file; one statement per row
//! is 20-30 times slower on the register export.
//!
//! Several processes may use one file: pages read while an import writes (WAL readers see the
//! last commit), write transactions start with `BEGIN IMMEDIATE` and wait for each other up to
//! [`BUSY_TIMEOUT`], and imports take the import lock (`lock`) so that they run one at a time.

mod bulk;
mod copy;
mod listing;
mod lock;
mod positions;
mod read;
mod read_lists;
mod read_org;
mod read_people;
mod relink;
mod stats;
mod write;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use lobbyscope_domain::MeetingId;
use lobbyscope_store::{
    ActivityFilter, ActivityPage, Alias, FileWriter, ImportFile, ImportGuard, ImportSession, ImportedSince,
    LockAttempt, LockHolder, MeetingView, OrgKey, Organisation, OrganisationDocument, OrganisationView, PersonDocument,
    PersonKey, RegisteredName, Relinker, ResponseView, Result, SourceHealth, Stats, Store, StoreError,
};
use lobbyscope_store_sql::documents::{Documents, Numbered, Reader};
use lobbyscope_store_sql::health::{SAVE_SOURCE_HEALTH, SOURCE_HEALTH};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use crate::cols::Cols;

// Shared with the other SQL backend: the column forms of keys and values, and the row reader.
pub(crate) use lobbyscope_store_sql::{cols, keys, rows};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// SQLite binds at most 32,766 parameters per statement; batches stay well below.
pub(crate) const MAX_BINDS: usize = 30_000;

/// How long a statement waits for another connection's write transaction before giving up
/// with [`StoreError::Busy`]. Imports queue on the import lock instead, so what waits here is
/// `analyze` writing an item while an import writes a file (seconds for the largest file).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(300);

/// The page cache of each connection that reads for pages, in KiB (the writer's is 64 MiB).
const READ_CACHE_KIB: u32 = 8192;

/// How write transactions begin: taking the write lock at once, so that the busy timeout
/// applies. A deferred transaction that reads first and then writes gets `SQLITE_BUSY` at
/// once when another connection wrote in between, and no waiting helps it.
pub(crate) const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

/// The page cache of the writers' connections, in KiB.
pub(crate) const WRITE_CACHE_KIB: u32 = 64 << 10;

/// How a [`SqliteStore`] is opened.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// How long a write waits for another process's write transaction before `Busy`.
    pub busy_timeout: Duration,
    /// How long a page's reading may run on its connection before SQLite stops it (`TooSlow`).
    /// A request that timed out is dropped, but SQLite would go on running its statement on the
    /// connection's thread; this ends it. Imports are never stopped.
    pub statement_timeout: Option<Duration>,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions { busy_timeout: BUSY_TIMEOUT, statement_timeout: None }
    }
}

/// Lets what runs on `conn` from now on run for `timeout`: SQLite calls the handler every
/// thousand or so steps of a statement, and stops the statement once it answers false. Set
/// again each time a page takes the connection from the pool.
async fn stop_statements_after(conn: &mut sqlx::SqliteConnection, timeout: Duration) -> Result<(), sqlx::Error> {
    let deadline = std::time::Instant::now() + timeout;
    conn.lock_handle().await?.set_progress_handler(1000, move || std::time::Instant::now() < deadline);
    Ok(())
}

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if lobbyscope_store_sql::is_unavailable(&e) {
        return StoreError::Unavailable(e.to_string());
    }
    if let sqlx::Error::Database(d) = &e
        && is_busy(d.code().as_deref())
    {
        return StoreError::Busy(format!(
            "another process kept it locked for writing (waited up to {} s); try again when that one has finished",
            BUSY_TIMEOUT.as_secs()
        ));
    }
    if let sqlx::Error::Database(d) = &e
        && is_refusal(d.code().as_deref())
    {
        return StoreError::Refused(d.message().to_owned());
    }
    if let sqlx::Error::Database(d) = &e
        && primary_code(d.code().as_deref()) == Some(SQLITE_INTERRUPT)
    {
        return StoreError::TooSlow(d.message().to_owned());
    }
    StoreError::Database(e.to_string())
}

/// The primary result code of an error's (extended) code: its low byte.
fn primary_code(code: Option<&str>) -> Option<i32> {
    code.and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff)
}

/// What a statement stopped by the progress handler ([`SqliteOptions::statement_timeout`]) ends with.
const SQLITE_INTERRUPT: i32 = 9;

/// `SQLITE_TOOBIG`, `SQLITE_CONSTRAINT` and `SQLITE_MISMATCH` (with their extended codes): the
/// values written, not the database, are at fault.
fn is_refusal(code: Option<&str>) -> bool {
    primary_code(code).is_some_and(|c| matches!(c, 18..=20))
}

/// `SQLITE_BUSY` and its extended codes (`_RECOVERY`, `_SNAPSHOT`, `_TIMEOUT`).
fn is_busy(code: Option<&str>) -> bool {
    primary_code(code) == Some(5)
}

#[derive(Clone)]
pub struct SqliteStore {
    /// Writes, and reads made for them (imports, linking passes, `analyze`).
    pool: SqlitePool,
    /// The pages' reads: connections with a smaller page cache (`READ_CACHE_KIB`).
    read: SqlitePool,
    /// The database file, beside which the import lock lives.
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<SqliteStore> {
        SqliteStore::open_with_busy_timeout(path, BUSY_TIMEOUT).await
    }

    /// [`SqliteStore::open`] with another busy timeout (tests that want `SQLITE_BUSY` soon).
    pub async fn open_with_busy_timeout(path: &Path, busy_timeout: Duration) -> Result<SqliteStore> {
        SqliteStore::open_with(path, &SqliteOptions { busy_timeout, ..SqliteOptions::default() }).await
    }

    pub async fn open_with(path: &Path, given: &SqliteOptions) -> Result<SqliteStore> {
        let busy_timeout = given.busy_timeout;
        let open_err = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| open_err(e.to_string()))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(busy_timeout)
            .foreign_keys(true)
            // Meeting ids are hashes, so index inserts land all over the b-trees; with the
            // default 2 MB page cache a file's transaction spills and re-reads pages.
            .pragma("cache_size", format!("-{WRITE_CACHE_KIB}"))
            .pragma("temp_store", "memory")
            // The writer's multi-row statements come in a few fixed sizes per table (write.rs),
            // more than the default cache holds.
            .statement_cache_capacity(256);
        // Two processes turning a new file into WAL at once: SQLite answers the loser BUSY
        // at once, without its busy handler, so the open is tried again within the timeout.
        let started = std::time::Instant::now();
        let pool = loop {
            // The pool hands out its idle connections in turn, so each would come to hold a full
            // cache: a connection given back lets its cache go (the OS still caches the file,
            // and a transaction's first pages are read again in microseconds). A full import
            // held 64 MB in each of its four.
            let writers = SqlitePoolOptions::new().max_connections(4).after_release(|conn, _| {
                Box::pin(async move {
                    sqlx::query("PRAGMA shrink_memory").execute(&mut *conn).await?;
                    Ok(true)
                })
            });
            match writers.connect_with(options.clone()).await {
                Err(sqlx::Error::Database(e)) if is_busy(e.code().as_deref()) && started.elapsed() < busy_timeout => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => break other.map_err(|e| open_err(e.to_string()))?,
            }
        };
        migrate(&pool).await.map_err(|e| open_err(format!("migrating the schema: {e}")))?;
        // Opened after the migration, so that no reader ever sees an older schema. A page
        // reads a few hundred pages of the file, which the OS keeps cached anyway; four
        // connections with the writer's 64 MB each made `serve` hold a quarter of a gigabyte.
        let mut read = SqlitePoolOptions::new().max_connections(4);
        if let Some(timeout) = given.statement_timeout {
            read = read.after_connect(move |conn, _| Box::pin(stop_statements_after(conn, timeout))).before_acquire(
                move |conn, _| Box::pin(async move { stop_statements_after(conn, timeout).await.map(|()| true) }),
            );
        }
        let read = read
            .connect_with(options.pragma("cache_size", format!("-{READ_CACHE_KIB}")))
            .await
            .map_err(|e| open_err(e.to_string()))?;
        Ok(SqliteStore { pool, read, path: path.to_owned() })
    }

    /// Waits for every connection to finish and close (checkpointing the WAL).
    pub async fn close(&self) {
        self.read.close().await;
        self.pool.close().await;
    }

    /// The pool, for read paths (pages, exports) that are SQLite-specific by nature.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// What the search index reads, through the pages' pool.
    fn documents(&self) -> Documents<Reader<'_, Sqlite>> {
        Documents(Reader { pool: &self.read, err: db_err })
    }

    async fn count(&self, sql: &'static str) -> Result<i64> {
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.read).await.map_err(db_err)
    }
}

/// Applies the migrations the file lacks. Two processes opening a new file at once would both
/// create the schema, and one would fail; so when there is anything to do, it is done inside
/// one `BEGIN IMMEDIATE` transaction (the migrator's own become savepoints), which the other
/// waits for and after which it finds nothing to do. An up-to-date file is only read, so
/// opening one never waits for an import's write transaction.
async fn migrate(pool: &SqlitePool) -> Result<(), sqlx::migrate::MigrateError> {
    // A new file has no migrations table yet: everything is to be done.
    let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .unwrap_or_default();
    let current = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .all(|m| applied.iter().any(|(v, sum)| *v == m.version && *sum == *m.checksum));
    if current {
        return Ok(());
    }
    let mut tx = pool.begin_with(BEGIN_WRITE).await?;
    MIGRATOR.run(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self, file: &ImportFile) -> Result<Box<dyn FileWriter>> {
        let tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        Ok(Box::new(write::SqliteWriter::new(tx, vec![file.clone()])))
    }

    async fn begin_session(&self) -> Result<Box<dyn ImportSession>> {
        let tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        Ok(Box::new(write::SqliteSession::new(tx)))
    }

    async fn published_aliases(&self) -> Result<Vec<Alias>> {
        self.documents().published_aliases().await
    }

    async fn registered_names(&self) -> Result<Vec<RegisteredName>> {
        let rows = sqlx::query("SELECT register_id, name, acronym, snapshot_date FROM register_entries ORDER BY register_id, snapshot_date")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "register_entries");
                Ok(RegisteredName {
                    register_id: c.register_id(0)?,
                    name: c.get(1)?,
                    acronym: c.get(2)?,
                    snapshot_date: c.date(3)?,
                })
            })
            .collect()
    }

    async fn organisation(&self, key: &OrgKey) -> Result<Option<Organisation>> {
        let row = sqlx::query("SELECT key, register_id, name, acronym FROM organisations WHERE key = ?")
            .bind(keys::org_key(key))
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        row.as_ref().map(read_lists::organisation).transpose()
    }

    async fn organisation_view(&self, key: &OrgKey) -> Result<Option<OrganisationView>> {
        let Some(organisation) = self.organisation(key).await? else { return Ok(None) };
        let mut register = Vec::new();
        if let Some(id) = &organisation.register_id {
            let rows = sqlx::query("SELECT * FROM register_entries WHERE register_id = ? ORDER BY snapshot_date DESC")
                .bind(id.as_str())
                .fetch_all(&self.read)
                .await
                .map_err(db_err)?;
            for r in &rows {
                register.push(lobbyscope_store_sql::map::register_entry(&Cols::new(r, "register_entries"))?);
            }
        }
        let published_names = read_org::published_names(&self.read, &keys::org_key(key), &organisation.name).await?;
        Ok(Some(OrganisationView { organisation, register, published_names }))
    }

    async fn organisation_activity(&self, key: &OrgKey, filter: &ActivityFilter) -> Result<ActivityPage> {
        read_org::activity(&self.read, &keys::org_key(key), filter).await
    }

    async fn meeting(&self, id: &MeetingId) -> Result<Option<MeetingView>> {
        let Some(mut meeting) = read::meetings_by_ids(&self.read, &[id.to_string()]).await?.pop() else {
            return Ok(None);
        };
        meeting.history = Some(read::meeting_history(&self.read, id).await?);
        Ok(Some(meeting))
    }

    async fn response(&self, id: u64) -> Result<Option<ResponseView>> {
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        Ok(read::responses_by_ids(&self.read, &[id]).await?.pop())
    }

    // --- people and procedures (MEP, Commission official, procedure pages) ---

    async fn person(&self, key: &PersonKey) -> Result<Option<lobbyscope_store::PersonView>> {
        read_people::person(&self.read, &keys::person_key(key)).await
    }

    async fn person_activity(&self, key: &PersonKey, filter: &ActivityFilter) -> Result<ActivityPage> {
        read_people::person_activity(&self.read, &keys::person_key(key), filter).await
    }

    async fn procedure_activity(&self, reference: &str, filter: &ActivityFilter) -> Result<ActivityPage> {
        read_people::procedure_activity(&self.read, reference, filter).await
    }

    // --- end people and procedures ---

    // --- what the search index reads (`lobbyscope-index`; `documents`) ---

    async fn imported_through(&self) -> Result<Option<ImportedSince>> {
        self.documents().imported_through().await
    }

    async fn meeting_ids(
        &self,
        since: Option<ImportedSince>,
        after: Option<&MeetingId>,
        limit: u32,
    ) -> Result<Vec<MeetingId>> {
        self.documents().meeting_ids(since, after, limit).await
    }

    async fn response_ids(&self, since: Option<ImportedSince>, after: Option<u64>, limit: u32) -> Result<Vec<u64>> {
        self.documents().numbered_ids(Numbered::Responses, since, after, limit).await
    }

    async fn initiative_ids(&self, since: Option<ImportedSince>, after: Option<u64>, limit: u32) -> Result<Vec<u64>> {
        self.documents().numbered_ids(Numbered::Initiatives, since, after, limit).await
    }

    async fn meetings(&self, ids: &[MeetingId]) -> Result<Vec<MeetingView>> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let mut meetings = Vec::with_capacity(ids.len());
        // Each of its statements binds every id of the chunk.
        for chunk in ids.chunks(MAX_BINDS) {
            meetings.extend(read::meetings_by_ids(&self.read, chunk).await?);
        }
        Ok(meetings)
    }

    async fn responses(&self, ids: &[u64]) -> Result<Vec<ResponseView>> {
        // An id past `i64` is none stored.
        let ids: Vec<i64> = ids.iter().filter_map(|id| i64::try_from(*id).ok()).collect();
        let mut responses = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_BINDS) {
            responses.extend(read::responses_by_ids(&self.read, chunk).await?);
        }
        Ok(responses)
    }

    async fn organisation_documents(&self, after: Option<&OrgKey>, limit: u32) -> Result<Vec<OrganisationDocument>> {
        self.documents().organisation_documents(after, limit).await
    }

    async fn person_documents(&self, after: Option<&PersonKey>, limit: u32) -> Result<Vec<PersonDocument>> {
        self.documents().person_documents(after, limit).await
    }

    async fn analysed_through(&self) -> Result<lobbyscope_store::AnalysedThrough> {
        self.documents().analysed_through().await
    }

    async fn position_ids(&self, after: Option<&str>, limit: u32) -> Result<Vec<String>> {
        self.documents().position_ids(after, limit).await
    }

    async fn positions(&self, ids: &[String]) -> Result<Vec<lobbyscope_store::PositionItemView>> {
        positions::positions_by_ids(&self.read, ids).await
    }

    async fn text_response_ids(&self, since: Option<&str>, after: Option<u64>, limit: u32) -> Result<Vec<u64>> {
        self.documents().text_response_ids(since, after, limit).await
    }

    async fn attachment_texts(&self, ids: &[u64]) -> Result<Vec<lobbyscope_store::SourceTextRecord>> {
        self.documents().attachment_texts(ids).await
    }

    // --- end what the search index reads ---

    // --- consultations, home page and lists ---

    async fn initiative(&self, id: u64) -> Result<Option<lobbyscope_store::InitiativeView>> {
        read_lists::initiative(&self.read, id).await
    }

    async fn initiative_responses(&self, id: u64, offset: u32, limit: u32) -> Result<lobbyscope_store::ResponsePage> {
        read_lists::initiative_responses(&self.read, id, offset, limit).await
    }

    async fn find_organisations(&self, query: &str, limit: u32) -> Result<Vec<lobbyscope_store::OrganisationHit>> {
        read_lists::find_organisations(&self.read, query, limit).await
    }

    async fn latest_activity(&self, limit: u32) -> Result<Vec<lobbyscope_store::Activity>> {
        read_lists::latest_activity(&self.read, limit).await
    }

    async fn organisations_list(
        &self,
        sort: lobbyscope_store::OrgSort,
        offset: u32,
        limit: u32,
    ) -> Result<lobbyscope_store::OrganisationList> {
        read_lists::organisations_list(&self.read, sort, offset, limit).await
    }

    async fn organisations_after(
        &self,
        sort: lobbyscope_store::OrgSort,
        after: &OrgKey,
        limit: u32,
    ) -> Result<lobbyscope_store::OrganisationList> {
        read_lists::organisations_after(&self.read, sort, &keys::org_key(after), limit).await
    }

    async fn organisations_among(
        &self,
        keys: &[OrgKey],
        sort: lobbyscope_store::OrgSort,
        offset: u32,
        limit: u32,
    ) -> Result<lobbyscope_store::OrganisationList> {
        read_lists::organisations_among(&self.read, keys, sort, offset, limit).await
    }

    // --- end consultations, home page and lists ---

    // --- position items ---

    async fn position_orgs(&self) -> Result<Vec<OrgKey>> {
        positions::position_orgs(&self.pool).await
    }

    async fn position_inputs(&self, org: &OrgKey) -> Result<Option<lobbyscope_store::PositionInputs>> {
        let Some(organisation) = self.organisation(org).await? else { return Ok(None) };
        positions::position_inputs(&self.pool, organisation).await.map(Some)
    }

    async fn save_source_text(&self, text: &lobbyscope_store::SourceTextRecord) -> Result<()> {
        positions::save_source_text(&self.pool, text).await
    }

    async fn position_status(&self, ids: &[String]) -> Result<Vec<(String, lobbyscope_store::ItemStatus)>> {
        positions::position_status(&self.pool, ids).await
    }

    async fn save_position_item(&self, item: &lobbyscope_store::NewPositionItem) -> Result<()> {
        positions::save_position_item(&self.pool, item).await
    }

    async fn retire_position_items(&self, org: &OrgKey, groups: &[String]) -> Result<u64> {
        positions::retire_position_items(&self.pool, org, groups).await
    }

    async fn position_item(&self, id: &str) -> Result<Option<lobbyscope_store::PositionDetail>> {
        positions::position_item(&self.read, id).await
    }

    async fn source(&self, id: &str) -> Result<Option<lobbyscope_store::SourceView>> {
        positions::source(&self.read, id).await
    }

    // --- end position items ---

    async fn mark_listing(&self, listing: &lobbyscope_store::Listing) -> Result<lobbyscope_store::ListingMarks> {
        listing::mark_listing(&self.pool, listing).await
    }

    async fn withdrawn_since(
        &self,
        kind: lobbyscope_store::ListedKind,
        record: &str,
    ) -> Result<Option<chrono::NaiveDate>> {
        listing::withdrawn_since(&self.read, kind, record).await
    }

    async fn data_generation(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT generation FROM data_generation").fetch_one(&self.read).await.map_err(db_err)
    }

    async fn save_source_health(&self, health: &SourceHealth) -> Result<()> {
        let row = lobbyscope_store_sql::health::health_row(health)?;
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        rows::bind_vals(sqlx::query(SAVE_SOURCE_HEALTH), row).execute(&mut *tx).await.map_err(db_err)?;
        bump_generation(&mut tx).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn source_health(&self) -> Result<Vec<SourceHealth>> {
        let rows = sqlx::query(SOURCE_HEALTH).fetch_all(&self.read).await.map_err(db_err)?;
        lobbyscope_store_sql::health::read_all(&rows)
    }

    async fn begin_relink(&self) -> Result<Box<dyn Relinker>> {
        let tx = self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        Ok(Box::new(relink::SqliteRelinker::new(tx).await?))
    }

    async fn relink_pending(&self) -> Result<bool> {
        sqlx::query_scalar("SELECT relink <> 0 FROM pending_work").fetch_one(&self.pool).await.map_err(db_err)
    }

    async fn begin_bulk_load(&self) -> Result<bool> {
        Ok(bulk::begin(&self.pool).await? > 0)
    }

    async fn end_bulk_load(&self) -> Result<bool> {
        Ok(bulk::end(&self.pool).await? > 0)
    }

    async fn try_lock_for_import(&self, me: &LockHolder) -> Result<LockAttempt> {
        lock::try_lock(&self.path, me).await
    }

    async fn lock_for_import(&self, me: &LockHolder) -> Result<ImportGuard> {
        lock::lock(&self.path, me).await
    }

    async fn copy_out(
        &self,
        table: lobbyscope_store::CopyTable,
        after: Option<&lobbyscope_store::CopyCursor>,
        limit: usize,
    ) -> Result<lobbyscope_store::CopyPage> {
        copy::copy_out(&self.pool, table, after, limit).await
    }

    async fn copy_count(&self, table: lobbyscope_store::CopyTable) -> Result<u64> {
        copy::copy_count(&self.pool, table).await
    }

    async fn begin_copy_in(&self) -> Result<Box<dyn lobbyscope_store::CopyWriter>> {
        Ok(Box::new(copy::SqliteCopyWriter::new(self.pool.clone())))
    }

    async fn stats(&self) -> Result<Stats> {
        // Kept by the triggers of migration 0007: counting two million responses on every
        // home page took tens of milliseconds, the meetings per institution a full scan.
        let rows = sqlx::query("SELECT name, n FROM record_counts").fetch_all(&self.read).await.map_err(db_err)?;
        let mut counts: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for r in &rows {
            let c = Cols::new(r, "record_counts");
            counts.insert(c.get(0)?, c.get(1)?);
        }
        let last_import = sqlx::query_scalar::<_, Option<String>>("SELECT max(imported_at) FROM import_files")
            .fetch_one(&self.read)
            .await
            .map_err(db_err)?;
        let register_snapshots = self.count("SELECT count(*) FROM register_snapshots").await?;
        Ok(lobbyscope_store_sql::map::stats(&counts, register_snapshots, last_import))
    }
}

/// Marks the data as changed, inside the transaction that changes it.
pub(crate) async fn bump_generation(conn: &mut sqlx::SqliteConnection) -> Result<()> {
    sqlx::query("UPDATE data_generation SET generation = generation + 1").execute(conn).await.map_err(db_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lobbyscope_store::{Store, StoreError};

    use super::{SqliteOptions, SqliteStore, db_err};

    /// Counts without end: only an interruption stops it.
    const ENDLESS: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    /// Counts to three million: some hundreds of milliseconds.
    const LONG: &str =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) SELECT count(*) FROM c";

    #[tokio::test]
    async fn a_page_read_past_the_statement_timeout_is_stopped_and_its_connection_serves_again() {
        let dir = tempfile::tempdir().unwrap();
        let timeout = Duration::from_millis(200);
        let options = SqliteOptions { statement_timeout: Some(timeout), ..SqliteOptions::default() };
        let store = SqliteStore::open_with(&dir.path().join("t.sqlite"), &options).await.unwrap();
        // More reads than the pool has connections: each connection is armed again when
        // taken, not only when made.
        for _ in 0..6 {
            let stopped = sqlx::query_scalar::<_, i64>(ENDLESS).fetch_one(&store.read).await.map_err(db_err);
            assert!(matches!(stopped, Err(StoreError::TooSlow(_))), "{stopped:?}");
        }
        // Past the deadlines those connections were given, they read again.
        tokio::time::sleep(timeout * 2).await;
        assert_eq!(store.stats().await.unwrap().organisations, 0);
        // The writer's connections (imports) are never stopped.
        let counted: i64 = sqlx::query_scalar(LONG).fetch_one(&store.pool).await.unwrap();
        assert_eq!(counted, 3_000_000);
    }

    #[tokio::test]
    async fn a_closed_store_is_unavailable_not_broken() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.sqlite")).await.unwrap();
        store.close().await;
        let read = store.stats().await;
        assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    }

    #[tokio::test]
    async fn without_a_statement_timeout_nothing_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.sqlite")).await.unwrap();
        let counted: i64 = sqlx::query_scalar(LONG).fetch_one(&store.read).await.unwrap();
        assert_eq!(counted, 3_000_000);
    }
}
