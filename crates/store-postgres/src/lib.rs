//! The PostgreSQL store: one database that several `serve` processes read while one node
//! imports into it.
//!
//! The schema is the SQLite store's (lobbyscope-store-sql reads the rows of both), in
//! PostgreSQL's terms (migrations/0001_schema.sql). Writes go through multi-row INSERTs inside
//! one transaction per file or import session; imports take a session advisory lock (`lock`),
//! so that they run one at a time and a killed importer releases it.

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
pub mod testing;
mod write;

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
use lobbyscope_store_sql::{Cols, health, keys, map, rows};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// PostgreSQL binds at most 65,535 parameters per statement; batches stay well below.
pub(crate) const MAX_BINDS: usize = 30_000;

/// How a PostgreSQL store is reached.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections each process keeps open at most.
    pub max_connections: u32,
    /// How long one statement may run before the server cancels it; `None`: no limit. Pages
    /// set one so that a slow query cannot hold a connection for ever; imports do not.
    pub statement_timeout: Option<Duration>,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions { max_connections: 8, statement_timeout: None }
    }
}

pub(crate) fn db_err(e: sqlx::Error) -> StoreError {
    if lobbyscope_store_sql::is_unavailable(&e) {
        return StoreError::Unavailable(e.to_string());
    }
    if let sqlx::Error::Database(d) = &e
        && d.code().as_deref().is_some_and(is_refusal)
    {
        return StoreError::Refused(d.message().to_owned());
    }
    // query_canceled: the statement timeout (or an operator) stopped it.
    if let sqlx::Error::Database(d) = &e
        && d.code().as_deref() == Some("57014")
    {
        return StoreError::TooSlow(d.message().to_owned());
    }
    StoreError::Database(e.to_string())
}

/// SQLSTATE classes 22 (data exception: text with a NUL or invalid bytes, a value out of
/// range) and 23 (integrity constraint), and 54000 (a value over a limit, such as an index
/// entry too large): the values written, not the database, are at fault.
fn is_refusal(sqlstate: &str) -> bool {
    sqlstate.starts_with("22") || sqlstate.starts_with("23") || sqlstate == "54000"
}

