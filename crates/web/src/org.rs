//! The organisation page: who it is, per the register, and its lobbying activity.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use lobbyscope_domain::Costs;
use lobbyscope_store::{ActivityFilter, ActivityPage, ListedKind, OrgKey, OrganisationView, StoredRegisterEntry};
use serde::Serialize;

use crate::error::ApiResult;
use crate::format::{self, Segment};
use crate::query::Params;
use crate::timeline;
use crate::{AppState, WebError};

async fn load(
    state: &AppState,
    key: &str,
    filter: &ActivityFilter,
) -> Result<(OrganisationView, ActivityPage), WebError> {
    let key = org_key(key)?;
    let org = state.store.organisation_view(&key).await?.ok_or_else(|| unknown(&key))?;
    let activity = state.store.organisation_activity(&key, filter).await?;
    Ok((org, activity))
}

fn unknown(key: &OrgKey) -> WebError {
    WebError::NotFound(format!("No organisation is known under {:?}.", key.url_segment()))
}

/// The organisation an address names, if the address is well formed.
fn org_key(key: &str) -> Result<OrgKey, WebError> {
    if key.len() > 200 {
        return Err(WebError::NotFound("No organisation has this key.".into()));
    }
    OrgKey::from_url_segment(key).ok_or_else(|| WebError::NotFound(format!("No organisation is known under {key:?}.")))
}

/// A register fact as the header lists it.
pub struct Fact {
    pub label: &'static str,
    pub value: Vec<Segment>,
}

fn costs_text(entry: &lobbyscope_domain::RegisterEntry) -> Option<String> {
    let euro = |n: u64| format!("€{}", format::thousands(n));
    let amount = match entry.costs? {
        Costs::Range { min, max } if min == max => euro(min),
        Costs::Range { min, max } => format!("{} – {}", euro(min), euro(max)),
        Costs::Amount { amount } => euro(amount),
    };
    let year = entry.financial_year_end.or(entry.financial_year_start).map(|d| d.format("%Y").to_string());
    Some(match year {
        Some(y) => format!("{amount} (financial year ending {y})"),
        None => amount,
    })
}

fn facts(entry: &StoredRegisterEntry) -> Vec<Fact> {
    let e = &entry.entry;
    let snapshot = e.snapshot_date.format("%-d %b %Y").to_string();
    let mut out = Vec::new();
    let mut push = |label, value: Option<Vec<Segment>>| {
        if let Some(value) = value {
            out.push(Fact { label, value });
        }
    };
    push(
        "Register ID",
        Some(vec![Segment::link(e.register_id.to_string(), format::register_url(e.register_id.as_str()))]),
    );
    push("Category", e.category.clone().map(|c| vec![Segment::text(c)]));
    push("Entity form", e.entity_form.clone().map(|c| vec![Segment::text(c)]));
    let office = match (&e.head_office_city, &e.head_office_country) {
        (Some(city), Some(country)) => Some(format!("{city}, {country}")),
        (city, country) => city.clone().or_else(|| country.clone()),
    };
    push("Head office", office.map(|o| vec![Segment::text(o)]));
    push(
        "Website",
        e.website.clone().map(|w| {
            // Only web addresses become links; anything else is shown as text.
            if w.starts_with("http://") || w.starts_with("https://") {
                vec![Segment::link(w.clone(), w)]
            } else {
                vec![Segment::text(w)]
            }
        }),
    );
    push("Declared lobbying costs", costs_text(e).map(|c| vec![Segment::text(c)]));
    push("Full-time equivalents", e.fte.map(|f| vec![Segment::text(format!("{f} (as of {snapshot})"))]));
    push("Persons involved", e.members.map(|m| vec![Segment::text(format!("{m} (as of {snapshot})"))]));
    push("EP access passes", e.ep_accredited.map(|n| vec![Segment::text(format!("{n} (as of {snapshot})"))]));
    push("Registered since", e.registration_date.map(|d| vec![Segment::text(d.format("%-d %b %Y").to_string())]));
    push("Last update", e.last_update_date.map(|d| vec![Segment::text(d.format("%-d %b %Y").to_string())]));
    out
}

/// What changed between consecutive snapshots, newest first: "25 Oct 2018: FTE 1.5 → 2".
fn changes(register: &[StoredRegisterEntry]) -> Vec<String> {
    let mut out = Vec::new();
    for pair in register.windows(2) {
        let (new, old) = (&pair[0].entry, &pair[1].entry);
        let mut diffs = Vec::new();
        let mut cmp = |label: &str, a: Option<String>, b: Option<String>| {
            if a != b {
                let show = |v: Option<String>| v.unwrap_or_else(|| "not given".into());
                diffs.push(format!("{label} {} → {}", show(b), show(a)));
            }
        };
        cmp("name", Some(new.name.clone()), Some(old.name.clone()));
        cmp("category", new.category.clone(), old.category.clone());
        cmp("costs", costs_text(new), costs_text(old));
        cmp("FTE", new.fte.map(|f| f.to_string()), old.fte.map(|f| f.to_string()));
        cmp("persons", new.members.map(|f| f.to_string()), old.members.map(|f| f.to_string()));
        cmp("EP passes", new.ep_accredited.map(|f| f.to_string()), old.ep_accredited.map(|f| f.to_string()));
        cmp("head office", new.head_office_country.clone(), old.head_office_country.clone());
        let when = new.snapshot_date.format("%-d %b %Y");
        if diffs.is_empty() {
            out.push(format!("{when}: no change in these facts"));
        } else {
            out.push(format!("{when}: {}", diffs.join("; ")));
        }
    }
    out
}

