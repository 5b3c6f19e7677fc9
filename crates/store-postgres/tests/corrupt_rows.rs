//! A stored row the store cannot read back (edited by hand, written by a newer version) is an
//! error naming its table, column and row, never a panic: the health rows, read by the same
//! code as SQLite's (whose `tests/corrupt_rows.rs` edits every kind of row). On the server
//! `LOBBYSCOPE_TEST_POSTGRES` names (skipped without one, unless `LOBBYSCOPE_REQUIRE_POSTGRES`
//! is set).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_domain::SourceId;
use lobbyscope_store::{Store, StoreError};
use lobbyscope_store_contract as contract;
use lobbyscope_store_postgres::PgStore;
use lobbyscope_store_postgres::testing::TestDatabase;

#[tokio::test]
async fn a_source_health_row_of_an_unknown_source_or_with_bad_warnings_names_it() {
    let Some(db) = TestDatabase::create().await else { return };
    let store = PgStore::open(db.url()).await.unwrap();
    for source in [SourceId::Register, SourceId::HaveYourSay] {
        store.save_source_health(&contract::synced_health(source, "2026-12-07T01:00:00Z", 4)).await.unwrap();
    }
    let row_error = |e: StoreError| {
        let message = e.to_string();
        match e {
            StoreError::Row { table, column, .. } => (table, column, message),
            other => panic!("not a row error: {other:?}"),
        }
    };

    sqlx::query("UPDATE source_health SET source = 'xx' WHERE source = 'hys'").execute(store.pool()).await.unwrap();
    let (table, column, message) = row_error(store.source_health().await.unwrap_err());
    assert_eq!((table, column.as_str()), ("source_health", "source"));
    assert_eq!(message, "cannot read source_health.source: \"xx\": not a known source");

    sqlx::query("UPDATE source_health SET source = 'hys', warnings = 'not json' WHERE source = 'xx'")
        .execute(store.pool())
        .await
        .unwrap();
    let (_, column, message) = row_error(store.source_health().await.unwrap_err());
    assert_eq!(column, "warnings");
    assert!(message.starts_with("cannot read source_health.warnings: \"not json\": "), "{message}");
    assert!(message.ends_with(" (the row of source hys)"), "{message}");
    store.close().await;
}

/// What the search index reads goes through the same reader.
#[tokio::test]
async fn a_malformed_import_time_names_its_table_and_column() {
    let Some(db) = TestDatabase::create().await else { return };
    let store = PgStore::open(db.url()).await.unwrap();
    contract::duplicates_within_a_batch_count_once(&store).await;
    sqlx::query("UPDATE import_files SET imported_at = 'yesterday'").execute(store.pool()).await.unwrap();
    match store.imported_through().await.unwrap_err() {
        StoreError::Row { table, column, reason } => {
            assert_eq!((table, column.as_str()), ("import_files", "imported_at"));
            assert!(reason.starts_with("\"yesterday\": "), "{reason}");
        }
        other => panic!("not a row error: {other:?}"),
    }
    store.close().await;
}
