//! The site: server-rendered HTML that works without JavaScript, a JSON API under `/api` that
//! mirrors every page, CSV downloads and Atom feeds.
//!
//! Every page reads through the [`Store`] trait, so the site runs on any backend. All source
//! text reaches the browser through askama's HTML escaping; no page carries script, and a
//! strict Content-Security-Policy says so.

mod cache;
mod error;
mod export;
pub mod format;
#[doc(hidden)]
pub mod fuzzing;
mod limits;
mod lists;
mod org;
mod people;
mod position;
mod query;
mod record;
mod search;
mod server;
mod sources;
mod timeline;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lobbyscope_index::SearchIndex;
use lobbyscope_store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::WebError;
pub use limits::{Limits, MAX_BODY, MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI};
/// Items on a page of a timeline (an organisation's, a person's, a procedure's, an initiative's
/// responses): `lobbyscope bench corpus` works out the deepest page from an item count with it.
pub use query::PAGE_SIZE;
pub use server::{ServerOptions, serve};
pub use sources::Clock;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The search index, when this server has one (`/search`, `/api/suggest`).
    pub search: Option<Arc<SearchIndex>>,
    /// Turns for the pages of streamed exports (`export::csv_body`).
    pub(crate) expensive: limits::Expensive,
    /// What time it is, for the pages that depend on it (`/sources`), which the page cache
    /// does not hold.
    pub(crate) now: Clock,
}

const STYLE: &str = include_str!("../assets/style.css");

/// No script, no inline style, nothing from elsewhere: source text can carry markup, and this
/// makes sure none of it could ever run.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLE)
}

async fn not_found() -> WebError {
    WebError::NotFound("There is no page at this address.".into())
}

/// For load balancers: the process answers.
async fn healthz() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], "ok\n")
}

/// For load balancers: the database answers, with the schema this build reads (opening the
/// store brought it up to date, so a missing table means the database was replaced since).
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.data_generation().await {
        Ok(_) => ([(header::CACHE_CONTROL, "no-store")], "ready\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            let text = "the database does not answer\n";
            error::as_written(
                (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], text).into_response(),
                text.trim_end(),
            )
        }
    }
}

/// The headers every answer carries, errors included: whatever an answer holds, nothing in it
/// may run, be sniffed into another type, be framed or leak the address it was read at.
async fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// The span of one request in the log: what was asked, by which route, under which id (the
/// client's or the proxy's `x-request-id`, else one made here, and sent back either way).
fn request_span(request: &Request) -> tracing::Span {
    let route = request.extensions().get::<MatchedPath>().map_or("-", MatchedPath::as_str);
    let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!(target: "lobbyscope_web::request", "request", method = %request.method(), route, uri = %request.uri(), request_id = id)
}

/// One line per answer, when its head is sent (a streamed export goes on after it).
fn log_answer(response: &Response, latency: Duration, _span: &tracing::Span) {
    // Milliseconds to the hundredth: enough to see a slow page, short in a log line.
    let (status, ms) = (response.status().as_u16(), (latency.as_secs_f64() * 100_000.0).round() / 100.0);
    if response.status().is_server_error() {
        tracing::warn!(target: "lobbyscope_web::request", status, ms, "answered");
    } else {
        tracing::info!(target: "lobbyscope_web::request", status, ms, "answered");
    }
}

/// The whole site, with the default [`Limits`].
pub fn router(store: Arc<dyn Store>) -> Router {
    router_with(store, &Limits::default())
}

/// The whole site.
pub fn router_with(store: Arc<dyn Store>, limits: &Limits) -> Router {
    router_at(store, limits, sources::wall_clock())
}

/// The whole site, going by `now` for what depends on the time of a request (how long ago a
/// source was synced, whether it is late): the wall clock when served, a fixed one in tests.
pub fn router_at(store: Arc<dyn Store>, limits: &Limits, now: Clock) -> Router {
    router_searching(store, None, limits, now)
}

