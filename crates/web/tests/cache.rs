//! Rendered pages are kept until the data changes, and browsers can revalidate them.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{get, repo, store_with};
use lobbyscope_ingest::{Quiet, import_paths};
use tower::ServiceExt;

#[tokio::test]
async fn a_page_is_served_again_until_an_import_changes_the_data() {
    // Meetings that name the Internet Society without its ID (the subset's other rows give the
    // name beside the ID, which the linker would learn from).
    let rows = tempfile::tempdir().unwrap();
    let subset = std::fs::read_to_string(repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv")).unwrap();
    let without_ids: Vec<&str> = subset.lines().filter(|l| !l.contains("953701819437-32")).collect();
    let csv = rows.path().join("search-meetings.csv");
    std::fs::write(&csv, without_ids.join("\n") + "\n").unwrap();
    let (_dir, store) = store_with(&[csv]).await;
    let store = Arc::new(store);
    let app = lobbyscope_web::router(store.clone());

    // Before the register is imported, "Internet Society (ISOC)" is an unregistered organisation.
    let before = get(&app, "/org/n:internet-society-isoc").await;
    assert_eq!(before.status, 200, "{}", before.body);
    let tag = before.headers.get(header::ETAG).expect("an ETag").clone();
    let again = get(&app, "/org/n:internet-society-isoc").await;
    assert_eq!(again.body, before.body);
    assert_eq!(again.headers.get(header::ETAG), Some(&tag));
    assert!(again.headers.get("content-security-policy").is_some(), "kept answers keep the security headers");

    let revalidate = Request::get("/org/n:internet-society-isoc")
        .header(header::IF_NONE_MATCH, tag.clone())
        .body(Body::empty())
        .unwrap();
    let not_modified = app.clone().oneshot(revalidate).await.unwrap();
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);
    // As a proxy that compressed the answer hands the tag back (weak), and among others.
    for given in [format!("W/{}", tag.to_str().unwrap()), format!("\"other\", {}", tag.to_str().unwrap())] {
        let revalidate = Request::get("/org/n:internet-society-isoc")
            .header(header::IF_NONE_MATCH, given.as_str())
            .body(Body::empty())
            .unwrap();
        assert_eq!(app.clone().oneshot(revalidate).await.unwrap().status(), StatusCode::NOT_MODIFIED, "{given}");
    }
    let stale =
        Request::get("/org/n:internet-society-isoc").header(header::IF_NONE_MATCH, "W/\"g0\"").body(Body::empty());
    assert_eq!(app.clone().oneshot(stale.unwrap()).await.unwrap().status(), StatusCode::OK);

    // The register links the name to its ID: the old page must go.
    let report = import_paths(store.as_ref(), &[repo("fixtures/register/ODP_2018-10_relaid_subset30.xml.gz")], &Quiet)
        .await
        .unwrap();
    assert!(report.full_relink);
    // The generation is read again at most once a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let after = get(&app, "/org/n:internet-society-isoc").await;
    assert_eq!(after.status, 404, "the unregistered organisation is gone once linked");
    let registered = get(&app, "/org/953701819437-32").await;
    assert_eq!(registered.status, 200);
    assert_ne!(registered.headers.get(header::ETAG), Some(&tag));
}
