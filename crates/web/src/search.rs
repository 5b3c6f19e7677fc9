//! Search over everything (`/search`, `/api/search`, `/search.csv`) and name suggestions
//! (`/api/suggest`), answered by the search index; what a hit shows is read from the store.
//!
//! Served outside the page cache: the index moves on after the store does (an import commits,
//! then the index catches up), so an answer kept for the store's generation could be older
//! than the index. Without an index (`lobbyscope index` never run, or it cannot be opened) the
//! page says so and finds organisations by name, as the home page does.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use lobbyscope_domain::When;
use lobbyscope_index::{DocId, DocKind, FACETS, Hit, Piece, SearchIndex, SearchRequest, SearchResults, Sort};
use lobbyscope_store::{Activity, MeetingView, OrgKey, PositionItemView, ResponseView, SourceTextRecord};
use serde::Serialize;

use crate::error::ApiResult;
use crate::export;
use crate::format::{self, Segment};
use crate::query::{MAX_EXPORT, Params};

/// The most hits a CSV download holds.
const MAX_EXPORT_SEARCH: usize = MAX_EXPORT as usize;
use crate::timeline;
use crate::{AppState, WebError};

/// The most characters a query may have.
const MAX_QUERY_CHARS: usize = 500;
/// The most characters a filter's value may have.
const MAX_FILTER_CHARS: usize = 200;
/// Hits per page.
const PER_PAGE: usize = 20;
/// Names suggested above the hits, and at most by `/api/suggest`.
const SUGGESTIONS: usize = 8;
/// Deepest page: tantivy keeps every hit before the page in memory.
const MAX_PAGE: u32 = 500;

/// A search as its parameters give it.
#[derive(Debug, Clone, Default)]
struct Asked {
    q: String,
    filters: Vec<(String, String)>,
    sort: Sort,
    page: u32,
}

/// A parameter's value, trimmed; blank meaning absent.
fn param<'a>(params: &'a Params, key: &str) -> Option<&'a str> {
    params.get(key).map(str::trim).filter(|v| !v.is_empty())
}

fn asked(params: &Params) -> Result<Asked, WebError> {
    let bad = |name: &str, expected: &str| {
        WebError::BadRequest(format!("The parameter {name} is not valid: expected {expected}."))
    };
    let q = param(params, "q").unwrap_or_default().to_owned();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(bad("q", &format!("at most {MAX_QUERY_CHARS} characters")));
    }
    let mut filters = Vec::new();
    for root in FACETS {
        let Some(value) = param(params, root) else { continue };
        if value.chars().count() > MAX_FILTER_CHARS {
            return Err(bad(root, &format!("at most {MAX_FILTER_CHARS} characters")));
        }
        if root == "kind" && DocKind::parse(value).is_none() {
            return Err(bad("kind", "organisation, person, meeting, response or initiative"));
        }
        if root == "year" && !(value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad("year", "a year such as 2022"));
        }
        filters.push((root.to_owned(), value.to_owned()));
    }
    let sort = match param(params, "sort") {
        None => Sort::Relevance,
        Some(s) => Sort::parse(s).ok_or_else(|| bad("sort", "relevance, newest or oldest"))?,
    };
    let page = match param(params, "page") {
        None => 1,
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=MAX_PAGE).contains(p))
            .ok_or_else(|| bad("page", &format!("a whole number from 1 to {MAX_PAGE}")))?,
    };
    Ok(Asked { q, filters, sort, page })
}

