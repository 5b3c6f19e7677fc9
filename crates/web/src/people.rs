//! The pages of the people on the institutions' side of meetings (an MEP, a Commission
//! official) and of a legislative procedure: each a timeline of meetings, filtered and paged as
//! on the organisation page, with its JSON twin, CSV download and Atom feed.
//!
//! A well-formed procedure reference that no meeting cites gets a page saying so (200), not a
//! 404: a procedure exists whether or not an imported record mentions it, so "no meeting in these
//! records cites it" is the true answer, and the page still links the procedure's official file.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use lobbyscope_store::{ActivityFilter, ActivityPage, FoldedName, PersonFacet, PersonKey, PersonKind, PersonView};
use serde::Serialize;

use crate::error::ApiResult;
use crate::format;
use crate::query::Params;
use crate::timeline::{self, Filters, Listing};
use crate::{AppState, WebError};

/// How many items an Atom feed holds, as on the organisation page.
const FEED_ITEMS: u32 = 50;

// ---------------------------------------------------------------------------------------------
// Addresses

/// `/mep/197431`: the MEP with that EP id. Only the canonical form of a number is an address.
fn mep_key(id: &str) -> Option<PersonKey> {
    let n = id.parse::<u64>().ok()?;
    (n.to_string() == id && n > 0).then_some(PersonKey::Mep(n))
}

/// `/official/christiane-canenbley`: the inverse of [`format::person_href`].
fn official_key(slug: &str) -> Option<PersonKey> {
    (slug.len() <= 200).then(|| FoldedName::from_slug(slug)).flatten().map(PersonKey::Commission)
}

/// The shape `2022/0155(COD)`: four digits, a slash, four digits, three capitals in brackets.
fn procedure_reference(text: &str) -> Result<&str, WebError> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let valid = b.len() == 14
        && digits(0..4)
        && b[4] == b'/'
        && digits(5..9)
        && b[9] == b'('
        && b[10..13].iter().all(u8::is_ascii_uppercase)
        && b[13] == b')';
    if valid {
        return Ok(text);
    }
    let shown: String = text.chars().take(40).collect();
    let shown = if text.chars().count() > 40 { format!("{shown}…") } else { shown };
    Err(WebError::BadRequest(format!(
        "The procedure reference {shown:?} is not valid: expected the form 2022/0155(COD) \
         (year/number and the three-letter procedure type)."
    )))
}

/// The MEP's page on the Parliament's site.
fn mep_url(ep_id: u64) -> String {
    format!("https://www.europarl.europa.eu/meps/en/{ep_id}/home")
}

/// The procedure's file in the Parliament's Legislative Observatory.
fn procedure_url(reference: &str) -> String {
    format!("https://oeil.secure.europarl.europa.eu/oeil/popups/ficheprocedure.do?reference={reference}&l=en")
}

// ---------------------------------------------------------------------------------------------
// The timeline part both templates share

/// A timeline as a CSV download, read page by page with the filter the address gives.
fn csv_response<F, Fut>(state: &AppState, params: &Params, file_stem: &str, read: F) -> Result<Response, WebError>
where
    F: Fn(ActivityFilter) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<ActivityPage, lobbyscope_store::StoreError>> + Send + 'static,
{
    let filter = params.activity_filter()?;
    let name = format!("lobbyscope-{file_stem}-activity.csv");
    Ok(crate::export::activity_csv(&state.expensive, None, &name, move |offset, limit| {
        let page = read(ActivityFilter { offset, limit, ..filter.clone() });
        async move { Ok(page.await?.items) }
    }))
}

fn atom_response(title: &str, base: &str, activity: &ActivityPage) -> Response {
    let body = crate::export::atom(title, base, &activity.items);
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response()
}

fn feed_filter() -> ActivityFilter {
    ActivityFilter { limit: FEED_ITEMS, ..ActivityFilter::default() }
}

// ---------------------------------------------------------------------------------------------
// People

/// Which person an address names.
#[derive(Clone, Copy)]
enum Who<'a> {
    Mep(&'a str),
    Official(&'a str),
}

impl Who<'_> {
    fn key(self) -> Option<PersonKey> {
        match self {
            Who::Mep(id) => mep_key(id),
            Who::Official(slug) => official_key(slug),
        }
    }

    fn missing(self) -> WebError {
        WebError::NotFound(match self {
            Who::Mep(_) => "No Member of the European Parliament with this ID appears in the imported meetings.".into(),
            Who::Official(_) => "No Commission official with this name appears in the imported meetings.".into(),
        })
    }
}

async fn load_person(
    state: &AppState,
    who: Who<'_>,
    filter: &ActivityFilter,
) -> Result<(PersonView, ActivityPage), WebError> {
    let key = who.key().ok_or_else(|| who.missing())?;
    let person = state.store.person(&key).await?.ok_or_else(|| who.missing())?;
    let activity = state.store.person_activity(&key, filter).await?;
    Ok((person, activity))
}

