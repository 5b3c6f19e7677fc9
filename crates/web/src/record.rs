//! One record's page: a meeting or a consultation response in full, with its provenance.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use chrono::NaiveDate;
use lobbyscope_domain::{MeetingId, Provenance, When};
use lobbyscope_store::{Activity, ListedKind, MeetingView, ResponseView};
use serde::Serialize;

use crate::error::ApiResult;
use crate::format::{self, Segment};
use crate::timeline::{self, AttachmentView, SourceView};
use crate::{AppState, WebError};

async fn load_meeting(state: &AppState, id: &str) -> Result<MeetingView, WebError> {
    let meeting = match MeetingId::parse(id) {
        Some(id) => state.store.meeting(&id).await?,
        None => None,
    };
    meeting.ok_or_else(|| WebError::NotFound("No meeting has this identifier.".into()))
}

async fn load_response(state: &AppState, id: &str) -> Result<ResponseView, WebError> {
    let response = match id.parse::<u64>() {
        Ok(n) => state.store.response(n).await?,
        Err(_) => None,
    };
    response.ok_or_else(|| WebError::NotFound("No consultation response has this identifier.".into()))
}

/// The provenance block every record page ends with.
pub(crate) struct ProvenanceView {
    pub source: SourceView,
    pub imported_at: String,
    pub content_hash: String,
    /// The day the source was found no longer to publish it, shown and as `YYYY-MM-DD`.
    pub withdrawn: Option<(String, String)>,
}

pub(crate) fn provenance(source: SourceView, p: &Provenance) -> ProvenanceView {
    ProvenanceView { source, imported_at: p.imported_at.clone(), content_hash: p.content_hash.clone(), withdrawn: None }
}

impl ProvenanceView {
    pub(crate) fn withdrawn(self, since: Option<NaiveDate>) -> ProvenanceView {
        ProvenanceView { withdrawn: since.map(|d| timeline::dates(Some(When::Day(d)))), ..self }
    }
}

/// A record as the API gives it, with the day its source stopped publishing it, when it did.
#[derive(Serialize)]
pub struct Marked<T> {
    #[serde(flatten)]
    pub record: T,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_longer_published_since: Option<NaiveDate>,
}

async fn marked<T>(
    state: &AppState,
    kind: ListedKind,
    record: Result<T, WebError>,
    key: impl Fn(&T) -> String,
) -> Result<Marked<T>, WebError> {
    let record = record?;
    let no_longer_published_since = state.store.withdrawn_since(kind, &key(&record)).await?;
    Ok(Marked { record, no_longer_published_since })
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    title: Vec<Segment>,
    date: String,
    iso_date: String,
    subject: String,
    location: Option<String>,
    portfolio: Option<String>,
    procedures: Vec<Segment>,
    attendees: Vec<Attendee>,
    attendees_raw: String,
    provenance: ProvenanceView,
    history: Vec<VersionView>,
}

