//! A file's import holds a bounded amount in memory, whatever the file's size or shape: each
//! crafted file here is imported by the binary in a process of its own, whose high-water mark
//! (`VmHWM`, read from `/proc` while it runs) must stay under the 512 MB issue 11 sets.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const MB: u64 = 1_000_000;
const BOUND: u64 = 512 * MB;

/// Imports `file` into a fresh store; the exit code, what it printed, and the peak RSS.
fn import_measured(dir: &Path, file: &Path) -> (i32, String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lobbyscope"))
        .arg("--db")
        .arg(dir.join(format!("{}.sqlite", file.file_name().unwrap().to_string_lossy())))
        .args(["import", "--quiet"])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    // The high-water mark only grows: its last reading before the exit is the process's peak,
    // but for what it took in the last millisecond.
    while child.try_wait().unwrap().is_none() {
        if let Some(kb) = std::fs::read_to_string(&status).ok().as_deref().and_then(vm_hwm_kb) {
            peak = peak.max(kb * 1024);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let out = child.wait_with_output().unwrap();
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), said, peak)
}

fn vm_hwm_kb(status: &str) -> Option<u64> {
    status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Commission meetings XML of `meetings` meetings whose subjects are `subject_bytes` long each,
/// on days of their own.
fn big_meetings(path: &Path, meetings: usize, subject_bytes: usize) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let subject = "lorem ipsum ".repeat(subject_bytes / 12);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#).unwrap();
    writeln!(out, "<meetings>").unwrap();
    for i in 0..meetings {
        let date = format!("{}-{:02}-{:02}", 2000 + i / 336, i / 28 % 12 + 1, i % 28 + 1);
        writeln!(
            out,
            "<meeting><date>{date}</date><dgacronym>COMP</dgacronym><dgname>Directorate-General for Competition</dgname>\
             <location>Brussels</location><subject>{i} {subject}</subject>\
             <representative><name>Jane Example</name><title>Director-General</title></representative>\
             <entity><name>BUSINESSEUROPE</name><id>3978240953-79</id></entity></meeting>"
        )
        .unwrap();
    }
    writeln!(out, "</meetings>").unwrap();
    out.flush().unwrap();
}

#[test]
fn a_file_of_large_records_is_imported_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // 600 MB of 2 MB meetings (each within the parser's limits): more than the bound, so that
    // a batch or a read-ahead that held the file whole would show.
    let file = dir.path().join("large-meetings.xml");
    big_meetings(&file, 300, 2 << 20);
    assert!(std::fs::metadata(&file).unwrap().len() > BOUND);
    let (code, said, peak) = import_measured(dir.path(), &file);
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("read 300, new 300"), "{said}");
    eprintln!("{}: peak RSS {} MB", file.display(), peak / MB);
    assert!(peak > 0, "the process's memory was read");
    assert!(peak <= BOUND, "peak RSS {} MB, over {} MB", peak / MB, BOUND / MB);
}

#[test]
fn a_json_page_of_tiny_objects_at_the_size_limit_is_read_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // The page the JSON reader holds whole, at its default limit, made of the smallest objects
    // a parsed tree pays most for. None is a response, so the file fails, as it should.
    let file = dir.path().join("tiny-objects.json");
    let limit = (3 << 20) - 64;
    let mut page = String::from(r#"{"totalPages":1,"content":["#);
    while page.len() + 16 < limit {
        page.push_str(r#"{"a":[{}]},"#);
    }
    page.push_str(r#"{"a":[{}]}]}"#);
    assert!(page.len() < 3 << 20);
    std::fs::write(&file, &page).unwrap();
    let (code, said, peak) = import_measured(dir.path(), &file);
    assert_ne!(code, 0, "{said}");
    assert!(said.contains("tiny-objects.json") && !said.contains("over a limit"), "read, not refused: {said}");
    eprintln!("{}: peak RSS {} MB", file.display(), peak / MB);
    assert!(peak > 0, "the process's memory was read");
    assert!(peak <= BOUND, "peak RSS {} MB, over {} MB", peak / MB, BOUND / MB);
}