/// The name as pages show it: "Patrick Breyer" for `BREYER Patrick`.
fn display_name(p: &PersonView) -> String {
    match p.kind {
        PersonKind::Mep => format::mep_name(&p.name),
        PersonKind::Commission => p.name.clone(),
    }
}

fn base_href(p: &PersonView) -> String {
    format::person_href(&p.key).unwrap_or_else(|| "/".to_owned())
}

/// "Cabinet member (65 meetings)".
fn facet_values(facets: &[PersonFacet]) -> Vec<String> {
    facets.iter().map(|f| format!("{} ({})", f.label, format::count(f.meetings, "meeting", "meetings"))).collect()
}

pub struct PersonFact {
    pub label: &'static str,
    pub values: Vec<String>,
}

fn person_facts(p: &PersonView) -> Vec<PersonFact> {
    let role_label = match p.kind {
        PersonKind::Mep => "Capacity in these meetings",
        PersonKind::Commission => "Title",
    };
    [(role_label, &p.roles), ("Cabinet", &p.cabinets), ("Directorate-General", &p.dgs), ("Portfolio", &p.portfolios)]
        .into_iter()
        .filter(|(_, facets)| !facets.is_empty())
        .map(|(label, facets)| PersonFact { label, values: facet_values(facets) })
        .collect()
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    name: String,
    institution_line: &'static str,
    official_url: Option<String>,
    facts: Vec<PersonFact>,
    published_names: Vec<String>,
    list: Listing,
}

async fn person_page(state: &AppState, who: Who<'_>, params: Params) -> Result<Html<String>, WebError> {
    let filter = params.activity_filter()?;
    let (person, activity) = load_person(state, who, &filter).await?;
    let counts_line = format!(
        "{} with interest representatives in the imported records",
        format::count(activity.counts.total(), "meeting", "meetings")
    );
    let page = PersonPage {
        name: display_name(&person),
        institution_line: match person.kind {
            PersonKind::Mep => "Member of the European Parliament",
            PersonKind::Commission => "European Commission",
        },
        official_url: person.ep_id.map(mep_url),
        facts: person_facts(&person),
        published_names: person.published_names.clone(),
        // No organisation is the subject here: every organisation met is listed and linked.
        list: timeline::listing(
            base_href(&person),
            &filter,
            &activity,
            None,
            Filters { kind: false, institution: false },
            counts_line,
        ),
    };
    Ok(Html(page.render()?))
}

#[derive(Serialize)]
pub struct PersonJson {
    #[serde(flatten)]
    person: PersonView,
    /// The name as the page shows it ("Given Surname" for MEPs).
    display_name: String,
    /// The person's page on the institution's site, where one exists.
    official_url: Option<String>,
    activity: ActivityPage,
}

async fn person_api(state: &AppState, who: Who<'_>, params: Result<Params, WebError>) -> ApiResult<PersonJson> {
    ApiResult(
        async {
            let filter = params?.activity_filter()?;
            let (person, activity) = load_person(state, who, &filter).await?;
            Ok(PersonJson {
                display_name: display_name(&person),
                official_url: person.ep_id.map(mep_url),
                person,
                activity,
            })
        }
        .await,
    )
}

async fn person_csv(state: &AppState, who: Who<'_>, params: Params) -> Result<Response, WebError> {
    let key = who.key().ok_or_else(|| who.missing())?;
    let person = state.store.person(&key).await?.ok_or_else(|| who.missing())?;
    let stem = base_href(&person).trim_start_matches('/').replace('/', "-");
    let store = state.store.clone();
    csv_response(state, &params, &stem, move |f| {
        let (store, key) = (store.clone(), key.clone());
        async move { store.person_activity(&key, &f).await }
    })
}

async fn person_atom(state: &AppState, who: Who<'_>) -> Result<Response, WebError> {
    let (person, activity) = load_person(state, who, &feed_filter()).await?;
    Ok(atom_response(&format!("Meetings: {}", display_name(&person)), &base_href(&person), &activity))
}

pub async fn mep_page(State(s): State<AppState>, Path(id): Path<String>, p: Params) -> Result<Html<String>, WebError> {
    person_page(&s, Who::Mep(&id), p).await
}

pub async fn mep_api(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Result<Params, WebError>,
) -> ApiResult<PersonJson> {
    person_api(&s, Who::Mep(&id), p).await
}

pub async fn mep_csv(State(s): State<AppState>, Path(id): Path<String>, p: Params) -> Result<Response, WebError> {
    person_csv(&s, Who::Mep(&id), p).await
}