/// The whole site with its search index, when it has one.
pub fn router_searching(
    store: Arc<dyn Store>,
    search: Option<Arc<SearchIndex>>,
    limits: &Limits,
    now: Clock,
) -> Router {
    let cache = cache::PageCache::new(store.clone());
    let expensive = limits::Expensive::new(limits);
    let state = AppState { store, search, expensive: expensive.clone(), now };
    // Outside the page cache: a probe must reach the database every time.
    let probes = Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).with_state(state.clone());
    // Outside the page cache too: what these say depends on the time as much as on the data
    // (a source becomes late without any change to the store). A few rows, read by key.
    let live = Router::new()
        .route("/sources", get(sources::page))
        .route("/api/sources", get(sources::api))
        .with_state(state.clone());
    // Outside the page cache as well: the index moves on after the store (see `search`).
    // Searches and their downloads take turns; a suggestion is a lookup in a small field.
    let searches = Router::new()
        .route("/search", get(search::page))
        .route("/api/search", get(search::api))
        .route("/search.csv", get(search::csv))
        .route_layer(axum::middleware::from_fn_with_state(expensive.clone(), limits::expensive))
        .route("/api/suggest", get(search::suggest))
        .with_state(state.clone());
    // Pages whose work grows with the data (searches, lists, timelines, feeds, exports): each
    // takes a turn when the page cache does not hold its answer. A record's page reads one
    // record by its key, and takes none.
    let data = Router::new()
        .route("/org/{key}", get(org::page))
        .route("/org/{key}/activity.csv", get(org::csv))
        .route("/org/{key}/feed.atom", get(org::atom))
        .route("/api/org/{key}", get(org::api))
        // --- people and procedures ---
        .route("/mep/{id}", get(people::mep_page))
        .route("/mep/{id}/activity.csv", get(people::mep_csv))
        .route("/mep/{id}/feed.atom", get(people::mep_atom))
        .route("/api/mep/{id}", get(people::mep_api))
        .route("/official/{slug}", get(people::official_page))
        .route("/official/{slug}/activity.csv", get(people::official_csv))
        .route("/official/{slug}/feed.atom", get(people::official_atom))
        .route("/api/official/{slug}", get(people::official_api))
        .route("/procedure/{*reference}", get(people::procedure))
        .route("/api/procedure/{*reference}", get(people::procedure_api))
        // --- end people and procedures ---
        // --- consultations, home page and lists ---
        .route("/", get(lists::home))
        .route("/api", get(lists::home_api))
        .route("/api/", get(lists::home_api))
        .route("/orgs", get(lists::orgs))
        .route("/orgs.csv", get(lists::orgs_csv))
        .route("/api/orgs", get(lists::orgs_api))
        .route("/initiative/{id}", get(lists::initiative))
        .route("/initiative/{id}/responses.csv", get(lists::initiative_csv))
        .route("/initiative/{id}/feed.atom", get(lists::initiative_atom))
        .route("/api/initiative/{id}", get(lists::initiative_api))
        // --- end consultations, home page and lists ---
        .route_layer(axum::middleware::from_fn_with_state(expensive, limits::expensive));
    Router::new()
        .merge(data)
        .route("/assets/style.css", get(style))
        .route("/meeting/{id}", get(record::meeting_page))
        .route("/api/meeting/{id}", get(record::meeting_api))
        .route("/response/{id}", get(record::response_page))
        .route("/api/response/{id}", get(record::response_api))
        // --- position items ---
        .route("/position/{id}", get(position::page))
        .route("/api/position/{id}", get(position::api))
        .route("/source/{id}", get(position::source_page))
        .route("/api/source/{id}", get(position::source_api))
        .route("/about/checking", get(position::checking))
        // --- end position items ---
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(cache, cache::layer))
        .merge(live)
        .merge(searches)
        .merge(probes)
        // From here out, every answer, the probes' too. Innermost first: a panic is a 500,
        // not a dropped connection; then the time limit, which drops the work under it.
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, limits.request_timeout))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(axum::middleware::from_fn(limits::head))
        .layer(axum::middleware::from_fn(error::bodies))
        .layer(axum::middleware::map_response(secure))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_answer)
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
