//! A stored row the store cannot read back (edited by hand, written by a newer version) is an
//! error naming its table and column, through the `Store` trait, never a panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_domain::{SourceId, SourceKind};
use lobbyscope_store::{ImportFile, Store, StoreError};
use lobbyscope_store_contract as contract;
use lobbyscope_store_sqlite::SqliteStore;

/// A store holding the contract's records, with the folder it lives in.
async fn filled() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("db.sqlite")).await.unwrap();
    let file = ImportFile {
        file: "all".into(),
        source: SourceKind::RegisterXml,
        sha256: "sha-all".into(),
        imported_at: "2026-11-29T12:00:00Z".into(),
    };
    let mut w = store.begin(&file).await.unwrap();
    w.write(&contract::all_records(), &[]).await.unwrap();
    w.commit().await.unwrap();
    (dir, store)
}

async fn corrupt(store: &SqliteStore, sql: &'static str) {
    sqlx::query(sql).execute(store.pool()).await.unwrap();
}

/// The table and column the error names, and its message.
fn row_error(e: StoreError) -> (&'static str, String, String) {
    let message = e.to_string();
    match e {
        StoreError::Row { table, column, .. } => (table, column, message),
        other => panic!("not a row error: {other:?}"),
    }
}

#[tokio::test]
async fn a_malformed_value_names_its_table_and_column() {
    let (_dir, store) = filled().await;
    corrupt(&store, "UPDATE register_entries SET last_update_date = 'not a date'").await;
    let err = store.source("register:953701819437-32:2018-10-25:goals").await.unwrap_err();
    let (table, column, message) = row_error(err);
    assert_eq!((table, column.as_str()), ("register_entries", "last_update_date"));
    assert!(message.starts_with("cannot read register_entries.last_update_date: \"not a date\""), "{message}");
}

#[tokio::test]
async fn a_value_of_the_wrong_type_names_its_table_and_column() {
    let (_dir, store) = filled().await;
    corrupt(&store, "UPDATE meetings SET subject = x'00ff'").await;
    let (table, column, message) = row_error(store.latest_activity(10).await.unwrap_err());
    assert_eq!((table, column.as_str()), ("meetings", "subject"));
    assert!(message.starts_with("cannot read meetings.subject: "), "{message}");
}

/// Columns read by position are named, not numbered.
#[tokio::test]
async fn a_column_read_by_position_is_named() {
    let (_dir, store) = filled().await;
    corrupt(&store, "UPDATE meeting_attendees SET position = -1 WHERE position = 1").await;
    let (table, column, message) = row_error(store.link_inputs().await.unwrap_err());
    assert_eq!((table, column.as_str()), ("meeting_attendees", "position"));
    assert_eq!(message, "cannot read meeting_attendees.position: -1 is out of range");
}

#[tokio::test]
async fn an_unknown_kind_names_its_table_and_column() {
    let (_dir, store) = filled().await;
    corrupt(&store, "UPDATE people SET kind = 'alien'").await;
    let (table, column, message) =
        row_error(store.person(&lobbyscope_store::PersonKey::Mep(197431)).await.unwrap_err());
    assert_eq!((table, column.as_str()), ("people", "kind"));
    assert_eq!(message, "cannot read people.kind: \"alien\": unknown person kind");
}

#[tokio::test]
async fn a_malformed_meeting_date_names_its_table_and_column() {
    let (_dir, store) = filled().await;
    corrupt(&store, "UPDATE meetings SET date = 'not a date' WHERE institution = 'parliament'").await;
    let filter = lobbyscope_store::ActivityFilter { limit: 10, ..Default::default() };
    let err = store.person_activity(&lobbyscope_store::PersonKey::Mep(197431), &filter).await;
    let (table, column, message) = row_error(err.unwrap_err());
    assert_eq!((table, column.as_str()), ("meetings", "date"));
    assert!(message.starts_with("cannot read meetings.date: \"not a date\": "), "{message}");
}

