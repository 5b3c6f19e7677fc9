//! The `lobbyscope` binary as a user runs it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn lobbyscope(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lobbyscope")).arg("--db").arg(db).args(args).output().expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Imports the Parliament's and the register's subsets into `db`; the command must succeed.
fn import_ep_and_register(db: &Path) -> Output {
    let ep = repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv");
    let register = repo("fixtures/register/ODP_2018-10_relaid_subset30.xml.gz");
    let out = lobbyscope(db, &["import", "--quiet", ep.to_str().unwrap(), register.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    out
}

#[test]
fn import_reports_per_file_and_stats_json_has_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let out = import_ep_and_register(&db);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("search-meetings_subset_relaid.csv: ep_meetings_csv: read "), "{stdout}");
    assert!(stdout.contains("register_xml: read 30, new 30, updated 0, unchanged 0, rejected 0"), "{stdout}");

    let out = lobbyscope(&db, &["stats", "--json"]);
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    for key in [
        "organisations",
        "registered_organisations",
        "register_snapshots",
        "meetings",
        "commission_meetings",
        "parliament_meetings",
        "initiatives",
        "consultation_responses",
        "people",
    ] {
        assert!(stats[key].is_i64(), "{key} missing or not an integer in {stats}");
    }
    assert_eq!(stats["register_snapshots"], 1);
    assert_eq!(stats["commission_meetings"], 0);
    assert!(stats["parliament_meetings"].as_i64().unwrap() > 0);

    // Again: everything unchanged.
    let register = repo("fixtures/register/ODP_2018-10_relaid_subset30.xml.gz");
    let out = lobbyscope(&db, &["import", "--quiet", register.to_str().unwrap()]);
    assert!(text(&out.stdout).contains("read 30, new 0, updated 0, unchanged 30, rejected 0"), "{}", text(&out.stdout));
}

#[test]
fn a_failed_file_is_named_and_the_exit_code_is_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let bad = repo("fixtures/register/handmade_truncated.xml");
    let good = repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv");
    let out = lobbyscope(&db, &["import", "--quiet", bad.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "some files or records were not imported, the rest were");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("handmade_truncated.xml: FAILED (register_xml)"), "{stdout}");
    assert!(stdout.contains("Nothing from this file was imported"), "{stdout}");
    assert!(stdout.contains("1 file(s) imported (0 of them with rejected records), 1 not imported"), "{stdout}");
    assert!(stdout.contains("  not imported: ") && stdout.contains("handmade_truncated.xml: "), "{stdout}");
    assert!(text(&out.stderr).contains("not everything was imported"), "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&lobbyscope(&db, &["stats", "--json"]).stdout).unwrap();
    assert_eq!(stats["register_snapshots"], 0);
    assert!(stats["parliament_meetings"].as_i64().unwrap() > 0, "the good file is kept");
}

#[test]
fn rejected_records_are_listed_with_their_location() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let bad = repo("fixtures/register/handmade_bad_records.xml");
    let out = lobbyscope(&db, &["import", "--quiet", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3), "the file is kept, but not every record of it");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("rejected at <interestRepresentative> #"), "{stdout}");
    assert!(stdout.contains("1 file(s) imported (1 of them with rejected records), 0 not imported"), "{stdout}");
    assert!(stdout.contains("  with rejected records: ") && stdout.contains("handmade_bad_records.xml ("), "{stdout}");
}

