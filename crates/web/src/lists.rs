//! The home page (finding an organisation, the latest activity, what the database holds), the
//! organisations list, and the page of a consultation initiative: each with its JSON twin, and
//! CSV (and, for an initiative, Atom) as on the organisation page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use lobbyscope_domain::{RegisterId, When, fold_words};
use lobbyscope_store::{
    Activity, InitiativeView, ListedKind, OrgKey, OrgSort, OrganisationHit, OrganisationList, OrganisationSummary,
    ResponsePage, ResponseView, Stats, ValueCount,
};
use serde::Serialize;

use crate::error::ApiResult;
use crate::export::EXPORT_PAGE;
use crate::format::{self, Segment};
use crate::org::Fact;
use crate::query::{PAGE_SIZE, Params};
use crate::timeline::{self, AttachmentView, ItemView, SourceView};
use crate::{AppState, WebError};

/// The most characters a search may have.
const MAX_QUERY_CHARS: usize = 200;
/// The most organisations a search lists.
const SEARCH_LIMIT: u32 = 50;
/// How many items the home page's latest activity shows.
const LATEST: u32 = 10;
/// Organisations per page of the list.
const ORGS_PAGE: u32 = 50;
/// The most rows the organisations CSV holds: every organisation of a large register.
const MAX_LIST_EXPORT: u32 = 100_000;
/// How many responses an initiative's Atom feed holds, as on the organisation page.
const FEED_ITEMS: u32 = 50;

// ---------------------------------------------------------------------------------------------
// Parameters

/// `q`, trimmed; `None` when absent or blank.
fn search_query(params: &Params) -> Result<Option<String>, WebError> {
    let Some(q) = params.get("q") else { return Ok(None) };
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(WebError::BadRequest(format!(
            "The parameter q is not valid: expected at most {MAX_QUERY_CHARS} characters, got {}.",
            q.chars().count()
        )));
    }
    let q = q.trim();
    Ok((!q.is_empty()).then(|| q.to_owned()))
}

/// `sort`: `activity` (the default), `name`, `commission`, `parliament` or `responses`.
fn sort(params: &Params) -> Result<OrgSort, WebError> {
    match params.get("sort") {
        None => Ok(OrgSort::default()),
        Some(v) => OrgSort::parse(v).ok_or_else(|| {
            WebError::BadRequest(format!(
                "The parameter sort={v:?} is not valid: expected activity, name, commission, parliament or responses."
            ))
        }),
    }
}