/// An earlier version of a meeting, as the fields in which it differed from the one after it.
struct VersionView {
    replaced_on: String,
    iso_replaced_on: String,
    replaced_by: String,
    changes: Vec<(&'static str, String, String)>,
    file: String,
    locator: String,
}

/// What each earlier version said where it differs from the version that replaced it.
fn versions(m: &MeetingView) -> Vec<VersionView> {
    let hosts = |h: &mut dyn Iterator<Item = (&str, Option<&str>)>| {
        h.map(|(name, role)| match role {
            Some(r) => format!("{name} ({r})"),
            None => name.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ")
    };
    let current = (
        m.date.to_string(),
        m.subject.clone(),
        hosts(&mut m.hosts.iter().map(|h| (h.name.as_str(), h.role.as_deref()))),
        m.location.clone().unwrap_or_default(),
        m.attendees_raw.clone(),
    );
    let mut after = current;
    let mut out = Vec::new();
    for v in m.history.iter().flatten() {
        let before = (
            v.date.to_string(),
            v.subject.clone(),
            hosts(&mut v.hosts.iter().map(|h| (h.name.as_str(), h.role.as_deref()))),
            v.location.clone().unwrap_or_default(),
            v.attendees_raw.clone(),
        );
        let fields = [
            ("Date", &before.0, &after.0),
            ("Subject", &before.1, &after.1),
            ("Hosts", &before.2, &after.2),
            ("Location", &before.3, &after.3),
            ("Organisations as published", &before.4, &after.4),
        ];
        let changes =
            fields.into_iter().filter(|(_, b, a)| b != a).map(|(l, b, a)| (l, b.clone(), a.clone())).collect();
        // Written by this program (RFC 3339); the day is the one of the importing machine.
        let replaced = chrono::DateTime::parse_from_rfc3339(&v.replaced_at).ok().map(|t| When::Day(t.date_naive()));
        let (replaced_on, iso_replaced_on) = timeline::dates(replaced);
        out.push(VersionView {
            replaced_on,
            iso_replaced_on,
            replaced_by: format::file_name(&v.replaced_by).to_owned(),
            changes,
            file: format::file_name(&v.provenance.file).to_owned(),
            locator: v.provenance.locator.to_string(),
        });
        after = before;
    }
    out
}

/// An organisation present, and how its name was linked (shown on hover).
struct Attendee {
    name: Segment,
    linked_by: Option<&'static str>,
}

pub async fn meeting_page(State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, WebError> {
    let m = load_meeting(&state, &id).await?;
    let withdrawn = state.store.withdrawn_since(ListedKind::Meetings, &m.id.to_string()).await?;
    let item = timeline::item(&Activity::Meeting(m.clone()), None);
    let attendees = m
        .attendees
        .iter()
        .map(|a| Attendee {
            name: match &a.org_key {
                Some(k) => Segment::link(a.name.clone(), format::org_href(k)),
                None => Segment::text(a.name.clone()),
            },
            linked_by: a.link_method.map(|m| m.reason()),
        })
        .collect();
    let page = MeetingPage {
        title: format::meeting_title(&m, None).into_iter().take_while(|s| s.text != " and ").collect(),
        date: item.date,
        iso_date: item.iso_date,
        subject: m.subject.clone(),
        location: m.location.clone(),
        portfolio: m.portfolio.clone(),
        procedures: item.procedures,
        attendees,
        attendees_raw: m.attendees_raw.clone(),
        provenance: provenance(timeline::meeting_source(&m), &m.provenance).withdrawn(withdrawn),
        history: versions(&m),
    };
    Ok(Html(page.render()?))
}

pub async fn meeting_api(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Marked<MeetingView>> {
    ApiResult(marked(&state, ListedKind::Meetings, load_meeting(&state, &id).await, |m| m.id.to_string()).await)
}

#[derive(Template)]
#[template(path = "response.html")]
struct ResponsePage {
    title: Vec<Segment>,
    date: String,
    iso_date: String,
    author: Option<Segment>,
    user_type: Option<String>,
    country: Option<String>,
    language: Option<String>,
    paragraphs: Vec<String>,
    attachments: Vec<AttachmentView>,
    provenance: ProvenanceView,
}

pub async fn response_page(State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, WebError> {
    let r = load_response(&state, &id).await?;
    let withdrawn = state.store.withdrawn_since(ListedKind::Responses, &r.id.to_string()).await?;
    let author = match (&r.organization, &r.org_key) {
        (Some(name), Some(key)) => Some(Segment::link(name.clone(), format::org_href(key))),
        (Some(name), None) => Some(Segment::text(name.clone())),
        (None, _) => None,
    };
    let (date, iso_date) = timeline::dates(r.date.map(When::Moment));
    let page = ResponsePage {
        title: timeline::response_title(&r),
        date,
        iso_date,
        author,
        user_type: r.user_type.clone(),
        country: r.country.clone(),
        language: r.language.clone(),
        paragraphs: r.text.split('\n').map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        attachments: timeline::attachments(&r.attachments),
        provenance: provenance(timeline::response_source(&r), &r.provenance).withdrawn(withdrawn),
    };
    Ok(Html(page.render()?))
}

pub async fn response_api(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Marked<ResponseView>> {
    ApiResult(marked(&state, ListedKind::Responses, load_response(&state, &id).await, |r| r.id.to_string()).await)
}