pub async fn mep_atom(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, WebError> {
    person_atom(&s, Who::Mep(&id)).await
}

pub async fn official_page(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    p: Params,
) -> Result<Html<String>, WebError> {
    person_page(&s, Who::Official(&slug), p).await
}

pub async fn official_api(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    p: Result<Params, WebError>,
) -> ApiResult<PersonJson> {
    person_api(&s, Who::Official(&slug), p).await
}

pub async fn official_csv(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    p: Params,
) -> Result<Response, WebError> {
    person_csv(&s, Who::Official(&slug), p).await
}

pub async fn official_atom(State(s): State<AppState>, Path(slug): Path<String>) -> Result<Response, WebError> {
    person_atom(&s, Who::Official(&slug)).await
}

// ---------------------------------------------------------------------------------------------
// Procedures

#[derive(Template)]
#[template(path = "procedure.html")]
struct ProcedurePage {
    reference: String,
    official: String,
    cited: bool,
    list: Listing,
}

#[derive(Serialize)]
pub struct ProcedureJson {
    reference: String,
    /// The procedure's file in the Parliament's Legislative Observatory.
    official_url: String,
    activity: ActivityPage,
}

fn procedure_href(reference: &str) -> String {
    format!("/procedure/{reference}")
}

/// `/procedure/{*rest}`: the page, or with `/activity.csv` or `/feed.atom` after the reference,
/// its CSV download or feed (a wildcard route cannot be followed by more path).
pub async fn procedure(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    params: Params,
) -> Result<Response, WebError> {
    if let Some(reference) = rest.strip_suffix("/activity.csv") {
        let reference = procedure_reference(reference)?.to_owned();
        let stem = format!("procedure-{}", reference.replace('/', "-").replace(['(', ')'], ""));
        let store = state.store.clone();
        return csv_response(&state, &params, &stem, move |f| {
            let (store, reference) = (store.clone(), reference.clone());
            async move { store.procedure_activity(&reference, &f).await }
        });
    }
    if let Some(reference) = rest.strip_suffix("/feed.atom") {
        let reference = procedure_reference(reference)?;
        let activity = state.store.procedure_activity(reference, &feed_filter()).await?;
        let title = format!("Meetings citing procedure {reference}");
        return Ok(atom_response(&title, &procedure_href(reference), &activity));
    }
    let reference = procedure_reference(&rest)?;
    let filter = params.activity_filter()?;
    let activity = state.store.procedure_activity(reference, &filter).await?;
    let counts_line = format!(
        "{} this procedure: {} with the Commission · {} with MEPs",
        format::count(activity.counts.total(), "meeting cites", "meetings cite"),
        activity.counts.commission_meetings,
        activity.counts.parliament_meetings,
    );
    let page = ProcedurePage {
        reference: reference.to_owned(),
        official: procedure_url(reference),
        cited: activity.counts.total() > 0,
        list: timeline::listing(
            procedure_href(reference),
            &filter,
            &activity,
            None,
            Filters { kind: false, institution: true },
            counts_line,
        ),
    };
    Ok(Html(page.render()?).into_response())
}

pub async fn procedure_api(
    State(state): State<AppState>,
    Path(rest): Path<String>,
    params: Result<Params, WebError>,
) -> ApiResult<ProcedureJson> {
    ApiResult(
        async {
            let reference = procedure_reference(&rest)?;
            let filter = params?.activity_filter()?;
            let activity = state.store.procedure_activity(reference, &filter).await?;
            Ok(ProcedureJson { reference: reference.to_owned(), official_url: procedure_url(reference), activity })
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_map_to_keys() {
        assert_eq!(mep_key("197431"), Some(PersonKey::Mep(197431)));
        for bad in ["0197431", "+197431", "abc", "", "0", "99999999999999999999999"] {
            assert_eq!(mep_key(bad), None, "{bad}");
        }
        let canenbley = PersonKey::Commission(FoldedName::fold("Christiane Canenbley"));
        assert_eq!(official_key("christiane-canenbley"), Some(canenbley));
        for bad in ["Christiane-Canenbley", "-a", "a-", "a--b", "a b", "", "a%20b", "é"] {
            assert_eq!(official_key(bad), None, "{bad}");
        }
        let key = official_key("adina-ioana-valean").unwrap();
        assert_eq!(format::person_href(&key).as_deref(), Some("/official/adina-ioana-valean"), "round trip");
    }

    #[test]
    fn procedure_references_are_checked() {
        assert!(procedure_reference("2022/0155(COD)").is_ok());
        for bad in ["2022/155(COD)", "2022/0155(cod)", "2022-0155(COD)", "2022/0155(COD)x", "", "2022/0155(CO)"] {
            match procedure_reference(bad) {
                Err(WebError::BadRequest(m)) => assert!(m.contains("2022/0155(COD)"), "{m}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let long = "x".repeat(5000);
        let Err(WebError::BadRequest(m)) = procedure_reference(&long) else { panic!() };
        assert!(m.len() < 200, "a long value is not echoed whole");
    }
}
