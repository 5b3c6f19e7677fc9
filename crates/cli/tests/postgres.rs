//! Several processes on one PostgreSQL database, through the binary as an operator runs it: two
//! `serve` processes show the same pages, and an import through the CLI reaches both within
//! seconds; a second import waits for the running one and names it. Needs the server of
//! `LOBBYSCOPE_TEST_POSTGRES` (skipped without one, unless `LOBBYSCOPE_REQUIRE_POSTGRES` is set).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lobbyscope_store::{LockAttempt, LockHolder, Store};
use lobbyscope_store_postgres::PgStore;
use lobbyscope_store_postgres::testing::TestDatabase;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn lobbyscope(db: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lobbyscope"));
    command.arg("--db").arg(db).args(args);
    command
}

/// A `serve` process on a port of its own, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(db: &str) -> Server {
        let mut child = lobbyscope(db, &["serve", "--addr", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary runs");
        // "Serving on http://127.0.0.1:PORT/ (Ctrl-C to stop)"
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().expect("piped")).read_line(&mut line).unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Server { child, addr }
    }

    /// The status and body of a GET.
    fn get(&self, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, body.to_owned())
    }

    fn stats(&self) -> serde_json::Value {
        let (status, body) = self.get("/api");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["stats"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `done` holds, for at most `limit`.
fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    done()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn two_servers_on_one_database_see_an_import_through_the_cli() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDatabase::create()) else { return };
    let url = db.url().to_owned();
    let (a, b) = (Server::start(&url), Server::start(&url));
    for server in [&a, &b] {
        assert_eq!(server.get("/readyz"), (200, "ready\n".to_owned()));
        assert_eq!(server.stats()["meetings"], 0);
    }
    // Each server has kept its empty home page: the import must reach past the page caches.
    let before = a.get("/").1;
    assert_eq!(before, b.get("/").1);

    let ep = repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv");
    let out = lobbyscope(&url, &["import", "--quiet", ep.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));

    for server in [&a, &b] {
        assert!(
            eventually(Duration::from_secs(10), || server.stats()["parliament_meetings"] == 302),
            "{} never showed the import: {}",
            server.addr,
            server.stats()
        );
    }
    let (home_a, home_b) = (a.get("/").1, b.get("/").1);
    assert_ne!(home_a, before, "the home page was rendered again");
    assert_eq!(home_a, home_b, "both servers show the same home page");
    let (orgs_a, orgs_b) = (a.get("/api/orgs?sort=parliament"), b.get("/api/orgs?sort=parliament"));
    assert_eq!(orgs_a.0, 200);
    assert_eq!(orgs_a, orgs_b);
}

#[test]
fn a_second_import_waits_for_the_running_one_and_names_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDatabase::create()) else { return };
    let store = runtime.block_on(PgStore::open(db.url())).unwrap();
    let holder = LockHolder::this_process("import");
    let LockAttempt::Acquired(guard) = runtime.block_on(store.try_lock_for_import(&holder)).unwrap() else {
        panic!("a new database's lock is free");
    };

    let ep = repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv");
    let mut second = lobbyscope(db.url(), &["import", "--quiet", ep.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(second.stderr.as_mut().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line, format!("another {holder} is running on this database; waiting…\n"));
    assert!(second.try_wait().unwrap().is_none(), "it waits, it does not give up");
    assert_eq!(runtime.block_on(store.stats()).unwrap().meetings, 0, "nothing imported while it waits");

    drop(guard);
    let out = second.wait_with_output().unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(runtime.block_on(store.stats()).unwrap().parliament_meetings, 302);
    runtime.block_on(store.close());
}

/// A folder of three demo Have Your Say pages, the first response of the third
/// (`feedback_publication_900000014.json`) as `edit` leaves it.
fn three_pages(edit: impl FnOnce(&mut serde_json::Value)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let hys = repo("demo/have_your_say");
    for name in ["feedback_publication_900000011.json", "feedback_publication_900000012.json"] {
        std::fs::copy(hys.join(name), dir.path().join(name)).unwrap();
    }
    let name = "feedback_publication_900000014.json";
    let mut page: serde_json::Value = serde_json::from_slice(&std::fs::read(hys.join(name)).unwrap()).unwrap();
    edit(&mut page["content"][0]);
    std::fs::write(dir.path().join(name), serde_json::to_vec(&page).unwrap()).unwrap();
    dir
}

/// A file PostgreSQL cannot store (a response whose text holds a NUL character, which
/// PostgreSQL's text refuses and SQLite keeps) is reported as not imported, with the
/// database's reason, and the files around it are imported; the exit code says that not
/// everything was.
#[test]
fn a_file_the_database_refuses_is_reported_and_the_others_imported() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDatabase::create()) else { return };
    let dir = three_pages(|first| first["feedback"] = "A response with a NUL \u{0} in it.".into());

    let out = lobbyscope(db.url(), &["import", "--quiet", dir.path().to_str().unwrap()]).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("2 file(s) imported (0 of them with rejected records), 1 not imported"), "{stdout}");
    let line = stdout.lines().find(|l| l.starts_with("  not imported: ")).unwrap_or_default();
    assert!(line.contains("feedback_publication_900000014.json") && line.contains("the database refused"), "{stdout}");
    let stats = lobbyscope(db.url(), &["stats", "--json"]).output().unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(stats["imported_files"], 2, "{stats}");
}

/// A response whose organisation field holds 12,000 letters that do not compress (this one also
/// gives a register ID): the response keeps the text and its link by ID, but the text is not
/// taken for one of the organisation's names. Such a name is more than a PostgreSQL index entry
/// holds, and the fold at the session's commit once failed on it, taking the files written with
/// it along; the run now imports every file. (Without an ID, no organisation is made up for
/// it: `resolve`'s own test.)
#[test]
fn a_name_longer_than_any_organisation_s_is_kept_as_text_and_the_run_goes_on() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(TestDatabase::create()) else { return };
    let mut seed = 7u64;
    let long: String = (0..12_000)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            char::from(b'a' + (seed >> 59) as u8 % 26)
        })
        .collect();
    let mut id = 0;
    let dir = three_pages(|first| {
        first["organization"] = long.clone().into();
        id = first["id"].as_u64().unwrap();
    });

    let out = lobbyscope(db.url(), &["import", "--quiet", dir.path().to_str().unwrap()]).output().unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("3 file(s) imported (0 of them with rejected records), 0 not imported"), "{stdout}");
    let shown = lobbyscope(db.url(), &["stats", "--json"]).output().unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(stats["imported_files"], 3, "{stats}");
    let store = runtime.block_on(lobbyscope_store_postgres::PgStore::open(db.url())).unwrap();
    let response = runtime.block_on(lobbyscope_store::Store::response(&store, id)).unwrap().expect("stored");
    assert_eq!(response.organization.as_deref(), Some(long.as_str()), "the text stays as published");
    let key = response.org_key.expect("linked by its register ID");
    let org =
        runtime.block_on(lobbyscope_store::Store::organisation_view(&store, &key)).unwrap().expect("the organisation");
    let shown = serde_json::to_string(&org).unwrap();
    assert!(!shown.contains(&long), "the long text is not one of the organisation's names");
}
