//! `lobbyscope bench corpus` end to end at a tiny size: every source, the whole corpus and
//! every kind of page are in its report, every figure is a number, the records it reports are
//! what each store holds (`stats --json`), and every page answered 200. A second run reuses the
//! corpus and reports the same as JSON. On PostgreSQL too when `LOBBYSCOPE_TEST_POSTGRES` names
//! a server (else skipped, unless `LOBBYSCOPE_REQUIRE_POSTGRES` is set). No timing is asserted:
//! the figures depend on the machine.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::path::Path;
use std::process::{Command, Output};

use lobbyscope_store_postgres::testing::{TestDatabase, server_url};
use serde_json::Value;
use sqlx::Connection;

const SIZE: &[&str] = &["--orgs", "50", "--ep", "200", "--ec", "100", "--responses", "500", "--requests", "3"];

const SOURCES: [&str; 4] = ["register", "commission", "parliament", "have_your_say"];

const PAGE_KINDS: [&str; 26] = [
    "home",
    "orgs page 1 (activity)",
    "orgs page 1 (name)",
    "orgs page 1 (commission)",
    "orgs page 1 (parliament)",
    "orgs page 1 (responses)",
    "orgs deep page (activity)",
    "orgs deep page (name)",
    "orgs deep page (commission)",
    "orgs deep page (parliament)",
    "orgs deep page (responses)",
    "api orgs deep page (responses)",
    "org (busiest)",
    "org deep page",
    "org year filter",
    "api org",
    "mep (most meetings)",
    "mep deep page",
    "official (most meetings)",
    "procedure (most meetings)",
    "initiative (most responses)",
    "initiative deep page",
    "orgs.csv",
    "org activity.csv",
    "mep activity.csv",
    "initiative responses.csv",
];

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn lobbyscope(db: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lobbyscope"));
    // Whatever store the environment names is not the test's.
    cmd.env_remove("LOBBYSCOPE_DB");
    if let Some(db) = db {
        cmd.arg("--db").arg(db);
    }
    let out = cmd.args(args).output().expect("the binary runs");
    assert!(out.status.success(), "{args:?}: {}{}", text(&out.stdout), text(&out.stderr));
    out
}

fn bench(db: Option<&str>, out: &Path, json: bool) -> Output {
    let mut args = vec!["bench", "corpus", "--out", out.to_str().unwrap()];
    args.extend(SIZE);
    if json {
        args.push("--json");
    }
    lobbyscope(db, &args)
}

fn stats(db: &str) -> Value {
    serde_json::from_slice(&lobbyscope(Some(db), &["stats", "--json"]).stdout).unwrap()
}

/// What of a store's counts a source's records become.
fn stored(source: &str, stats: &Value) -> u64 {
    let n = |k: &str| stats[k].as_u64().unwrap_or_else(|| panic!("no {k} in {stats}"));
    match source {
        "register" => n("register_entries"),
        "commission" => n("commission_meetings"),
        "parliament" => n("parliament_meetings"),
        "have_your_say" => n("initiatives") + n("consultation_responses"),
        _ => SOURCES.iter().map(|s| stored(s, stats)).sum(),
    }
}

fn has_sqlite3() -> bool {
    Command::new("sqlite3").arg("-version").output().is_ok_and(|o| o.status.success())
}

/// The rows of the Markdown table whose header starts with `header`, as cells.
fn table(report: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = report.lines().skip_while(|l| !l.starts_with(header)).skip(2);
    let mut rows = Vec::new();
    for line in lines.by_ref().take_while(|l| l.starts_with('|')) {
        rows.push(line.trim_matches('|').split(" | ").map(|c| c.trim().to_owned()).collect());
    }
    assert!(!rows.is_empty(), "no table {header:?} in\n{report}");
    rows
}

fn row<'a>(rows: &'a [Vec<String>], label: &str) -> &'a [String] {
    rows.iter().find(|r| r[0] == label).unwrap_or_else(|| panic!("no row {label:?} in {rows:?}"))
}

fn number(cell: &str) -> f64 {
    cell.replace(',', "").parse().unwrap_or_else(|_| panic!("{cell:?} is not a number"))
}

/// The import table's records of `label`, its other figures checked to be numbers. A child
/// that ends within a millisecond or two may end before its memory is seen (`—`): only the
/// floor's `sqlite3` is that quick at this size.
fn import_records(rows: &[Vec<String>], label: &str) -> u64 {
    let r = row(rows, label);
    assert_eq!(r.len(), 5, "{r:?}");
    assert!(number(&r[2]) > 0.0 && number(&r[3]) > 0.0, "{r:?}");
    let floor = label.contains(" floor: ");
    assert!((floor && r[4] == "—") || number(&r[4]) > 0.0, "a peak RSS was measured: {r:?}");
    number(&r[1]) as u64
}

