//! Bulk loads on SQLite: the indexes of empty tables are really dropped, and built again as
//! they were, also by a later process when the one that began the load was killed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use lobbyscope_store::Store;
use lobbyscope_store_sqlite::SqliteStore;

async fn indexes(store: &SqliteStore) -> Vec<(String, String)> {
    sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn deferred_indexes_come_back_as_they_were_after_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bulk.sqlite");
    let store = SqliteStore::open(&path).await.unwrap();
    let before = indexes(&store).await;
    assert!(before.iter().any(|(name, _)| name == "feedback_by_org_date"));

    assert!(store.begin_bulk_load().await.unwrap());
    let during = indexes(&store).await;
    for gone in ["feedback_by_org_date", "feedback_by_date", "meeting_attendees_by_org", "person_meetings_by_date"] {
        assert!(!during.iter().any(|(name, _)| name == gone), "{gone} is kept during the load");
    }
    assert!(
        during.iter().any(|(name, _)| name == "meetings_by_natural_key"),
        "the import matches meetings by it, so it stays"
    );
    // Begun again (a rerun after a kill that came before any record): nothing more to defer,
    // nothing lost.
    assert!(!store.begin_bulk_load().await.unwrap());
    store.close().await;
    drop(store);

    // The process that began the load is gone; the next one finishes it.
    let store = SqliteStore::open(&path).await.unwrap();
    assert!(store.end_bulk_load().await.unwrap());
    assert_eq!(indexes(&store).await, before);
    assert!(!store.end_bulk_load().await.unwrap());
}

/// The connection that builds the indexes may have read the schema before another dropped
/// them: every connection of the pool reads before the load begins, and the load still ends.
#[tokio::test]
async fn indexes_are_built_on_a_connection_that_saw_them_dropped_elsewhere() {
    for _ in 0..8 {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("bulk.sqlite")).await.unwrap();
        let before = indexes(&store).await;
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut conn = store.pool().acquire().await.unwrap();
            sqlx::query("SELECT count(*) FROM feedback").fetch_one(&mut *conn).await.unwrap();
            held.push(conn);
        }
        drop(held);
        assert!(store.begin_bulk_load().await.unwrap());
        assert!(store.end_bulk_load().await.unwrap());
        assert_eq!(indexes(&store).await, before);
    }
}
