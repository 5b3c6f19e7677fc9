//! A record its source no longer publishes keeps its page, which says so plainly, with the day;
//! the API says it too; a record still published says nothing of the kind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::NaiveDate;
use common::{get, store_with, visible_text};
use lobbyscope_store::{ListedKind, Listing, Scope, Store};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn pages_and_the_api_say_what_the_source_no_longer_publishes() {
    let files = tempfile::tempdir().unwrap();
    let csv = files.path().join("search-meetings_2022-02.csv");
    std::fs::write(
        &csv,
        "title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id\n\
         eIDAS review,24922,ARIMONT Pascal,2022-02-16,Rapporteur,,Deutsche Telekom,\n\
         Consumer Credits Directive,24922,ARIMONT Pascal,2022-03-02,Member,,AEFI,\n",
    )
    .unwrap();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let register = repo.join("demo/transparency_register/ODP_2018-10_relaid_demo-subset.xml.gz");
    let feedback = repo.join("demo/have_your_say/feedback_publication_900000011.json");
    let initiative = repo.join("demo/have_your_say/initiative_13017.json");
    let (_db, store) = store_with(&[csv, register, feedback, initiative]).await;
    let app = lobbyscope_web::router(Arc::new(store.clone()));
    let api: serde_json::Value = serde_json::from_str(&get(&app, "/api/mep/24922").await.body).unwrap();
    let id = |subject: &str| {
        let items = api["activity"]["items"].as_array().unwrap();
        let item = items.iter().find(|i| i["subject"].as_str().unwrap().starts_with(subject)).unwrap();
        item["id"].as_str().unwrap().to_owned()
    };
    let (february, march) = (id("eIDAS"), id("Consumer"));

    // February's export no longer lists its meeting; the response and the organisation are gone too.
    let mark = |kind, scope, present: Vec<String>| Listing { kind, scope, present, as_of: day("2026-12-07") };
    let feb = Scope::ParliamentDays { from: day("2022-02-01"), to: day("2022-02-28") };
    store.mark_listing(&mark(ListedKind::Meetings, feb, vec![])).await.unwrap();
    store.mark_listing(&mark(ListedKind::Responses, Scope::Publication(900_000_011), vec![])).await.unwrap();
    let others = vec!["000764914245-74".to_owned()];
    store.mark_listing(&mark(ListedKind::Registrations, Scope::Everything, others)).await.unwrap();
    store.mark_listing(&mark(ListedKind::Initiatives, Scope::Everything, vec![])).await.unwrap();

    let app = lobbyscope_web::router(Arc::new(store));
    let page = get(&app, &format!("/meeting/{february}")).await;
    assert_eq!(page.status, StatusCode::OK, "the page stays");
    let text = visible_text(&page.body);
    assert!(text.contains("No longer published by the source since 7 Dec 2026"), "{text}");
    assert!(text.contains("Published No longer: the source's complete listing stopped holding it"), "{text}");
    assert!(page.body.contains(r#"<time datetime="2026-12-07">"#));
    let json: serde_json::Value =
        serde_json::from_str(&get(&app, &format!("/api/meeting/{february}")).await.body).unwrap();
    assert_eq!(json["no_longer_published_since"], "2026-12-07");
    assert_eq!(json["subject"], "eIDAS review", "the record as last published");

    let still = get(&app, &format!("/meeting/{march}")).await;
    assert!(!visible_text(&still.body).contains("No longer"), "March's meeting is still published");
    let json: serde_json::Value =
        serde_json::from_str(&get(&app, &format!("/api/meeting/{march}")).await.body).unwrap();
    assert!(json.get("no_longer_published_since").is_none(), "{json}");

    let response = get(&app, "/response/900000021").await;
    assert!(visible_text(&response.body).contains("No longer published by the source since 7 Dec 2026"));
    let json: serde_json::Value = serde_json::from_str(&get(&app, "/api/response/900000021").await.body).unwrap();
    assert_eq!(json["no_longer_published_since"], "2026-12-07");

    let gone = get(&app, "/org/0001976677-12").await;
    assert_eq!(gone.status, StatusCode::OK);
    let text = visible_text(&gone.body);
    assert!(
        text.contains("No longer in the register: the export of 7 Dec 2026 and later ones do not list it"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&get(&app, "/api/org/0001976677-12").await.body).unwrap();
    assert_eq!(json["no_longer_registered_since"], "2026-12-07");
    let initiative = visible_text(&get(&app, "/initiative/13017").await.body);
    assert!(initiative.contains("No longer in the portal's list of initiatives since 7 Dec 2026"), "{initiative}");
    let json: serde_json::Value = serde_json::from_str(&get(&app, "/api/initiative/13017").await.body).unwrap();
    assert_eq!(json["no_longer_published_since"], "2026-12-07");
    let listed = get(&app, "/org/000764914245-74").await;
    assert!(!visible_text(&listed.body).contains("No longer in the register"));
}
