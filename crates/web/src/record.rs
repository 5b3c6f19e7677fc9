//! One record's page: a meeting or a consultation response in full, with its provenance.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use lobbyscope_domain::Provenance;
use lobbyscope_store::{Activity, MeetingView, ResponseView};

use crate::error::ApiResult;
use crate::format::{self, Segment};
use crate::timeline::{self, AttachmentView, SourceView};
use crate::{AppState, WebError};

async fn load_meeting(state: &AppState, id: &str) -> Result<MeetingView, WebError> {
    let valid = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let meeting = if valid { state.store.meeting(id).await? } else { None };
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
}

pub(crate) fn provenance(source: SourceView, p: &Provenance) -> ProvenanceView {
    ProvenanceView { source, imported_at: p.imported_at.clone(), content_hash: p.content_hash.clone() }
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
    attendees: Vec<Segment>,
    attendees_raw: String,
    provenance: ProvenanceView,
}

pub async fn meeting_page(State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, WebError> {
    let m = load_meeting(&state, &id).await?;
    let item = timeline::item(&Activity::Meeting(m.clone()), None);
    let attendees = m
        .attendees
        .iter()
        .map(|a| match &a.org_key {
            Some(k) => Segment::link(a.name.clone(), format::org_href(k)),
            None => Segment::text(a.name.clone()),
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
        provenance: provenance(timeline::meeting_source(&m), &m.provenance),
    };
    Ok(Html(page.render()?))
}

pub async fn meeting_api(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<MeetingView> {
    ApiResult(load_meeting(&state, &id).await)
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
    let author = match (&r.organization, &r.org_key) {
        (Some(name), Some(key)) => Some(Segment::link(name.clone(), format::org_href(key))),
        (Some(name), None) => Some(Segment::text(name.clone())),
        (None, _) => None,
    };
    let (date, iso_date) = timeline::dates(r.date.as_deref());
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
        provenance: provenance(timeline::response_source(&r), &r.provenance),
    };
    Ok(Html(page.render()?))
}

pub async fn response_api(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<ResponseView> {
    ApiResult(load_response(&state, &id).await)
}
