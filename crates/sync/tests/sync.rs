//! `sync` against a stand-in for the official hosts on 127.0.0.1 (`upstream`): what arrives,
//! what is asked, and what a fault or a changed format does to the store and the state.

#![allow(clippy::unwrap_used, reason = "test code: a broken expectation fails the test")]

mod upstream;

use std::sync::Arc;
use std::time::Duration;

use lobbyscope_store::Store;
use lobbyscope_sync::SourceId;
use lobbyscope_sync::state::State;
use upstream::{CONTACT, Fault, Upstream, day, setup};

/// 1,500 meetings in March 2024 (past the export's cap for the month and for its halves) and
/// a few in the other months.
fn with_a_busy_month() -> Arc<Upstream> {
    let up = Upstream::new();
    for d in 1..=30 {
        up.add_ep_meetings(day(2024, 3, d), 50);
    }
    for (m, d) in [(1, 10), (2, 29), (4, 2), (5, 31)] {
        up.add_ep_meetings(day(2024, m, d), 10);
    }
    up
}

#[tokio::test]
async fn windows_are_split_until_under_the_cap_and_nothing_is_lost_or_doubled() {
    let up = with_a_busy_month();
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Parliament]).await;

    let report = s.sync().await;
    let ep = &report.sources[0];
    assert_eq!(ep.failure, None);
    assert_eq!(s.ep_meetings().await, 1540, "every meeting once");
    assert_eq!(ep.records_seen, 1540);
    assert_eq!(ep.counts.new, 1540);
    // January, February, April and May once each; March (1,500 rows) and its two halves (750).
    assert_eq!(up.requests_to("/meps/en/search-meetings"), 4 + 1 + 2);
    assert!(
        up.seen().iter().all(|s| s.user_agent.starts_with("lobbyscope/") && s.user_agent.contains(CONTACT)),
        "every request names the project and the contact"
    );

    // The next sync asks again from three months before the last day, and adds nothing.
    let again = s.sync().await;
    assert_eq!(again.sources[0].failure, None);
    assert_eq!(again.sources[0].counts.new, 0);
    assert_eq!(s.ep_meetings().await, 1540);
    let state = State::load(&s.options.archive).unwrap();
    assert_eq!(state.parliament_through, Some(day(2024, 5, 31)));
    let health = s.health(SourceId::Parliament).await;
    assert!(health.last_success.is_some() && health.last_error.is_none(), "{health:?}");
    // February to May: from three months before the last day, on a month's first day.
    assert_eq!((health.run.records_seen, health.run.new, health.run.unchanged), (1530, 0, 1530), "the last run's");

    // April's meetings taken down: the month is asked whole again, and they are marked.
    let april: Vec<_> = up.ep_rows.lock().unwrap().iter().filter(|(d, _)| *d == day(2024, 4, 2)).cloned().collect();
    up.ep_rows.lock().unwrap().retain(|(d, _)| *d != day(2024, 4, 2));
    let third = s.sync().await;
    assert_eq!(third.sources[0].failure, None);
    assert_eq!(third.sources[0].withdrawn, 10, "{:?}", third.sources[0]);
    assert_eq!(s.ep_meetings().await, 1540, "kept");
    assert_eq!(up.requests_to("/meps/en/search-meetings?textualSearch=&fromDate=01%2F02%2F2024"), 3);
    assert_eq!(up.requests_to("/meps/en/search-meetings?textualSearch=&fromDate=29%2F02%2F2024"), 0);
    // Published again, they lose the mark. (March, split in halves both times, is one listing:
    // nothing of it was marked.)
    up.ep_rows.lock().unwrap().extend(april);
    let fourth = s.sync().await;
    assert_eq!((fourth.sources[0].withdrawn, fourth.sources[0].returned), (0, 10));
}

