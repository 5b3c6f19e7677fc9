//! The store contract, run against the SQLite backend.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_store::Store;
use lobbyscope_store_contract::{Fixture, store_contract_tests};
use lobbyscope_store_sqlite::SqliteStore;

/// A store in a folder of its own, removed with it.
struct Fresh {
    _dir: tempfile::TempDir,
    store: SqliteStore,
}

impl Fixture for Fresh {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    async fn refuse_a_text(&self) {
        // RAISE(ABORT) is SQLITE_CONSTRAINT, as a value at fault is.
        let sql = format!(
            "CREATE TRIGGER refuse_for_test BEFORE INSERT ON feedback WHEN NEW.text = '{}' \
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END",
            lobbyscope_store_contract::REFUSED_TEXT
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(self.store.pool()).await.unwrap();
    }
}

async fn fresh() -> Option<Fresh> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("nested/dir/test.sqlite")).await.unwrap();
    Some(Fresh { _dir: dir, store })
}

store_contract_tests!(fresh);

#[tokio::test]
async fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        lobbyscope_store_contract::duplicates_within_a_batch_count_once(&store).await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(store.stats().await.unwrap().meetings, 1);
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.pool()).await.unwrap();
    assert_eq!(mode, "wal");
}
