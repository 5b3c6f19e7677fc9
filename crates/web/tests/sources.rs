//! `/sources` and `/api/sources` through the real router: each source's health as the syncs
//! left it in the store, never-synced sources said to be so, late ones marked late at the
//! request's time (a clock given to the router, never the wall clock), hostile text in an
//! error or a warning shown as text, and answers the page cache never keeps.
//!
//! To accept a deliberate change of the snapshots: `INSTA_UPDATE=always cargo test -p
//! lobbyscope-web --test sources`, then read the diff of the `.snap` files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use common::{Reply, get, visible_text};
use lobbyscope_domain::SourceId;
use lobbyscope_store::{RunFigures, SourceHealth, Store};
use lobbyscope_store_sqlite::SqliteStore;
use tower::ServiceExt;

/// The time of every request here.
const NOW: &str = "2026-12-07T12:00:00Z";

const PAYLOAD: &str = "<script>alert(1)</script> \"><img src=x onerror=alert(1)> '><svg onload=alert(1)> \
                       </title><a href=\"javascript:alert(1)\">x</a> {{7*7}}";

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn empty_store() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("web.sqlite")).await.unwrap();
    (dir, Arc::new(store))
}

fn app_at(store: Arc<SqliteStore>, now: &'static str) -> Router {
    lobbyscope_web::router_at(store, &lobbyscope_web::Limits::default(), Arc::new(move || at(now)))
}

fn figures(seed: u64) -> RunFigures {
    RunFigures {
        requests: seed,
        bytes: seed * 1_234_567,
        records_seen: seed * 1000,
        new: seed * 10,
        updated: seed * 5,
        unchanged: seed * 985,
        withdrawn: seed,
        took_ms: seed * 61_500,
    }
}

/// The register synced this morning; the Commission synced yesterday, failing since with
/// hostile text in its error and warnings; the Parliament late; Have Your Say never synced.
async fn save_health(store: &dyn Store) {
    let register = SourceHealth {
        source: SourceId::Register,
        last_attempt: Some(at("2026-12-07T03:00:00Z")),
        last_success: Some(at("2026-12-07T03:00:00Z")),
        last_error: None,
        run: figures(2),
        warnings: vec![],
    };
    let commission = SourceHealth {
        source: SourceId::Commission,
        last_attempt: Some(at("2026-12-07T09:30:00Z")),
        last_success: Some(at("2026-12-06T09:30:00Z")),
        last_error: Some(format!("the export answered 503: {PAYLOAD}\nsecond line")),
        run: figures(3),
        warnings: vec![
            "the window 2026-11-01 to 2026-11-07 holds 1,000 rows, the export's cap: split it".into(),
            format!("a column this version does not read: {PAYLOAD}"),
        ],
    };
    let parliament = SourceHealth {
        source: SourceId::Parliament,
        last_attempt: Some(at("2026-12-07T04:00:00Z")),
        last_success: Some(at("2026-11-28T04:00:00Z")),
        last_error: Some("connection refused".into()),
        run: figures(1),
        warnings: vec![],
    };
    for h in [register, commission, parliament] {
        store.save_source_health(&h).await.unwrap();
    }
}

fn ok(reply: &Reply, uri: &str, kind: &str) {
    assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
    let given = reply.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap();
    assert!(given.starts_with(kind), "{uri}: {given}");
}

/// Each source's section of the page, by its heading's id, as a reader sees it.
fn section(html: &str, code: &str) -> String {
    let start = html.find(&format!("<h2 id=\"source-{code}\">")).unwrap_or_else(|| panic!("no section {code}"));
    let rest = &html[start..];
    visible_text(&rest[..rest.find("</section>").unwrap()])
}

