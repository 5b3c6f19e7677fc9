//! Data out: timelines as CSV (streamed page by page) and as Atom feeds.

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use lobbyscope_store::{Activity, OrgKey, StoreError, When};

use crate::format::{self, Segment};
use crate::limits::Expensive;
use crate::query::MAX_EXPORT;
use crate::timeline::{self, SourceView};

fn plain(segments: &[Segment]) -> String {
    segments.iter().map(|s| s.text.as_str()).collect()
}

/// Spreadsheet programs run a cell that starts with `=`, `+`, `-` or `@` as a formula; source
/// text is data, so such cells get a leading apostrophe, which those programs hide.
pub(crate) fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() }
}

const CSV_HEADER: [&str; 12] = [
    "date",
    "kind",
    "institution",
    "title",
    "subject_or_text",
    "hosts",
    "organisations",
    "procedures",
    "source",
    "file",
    "locator",
    "record_url",
];

/// Rows per page of a streamed export: a page of timeline items is a megabyte or so.
pub(crate) const EXPORT_PAGE: u32 = 500;

/// A timeline item as a CSV row, every field as published. A position item's row holds its
/// headline as the title, its kept sentences as the text, and the ids of the sources it cites,
/// which `/api/source/{id}` returns.
fn activity_row(a: &Activity, subject_org: Option<&OrgKey>) -> Vec<String> {
    let view = timeline::item(a, subject_org);
    match a {
        Activity::Meeting(m) => vec![
            m.date.to_string(),
            "meeting".into(),
            m.institution.as_str().into(),
            plain(&view.title),
            m.subject.clone(),
            m.hosts
                .iter()
                .map(|h| format!("{} ({})", h.name, h.role.clone().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join("; "),
            m.attendees.iter().map(|o| o.name.clone()).collect::<Vec<_>>().join("; "),
            m.procedures.join("; "),
        ]
        .into_iter()
        .chain(source_cells(timeline::meeting_source(m)))
        .collect(),
        Activity::Response(r) => vec![
            r.date.map(|d| d.to_string()).unwrap_or_default(),
            "response".into(),
            "commission".into(),
            plain(&view.title),
            r.text.clone(),
            String::new(),
            r.organization.clone().unwrap_or_default(),
            String::new(),
        ]
        .into_iter()
        .chain(source_cells(timeline::response_source(r)))
        .collect(),
        Activity::Position(p) => vec![
            p.date.map(|d| d.to_string()).unwrap_or_default(),
            "position".into(),
            String::new(),
            plain(&view.title),
            view.position.as_ref().map(timeline::PositionView::text).unwrap_or_default(),
            String::new(),
            String::new(),
            String::new(),
            p.sources.join("; "),
            String::new(),
            String::new(),
            format::position_href(&p.id),
        ],
    }
}

/// Rows as CSV, cells a spreadsheet would run defused.
pub(crate) fn encode<R, S>(rows: impl IntoIterator<Item = R>) -> Bytes
where
    R: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(row.into_iter().map(|v| cell(v.as_ref())));
    }
    Bytes::from(w.into_inner().unwrap_or_default())
}

/// A CSV download that is written as it is read: the header, then each page `next` reads
/// from its state (`None` at the end), so that memory holds one page whatever the size of the
/// download, and the first bytes leave before the last page is read. A store error after the
/// first bytes cuts the download short (the status is sent by then).
///
/// Each page is read in a turn of the expensive requests' ([`Expensive::turn`]), so that
/// exports count against that bound while they read and hold nothing while a slow client
/// reads. The request's time limit covers only the answer's head, which leaves at once: a long
/// export is not cut short by it.
pub(crate) fn csv_body<S, F, Fut>(turns: &Expensive, header: &'static [&'static str], start: S, next: F) -> Body
where
    S: Send + 'static,
    F: FnMut(S) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Option<(Vec<Vec<String>>, S)>, StoreError>> + Send,
{
    let head = Some(encode([header]));
    let turns = turns.clone();
    let pages = stream::unfold((next, Some(start), head), move |(mut next, state, head)| {
        let turns = turns.clone();
        async move {
            if let Some(head) = head {
                return Some((Ok(head), (next, state, None)));
            }
            let state = state?;
            let _turn = turns.turn().await;
            match next(state).await {
                Ok(Some((rows, state))) => Some((Ok(encode(rows)), (next, Some(state), None))),
                Ok(None) => None,
                Err(e) => {
                    tracing::warn!("an export stopped: {e}");
                    Some((Err(std::io::Error::other(e.to_string())), (next, None, None)))
                }
            }
        }
    });
    Body::from_stream(pages)
}

/// A timeline as a CSV download, one row per item, up to [`MAX_EXPORT`] of them, read
/// [`EXPORT_PAGE`] at a time by `read(offset, limit)`.
pub(crate) fn activity_csv<F, Fut>(
    turns: &Expensive,
    subject_org: Option<OrgKey>,
    file_name: &str,
    mut read: F,
) -> Response
where
    F: FnMut(u32, u32) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<Activity>, StoreError>> + Send + 'static,
{
    let body = csv_body(turns, &CSV_HEADER, 0, move |offset: u32| {
        let page = (offset < MAX_EXPORT).then(|| read(offset, EXPORT_PAGE.min(MAX_EXPORT - offset)));
        let subject_org = subject_org.clone();
        async move {
            let Some(page) = page else { return Ok(None) };
            let items = page.await?;
            if items.is_empty() {
                return Ok(None);
            }
            let next = offset + items.len() as u32;
            Ok(Some((items.iter().map(|a| activity_row(a, subject_org.as_ref())).collect(), next)))
        }
    });
    csv_attachment(body, file_name)
}

