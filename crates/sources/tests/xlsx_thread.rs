//! A workbook's sheet is read on a thread of its own (`ec_meetings_xlsx::parse`); a file let go
//! part-way must not leave that thread, and the workbook it holds, behind. Alone in its test
//! binary, so that no other test's workbook thread is counted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::io::Cursor;
use std::path::Path;

use lobbyscope_domain::SourceKind;
use lobbyscope_sources::{Limits, parse_with};

/// Threads of this process named as the sheet reader names its own (Linux's view of them).
fn sheet_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.trim() == "xlsx-rows")
        .count()
}

#[test]
fn a_workbook_let_go_part_way_leaves_no_thread_behind() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../demo/ec_meetings/meetingscommissionrepresentatives1924_generated-2023-06-13.xlsx");
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(sheet_threads(), 0);

    let mut rows =
        parse_with(SourceKind::CommissionMeetingsXlsx, Box::new(Cursor::new(bytes.clone())), &Limits::default())
            .expect("the demo workbook opens");
    assert!(rows.next().is_some_and(|row| row.is_ok()), "a first row is read");
    // The reader is ahead of the importer now, blocked on the full channel.
    assert_eq!(sheet_threads(), 1);
    drop(rows);
    assert_eq!(sheet_threads(), 0, "dropping the rows ends the sheet's thread");

    // Read to the end, the same.
    let all = parse_with(SourceKind::CommissionMeetingsXlsx, Box::new(Cursor::new(bytes)), &Limits::default()).unwrap();
    assert!(all.count() > 1);
    assert_eq!(sheet_threads(), 0);
}
