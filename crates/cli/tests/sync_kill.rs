//! `lobbyscope sync` killed with SIGKILL midway through Have Your Say, then run again: every
//! response once, none lost, and what the killed run had imported not asked for again.

#![allow(clippy::unwrap_used, reason = "test code: a broken expectation fails the test")]

#[path = "../../sync/tests/upstream/mod.rs"]
mod upstream;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use upstream::{Fault, Upstream};

fn sync_command(db: &std::path::Path, archive: &std::path::Path, base: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lobbyscope"));
    command
        .arg("--db")
        .arg(db)
        .args(["sync", "--source", "hys", "--interval", "0s", "--contact", "newsroom@example.org", "-q"])
        .arg("--archive")
        .arg(archive)
        .env("LOBBYSCOPE_HYS_BASE", base)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

fn stats(db: &std::path::Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_lobbyscope")).arg("--db").arg(db).args(["stats", "--json"]).output();
    serde_json::from_slice(&out.unwrap().stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_midway_is_finished_by_the_next_without_loss_or_doubles() {
    let up = Upstream::new();
    // 30 initiatives of 350 responses, 5 answers each: a batch is imported after the 20th.
    up.hys.lock().unwrap().add(50_000, 30, 350);
    up.fault("groupInitiatives/50025", Fault::Delay(Duration::from_secs(60)));
    let base = up.serve().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, archive) = (dir.path().join("db.sqlite"), dir.path().join("archive"));

    let mut killed = sync_command(&db, &archive, &base).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while up.requests_to("/brpapi/groupInitiatives/50025") == 0 {
        assert!(Instant::now() < deadline, "the sync never reached the 26th initiative");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    killed.kill().unwrap();
    killed.wait().unwrap();
    let first = stats(&db);
    assert_eq!((first["initiatives"].as_i64(), first["consultation_responses"].as_i64()), (Some(20), Some(7000)));

    let again = tokio::task::spawn_blocking(move || {
        let status = sync_command(&db, &archive, &base).status().unwrap();
        (status, db)
    });
    let (status, db) = again.await.unwrap();
    assert!(status.success(), "{status:?}");
    let after = stats(&db);
    assert_eq!((after["initiatives"].as_i64(), after["consultation_responses"].as_i64()), (Some(30), Some(10_500)));
    assert_eq!(up.requests_to("/brpapi/groupInitiatives/50003?"), 1, "imported by the killed run, not asked again");
    assert_eq!(up.requests_to("/brpapi/groupInitiatives/50022?"), 2, "fetched but not imported: asked again");
}
