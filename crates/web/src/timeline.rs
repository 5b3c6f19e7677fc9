//! Timeline items as every page lists them: an organisation's, a person's, a procedure's.

use lobbyscope_domain::{Document, When};
use lobbyscope_store::{
    Activity, ActivityFilter, ActivityKind, ActivityPage, Citation, MeetingView, OrgKey, Part, PositionItemView,
    PositionSentence, QuarterCount, ResponseView,
};
use serde::Serialize;

use crate::format::{self, Segment};
use crate::query::{PAGE_SIZE, filter_query};

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
    /// `meeting`, `response` or `position`.
    pub kind: &'static str,
    /// The item's anchor on a timeline (`meeting-…`, `response-…`), which search results link to.
    pub anchor: String,
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
    /// The imported record the item shows; a position item is no record but rests on several.
    pub source: Option<SourceView>,
    pub position: Option<PositionView>,
}

/// A citation as a footnote: its number within the item, and the passage it opens.
#[derive(Debug, Clone, Serialize)]
pub struct Footnote {
    pub number: usize,
    pub href: String,
    pub quote: String,
}

/// Numbers an item's distinct citations (same source and span) 1..n in the order they are
/// first met, so that a passage cited twice keeps its number.
#[derive(Debug, Default)]
pub struct Footnotes {
    seen: Vec<(String, usize, usize)>,
}

