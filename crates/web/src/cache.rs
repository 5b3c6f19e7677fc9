//! Rendered answers kept until the data changes.
//!
//! The store changes only when files are imported, so a page rendered once stays right until
//! the store's data generation moves on. Answers are kept by URI and dropped all at once when
//! the generation changes; the generation is read at most once a second, so a page can lag an
//! import by that long. Browsers revalidate with the generation as `ETag` and get a 304, for
//! kept answers and for those too large or streamed to keep (exports). An entity tag is
//! compared only for the address it came with, so the generation alone tells one version of
//! an answer from the next.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lobbyscope_store::Store;

/// How stale the known generation may get before it is read again.
const RECHECK: Duration = Duration::from_secs(1);
/// Bounds: answers larger than this are not kept; past the total, everything is dropped.
const MAX_ANSWER: u64 = 2 << 20;
const MAX_TOTAL: usize = 96 << 20;

#[derive(Clone)]
struct Kept {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Default)]
struct Inner {
    generation: Option<i64>,
    checked: Option<Instant>,
    answers: HashMap<String, Kept>,
    bytes: usize,
}

pub struct PageCache {
    store: Arc<dyn Store>,
    inner: Mutex<Inner>,
}

impl PageCache {
    pub fn new(store: Arc<dyn Store>) -> Arc<PageCache> {
        Arc::new(PageCache { store, inner: Mutex::new(Inner::default()) })
    }

    /// A panic while the lock was held leaves answers that are whole or missing, never torn,
    /// so the cache goes on.
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current generation, read again when last read more than [`RECHECK`] ago.
    async fn generation(&self) -> Option<i64> {
        {
            let inner = self.lock();
            if let (Some(g), Some(at)) = (inner.generation, inner.checked)
                && at.elapsed() < RECHECK
            {
                return Some(g);
            }
        }
        let g = self.store.data_generation().await.ok()?;
        let mut inner = self.lock();
        if inner.generation != Some(g) {
            inner.answers.clear();
            inner.bytes = 0;
            inner.generation = Some(g);
        }
        inner.checked = Some(Instant::now());
        Some(g)
    }

    fn get(&self, key: &str) -> Option<Kept> {
        self.lock().answers.get(key).cloned()
    }

    fn put(&self, key: String, generation: i64, kept: Kept) {
        let mut inner = self.lock();
        if inner.generation != Some(generation) {
            return; // rendered under a generation that has passed
        }
        if inner.bytes + kept.body.len() > MAX_TOTAL {
            inner.answers.clear();
            inner.bytes = 0;
        }
        inner.bytes += kept.body.len();
        if let Some(old) = inner.answers.insert(key, kept) {
            inner.bytes -= old.body.len();
        }
    }
}

#[allow(clippy::expect_used, reason = "quotes, a letter and digits are all visible ASCII")]
fn etag(generation: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"g{generation}\"")).expect("ASCII")
}

fn answer(kept: Kept, tag: HeaderValue) -> Response {
    let mut response = (kept.status, kept.body).into_response();
    *response.headers_mut() = kept.headers;
    response.headers_mut().insert(header::ETAG, tag);
    response
}

/// Whether the request's `If-None-Match` names the current answer. The comparison is weak
/// (RFC 9110): a proxy that compresses an answer marks its tag weak (`W/"g11"`), and the
/// browser sends that back.
fn revalidates(request: &axum::http::HeaderMap, tag: &HeaderValue) -> bool {
    use headers::HeaderMapExt;
    let (Some(if_none_match), Ok(current)) =
        (request.typed_get::<headers::IfNoneMatch>(), tag.to_str().unwrap_or_default().parse::<headers::ETag>())
    else {
        return false;
    };
    !if_none_match.precondition_passes(&current)
}

/// Whether an answer is read from the search index, which catches up after the store's
/// generation moves on: the organisations list narrowed by a filter (`/orgs?q=`). Kept by
/// the generation, it could stay older than the index.
fn follows_the_index(uri: &axum::http::Uri) -> bool {
    matches!(uri.path(), "/orgs" | "/orgs.csv" | "/api/orgs")
        && uri
            .query()
            .is_some_and(|q| url::form_urlencoded::parse(q.as_bytes()).any(|(k, v)| k == "q" && !v.trim().is_empty()))
}

/// The middleware.
pub async fn layer(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET || follows_the_index(request.uri()) {
        return next.run(request).await;
    }
    let Some(generation) = cache.generation().await else {
        return next.run(request).await; // the store cannot say: serve uncached
    };
    let tag = etag(generation);
    if revalidates(request.headers(), &tag) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    let key = request.uri().to_string();
    if let Some(kept) = cache.get(&key) {
        return answer(kept, tag);
    }
    let mut response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    let small = response.body().size_hint().exact().is_some_and(|n| n <= MAX_ANSWER);
    if !small {
        // Not kept (a streamed export, a large answer), but it still changes only with the
        // data, so the browser can revalidate it as any page. Its pages are read after the
        // generation was, so the tag can only be older than the data, never newer: at worst
        // a revalidation gets the whole answer again.
        response.headers_mut().insert(header::ETAG, tag);
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ANSWER as usize).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "The answer could not be read.").into_response();
    };
    let kept = Kept { status: parts.status, headers: parts.headers, body: bytes };
    cache.put(key, generation, kept.clone());
    answer(kept, tag)
}