/// An initiative's id as its address gives it: digits only, as the portal writes them.
fn initiative_id(id: &str) -> Result<u64, WebError> {
    let canonical = !id.is_empty() && id.len() <= 19 && id.bytes().all(|b| b.is_ascii_digit());
    canonical
        .then(|| id.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| WebError::NotFound("No consultation initiative has this identifier.".into()))
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/// Who wrote a response, linked to the organisation's page when it is known.
fn author(r: &ResponseView) -> Segment {
    match (&r.organization, &r.org_key) {
        (Some(name), Some(key)) => Segment::link(name.clone(), format::org_href(key)),
        (Some(name), None) => Segment::text(name.clone()),
        (None, _) => Segment::text("No organisation given"),
    }
}

/// A timeline item that names who responded, for lists of several organisations' responses.
pub(crate) fn item_with_author(activity: &Activity) -> ItemView {
    let mut item = timeline::item(activity, None);
    if let Activity::Response(r) = activity {
        let mut title = vec![author(r), Segment::text(": ")];
        title.append(&mut item.title);
        item.title = title;
    }
    item
}

/// A row of the organisations list or of the search results.
pub struct OrgRow {
    pub rank: u64,
    pub name: String,
    pub href: String,
    pub acronym: Option<String>,
    pub register_id: Option<String>,
    pub commission: String,
    pub parliament: String,
    pub responses: String,
    pub total: String,
    /// For a search: the name that matched, when the organisation's name does not show it.
    pub matched: Option<String>,
}

fn org_row(rank: u64, s: &OrganisationSummary, matched: Option<&str>) -> OrgRow {
    let o = &s.organisation;
    OrgRow {
        rank,
        name: o.name.clone(),
        href: format::org_href(&o.key),
        // "Internet Society (ISOC)" already says "ISOC".
        acronym: o.acronym.clone().filter(|a| !o.name.contains(&format!("({a})"))),
        register_id: o.register_id.as_ref().map(|id| id.to_string()),
        commission: format::thousands(s.counts.commission_meetings),
        parliament: format::thousands(s.counts.parliament_meetings),
        responses: format::thousands(s.counts.responses),
        total: format::thousands(s.total),
        matched: matched.filter(|m| !fold_words(&o.name).contains(&fold_words(m))).map(str::to_owned),
    }
}

// ---------------------------------------------------------------------------------------------
// Home page

/// One row of the table of what the database holds.
pub struct SourceCount {
    pub source: &'static str,
    pub records: String,
    pub detail: String,
}

fn source_counts(s: &Stats) -> Vec<SourceCount> {
    let n = |v: i64| format::thousands(u64::try_from(v).unwrap_or(0));
    vec![
        SourceCount {
            source: "EU Transparency Register",
            records: n(s.register_entries),
            detail: format!(
                "register entries in {}",
                format::count(u64::try_from(s.register_snapshots).unwrap_or(0), "dated snapshot", "dated snapshots")
            ),
        },
        SourceCount {
            source: "European Commission meetings",
            records: n(s.commission_meetings),
            detail: "meetings of Commissioners, cabinets and Directors-General".into(),
        },
        SourceCount {
            source: "European Parliament meetings",
            records: n(s.parliament_meetings),
            detail: "meetings of Members of the European Parliament".into(),
        },
        SourceCount {
            source: "Have Your Say initiatives",
            records: n(s.initiatives),
            detail: format!("initiatives with {} publications", n(s.publications)),
        },
        SourceCount {
            source: "Have Your Say responses",
            records: n(s.consultation_responses),
            detail: "consultation responses".into(),
        },
    ]
}

/// RFC 3339 → `29 Nov 2026, 12:00 UTC`; anything else as it is.
fn import_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| format::moment(t.with_timezone(&chrono::Utc)))
        .unwrap_or_else(|_| rfc3339.to_owned())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    q: String,
    results: Option<Vec<OrgRow>>,
    results_line: String,
    latest: Vec<ItemView>,
    sources: Vec<SourceCount>,
    organisations: String,
    registered: String,
    people: String,
    imported_files: String,
    /// RFC 3339, and as shown.
    last_import: Option<String>,
    last_import_shown: String,
}

/// What the home page shows, as the API gives it.
#[derive(Serialize)]
pub struct HomeJson {
    /// The search as given (trimmed), or null.
    query: Option<String>,
    /// The organisations found, best match first; null when nothing was searched.
    results: Option<Vec<OrganisationHit>>,
    /// The newest meetings and responses.
    latest: Vec<Activity>,
    stats: Stats,
}

async fn load_home(state: &AppState, params: &Params) -> Result<HomeJson, WebError> {
    let query = search_query(params)?;
    let results = match &query {
        Some(q) => Some(state.store.find_organisations(q, SEARCH_LIMIT).await?),
        None => None,
    };
    let latest = state.store.latest_activity(LATEST).await?;
    let stats = state.store.stats().await?;
    Ok(HomeJson { query, results, latest, stats })
}

