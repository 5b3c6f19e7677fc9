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
mod lists;
mod org;
mod people;
mod position;
mod query;
mod record;
mod timeline;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lobbyscope_store::Store;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::WebError;
/// Items on a page of a timeline (an organisation's, a person's, a procedure's, an initiative's
/// responses): `lobbyscope bench corpus` works out the deepest page from an item count with it.
pub use query::PAGE_SIZE;
/// The query-string reader, for the fuzz target (`fuzz/`) and its regression test.
#[doc(hidden)]
pub use query::{Params, filter_query};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
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
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CACHE_CONTROL, "no-store")], "the database does not answer\n")
                .into_response()
        }
    }
}

/// The whole site.
pub fn router(store: Arc<dyn Store>) -> Router {
    let cache = cache::PageCache::new(store.clone());
    let state = AppState { store };
    // Outside the page cache: a probe must reach the database every time.
    let probes = Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz)).with_state(state.clone());
    Router::new()
        .route("/assets/style.css", get(style))
        .route("/org/{key}", get(org::page))
        .route("/org/{key}/activity.csv", get(org::csv))
        .route("/org/{key}/feed.atom", get(org::atom))
        .route("/api/org/{key}", get(org::api))
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
        .fallback(not_found)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(cache, cache::layer))
        .merge(probes)
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
}
