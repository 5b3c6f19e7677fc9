//! `kill -9` at any moment of an import, then the same command again, gives the database a
//! clean import gives: the same counts, the same links, the same rows; on SQLite, and on
//! PostgreSQL when `LOBBYSCOPE_TEST_POSTGRES` names a server (else skipped, unless
//! `LOBBYSCOPE_REQUIRE_POSTGRES` is set).
//!
//! The files are ordered so that a register file comes before the meetings (they are linked
//! against it as they are written) and another after them (its full linking pass relinks
//! them): a kill between that file's commit and its pass is the case that once lost links.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use lobbyscope_store_postgres::PgStore;
use lobbyscope_store_postgres::testing::TestDatabase;
use lobbyscope_store_sqlite::SqliteStore;
use sqlx::{Column, Row};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// About 1.5 s of work in a debug build: long enough to be killed at many different moments.
const FILES: &[&str] = &[
    // A register snapshot first: the meetings after it are linked against it as written.
    "fixtures/hostile/register_2018-10.xml",
    "fixtures/ep_meetings/search-meetings_subset_relaid.csv",
    "fixtures/ec_meetings/meetings_real_rows.xml",
    // Meetings, responses and a second snapshot (2019-10).
    "fixtures/hostile",
    "demo/have_your_say",
    // 2,932 organisations after the meetings: its full pass relinks about a hundred of them.
    "demo/transparency_register",
];

/// The line `import --quiet` prints once the last register file is committed, just before its
/// linking pass.
const LAST_REGISTER: &str = "ODP_2018-10_relaid_demo-subset.xml.gz: register_xml: read 2932";

/// A store to import into: a SQLite file, or a PostgreSQL database of its own.
enum Db {
    Sqlite(PathBuf),
    Postgres(TestDatabase),
}

impl Db {
    fn arg(&self) -> std::ffi::OsString {
        match self {
            Db::Sqlite(path) => path.clone().into_os_string(),
            Db::Postgres(db) => db.url().into(),
        }
    }
}

/// Makes the fresh stores of one run of the scenario.
trait Fresh {
    fn fresh(&self, name: &str) -> Db;
}

fn import(db: &Db) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lobbyscope"));
    cmd.arg("--db").arg(db.arg()).args(["import", "--quiet"]).args(FILES.iter().map(|f| repo(f)));
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs the import to its end, which must succeed.
fn complete(db: &Db) {
    let out = import(db).output().expect("the binary runs");
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
}

/// Whether the child died of a signal (ours) rather than finishing first.
fn killed(status: ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt;
    status.signal() == Some(9)
}

fn kill(mut child: Child) -> bool {
    // SIGKILL: nothing of the process runs after it, as with `kill -9`.
    child.kill().expect("kill");
    killed(child.wait().expect("wait"))
}

/// Starts the import and kills it right after it prints a line containing `marker`.
fn kill_after_line(db: &Db, marker: &str) -> bool {
    let mut child = import(db).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("spawn");
    let stdout = child.stdout.take().expect("piped");
    for line in BufReader::new(stdout).lines() {
        if line.expect("utf-8 output").contains(marker) {
            break;
        }
    }
    kill(child)
}

/// Starts the import and kills it after `delay`.
fn kill_after(db: &Db, delay: Duration) -> bool {
    let child = import(db).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("spawn");
    std::thread::sleep(delay);
    kill(child)
}

/// What must agree with a clean import: `stats --json` (but the import time), and every row
/// of every data table (but import times, which say when a file came in).
struct Snapshot {
    stats: serde_json::Value,
    rows: Vec<String>,
}

fn snapshot(db: &Db) -> Snapshot {
    let out =
        Command::new(env!("CARGO_BIN_EXE_lobbyscope")).arg("--db").arg(db.arg()).args(["stats", "--json"]).output();
    let out = out.expect("the binary runs");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    stats.as_object_mut().expect("an object").remove("last_import");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let rows = rt.block_on(async {
        match db {
            Db::Sqlite(path) => {
                let store = SqliteStore::open(path).await.expect("open");
                let rows = sqlite_rows(&store).await;
                store.close().await;
                rows
            }
            Db::Postgres(db) => {
                let store = PgStore::open(db.url()).await.expect("open");
                let rows = postgres_rows(&store).await;
                store.close().await;
                rows
            }
        }
    });
    Snapshot { stats, rows }
}

async fn sqlite_rows(store: &SqliteStore) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'
         AND name NOT LIKE 'sqlite%' AND name <> 'data_generation' ORDER BY name",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(tables.iter().any(|t| t == "meeting_attendees") && tables.iter().any(|t| t == "organisations"));
    let mut out = Vec::new();
    for table in tables {
        let sql = format!("SELECT * FROM \"{table}\"");
        let mut rows = Vec::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(store.pool()).await.unwrap() {
            let cols: Vec<String> = (0..r.len())
                .filter(|&i| r.columns()[i].name() != "imported_at")
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .map(|v| format!("{v:?}"))
                        .or_else(|_| r.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                        .or_else(|_| r.try_get::<Option<f64>, _>(i).map(|v| format!("{v:?}")))
                        .or_else(|_| r.try_get::<Option<Vec<u8>>, _>(i).map(|v| format!("{v:?}")))
                        .unwrap()
                })
                .collect();
            rows.push(format!("{table}: {}", cols.join(" | ")));
        }
        rows.sort();
        out.extend(rows);
    }
    // A bulk load drops indexes and builds them at the end: a rerun must leave every one.
    let indexes: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")
            .fetch_all(store.pool())
            .await
            .unwrap();
    out.extend(indexes.into_iter().map(|(name, sql)| format!("index {name}: {sql:?}")));
    out
}

