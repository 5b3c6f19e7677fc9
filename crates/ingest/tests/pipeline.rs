//! The import pipeline end to end: real files → SQLite → linked organisations.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::path::{Path, PathBuf};

use lobbyscope_ingest::{ImportReport, Quiet, import_paths};
use lobbyscope_store::Store;
use lobbyscope_store_sqlite::SqliteStore;
use sqlx::Row;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

const REGISTER_SUBSET: &str = "fixtures/register/ODP_2018-10_relaid_subset30.xml.gz";
const EC_XLSX: &str = "demo/ec_meetings/meetingscommissionrepresentatives1924_generated-2023-06-13.xlsx";
const EP_SUBSET: &str = "fixtures/ep_meetings/search-meetings_subset_relaid.csv";

async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("test.sqlite")).await.unwrap();
    (dir, store)
}

async fn import(store: &SqliteStore, paths: &[PathBuf]) -> ImportReport {
    import_paths(store, paths, &Quiet).await.unwrap()
}

/// Every row of every data table, in a stable order, as text.
async fn dump(store: &SqliteStore) -> Vec<String> {
    dump_except(store, &[]).await
}

/// Like [`dump`], leaving out the named columns: comparing two stores filled at different
/// times or from differently named files means leaving out the provenance that says so.
async fn dump_except(store: &SqliteStore, skip: &[&str]) -> Vec<String> {
    use sqlx::Column;
    let tables = [
        "register_entries",
        "people",
        "meetings",
        "meeting_hosts",
        "meeting_procedures",
        "meeting_attendees",
        "initiatives",
        "publications",
        "feedback",
        "organisations",
    ];
    let mut out = Vec::new();
    for t in tables {
        let sql = format!("SELECT * FROM {t} ORDER BY 1, 2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(store.pool()).await.unwrap();
        for r in rows {
            let cols: Vec<String> = (0..r.len())
                .filter(|&i| !skip.contains(&r.columns()[i].name()))
                .map(|i| {
                    r.try_get::<Option<String>, _>(i)
                        .map(|v| format!("{v:?}"))
                        .or_else(|_| r.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                        .or_else(|_| r.try_get::<Option<f64>, _>(i).map(|v| format!("{v:?}")))
                        .unwrap()
                })
                .collect();
            out.push(format!("{t}: {}", cols.join(" | ")));
        }
    }
    out
}

async fn link_of(store: &SqliteStore, host: &str, date: &str, name: &str) -> (String, String) {
    let row = sqlx::query(
        "SELECT a.org_key, a.link_method FROM meeting_attendees a
         JOIN meetings m ON m.id = a.meeting_id JOIN meeting_hosts h ON h.meeting_id = m.id
         WHERE h.name = ? AND m.date = ? AND a.name = ?",
    )
    .bind(host)
    .bind(date)
    .bind(name)
    .fetch_one(store.pool())
    .await
    .unwrap_or_else(|e| panic!("no attendee {name} with {host} on {date}: {e}"));
    (row.get(0), row.get(1))
}

#[tokio::test]
async fn the_demo_imports_completely_with_its_known_records() {
    let (_dir, store) = fresh().await;
    let report = import(&store, &[repo("demo")]).await;
    for f in &report.files {
        assert!(f.failure.is_none(), "{}: {:?}", f.path.display(), f.failure);
        if !f.skipped {
            assert_eq!(f.rejected, 0, "{}: {:?}", f.path.display(), f.rejections);
        }
    }
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.register_snapshots, 1);
    assert_eq!(stats.register_entries, 2932);
    assert_eq!(stats.commission_meetings, 12_482 - EC_DUPLICATE_ROWS);
    assert_eq!(stats.parliament_meetings, 23_050 - EP_DUPLICATE_ROWS);
    assert!(stats.initiatives >= 4, "{stats:?}");
    assert!(stats.consultation_responses >= 4, "{stats:?}");
    assert!(stats.registered_organisations >= 2932, "{stats:?}");
    assert!(stats.organisations > stats.registered_organisations, "unregistered attendees are kept: {stats:?}");

    // The Internet Society's register entry and its Commission meeting of 30 June 2022.
    let (name, country): (String, String) =
        sqlx::query_as("SELECT name, head_office_country FROM register_entries WHERE register_id = '953701819437-32'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!((name.as_str(), country.as_str()), ("Internet Society (ISOC)", "UNITED STATES"));
    let meeting: (String, String, String) = sqlx::query_as(
        "SELECT m.id, m.cabinet, m.subject FROM meetings m JOIN meeting_attendees a ON a.meeting_id = m.id
         WHERE a.register_id = '953701819437-32' AND m.date = '2022-06-30' AND m.institution = 'commission'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!(meeting.1, "Cabinet of Executive Vice-President Margrethe Vestager");
    assert_eq!(meeting.2, "Broadband Cost Reduction Directive.");
    let hosts: Vec<(String, String)> =
        sqlx::query_as("SELECT name, role FROM meeting_hosts WHERE meeting_id = ? ORDER BY position")
            .bind(&meeting.0)
            .fetch_all(store.pool())
            .await
            .unwrap();
    assert_eq!(
        hosts,
        [("Christiane Canenbley".into(), "Cabinet member".into()), ("Werner Stengg".into(), "Cabinet member".into())]
    );

    // EP meetings name the Internet Society without an ID: linked by name and by acronym.
    let isoc = "953701819437-32".to_string();
    assert_eq!(
        link_of(&store, "BREYER Patrick", "2020-11-10", "Internet Society (ISOC)").await,
        (isoc.clone(), "exact_name".into())
    );
    assert_eq!(link_of(&store, "SIPPEL Birgit", "2020-10-21", "ISOC").await, (isoc.clone(), "acronym".into()));
    assert_eq!(
        link_of(&store, "ANDRESEN Rasmus", "2020-02-18", "Internet Society(ISOC)").await,
        (isoc, "register_id".into())
    );
    // A similar but different name is not guessed.
    let (key, method) = link_of(&store, "BREYER Patrick", "2021-07-08", "Internet Society Germany").await;
    assert_eq!((key.as_str(), method.as_str()), ("n:internet-society-germany", "unmatched"));
}

/// Rows repeated within the official files (identical once surrounding whitespace is
/// trimmed), which collapse into one meeting each since a meeting's identity is its content.
/// Counted independently with Python's csv module on the same files.
const EC_DUPLICATE_ROWS: i64 = 20;
const EP_DUPLICATE_ROWS: i64 = 27;

#[tokio::test]
async fn importing_the_same_files_twice_changes_nothing() {
    let (_dir, store) = fresh().await;
    let files = [repo(REGISTER_SUBSET), repo(EC_XLSX), repo(EP_SUBSET)];
    let first = import(&store, &files).await;
    assert!(first.files.iter().all(|f| f.counts.new > 0), "{first:?}");
    let before = dump(&store).await;
    let stats = store.stats().await.unwrap();

    let second = import(&store, &files).await;
    for f in &second.files {
        assert_eq!((f.counts.new, f.counts.updated), (0, 0), "{}", f.path.display());
        assert_eq!(f.counts.unchanged, f.read - f.rejected, "{}", f.path.display());
    }
    assert_eq!(second.relinked, 0);
    assert_eq!(dump(&store).await, before);
    assert_eq!(store.stats().await.unwrap(), stats);
}

#[tokio::test]
async fn links_do_not_depend_on_the_order_files_arrive_in() {
    let (_a, register_first) = fresh().await;
    import(&register_first, &[repo(REGISTER_SUBSET), repo(EP_SUBSET)]).await;
    let (_b, meetings_first) = fresh().await;
    import(&meetings_first, &[repo(EP_SUBSET)]).await;
    import(&meetings_first, &[repo(REGISTER_SUBSET)]).await;
    assert_eq!(
        dump_except(&register_first, &["imported_at"]).await,
        dump_except(&meetings_first, &["imported_at"]).await
    );
}

#[tokio::test]
async fn a_failed_file_commits_nothing_and_the_others_load() {
    let (_dir, store) = fresh().await;
    let bad = repo("fixtures/register/handmade_truncated.xml");
    let report = import(&store, &[bad.clone(), repo(EP_SUBSET)]).await;
    assert!(report.failed());
    let failed = &report.files[0];
    let why = failed.failure.as_deref().unwrap();
    assert!(why.contains("line"), "the failure names where the file broke: {why}");
    assert_eq!(failed.counts.new, 0);
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.register_entries, 0, "nothing of the truncated file is kept");
    assert!(stats.parliament_meetings > 0);
    assert_eq!(stats.imported_files, 1);
}

#[tokio::test]
async fn unknown_files_fail_when_named_and_are_skipped_in_folders() {
    let (_dir, store) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "just some notes\n").unwrap();
    std::fs::copy(repo(EP_SUBSET), dir.path().join("meetings.csv")).unwrap();

    let report = import(&store, std::slice::from_ref(&notes)).await;
    assert!(report.files[0].failure.as_deref().unwrap().contains("not a file of any known source"));

    let report = import(&store, &[dir.path().to_owned()]).await;
    assert!(!report.failed(), "{report:?}");
    let skipped: Vec<_> = report.files.iter().filter(|f| f.skipped).map(|f| f.path.clone()).collect();
    assert_eq!(skipped, [notes]);
    assert!(store.stats().await.unwrap().parliament_meetings > 0);
}

#[tokio::test]
async fn a_later_snapshot_adds_history_and_a_changed_one_updates() {
    let (_dir, store) = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(repo("fixtures/register/handmade_namespace_reset.xml")).unwrap();
    let first = import(&store, &[repo("fixtures/register/handmade_namespace_reset.xml")]).await;
    let entries = first.files[0].counts.new;
    assert!(entries > 0);

    // The same snapshot date with one name changed: one entry updated, the rest unchanged.
    let export_date = original.split("<exportDate>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let first_name = original.split("<originalName>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let changed = original.replacen(&format!("<originalName>{first_name}<"), "<originalName>Renamed Org<", 1);
    std::fs::write(dir.path().join("changed.xml"), &changed).unwrap();
    let report = import(&store, &[dir.path().join("changed.xml")]).await;
    assert_eq!((report.files[0].counts.updated, report.files[0].counts.new), (1, 0));
    assert_eq!(report.files[0].counts.unchanged, entries - 1);

    // A later export date is a new snapshot: history grows.
    let later = changed.replace(&format!("<exportDate>{export_date}<"), "<exportDate>2030-01-01T00:00:00<");
    std::fs::write(dir.path().join("later.xml"), later).unwrap();
    let report = import(&store, &[dir.path().join("later.xml")]).await;
    assert_eq!(report.files[0].counts.new, entries);
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.register_snapshots, stats.register_entries), (2, 2 * entries as i64));
}