#[tokio::test]
async fn a_key_in_no_known_form_names_its_table_and_column() {
    let (_dir, store) = filled().await;
    corrupt(&store, "UPDATE feedback SET org_key = 'n:Internet Society'").await;
    let (table, column, message) = row_error(store.response(2_665_651).await.unwrap_err());
    assert_eq!((table, column.as_str()), ("feedback", "org_key"));
    assert_eq!(message, "cannot read feedback.org_key: \"n:Internet Society\": not an organisation key");
}

/// A store holding the Register's and the Parliament's health.
async fn with_health() -> (tempfile::TempDir, SqliteStore) {
    let (dir, store) = filled().await;
    for (source, seed) in [(SourceId::Register, 4), (SourceId::Parliament, 7)] {
        let health = contract::synced_health(source, "2026-12-07T01:00:00Z", seed);
        store.save_source_health(&health).await.unwrap();
    }
    (dir, store)
}

#[tokio::test]
async fn a_source_health_row_of_an_unknown_source_names_it() {
    let (_dir, store) = with_health().await;
    corrupt(&store, "UPDATE source_health SET source = 'xx' WHERE source = 'ep'").await;
    let (table, column, message) = row_error(store.source_health().await.unwrap_err());
    assert_eq!((table, column.as_str()), ("source_health", "source"));
    assert_eq!(message, "cannot read source_health.source: \"xx\": not a known source");
}

#[tokio::test]
async fn a_source_health_row_with_bad_warnings_or_times_names_its_source() {
    let (_dir, store) = with_health().await;
    corrupt(&store, "UPDATE source_health SET warnings = '[\"unfinished' WHERE source = 'ep'").await;
    let (table, column, message) = row_error(store.source_health().await.unwrap_err());
    assert_eq!((table, column.as_str()), ("source_health", "warnings"));
    assert!(message.starts_with("cannot read source_health.warnings: \"[\\\"unfinished\": "), "{message}");
    assert!(message.ends_with(" (the row of source ep)"), "{message}");

    corrupt(&store, "UPDATE source_health SET warnings = '{\"a\": 1}' WHERE source = 'ep'").await;
    let (_, column, message) = row_error(store.source_health().await.unwrap_err());
    assert_eq!(column, "warnings", "a JSON value that is no list of strings: {message}");

    corrupt(&store, "UPDATE source_health SET warnings = '[]'").await;
    corrupt(&store, "UPDATE source_health SET last_success = 'yesterday' WHERE source = 'tr'").await;
    let (_, column, message) = row_error(store.source_health().await.unwrap_err());
    assert_eq!(column, "last_success");
    assert!(message.starts_with("cannot read source_health.last_success: \"yesterday\": "), "{message}");
    assert!(message.ends_with(" (the row of source tr)"), "{message}");

    corrupt(&store, "UPDATE source_health SET last_success = NULL, bytes = -1 WHERE source = 'tr'").await;
    let (_, column, message) = row_error(store.source_health().await.unwrap_err());
    assert_eq!(message, "cannot read source_health.bytes: -1 is negative (the row of source tr)");
    assert_eq!(column, "bytes");
}

/// What the search index reads goes through the same reader.
#[tokio::test]
async fn a_malformed_import_time_or_document_row_names_its_table_and_column() {
    let (_dir, store) = filled().await;
    corrupt(&store, "UPDATE import_files SET imported_at = 'yesterday'").await;
    let (table, column, message) = row_error(store.imported_through().await.unwrap_err());
    assert_eq!((table, column.as_str()), ("import_files", "imported_at"));
    assert!(message.starts_with("cannot read import_files.imported_at: \"yesterday\": "), "{message}");

    corrupt(&store, "UPDATE people SET kind = 'alien'").await;
    let (table, column, message) = row_error(store.person_documents(None, 10).await.unwrap_err());
    assert_eq!((table, column.as_str()), ("people", "kind"));
    assert_eq!(message, "cannot read people.kind: \"alien\": unknown person kind");

    corrupt(&store, "UPDATE organisations SET commission = -1").await;
    let (table, column, message) = row_error(store.organisation_documents(None, 10).await.unwrap_err());
    assert_eq!((table, column.as_str()), ("organisations", "commission"));
    assert_eq!(message, "cannot read organisations.commission: -1 is negative");
}
