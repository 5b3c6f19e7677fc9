//! Position items and what they rest on: one item with every verdict of the checker, the texts
//! they cite with the cited passage highlighted, and how the checking works.
//!
//! An item summarises what an organisation wrote; the pages say so, and give every reader the
//! means to check each sentence against the organisation's own words.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use lobbyscope_domain::SourceRef;
use lobbyscope_store::{ItemStatus, OrgKey, PositionDetail, SourceTextKind, SourceTextRecord, SourceView};

use crate::error::ApiResult;
use crate::format::{self, Segment};
use crate::org::Fact;
use crate::query::Params;
use crate::record::{ProvenanceView, provenance};
use crate::timeline::{self, Footnote, Footnotes, ItemView};
use crate::{AppState, WebError};

async fn load_position(state: &AppState, id: &str) -> Result<PositionDetail, WebError> {
    // Ids are hex cache keys; anything else cannot be one, and is not worth a query.
    let plausible = !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let item = if plausible { state.store.position_item(id).await? } else { None };
    item.ok_or_else(|| WebError::NotFound("No position item has this identifier.".into()))
}

async fn load_source(state: &AppState, id: &str) -> Result<SourceView, WebError> {
    let source = if id.len() <= 300 { state.store.source(id).await? } else { None };
    source.ok_or_else(|| WebError::NotFound("No source text has this identifier.".into()))
}

/// The organisation, linked to its page when it has one.
fn organisation(key: Option<&OrgKey>, name: Option<String>) -> Option<Segment> {
    match (key, name) {
        (Some(key), name) => Some(Segment::link(name.unwrap_or_else(|| key.url_segment()), format::org_href(key))),
        (None, name) => name.map(Segment::text),
    }
}

// ---------------------------------------------------------------------------------------------
// One position item

/// One sentence the writer proposed, with the checker's verdict.
pub struct VerdictRow {
    pub part: &'static str,
    pub text: String,
    pub notes: Vec<Footnote>,
    pub kept: bool,
    pub score: String,
    pub reason: String,
}

pub struct SourceRow {
    pub id: String,
    pub href: String,
    pub record: Option<Segment>,
}

#[derive(Template)]
#[template(path = "position.html")]
struct PositionPage {
    heading: String,
    organisation: Vec<Segment>,
    item: ItemView,
    api_href: String,
    shown: bool,
    facts: Vec<Fact>,
    verdicts: Vec<VerdictRow>,
    sources: Vec<SourceRow>,
}

fn status_text(status: ItemStatus) -> &'static str {
    match status {
        ItemStatus::Written => "written and checked",
        ItemStatus::Empty => "no position found in the sources, or nothing left after checking: not shown",
        ItemStatus::Pending => "not written yet: the writer failed and is tried again on the next run",
    }
}

fn facts(d: &PositionDetail, organisation: Option<Segment>) -> Vec<Fact> {
    let p = &d.item;
    let text = |label, value: String| Fact { label, value: vec![Segment::text(value)] };
    let mut out = Vec::new();
    if let Some(o) = organisation {
        out.push(Fact { label: "Organisation", value: vec![o] });
    }
    out.push(text("Written by", timeline::writer_label(&p.writer, p.model.as_deref())));
    out.push(text("Writer", p.writer.clone()));
    if let Some(m) = &p.model {
        out.push(text("Model", m.clone()));
    }
    out.push(text("Prompt version", p.prompt_version.clone()));
    out.push(text("Written at", p.written_at.clone()));
    out.push(text("Status", status_text(d.status).to_owned()));
    if let Some(e) = &d.error {
        out.push(text("Error", e.clone()));
    }
    let kept = d.verdicts.iter().filter(|v| v.kept).count() as u64;
    out.push(text("Sentences", format!("{} kept, {} dropped by the checker", kept, d.verdicts.len() as u64 - kept)));
    if let Some(n) = d.prompt_tokens {
        out.push(text("Prompt tokens", n.to_string()));
    }
    if let Some(n) = d.completion_tokens {
        out.push(text("Completion tokens", n.to_string()));
    }
    out
}

pub async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Result<Html<String>, WebError> {
    let d = load_position(&state, &id).await?;
    let here = format::position_href(&d.item.id);
    // Kept sentences are numbered as on the timeline; citations only dropped sentences make
    // get the numbers after them.
    let mut notes = Footnotes::default();
    let item = timeline::unlink(timeline::position_item(&d.item, &mut notes), &here);
    let verdicts = d
        .verdicts
        .iter()
        .map(|v| VerdictRow {
            part: v.part.label(),
            text: v.text.clone(),
            notes: notes.notes(&v.citations),
            kept: v.kept,
            score: format!("{:.2}", v.score),
            reason: v.reason.clone().unwrap_or_default(),
        })
        .collect();
    let name = state.store.organisation(&d.item.org_key).await?.map(|o| o.name);
    let organisation = organisation(Some(&d.item.org_key), name);
    let page = PositionPage {
        heading: Some(d.item.headline.clone())
            .filter(|h| !h.trim().is_empty())
            .unwrap_or_else(|| format!("Position item {}", d.item.id)),
        organisation: organisation.iter().cloned().collect(),
        api_href: format!("/api{here}"),
        shown: d.status == ItemStatus::Written && !d.item.sentences.is_empty(),
        facts: facts(&d, organisation),
        item,
        verdicts,
        sources: d
            .item
            .sources
            .iter()
            .map(|s| SourceRow { id: s.clone(), href: format::source_href(s, None), record: format::source_record(s) })
            .collect(),
    };
    Ok(Html(page.render()?))
}

