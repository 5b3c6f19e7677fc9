//! Every query string the web's fuzz target (`fuzz/fuzz_targets/web_query.rs`, RELIABILITY.md)
//! found a fault with, kept under `fixtures/fuzz/web_query/`, replayed on stable through what the
//! target runs (`lobbyscope_web::fuzzing::query`). None may panic.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use lobbyscope_web::fuzzing::query;

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/fuzz/web_query");
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_finding_reads_without_panicking() {
    let files = inputs();
    let failures: Vec<String> = files
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).unwrap();
            catch_unwind(AssertUnwindSafe(|| query(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failures.is_empty(), "panicked on {} of {} inputs: {failures:#?}", failures.len(), files.len());
}

#[test]
fn the_links_query_strings_read_back() {
    for q in ["", "page=2", "kind=meetings&institution=parliament&year=2021&page=3", "start=0&end=10", "a=%zz", "%ff"] {
        query(q.as_bytes());
    }
}
