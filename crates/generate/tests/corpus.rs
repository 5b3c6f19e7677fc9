//! A small generated corpus, read back by the real parsers and imported by the real pipeline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use lobbyscope_domain::{Institution, Record, SourceKind};
use lobbyscope_generate::{Options, Report, generate};
use lobbyscope_sources::{Parsed, open_path, parse};

fn small(seed: u64) -> Options {
    Options { orgs: 300, ep: 400, ec: 300, responses: 400, seed, snapshots: 1, page_size: 60, ..Options::default() }
}

fn make(opts: &Options) -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("corpus");
    let report = generate(&out, opts).unwrap();
    (dir, report)
}

fn out(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("corpus")
}

/// Every record of every file, each file recognised and parsed as the importer does it.
fn read_all(root: &Path, report: &Report) -> Vec<(SourceKind, PathBuf, Record)> {
    let mut records = Vec::new();
    for file in &report.files {
        let path = root.join(&file.path);
        let opened = open_path(&path).unwrap_or_else(|e| panic!("{}: {e}", file.path.display()));
        assert_eq!(opened.kind, file.source, "{} is recognised as what it was written as", file.path.display());
        let mut n = 0;
        for item in parse(opened.kind, opened.input).unwrap() {
            match item.unwrap_or_else(|e| panic!("{}: {e}", file.path.display())) {
                Parsed::Record(r) => {
                    n += 1;
                    records.push((file.source, file.path.clone(), r.record));
                }
                Parsed::Rejected(r) => panic!("{}: rejected at {}: {}", file.path.display(), r.locator, r.reason),
            }
        }
        assert_eq!(n, file.records, "{}: records as reported", file.path.display());
    }
    records
}