#[tokio::test]
async fn links_made_while_importing_equal_a_full_relinking_pass() {
    let (_dir, store) = fresh().await;
    let first = import(&store, &[repo(REGISTER_SUBSET)]).await;
    assert!(!first.full_relink, "a register imported before any mention owes no pass");
    let registered = store.stats().await.unwrap().registered_organisations;
    assert!(registered > 0, "its organisations are written with it");
    let second = import(&store, &[repo(EP_SUBSET), repo(EC_XLSX)]).await;
    assert!(second.full_relink, "the meetings give names beside IDs the linker did not know: a pass applies them");
    let before = dump(&store).await;
    assert_eq!(lobbyscope_ingest::link(&store).await.unwrap(), 0, "a full pass finds nothing to change");
    assert_eq!(dump(&store).await, before);
}

#[tokio::test]
async fn meeting_files_give_the_same_store_in_either_order() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo(EP_SUBSET)).unwrap();
    let mut records = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = records.records().map(Result::unwrap).collect();
    let (header, rows) = rows.split_first().unwrap();
    let write_half = |name: &str, part: &[csv::StringRecord]| {
        let path = dir.path().join(name);
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(header).unwrap();
        for r in part {
            w.write_record(r).unwrap();
        }
        path
    };
    let a = write_half("a.csv", &rows[..rows.len() / 2]);
    let b = write_half("b.csv", &rows[rows.len() / 2..]);

    let (_x, ab) = fresh().await;
    import(&ab, &[repo(REGISTER_SUBSET)]).await;
    import(&ab, std::slice::from_ref(&a)).await;
    import(&ab, std::slice::from_ref(&b)).await;
    let (_y, ba) = fresh().await;
    import(&ba, &[repo(REGISTER_SUBSET)]).await;
    import(&ba, &[b]).await;
    import(&ba, &[a]).await;
    // Provenance names the file and time each meeting came from; everything else must agree.
    let skip = ["imported_at", "file", "locator"];
    assert_eq!(dump_except(&ab, &skip).await, dump_except(&ba, &skip).await);
}