#[tokio::test]
async fn a_store_no_sync_wrote_says_every_source_was_never_synced() {
    let (_dir, store) = empty_store().await;
    let app = app_at(store, NOW);
    let page = get(&app, "/sources").await;
    ok(&page, "/sources", "text/html");
    let html = &page.body;
    let text = visible_text(html);
    assert!(text.contains("How up to date each source is"), "{text}");
    let mut at = 0;
    for source in SourceId::ALL {
        let heading = html[at..].find(&format!("<h2 id=\"source-{}\">", source.code())).map(|i| i + at);
        at = heading.unwrap_or_else(|| panic!("{source} is not after the sources before it"));
        let shown = section(html, source.code());
        assert!(shown.starts_with(source.title()), "{shown}");
        assert!(
            shown.contains(
                "Never fetched automatically by this site: any of its records here come from files imported by hand."
            ),
            "{shown}"
        );
        assert!(!shown.contains("Records found") && !shown.contains("Late"), "no figures, no lateness: {shown}");
        assert!(html.contains(&format!("<a href=\"{}\">", source.official_page())), "{source}'s official page");
    }

    let api = get(&app, "/api/sources").await;
    ok(&api, "/api/sources", "application/json");
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    assert_eq!(json["as_of"], NOW);
    let sources = json["sources"].as_array().unwrap();
    let codes: Vec<&str> = sources.iter().map(|s| s["source"].as_str().unwrap()).collect();
    assert_eq!(codes, ["tr", "ec", "ep", "hys"]);
    for s in sources {
        assert_eq!(s["synced"], false);
        assert_eq!(s["late"], false);
        for field in ["last_attempt", "last_success", "last_error", "run"] {
            assert!(s[field].is_null(), "{field}: {s}");
        }
        assert_eq!(s["warnings"], serde_json::json!([]));
    }
}

#[tokio::test]
async fn every_page_links_to_the_sources_page() {
    let (_dir, store) = empty_store().await;
    let app = app_at(store, NOW);
    for uri in ["/", "/orgs", "/about/checking", "/sources"] {
        let page = get(&app, uri).await;
        assert_eq!(page.status, 200, "{uri}");
        assert_eq!(page.body.matches("href=\"/sources\"").count(), 2, "{uri}: in the navigation and the footer");
    }
}

