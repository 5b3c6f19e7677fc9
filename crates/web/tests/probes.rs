//! The load balancers' probes: `/healthz` while the process runs, `/readyz` while the database
//! answers with the schema; neither is kept by the page cache.

mod common;

use std::sync::Arc;

use common::get;
use lobbyscope_store_sqlite::SqliteStore;

#[tokio::test]
async fn probes_say_whether_the_process_and_the_database_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("probes.sqlite")).await.unwrap();
    let app = lobbyscope_web::router(Arc::new(store.clone()));
    let health = get(&app, "/healthz").await;
    assert_eq!((health.status.as_u16(), health.body.as_str()), (200, "ok\n"));
    assert_eq!(health.headers["cache-control"], "no-store");
    assert_eq!(health.headers["x-content-type-options"], "nosniff", "the site's headers apply to probes too");
    let ready = get(&app, "/readyz").await;
    assert_eq!((ready.status.as_u16(), ready.body.as_str()), (200, "ready\n"));

    // A database that lost its schema (replaced under a running server) is not ready; the
    // process still is.
    sqlx::query("DROP TABLE data_generation").execute(store.pool()).await.unwrap();
    let ready = get(&app, "/readyz").await;
    assert_eq!(ready.status.as_u16(), 503, "{}", ready.body);
    assert_eq!(get(&app, "/healthz").await.status.as_u16(), 200);
}