/// The register's goals cut to one line.
fn description(register: &[StoredRegisterEntry]) -> Option<String> {
    let goals = register.first()?.entry.goals.as_deref()?.trim();
    let first = goals.split_inclusive(['.', '\n']).next().unwrap_or(goals).trim();
    let (line, _) = format::excerpt(first, 220);
    Some(line).filter(|l| !l.is_empty())
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    name: String,
    acronym: Option<String>,
    registered: bool,
    description: Option<String>,
    facts: Vec<Fact>,
    snapshot: Option<String>,
    changes: Vec<String>,
    register_source: Option<timeline::SourceView>,
    /// The day a register export was found no longer to list it, shown and as `YYYY-MM-DD`.
    deregistered: Option<(String, String)>,
    published_names: Vec<String>,
    list: timeline::Listing,
}

/// Since when the register no longer lists the organisation, if it once did and does not.
async fn deregistered(state: &AppState, org: &OrganisationView) -> Result<Option<chrono::NaiveDate>, WebError> {
    match &org.organisation.register_id {
        Some(id) if !org.register.is_empty() => {
            Ok(state.store.withdrawn_since(ListedKind::Registrations, id.as_str()).await?)
        }
        _ => Ok(None),
    }
}

pub async fn page(
    State(state): State<AppState>,
    Path(key): Path<String>,
    params: Params,
) -> Result<Html<String>, WebError> {
    let filter = params.activity_filter()?;
    let (org, activity) = load(&state, &key, &filter).await?;
    let okey = org.organisation.key.clone();
    let latest = org.register.first();
    let gone = deregistered(&state, &org).await?;
    let mut counts_line = format!(
        "{} with the Commission · {} with MEPs · {}",
        format::count(activity.counts.commission_meetings, "meeting", "meetings"),
        format::count(activity.counts.parliament_meetings, "meeting", "meetings"),
        format::count(activity.counts.responses, "consultation response", "consultation responses"),
    );
    if activity.positions > 0 {
        counts_line.push_str(&format!(" · {}", format::count(activity.positions, "position item", "position items")));
    }
    let filters = timeline::Filters { kind: true, institution: true };
    let page_view = OrgPage {
        name: org.organisation.name.clone(),
        acronym: org.organisation.acronym.clone(),
        registered: !org.register.is_empty(),
        description: description(&org.register),
        facts: latest.map(facts).unwrap_or_default(),
        snapshot: latest.map(|e| e.entry.snapshot_date.format("%-d %b %Y").to_string()),
        changes: changes(&org.register),
        register_source: latest.map(|e| timeline::SourceView {
            label: format::source_label(e.provenance.source),
            file: format::file_name(&e.provenance.file).to_owned(),
            locator: e.provenance.locator.to_string(),
            official: Some(format::register_url(e.entry.register_id.as_str())),
            record: format!("/api/org/{}", okey.url_segment()),
        }),
        deregistered: gone.map(|d| timeline::dates(Some(lobbyscope_domain::When::Day(d)))),
        published_names: org.published_names.clone(),
        list: timeline::listing(format::org_href(&okey), &filter, &activity, Some(&okey), filters, counts_line),
    };
    Ok(Html(page_view.render()?))
}

#[derive(Serialize)]
pub struct OrgJson {
    #[serde(flatten)]
    organisation: OrganisationView,
    /// The day a register export was found no longer to list it.
    #[serde(skip_serializing_if = "Option::is_none")]
    no_longer_registered_since: Option<chrono::NaiveDate>,
    activity: ActivityPage,
}

pub async fn api(
    State(state): State<AppState>,
    Path(key): Path<String>,
    params: Result<Params, WebError>,
) -> ApiResult<OrgJson> {
    ApiResult(
        async {
            let filter = params?.activity_filter()?;
            let (organisation, activity) = load(&state, &key, &filter).await?;
            let no_longer_registered_since = deregistered(&state, &organisation).await?;
            Ok(OrgJson { organisation, no_longer_registered_since, activity })
        }
        .await,
    )
}

/// The whole filtered timeline (up to [`crate::query::MAX_EXPORT`] rows) as CSV, streamed.
pub async fn csv(State(state): State<AppState>, Path(key): Path<String>, params: Params) -> Result<Response, WebError> {
    let filter = params.activity_filter()?;
    let key = org_key(&key)?;
    if state.store.organisation(&key).await?.is_none() {
        return Err(unknown(&key));
    }
    let name = format!("lobbyscope-{}-activity.csv", key.url_segment().replace(':', "_"));
    let store = state.store.clone();
    Ok(crate::export::activity_csv(&state.expensive, Some(key.clone()), &name, move |offset, limit| {
        let (store, key) = (store.clone(), key.clone());
        let f = ActivityFilter { offset, limit, ..filter.clone() };
        async move { Ok(store.organisation_activity(&key, &f).await?.items) }
    }))
}

/// The newest activity as an Atom feed.
pub async fn atom(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, WebError> {
    let filter = ActivityFilter { limit: 50, ..ActivityFilter::default() };
    let (org, activity) = load(&state, &key, &filter).await?;
    let base = format::org_href(&org.organisation.key);
    let body = crate::export::atom(&format!("Lobbying activity: {}", org.organisation.name), &base, &activity.items);
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response())
}
