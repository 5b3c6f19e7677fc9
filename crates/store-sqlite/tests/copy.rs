//! A copy between SQLite stores carries every column the schema holds but those the target
//! works out itself, and the target's aggregates come out exact, as after an import: after
//! every contract sequence that writes, copied into a fresh store.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_store::{QuietCopy, Store, copy_store};
use lobbyscope_store_contract as contract;
use lobbyscope_store_sql::copy::unaccounted;
use lobbyscope_store_sqlite::SqliteStore;
use sqlx::SqlitePool;

async fn rows(pool: &SqlitePool, sql: &'static str) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
    rows.sort();
    rows
}

/// Every table with its columns, generated ones included (`table_xinfo`).
async fn schema(pool: &SqlitePool) -> Vec<(String, Vec<String>)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_xinfo(?) ORDER BY cid")
            .bind(&table)
            .fetch_all(pool)
            .await
            .unwrap();
        out.push((table, columns));
    }
    out
}

#[tokio::test]
async fn a_copy_carries_every_column_the_schema_does_not_derive() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("db.sqlite")).await.unwrap();
    let schema = schema(store.pool()).await;
    assert!(schema.iter().any(|(t, c)| t == "meetings" && c.iter().any(|c| c == "quarter")), "{schema:?}");
    assert_eq!(unaccounted(&schema), Vec::<String>::new(), "a new migration's columns must be copied or derived");
}

#[tokio::test]
async fn a_copy_keeps_its_aggregates_exact_after_every_writing_sequence() {
    for (name, sequence) in contract::WRITING_SEQUENCES {
        let dir = tempfile::tempdir().unwrap();
        let source = SqliteStore::open(&dir.path().join("source.sqlite")).await.unwrap();
        let target = SqliteStore::open(&dir.path().join("target.sqlite")).await.unwrap();
        sequence(&source).await;
        copy_store(&source, &target, &QuietCopy).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        for (table, kept, recount) in contract::KEPT_AGGREGATES {
            let copied = rows(target.pool(), kept).await;
            assert_eq!(copied, rows(target.pool(), recount).await, "{name}: {table} of the copy");
            assert_eq!(copied, rows(source.pool(), kept).await, "{name}: {table} as the source keeps it");
        }
        assert_eq!(target.stats().await.unwrap(), source.stats().await.unwrap(), "{name}");
    }
}
