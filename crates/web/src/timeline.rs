//! Timeline items as every page lists them: an organisation's, a person's, a procedure's.

use lobbyscope_domain::Document;
use lobbyscope_store::{Activity, MeetingView, OrgKey, ResponseView};
use serde::Serialize;

use crate::format::{self, Segment};

/// How many characters of a response the timeline shows before "Read full response".
const EXCERPT_CHARS: usize = 420;

/// A link to the source of a fact: the official page, and the imported record.
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    pub label: &'static str,
    pub file: String,
    pub locator: String,
    pub official: Option<String>,
    /// This site's page of the record, with its full provenance.
    pub record: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub label: String,
    pub href: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    /// `meeting` or `response`.
    pub kind: &'static str,
    pub title: Vec<Segment>,
    pub date: String,
    /// ISO date, for `<time datetime>`.
    pub iso_date: String,
    pub subject: Option<String>,
    pub excerpt: Option<String>,
    /// Whether the excerpt is cut, so that "Read full response" is worth showing.
    pub cut: bool,
    pub full_href: Option<String>,
    pub attachments: Vec<AttachmentView>,
    pub procedures: Vec<Segment>,
    pub source: SourceView,
}

pub fn meeting_source(m: &MeetingView) -> SourceView {
    SourceView {
        label: format::source_label(m.provenance.source),
        file: format::file_name(&m.provenance.file).to_owned(),
        locator: m.provenance.locator.to_string(),
        official: format::official_url(&m.provenance, Some(m), None),
        record: format!("/meeting/{}", m.id),
    }
}

pub fn response_source(r: &ResponseView) -> SourceView {
    SourceView {
        label: format::source_label(r.provenance.source),
        file: format::file_name(&r.provenance.file).to_owned(),
        locator: r.provenance.locator.to_string(),
        official: format::official_url(&r.provenance, None, r.initiative_id),
        record: format!("/response/{}", r.id),
    }
}

/// Attachments with their official download link.
pub fn attachments(docs: &[Document]) -> Vec<AttachmentView> {
    docs.iter()
        .map(|d| AttachmentView {
            label: d.file_name.clone().or_else(|| d.ers_file_name.clone()).or_else(|| d.title.clone()).unwrap_or_else(
                || d.document_id.clone().map(|id| format!("Document {id}")).unwrap_or_else(|| "Attachment".into()),
            ),
            href: d
                .document_id
                .as_ref()
                .map(|id| format!("https://ec.europa.eu/info/law/better-regulation/api/download/{id}")),
        })
        .collect()
}

pub fn response_title(r: &ResponseView) -> Vec<Segment> {
    let title = r
        .initiative_title
        .clone()
        .or_else(|| r.reference_initiative.clone())
        .unwrap_or_else(|| "a consultation".to_owned());
    match r.initiative_id {
        Some(id) => vec![Segment::text("Response to "), Segment::link(title, format!("/initiative/{id}"))],
        None => vec![Segment::text(format!("Response to {title}"))],
    }
}

/// One activity as a timeline item. `subject_org` is the organisation whose page this is: it is
/// left out of "and …" lists.
pub fn item(activity: &Activity, subject_org: Option<&OrgKey>) -> ItemView {
    match activity {
        Activity::Meeting(m) => ItemView {
            kind: "meeting",
            title: format::meeting_title(m, subject_org),
            date: format::day(&m.date),
            iso_date: m.date.clone(),
            subject: Some(m.subject.clone()).filter(|s| !s.is_empty()),
            excerpt: None,
            cut: false,
            full_href: None,
            attachments: Vec::new(),
            procedures: m.procedures.iter().map(|p| Segment::link(p.clone(), format!("/procedure/{p}"))).collect(),
            source: meeting_source(m),
        },
        Activity::Response(r) => {
            let (excerpt, cut) = format::excerpt(&r.text, EXCERPT_CHARS);
            ItemView {
                kind: "response",
                title: response_title(r),
                date: r.date.as_deref().map(format::day).unwrap_or_default(),
                iso_date: r.date.as_deref().and_then(|d| d.get(..10)).unwrap_or_default().to_owned(),
                subject: None,
                excerpt: Some(excerpt).filter(|e| !e.is_empty()),
                cut,
                full_href: Some(format!("/response/{}", r.id)),
                attachments: attachments(&r.attachments),
                procedures: Vec::new(),
                source: response_source(r),
            }
        }
    }
}
