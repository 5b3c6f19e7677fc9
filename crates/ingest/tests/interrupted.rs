//! Runs that stopped half-way (a process killed between a file's commit and the linking pass)
//! are finished by the next run of the same command: the store ends as a clean run leaves it. The real `kill -9`
//! is in the CLI's tests; here the stopped run is the state it leaves, built step by step.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::path::{Path, PathBuf};

use lobbyscope_ingest::{Quiet, finish_linking, import_file, import_paths};
use lobbyscope_store::Store;
use lobbyscope_store_sqlite::SqliteStore;
use sqlx::Row;

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

const REGISTER_SUBSET: &str = "fixtures/register/ODP_2018-10_relaid_subset30.xml.gz";
const EP_SUBSET: &str = "fixtures/ep_meetings/search-meetings_subset_relaid.csv";
const HYS: &str = "demo/have_your_say";

async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("test.sqlite")).await.unwrap();
    (dir, store)
}

/// Every link and organisation, and the counts: what a lost linking pass would change.
async fn links(store: &SqliteStore) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "SELECT meeting_id || '/' || position, org_key, link_method FROM meeting_attendees ORDER BY 1",
        "SELECT CAST(id AS TEXT), org_key, link_method FROM feedback ORDER BY 1",
        "SELECT key, register_id, name || '|' || coalesce(acronym, '') FROM organisations ORDER BY 1",
    ] {
        for r in sqlx::query(sql).fetch_all(store.pool()).await.unwrap() {
            let cols: Vec<Option<String>> = (0..3).map(|i| r.get(i)).collect();
            out.push(format!("{cols:?}"));
        }
    }
    let mut stats = store.stats().await.unwrap();
    stats.last_import = None;
    out.push(format!("{stats:?}"));
    out
}

/// What the register file of a run does before its linking pass: committed, nothing linked.
/// The pass is owed only when mentions were stored before it; returns whether it is.
async fn commit_register_only(store: &SqliteStore) -> bool {
    let mentions_before = store.stats().await.unwrap().meetings + store.stats().await.unwrap().consultation_responses;
    let linker = std::sync::Arc::new(lobbyscope_ingest::load_linker(store).await.unwrap());
    let report = import_file(store, &linker, &repo(REGISTER_SUBSET), false, &Quiet).await.unwrap();
    assert!(report.failure.is_none() && report.counts.new > 0, "{report:?}");
    let owed = store.relink_pending().await.unwrap();
    assert_eq!(owed, mentions_before > 0, "a pass is owed exactly when mentions were linked before");
    owed
}

#[tokio::test]
async fn a_run_stopped_before_its_linking_pass_is_finished_by_the_next() {
    for files in [[EP_SUBSET, HYS, REGISTER_SUBSET], [REGISTER_SUBSET, EP_SUBSET, HYS]] {
        let files: Vec<PathBuf> = files.iter().map(|f| repo(f)).collect();
        let (_a, clean) = fresh().await;
        import_paths(&clean, &files, &Quiet).await.unwrap();
        let expected = links(&clean).await;

        // Killed right after the register file's commit: the files before it are in, the
        // register is in, its linking pass is not.
        let (_b, stopped) = fresh().await;
        let before_register: Vec<PathBuf> =
            files.iter().take_while(|f| !f.ends_with(REGISTER_SUBSET)).cloned().collect();
        import_paths(&stopped, &before_register, &Quiet).await.unwrap();
        let owed = commit_register_only(&stopped).await;
        assert_ne!(links(&stopped).await, expected, "the pass is missing, or this test shows nothing");

        let again = import_paths(&stopped, &files, &Quiet).await.unwrap();
        // The run's own meetings may owe a pass too, for the names they give beside IDs.
        assert_eq!(again.owed_by_an_earlier_run, owed, "{again:?}");
        assert!(again.full_relink || !owed, "{again:?}");
        assert!(!stopped.relink_pending().await.unwrap());
        assert_eq!(links(&stopped).await, expected, "order {files:?}");
    }
}

