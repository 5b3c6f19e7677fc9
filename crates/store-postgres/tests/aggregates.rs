//! The aggregates the schema keeps (noted by statement triggers and folded by `stats::settle`,
//! or kept by the triggers alone) equal a recount from the records, table by table, after every
//! contract sequence that writes: the same check as the SQLite store's, with the same queries.
//! One database of its own per sequence on the server `LOBBYSCOPE_TEST_POSTGRES` names (skipped
//! without one, unless `LOBBYSCOPE_REQUIRE_POSTGRES` is set).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_store::Store;
use lobbyscope_store_contract as contract;
use lobbyscope_store_postgres::PgStore;
use lobbyscope_store_postgres::testing::TestDatabase;
use sqlx::PgPool;

async fn rows(pool: &PgPool, sql: &'static str) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap_or_else(|e| panic!("{e}: {sql}"));
    rows.sort();
    rows
}

/// Every aggregate equals its recount.
async fn assert_exact(store: &PgStore, step: &str) {
    for (table, kept, recount) in contract::KEPT_AGGREGATES {
        assert_eq!(rows(store.pool(), kept).await, rows(store.pool(), recount).await, "{step}: {table}");
    }
}

#[tokio::test]
async fn aggregates_equal_a_recount_after_every_writing_sequence() {
    for (name, sequence) in contract::WRITING_SEQUENCES {
        let Some(db) = TestDatabase::create().await else { return };
        let store = PgStore::open(db.url()).await.unwrap();
        sequence(&store).await;
        assert_exact(&store, name).await;
    }
}

/// A linking pass that keeps no organisation removes them all in one statement, so the
/// statement triggers count out every kind of organisation at once. (The SQLite store runs
/// this pass after its migration-fill check.)
#[tokio::test]
async fn a_pass_that_drops_every_organisation_keeps_them_exact() {
    let Some(db) = TestDatabase::create().await else { return };
    let store = PgStore::open(db.url()).await.unwrap();
    contract::kept_counts_match_a_recount(&store).await;
    contract::position_items_round_trip_with_verdicts(&store).await;
    let organisations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM organisations").fetch_one(store.pool()).await.unwrap();
    assert!(organisations > 0, "nothing to drop");
    store.apply_links(&[], &[]).await.unwrap();
    assert_exact(&store, "every organisation dropped").await;
}
