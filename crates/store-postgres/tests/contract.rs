//! The store contract, run against the PostgreSQL backend: one database of its own per test on
//! the server `LOBBYSCOPE_TEST_POSTGRES` names (skipped without one, unless
//! `LOBBYSCOPE_REQUIRE_POSTGRES` is set).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_store::Store;
use lobbyscope_store_contract::{Fixture, store_contract_tests};
use lobbyscope_store_postgres::PgStore;
use lobbyscope_store_postgres::testing::TestDatabase;

struct Fresh {
    store: PgStore,
    // Dropped after the store's pool.
    _db: TestDatabase,
}

impl Fixture for Fresh {
    fn store(&self) -> &dyn Store {
        &self.store
    }

    async fn refuse_a_text(&self) {
        // SQLSTATE 22000, a data exception, as a value at fault raises.
        let sql = format!(
            "CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.text = '{}' THEN RAISE EXCEPTION 'refused for the test' USING ERRCODE = '22000'; END IF; \
             RETURN NEW; END $$",
            lobbyscope_store_contract::REFUSED_TEXT
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(self.store.pool()).await.unwrap();
        sqlx::raw_sql(
            "CREATE TRIGGER refuse_for_test BEFORE INSERT ON feedback FOR EACH ROW EXECUTE FUNCTION refuse_for_test()",
        )
        .execute(self.store.pool())
        .await
        .unwrap();
    }
}

async fn fresh() -> Option<Fresh> {
    let db = TestDatabase::create().await?;
    let store = PgStore::open(db.url()).await.unwrap();
    Some(Fresh { store, _db: db })
}

store_contract_tests!(fresh);

#[tokio::test]
async fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let Some(db) = TestDatabase::create().await else { return };
    {
        let store = PgStore::open(db.url()).await.unwrap();
        lobbyscope_store_contract::duplicates_within_a_batch_count_once(&store).await;
        store.close().await;
    }
    let store = PgStore::open(db.url()).await.unwrap();
    assert_eq!(store.stats().await.unwrap().meetings, 1);
    let applied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(store.pool()).await.unwrap();
    assert_eq!(applied, migrations());
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
