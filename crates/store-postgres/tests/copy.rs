//! A copy between PostgreSQL stores carries every column the schema holds but those the target
//! works out itself, and the target's aggregates come out exact, as after an import: after
//! every contract sequence that writes, copied into a fresh database. On the server
//! `LOBBYSCOPE_TEST_POSTGRES` names (skipped without one, unless `LOBBYSCOPE_REQUIRE_POSTGRES`
//! is set).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_store::{QuietCopy, Store, copy_store};
use lobbyscope_store_contract as contract;
use lobbyscope_store_postgres::PgStore;
use lobbyscope_store_postgres::testing::TestDatabase;
use lobbyscope_store_sql::copy::unaccounted;
use sqlx::PgPool;

async fn rows(pool: &PgPool, sql: &'static str) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
    rows.sort();
    rows
}

/// Every table of the store's schema with its columns, generated ones included.
async fn schema(pool: &PgPool) -> Vec<(String, Vec<String>)> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text FROM information_schema.columns c \
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (table, column) in columns {
        match out.last_mut() {
            Some((t, cols)) if *t == table => cols.push(column),
            _ => out.push((table, vec![column])),
        }
    }
    out
}

#[tokio::test]
async fn a_copy_carries_every_column_the_schema_does_not_derive() {
    let Some(db) = TestDatabase::create().await else { return };
    let store = PgStore::open(db.url()).await.unwrap();
    let schema = schema(store.pool()).await;
    assert!(schema.iter().any(|(t, _)| t == "import_lock_holder"), "{schema:?}");
    assert_eq!(unaccounted(&schema), Vec::<String>::new(), "a new migration's columns must be copied or derived");
    store.close().await;
}

#[tokio::test]
async fn a_copy_keeps_its_aggregates_exact_after_every_writing_sequence() {
    for (name, sequence) in contract::WRITING_SEQUENCES {
        let Some(source_db) = TestDatabase::create().await else { return };
        let Some(target_db) = TestDatabase::create().await else { return };
        let source = PgStore::open(source_db.url()).await.unwrap();
        let target = PgStore::open(target_db.url()).await.unwrap();
        sequence(&source).await;
        copy_store(&source, &target, &QuietCopy).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        for (table, kept, recount) in contract::KEPT_AGGREGATES {
            let copied = rows(target.pool(), kept).await;
            assert_eq!(copied, rows(target.pool(), recount).await, "{name}: {table} of the copy");
            assert_eq!(copied, rows(source.pool(), kept).await, "{name}: {table} as the source keeps it");
        }
        assert_eq!(target.stats().await.unwrap(), source.stats().await.unwrap(), "{name}");
        source.close().await;
        target.close().await;
    }
}