#[tokio::test]
async fn sources_are_marked_late_failed_or_up_to_date_at_the_requests_time() {
    let (_dir, store) = empty_store().await;
    save_health(store.as_ref()).await;
    let app = app_at(store.clone(), NOW);
    let html = get(&app, "/sources").await.body;

    let tr = section(&html, "tr");
    assert!(tr.contains("Up to date."), "{tr}");
    assert!(tr.contains("Last attempt 7 Dec 2026, 03:00 UTC (9 hours ago), succeeded"), "{tr}");
    for figure in [
        "Records found 2,000",
        "New 20",
        "Updated 10",
        "Unchanged 1,970",
        "No longer published 2",
        "Requests to the source 2",
        "Data received 2.5 MB",
        "Time taken 2 min 3 s",
    ] {
        assert!(tr.contains(figure), "{figure}: {tr}");
    }
    assert!(tr.contains("The last successful fetch noticed nothing unusual."), "{tr}");

    let ec = section(&html, "ec");
    assert!(ec.contains("The last attempt failed ; the last success is within the last 36 hours."), "{ec}");
    assert!(!ec.contains("Late"), "a day old is not late: {ec}");
    assert!(ec.contains("Last success 6 Dec 2026, 09:30 UTC (26 hours ago)"), "{ec}");
    assert!(ec.contains("Why the last attempt failed the export answered 503: <script>"), "{ec}");
    assert!(ec.contains("Records found 3,000"), "the earlier success's figures: {ec}");
    assert!(ec.contains("What the last successful fetch noticed"), "{ec}");

    let ep = section(&html, "ep");
    assert!(ep.contains("Late: no successful fetch in the last 8 days."), "{ep}");
    assert!(ep.contains("Last success 28 Nov 2026, 04:00 UTC (9 days ago)"), "{ep}");
    assert!(ep.contains("Why the last attempt failed connection refused"), "{ep}");

    assert!(section(&html, "hys").contains("Never fetched automatically"));

    let json: serde_json::Value = serde_json::from_str(&get(&app, "/api/sources").await.body).unwrap();
    let late: Vec<(&str, bool, bool)> = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (s["source"].as_str().unwrap(), s["late"].as_bool().unwrap(), s["last_attempt_failed"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(late, [("tr", false, false), ("ec", false, true), ("ep", true, true), ("hys", false, false)]);
    assert_eq!(json["sources"][1]["run"]["records_seen"], 3000);
    assert_eq!(json["sources"][1]["late_after_hours"], 36);
    assert_eq!(json["sources"][2]["late_after_hours"], 192);

    // Two days on, the register is late too, and nothing else changed.
    let later = app_at(store, "2026-12-09T00:00:00Z");
    let html = get(&later, "/sources").await.body;
    assert!(section(&html, "tr").contains("Late: no successful fetch in the last 36 hours."));
}

#[tokio::test]
async fn hostile_text_in_an_error_or_a_warning_is_shown_as_text() {
    let (_dir, store) = empty_store().await;
    save_health(store.as_ref()).await;
    let app = app_at(store, NOW);
    let html = get(&app, "/sources").await.body;
    let lower = html.to_ascii_lowercase();
    for raw in ["<script", "<img", "<svg", "href=\"javascript:", "</title><a"] {
        assert!(!lower.contains(raw), "{raw} in the page");
    }
    assert_eq!(html.matches("<h1>").count(), 1);
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;") || html.contains("&lt;script&gt;"), "escaped");
    let ec = section(&html, "ec");
    assert!(ec.contains(&format!("the export answered 503: {PAYLOAD} second line")), "shown as published: {ec}");
    assert!(ec.contains(&format!("a column this version does not read: {PAYLOAD}")), "{ec}");

    // The JSON carries the text as data, not escaped.
    let json: serde_json::Value = serde_json::from_str(&get(&app, "/api/sources").await.body).unwrap();
    assert_eq!(json["sources"][1]["last_error"], format!("the export answered 503: {PAYLOAD}\nsecond line"));
    assert_eq!(json["sources"][1]["warnings"][1], format!("a column this version does not read: {PAYLOAD}"));
}

#[tokio::test]
async fn the_page_cache_never_keeps_the_sources_page() {
    let (_dir, store) = empty_store().await;
    save_health(store.as_ref()).await;
    // A clock the test moves: the store does not change in between.
    let clock = Arc::new(AtomicI64::new(at(NOW).timestamp()));
    let read = clock.clone();
    let now = Arc::new(move || DateTime::from_timestamp(read.load(Ordering::SeqCst), 0).unwrap());
    let app = lobbyscope_web::router_at(store.clone(), &lobbyscope_web::Limits::default(), now);

    for uri in ["/sources", "/api/sources"] {
        let reply = get(&app, uri).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.headers.get(header::CACHE_CONTROL).unwrap(), "no-store", "{uri}");
        assert!(reply.headers.get(header::ETAG).is_none(), "{uri}: nothing to revalidate by the data generation");
        assert!(reply.headers.get("content-security-policy").is_some(), "{uri}: the security headers");
    }
    let generation = store.data_generation().await.unwrap();
    let revalidate = Request::get("/sources").header(header::IF_NONE_MATCH, format!("\"g{generation}\""));
    let answer = app.clone().oneshot(revalidate.body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK, "the data generation's tag does not revalidate it");

    let tr = |html: &str| section(html, "tr");
    assert!(tr(&get(&app, "/sources").await.body).contains("Up to date."));
    clock.store(at("2026-12-08T16:00:00Z").timestamp(), Ordering::SeqCst);
    assert_eq!(store.data_generation().await.unwrap(), generation, "nothing written");
    let later = get(&app, "/sources").await.body;
    assert!(tr(&later).contains("Late: no successful fetch in the last 36 hours."), "{}", tr(&later));
    assert!(tr(&later).contains("(37 hours ago)"), "{}", tr(&later));
    let json: serde_json::Value = serde_json::from_str(&get(&app, "/api/sources").await.body).unwrap();
    assert_eq!(
        (json["as_of"].as_str(), &json["sources"][0]["late"]),
        (Some("2026-12-08T16:00:00Z"), &serde_json::json!(true))
    );

    // A sync's save shows at once, and moves the generation on for the pages the cache keeps.
    let home = get(&app, "/").await;
    let tag = home.headers.get(header::ETAG).unwrap().clone();
    let synced = SourceHealth {
        last_attempt: Some(at("2026-12-08T15:00:00Z")),
        last_success: Some(at("2026-12-08T15:00:00Z")),
        ..SourceHealth::never(SourceId::HaveYourSay)
    };
    store.save_source_health(&synced).await.unwrap();
    assert!(store.data_generation().await.unwrap() > generation);
    let hys = section(&get(&app, "/sources").await.body, "hys");
    assert!(hys.contains("Up to date.") && hys.contains("(1 hour ago)"), "{hys}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_ne!(get(&app, "/").await.headers.get(header::ETAG), Some(&tag), "the cached pages' tag moved on");
}

#[tokio::test]
async fn sources_page_and_api_snapshots() {
    let (_dir, store) = empty_store().await;
    save_health(store.as_ref()).await;
    let app = app_at(store, NOW);
    let page = get(&app, "/sources").await;
    ok(&page, "/sources", "text/html");
    let api = get(&app, "/api/sources").await;
    ok(&api, "/api/sources", "application/json");
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!("sources_html", page.body);
        insta::assert_json_snapshot!("sources_api_json", json);
    });
}