impl Footnotes {
    /// The footnotes of one sentence, each number once.
    pub fn notes(&mut self, citations: &[Citation]) -> Vec<Footnote> {
        let mut out: Vec<Footnote> = Vec::new();
        for c in citations {
            let key = (c.source.clone(), c.start, c.end);
            let number = match self.seen.iter().position(|k| *k == key) {
                Some(at) => at + 1,
                None => {
                    self.seen.push(key);
                    self.seen.len()
                }
            };
            if !out.iter().any(|n| n.number == number) {
                out.push(Footnote {
                    number,
                    href: format::source_href(&c.source, Some((c.start, c.end))),
                    quote: c.quote.clone(),
                });
            }
        }
        out
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SentenceView {
    pub text: String,
    pub notes: Vec<Footnote>,
}

impl SentenceView {
    /// As the page shows it; exports keep `text` as written.
    pub fn shown(&self) -> String {
        format::sentence(&self.text)
    }
}

/// "Message — …": the kept sentences of one part.
#[derive(Debug, Clone, Serialize)]
pub struct PartView {
    /// `message`, `why` or `impact`.
    pub part: &'static str,
    pub label: &'static str,
    pub sentences: Vec<SentenceView>,
}

/// What a position item shows besides its headline and date.
#[derive(Debug, Clone, Serialize)]
pub struct PositionView {
    pub parts: Vec<PartView>,
    /// Who wrote it and how far to trust it.
    pub writer: String,
    pub dropped: Option<String>,
    /// The item's own page: how it was checked.
    pub check_href: Option<String>,
    /// The records the item rests on, as a list to read.
    pub rests_on: Vec<Segment>,
}

impl PositionView {
    /// The kept sentences as plain text, one line per part, for CSV and Atom.
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .map(|p| {
                let sentences: Vec<&str> = p.sentences.iter().map(|s| s.text.as_str()).collect();
                format!("{} — {}", p.label, sentences.join(" "))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Who wrote an item, said so that a reader knows to check it.
pub fn writer_label(writer: &str, model: Option<&str>) -> String {
    match (writer, model) {
        ("llm", Some(model)) => format!(
            "AI-written summary, checked against the sources by machine — check it against them. Model: {model}."
        ),
        ("llm", None) => "AI-written summary, checked against the sources by machine — check it against them.".into(),
        ("extractive", _) => "Extracts chosen by machine (extractive writer) — check them against the sources.".into(),
        (other, _) => {
            format!("Written by machine ({other} writer), checked against the sources — check it against them.")
        }
    }
}

fn parts(sentences: &[PositionSentence], notes: &mut Footnotes) -> Vec<PartView> {
    let mut out = Vec::new();
    for part in Part::ALL {
        let kept: Vec<SentenceView> = sentences
            .iter()
            .filter(|s| s.part == part)
            .map(|s| SentenceView { text: s.text.clone(), notes: notes.notes(&s.citations) })
            .collect();
        if !kept.is_empty() {
            out.push(PartView { part: part.as_str(), label: part.label(), sentences: kept });
        }
    }
    out
}

/// A position item as the timeline shows it, its footnotes numbered by `notes` (the position
/// page goes on numbering the sentences the checker dropped).
pub fn position_item(p: &PositionItemView, notes: &mut Footnotes) -> ItemView {
    // A response and its attachments are one record.
    let mut records: Vec<Segment> = Vec::new();
    for r in p.sources.iter().filter_map(|s| format::source_record(s)) {
        if !records.iter().any(|seen| seen.href == r.href) {
            records.push(r);
        }
    }
    let mut rests_on = Vec::new();
    for (i, r) in records.into_iter().enumerate() {
        if i > 0 {
            rests_on.push(Segment::text(", "));
        }
        rests_on.push(r);
    }
    let (date, iso_date) = dates(p.date);
    ItemView {
        kind: "position",
        anchor: position_anchor(&p.id),
        title: vec![Segment::text(p.headline.clone())],
        date,
        iso_date,
        subject: Some("Summary of the organisation's stated position".to_owned()),
        excerpt: None,
        cut: false,
        full_href: None,
        attachments: Vec::new(),
        procedures: Vec::new(),
        source: None,
        position: Some(PositionView {
            parts: parts(&p.sentences, notes),
            writer: writer_label(&p.writer, p.model.as_deref()),
            dropped: (p.dropped > 0).then(|| {
                format!("{} by the checker.", format::count(p.dropped.into(), "sentence dropped", "sentences dropped"))
            }),
            check_href: Some(format::position_href(&p.id)),
            rests_on,
        }),
    }
}

/// A record's date as shown, and as `<time datetime>` takes it.
pub fn dates(when: Option<When>) -> (String, String) {
    when.map(|w| (format::day(w), w.day().to_string())).unwrap_or_default()
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
/// An item's anchor on every timeline that shows it.
pub fn anchor(activity: &Activity) -> String {
    match activity {
        Activity::Meeting(m) => format!("meeting-{}", m.id),
        Activity::Response(r) => format!("response-{}", r.id),
        Activity::Position(p) => position_anchor(&p.id),
    }
}

pub fn position_anchor(id: &str) -> String {
    format!("position-{id}")
}

pub fn item(activity: &Activity, subject_org: Option<&OrgKey>) -> ItemView {
    let anchor = anchor(activity);
    match activity {
        Activity::Meeting(m) => ItemView {
            kind: "meeting",
            anchor,
            title: format::meeting_title(m, subject_org),
            date: format::day(m.date),
            iso_date: m.date.to_string(),
            subject: Some(m.subject.clone()).filter(|s| !s.is_empty()),
            excerpt: None,
            cut: false,
            full_href: None,
            attachments: Vec::new(),
            procedures: m.procedures.iter().map(|p| Segment::link(p.clone(), format!("/procedure/{p}"))).collect(),
            source: Some(meeting_source(m)),
            position: None,
        },
        Activity::Response(r) => {
            let (excerpt, cut) = format::excerpt(&r.text, EXCERPT_CHARS);
            let (date, iso_date) = dates(r.date.map(When::Moment));
            ItemView {
                kind: "response",
                anchor,
                title: response_title(r),
                date,
                iso_date,
                subject: None,
                excerpt: Some(excerpt).filter(|e| !e.is_empty()),
                cut,
                full_href: Some(format!("/response/{}", r.id)),
                attachments: attachments(&r.attachments),
                procedures: Vec::new(),
                source: Some(response_source(r)),
                position: None,
            }
        }
        Activity::Position(p) => position_item(p, &mut Footnotes::default()),
    }
}

/// Which filters a timeline offers: only those that can change what it shows.
#[derive(Debug, Clone, Copy)]
pub struct Filters {
    pub kind: bool,
    pub institution: bool,
}

/// A page of a timeline with everything around it: counts, chart, filters, paging, downloads.
/// Every timeline page (organisation, person, procedure) shows it through `listing.html`.
pub struct Listing {
    pub heading: &'static str,
    /// "items" or "meetings": what the timeline holds.
    pub noun: &'static str,
    pub counts_line: String,
    pub total: u64,
    /// Position items on the whole timeline: the kind filter offers them when there are any.
    pub positions: u64,
    pub matching: u64,
    pub items: Vec<ItemView>,
    pub chart: Option<Chart>,
    pub years: Vec<i32>,
    pub filters: Filters,
    pub kind: &'static str,
    pub institution: &'static str,
    pub year: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub page: u32,
    pub pages: u64,
    pub csv_href: String,
    pub feed_href: String,
    pub base: String,
}

/// The listing of `activity` on the page at `base`. `subject_org` is the organisation whose page
/// it is; links to `base` itself (a person's own name, the procedure) are left as text.
pub fn listing(
    base: String,
    filter: &ActivityFilter,
    activity: &ActivityPage,
    subject_org: Option<&OrgKey>,
    filters: Filters,
    counts_line: String,
) -> Listing {
    let page = filter.offset / PAGE_SIZE + 1;
    let pages = activity.matching.div_ceil(u64::from(PAGE_SIZE)).max(1);
    let meetings_only = !filters.kind;
    Listing {
        heading: if meetings_only { "Meetings" } else { "Lobbying Activity" },
        noun: if meetings_only { "meetings" } else { "items" },
        counts_line,
        // Position items are listed, so they are counted among the items shown.
        total: activity.counts.total() + activity.positions,
        positions: activity.positions,
        matching: activity.matching,
        items: activity.items.iter().map(|a| unlink(item(a, subject_org), &base)).collect(),
        chart: chart(&activity.per_quarter),
        years: activity.years.clone(),
        filters,
        kind: match filter.kind {
            ActivityKind::All => "all",
            ActivityKind::Meetings => "meetings",
            ActivityKind::Responses => "responses",
            ActivityKind::Positions => "positions",
        },
        institution: filter.institution.map(|i| i.as_str()).unwrap_or("all"),
        year: filter.year.map(|y| y.to_string()).unwrap_or_default(),
        prev: (page > 1).then(|| format!("{base}{}", filter_query(filter, Some(page - 1)))),
        next: (u64::from(page) < pages).then(|| format!("{base}{}", filter_query(filter, Some(page + 1)))),
        page,
        pages,
        csv_href: format!("{base}/activity.csv{}", filter_query(filter, None)),
        feed_href: format!("{base}/feed.atom"),
        base,
    }
}

/// The item with links to the page it is shown on made text.
pub fn unlink(mut item: ItemView, here: &str) -> ItemView {
    if let Some(p) = &mut item.position
        && p.check_href.as_deref() == Some(here)
    {
        p.check_href = None;
    }
    let rests_on = item.position.iter_mut().flat_map(|p| p.rests_on.iter_mut());
    for s in item.title.iter_mut().chain(item.procedures.iter_mut()).chain(rests_on) {
        if s.href.as_deref() == Some(here) {
            s.href = None;
        }
    }
    item
}

/// One bar of the activity chart.
pub struct Bar {
    pub x: u32,
    pub meetings_y: u32,
    pub meetings_h: u32,
    pub responses_y: u32,
    pub responses_h: u32,
    pub label: String,
}

pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    pub first: String,
    pub last: String,
    pub summary: String,
}

const CHART_HEIGHT: u32 = 60;
const BAR: u32 = 8;

/// Every quarter from the first to the last with activity, empty ones included, so that the
/// bars keep the distance in time between them.
fn continuous(quarters: &[QuarterCount]) -> Vec<QuarterCount> {
    let parse = |q: &str| -> Option<(i32, i32)> { Some((q.get(..4)?.parse().ok()?, q.get(6..7)?.parse().ok()?)) };
    let (Some(first), Some(last)) =
        (quarters.first().and_then(|q| parse(&q.quarter)), quarters.last().and_then(|q| parse(&q.quarter)))
    else {
        return quarters.to_vec();
    };
    let mut out = Vec::new();
    let (mut year, mut quarter) = first;
    while (year, quarter) <= last {
        let label = format!("{year}-Q{quarter}");
        out.push(quarters.iter().find(|q| q.quarter == label).cloned().unwrap_or(QuarterCount {
            quarter: label,
            meetings: 0,
            responses: 0,
        }));
        (year, quarter) = if quarter == 4 { (year + 1, 1) } else { (year, quarter + 1) };
    }
    out
}

/// An inline SVG bar chart of activity per quarter; `None` when there is nothing to draw.
pub fn chart(per_quarter: &[QuarterCount]) -> Option<Chart> {
    let quarters = &continuous(per_quarter);
    let max = quarters.iter().map(|q| q.meetings + q.responses).max().filter(|&m| m > 0)?;
    let scale = |n: u64| ((n * u64::from(CHART_HEIGHT)) / max) as u32;
    let bars = quarters
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mh = scale(q.meetings);
            let rh = scale(q.responses);
            Bar {
                x: i as u32 * (BAR + 2),
                meetings_y: CHART_HEIGHT - mh,
                meetings_h: mh,
                responses_y: CHART_HEIGHT - mh - rh,
                responses_h: rh,
                label: format!(
                    "{}: {}, {}",
                    q.quarter,
                    format::count(q.meetings, "meeting", "meetings"),
                    format::count(q.responses, "response", "responses")
                ),
            }
        })
        .collect::<Vec<_>>();
    Some(Chart {
        width: (quarters.len() as u32 * (BAR + 2)).max(BAR),
        height: CHART_HEIGHT,
        first: quarters.first()?.quarter.clone(),
        last: quarters.last()?.quarter.clone(),
        summary: format!(
            "Activity per quarter from {} to {}, at most {max} items in a quarter.",
            quarters.first()?.quarter,
            quarters.last()?.quarter
        ),
        bars,
    })
}