/// The same as [`sqlite_rows`] for PostgreSQL: every row of every data table as JSON (but
/// import times and the import lock's holder, a pid), and every index.
async fn postgres_rows(store: &PgStore) -> Vec<String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
         AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_%' \
         AND table_name NOT IN ('data_generation', 'import_lock_holder') ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(tables.iter().any(|t| t == "meeting_attendees") && tables.iter().any(|t| t == "organisations"));
    let mut out = Vec::new();
    for table in tables {
        let sql = format!("SELECT (to_jsonb(t) - 'imported_at')::text FROM \"{table}\" t");
        let mut rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(store.pool()).await.unwrap();
        rows.sort();
        out.extend(rows.into_iter().map(|r| format!("{table}: {r}")));
    }
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT indexname::text, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    out.extend(indexes.into_iter().map(|(name, sql)| format!("index {name}: {sql}")));
    out
}

fn assert_same(scenario: &str, got: &Snapshot, clean: &Snapshot) {
    assert_eq!(got.stats, clean.stats, "{scenario}: stats");
    let missing: Vec<&String> = clean.rows.iter().filter(|r| !got.rows.contains(r)).take(10).collect();
    let extra: Vec<&String> = got.rows.iter().filter(|r| !clean.rows.contains(r)).take(10).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{scenario}: rows differ\nmissing: {missing:#?}\nextra: {extra:#?}"
    );
    assert_eq!(got.rows.len(), clean.rows.len(), "{scenario}: row count");
}

/// xorshift64*: the kill times come from a seed, so a failing run can be repeated
/// (`LOBBYSCOPE_CRASH_SEED=…`).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `[lo, hi)`.
    fn between(&mut self, lo: Duration, hi: Duration) -> Duration {
        let span = (hi - lo).as_micros().max(1) as u64;
        lo + Duration::from_micros(self.next() % span)
    }
}

/// SQLite files in a temporary folder.
struct Files(tempfile::TempDir);

impl Fresh for Files {
    fn fresh(&self, name: &str) -> Db {
        Db::Sqlite(self.0.path().join(format!("{name}.sqlite")))
    }
}

/// PostgreSQL databases on the test server.
struct Databases(tokio::runtime::Runtime);

impl Fresh for Databases {
    fn fresh(&self, _: &str) -> Db {
        Db::Postgres(self.0.block_on(TestDatabase::create()).expect("the server was found before"))
    }
}

#[test]
fn an_import_killed_at_any_moment_and_run_again_equals_a_clean_import() {
    killed_and_run_again(&Files(tempfile::tempdir().unwrap()));
}

#[test]
fn on_postgres_an_import_killed_at_any_moment_and_run_again_equals_a_clean_import() {
    if lobbyscope_store_postgres::testing::server_url().is_none() {
        return;
    }
    killed_and_run_again(&Databases(tokio::runtime::Runtime::new().unwrap()));
}

fn killed_and_run_again(stores: &dyn Fresh) {
    let clean_db = stores.fresh("clean");
    let start = Instant::now();
    complete(&clean_db);
    let clean_run = start.elapsed();
    let clean = snapshot(&clean_db);
    assert!(clean.stats["organisations"].as_i64().unwrap() > 2932, "{}", clean.stats);
    assert!(
        clean.rows.iter().any(|r| r.starts_with("meeting_attendees:") && r.contains("\"exact_name\"")),
        "the last register's pass links meetings by name, or this test shows nothing"
    );

    // Right after the last register file's commit, before its linking pass: the case that lost
    // links when the next run found every file unchanged and linked nothing.
    let db = stores.fresh("after-register");
    let landed = kill_after_line(&db, LAST_REGISTER);
    complete(&db);
    assert_same("killed after the register's commit", &snapshot(&db), &clean);

    // Right after the first file, a register snapshot, whose pass is owed from then on.
    let db = stores.fresh("after-first");
    kill_after_line(&db, "register_2018-10.xml: register_xml");
    complete(&db);
    assert_same("killed after the first file", &snapshot(&db), &clean);

    // Several kills in a row on one database, each at a seeded moment between a few
    // milliseconds (opening, migrating) and most of a clean run (the last linking pass).
    let seed = std::env::var("LOBBYSCOPE_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_1ab5);
    let mut rng = Rng(seed);
    let db = stores.fresh("random");
    let mut kills = Vec::new();
    const ROUNDS: u32 = 6;
    let (first, last) = (Duration::from_millis(3), clean_run.mul_f64(0.9));
    for round in 0..ROUNDS {
        // One moment in each sixth of the span, so that early and late moments are both met.
        let slice = |n: u32| first + (last.saturating_sub(first)) * n / ROUNDS;
        let delay = rng.between(slice(round), slice(round + 1));
        kills.push((delay, kill_after(&db, delay)));
    }
    complete(&db);
    assert_same(&format!("seed {seed:#x}, kills {kills:?}"), &snapshot(&db), &clean);
    assert!(kills.iter().any(|(_, landed)| *landed), "no kill landed before the import ended: {kills:?}");
    eprintln!(
        "clean run {clean_run:?}; killed after the register line: {landed}; seed {seed:#x}, kills (delay, landed): {kills:?}"
    );
}
