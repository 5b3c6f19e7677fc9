//! What keeps some requests from crowding out all the others: a bound on how many requests at
//! once may do work that grows with the data, on how long a request may take, and on how large
//! its head may be.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error;

/// The bounds a site is built with ([`crate::router_with`]).
#[derive(Clone, Debug)]
pub struct Limits {
    /// How long a request may take to produce its answer's head; then it is a 504. A streamed
    /// CSV export is past its head at once, so this never cuts one short.
    pub request_timeout: Duration,
    /// How many requests at once may read pages of the store for an answer that is not kept
    /// (searches, lists, timelines, exports).
    pub max_expensive: usize,
    /// How long such a request waits for its turn before it is refused with a 503.
    pub expensive_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { request_timeout: Duration::from_secs(20), max_expensive: 8, expensive_wait: Duration::from_secs(1) }
    }
}

/// The longest URI a request may have; longer is a 414. Every address of the site is far
/// shorter, and the query string has its own, shorter bound (`query::Params`).
pub const MAX_URI: usize = 8 << 10;
/// The most bytes of header lines (names, values and their separators) a request may have, and
/// how many lines; more is a 431.
pub const MAX_HEADER_BYTES: usize = 32 << 10;
pub const MAX_HEADERS: usize = 100;
/// The site reads no request bodies: any announced body is a 413.
pub const MAX_BODY: usize = 0;

/// The requests whose work grows with the data, taking turns: a permit each, held while the
/// answer is made.
#[derive(Clone)]
pub(crate) struct Expensive {
    permits: Arc<Semaphore>,
    wait: Duration,
}

impl Expensive {
    pub(crate) fn new(limits: &Limits) -> Expensive {
        Expensive { permits: Arc::new(Semaphore::new(limits.max_expensive.max(1))), wait: limits.expensive_wait }
    }

    /// A turn for a new request, if one comes free within the wait: past it the server is
    /// busier than waiting in line would fix, and the client is better told so at once.
    async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        tokio::time::timeout(self.wait, self.permits.clone().acquire_owned()).await.ok()?.ok()
    }

    /// A turn for the next page of an export already under way, however long it takes: the
    /// export was admitted, and cutting it now would leave a truncated file. Exports take a
    /// turn per page rather than for their whole length so that a client reading slowly holds
    /// no turn while its connection waits.
    pub(crate) async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        self.permits.clone().acquire_owned().await.ok()
    }
}

/// The middleware on the routes whose work grows with the data. It sits behind the page cache,
/// so that kept answers and revalidations take no turn.
pub(crate) async fn expensive(State(expensive): State<Expensive>, request: Request, next: Next) -> Response {
    let Some(_turn) = expensive.admit().await else {
        tracing::warn!(path = %request.uri().path(), "busy: a request was refused");
        let mut busy =
            error::layer_error(StatusCode::SERVICE_UNAVAILABLE, "The server is busy: try again in a moment.");
        busy.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return busy;
    };
    next.run(request).await
}

/// The middleware that refuses a request head larger than the site needs. hyper refuses a head
/// larger than its read buffer itself, with no headers of ours (`server`); that buffer is
/// larger than these bounds, so that such a request is answered here, as every other answer is.
pub(crate) async fn head(request: Request, next: Next) -> Response {
    let uri = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri > MAX_URI {
        return error::layer_error(StatusCode::URI_TOO_LONG, "The address is too long.");
    }
    let headers = request.headers();
    let bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if bytes > MAX_HEADER_BYTES || headers.len() > MAX_HEADERS {
        return error::layer_error(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "The request's headers are too large.");
    }
    next.run(request).await
}