#[tokio::test]
async fn faults_are_retried_and_the_data_arrives_once() {
    let up = with_a_busy_month();
    up.fault("fromDate=01%2F01%2F2024", Fault::Status(500));
    up.fault("fromDate=01%2F01%2F2024", Fault::TooMany(1));
    up.fault("fromDate=01%2F02%2F2024", Fault::Html);
    up.fault("fromDate=01%2F02%2F2024", Fault::Delay(Duration::from_secs(3)));
    up.fault("fromDate=01%2F04%2F2024", Fault::Truncate);
    up.fault("fromDate=01%2F05%2F2024", Fault::Status(503));
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Parliament]).await;

    let started = std::time::Instant::now();
    let report = s.sync().await;
    let ep = &report.sources[0];
    assert_eq!(ep.failure, None);
    assert_eq!(ep.retries, 6, "each fault cost one retry");
    assert!(started.elapsed() >= Duration::from_secs(1), "the Retry-After of 1 s was honoured");
    assert_eq!(s.ep_meetings().await, 1540, "every meeting once, none from a broken answer");
    assert!(up.faults.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_window_that_keeps_failing_fails_the_source_and_the_next_sync_finishes_it() {
    let up = with_a_busy_month();
    for _ in 0..7 {
        up.fault("fromDate=01%2F04%2F2024", Fault::Status(502));
    }
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Register, SourceId::Parliament]).await;

    let report = s.sync().await;
    assert!(report.failed());
    let ep = report.sources.iter().find(|r| r.source == SourceId::Parliament).unwrap();
    let failure = ep.failure.as_deref().unwrap();
    assert!(failure.contains("HTTP 502") && failure.contains("7 attempts"), "{failure}");
    assert_eq!(s.ep_meetings().await, 0, "a source is imported whole or not at all");
    let tr = report.sources.iter().find(|r| r.source == SourceId::Register).unwrap();
    assert_eq!(tr.failure, None, "the other source went on");
    let state = State::load(&s.options.archive).unwrap();
    assert_eq!(state.parliament_through, None, "the failed windows are asked again");
    let health = s.health(SourceId::Parliament).await;
    assert!(health.last_error.as_deref().unwrap().contains("HTTP 502"), "{health:?}");
    assert_eq!(health.last_success, None);
    assert!(s.health(SourceId::Register).await.last_error.is_none());

    let again = s.sync().await;
    assert!(!again.failed(), "{again:?}");
    assert_eq!(s.ep_meetings().await, 1540);
}

#[tokio::test]
async fn a_changed_csv_header_fails_the_source_loudly() {
    let up = with_a_busy_month();
    *up.ep_header.lock().unwrap() = upstream::EP_HEADER.replace("meeting_date", "date_of_meeting");
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Parliament]).await;

    let report = s.sync().await;
    let failure = report.sources[0].failure.as_deref().unwrap();
    assert!(failure.contains("the format changed") && failure.contains("meeting_date"), "{failure}");
    assert_eq!(s.ep_meetings().await, 0);
}

#[tokio::test]
async fn a_day_at_the_cap_is_kept_with_a_warning() {
    let up = Upstream::new();
    up.add_ep_meetings(day(2024, 2, 7), 1200);
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Parliament]).await;

    let report = s.sync().await;
    let ep = &report.sources[0];
    assert_eq!(ep.failure, None);
    assert_eq!(s.ep_meetings().await, 1000, "what the export answers for the day");
    assert!(ep.warnings.iter().any(|w| w.contains("2024-02-07") && w.contains("cap")), "{:?}", ep.warnings);
    assert_eq!(s.health(SourceId::Parliament).await.warnings, ep.warnings, "the health page's warnings");
}

#[tokio::test]
async fn the_register_is_checked_imported_and_not_fetched_again_unchanged() {
    let up = Upstream::new();
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Register, SourceId::Commission]).await;

    let report = s.sync().await;
    assert!(!report.failed(), "{report:?}");
    let stats = s.store.stats().await.unwrap();
    assert_eq!(stats.register_entries, 30);
    assert!(stats.commission_meetings > 0);
    let ec = &report.sources[1];
    assert_eq!(ec.files, 4);
    assert!(ec.warnings.iter().any(|w| w.contains("1419")), "bad_rows.xlsx has rows it cannot read: {:?}", ec.warnings);

    // Asked again with the ETags: nothing changed, nothing fetched or imported.
    let again = s.sync().await;
    assert!(!again.failed(), "{again:?}");
    assert!(again.sources.iter().all(|r| r.files == 0 && r.bytes == 0), "{again:?}");
    let conditional = up.seen().into_iter().rev().take(5).filter(|s| s.if_none_match.is_some()).count();
    assert_eq!(conditional, 5, "the register and the four Commission files asked with If-None-Match");

    // An export that ends half-way (well-formed so far, complete by its length) is refused.
    let whole = up.register.lock().unwrap().clone();
    let cut = whole.len() / 2;
    *up.register.lock().unwrap() = whole[..cut].to_vec();
    let report = s.sync().await;
    let failure = report.sources[0].failure.as_deref().unwrap();
    assert!(failure.contains("cut short") || failure.contains("not well-formed"), "{failure}");
    assert_eq!(s.store.stats().await.unwrap().register_snapshots, 1, "no second snapshot from a broken export");
}

#[tokio::test]
async fn a_register_far_smaller_than_the_last_is_refused() {
    let up = Upstream::new();
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Register]).await;
    let state = State { register_organisations: Some(100), ..State::default() };
    std::fs::create_dir_all(&s.options.archive).unwrap();
    state.save(&s.options.archive).unwrap();

    let report = s.sync().await;
    let failure = report.sources[0].failure.as_deref().unwrap();
    assert!(failure.contains("30 organisations, against 100"), "{failure}");
    assert_eq!(s.store.stats().await.unwrap().register_entries, 0);
}

