//! `/sources` and `/api/sources`: how up to date this site's copy of each official source is,
//! from the health each sync keeps in the store (`Store::source_health`).
//!
//! Both depend on the time of the request (how long ago, and whether a source is late), so
//! they are served outside the page cache, never kept nor revalidated by the data generation:
//! a sync that stops changes no data, and the page must still say it is late.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use lobbyscope_domain::SourceId;
use lobbyscope_store::{RunFigures, SourceHealth, late_after};
use serde::Serialize;

use crate::error::ApiResult;
use crate::format;
use crate::{AppState, WebError};

/// The time the pages go by: the wall clock, or a fixed one in tests ([`crate::router_at`]).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The clock a served site goes by.
pub fn wall_clock() -> Clock {
    Arc::new(Utc::now)
}

/// One source's health as the API gives it. A source never synced here has nulls.
#[derive(Serialize)]
pub struct SourceJson {
    /// `tr`, `ec`, `ep` or `hys`.
    source: SourceId,
    title: &'static str,
    /// The official page where the source is published.
    official_page: &'static str,
    /// Whether this site has ever fetched the source itself (else its records, if any, come
    /// from files imported by hand).
    synced: bool,
    last_attempt: Option<DateTime<Utc>>,
    last_success: Option<DateTime<Utc>>,
    last_attempt_failed: bool,
    /// Why the last attempt failed, as the sync said it.
    last_error: Option<String>,
    /// No successful sync within `late_after_hours` of `as_of` (or none ever, once tried).
    late: bool,
    late_after_hours: i64,
    /// The last successful run's figures; null when there has been none.
    run: Option<RunFigures>,
    /// What the last successful run noticed without failing.
    warnings: Vec<String>,
}

/// `/api/sources`: every source, in the order `tr`, `ec`, `ep`, `hys`.
#[derive(Serialize)]
pub struct SourcesJson {
    /// The time lateness was judged at: the request's.
    as_of: DateTime<Utc>,
    sources: Vec<SourceJson>,
}

/// Every source's health, those never synced included, in [`SourceId::ALL`] order.
async fn load(state: &AppState) -> Result<(DateTime<Utc>, Vec<SourceHealth>), WebError> {
    let now = (state.now)();
    let mut kept = state.store.source_health().await?;
    let all = SourceId::ALL
        .into_iter()
        .map(|id| match kept.iter().position(|h| h.source == id) {
            Some(i) => kept.swap_remove(i),
            None => SourceHealth::never(id),
        })
        .collect();
    Ok((now, all))
}

fn json(h: SourceHealth, now: DateTime<Utc>) -> SourceJson {
    SourceJson {
        source: h.source,
        title: h.source.title(),
        official_page: h.source.official_page(),
        synced: h.synced(),
        last_attempt: h.last_attempt,
        last_success: h.last_success,
        last_attempt_failed: h.last_error.is_some(),
        late: h.is_late(now),
        late_after_hours: late_after(h.source).num_hours(),
        run: h.last_success.is_some().then(|| h.run.clone()),
        last_error: h.last_error,
        warnings: h.warnings,
    }
}

/// A moment as the page shows it.
pub struct Moment {
    pub iso: String,
    pub shown: String,
    pub ago: String,
}

fn moment(t: DateTime<Utc>, now: DateTime<Utc>) -> Moment {
    Moment {
        iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        shown: format::moment(t),
        ago: format::ago(t, now),
    }
}

/// One figure of a run, named for a reader.
pub struct Figure {
    pub label: &'static str,
    pub value: String,
}

fn figures(run: &RunFigures) -> Vec<Figure> {
    let n = |v: u64| format::thousands(v);
    let f = |label, value| Figure { label, value };
    vec![
        f("Records found", n(run.records_seen)),
        f("New", n(run.new)),
        f("Updated", n(run.updated)),
        f("Unchanged", n(run.unchanged)),
        f("No longer published", n(run.withdrawn)),
        f("Requests to the source", n(run.requests)),
        f("Data received", format::bytes(run.bytes)),
        f("Time taken", format::took(run.took_ms)),
    ]
}

/// One source's section of the page.
pub struct SourceRow {
    pub code: &'static str,
    pub title: &'static str,
    pub official_page: &'static str,
    pub synced: bool,
    pub late: bool,
    /// "36 hours", "8 days".
    pub late_after: String,
    pub last_attempt: Option<Moment>,
    pub last_success: Option<Moment>,
    pub error: Option<String>,
    pub figures: Vec<Figure>,
    pub warnings: Vec<String>,
}

fn row(h: SourceHealth, now: DateTime<Utc>) -> SourceRow {
    SourceRow {
        code: h.source.code(),
        title: h.source.title(),
        official_page: h.source.official_page(),
        synced: h.synced(),
        late: h.is_late(now),
        late_after: format::span(late_after(h.source)),
        last_attempt: h.last_attempt.map(|t| moment(t, now)),
        last_success: h.last_success.map(|t| moment(t, now)),
        figures: if h.last_success.is_some() { figures(&h.run) } else { Vec::new() },
        error: h.last_error,
        warnings: h.warnings,
    }
}

#[derive(Template)]
#[template(path = "sources.html")]
struct SourcesPage {
    as_of: Moment,
    sources: Vec<SourceRow>,
}

/// Kept by no cache: the next request may find a source late.
fn uncached(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn page(State(state): State<AppState>) -> Result<Response, WebError> {
    let (now, all) = load(&state).await?;
    let page = SourcesPage { as_of: moment(now, now), sources: all.into_iter().map(|h| row(h, now)).collect() };
    Ok(uncached(Html(page.render()?).into_response()))
}

pub async fn api(State(state): State<AppState>) -> Response {
    let answer = async {
        let (now, all) = load(&state).await?;
        Ok(SourcesJson { as_of: now, sources: all.into_iter().map(|h| json(h, now)).collect() })
    };
    uncached(ApiResult(answer.await).into_response())
}
