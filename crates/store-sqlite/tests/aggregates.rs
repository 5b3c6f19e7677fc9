//! The aggregates of migrations 0007 (noted by triggers, folded by `stats::settle`), 0008 and
//! 0010 (kept by triggers) equal a recount from the records, table by table, after every contract
//! sequence that writes; and a store filled before the migrations gets them filled by them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_store::Store;
use lobbyscope_store_contract as contract;
use lobbyscope_store_sqlite::SqliteStore;
use sqlx::SqlitePool;

async fn rows(pool: &SqlitePool, sql: &'static str) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
    rows.sort();
    rows
}

/// Every aggregate equals its recount.
async fn assert_exact(store: &SqliteStore, step: &str) {
    for (table, kept, recount) in contract::KEPT_AGGREGATES {
        assert_eq!(rows(store.pool(), kept).await, rows(store.pool(), recount).await, "{step}: {table}");
    }
}

/// The contract's sequences that write records, links, corrections, organisations and
/// position items, each on a fresh store, each checked after it ran.
#[tokio::test]
async fn aggregates_equal_a_recount_after_every_writing_sequence() {
    for (name, sequence) in contract::WRITING_SEQUENCES {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db.sqlite")).await.unwrap();
        sequence(&store).await;
        assert_exact(&store, name).await;
    }
}

/// What migrations 0007, 0008 and 0010 added, taken away again, as in a store made before them.
const UNDO_0007: &[&str] = &[
    "DELETE FROM _sqlx_migrations WHERE version IN (7, 8, 10)",
    "DROP TABLE person_meetings",
    "DROP TABLE procedure_meetings",
    "DROP TABLE org_meetings",
    "DROP TABLE org_quarters",
    "DROP TABLE org_names",
    "DROP TABLE agg_log",
    "DROP TABLE agg_meetings",
    "DROP TABLE publication_counts",
    "DROP TABLE record_counts",
    "DROP TABLE register_snapshots",
    "DROP INDEX organisations_by_name",
    "DROP INDEX organisations_by_activity",
    "DROP INDEX organisations_by_commission",
    "DROP INDEX organisations_by_parliament",
    "DROP INDEX organisations_by_responses",
    "DROP INDEX feedback_by_org_date",
    "DROP INDEX feedback_by_publication_date",
    "DROP INDEX position_items_shown",
    "DROP INDEX import_files_by_time",
    "ALTER TABLE organisations DROP COLUMN sort_name",
    "CREATE INDEX feedback_by_org ON feedback (org_key)",
    "CREATE INDEX feedback_by_publication ON feedback (publication_id)",
    "ALTER TABLE organisations DROP COLUMN total",
    "ALTER TABLE organisations DROP COLUMN commission",
    "ALTER TABLE organisations DROP COLUMN parliament",
    "ALTER TABLE organisations DROP COLUMN responses",
    "ALTER TABLE meetings DROP COLUMN quarter",
    "ALTER TABLE feedback DROP COLUMN quarter",
];

/// A store filled before migrations 0007, 0008 and 0010 gets its aggregates from them, as exact as
/// those kept since.
#[tokio::test]
async fn the_migration_fills_the_aggregates_of_a_filled_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        contract::kept_counts_match_a_recount(&store).await;
        contract::position_items_round_trip_with_verdicts(&store).await;
        let triggers: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert!(!triggers.is_empty());
        for t in triggers {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {t}"))).execute(store.pool()).await.unwrap();
        }
        for sql in UNDO_0007 {
            sqlx::query(*sql).execute(store.pool()).await.unwrap();
        }
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let filled: i64 = sqlx::query_scalar("SELECT count(*) FROM org_quarters").fetch_one(store.pool()).await.unwrap();
    assert!(filled > 0, "the migration ran again");
    assert_exact(&store, "migrated").await;
    // And the triggers it made keep them so: a pass that drops every organisation.
    store.apply_links(&[], &[]).await.unwrap();
    assert_exact(&store, "every organisation dropped after the migration").await;
}
