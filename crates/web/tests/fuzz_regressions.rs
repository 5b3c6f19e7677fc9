//! Every query string the web's fuzz target (`fuzz/fuzz_targets/web_query.rs`, RELIABILITY.md)
//! found a fault with, kept under `fixtures/fuzz/web_query/`, replayed on stable as the target
//! reads it: from a request's URI through the `Params` extractor when it makes a valid URI, and
//! as text through `Params::from_query`; then every reader of `query.rs`. None may panic; a filter
//! must come back the same from the query string written for it, and a span must fit its text.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::task::{Context, Poll, Waker};

use axum::extract::FromRequestParts;
use axum::http::Request;
use lobbyscope_web::{PAGE_SIZE, Params, filter_query};

/// What the fuzz target does with its input (`lobbyscope_fuzz::query`).
fn query(data: &[u8]) {
    let mut uri = b"/?".to_vec();
    uri.extend_from_slice(data);
    if let Ok(request) = Request::builder().uri(uri).body(()) {
        let (mut parts, ()) = request.into_parts();
        let mut extract = std::pin::pin!(Params::from_request_parts(&mut parts, &()));
        match extract.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Ok(params)) => readers(&params, data.len()),
            Poll::Ready(Err(_)) => {}
            Poll::Pending => panic!("reading the query string waited"),
        }
    }
    if let Ok(params) = Params::from_query(&String::from_utf8_lossy(data)) {
        readers(&params, data.len());
    }
}

fn readers(params: &Params, len: usize) {
    let _ = params.page();
    for len in [0, 1, len, usize::MAX] {
        if let Ok(Some((start, end))) = params.span(len) {
            assert!(start < end && end <= len, "span {start}..{end} of a text of {len}");
        }
    }
    if let Ok(filter) = params.activity_filter() {
        assert_eq!(filter.limit, PAGE_SIZE);
        let page = filter.offset / PAGE_SIZE + 1;
        let written = filter_query(&filter, Some(page));
        let again = Params::from_query(written.strip_prefix('?').unwrap_or(&written))
            .and_then(|p| p.activity_filter())
            .unwrap_or_else(|e| panic!("{written:?} written for {filter:?} is refused: {e:?}"));
        assert_eq!(again, filter, "{written:?}");
    }
}

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