#[tokio::test]
async fn an_import_with_nothing_to_import_still_makes_an_owed_pass() {
    let (_a, clean) = fresh().await;
    import_paths(&clean, &[repo(EP_SUBSET), repo(REGISTER_SUBSET)], &Quiet).await.unwrap();
    let (_b, stopped) = fresh().await;
    import_paths(&stopped, &[repo(EP_SUBSET)], &Quiet).await.unwrap();
    commit_register_only(&stopped).await;

    let empty = tempfile::tempdir().unwrap();
    let report = import_paths(&stopped, &[empty.path().to_owned()], &Quiet).await.unwrap();
    assert!(report.files.is_empty());
    assert!(report.owed_by_an_earlier_run && report.full_relink && report.relinked > 0, "{report:?}");
    assert!(!stopped.relink_pending().await.unwrap());
    assert_eq!(links(&stopped).await, links(&clean).await);
}

#[tokio::test]
async fn what_reads_links_makes_an_owed_pass_first() {
    let (_a, clean) = fresh().await;
    import_paths(&clean, &[repo(EP_SUBSET), repo(REGISTER_SUBSET)], &Quiet).await.unwrap();
    let (_b, stopped) = fresh().await;
    import_paths(&stopped, &[repo(EP_SUBSET)], &Quiet).await.unwrap();
    commit_register_only(&stopped).await;

    assert!(finish_linking(&stopped, "analyze", &Quiet).await.unwrap().is_some_and(|n| n > 0));
    assert_eq!(links(&stopped).await, links(&clean).await);
    assert_eq!(finish_linking(&stopped, "analyze", &Quiet).await.unwrap(), None, "nothing owed any more");
}

#[tokio::test]
async fn an_import_waits_for_the_lock_and_says_for_whom() {
    use lobbyscope_store::{LockAttempt, LockHolder};
    use std::sync::Mutex;

    struct Told(Mutex<Vec<Option<LockHolder>>>);
    impl lobbyscope_ingest::Progress for Told {
        fn waiting(&self, holder: Option<&LockHolder>) {
            self.0.lock().unwrap().push(holder.cloned());
        }
    }

    let (_dir, store) = fresh().await;
    let holder = LockHolder::this_process("import");
    let LockAttempt::Acquired(guard) = store.try_lock_for_import(&holder).await.unwrap() else { panic!("free") };
    let told = Told(Mutex::new(Vec::new()));
    let files = [repo(EP_SUBSET)];
    let import = import_paths(&store, &files, &told);
    let release = async {
        // The import cannot go on until the guard goes: told first, then nothing imported.
        let mut spins = 0;
        while told.0.lock().unwrap().is_empty() {
            spins += 1;
            assert!(spins < 1_000_000, "the import was never told to wait");
            tokio::task::yield_now().await;
        }
        assert_eq!(store.stats().await.unwrap().meetings, 0);
        drop(guard);
    };
    let (report, ()) = tokio::join!(import, release);
    assert!(!report.unwrap().failed());
    assert_eq!(*told.0.lock().unwrap(), [Some(holder)]);
    assert!(store.stats().await.unwrap().parliament_meetings > 0);
}

/// A response met twice in one run under two names leaves the first name's organisation
/// unused; the run's full pass removes it. A run finishing an interrupted one must end the same
/// way, so the pass the interrupted run owed is made at the end of the run that finishes it.
#[tokio::test]
async fn a_record_replaced_later_in_the_run_leaves_no_organisation_behind() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(repo("demo/have_your_say/feedback_publication_900000014.json")).unwrap();
    let renamed = |name: &str, file: &str| {
        let text = original
            .replace("\"organization\": \"Internet Society\"", &format!("\"organization\": \"{name}\""))
            .replace("\"trNumber\": \"953701819437-32\",", "");
        assert_ne!(text, original);
        let path = dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        path
    };
    let files = [repo(REGISTER_SUBSET), renamed("Think Tank Before", "a.json"), renamed("Think Tank After", "b.json")];

    let (_a, clean) = fresh().await;
    import_paths(&clean, &files, &Quiet).await.unwrap();
    let expected = links(&clean).await;
    assert!(!expected.iter().any(|l| l.contains("think-tank-before")), "{expected:#?}");

    let (_b, stopped) = fresh().await;
    assert!(!commit_register_only(&stopped).await, "no mention was linked before the register");
    let again = import_paths(&stopped, &files, &Quiet).await.unwrap();
    assert!(!again.full_relink, "the replaced record's organisation goes with it, without a pass: {again:?}");
    assert_eq!(links(&stopped).await, expected);
}