/// The exit codes the README lists: 0 when everything was imported, 3 when some files or
/// records were not (rejected records above), 1 when nothing could be done, 2 for a command line
/// that is not understood; never a backtrace, whatever RUST_BACKTRACE says.
#[test]
fn exit_codes_say_how_much_was_done() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let good = repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv");
    assert_eq!(lobbyscope(&db, &["import", "--quiet", good.to_str().unwrap()]).status.code(), Some(0));

    // A store inside a file cannot be opened.
    let blocked = dir.path().join("a-file");
    std::fs::write(&blocked, "not a folder").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lobbyscope"))
        .arg("--db")
        .arg(blocked.join("db.sqlite"))
        .args(["import", "--quiet", good.to_str().unwrap()])
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("lobbyscope: ") && stderr.contains("a-file"), "{stderr}");
    assert!(!stderr.to_lowercase().contains("backtrace"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line, causes included: {stderr}");

    assert_eq!(lobbyscope(&db, &["import", "--no-such-flag"]).status.code(), Some(2));
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = lobbyscope(&dir.path().join("db.sqlite"), &["import", "--quiet", "/nonexistent/file.xml"]);
    assert!(!out.status.success());
    assert!(text(&out.stdout).contains("/nonexistent/file.xml: FAILED"), "{}", text(&out.stdout));
}

#[test]
fn demo_imports_the_bundled_data_into_a_fresh_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    // A stale file at the same place is replaced, not added to.
    std::fs::write(&db, b"not a database").unwrap();
    let out = lobbyscope(&db, &["demo", "--no-serve"]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "meetingscommissionrepresentatives1924_generated-2023-06-13.xlsx: commission_meetings_xlsx: read 12482"
        ),
        "{stdout}"
    );
    let stats: serde_json::Value = serde_json::from_slice(&lobbyscope(&db, &["stats", "--json"]).stdout).unwrap();
    assert_eq!(stats["commission_meetings"], 12_462);
    assert_eq!(stats["register_entries"], 2_932);
    assert!(stdout.contains("Position items by the extractive writer"), "{stdout}");
    assert!(stats["position_items"]["shown"].as_i64().unwrap() >= 3, "the Internet Society's at least: {stats}");
}

/// The number on the summary line that starts with `label`.
fn count(stdout: &str, label: &str) -> Option<u64> {
    stdout.lines().find(|l| l.trim_start().starts_with(label))?.split_whitespace().last()?.parse().ok()
}

#[test]
fn analyze_writes_once_and_reports_an_unusable_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let hys = repo("demo/have_your_say");
    assert!(lobbyscope(&db, &["import", "--quiet", hys.to_str().unwrap()]).status.success());

    let out = lobbyscope(&db, &["analyze", "--quiet", "--org", "953701819437-32"]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("for 1 organisation(s)"), "{stdout}");
    assert_eq!(count(&stdout, "written and shown"), Some(3), "{stdout}");
    assert_eq!(count(&stdout, "no position found"), Some(1), "{stdout}");
    let out = lobbyscope(&db, &["analyze", "--quiet"]);
    assert_eq!(count(&text(&out.stdout), "unchanged since the last run"), Some(4), "{}", text(&out.stdout));

    // A port nothing listens on: every item stays pending and the exit code says so.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lobbyscope"))
        .arg("--db")
        .arg(&db)
        .args(["analyze", "--quiet", "--writer", "llm"])
        .env("LOBBYSCOPE_LLM_BASE_URL", format!("http://{closed}/v1"))
        .env("LOBBYSCOPE_LLM_MODEL", "none")
        .env("LOBBYSCOPE_LLM_MAX_RETRIES", "0")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "pending items are work not done, the rest kept");
    assert!(text(&out.stdout).contains("pending: response:"), "{}", text(&out.stdout));
    assert!(text(&out.stderr).contains("rerun `lobbyscope analyze` to resume"), "{}", text(&out.stderr));

    let out = Command::new(env!("CARGO_BIN_EXE_lobbyscope"))
        .arg("--db")
        .arg(&db)
        .args(["analyze", "--writer", "llm"])
        .env_remove("LOBBYSCOPE_LLM_BASE_URL")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("LOBBYSCOPE_LLM_BASE_URL"), "{}", text(&out.stderr));

    let out = lobbyscope(&db, &["analyze", "--org", "000000000000-00"]);
    assert!(text(&out.stderr).contains("no organisation 000000000000-00"), "{}", text(&out.stderr));
}

/// A `serve` child, killed when dropped.
struct Served {
    child: std::process::Child,
    addr: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    /// Starts `command` (a `serve`), and waits for the line that says where it listens.
    fn start(mut command: Command) -> Served {
        use std::io::{BufRead, BufReader};
        let mut child = command.stdout(std::process::Stdio::piped()).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let addr = line.split("http://").nth(1).and_then(|r| r.split('/').next()).unwrap_or_else(|| panic!("{line}"));
        Served { addr: addr.to_owned(), child }
    }