#[tokio::test]
async fn a_commission_workbook_that_cannot_be_had_is_taken_as_xml() {
    let up = Upstream::new();
    for _ in 0..7 {
        up.fault("dataxlsx?name=meetingscommissionrepresentatives1924", Fault::Status(503));
    }
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Commission]).await;

    let report = s.sync().await;
    let ec = &report.sources[0];
    assert_eq!(ec.failure, None, "{ec:?}");
    assert_eq!(ec.files, 4);
    assert!(
        ec.warnings.iter().any(|w| w.contains("1924: the XML was imported") && w.contains("HTTP 503")),
        "{:?}",
        ec.warnings
    );
    assert_eq!(up.requests_to("/data/meetings/dataxml?name=meetingscommissionrepresentatives1924"), 1);
    assert_eq!(up.requests_to("/data/meetings/dataxml"), 1, "the other files came as XLSX");

    // With neither layout to be had, the source fails with the workbook's trouble.
    let up = Upstream::new();
    *up.commission.lock().unwrap().get_mut("meetingsdirectorgenerals").unwrap() =
        b"PK\x03\x04 not a zip PK\x05\x06".to_vec();
    up.commission_xml.lock().unwrap().clear();
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Commission]).await;
    let report = s.sync().await;
    let failure = report.sources[0].failure.as_deref().unwrap();
    assert!(failure.contains("dataxlsx?name=meetingsdirectorgenerals"), "{failure}");
    assert_eq!(s.store.stats().await.unwrap().commission_meetings, 0, "a source is imported whole or not at all");
}

#[tokio::test]
async fn reimport_reads_again_what_the_syncs_imported_and_nothing_they_refused() {
    let up = Upstream::new();
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Register, SourceId::Commission]).await;
    assert!(!s.sync().await.failed());
    // A later export cut in half: archived as evidence, refused, not imported.
    let whole = up.register.lock().unwrap().clone();
    *up.register.lock().unwrap() = whole[..whole.len() / 2].to_vec();
    assert!(s.sync().await.failed());

    let fresh = lobbyscope_store_sqlite::SqliteStore::open(&s.dir.path().join("fresh.sqlite")).await.unwrap();
    let paths = lobbyscope_sync::reimport_paths(&s.options.archive).unwrap();
    let report = lobbyscope_ingest::import_paths(&fresh, &paths, &lobbyscope_ingest::Quiet).await.unwrap();
    assert!(!report.failed(), "{report:?}");
    assert_eq!(report.files.len(), 5, "the register and the four Commission files, once each");
    let (synced, reimported) = (s.store.stats().await.unwrap(), fresh.stats().await.unwrap());
    assert_eq!(reimported.register_entries, 30);
    assert_eq!(reimported.register_snapshots, 1);
    assert_eq!(reimported.commission_meetings, synced.commission_meetings);

    // Into the store they came from: nothing new. (Two fixtures hold one meeting in two
    // forms, with and without a portfolio, so it is updated to the form read last.)
    let again = lobbyscope_ingest::import_paths(&s.store, &paths, &lobbyscope_ingest::Quiet).await.unwrap();
    assert!(again.files.iter().all(|f| f.counts.new == 0), "{again:?}");
    let after = s.store.stats().await.unwrap();
    assert_eq!(
        (after.meetings, after.organisations, after.register_entries, after.register_snapshots),
        (synced.meetings, synced.organisations, synced.register_entries, synced.register_snapshots)
    );
}

#[tokio::test]
async fn meetings_a_commission_file_no_longer_holds_are_marked_not_deleted() {
    let up = Upstream::new();
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Commission]).await;
    assert!(!s.sync().await.failed());
    let before = s.store.stats().await.unwrap().commission_meetings;

    // The Directors-General's file now holds other meetings (another file's two).
    let other = up.commission.lock().unwrap()["meetingscommissionrepresentatives1924"].clone();
    up.commission.lock().unwrap().insert("meetingsdirectorgenerals".into(), other);
    let report = s.sync().await;
    let ec = &report.sources[0];
    assert_eq!(ec.failure, None, "{ec:?}");
    assert_eq!(ec.files, 1);
    assert_eq!(ec.withdrawn, 2, "the file's two earlier meetings, and none of the other files'");
    assert_eq!(s.store.stats().await.unwrap().commission_meetings, before, "kept");
}

#[tokio::test]
async fn a_value_new_to_this_version_is_imported_and_told() {
    let up = Upstream::new();
    up.add_ep_meetings(day(2024, 2, 7), 5);
    up.ep_rows.lock().unwrap().push((
        day(2024, 2, 8),
        "Hydrogen markets,197431,BREYER Patrick,2024-02-08,Vice-Chair,,Internet Society,\n".into(),
    ));
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::Parliament]).await;

    let report = s.sync().await;
    let ep = &report.sources[0];
    assert_eq!(ep.failure, None);
    assert_eq!(s.ep_meetings().await, 6, "imported as written");
    let new: Vec<&String> = ep.warnings.iter().filter(|w| w.contains("this version does not know")).collect();
    assert_eq!(new.len(), 1, "{:?}", ep.warnings);
    assert!(new[0].contains("MEP capacity") && new[0].contains("\"Vice-Chair\" (1 record"), "{new:?}");
}
