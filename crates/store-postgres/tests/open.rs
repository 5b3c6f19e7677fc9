//! Opening a PostgreSQL store: several processes starting at once on a new database each find
//! the schema made once; the statement timeout servers set is the server's to enforce.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::time::Duration;

use lobbyscope_store::Store;
use lobbyscope_store_postgres::testing::TestDatabase;
use lobbyscope_store_postgres::{PgOptions, PgStore};

#[tokio::test]
async fn stores_opening_a_new_database_together_all_open_it() {
    let Some(db) = TestDatabase::create().await else { return };
    let opens = (0..4).map(|_| PgStore::open(db.url()));
    let stores = futures_util::future::join_all(opens).await;
    for store in &stores {
        let store = store.as_ref().expect("every one opens");
        assert_eq!(store.stats().await.unwrap().meetings, 0);
    }
    let store = stores[0].as_ref().unwrap();
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(store.pool()).await.unwrap();
    assert_eq!(applied, migrations(), "each migration applied once");
    for store in stores.iter().flatten() {
        store.close().await;
    }
}

#[tokio::test]
async fn a_statement_longer_than_the_timeout_is_cancelled_by_the_server() {
    let Some(db) = TestDatabase::create().await else { return };
    let options = PgOptions { statement_timeout: Some(Duration::from_millis(200)), ..PgOptions::default() };
    let store = PgStore::open_with(db.url(), &options).await.unwrap();
    let slow = sqlx::query("SELECT pg_sleep(2)").execute(store.pool()).await;
    let message = slow.expect_err("cancelled").to_string();
    assert!(message.contains("statement timeout"), "{message}");
    // Ordinary reads stay well within it.
    assert_eq!(store.stats().await.unwrap().organisations, 0);
    store.close().await;
}

/// The migrations this build applies: the files of `migrations/`.
fn migrations() -> i64 {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "sql"))
        .count() as i64
}