    /// The raw answer to GET `path`.
    fn get(&self, path: &str) -> String {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(&self.addr).unwrap();
        conn.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).unwrap();
        let mut reply = String::new();
        conn.read_to_string(&mut reply).unwrap();
        reply
    }
}

#[test]
fn serve_answers_on_the_given_address() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let ep = repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv");
    assert!(lobbyscope(&db, &["import", "--quiet", ep.to_str().unwrap()]).status.success());
    let mut command = Command::new(env!("CARGO_BIN_EXE_lobbyscope"));
    command.arg("--db").arg(&db).args(["serve", "--addr", "127.0.0.1:0"]);
    let served = Served::start(command);
    let reply = served.get("/no/such/page");
    assert!(reply.starts_with("HTTP/1.1 404"), "{reply}");
}

/// A stand-in for the Parliament's export on 127.0.0.1: the real fixture for every window
/// asked, 404 for anything else. Returns its base URL and the paths asked.
fn parliament_stand_in() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let csv = std::fs::read(repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv")).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&asked);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line.split(' ').nth(1).unwrap_or_default().to_owned();
            seen.lock().unwrap().push(path.clone());
            let (status, body): (&str, &[u8]) =
                if path.starts_with("/meps/en/search-meetings") { ("200 OK", &csv) } else { ("404 Not Found", b"no") };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes()).and_then(|()| conn.write_all(body));
        }
    });
    (base, asked)
}