impl Asked {
    /// This search's query string with `change` made: `(key, None)` removes a parameter.
    fn link(&self, path: &str, change: &[(&str, Option<&str>)]) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q".into(), self.q.clone()));
        }
        pairs.extend(self.filters.iter().cloned());
        if self.sort != Sort::Relevance {
            pairs.push(("sort".into(), sort_name(self.sort).into()));
        }
        for (key, value) in change {
            pairs.retain(|(k, _)| k != key);
            if let Some(v) = value {
                pairs.push(((*key).to_owned(), (*v).to_owned()));
            }
        }
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") }
    }

    fn request(&self, offset: usize, limit: usize) -> SearchRequest {
        SearchRequest { query: self.q.clone(), filters: self.filters.clone(), sort: self.sort, offset, limit }
    }

    fn filtered(&self, root: &str) -> Option<&str> {
        self.filters.iter().find(|(r, _)| r == root).map(|(_, v)| v.as_str())
    }
}

fn sort_name(s: Sort) -> &'static str {
    match s {
        Sort::Relevance => "relevance",
        Sort::Newest => "newest",
        Sort::Oldest => "oldest",
    }
}

// ---------------------------------------------------------------------------------------------
// A hit as pages show it

/// One hit, read back from the store.
#[derive(Debug, Clone, Serialize)]
pub struct HitView {
    pub kind: &'static str,
    /// The kind as a page names it.
    #[serde(skip)]
    pub label: &'static str,
    pub title: String,
    /// The record's own page.
    pub href: String,
    /// The item in its context: its place on the organisation's timeline, or the initiative a
    /// response answers.
    pub context: Option<Segment>,
    /// Who and where: hosts, organisations, the initiative.
    #[serde(skip)]
    pub line: Vec<Segment>,
    pub date: Option<String>,
    #[serde(skip)]
    pub date_shown: String,
    pub snippet: Vec<Piece>,
}

/// The text a meeting hit's snippet is cut from.
fn meeting_text(m: &MeetingView) -> String {
    format!("{} — {}", m.subject, m.attendees_raw)
}

fn context_anchor(org: &OrgKey, year: Option<i32>, anchor: &str) -> String {
    match year {
        Some(y) => format!("{}?year={y}#{anchor}", format::org_href(org)),
        None => format!("{}#{anchor}", format::org_href(org)),
    }
}

fn meeting_hit(m: MeetingView, snippets: &lobbyscope_index::Snippets) -> HitView {
    let org = m.attendees.iter().find_map(|a| a.org_key.clone());
    let label = match m.institution {
        lobbyscope_domain::Institution::Commission => "Commission meeting",
        lobbyscope_domain::Institution::Parliament => "Parliament meeting",
    };
    let title = if m.subject.is_empty() { "Meeting".into() } else { m.subject.clone() };
    let (href, date, year, snippet) =
        (format!("/meeting/{}", m.id), m.date, chrono::Datelike::year(&m.date), snippets.of(&meeting_text(&m), None));
    let activity = Activity::Meeting(m);
    let anchor = timeline::anchor(&activity);
    HitView {
        kind: "meeting",
        label,
        title,
        href,
        context: org.map(|o| Segment::link("On the organisation's timeline", context_anchor(&o, Some(year), &anchor))),
        line: timeline::item(&activity, None).title,
        date: Some(date.to_string()),
        date_shown: format::day(date),
        snippet,
    }
}

/// A response hit; `texts` are its attachments' texts, where the words may be found instead.
fn response_hit(r: ResponseView, texts: &[SourceTextRecord], snippets: &lobbyscope_index::Snippets) -> HitView {
    let year = r.date.map(|d| chrono::Datelike::year(&d));
    let language = r.language.as_deref().and_then(lobbyscope_index::Language::from_code);
    let title = r
        .initiative_title
        .as_ref()
        .map(|t| format!("Response to “{t}”"))
        .unwrap_or_else(|| "Consultation response".into());
    let searched: Vec<&str> = std::iter::once(r.text.as_str()).chain(texts.iter().map(|t| t.text.as_str())).collect();
    let (href, date, snippet) = (format!("/response/{}", r.id), r.date, snippets.of_any(&searched, language));
    let (org, initiative) = (r.org_key.clone(), r.initiative_id);
    let activity = Activity::Response(r);
    let anchor = timeline::anchor(&activity);
    let context = match (org, initiative) {
        (Some(org), _) => Some(Segment::link("On the organisation's timeline", context_anchor(&org, year, &anchor))),
        (None, Some(i)) => Some(Segment::link("With the initiative's other responses", format!("/initiative/{i}"))),
        (None, None) => None,
    };
    HitView {
        kind: "response",
        label: "Consultation response",
        title,
        href,
        context,
        // Who responded, as lists of several organisations' responses say it.
        line: crate::lists::item_with_author(&activity).title,
        date: date.map(|d| d.to_string()),
        date_shown: date.map(|d| format::day(When::Moment(d))).unwrap_or_default(),
        snippet,
    }
}

