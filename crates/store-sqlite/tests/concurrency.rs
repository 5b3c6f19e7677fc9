//! Several stores on one SQLite file, as several processes use it: a server reading while an
//! import writes, a second writer, a store reopened after its process stopped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::path::Path;
use std::time::Duration;

use lobbyscope_domain::{Locator, Provenance, Record, SourceKind};
use lobbyscope_store::{ImportFile, Stamped, Store, StoreError};
use lobbyscope_store_contract as contract;
use lobbyscope_store_sqlite::SqliteStore;

fn file(name: &str, source: SourceKind) -> ImportFile {
    ImportFile { file: name.into(), source, sha256: format!("sha-{name}"), imported_at: "2026-11-29T12:00:00Z".into() }
}

fn stamped(record: Record, source: SourceKind) -> Stamped {
    let prov = Provenance {
        source,
        file: "test".into(),
        locator: Locator::Row(1),
        imported_at: "2026-11-29T12:00:00Z".into(),
        content_hash: record.content_hash(),
    };
    Stamped { prov, record, links: vec![] }
}

fn register(name: &str, snapshot: &str) -> Stamped {
    stamped(Record::Register(contract::register_entry("953701819437-32", name, snapshot)), SourceKind::RegisterXml)
}

fn meeting() -> Stamped {
    stamped(Record::Meeting(contract::parliament_meeting()), SourceKind::EpMeetingsCsv)
}

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path).await.expect("open")
}

/// A register file committed by a process that stopped before its linking pass (the store is
/// dropped, not closed) leaves the pass owed to whoever opens the file next.
#[tokio::test]
async fn an_owed_linking_pass_outlives_the_process_that_owed_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    {
        let store = open(&path).await;
        // A mention linked against the register before it changes is what owes the pass.
        let mut w = store.begin(&file("ep", SourceKind::EpMeetingsCsv)).await.unwrap();
        w.write(&[meeting()], &[]).await.unwrap();
        w.commit().await.unwrap();
        let mut w = store.begin(&file("register", SourceKind::RegisterXml)).await.unwrap();
        w.write(&[register("Internet Society (ISOC)", "2018-10-25")], &[]).await.unwrap();
        w.commit().await.unwrap();
    }
    let store = open(&path).await;
    assert!(store.relink_pending().await.unwrap());
    store.apply_links(&[], &[]).await.unwrap();
    drop(store);
    assert!(!open(&path).await.relink_pending().await.unwrap());
}

/// While one store has a file's transaction open, another store on the same file (the site's
/// server) reads what was committed before it, without waiting.
#[tokio::test]
async fn another_store_reads_while_a_file_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let importer = open(&path).await;
    let mut w = importer.begin(&file("ep", SourceKind::EpMeetingsCsv)).await.unwrap();
    w.write(&[meeting()], &[]).await.unwrap();
    w.commit().await.unwrap();

    let mut w = importer.begin(&file("register", SourceKind::RegisterXml)).await.unwrap();
    w.write(&[register("Internet Society (ISOC)", "2018-10-25")], &[]).await.unwrap();
    let server = open(&path).await;
    let stats = server.stats().await.unwrap();
    assert_eq!((stats.meetings, stats.register_entries), (1, 0));
    assert_eq!(server.latest_activity(5).await.unwrap().len(), 1);
    w.commit().await.unwrap();
    assert_eq!(server.stats().await.unwrap().register_entries, 1);
}

/// A writer that finds another's transaction open waits for it instead of failing.
#[tokio::test]
async fn a_second_writer_waits_for_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let first = open(&path).await;
    let second = open(&path).await;
    let mut w = first.begin(&file("register", SourceKind::RegisterXml)).await.unwrap();
    w.write(&[register("Internet Society (ISOC)", "2018-10-25")], &[]).await.unwrap();

    let waiting = tokio::spawn(async move {
        let mut w = second.begin(&file("ep", SourceKind::EpMeetingsCsv)).await?;
        w.write(&[meeting()], &[]).await?;
        w.commit().await?;
        second.stats().await
    });
    // Not an assertion: a pause so that the second writer most likely starts while the first
    // holds the database, which is the case this test is about. It passes either way only if
    // the second writer waits rather than fails.
    std::thread::sleep(Duration::from_millis(200));
    w.commit().await.unwrap();
    let stats = waiting.await.unwrap().expect("the second writer waited and wrote");
    assert_eq!((stats.register_entries, stats.meetings), (1, 1));
}

/// A writer that waits longer than its busy timeout gets a clear error, not SQLite's text.
#[tokio::test]
async fn a_database_busy_too_long_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    let first = open(&path).await;
    let impatient = SqliteStore::open_with_busy_timeout(&path, Duration::from_millis(20)).await.unwrap();
    let w = first.begin(&file("register", SourceKind::RegisterXml)).await.unwrap();

    let err = impatient.begin(&file("ep", SourceKind::EpMeetingsCsv)).await.err().expect("busy");
    let StoreError::Busy(why) = &err else { panic!("not a busy error: {err}") };
    let shown = err.to_string();
    assert!(shown.starts_with("the database is busy: another process kept it locked"), "{shown}");
    assert!(!shown.contains("database is locked") && !why.contains("code"), "{shown}");
    assert!(impatient.stats().await.is_ok(), "reading still works");

    w.commit().await.unwrap();
    let w = impatient.begin(&file("ep", SourceKind::EpMeetingsCsv)).await.expect("free again");
    w.commit().await.unwrap();
}

/// Two processes opening a new file at the same moment both get the schema, made once.
#[tokio::test]
async fn stores_opening_a_new_file_together_both_open_it() {
    let dir = tempfile::tempdir().unwrap();
    for n in 0..5 {
        let path = dir.path().join(format!("db{n}.sqlite"));
        let (a, b) = tokio::join!(SqliteStore::open(&path), SqliteStore::open(&path));
        let (a, b) = (a.expect("first open"), b.expect("second open"));
        assert!(!a.relink_pending().await.unwrap() && !b.relink_pending().await.unwrap());
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations").fetch_one(a.pool()).await.unwrap();
        assert_eq!(applied, std::fs::read_dir("migrations").unwrap().count() as i64);
    }
}