/// A CSV body as a download named `file_name`.
pub(crate) fn csv_attachment(body: Body, file_name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

fn source_cells(s: SourceView) -> [String; 4] {
    [s.label.into(), s.file, s.locator, s.record]
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// An Atom feed of timeline items. Links are relative to the site, resolved against `base`.
pub fn atom(title: &str, base: &str, items: &[Activity]) -> String {
    let updated = items.first().and_then(|a| a.date()).map(atom_time).unwrap_or_else(|| "1970-01-01T00:00:00Z".into());
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"{}\">\n\
         <title>{}</title>\n<id>urn:lobbyscope:feed:{}</id>\n<updated>{updated}</updated>\n\
         <link rel=\"alternate\" href=\"{}\"/>\n<author><name>lobbyscope</name></author>\n",
        xml(base),
        xml(title),
        xml(base),
        xml(base)
    );
    for a in items {
        let view = timeline::item(a, None);
        let (id, href, content) = match a {
            Activity::Meeting(m) => {
                (format!("meeting:{}", m.id), timeline::meeting_source(m).record, m.subject.clone())
            }
            Activity::Response(r) => {
                (format!("response:{}", r.id), timeline::response_source(r).record, r.text.clone())
            }
            Activity::Position(p) => (
                format!("position:{}", p.id),
                format::position_href(&p.id),
                view.position.as_ref().map(timeline::PositionView::text).unwrap_or_default(),
            ),
        };
        out.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>urn:lobbyscope:{}</id>\n<updated>{}</updated>\n<link href=\"{}\"/>\n\
             <content type=\"text\">{}</content>\n</entry>\n",
            xml(&format!("{} · {}", plain(&view.title), view.date)),
            xml(&id),
            a.date().map(atom_time).unwrap_or_else(|| "1970-01-01T00:00:00Z".into()),
            xml(&href),
            xml(&content),
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// RFC 3339 in UTC as Atom wants it: `2021-05-31T10:00:00Z`, a day at its start.
fn atom_time(when: When) -> String {
    when.moment().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("Plain"), "Plain");
    }

    #[test]
    fn position_items_are_rows_and_entries() {
        use lobbyscope_store::{Citation, Part, PositionItemView, PositionSentence};
        let cite = Citation { source: "response:7".into(), start: 0, end: 4, quote: "Keep".into() };
        let said = |part, text: &str| PositionSentence { part, text: text.into(), citations: vec![cite.clone()] };
        let item = Activity::Position(PositionItemView {
            id: "ab12".into(),
            org_key: OrgKey::from_url_segment("953701819437-32").expect("a key"),
            group: "response:7".into(),
            headline: "=HYPERLINK(\"x\")".into(),
            date: "2021-05-31".parse::<chrono::NaiveDate>().ok().map(|d| When::Moment(d.and_time(Default::default()))),
            writer: "extractive".into(),
            model: None,
            prompt_version: "extractive-1".into(),
            written_at: "2026-01-15T09:30:00Z".into(),
            sources: vec!["response:7".into(), "register:953701819437-32:2018-10-25:goals".into()],
            sentences: vec![
                said(Part::Message, "Keep it open."),
                said(Part::Message, "Also this."),
                said(Part::Impact, "Less cost."),
            ],
            dropped: 2,
        });
        let csv = encode([CSV_HEADER.map(String::from).to_vec(), activity_row(&item, None)]);
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&csv[..]).records().map(Result::unwrap).collect();
        let row: Vec<&str> = rows[0].iter().collect();
        assert_eq!(row.len(), CSV_HEADER.len());
        assert_eq!(
            &row[..5],
            [
                "2021-05-31 00:00:00",
                "position",
                "",
                "'=HYPERLINK(\"x\")",
                "Message — Keep it open. Also this.\nImpact — Less cost."
            ]
        );
        assert_eq!(row[8], "response:7; register:953701819437-32:2018-10-25:goals");
        assert_eq!(row[11], "/position/ab12");

        let feed = atom("t", "/org/953701819437-32", &[item]);
        assert!(
            feed.contains("<id>urn:lobbyscope:position:ab12</id>") && feed.contains("<link href=\"/position/ab12\"/>")
        );
        assert!(
            feed.contains("<content type=\"text\">Message — Keep it open. Also this.\nImpact — Less cost.</content>")
        );
    }

    #[test]
    fn xml_escapes_and_drops_control_characters() {
        assert_eq!(xml("<a href='x'>&\u{1}</a>"), "&lt;a href=&apos;x&apos;&gt;&amp;\u{FFFD}&lt;/a&gt;");
        let day = "2022-06-30".parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(atom_time(When::Day(day)), "2022-06-30T00:00:00Z");
        assert_eq!(atom_time(When::Moment(day.and_hms_opt(10, 11, 12).unwrap())), "2022-06-30T10:11:12Z");
    }
}
