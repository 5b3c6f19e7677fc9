//! What every fuzz target runs, kept here so that each target is one line and the regression
//! tests on stable (`crates/sources/tests/fuzz_regressions.rs`, `crates/web/tests/fuzz_regressions.rs`)
//! can do the same: they copy [`limits`] and the checks below, so change both together.
//!
//! A target may return any error; it must never panic, loop or allocate without bound.

use std::io::Cursor;
use std::task::{Context, Poll, Waker};

use axum::extract::FromRequestParts;
use axum::http::Request;
use lobbyscope_domain::SourceKind;
use lobbyscope_sources::{Limits, detect, parse_with};
use lobbyscope_web::{PAGE_SIZE, Params, filter_query};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// Limits far below the defaults, so that an input the fuzzer grows spends its time in the
/// parser's logic, not in allocations the defaults would allow; each still far above what the
/// fuzzer's inputs (64 KiB at most) need for their records.
pub fn limits() -> Limits {
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

/// `data` as a file of `kind`: recognised by [`detect`] (whatever it says), then parsed under
/// [`limits`] with every record and rejection read to the end. An error ends the stream: nothing
/// may follow it.
pub fn parse_all(kind: SourceKind, data: &[u8]) {
    let _ = detect(data);
    let Ok(mut items) = parse_with(kind, Box::new(Cursor::new(data.to_vec())), &limits()) else { return };
    while let Some(item) = items.next() {
        if let Err(e) = item {
            let _ = e.to_string();
            assert!(items.next().is_none(), "an item after the error {e}");
            return;
        }
    }
}

/// `data` as a query string, read twice as the site does: from a request's URI when `data`
/// makes a valid one (`Params` as an axum extractor), and as text (`Params::from_query`, lossy
/// UTF-8). Every reader of `query.rs` then runs on what was read; a filter read must come back
/// the same from the query string `filter_query` writes for it, and a span must fit its text.
pub fn query(data: &[u8]) {
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
