//! `lobbyscope copy-store` as an operator runs it: the demo data, imported and analysed with the
//! CLI into a SQLite file, copied into PostgreSQL and from there into a second SQLite file,
//! shows the same figures, the same rows and the same site in all three; a target that holds
//! rows, a missing source and a store copied into itself are refused. The PostgreSQL leg needs
//! the server of `LOBBYSCOPE_TEST_POSTGRES` (without one the copy goes SQLite to SQLite, unless
//! `LOBBYSCOPE_REQUIRE_POSTGRES` is set).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use lobbyscope_store::{CopyCursor, CopyRow, CopyTable, CopyValue, SourceTextRecord, Store};
use lobbyscope_store_postgres::PgStore;
use lobbyscope_store_postgres::testing::TestDatabase;
use lobbyscope_store_sqlite::SqliteStore;
use tower::ServiceExt;

/// The demo's EP rows cite no procedure: rows that do, in the export's layout.
const EP_WITH_PROCEDURES: &str = "title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id
e-Privacy Derogation,197431,BREYER Patrick,2020-11-10,Shadow rapporteur,2020/0259(COD),Internet Society (ISOC),953701819437-32
Hydrogen and gas markets,197448,ANDRESEN Rasmus,2021-05-20,Rapporteur,\"2020/0360(COD), 2020/0259(COD)\",Vattenfall,12955024114-93
";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn lobbyscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lobbyscope")).args(args).output().expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the command and checks that it succeeded; its stdout.
fn ok(args: &[&str]) -> String {
    let out = lobbyscope(args);
    assert!(out.status.success(), "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

fn copy(from: &str, to: &str) -> String {
    let stdout = ok(&["copy-store", "--quiet", "--from", from, "--to", to]);
    assert!(stdout.contains("The copy matches its source: "), "{stdout}");
    let meetings: Vec<&str> =
        stdout.lines().find(|l| l.starts_with("meetings ")).expect("a line a table").split_whitespace().collect();
    assert!(meetings[1] == meetings[2] && meetings[1].parse::<u64>().is_ok_and(|n| n > 35_000), "{stdout}");
    stdout
}

/// Every row of `table` in pages of `limit`, with the pages' cursors.
async fn pages(store: &dyn Store, table: CopyTable, limit: usize) -> Vec<lobbyscope_store::CopyPage> {
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let page = store.copy_out(table, after.as_ref(), limit).await.unwrap();
        after = page.next.clone();
        pages.push(page);
        if after.is_none() {
            return pages;
        }
    }
}

fn text_at(row: &CopyRow, i: usize) -> String {
    match &row[i] {
        CopyValue::Text(Some(t)) => t.clone(),
        CopyValue::Int(Some(n)) => n.to_string(),
        other => panic!("no key in {other:?}"),
    }
}

/// Pages of the site (through its JSON API and CSV exports) that cover every kind of record,
/// with ids taken from the store.
async fn site_pages(store: &dyn Store) -> Vec<String> {
    let mut uris: Vec<String> = [
        "/api",
        "/api/orgs?sort=name&page=3",
        "/api/orgs?sort=activity&page=1",
        "/api/orgs?sort=commission&page=2",
        "/api/orgs?sort=parliament&page=40",
        "/api/orgs?sort=responses",
        "/api/org/953701819437-32",
        "/api/org/06698681039-26",
        "/api/org/06698681039-26?kind=meetings&page=2",
        "/api/org/953701819437-32?kind=positions",
        "/org/953701819437-32",
        "/orgs.csv",
        "/org/06698681039-26/activity.csv",
        "/api/procedure/2020/0259(COD)",
        "/api/mep/197448",
    ]
    .map(String::from)
    .into();
    let first = |table| async move { store.copy_out(table, None, 3).await.unwrap().rows };
    for row in first(CopyTable::Meetings).await {
        uris.push(format!("/api/meeting/{}", text_at(&row, 0)));
    }
    // Commission officials (`ec:…`) sort first, then MEPs (`mep:…`).
    let meps = CopyCursor::new(CopyTable::People, vec![CopyValue::from("mep:")]);
    let some_meps = store.copy_out(CopyTable::People, Some(&meps), 3).await.unwrap().rows;
    for row in first(CopyTable::People).await.into_iter().chain(some_meps) {
        let key = text_at(&row, 0);
        match key.split_once(':') {
            Some(("mep", id)) => uris.push(format!("/api/mep/{id}")),
            Some(("ec", name)) => uris.push(format!("/api/official/{}", name.replace(' ', "-"))),
            _ => panic!("a person key {key:?}"),
        }
    }
    for row in first(CopyTable::Initiatives).await {
        uris.push(format!("/api/initiative/{}", text_at(&row, 0)));
    }
    for row in first(CopyTable::Feedback).await {
        uris.push(format!("/api/response/{}", text_at(&row, 0)));
    }
    for row in first(CopyTable::PositionItems).await {
        uris.push(format!("/api/position/{}", text_at(&row, 0)));
    }
    uris.push("/api/source/attachment:900000021:copy-test".to_owned());
    uris
}

async fn get(app: &axum::Router, uri: &str) -> (u16, String) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_copied_to_postgresql_and_back_shows_the_same_site() {
    let dir = tempfile::tempdir().unwrap();
    let (first, last) = (dir.path().join("first.sqlite"), dir.path().join("last.sqlite"));
    let first_db = first.to_str().unwrap();
    let ep = dir.path().join("ep_with_procedures.csv");
    std::fs::write(&ep, EP_WITH_PROCEDURES).unwrap();
    ok(&["--db", first_db, "import", "--quiet", repo("demo").to_str().unwrap(), ep.to_str().unwrap()]);
    // A later export corrects a subject: the meeting keeps its identity and its history.
    let corrected = dir.path().join("ep_corrected.csv");
    std::fs::write(
        &corrected,
        EP_WITH_PROCEDURES.replace("Hydrogen and gas markets", "Hydrogen and decarbonised gas markets"),
    )
    .unwrap();
    ok(&["--db", first_db, "import", "--quiet", corrected.to_str().unwrap()]);
    ok(&["--db", first_db, "analyze", "--quiet"]);
    {
        // An attachment's text, with what COPY's text format escapes and beyond the BMP.
        let store = SqliteStore::open(&first).await.unwrap();
        let attachment = SourceTextRecord {
            id: "attachment:900000021:copy-test".into(),
            response_id: 900_000_021,
            file: "C:\\uploads\\position\tpaper.pdf".into(),
            file_sha256: "ab".repeat(32),
            extractor: "pdftotext".into(),
            text: "Line one\r\nLine\ttwo \\N \u{1F1EA}\u{1F1FA} naïve\n".into(),
            extracted_at: "2026-12-01T10:00:00Z".into(),
        };
        store.save_source_text(&attachment).await.unwrap();
        // A sync's health, and what it found no longer published: both copied.
        let health = lobbyscope_store::SourceHealth {
            last_attempt: Some("2026-12-07T03:00:00Z".parse().unwrap()),
            last_error: Some("HTTP 503: \"down\"\nfor maintenance".into()),
            warnings: vec!["a window at the export's cap".into()],
            ..lobbyscope_store::SourceHealth::never(lobbyscope_domain::SourceId::Parliament)
        };
        store.save_source_health(&health).await.unwrap();
        let gone = lobbyscope_store::Listing {
            kind: lobbyscope_store::ListedKind::Meetings,
            scope: lobbyscope_store::Scope::ParliamentDays {
                from: "2021-01-01".parse().unwrap(),
                to: "2021-01-31".parse().unwrap(),
            },
            present: Vec::new(),
            as_of: "2026-12-07".parse().unwrap(),
        };
        assert!(store.mark_listing(&gone).await.unwrap().withdrawn > 0, "some January 2021 meetings to mark");
        store.close().await;
    }

    let db = TestDatabase::create().await;
    let started = std::time::Instant::now();
    match &db {
        Some(db) => {
            copy(first_db, db.url());
            copy(db.url(), last.to_str().unwrap());
        }
        None => {
            copy(first_db, last.to_str().unwrap());
        }
    }
    eprintln!("copied in {:.1} s", started.elapsed().as_secs_f64());

    let stats: Vec<String> = std::iter::once(first_db)
        .chain(db.as_ref().map(|d| d.url()))
        .chain([last.to_str().unwrap()])
        .map(|store| ok(&["--db", store, "stats", "--json"]))
        .collect();
    assert!(stats[0].contains("\"meetings\":35486"), "{}", stats[0]);
    for other in &stats[1..] {
        assert_eq!(other, &stats[0], "stats --json");
    }

    let mut stores: Vec<Arc<dyn Store>> = vec![Arc::new(SqliteStore::open(&first).await.unwrap())];
    if let Some(db) = &db {
        stores.push(Arc::new(PgStore::open(db.url()).await.unwrap()));
    }
    stores.push(Arc::new(SqliteStore::open(&last).await.unwrap()));

    // Page for page, cursors included: every store orders every table alike.
    for table in CopyTable::ALL {
        let whole = pages(&*stores[0], table, 1000).await;
        assert!(!whole[0].rows.is_empty(), "{table} is empty: nothing of it would be compared");
        for other in &stores[1..] {
            assert!(pages(&**other, table, 1000).await == whole, "{table}: the copy's pages differ");
        }
    }

    let uris = site_pages(&*stores[0]).await;
    let sites: Vec<axum::Router> = stores.iter().map(|s| lobbyscope_web::router(s.clone())).collect();
    for uri in &uris {
        let (status, body) = get(&sites[0], uri).await;
        assert_eq!(status, 200, "{uri}: {body}");
        for other in &sites[1..] {
            let (copied_status, copied) = get(other, uri).await;
            assert_eq!((copied_status, copied.as_str()), (status, body.as_str()), "{uri} differs in the copy");
        }
    }
}

#[test]
fn a_target_with_rows_a_missing_source_and_the_same_store_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (source, target) = (dir.path().join("source.sqlite"), dir.path().join("target.sqlite"));
    let (source, target) = (source.to_str().unwrap(), target.to_str().unwrap());
    let ep = repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv");
    ok(&["--db", source, "import", "--quiet", ep.to_str().unwrap()]);
    ok(&["--db", target, "import", "--quiet", ep.to_str().unwrap()]);
    let before = ok(&["--db", target, "stats", "--json"]);

    let out = lobbyscope(&["copy-store", "--quiet", "--from", source, "--to", target]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "the target is not empty: import_files holds 1 row(s); copy into a new file or an empty database"
        ),
        "{stderr}"
    );
    assert_eq!(ok(&["--db", target, "stats", "--json"]), before, "the target is as it was");

    let missing = dir.path().join("missing.sqlite");
    let out = lobbyscope(&["copy-store", "--from", missing.to_str().unwrap(), "--to", target]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("there is no store at "), "{}", text(&out.stderr));
    assert!(!missing.exists(), "no empty store is made for a mistyped source");

    let again = dir.path().join(".").join("source.sqlite");
    let out = lobbyscope(&["copy-store", "--from", source, "--to", again.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--from and --to name the same store"), "{}", text(&out.stderr));
}
