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

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use lobbyscope_domain::SourceKind;
use lobbyscope_sources::Limits;
use lobbyscope_sources::fuzzing::{limits as fuzz_limits, parse_all};

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
