//! Snapshots of the key pages over the real demo data: the Internet Society's page, one of its
//! Commission meetings, one of its consultation responses, and the JSON twin of its page; and,
//! with the position items of `common::demo_with_positions`, an item's page and the page of the
//! response it cites with the first passage highlighted, each with its JSON twin.
//!
//! What varies between runs is redacted, nothing else: the import time (`imported_at`), and the
//! checkout's location in the file paths the JSON gives as provenance (CI clones elsewhere).
//! To accept a deliberate change: `INSTA_UPDATE=always cargo test -p lobbyscope-web --test
//! snapshots` (or `cargo insta review`), then read the diff of the `.snap` files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use common::{EXTRACTIVE_ITEM, ISOC, Reply, demo_app, get, positions_app};

/// The Internet Society's response to "International Digital Strategy" (21 May 2025); the
/// demo's synthetic feedback id (demo/have_your_say/README.md).
const RESPONSE: &str = "900000021";

fn ok_html(reply: Reply, uri: &str) -> String {
    assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
    let kind = reply.headers.get("content-type").unwrap().to_str().unwrap();
    assert!(kind.starts_with("text/html"), "{uri}: {kind}");
    reply.body
}

/// The provenance block shows when the record was imported: the only part of a page that
/// changes from one import to the next.
fn html_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"<dt>Imported</dt><dd>[^<]*</dd>", "<dt>Imported</dt><dd>[imported_at]</dd>");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// The id of the Canenbley/Stengg meeting of 30 Jun 2022, read from the API, not guessed.
async fn canenbley_meeting_id(app: &axum::Router) -> String {
    let api = get(app, &format!("/api/org/{ISOC}")).await;
    let json: serde_json::Value = serde_json::from_str(&api.body).unwrap();
    let found: Vec<&serde_json::Value> = json["activity"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["kind"] == "meeting"
                && i["date"] == "2022-06-30"
                && i["hosts"].as_array().unwrap().iter().any(|h| h["name"] == "Christiane Canenbley")
        })
        .collect();
    assert_eq!(found.len(), 1, "exactly one Canenbley meeting on 30 Jun 2022");
    let id = found[0]["id"].as_str().unwrap().to_owned();
    assert!(lobbyscope_domain::MeetingId::parse(&id).is_some(), "{id}");
    id
}

#[tokio::test]
async fn key_pages_html() {
    let (_dir, app) = demo_app().await;

    let uri = format!("/org/{ISOC}");
    let org = ok_html(get(&app, &uri).await, &uri);
    // The snapshot would hold an unredacted import time if the page ever showed one.
    assert!(!org.contains("imported_at"), "{org}");
    html_settings().bind(|| insta::assert_snapshot!("org_internet_society_html", org));

    let id = canenbley_meeting_id(&app).await;
    let uri = format!("/meeting/{id}");
    let meeting = ok_html(get(&app, &uri).await, &uri);
    assert_eq!(meeting.matches("<dt>Imported</dt>").count(), 1, "the import time is shown once, and redacted");
    html_settings().bind(|| insta::assert_snapshot!("meeting_canenbley_2022_06_30_html", meeting));

    let uri = format!("/response/{RESPONSE}");
    let response = ok_html(get(&app, &uri).await, &uri);
    assert_eq!(response.matches("<dt>Imported</dt>").count(), 1);
    html_settings().bind(|| insta::assert_snapshot!("response_international_digital_strategy_html", response));
}

fn ok_json(reply: Reply, uri: &str) -> serde_json::Value {
    assert_eq!(reply.status, 200, "{uri}: {}", reply.body);
    assert!(reply.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"));
    serde_json::from_str(&reply.body).unwrap()
}

fn json_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_sort_maps(true);
    settings
}

#[tokio::test]
async fn org_api_json() {
    let (_dir, app) = demo_app().await;
    let uri = format!("/api/org/{ISOC}");
    let json = ok_json(get(&app, &uri).await, &uri);
    json_settings().bind(|| {
        // Provenance names the file only, never the importing machine's folders.
        insta::assert_json_snapshot!("org_internet_society_api_json", json, {
            ".**.imported_at" => "[imported_at]",
        });
    });
}

#[tokio::test]
async fn position_and_source_pages() {
    let (_dir, app) = positions_app().await;

    let uri = format!("/position/{EXTRACTIVE_ITEM}");
    let html = ok_html(get(&app, &uri).await, &uri);
    html_settings().bind(|| insta::assert_snapshot!("position_extractive_html", html));
    let uri = format!("/api/position/{EXTRACTIVE_ITEM}");
    let json = ok_json(get(&app, &uri).await, &uri);
    json_settings().bind(|| insta::assert_json_snapshot!("position_extractive_api_json", json));

    let first = &json["sentences"][0]["citations"][0];
    let source = first["source"].as_str().unwrap();
    let uri = format!("/source/{source}?start={}&end={}", first["start"], first["end"]);
    let html = ok_html(get(&app, &uri).await, &uri);
    assert_eq!(html.matches("<dt>Imported</dt>").count(), 1);
    html_settings().bind(|| insta::assert_snapshot!("source_international_digital_strategy_html", html));
    let uri = format!("/api/source/{source}");
    let json = ok_json(get(&app, &uri).await, &uri);
    json_settings().bind(|| {
        insta::assert_json_snapshot!("source_international_digital_strategy_api_json", json, {
            ".**.imported_at" => "[imported_at]",
        });
    });
}