pub async fn api(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<PositionDetail> {
    ApiResult(load_position(&state, &id).await)
}

// ---------------------------------------------------------------------------------------------
// A source text

#[derive(Template)]
#[template(path = "source.html")]
struct SourcePage {
    heading: String,
    kind: &'static str,
    organisation: Vec<Segment>,
    date: String,
    iso_date: String,
    id: String,
    record: String,
    span_note: Option<String>,
    plain_href: String,
    before: String,
    passage: Option<String>,
    after: String,
    extracted: Option<SourceTextRecord>,
    provenance: ProvenanceView,
}

fn kind_label(kind: SourceTextKind) -> &'static str {
    match kind {
        SourceTextKind::Response => "Consultation response",
        SourceTextKind::Attachment => "Attachment of a consultation response",
        SourceTextKind::RegisterGoals => "Transparency Register entry: goals and remit",
        SourceTextKind::RegisterProposals => "Transparency Register entry: EU legislative proposals followed",
    }
}

/// What a source text is called on its page and in the API: the initiative it answers, the
/// attachment's file name, or the register text it is.
fn title(s: &SourceView) -> Option<String> {
    match s.kind {
        SourceTextKind::RegisterGoals => Some("Goals and remit, as registered".into()),
        SourceTextKind::RegisterProposals => Some("EU legislative proposals followed, as registered".into()),
        SourceTextKind::Response | SourceTextKind::Attachment => s.title.clone().filter(|t| !t.trim().is_empty()),
    }
}

/// This site's page of the record a source text belongs to.
fn record_href(s: &SourceView) -> String {
    format::source_record(&s.id).and_then(|segment| segment.href).unwrap_or_else(|| format::source_href(&s.id, None))
}

/// The official page the text can be checked against: the consultation's on Have Your Say,
/// the register's entry.
async fn official(state: &AppState, s: &SourceView) -> Result<Option<String>, WebError> {
    let response = match SourceRef::parse(&s.id) {
        Some(SourceRef::Register { id, .. }) => return Ok(Some(format::register_url(id.as_str()))),
        Some(SourceRef::Response(r) | SourceRef::Attachment { response: r, .. }) => state.store.response(r).await?,
        None => None,
    };
    Ok(format::official_url(&s.provenance, None, response.and_then(|r| r.initiative_id)))
}

pub async fn source_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    params: Params,
) -> Result<Html<String>, WebError> {
    let s = load_source(&state, &id).await?;
    let span = params.span(s.text.chars().count())?;
    // Offsets count code points; the text is cut at the bytes where those code points start.
    let byte = |n: usize| s.text.char_indices().nth(n).map_or(s.text.len(), |(b, _)| b);
    let (before, passage, after) = match span {
        Some((start, end)) => {
            let (a, b) = (byte(start), byte(end));
            (s.text[..a].to_owned(), Some(s.text[a..b].to_owned()), s.text[b..].to_owned())
        }
        None => (s.text.clone(), None, String::new()),
    };
    let source = timeline::SourceView {
        label: format::source_label(s.provenance.source),
        file: format::file_name(&s.provenance.file).to_owned(),
        locator: s.provenance.locator.to_string(),
        official: official(&state, &s).await?,
        record: record_href(&s),
    };
    let heading = match (s.kind, title(&s)) {
        (SourceTextKind::Response, Some(t)) => format!("Response to {t}"),
        (SourceTextKind::Attachment, Some(t)) => format!("Attachment: {t}"),
        (_, Some(t)) => t,
        (kind, None) => kind_label(kind).to_owned(),
    };
    let (date, iso_date) = timeline::dates(s.date);
    let page = SourcePage {
        heading,
        date,
        iso_date,
        kind: kind_label(s.kind),
        organisation: organisation(s.org_key.as_ref(), s.organisation.clone()).into_iter().collect(),
        span_note: span
            .map(|(start, end)| format!("The cited passage, characters {start} to {end} of the text, is highlighted.")),
        plain_href: format::source_href(&s.id, None),
        id: s.id.clone(),
        record: record_href(&s),
        before,
        passage,
        after,
        extracted: s.extracted.clone(),
        provenance: provenance(source, &s.provenance),
    };
    Ok(Html(page.render()?))
}

/// A source text as `/api/source/{id}` gives it: the store's view, named as its page names it,
/// with this site's page of its record.
#[derive(serde::Serialize)]
pub struct SourceApi {
    #[serde(flatten)]
    source: SourceView,
    record: String,
}

pub async fn source_api(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<SourceApi> {
    ApiResult(load_source(&state, &id).await.map(|mut source| {
        source.title = title(&source);
        SourceApi { record: record_href(&source), source }
    }))
}

// ---------------------------------------------------------------------------------------------
// How checking works

#[derive(Template)]
#[template(path = "checking.html")]
struct CheckingPage;

pub async fn checking() -> Result<Html<String>, WebError> {
    Ok(Html(CheckingPage.render()?))
}