pub async fn home(State(state): State<AppState>, params: Params) -> Result<Response, WebError> {
    // With a search index, a search from an old link is the search page's; without one, the
    // name search below answers it.
    if let (Some(_), Some(q)) = (&state.search, search_query(&params)?) {
        let query = url::form_urlencoded::Serializer::new(String::new()).append_pair("q", &q).finish();
        return Ok(Redirect::to(&format!("/search?{query}")).into_response());
    }
    let home = load_home(&state, &params).await?;
    if let (Some(q), Some([hit])) = (&home.query, home.results.as_deref()) {
        // A register ID names one organisation: go straight to it.
        if RegisterId::parse(q).is_some() {
            return Ok(Redirect::to(&format::org_href(&hit.summary.organisation.key)).into_response());
        }
    }
    let s = &home.stats;
    let n = |v: i64| format::thousands(u64::try_from(v).unwrap_or(0));
    let results_line = match (&home.query, &home.results) {
        (Some(q), Some(hits)) if hits.is_empty() => format!("No organisation matches “{q}”."),
        (Some(q), Some(hits)) if hits.len() as u32 >= SEARCH_LIMIT => {
            format!("The first {} organisations matching “{q}”, best matches first.", hits.len())
        }
        (Some(q), Some(hits)) => format!(
            "{} matching “{q}”, best matches first.",
            format::count(hits.len() as u64, "organisation", "organisations")
        ),
        _ => String::new(),
    };
    let page = HomePage {
        q: home.query.clone().unwrap_or_default(),
        results: home.results.as_ref().map(|hits| {
            hits.iter().enumerate().map(|(i, h)| org_row(i as u64 + 1, &h.summary, Some(&h.matched))).collect()
        }),
        results_line,
        latest: home.latest.iter().map(item_with_author).collect(),
        sources: source_counts(s),
        organisations: n(s.organisations),
        registered: n(s.registered_organisations),
        people: n(s.people),
        imported_files: n(s.imported_files),
        last_import: s.last_import.clone(),
        last_import_shown: s.last_import.as_deref().map(import_time).unwrap_or_default(),
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn home_api(State(state): State<AppState>, params: Result<Params, WebError>) -> ApiResult<HomeJson> {
    ApiResult(async { load_home(&state, &params?).await }.await)
}

// ---------------------------------------------------------------------------------------------
// Organisations list

/// A column header of the list: a link that sorts by it.
pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
    /// `ascending` or `descending`, for `aria-sort`.
    pub order: &'static str,
}

fn sort_label(sort: OrgSort) -> &'static str {
    match sort {
        OrgSort::Activity => "total activity",
        OrgSort::Name => "name",
        OrgSort::Commission => "meetings with the Commission",
        OrgSort::Parliament => "meetings with MEPs",
        OrgSort::Responses => "consultation responses",
    }
}

/// The list's address with its sort, filter and page, each only when it is not the default.
fn orgs_query(sort: OrgSort, q: Option<&str>, page: Option<u32>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(q) = q {
        query.append_pair("q", q);
    }
    if sort != OrgSort::default() {
        query.append_pair("sort", sort.as_str());
    }
    if let Some(p) = page.filter(|&p| p > 1) {
        query.append_pair("page", &p.to_string());
    }
    let query = query.finish();
    if query.is_empty() { String::new() } else { format!("?{query}") }
}

#[derive(Template)]
#[template(path = "orgs.html")]
struct OrgsPage {
    sort_label: &'static str,
    columns: Vec<SortLink>,
    name_column: SortLink,
    rows: Vec<OrgRow>,
    total: String,
    page: u32,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    csv_href: String,
    /// The filter, as typed.
    q: String,
    /// The sort to keep when the filter changes; empty for the default.
    sort: &'static str,
    /// What the filter's answer needs said: a query read in part, more matches than listed,
    /// an index catching up.
    notes: Vec<String>,
    /// Everything the filter's words find, not only organisations.
    search_href: Option<String>,
}

#[derive(Serialize)]
pub struct OrgsJson {
    sort: OrgSort,
    /// The filter, when the list is narrowed by one.
    #[serde(skip_serializing_if = "Option::is_none")]
    q: Option<String>,
    page: u32,
    pages: u64,
    /// Organisations in the list, across all pages.
    total: u64,
    rows: Vec<OrganisationSummary>,
}

/// The organisations a filter narrows the list to, and what to say of them.
struct Narrowed {
    keys: Vec<OrgKey>,
    notes: Vec<String>,
}

/// The organisations `q` matches: from the search index (names, acronyms, register IDs, what
/// they work on), else by name as the home page finds them.
async fn narrowed(state: &AppState, q: &str) -> Result<Narrowed, WebError> {
    if let Some(found) = crate::search::matching_organisations(state, q).await? {
        let mut notes = found.notes;
        if found.total > found.keys.len() as u64 {
            notes.push(format!(
                "{} organisations match; the list holds the {} that match best.",
                format::thousands(found.total),
                format::thousands(found.keys.len() as u64)
            ));
        }
        notes.extend(found.stale);
        return Ok(Narrowed { keys: found.keys, notes });
    }
    let hits = state.store.find_organisations(q, SEARCH_LIMIT).await?;
    let notes = vec![format!(
        "This server has no search index: organisations are matched by name, acronym or register ID only, the best {SEARCH_LIMIT} at most."
    )];
    Ok(Narrowed { keys: hits.into_iter().map(|h| h.summary.organisation.key).collect(), notes })
}