/// Whether `db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user@host/db`) and brings its schema up
    /// to date.
    pub async fn open(url: &str) -> Result<PgStore> {
        PgStore::open_with(url, &PgOptions::default()).await
    }

    pub async fn open_with(url: &str, options: &PgOptions) -> Result<PgStore> {
        // The URL may hold a password: messages name the database without it.
        let shown = redacted(url);
        let open_err = |reason: String| StoreError::Open { path: shown.clone(), reason };
        // Every statement of ours reads by index, mostly index-only; the planner's default cost
        // of a random page (4.0, for spinning disks) had it sort all 56,000 organisations for
        // a deep page of the list instead of stepping through the index that holds it.
        let mut connect = PgConnectOptions::from_str(url)
            .map_err(|e| open_err(e.to_string()))?
            .options([("random_page_cost", "1.1")]);
        if let Some(timeout) = options.statement_timeout {
            connect = connect.options([("statement_timeout", format!("{}ms", timeout.as_millis()))]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(connect)
            .await
            .map_err(|e| open_err(e.to_string()))?;
        // The migrator holds an advisory lock while it works, so several processes starting at
        // once apply each migration once.
        MIGRATOR.run(&pool).await.map_err(|e| open_err(format!("migrating the schema: {e}")))?;
        Ok(PgStore { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The pool, for tests and tools that look at the database directly.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// What the search index reads.
    fn documents(&self) -> Documents<Reader<'_, Postgres>> {
        Documents(Reader { pool: &self.pool, err: db_err })
    }
}

/// `url` without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| rest.split_once('@').map(|(user, host)| (scheme, user, host)))
    {
        Some((scheme, user, host)) => {
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_owned(),
    }
}

#[async_trait]
impl Store for PgStore {
    async fn begin(&self, file: &ImportFile) -> Result<Box<dyn FileWriter>> {
        let tx = self.pool.begin().await.map_err(db_err)?;
        Ok(Box::new(write::PgWriter::new(tx, vec![file.clone()])))
    }

    async fn begin_session(&self) -> Result<Box<dyn ImportSession>> {
        let tx = self.pool.begin().await.map_err(db_err)?;
        Ok(Box::new(write::PgSession::new(tx)))
    }

    async fn published_aliases(&self) -> Result<Vec<Alias>> {
        self.documents().published_aliases().await
    }

    async fn registered_names(&self) -> Result<Vec<RegisteredName>> {
        let rows = sqlx::query(
            "SELECT register_id, name, acronym, snapshot_date FROM register_entries ORDER BY register_id, snapshot_date",
        )
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
        let row = sqlx::query("SELECT key, register_id, name, acronym FROM organisations WHERE key = $1")
            .bind(keys::org_key(key))
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(|r| map::organisation(&Cols::new(r, "organisations"))).transpose()
    }

    async fn organisation_view(&self, key: &OrgKey) -> Result<Option<OrganisationView>> {
        let Some(organisation) = self.organisation(key).await? else { return Ok(None) };
        let mut register = Vec::new();
        if let Some(id) = &organisation.register_id {
            let rows = sqlx::query("SELECT * FROM register_entries WHERE register_id = $1 ORDER BY snapshot_date DESC")
                .bind(id.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
            for r in &rows {
                register.push(map::register_entry(&Cols::new(r, "register_entries"))?);
            }
        }
        let published_names = read_org::published_names(&self.pool, &keys::org_key(key), &organisation.name).await?;
        Ok(Some(OrganisationView { organisation, register, published_names }))
    }

    async fn organisation_activity(&self, key: &OrgKey, filter: &ActivityFilter) -> Result<ActivityPage> {
        read_org::activity(&self.pool, &keys::org_key(key), filter).await
    }

    async fn meeting(&self, id: &MeetingId) -> Result<Option<MeetingView>> {
        let Some(mut meeting) = read::meetings_by_ids(&self.pool, &[id.to_string()]).await?.pop() else {
            return Ok(None);
        };
        meeting.history = Some(read::meeting_history(&self.pool, id).await?);
        Ok(Some(meeting))
    }

    async fn response(&self, id: u64) -> Result<Option<ResponseView>> {
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        Ok(read::responses_by_ids(&self.pool, &[id]).await?.pop())
    }

    async fn person(&self, key: &PersonKey) -> Result<Option<lobbyscope_store::PersonView>> {
        read_people::person(&self.pool, &keys::person_key(key)).await
    }

    async fn person_activity(&self, key: &PersonKey, filter: &ActivityFilter) -> Result<ActivityPage> {
        read_people::person_activity(&self.pool, &keys::person_key(key), filter).await
    }

    async fn procedure_activity(&self, reference: &str, filter: &ActivityFilter) -> Result<ActivityPage> {
        read_people::procedure_activity(&self.pool, reference, filter).await
    }

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
        read::meetings_by_ids(&self.pool, &ids).await
    }

    async fn responses(&self, ids: &[u64]) -> Result<Vec<ResponseView>> {
        // An id past `i64` is none stored.
        let ids: Vec<i64> = ids.iter().filter_map(|id| i64::try_from(*id).ok()).collect();
        read::responses_by_ids(&self.pool, &ids).await
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
        positions::positions_by_ids(&self.pool, ids).await
    }

    async fn text_response_ids(&self, since: Option<&str>, after: Option<u64>, limit: u32) -> Result<Vec<u64>> {
        self.documents().text_response_ids(since, after, limit).await
    }

    async fn attachment_texts(&self, ids: &[u64]) -> Result<Vec<lobbyscope_store::SourceTextRecord>> {
        self.documents().attachment_texts(ids).await
    }

    async fn initiative(&self, id: u64) -> Result<Option<lobbyscope_store::InitiativeView>> {
        read_lists::initiative(&self.pool, id).await
    }

    async fn initiative_responses(&self, id: u64, offset: u32, limit: u32) -> Result<lobbyscope_store::ResponsePage> {
        read_lists::initiative_responses(&self.pool, id, offset, limit).await
    }

    async fn find_organisations(&self, query: &str, limit: u32) -> Result<Vec<lobbyscope_store::OrganisationHit>> {
        read_lists::find_organisations(&self.pool, query, limit).await
    }

    async fn latest_activity(&self, limit: u32) -> Result<Vec<lobbyscope_store::Activity>> {
        read_lists::latest_activity(&self.pool, limit).await
    }

    async fn organisations_list(
        &self,
        sort: lobbyscope_store::OrgSort,
        offset: u32,
        limit: u32,
    ) -> Result<lobbyscope_store::OrganisationList> {
        lobbyscope_store_sql::lists::organisations_list(&read_lists::Lists(&self.pool), sort, offset, limit).await
    }

    async fn organisations_after(
        &self,
        sort: lobbyscope_store::OrgSort,
        after: &OrgKey,
        limit: u32,
    ) -> Result<lobbyscope_store::OrganisationList> {
        let after = keys::org_key(after);
        lobbyscope_store_sql::lists::organisations_after(&read_lists::Lists(&self.pool), sort, &after, limit).await
    }

    async fn organisations_among(
        &self,
        keys: &[OrgKey],
        sort: lobbyscope_store::OrgSort,
        offset: u32,
        limit: u32,
    ) -> Result<lobbyscope_store::OrganisationList> {
        lobbyscope_store_sql::lists::organisations_among(&read_lists::Lists(&self.pool), keys, sort, offset, limit)
            .await
    }

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
        positions::position_item(&self.pool, id).await
    }

    async fn source(&self, id: &str) -> Result<Option<lobbyscope_store::SourceView>> {
        positions::source(&self.pool, id).await
    }

    async fn mark_listing(&self, listing: &lobbyscope_store::Listing) -> Result<lobbyscope_store::ListingMarks> {
        listing::mark_listing(&self.pool, listing).await
    }

    async fn withdrawn_since(
        &self,
        kind: lobbyscope_store::ListedKind,
        record: &str,
    ) -> Result<Option<chrono::NaiveDate>> {
        listing::withdrawn_since(&self.pool, kind, record).await
    }

    async fn data_generation(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT generation FROM data_generation").fetch_one(&self.pool).await.map_err(db_err)
    }

    async fn save_source_health(&self, health: &SourceHealth) -> Result<()> {
        let row = health::health_row(health)?;
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        rows::bind_vals(sqlx::query(health::SAVE_SOURCE_HEALTH), row).execute(&mut *tx).await.map_err(db_err)?;
        bump_generation(&mut tx).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn source_health(&self) -> Result<Vec<SourceHealth>> {
        let rows = sqlx::query(health::SOURCE_HEALTH).fetch_all(&self.pool).await.map_err(db_err)?;
        health::read_all(&rows)
    }

    async fn begin_relink(&self) -> Result<Box<dyn Relinker>> {
        let tx = self.pool.begin().await.map_err(db_err)?;
        Ok(Box::new(relink::PgRelinker::new(tx).await?))
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
        lock::try_lock(&self.pool, me).await
    }

    async fn lock_for_import(&self, me: &LockHolder) -> Result<ImportGuard> {
        lock::lock(&self.pool, me).await
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
        Ok(Box::new(copy::PgCopyWriter::new(self.pool.clone())))
    }

    async fn stats(&self) -> Result<Stats> {
        let rows = sqlx::query("SELECT name, n FROM record_counts").fetch_all(&self.pool).await.map_err(db_err)?;
        let mut counts: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for r in &rows {
            let c = Cols::new(r, "record_counts");
            counts.insert(c.get(0)?, c.get(1)?);
        }
        let last_import = sqlx::query_scalar::<_, Option<String>>("SELECT max(imported_at) FROM import_files")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        let register_snapshots: i64 = sqlx::query_scalar("SELECT count(*) FROM register_snapshots")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(map::stats(&counts, register_snapshots, last_import))
    }
}

/// Marks the data as changed, inside the transaction that changes it. The row's lock also
/// orders writers: two transactions writing records commit one after the other.
pub(crate) async fn bump_generation(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::query("UPDATE data_generation SET generation = generation + 1").execute(conn).await.map_err(db_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use lobbyscope_store::StoreError;

    use super::{PgOptions, PgStore, db_err};
    use crate::testing::TestDatabase;

    #[tokio::test]
    async fn a_statement_past_the_timeout_is_stopped_as_too_slow() {
        let Some(db) = TestDatabase::create().await else { return };
        let options = PgOptions { statement_timeout: Some(Duration::from_millis(200)), ..PgOptions::default() };
        let store = PgStore::open_with(db.url(), &options).await.unwrap();
        let stopped = sqlx::query("SELECT pg_sleep(30)").execute(store.pool()).await.map_err(db_err);
        assert!(matches!(stopped, Err(StoreError::TooSlow(_))), "{stopped:?}");
        store.close().await;
        let read = lobbyscope_store::Store::stats(&store).await;
        assert!(matches!(read, Err(StoreError::Unavailable(_))), "{read:?}");
    }

    #[test]
    fn urls_are_shown_without_their_password() {
        assert_eq!(super::redacted("postgres://me:secret@db.example/lobby"), "postgres://me@db.example/lobby");
        assert_eq!(super::redacted("postgres://me@localhost/x?host=/tmp"), "postgres://me@localhost/x?host=/tmp");
        assert_eq!(super::redacted("postgres://localhost/x"), "postgres://localhost/x");
        assert!(super::is_postgres_url("postgresql://localhost/x"));
        assert!(!super::is_postgres_url("/var/lib/lobbyscope.sqlite"));
    }
}
