//! A meeting the source corrects keeps its address, and its page says what changed and which
//! import changed it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{get, store_with, unescape, visible_text};
use lobbyscope_store::Store;

const HEADER: &str =
    "title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id\n";

fn write(dir: &std::path::Path, name: &str, rows: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{HEADER}{rows}")).unwrap();
    path
}

#[tokio::test]
async fn a_corrected_meeting_keeps_its_page_and_shows_the_earlier_version() {
    let files = tempfile::tempdir().unwrap();
    let first = write(
        files.path(),
        "search-meetings_2022-02.csv",
        "eIDAS review & EU digital ID,24922,ARIMONT Pascal,2022-02-16,Rapporteur,,Deutsche Telekom,\n\
         Consumer Credits Directive,24922,ARIMONT Pascal,2022-02-16,Member,,AEFI,\n",
    );
    let (_db, store) = store_with(std::slice::from_ref(&first)).await;
    let app = lobbyscope_web::router(Arc::new(store.clone()));
    let api: serde_json::Value = serde_json::from_str(&get(&app, "/api/mep/24922").await.body).unwrap();
    let items = api["activity"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "two meetings on one day stay two: {api}");
    let eidas = items.iter().find(|i| i["subject"].as_str().unwrap().starts_with("eIDAS")).unwrap();
    let id = eidas["id"].as_str().unwrap().to_owned();
    let before = get(&app, &format!("/meeting/{id}")).await;
    assert_eq!(before.status, StatusCode::OK);
    assert!(!before.body.contains("Corrections in the source"), "nothing corrected yet");

    // The later export corrects the subject of one meeting and leaves the other as it was.
    let second = write(
        files.path(),
        "search-meetings_2022-03.csv",
        "eIDAS review and the European Digital Identity Wallet,24922,ARIMONT Pascal,2022-02-16,Rapporteur,,Deutsche Telekom,\n\
         Consumer Credits Directive,24922,ARIMONT Pascal,2022-02-16,Member,,AEFI,\n",
    );
    let report = lobbyscope_ingest::import_paths(&store, &[second], &lobbyscope_ingest::Quiet).await.unwrap();
    let counts = report.files[0].counts;
    assert_eq!((counts.new, counts.updated, counts.unchanged), (0, 1, 1));
    assert_eq!(store.stats().await.unwrap().meetings, 2);

    let app = lobbyscope_web::router(Arc::new(store));
    let after = get(&app, &format!("/meeting/{id}")).await;
    assert_eq!(after.status, StatusCode::OK, "the corrected meeting keeps its address");
    let text = unescape(&visible_text(&after.body));
    assert!(text.contains("eIDAS review and the European Digital Identity Wallet"), "{text}");
    assert!(text.contains("Corrections in the source"), "{text}");
    assert!(
        text.contains(
            "Subject changed from “eIDAS review & EU digital ID” to “eIDAS review and the European Digital Identity Wallet”"
        ),
        "{text}"
    );
    assert!(text.contains("when the import of search-meetings_2022-03.csv updated it"), "{text}");
    assert!(text.contains("earlier version read from search-meetings_2022-02.csv"), "{text}");

    let json: serde_json::Value = serde_json::from_str(&get(&app, &format!("/api/meeting/{id}")).await.body).unwrap();
    let history = json["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["subject"], "eIDAS review & EU digital ID");
    assert_eq!(history[0]["replaced_by"], "search-meetings_2022-03.csv");
    assert_eq!(history[0]["provenance"]["file"], "search-meetings_2022-02.csv");

    // Old content-hash addresses and malformed ids are not found.
    for bad in ["c646dbabdfce9a17782d38884863c365", "x-1", &format!("{id}0")] {
        assert_eq!(get(&app, &format!("/meeting/{bad}")).await.status, StatusCode::NOT_FOUND, "{bad}");
    }
}
