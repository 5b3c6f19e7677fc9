//! `/search`, `/api/search`, `/search.csv` and `/api/suggest` through the real router, over the
//! demo data with its search index built as `lobbyscope index` builds it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use common::{get, repo, store_with, visible_text};
use lobbyscope_index::{Quiet, SearchIndex};
use lobbyscope_store::{LockHolder, Store};
use tokio::sync::OnceCell;

struct Site {
    _dir: tempfile::TempDir,
    app: Router,
}

async fn site() -> &'static Site {
    static SITE: OnceCell<Site> = OnceCell::const_new();
    SITE.get_or_init(|| async {
        let (dir, store) = store_with(&[repo("demo")]).await;
        // What `lobbyscope demo` writes besides: position items, and an attachment's text.
        let options = lobbyscope_analysis::RunOptions::default();
        let quiet = lobbyscope_analysis::run::Quiet;
        lobbyscope_analysis::analyze(&store, &lobbyscope_analysis::Extractive, &options, &quiet).await.unwrap();
        let response = store.response_ids(None, None, 1).await.unwrap()[0];
        store
            .save_source_text(&lobbyscope_store::SourceTextRecord {
                id: format!("attachment:{response}:0901"),
                response_id: response,
                file: "annex.pdf".into(),
                file_sha256: "ab".repeat(32),
                extractor: "pdftotext".into(),
                text: format!("{} Annex: on zyxomancy and the open Internet.", "Preamble. ".repeat(100)),
                extracted_at: "2026-12-07T10:00:00Z".into(),
            })
            .await
            .unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let index = SearchIndex::open(&dir.path().join("index")).unwrap();
        index.update(&*store, &LockHolder::this_process("test"), &Quiet).await.unwrap();
        let app = lobbyscope_web::router_searching(
            store,
            Some(Arc::new(index)),
            &lobbyscope_web::Limits::default(),
            Arc::new(chrono::Utc::now),
        );
        Site { _dir: dir, app }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_search_page_shows_hits_with_marked_words_facets_and_links_into_their_timelines() {
    let s = site().await;
    let r = get(&s.app, "/search?q=encryption").await;
    assert_eq!(r.status, StatusCode::OK);
    let text = visible_text(&r.body);
    assert!(text.contains("results, best matches first"), "{text}");
    assert!(r.body.contains("<mark>encryption</mark>") || r.body.contains("<mark>Encryption</mark>"), "marked words");
    assert!(r.body.contains("href=\"/org/953701819437-32?year="), "a hit links to the Internet Society's timeline");
    assert!(r.body.contains("#meeting-"), "at the meeting's anchor");
    assert!(text.contains("Kind") && text.contains("Meetings"), "the kind facet");
    // The anchor a hit links to is on the organisation's page.
    let first = r.body.split("href=\"/org/953701819437-32?year=").nth(1).unwrap();
    let (query, anchor) = first.split_once('"').unwrap().0.split_once('#').unwrap();
    let org = get(&s.app, &format!("/org/953701819437-32?year={query}")).await;
    assert!(org.body.contains(&format!("id=\"{anchor}\"")), "{anchor} on the timeline");
    // A facet narrows, and its link keeps the query.
    let narrowed = get(&s.app, "/search?q=encryption&kind=organisation").await;
    assert_eq!(narrowed.status, StatusCode::OK);
    assert!(narrowed.body.contains("(remove)"));
}

#[tokio::test(flavor = "multi_thread")]
async fn position_items_and_attachment_texts_are_found_in_their_context() {
    let s = site().await;
    let r = get(&s.app, "/search?q=internet&kind=position").await;
    assert_eq!(r.status, StatusCode::OK);
    let text = visible_text(&r.body);
    assert!(text.contains("Position summary"), "{text}");
    assert!(text.contains("Summary of the stated position of Internet Society"), "{text}");
    assert!(r.body.contains("href=\"/position/"), "a hit opens the item with the checker's verdicts");
    let first = r.body.split("href=\"/org/953701819437-32?year=").nth(1).expect("a link into the timeline");
    let (query, anchor) = first.split_once('"').unwrap().0.split_once('#').unwrap();
    assert!(anchor.starts_with("position-"), "{anchor}");
    let org = get(&s.app, &format!("/org/953701819437-32?year={query}")).await;
    assert!(org.body.contains(&format!("id=\"{anchor}\"")), "{anchor} on the timeline");

    // A word only in an attachment's text finds its response, the snippet cut from that text.
    let r = get(&s.app, "/api/search?q=zyxomancy").await;
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let hits = json["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{json}");
    assert_eq!(hits[0]["kind"], "response");
    let marked: Vec<&str> = hits[0]["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["marked"] == true)
        .filter_map(|p| p["text"].as_str())
        .collect();
    assert_eq!(marked, ["zyxomancy"]);
}

/// `/orgs?q=` narrows the list through the index (a word of an organisation's register goals
/// finds it), keeps its sorts, counts and pages, and is answered afresh rather than kept by
/// the store's generation, since the index may move on after it.
#[tokio::test(flavor = "multi_thread")]
async fn the_organisations_list_is_filtered_by_the_index() {
    let s = site().await;
    let all = get(&s.app, "/api/orgs").await;
    let all: serde_json::Value = serde_json::from_str(&all.body).unwrap();
    let r = get(&s.app, "/api/orgs?q=internet&sort=name").await;
    assert_eq!(r.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let total = json["total"].as_u64().unwrap();
    assert!(total >= 1 && total < all["total"].as_u64().unwrap(), "{total}");
    assert_eq!(json["q"], "internet");
    let names: Vec<&str> = json["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| lobbyscope_domain::fold_words(n));
    assert_eq!(names, sorted, "sorted by name");
    let busiest: serde_json::Value = serde_json::from_str(&get(&s.app, "/api/orgs?q=internet").await.body).unwrap();
    let rows = busiest["rows"].as_array().unwrap();
    assert!(rows.iter().any(|r| r["register_id"] == "953701819437-32"), "the Internet Society matches");
    let totals: Vec<u64> = rows.iter().map(|r| r["total"].as_u64().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "most active first: {totals:?}");
    // The Internet Society's goals: "Promote the open development, evolution and use of the Internet".
    let goals: serde_json::Value =
        serde_json::from_str(&get(&s.app, "/api/orgs?q=%22open+development%22").await.body).unwrap();
    assert!(goals["rows"].as_array().unwrap().iter().any(|r| r["register_id"] == "953701819437-32"), "{goals}");

    let page = get(&s.app, "/orgs?q=internet").await;
    let text = visible_text(&page.body);
    assert!(text.contains(&format!("{total} organisations match “internet”")), "{text}");
    assert!(page.body.contains("value=\"internet\""), "the box holds the filter");
    assert!(page.body.contains("href=\"/orgs?q=internet&#38;sort=name\""), "sorting keeps the filter");
    assert!(page.headers.get("etag").is_none(), "not kept by the store's generation");
    assert!(get(&s.app, "/orgs").await.headers.get("etag").is_some(), "the whole list is");
    let csv = get(&s.app, "/orgs.csv?q=internet").await;
    assert_eq!(csv.body.lines().count() as u64, total + 1, "a header and every match");
    let none = get(&s.app, "/orgs?q=zzqqxxnothing").await;
    assert!(visible_text(&none.body).contains("0 organisations match"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_gives_totals_facets_and_hits_and_the_csv_the_same_hits() {
    let s = site().await;
    let r = get(&s.app, "/api/search?q=%22Digital+Services+Act%22&institution=European+Parliament").await;
    assert_eq!(r.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let total = json["total"].as_u64().unwrap();
    assert!(total > 100);
    assert_eq!(json["index_current"], true);
    let kinds: u64 = json["facets"]["kind"].as_array().unwrap().iter().map(|v| v["count"].as_u64().unwrap()).sum();
    assert_eq!(kinds, total, "facet counts add up");
    let hits = json["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 20);
    assert!(hits.iter().all(|h| h["kind"] == "meeting" && h["href"].as_str().unwrap().starts_with("/meeting/")));
    let csv = get(&s.app, "/search.csv?q=%22Digital+Services+Act%22&institution=European+Parliament").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
    let rows = csv.body.lines().count() as u64;
    assert_eq!(rows, total + 1, "a header and every hit");
    assert!(csv.body.starts_with("kind,date,title,who,url,context_url,snippet"));
}

#[tokio::test(flavor = "multi_thread")]
async fn suggestions_find_names_with_a_typo() {
    let s = site().await;
    let r = get(&s.app, "/api/suggest?q=internt+soc").await;
    assert_eq!(r.status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let hrefs: Vec<&str> =
        json["suggestions"].as_array().unwrap().iter().map(|s| s["href"].as_str().unwrap()).collect();
    assert!(hrefs.contains(&"/org/953701819437-32"), "{hrefs:?}");
    let by_id = get(&s.app, "/search?q=953701819437-32").await;
    assert_eq!(by_id.status, StatusCode::SEE_OTHER);
    assert_eq!(by_id.headers["location"], "/org/953701819437-32");
    // An old link to the home page's name search opens the search page.
    let old = get(&s.app, "/?q=internet+society").await;
    assert_eq!(old.status, StatusCode::SEE_OTHER);
    assert_eq!(old.headers["location"], "/search?q=internet+society");
    let mep = get(&s.app, "/api/suggest?q=breyer").await;
    assert!(mep.body.contains("\"href\":\"/mep/197431\""), "{}", mep.body);
    // The search page lists matching names above the hits.
    let page = get(&s.app, "/search?q=breyer").await;
    assert!(visible_text(&page.body).contains("Names that match"));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_queries_get_a_page_never_a_server_error_and_stay_inert() {
    let s = site().await;
    for q in [
        "%22unclosed",
        "title%3A%5Ba+TO+z%5D",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "((((",
        "NOT",
        "%00",
        "*",
        "-",
        "%22%22*",
    ] {
        let r = get(&s.app, &format!("/search?q={q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}");
        assert!(!r.body.contains("<script>"), "{q}");
        let api = get(&s.app, &format!("/api/search?q={q}")).await;
        assert_eq!(api.status, StatusCode::OK, "{q}");
    }
    let ranges = get(&s.app, "/search?q=title%3A%5Ba+TO+z%5D").await;
    assert!(visible_text(&ranges.body).contains("not searches this site offers"));
    for bad in ["/search?kind=planet", "/search?q=a&year=20x2", "/search?q=a&sort=best", "/search?q=a&page=0"] {
        assert_eq!(get(&s.app, bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let long = "a".repeat(501);
    assert_eq!(get(&s.app, &format!("/search?q={long}")).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_index_the_page_says_so() {
    let (_dir, store) = store_with(&[repo("demo/have_your_say")]).await;
    let app = lobbyscope_web::router(Arc::new(store));
    let r = get(&app, "/search?q=encryption").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(visible_text(&r.body).contains("its search index has not been built"));
    assert_eq!(get(&app, "/api/search?q=encryption").await.status, StatusCode::NOT_FOUND);
}