fn files_on_disk(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_owned(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn every_file_is_recognised_and_parses_with_the_requested_counts_and_no_rejection() {
    let opts = small(7);
    let (dir, report) = make(&opts);
    let root = out(&dir);
    assert_eq!(
        files_on_disk(&root).keys().cloned().collect::<Vec<_>>(),
        report.files.iter().map(|f| f.path.clone()).collect::<Vec<_>>(),
        "the report lists exactly the files written, in path order"
    );
    for source in [
        SourceKind::RegisterXml,
        SourceKind::CommissionMeetingsXlsx,
        SourceKind::CommissionMeetingsXml,
        SourceKind::EpMeetingsCsv,
        SourceKind::HysInitiative,
        SourceKind::HysFeedback,
    ] {
        assert!(report.files.iter().any(|f| f.source == source), "no {source:?} file");
    }
    let records = read_all(&root, &report);

    let mut snapshots: BTreeMap<chrono::NaiveDate, usize> = BTreeMap::new();
    let (mut commission, mut parliament, mut responses, mut initiatives) = (0, 0, 0, 0);
    for (_, _, record) in &records {
        match record {
            Record::Register(e) => *snapshots.entry(e.snapshot_date).or_default() += 1,
            Record::Meeting(m) if m.institution == Institution::Commission => commission += 1,
            Record::Meeting(_) => parliament += 1,
            Record::Feedback(_) => responses += 1,
            Record::Initiative(_) => initiatives += 1,
        }
    }
    let dates: Vec<_> = snapshots.keys().copied().collect();
    assert_eq!(dates.len(), 2, "the newest snapshot and one earlier: {dates:?}");
    assert_eq!(dates[1], opts.export_date);
    assert_eq!(snapshots[&dates[1]], opts.orgs as usize, "the newest snapshot lists every organisation");
    assert!(snapshots[&dates[0]] < opts.orgs as usize, "fewer were registered a quarter earlier");
    assert_eq!(commission, opts.ec);
    assert_eq!(parliament, opts.ep);
    assert_eq!(responses, opts.responses);
    assert!(initiatives >= 3);
    assert_eq!(report.records(&[SourceKind::HysInitiative]), initiatives);
    // Commission meetings are split between the two layouts.
    assert!(report.records(&[SourceKind::CommissionMeetingsXlsx]) > 0);
    assert!(report.records(&[SourceKind::CommissionMeetingsXml]) > 0);
}

#[test]
fn the_content_has_the_variety_of_the_real_sources() {
    let (dir, report) = make(&small(8));
    let records = read_all(&out(&dir), &report);
    let mut capacities = HashSet::new();
    let mut languages = HashSet::new();
    let mut procedures = 0;
    let mut several_hosts = 0;
    let mut per_mep_day: HashMap<(u64, chrono::NaiveDate), usize> = HashMap::new();
    let mut longest_response = 0;
    let mut diacritics = 0;
    for (_, _, record) in &records {
        match record {
            Record::Meeting(m) => {
                procedures += usize::from(!m.procedures.is_empty());
                several_hosts += usize::from(m.hosts.len() > 1);
                if let Some(ep_id) = m.hosts[0].ep_id {
                    capacities.extend(m.hosts[0].role.clone());
                    *per_mep_day.entry((ep_id, m.date)).or_default() += 1;
                }
                diacritics += usize::from(!m.subject.is_ascii());
            }
            Record::Feedback(f) => {
                languages.extend(f.language.clone());
                longest_response = longest_response.max(f.text.chars().count());
            }
            _ => {}
        }
    }
    for capacity in ["Member", "Rapporteur", "Shadow rapporteur"] {
        assert!(capacities.contains(capacity), "{capacity} missing from {capacities:?}");
    }
    assert!(languages.len() >= 5, "{languages:?}");
    assert!(procedures > 20, "{procedures} meetings cite a procedure");
    assert!(several_hosts > 10, "{several_hosts} Commission meetings have several hosts");
    assert!(per_mep_day.values().any(|&n| n > 1), "some meetings share an MEP and a day");
    assert!(longest_response > 3000, "the longest response has {longest_response} characters");
    assert!(diacritics > 20, "{diacritics} subjects carry non-ASCII letters");
}

#[test]
fn the_same_seed_gives_the_same_bytes_whatever_the_threads_and_another_seed_differs() {
    let (a, _) = make(&Options { threads: 1, ..small(11) });
    let (b, _) = make(&Options { threads: 3, ..small(11) });
    let (c, _) = make(&small(12));
    let (a, b, c) = (files_on_disk(&out(&a)), files_on_disk(&out(&b)), files_on_disk(&out(&c)));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(b[path] == *bytes, "{} differs between two runs with the same seed", path.display());
    }
    let same = a.iter().filter(|(path, bytes)| c.get(*path) == Some(bytes)).count();
    assert_eq!(same, 0, "another seed changes every file");
}

#[test]
fn register_ids_cited_by_meetings_and_responses_mostly_exist_in_the_register() {
    let (dir, report) = make(&small(13));
    let records = read_all(&out(&dir), &report);
    let registered: HashSet<String> = records
        .iter()
        .filter_map(|(_, _, r)| match r {
            Record::Register(e) => Some(e.register_id.as_str().to_owned()),
            _ => None,
        })
        .collect();
    let mut cited = Vec::new();
    let mut named_only = 0;
    for (_, _, record) in &records {
        match record {
            Record::Meeting(m) => {
                for a in &m.attendees {
                    match &a.register_id {
                        Some(id) => cited.push(id.as_str().to_owned()),
                        None => named_only += 1,
                    }
                }
            }
            Record::Feedback(f) => cited.extend(f.register_id.as_ref().map(|id| id.as_str().to_owned())),
            _ => {}
        }
    }
    let known = cited.iter().filter(|id| registered.contains(*id)).count();
    assert!(cited.len() > 300, "{} IDs cited", cited.len());
    assert!(known * 100 >= cited.len() * 95, "{known} of {} cited IDs are registered", cited.len());
    assert!(known < cited.len(), "a few cited IDs are unknown to the register, as in the real data");
    assert!(named_only > 100, "{named_only} mentions give only a name");
}

#[tokio::test]
async fn the_corpus_imports_end_to_end_and_links_by_id_and_by_name() {
    use lobbyscope_store::Store;
    use sqlx::Row;

    let opts = small(21);
    let (dir, _) = make(&opts);
    let store = lobbyscope_store_sqlite::SqliteStore::open(&dir.path().join("store.sqlite")).await.unwrap();
    let report = lobbyscope_ingest::import_paths(&store, &[out(&dir)], &lobbyscope_ingest::Quiet).await.unwrap();
    for f in &report.files {
        assert!(f.failure.is_none(), "{}: {:?}", f.path.display(), f.failure);
        assert!(!f.skipped, "{} was skipped", f.path.display());
        assert_eq!(f.rejected, 0, "{}: {:?}", f.path.display(), f.rejections);
    }
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.register_snapshots, 2);
    // Meetings and responses also cite a few well-formed IDs the register does not know.
    let orgs = i64::from(opts.orgs);
    assert!(stats.registered_organisations >= orgs && stats.registered_organisations < orgs * 11 / 10, "{stats:?}");
    assert!(stats.register_entries > orgs && stats.register_entries < 2 * orgs, "{stats:?}");
    assert_eq!(stats.consultation_responses, opts.responses as i64);
    // A meeting's identity is its content: the rare generated twin of another meeting is one.
    assert!(stats.commission_meetings * 100 >= opts.ec as i64 * 99, "{stats:?}");
    assert!(stats.parliament_meetings * 100 >= opts.ep as i64 * 99, "{stats:?}");
    assert!(stats.organisations > stats.registered_organisations, "unregistered organisations are kept: {stats:?}");

    let mut methods: HashMap<String, i64> = HashMap::new();
    for table in ["meeting_attendees", "feedback"] {
        let sql = format!("SELECT link_method, COUNT(*) FROM {table} WHERE link_method IS NOT NULL GROUP BY 1");
        for row in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(store.pool()).await.unwrap() {
            *methods.entry(row.get(0)).or_default() += row.get::<i64, _>(1);
        }
    }
    let total: i64 = methods.values().sum();
    let share = |m: &str| methods.get(m).copied().unwrap_or(0) * 100 / total.max(1);
    assert!(share("register_id") >= 30, "{methods:?}");
    assert!(share("exact_name") >= 10, "{methods:?}");
    assert!(methods.get("acronym").is_some_and(|&n| n >= 5), "{methods:?}");
    assert!(share("unmatched") >= 5, "{methods:?}");
}