struct OrgsList {
    sort: OrgSort,
    q: Option<String>,
    page: u32,
    pages: u64,
    list: OrganisationList,
    notes: Vec<String>,
}

async fn load_orgs(state: &AppState, params: &Params) -> Result<OrgsList, WebError> {
    let sort = sort(params)?;
    let q = search_query(params)?;
    let page = params.page()?;
    let offset = (page - 1) * ORGS_PAGE;
    let (list, notes) = match &q {
        None => (state.store.organisations_list(sort, offset, ORGS_PAGE).await?, Vec::new()),
        Some(q) => {
            let found = narrowed(state, q).await?;
            (state.store.organisations_among(&found.keys, sort, offset, ORGS_PAGE).await?, found.notes)
        }
    };
    let pages = list.total.div_ceil(u64::from(ORGS_PAGE)).max(1);
    Ok(OrgsList { sort, q, page, pages, list, notes })
}

pub async fn orgs(State(state): State<AppState>, params: Params) -> Result<Html<String>, WebError> {
    let OrgsList { sort, q, page, pages, list, notes } = load_orgs(&state, &params).await?;
    let q = q.as_deref();
    let link = |s: OrgSort, label| SortLink {
        label,
        href: format!("/orgs{}", orgs_query(s, q, None)),
        current: s == sort,
        order: if s == OrgSort::Name { "ascending" } else { "descending" },
    };
    let offset = u64::from((page - 1) * ORGS_PAGE);
    let view = OrgsPage {
        sort_label: sort_label(sort),
        name_column: link(OrgSort::Name, "Organisation"),
        columns: vec![
            link(OrgSort::Commission, "Commission meetings"),
            link(OrgSort::Parliament, "EP meetings"),
            link(OrgSort::Responses, "Consultation responses"),
            link(OrgSort::Activity, "Total"),
        ],
        rows: list.rows.iter().enumerate().map(|(i, s)| org_row(offset + i as u64 + 1, s, None)).collect(),
        total: format::thousands(list.total),
        page,
        pages,
        prev: (page > 1).then(|| format!("/orgs{}", orgs_query(sort, q, Some(page - 1)))),
        next: (u64::from(page) < pages).then(|| format!("/orgs{}", orgs_query(sort, q, Some(page + 1)))),
        csv_href: format!("/orgs.csv{}", orgs_query(sort, q, None)),
        q: q.unwrap_or_default().to_owned(),
        sort: if sort == OrgSort::default() { "" } else { sort.as_str() },
        notes,
        search_href: q.map(|q| {
            format!("/search?{}", url::form_urlencoded::Serializer::new(String::new()).append_pair("q", q).finish())
        }),
    };
    Ok(Html(view.render()?))
}

pub async fn orgs_api(State(state): State<AppState>, params: Result<Params, WebError>) -> ApiResult<OrgsJson> {
    ApiResult(
        async {
            let OrgsList { sort, q, page, pages, list, .. } = load_orgs(&state, &params?).await?;
            Ok(OrgsJson { sort, q, page, pages, total: list.total, rows: list.rows })
        }
        .await,
    )
}

const ORGS_CSV_HEADER: [&str; 10] = [
    "rank",
    "name",
    "acronym",
    "register_id",
    "commission_meetings",
    "parliament_meetings",
    "responses",
    "total",
    "org_key",
    "page_url",
];