fn check_text_report(report: &str, db: impl Fn(&str) -> String) {
    let imports = table(report, "| Import into a fresh store");
    for source in SOURCES {
        let records = import_records(&imports, source);
        assert_eq!(records, stored(source, &stats(&db(source))), "{source}: the records the corpus holds");
    }
    let whole = import_records(&imports, "whole corpus");
    assert_eq!(whole, stored("corpus", &stats(&db("corpus"))), "the whole corpus");
    if has_sqlite3() {
        let ep = import_records(&imports, "parliament floor: `sqlite3 .import` of the EP's CSV files");
        assert_eq!(ep, import_records(&imports, "parliament"), "the floor loads every EP row");
        let responses = import_records(&imports, "have_your_say floor: `sqlite3 .import` of a CSV of the responses");
        assert_eq!(responses, 500, "the floor loads every response");
    } else {
        assert!(report.contains("No floor: `sqlite3` is not on the PATH."), "{report}");
    }

    let pages = table(report, "| Page (uncached, 3 requests)");
    for kind in PAGE_KINDS {
        let r = row(&pages, kind);
        assert_eq!(r.len(), 8, "{r:?}");
        assert!(r[1].starts_with("`/"), "{r:?}");
        for cell in &r[2..6] {
            assert!(number(cell) > 0.0, "{r:?}");
        }
        assert_eq!(r[6], "200", "{r:?}");
        assert!(number(&r[7]) > 0.0, "{r:?}");
    }
    assert_eq!(pages.len(), PAGE_KINDS.len(), "{pages:?}");
    let rss = report.lines().find_map(|l| l.strip_prefix("Server peak RSS: ")).expect("the server's peak RSS");
    assert!(number(rss.trim_end_matches(" MB.")) > 0.0, "{rss}");
}

fn check_json_report(json: &Value, backend: &str, db: impl Fn(&str) -> String) {
    assert_eq!(json["backend"], backend);
    let imports = json["imports"].as_array().unwrap();
    let names: Vec<&str> = imports.iter().map(|i| i["store"].as_str().unwrap()).collect();
    assert_eq!(names, ["register", "commission", "parliament", "have_your_say", "corpus"]);
    for import in imports {
        let store = import["store"].as_str().unwrap();
        let now = stats(&db(store));
        assert_eq!(import["stats"], now, "{store}: the store holds what the report says");
        assert_eq!(import["records"].as_u64(), Some(stored(store, &now)), "{store}");
        assert_eq!(import["stored"].as_u64(), Some(stored(store, &now)), "{store}");
        for figure in ["wall_s", "records_per_s", "peak_rss_mb"] {
            assert!(import[figure].as_f64().is_some_and(|f| f > 0.0), "{store}: {figure} in {import}");
        }
    }
    let corpus: u64 =
        json["corpus"]["sources"].as_array().unwrap().iter().map(|s| s["records"].as_u64().unwrap()).sum();
    assert_eq!(imports[4]["records"].as_u64(), Some(corpus));
    let kinds: Vec<&str> = json["pages"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, PAGE_KINDS);
    for page in json["pages"].as_array().unwrap() {
        assert_eq!(page["statuses"], serde_json::json!({"200": 3}), "{page}");
        for figure in ["p50_ms", "p99_ms", "ttfb_p50_ms", "ttfb_p99_ms"] {
            assert!(page[figure].as_f64().is_some_and(|f| f > 0.0), "{figure} in {page}");
        }
    }
    assert_eq!(json["pages_missing"], serde_json::json!([]));
    assert!(json["server_peak_rss_mb"].as_u64().is_some_and(|m| m > 0));
    assert_eq!(json["floors"].is_array(), has_sqlite3());
}

#[test]
fn the_whole_benchmark_reports_every_source_and_page_and_reuses_its_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench");
    let first = bench(None, &out, false);
    let sqlite = |name: &str| out.join("stores").join(format!("{name}.sqlite")).to_str().unwrap().to_owned();
    check_text_report(&text(&first.stdout), sqlite);
    assert!(text(&first.stderr).contains("Generating 50 organisations"), "{}", text(&first.stderr));

    let second = bench(None, &out, true);
    assert!(text(&second.stderr).contains("Reusing the corpus"), "{}", text(&second.stderr));
    let json: Value = serde_json::from_slice(&second.stdout).expect("the report is JSON alone");
    check_json_report(&json, "SQLite", sqlite);
}

#[tokio::test]
async fn the_whole_benchmark_runs_on_postgresql() {
    let Some(db) = TestDatabase::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = bench(Some(db.url()), &dir.path().join("bench"), true);
    let json: Value = serde_json::from_slice(&run.stdout).expect("the report is JSON alone");
    // The stores are databases named after the one given: `lobbyscope_test_…_register`, ….
    let (head, query) = db.url().split_once('?').map_or((db.url(), None), |(h, q)| (h, Some(q)));
    let (server, base) = head.rsplit_once('/').unwrap();
    let name = |store: &str| format!("{base}_{store}");
    let url = |store: &str| match query {
        Some(q) => format!("{server}/{}?{q}", name(store)),
        None => format!("{server}/{}", name(store)),
    };
    check_json_report(&json, "PostgreSQL", url);
    // The benchmark leaves its stores for inspection; the test's go with it.
    let mut admin = sqlx::PgConnection::connect(&server_url().expect("a server")).await.unwrap();
    for store in SOURCES.iter().chain(&["corpus"]) {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", name(store))))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
