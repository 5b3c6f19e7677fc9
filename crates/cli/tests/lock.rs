//! A command that writes while an import holds the database waits its turn, and says for whom.
//!
//! The test itself holds the import lock, as a running import would, so that the waiting is
//! certain rather than a matter of timing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use lobbyscope_store::{ImportGuard, LockAttempt, LockHolder, Store};
use lobbyscope_store_sqlite::SqliteStore;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

fn spawn(db: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_lobbyscope"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs")
}

/// Takes the lock as a running import would.
async fn hold(store: &SqliteStore) -> (LockHolder, ImportGuard) {
    let me = LockHolder::this_process("import");
    let LockAttempt::Acquired(guard) = store.try_lock_for_import(&me).await.unwrap() else {
        panic!("a new database's lock is free");
    };
    (me, guard)
}

/// The child's first line on stderr (it waits there, so the line comes before its end).
fn first_stderr_line(child: &mut Child) -> String {
    let mut line = String::new();
    BufReader::new(child.stderr.as_mut().expect("piped")).read_line(&mut line).unwrap();
    line
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test]
async fn a_second_import_waits_for_the_running_one_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let store = SqliteStore::open(&db).await.unwrap();
    let (holder, guard) = hold(&store).await;

    let ep = repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv");
    let mut second = spawn(&db, &["import", "--quiet", ep.to_str().unwrap()]);
    let line = first_stderr_line(&mut second);
    assert_eq!(line, format!("another {holder} is running on this database; waiting…\n"));
    assert!(line.starts_with(&format!("another import (pid {}, started ", holder.pid)), "{line}");
    assert!(second.try_wait().unwrap().is_none(), "it waits, it does not give up");
    assert_eq!(store.stats().await.unwrap().meetings, 0, "nothing imported while it waits");

    drop(guard);
    let out = second.wait_with_output().unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("ep_meetings_csv: read 302, new 302"), "{}", text(&out.stdout));
    assert!(!text(&out.stderr).contains("locked"), "{}", text(&out.stderr));
    assert_eq!(store.stats().await.unwrap().parliament_meetings, 302);
}

#[tokio::test]
async fn analyze_waits_for_a_running_import_before_reading_links() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite");
    let store = SqliteStore::open(&db).await.unwrap();
    let (holder, guard) = hold(&store).await;

    let mut analyze = spawn(&db, &["analyze", "--quiet"]);
    assert_eq!(first_stderr_line(&mut analyze), format!("another {holder} is running on this database; waiting…\n"));
    assert!(analyze.try_wait().unwrap().is_none());
    drop(guard);
    let out = analyze.wait_with_output().unwrap();
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("Position items by the extractive writer"), "{}", text(&out.stdout));
}