/// One row of the organisations CSV.
fn orgs_csv_row(rank: u64, s: &OrganisationSummary) -> Vec<String> {
    let o = &s.organisation;
    vec![
        rank.to_string(),
        o.name.clone(),
        o.acronym.clone().unwrap_or_default(),
        o.register_id.as_ref().map(|id| id.to_string()).unwrap_or_default(),
        s.counts.commission_meetings.to_string(),
        s.counts.parliament_meetings.to_string(),
        s.counts.responses.to_string(),
        s.total.to_string(),
        o.key.url_segment(),
        format::org_href(&o.key),
    ]
}

/// The whole list in the chosen order, one row per organisation, streamed page by page: each
/// page after the first starts after the last organisation of the one before (keyset), so
/// that every page costs what the first does.
pub async fn orgs_csv(State(state): State<AppState>, params: Params) -> Result<Response, WebError> {
    let sort = sort(&params)?;
    let q = search_query(&params)?;
    let among = match &q {
        Some(q) => Some(std::sync::Arc::new(narrowed(&state, q).await?.keys)),
        None => None,
    };
    let store = state.store.clone();
    // The state: the rank of the next row and the organisation before it; `None` when done.
    let body = crate::export::csv_body(
        &state.expensive,
        &ORGS_CSV_HEADER,
        Some((0u32, None)),
        move |at: Option<(u32, Option<OrgKey>)>| {
            let (store, among) = (store.clone(), among.clone());
            async move {
                let Some((done, after)) = at else { return Ok(None) };
                let want = EXPORT_PAGE.min(MAX_LIST_EXPORT.saturating_sub(done));
                if want == 0 {
                    return Ok(None);
                }
                // A narrowed list is at most `MAX_AMONG` long: its pages go by offset.
                let page = match (&among, &after) {
                    (Some(keys), _) => store.organisations_among(keys, sort, done, want).await?,
                    (None, None) => store.organisations_list(sort, 0, want).await?,
                    (None, Some(key)) => store.organisations_after(sort, key, want).await?,
                };
                let Some(last) = page.rows.last() else { return Ok(None) };
                let next = (page.rows.len() as u32 == want).then(|| (done + want, Some(last.organisation.key.clone())));
                let rows = page
                    .rows
                    .iter()
                    .enumerate()
                    .map(|(i, s)| orgs_csv_row(u64::from(done) + i as u64 + 1, s))
                    .collect();
                Ok(Some((rows, next)))
            }
        },
    );
    let name = match q {
        Some(_) => format!("lobbyscope-organisations-matching-by-{}.csv", sort.as_str()),
        None => format!("lobbyscope-organisations-by-{}.csv", sort.as_str()),
    };
    Ok(crate::export::csv_attachment(body, &name))
}

// ---------------------------------------------------------------------------------------------
// Consultation initiative

/// The initiative's page on the Have Your Say portal.
fn initiative_url(id: u64) -> String {
    format!("https://ec.europa.eu/info/law/better-regulation/have-your-say/initiatives/{id}_en")
}

/// Publication types as the portal names them; the code is shown too.
fn publication_kind(code: &str) -> Option<&'static str> {
    match code {
        "IMPACT_ASSESS_INCEP" => Some("Inception impact assessment"),
        "OPC_LAUNCHED" => Some("Public consultation"),
        "PROP_REG" => Some("Proposal for a regulation"),
        "ROADMAP" => Some("Roadmap"),
        _ => None,
    }
}

pub struct PublicationRow {
    pub kind: String,
    pub date: Option<String>,
    pub reference: Option<String>,
    pub portal_count: Option<String>,
    pub stored: String,
    pub attachments: Vec<AttachmentView>,
}

pub struct CountRow {
    pub label: String,
    pub count: String,
}

fn count_rows(counts: &[ValueCount]) -> Vec<CountRow> {
    counts
        .iter()
        .map(|c| CountRow {
            label: c.value.clone().unwrap_or_else(|| "Not given".into()),
            count: format::thousands(c.count),
        })
        .collect()
}