/// A position item hit, `organisation` the name of whose item it is.
fn position_hit(p: PositionItemView, organisation: Option<String>, snippets: &lobbyscope_index::Snippets) -> HitView {
    let sentences: Vec<&str> = p.sentences.iter().map(|s| s.text.as_str()).collect();
    let snippet = snippets.of(&sentences.join(" "), None);
    let (href, date, year) = (format::position_href(&p.id), p.date, p.date.map(|d| chrono::Datelike::year(&d.day())));
    let (org, anchor) = (p.org_key.clone(), timeline::position_anchor(&p.id));
    HitView {
        kind: "position",
        label: "Position summary",
        title: p.headline,
        href,
        context: Some(Segment::link("On the organisation's timeline", context_anchor(&org, year, &anchor))),
        line: organisation
            .map(|name| {
                vec![Segment::text("Summary of the stated position of "), Segment::link(name, format::org_href(&org))]
            })
            .unwrap_or_default(),
        date: date.map(|d| d.day().to_string()),
        date_shown: date.map(format::day).unwrap_or_default(),
        snippet,
    }
}

/// Reads each hit's record from the store; a hit whose record is gone is left out.
async fn hit_views(state: &AppState, results: &SearchResults) -> Result<Vec<HitView>, WebError> {
    let store = &state.store;
    let meeting_ids: Vec<_> = results
        .hits
        .iter()
        .filter_map(|h| if let DocId::Meeting(id) = &h.id { Some(id.clone()) } else { None })
        .collect();
    let response_ids: Vec<u64> =
        results.hits.iter().filter_map(|h| if let DocId::Response(id) = h.id { Some(id) } else { None }).collect();
    let mut meetings: HashMap<_, _> =
        store.meetings(&meeting_ids).await?.into_iter().map(|m| (m.id.clone(), m)).collect();
    let mut responses: HashMap<_, _> = store.responses(&response_ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let mut texts: HashMap<u64, Vec<SourceTextRecord>> = HashMap::new();
    for t in store.attachment_texts(&response_ids).await? {
        texts.entry(t.response_id).or_default().push(t);
    }
    let position_ids: Vec<String> = results
        .hits
        .iter()
        .filter_map(|h| if let DocId::Position(id) = &h.id { Some(id.clone()) } else { None })
        .collect();
    let mut positions: HashMap<_, _> =
        store.positions(&position_ids).await?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let mut out = Vec::with_capacity(results.hits.len());
    for Hit { id, title, .. } in &results.hits {
        let view = match id {
            DocId::Meeting(id) => meetings.remove(id).map(|m| meeting_hit(m, &results.snippets)),
            DocId::Response(id) => responses
                .remove(id)
                .map(|r| response_hit(r, texts.get(id).map(Vec::as_slice).unwrap_or_default(), &results.snippets)),
            DocId::Position(id) => match positions.remove(id) {
                Some(p) => {
                    let name = store.organisation(&p.org_key).await?.map(|o| o.name);
                    Some(position_hit(p, name, &results.snippets))
                }
                None => None,
            },
            DocId::Organisation(key) => store.organisation(key).await?.map(|o| HitView {
                kind: "organisation",
                label: "Organisation",
                title: o.name.clone(),
                href: format::org_href(&o.key),
                context: None,
                line: [o.acronym.clone(), o.register_id.as_ref().map(|r| format!("Register ID {}", r.as_str()))]
                    .into_iter()
                    .flatten()
                    .map(Segment::text)
                    .collect(),
                date: None,
                date_shown: String::new(),
                snippet: Vec::new(),
            }),
            DocId::Person(key) => store.person(key).await?.map(|p| {
                let roles: Vec<String> = p.roles.iter().take(3).map(|r| r.label.clone()).collect();
                HitView {
                    kind: "person",
                    label: match p.kind {
                        lobbyscope_store::PersonKind::Mep => "Member of the European Parliament",
                        lobbyscope_store::PersonKind::Commission => "European Commission",
                    },
                    title: match p.kind {
                        lobbyscope_store::PersonKind::Mep => format::mep_name(&p.name),
                        lobbyscope_store::PersonKind::Commission => p.name.clone(),
                    },
                    href: format::person_href(&p.key).unwrap_or_default(),
                    context: None,
                    line: if roles.is_empty() { Vec::new() } else { vec![Segment::text(roles.join(", "))] },
                    date: None,
                    date_shown: String::new(),
                    snippet: Vec::new(),
                }
            }),
            DocId::Initiative(id) => store.initiative(*id).await?.map(|i| HitView {
                kind: "initiative",
                label: "Consultation initiative",
                title: i.short_title.clone(),
                href: format!("/initiative/{}", i.id),
                context: None,
                line: [i.reference.clone(), i.dg.clone()].into_iter().flatten().map(Segment::text).collect(),
                date: i.published_date.map(|d| d.to_string()),
                date_shown: i.published_date.map(|d| format::day(When::Moment(d))).unwrap_or_default(),
                snippet: results.snippets.of(&i.short_title, None),
            }),
        };
        match view {
            Some(v) => out.push(v),
            None => tracing::debug!(?id, title, "a search hit is no longer in the store"),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Pages

/// A facet's value as a link that narrows the search to it (or, when chosen, widens it again).
pub struct FacetLink {
    pub label: String,
    pub count: String,
    pub href: String,
    pub chosen: bool,
}

pub struct FacetGroup {
    pub title: &'static str,
    pub values: Vec<FacetLink>,
}

fn facet_title(root: &str) -> &'static str {
    match root {
        "kind" => "Kind",
        "institution" => "Institution",
        "year" => "Year",
        "country" => "Country",
        "respondent" => "Respondent type",
        "capacity" => "MEP capacity",
        _ => "Language",
    }
}

fn facet_label(root: &str, value: &str) -> String {
    match (root, DocKind::parse(value)) {
        ("kind", Some(DocKind::Organisation)) => "Organisations".into(),
        ("kind", Some(DocKind::Person)) => "People".into(),
        ("kind", Some(DocKind::Meeting)) => "Meetings".into(),
        ("kind", Some(DocKind::Response)) => "Consultation responses".into(),
        ("kind", Some(DocKind::Initiative)) => "Consultation initiatives".into(),
        ("kind", Some(DocKind::Position)) => "Position items".into(),
        ("language", _) => lobbyscope_index::Language::from_code(value)
            .map(|l| l.name().to_owned())
            .unwrap_or_else(|| value.to_owned()),
        _ => value.to_owned(),
    }
}

/// The most values a facet lists.
const FACET_VALUES: usize = 12;

fn facet_groups(asked: &Asked, results: &SearchResults) -> Vec<FacetGroup> {
    results
        .facets
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(root, values)| {
            let chosen = asked.filtered(root);
            let mut values: Vec<FacetLink> = values
                .iter()
                .take(FACET_VALUES)
                .map(|v| {
                    let is_chosen = chosen == Some(v.value.as_str());
                    let change = if is_chosen { None } else { Some(v.value.as_str()) };
                    FacetLink {
                        label: facet_label(root, &v.value),
                        count: format::thousands(v.count),
                        href: asked.link("/search", &[(root, change), ("page", None)]),
                        chosen: is_chosen,
                    }
                })
                .collect();
            if *root == "year" {
                values.sort_by(|a, b| b.label.cmp(&a.label));
            }
            FacetGroup { title: facet_title(root), values }
        })
        .collect()
}

pub struct SuggestionView {
    pub name: String,
    pub href: String,
    pub label: &'static str,
}

fn suggestion_href(id: &DocId) -> Option<String> {
    match id {
        DocId::Organisation(key) => Some(format::org_href(key)),
        DocId::Person(key) => format::person_href(key),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    q: String,
    sort: &'static str,
    hidden: Vec<(String, String)>,
    /// `None` without an index.
    total_line: Option<String>,
    notes: Vec<String>,
    stale: Option<String>,
    suggestions: Vec<SuggestionView>,
    facets: Vec<FacetGroup>,
    hits: Vec<HitView>,
    previous: Option<String>,
    next: Option<String>,
    csv: String,
    api: String,
    unavailable: bool,
}

/// The index, or the answer of a server that has none.
fn index(state: &AppState) -> Result<&Arc<SearchIndex>, WebError> {
    state
        .search
        .as_ref()
        .ok_or_else(|| WebError::NotFound("This server has no search index yet: run `lobbyscope index`.".into()))
}

/// Why results may miss the newest records, when they may.
async fn staleness(state: &AppState, index: &SearchIndex) -> Option<String> {
    if index.is_current(&*state.store).await.unwrap_or(false) {
        return None;
    }
    let indexed_at =
        index.state().ok().flatten().and_then(|s| chrono::DateTime::parse_from_rfc3339(&s.indexed_at).ok());
    let when = match indexed_at {
        Some(t) => format!("It was last brought up to date on {}.", format::moment(t.with_timezone(&chrono::Utc))),
        None => "It is being built.".to_owned(),
    };
    Some(format!(
        "The search index is catching up with the latest import, so the newest records may be missing from these results. {when}"
    ))
}

pub async fn page(State(state): State<AppState>, params: Params) -> Result<Response, WebError> {
    let asked = asked(&params)?;
    let Some(index) = state.search.as_ref() else {
        let page = SearchPage {
            q: asked.q.clone(),
            sort: sort_name(asked.sort),
            hidden: asked.filters.clone(),
            total_line: None,
            notes: Vec::new(),
            stale: None,
            suggestions: Vec::new(),
            facets: Vec::new(),
            hits: Vec::new(),
            previous: None,
            next: None,
            csv: String::new(),
            api: String::new(),
            unavailable: true,
        };
        return Ok(Html(page.render()?).into_response());
    };
    // A register ID names one organisation: go straight to it, as the home page does.
    if let Some(id) = lobbyscope_domain::RegisterId::parse(&asked.q).filter(|_| asked.filters.is_empty()) {
        let key = OrgKey::Registered(id);
        if state.store.organisation(&key).await?.is_some() {
            return Ok(axum::response::Redirect::to(&format::org_href(&key)).into_response());
        }
    }
    let offset = (asked.page as usize - 1) * PER_PAGE;
    let results = run(index, asked.request(offset, PER_PAGE)).await?;
    let hits = hit_views(&state, &results).await?;
    let suggestions = if asked.page == 1 && !asked.q.is_empty() && asked.filters.is_empty() {
        let found = index.suggest(&asked.q, SUGGESTIONS).map_err(search_failed)?;
        found
            .into_iter()
            .filter_map(|s| {
                let href = suggestion_href(&s.id)?;
                let label = if s.id.kind() == DocKind::Person { "person" } else { "organisation" };
                Some(SuggestionView { name: s.name, href, label })
            })
            .collect()
    } else {
        Vec::new()
    };
    let total = results.total;
    let total_line = Some(if asked.q.is_empty() && asked.filters.is_empty() {
        "Type a word, a name or a phrase.".to_owned()
    } else if !results.matches_anything {
        "The query holds no word to search for.".to_owned()
    } else if total == 0 {
        "Nothing matches.".to_owned()
    } else {
        let last = (offset + hits.len()).max(offset + 1);
        format!(
            "{}–{} of {}, {}.",
            format::thousands(offset as u64 + 1),
            format::thousands(last as u64),
            format::count(total, "result", "results"),
            match asked.sort {
                Sort::Relevance => "best matches first",
                Sort::Newest => "newest first",
                Sort::Oldest => "oldest first",
            }
        )
    });
    let page_link = |p: u32| asked.link("/search", &[("page", Some(&p.to_string()))]);
    let more = (offset + PER_PAGE) < total as usize && asked.page < MAX_PAGE;
    let page = SearchPage {
        q: asked.q.clone(),
        sort: sort_name(asked.sort),
        hidden: asked.filters.clone(),
        total_line,
        notes: results.notes.clone(),
        stale: staleness(&state, index).await,
        suggestions,
        facets: facet_groups(&asked, &results),
        hits,
        previous: (asked.page > 1).then(|| page_link(asked.page - 1)),
        next: more.then(|| page_link(asked.page + 1)),
        csv: asked.link("/search.csv", &[("page", None)]),
        api: asked.link("/api/search", &[]),
        unavailable: false,
    };
    Ok(Html(page.render()?).into_response())
}

/// A download's failure after its head is sent, as the export stream reports it.
fn as_store(e: WebError) -> lobbyscope_store::StoreError {
    match e {
        WebError::Store(e) => e,
        other => lobbyscope_store::StoreError::Database(format!("{other:?}")),
    }
}

fn search_failed(e: lobbyscope_index::IndexError) -> WebError {
    WebError::Store(lobbyscope_store::StoreError::Database(e.to_string()))
}

/// The organisations a filter of the organisations list matches, best first (at most
/// [`lobbyscope_store::MAX_AMONG`]), with what the index says of the query and of itself;
/// `None` without an index.
pub(crate) async fn matching_organisations(state: &AppState, q: &str) -> Result<Option<OrgMatches>, WebError> {
    let Some(index) = &state.search else { return Ok(None) };
    let request = SearchRequest {
        query: q.to_owned(),
        filters: vec![("kind".into(), DocKind::Organisation.as_str().into())],
        limit: lobbyscope_store::MAX_AMONG,
        ..SearchRequest::default()
    };
    let found = run(index, request).await?;
    let keys = found
        .hits
        .into_iter()
        .filter_map(|h| match h.id {
            DocId::Organisation(key) => Some(key),
            _ => None,
        })
        .collect();
    Ok(Some(OrgMatches { keys, total: found.total, notes: found.notes, stale: staleness(state, index).await }))
}

pub(crate) struct OrgMatches {
    pub keys: Vec<OrgKey>,
    /// How many the index found, also past those given.
    pub total: u64,
    pub notes: Vec<String>,
    pub stale: Option<String>,
}

/// A search off the async threads: a broad query over millions of documents takes milliseconds
/// of CPU that should not hold up other requests.
async fn run(index: &Arc<SearchIndex>, request: SearchRequest) -> Result<SearchResults, WebError> {
    let index = Arc::clone(index);
    tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .map_err(|e| WebError::Store(lobbyscope_store::StoreError::Database(e.to_string())))?
        .map_err(search_failed)
}

#[derive(Serialize)]
pub struct SearchJson {
    query: String,
    sort: Sort,
    page: u32,
    per_page: usize,
    total: u64,
    /// Whether the index holds everything the store does; when not, the newest records may be
    /// missing.
    index_current: bool,
    notes: Vec<String>,
    facets: HashMap<&'static str, Vec<lobbyscope_index::FacetCount>>,
    hits: Vec<HitView>,
}

pub async fn api(State(state): State<AppState>, params: Result<Params, WebError>) -> ApiResult<SearchJson> {
    ApiResult(
        async {
            let asked = asked(&params?)?;
            let index = index(&state)?;
            let offset = (asked.page as usize - 1) * PER_PAGE;
            let results = run(index, asked.request(offset, PER_PAGE)).await?;
            let hits = hit_views(&state, &results).await?;
            Ok(SearchJson {
                query: asked.q.clone(),
                sort: asked.sort,
                page: asked.page,
                per_page: PER_PAGE,
                total: results.total,
                index_current: index.is_current(&*state.store).await.unwrap_or(false),
                notes: results.notes.clone(),
                facets: results.facets.iter().map(|(r, v)| (*r, v.clone())).collect(),
                hits,
            })
        }
        .await,
    )
}

/// The CSV's columns.
const CSV_HEADER: [&str; 7] = ["kind", "date", "title", "who", "url", "context_url", "snippet"];
/// Hits read per page of the download.
const CSV_PAGE: usize = 200;

pub async fn csv(State(state): State<AppState>, params: Params) -> Result<Response, WebError> {
    let asked = asked(&params)?;
    let index = Arc::clone(index(&state)?);
    let body = export::csv_body(&state.expensive.clone(), &CSV_HEADER, 0usize, move |offset: usize| {
        let (state, index, asked) = (state.clone(), Arc::clone(&index), asked.clone());
        async move {
            if offset >= MAX_EXPORT_SEARCH {
                return Ok(None);
            }
            let limit = CSV_PAGE.min(MAX_EXPORT_SEARCH - offset);
            let results = run(&index, asked.request(offset, limit)).await.map_err(as_store)?;
            if results.hits.is_empty() {
                return Ok(None);
            }
            let n = results.hits.len();
            let views = hit_views(&state, &results).await.map_err(as_store)?;
            let rows = views
                .into_iter()
                .map(|h| {
                    let who: Vec<String> = h.line.iter().map(|s| s.text.clone()).collect();
                    vec![
                        h.kind.to_owned(),
                        h.date.unwrap_or_default(),
                        h.title,
                        who.concat(),
                        h.href,
                        h.context.and_then(|c| c.href).unwrap_or_default(),
                        h.snippet.into_iter().map(|p| p.text).collect::<String>(),
                    ]
                })
                .collect();
            Ok(Some((rows, offset + n)))
        }
    });
    Ok(export::csv_attachment(body, "search.csv"))
}

#[derive(Serialize)]
pub struct SuggestJson {
    query: String,
    suggestions: Vec<SuggestionJson>,
}

#[derive(Serialize)]
pub struct SuggestionJson {
    name: String,
    kind: &'static str,
    href: String,
    /// How active they are: meetings and responses for an organisation, meetings for a person.
    activity: u64,
}

pub async fn suggest(State(state): State<AppState>, params: Result<Params, WebError>) -> ApiResult<SuggestJson> {
    ApiResult((|| {
        let params = params?;
        let q = param(&params, "q").unwrap_or_default().to_owned();
        if q.chars().count() > MAX_FILTER_CHARS {
            return Err(WebError::BadRequest(format!(
                "The parameter q is not valid: expected at most {MAX_FILTER_CHARS} characters."
            )));
        }
        let index = index(&state)?;
        let found = index.suggest(&q, SUGGESTIONS).map_err(search_failed)?;
        let suggestions = found
            .into_iter()
            .filter_map(|s| {
                Some(SuggestionJson {
                    href: suggestion_href(&s.id)?,
                    kind: s.id.kind().as_str(),
                    name: s.name,
                    activity: s.weight,
                })
            })
            .collect();
        Ok(SuggestJson { query: q, suggestions })
    })())
}