#[test]
fn sync_prints_plain_progress_lines_and_a_summary_when_not_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let (base, _) = parliament_stand_in();
    let since = (chrono::Utc::now().date_naive() - chrono::Days::new(5)).to_string();
    let archive = dir.path().join("archive");
    let out = Command::new(env!("CARGO_BIN_EXE_lobbyscope"))
        .arg("--db")
        .arg(&db)
        .args(["sync", "--source", "ep", "--since", &since, "--contact", "newsroom@example.org", "--archive"])
        .arg(&archive)
        .env("LOBBYSCOPE_EP_BASE", &base)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.starts_with("ep: syncing European Parliament MEP meetings\n"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("ep: ") && l.contains(" new, 0 updated, ")), "{stdout}");
    assert!(stdout.contains("requests") && stdout.contains("unchanged"), "the summary table: {stdout}");

    // `status` reads the health the sync kept in the store, as /sources does.
    let out = lobbyscope(&db, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ep = &status["sources"][2];
    assert_eq!(ep["source"], "ep", "{status}");
    assert!(ep["run"]["records_seen"].as_u64().unwrap() > 250, "{ep}");
    assert_eq!((ep["last_error"].is_null(), ep["late"].as_bool()), (true, Some(false)), "{ep}");
    assert_eq!(status["sources"][0]["last_attempt"], serde_json::Value::Null, "the register was never synced");
    let text_out = text(&lobbyscope(&db, &["status"]).stdout);
    assert!(text_out.contains("EU Transparency Register (tr): never synced"), "{text_out}");
    assert!(text_out.contains("European Parliament MEP meetings (ep)\n  last attempt: "), "{text_out}");

    // Without a contact, nothing is asked.
    let out = Command::new(env!("CARGO_BIN_EXE_lobbyscope"))
        .arg("--db")
        .arg(&db)
        .args(["sync", "--source", "ep", "--archive"])
        .arg(&archive)
        .env("LOBBYSCOPE_EP_BASE", &base)
        .env_remove("LOBBYSCOPE_CONTACT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("LOBBYSCOPE_CONTACT"), "{}", text(&out.stderr));
}

#[test]
fn serve_syncs_in_the_background_while_it_answers() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let (base, asked) = parliament_stand_in();
    let since = (chrono::Utc::now().date_naive() - chrono::Days::new(20)).to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_lobbyscope"));
    command
        .arg("--db")
        .arg(&db)
        .args(["serve", "--addr", "127.0.0.1:0", "--sync-every", "1h", "--source", "ep", "--since", &since])
        .args(["--contact", "newsroom@example.org", "--archive"])
        .arg(dir.path().join("archive"))
        .env("LOBBYSCOPE_EP_BASE", &base);
    let served = Served::start(command);
    let reply = served.get("/");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    // The sync's import is seen from another process; a generous deadline, not a speed test.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let meetings = loop {
        let out = lobbyscope(&db, &["stats", "--json"]);
        let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let n = stats["parliament_meetings"].as_i64().unwrap_or(0);
        if n > 0 || std::time::Instant::now() > deadline {
            break n;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(meetings > 250, "the fixture's meetings arrived: {meetings}");
    let asked = asked.lock().unwrap().clone();
    assert!(asked.iter().all(|p| p.contains("exportFormat=CSV")), "{asked:?}");

    // The server's own sources page tells of the sync it ran, once the sync has noted it.
    let sources = loop {
        let reply = served.get("/api/sources");
        let body = reply.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
        let sources: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if !sources["sources"][2]["last_success"].is_null() || std::time::Instant::now() > deadline {
            break sources;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let ep = &sources["sources"][2];
    assert_eq!(
        (ep["source"].as_str(), ep["late"].as_bool(), ep["last_error"].is_null()),
        (Some("ep"), Some(false), true)
    );
    assert!(ep["run"]["records_seen"].as_u64().unwrap() > 250, "{ep}");
    assert_eq!(sources["sources"][0]["synced"], false, "{sources}");
    drop(served);
}

#[test]
fn generate_writes_a_corpus_that_imports_and_refuses_a_folder_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let corpus = dir.path().join("corpus");
    let corpus = corpus.to_str().unwrap();
    let size = ["--orgs", "40", "--ep", "60", "--ec", "50", "--responses", "70", "--seed", "5"];
    let out = lobbyscope(&db, &[&["generate", "--out", corpus][..], &size].concat());
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("register/ODP_30-09-2026.xml (40 records"), "{stdout}");
    assert!(stdout.contains("EP MEP meetings (CSV)"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("Have Your Say responses") && l.contains(" 70 ")), "{stdout}");

    let out = lobbyscope(&db, &["import", "--quiet", corpus]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    let files: Vec<&str> = stdout.lines().filter(|l| l.contains(": read ")).collect();
    assert!(files.len() > 6 && files.iter().all(|l| l.ends_with("rejected 0")), "{stdout}");

    let out = lobbyscope(&db, &[&["generate", "--out", corpus][..], &size].concat());
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("is not empty"), "{}", text(&out.stderr));
}

#[test]
fn resolve_answers_each_name_as_the_import_links_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    import_ep_and_register(&db);

    let resolve = |args: &[&str], names: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_lobbyscope"))
            .arg("--db")
            .arg(&db)
            .arg("resolve")
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(names.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        text(&out.stdout)
    };
    let lines = resolve(&[], "Estonian Trade Union Confederation\n\nEAKL\nNGVA Europe\nNo Such Organisation At All\n");
    let rows: Vec<Vec<&str>> = lines.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 4, "a line per name, blank lines skipped: {lines}");
    assert_eq!(
        rows[0][..3],
        ["Estonian Trade Union Confederation", "000831926607-75", "Estonian Trade Union Confederation (EAKL)"]
    );
    assert_eq!(rows[0][4], "a registered name");
    assert_eq!(rows[1][1], "000831926607-75", "the acronym: {lines}");
    // Not in the register, but the Parliament's file gave it beside its ID.
    assert_eq!(rows[2][1], "1119946481-54", "{lines}");
    assert!(rows[2][4].starts_with("a name the sources gave beside this register ID"), "{lines}");
    assert_eq!(rows[3][1], "", "{lines}");

    let json = resolve(&["--json"], "EAKL\n<script>x</script>\n");
    let values: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(values[0]["register_id"], "000831926607-75");
    assert_eq!(values[0]["method"], "acronym");
    assert_eq!(values[1]["register_id"], serde_json::Value::Null);
    assert_eq!(values[1]["name"], "<script>x</script>");
}
