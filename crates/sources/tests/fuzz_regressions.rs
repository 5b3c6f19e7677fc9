//! Every input the fuzz targets (`fuzz/`, RELIABILITY.md) found a fault with, kept minimised
//! under `fixtures/fuzz/<target>/`, replayed on stable through the entry point its target calls:
//! `detect`, then `parse_with` of the target's kind with every item read to the end, under the
//! fuzz targets' low limits and under the defaults. None may panic, and an error ends the stream.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use lobbyscope_domain::SourceKind;
use lobbyscope_sources::{Limits, detect, parse_with};

/// Each parser's target and the kind it parses its input as (`fuzz/fuzz_targets/`).
const TARGETS: &[(&str, SourceKind)] = &[
    ("register_xml", SourceKind::RegisterXml),
    ("ec_meetings_xlsx", SourceKind::CommissionMeetingsXlsx),
    ("ec_meetings_xml", SourceKind::CommissionMeetingsXml),
    ("ep_meetings_csv", SourceKind::EpMeetingsCsv),
    ("hys_json", SourceKind::HysFeedback),
];

/// The web's target, replayed by `crates/web/tests/fuzz_regressions.rs`.
const ELSEWHERE: &[&str] = &["web_query"];

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// The fuzz targets' limits, as `fuzz/src/lib.rs` sets them.
fn fuzz_limits() -> Limits {
    Limits {
        decompressed_bytes: 4 * MIB,
        compression_ratio: 100,
        xlsx_bytes: MIB,
        xlsx_inflated_bytes: 4 * MIB,
        xlsx_styles_bytes: 256 * KIB,
        xlsx_text_bytes: 4 * MIB,
        sheet_rows: 10_000,
        sheet_columns: 64,
        xml_depth: 64,
        xml_text_bytes: 256 * KIB,
        xml_record_bytes: MIB,
        csv_field_bytes: 64 * KIB,
        csv_row_bytes: 256 * KIB,
        json_bytes: MIB,
    }
}

/// What a fuzz target does with its input (`lobbyscope_fuzz::parse_all`).
fn parse_all(kind: SourceKind, data: &[u8], limits: &Limits) {
    let _ = detect(data);
    let Ok(mut items) = parse_with(kind, Box::new(Cursor::new(data.to_vec())), limits) else { return };
    while let Some(item) = items.next() {
        if let Err(e) = item {
            let _ = e.to_string();
            assert!(items.next().is_none(), "an item after the error {e}");
            return;
        }
    }
}

fn fuzz_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fuzz")
}

/// The inputs in one target's folder (its README aside), in name order.
fn inputs(target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_fixtures().join(target)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_finding_parses_without_panicking() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for &(target, kind) in TARGETS {
        for path in inputs(target) {
            let data = std::fs::read(&path).unwrap();
            for (name, limits) in [("fuzz", fuzz_limits()), ("default", Limits::default())] {
                if catch_unwind(AssertUnwindSafe(|| parse_all(kind, &data, &limits))).is_err() {
                    failures.push(format!("{} under the {name} limits", path.display()));
                }
            }
            replayed += 1;
        }
    }
    assert!(failures.is_empty(), "panicked on {} of {replayed} inputs: {failures:#?}", failures.len());
}

#[test]
fn every_fuzz_fixture_folder_is_a_target() {
    for entry in std::fs::read_dir(fuzz_fixtures()).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            TARGETS.iter().any(|&(t, _)| t == name) || ELSEWHERE.contains(&name.as_str()),
            "fixtures/fuzz/{name} is no fuzz target's folder"
        );
    }
}