fn initiative_facts(i: &InitiativeView) -> Vec<Fact> {
    let text = |v: &Option<String>| v.clone().map(|v| vec![Segment::text(v)]);
    let missing = || vec![Segment::text("Not given in the source")];
    let mut out = vec![
        Fact { label: "Reference", value: text(&i.reference).unwrap_or_else(missing) },
        Fact { label: "Directorate-General", value: text(&i.dg).unwrap_or_else(missing) },
    ];
    let mut push = |label, value: Option<Vec<Segment>>| {
        if let Some(value) = value {
            out.push(Fact { label, value });
        }
    };
    push("Unit", text(&i.unit));
    push("Type of act", text(&i.foreseen_act_type));
    push("Status", text(&i.status));
    push("Stage", text(&i.stage));
    push("Feedback", text(&i.receiving_feedback_status));
    push("Topics", (!i.topics.is_empty()).then(|| vec![Segment::text(i.topics.join(", "))]));
    push("Published", i.published_date.map(|d| vec![Segment::text(format::day(d))]));
    push("Last modified", i.modified_date.map(|d| vec![Segment::text(format::day(d))]));
    out
}

#[derive(Template)]
#[template(path = "initiative.html")]
struct InitiativePage {
    id: u64,
    title: String,
    official: String,
    /// The day the portal's listing was found no longer to hold it, shown and as `YYYY-MM-DD`.
    withdrawn: Option<(String, String)>,
    facts: Vec<Fact>,
    publications: Vec<PublicationRow>,
    source: SourceView,
    /// "1 response", "25 responses".
    total: String,
    by_user_type: Vec<CountRow>,
    by_country: Vec<CountRow>,
    items: Vec<ItemView>,
    page: u32,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    csv_href: String,
    feed_href: String,
}

#[derive(Serialize)]
pub struct InitiativeJson {
    initiative: InitiativeView,
    #[serde(skip_serializing_if = "Option::is_none")]
    no_longer_published_since: Option<chrono::NaiveDate>,
    /// The page of responses asked for, with counts over all of them.
    responses: ResponsePage,
    page: u32,
    pages: u64,
    official_url: String,
}

async fn load_initiative(
    state: &AppState,
    id: &str,
    offset: u32,
    limit: u32,
) -> Result<(InitiativeView, ResponsePage), WebError> {
    let id = initiative_id(id)?;
    let initiative =
        state.store.initiative(id).await?.ok_or_else(|| {
            WebError::NotFound(format!("No consultation initiative {id} is in the imported records."))
        })?;
    let responses = state.store.initiative_responses(id, offset, limit).await?;
    Ok((initiative, responses))
}

fn responses_as_activity(page: ResponsePage) -> Vec<Activity> {
    page.items.into_iter().map(Activity::Response).collect()
}

