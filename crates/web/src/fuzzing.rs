//! What the web's fuzz target (`fuzz/fuzz_targets/web_query.rs`) does with an input, here so
//! that the regression test on stable (`tests/fuzz_regressions.rs`) replays exactly it. Not part
//! of the API.

#![allow(clippy::panic, reason = "a broken expectation must panic, for the fuzzer to find it")]

use std::task::{Context, Poll, Waker};

use axum::extract::FromRequestParts;
use axum::http::Request;

use crate::query::{PAGE_SIZE, Params, filter_query};

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