pub async fn initiative(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Html<String>, WebError> {
    let page = params.page()?;
    let (i, responses) = load_initiative(&state, &id, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
    let withdrawn = state.store.withdrawn_since(ListedKind::Initiatives, &i.id.to_string()).await?;
    let base = format!("/initiative/{}", i.id);
    let pages = responses.total.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let items = responses
        .items
        .iter()
        .map(|r| {
            let mut item = timeline::item(&Activity::Response(r.clone()), None);
            // On the initiative's own page each response is named by who wrote it.
            item.title = vec![author(r)];
            item.subject = Some(format!(
                "{} · {}",
                r.user_type.as_deref().unwrap_or("respondent type not given"),
                r.country.as_deref().unwrap_or("country not given")
            ));
            item
        })
        .collect();
    let view = InitiativePage {
        id: i.id,
        title: i.short_title.clone(),
        official: initiative_url(i.id),
        withdrawn: withdrawn.map(|d| timeline::dates(Some(When::Day(d)))),
        facts: initiative_facts(&i),
        publications: i
            .publications
            .iter()
            .map(|p| PublicationRow {
                kind: match p.kind.as_deref() {
                    Some(code) => match publication_kind(code) {
                        Some(label) => format!("{label} ({code})"),
                        None => code.to_owned(),
                    },
                    None => "Type not given".to_owned(),
                },
                date: p.adoption_date.map(format::day),
                reference: p.reference.clone(),
                portal_count: p.total_feedback.map(format::thousands),
                stored: format::thousands(p.stored_responses),
                attachments: timeline::attachments(&p.attachments),
            })
            .collect(),
        source: SourceView {
            label: format::source_label(i.provenance.source),
            file: format::file_name(&i.provenance.file).to_owned(),
            locator: i.provenance.locator.to_string(),
            official: Some(initiative_url(i.id)),
            record: format!("/api{base}"),
        },
        total: format!(
            "{} {}",
            format::thousands(responses.total),
            if responses.total == 1 { "response" } else { "responses" }
        ),
        by_user_type: count_rows(&responses.by_user_type),
        by_country: count_rows(&responses.by_country),
        items,
        page,
        pages,
        prev: (page > 1).then(|| format!("{base}{}", page_query(page - 1))),
        next: (u64::from(page) < pages).then(|| format!("{base}{}", page_query(page + 1))),
        csv_href: format!("{base}/responses.csv"),
        feed_href: format!("{base}/feed.atom"),
    };
    Ok(Html(view.render()?))
}

fn page_query(page: u32) -> String {
    if page > 1 { format!("?page={page}") } else { String::new() }
}

pub async fn initiative_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Result<Params, WebError>,
) -> ApiResult<InitiativeJson> {
    ApiResult(
        async {
            let page = params?.page()?;
            let (initiative, responses) = load_initiative(&state, &id, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
            let pages = responses.total.div_ceil(u64::from(PAGE_SIZE)).max(1);
            let official_url = initiative_url(initiative.id);
            let no_longer_published_since =
                state.store.withdrawn_since(ListedKind::Initiatives, &initiative.id.to_string()).await?;
            Ok(InitiativeJson { initiative, no_longer_published_since, responses, page, pages, official_url })
        }
        .await,
    )
}

/// Every response (up to [`crate::query::MAX_EXPORT`]) as CSV, in the timelines' columns,
/// streamed.
pub async fn initiative_csv(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, WebError> {
    let (i, _) = load_initiative(&state, &id, 0, 0).await?;
    let store = state.store.clone();
    let name = format!("lobbyscope-initiative-{}-responses.csv", i.id);
    Ok(crate::export::activity_csv(&state.expensive, None, &name, move |offset, limit| {
        let store = store.clone();
        async move { Ok(responses_as_activity(store.initiative_responses(i.id, offset, limit).await?)) }
    }))
}

/// The newest responses as an Atom feed.
pub async fn initiative_atom(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, WebError> {
    let (i, responses) = load_initiative(&state, &id, 0, FEED_ITEMS).await?;
    let body = crate::export::atom(
        &format!("Consultation responses: {}", i.short_title),
        &format!("/initiative/{}", i.id),
        &responses_as_activity(responses),
    );
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn parameters_are_checked() {
        assert_eq!(search_query(&params(&[("q", "  isoc ")])).unwrap().as_deref(), Some("isoc"));
        assert_eq!(search_query(&params(&[("q", "   ")])).unwrap(), None);
        assert!(search_query(&params(&[("q", &"é".repeat(200))])).is_ok(), "200 characters, 400 bytes");
        match search_query(&params(&[("q", &"a".repeat(201))])) {
            Err(WebError::BadRequest(m)) => assert!(m.contains("parameter q"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(sort(&params(&[])).unwrap(), OrgSort::Activity);
        assert_eq!(sort(&params(&[("sort", "parliament")])).unwrap(), OrgSort::Parliament);
        assert!(
            matches!(sort(&params(&[("sort", "size")])), Err(WebError::BadRequest(m)) if m.contains("sort=\"size\""))
        );
        assert_eq!(initiative_id("13017").unwrap(), 13017);
        for bad in ["", "+13017", "13017x", "-1", "99999999999999999999"] {
            assert!(matches!(initiative_id(bad), Err(WebError::NotFound(_))), "{bad:?}");
        }
    }

    #[test]
    fn numbers_and_links_read_well() {
        assert_eq!(orgs_query(OrgSort::Activity, None, Some(1)), "");
        assert_eq!(orgs_query(OrgSort::Name, None, Some(3)), "?sort=name&page=3");
        assert_eq!(orgs_query(OrgSort::Activity, Some("R&D \"open\""), None), "?q=R%26D+%22open%22");
        assert_eq!(import_time("2026-11-29T13:00:00+01:00"), "29 Nov 2026, 12:00 UTC");
        assert_eq!(import_time("yesterday"), "yesterday");
    }
}
