//! Have Your Say / Better Regulation portal JSON (FORMATS.md §4): every shape in one module.
//!
//! - `brpapi/groupInitiatives/{id}`: one initiative object with its `publications[]` → one
//!   [`Initiative`] at `$` (a bad publication is rejected at `$.publications[i]`, the initiative
//!   keeps the others).
//! - Feedback pages: current `api/allFeedback` `{"content":[…],"totalElements",…}` (`$.content[i]`)
//!   and older `brpapi/allFeedback` `{"_embedded":{"feedback"|"feedbackV1":[…]},"page":{…}}`
//!   (`$._embedded.feedback[i]`) → one [`Feedback`] per item. A HAL page without `_embedded`
//!   is an empty page.
//! - `brpapi/searchInitiatives` pages (`initiativeResultDtoPage.content[]` or
//!   `_embedded.initiativeResultDtoes[]`) → initiatives, usually without publications.
//! - One feedback item on its own (`feedbackById`) → one feedback at `$`.
//!
//! Pages hold at most a few hundred items (`size` ≤ 100 in practice), so a page is read whole,
//! up to [`Limits::json_bytes`]; its items become records one at a time.

use chrono::NaiveDateTime;
use lobbyscope_domain::{Document, Feedback, Initiative, Locator, Publication, Record, RegisterId, Sourced};
use serde_json::{Map, Value};

use crate::dates::Published;
use crate::limits::{Limit, LimitExceeded, bytes, read_whole, thousands};
use crate::text::non_empty;
use crate::{Input, Limits, Parsed, Records, Rejection, SourceError};

pub(crate) fn parse(input: Input, limits: &Limits) -> Result<Records, SourceError> {
    let cap = limits.json_bytes;
    let found = format!("a JSON page larger than {}", bytes(cap));
    let over = LimitExceeded::new(limits, Limit::JsonBytes, found, format!("byte {}", thousands(cap + 1)));
    let bytes = read_whole(input, cap, over)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(json_error)?;
    drop(bytes);
    let items = match value {
        Value::Object(map) => items_of(map)?,
        other => {
            return Err(SourceError::Malformed {
                locator: Locator::JsonPath("$".into()),
                reason: format!("expected a Have Your Say JSON object, found {}", kind(&other)),
            });
        }
    };
    Ok(Box::new(items.map(Ok)))
}

/// A page's items, turned into records as they are asked for: a page of a million small
/// items then holds its parsed tree, not a million records too.
type Items = Box<dyn Iterator<Item = Parsed> + Send>;

/// A syntax error, or the end of the text inside a value (a truncated download).
fn json_error(e: serde_json::Error) -> SourceError {
    let locator = Locator::Line(e.line() as u64);
    // serde_json's message ends with "at line L column C".
    let reason = e.to_string();
    match e.classify() {
        serde_json::error::Category::Eof => SourceError::Truncated { locator, reason },
        serde_json::error::Category::Io => SourceError::Io(e.into()),
        _ => SourceError::Malformed { locator, reason },
    }
}

/// Which shape the object is, and its items in document order.
fn items_of(mut map: Map<String, Value>) -> Result<Items, SourceError> {
    if let Some(content) = map.remove("content") {
        return list(content, "$.content", feedback);
    }
    if let Some(page) = map.remove("initiativeResultDtoPage") {
        let Value::Object(mut page) = page else {
            return Err(malformed("$.initiativeResultDtoPage", "is not an object"));
        };
        return match page.remove("content") {
            Some(content) => list(content, "$.initiativeResultDtoPage.content", initiative),
            None => Ok(Box::new(std::iter::empty())),
        };
    }
    if let Some(embedded) = map.remove("_embedded") {
        let Value::Object(mut embedded) = embedded else {
            return Err(malformed("$._embedded", "is not an object"));
        };
        for key in ["feedback", "feedbackV1"] {
            if let Some(items) = embedded.remove(key) {
                return list(items, &format!("$._embedded.{key}"), feedback);
            }
        }
        if let Some(items) = embedded.remove("initiativeResultDtoes") {
            return list(items, "$._embedded.initiativeResultDtoes", initiative);
        }
        let keys: Vec<&str> = embedded.keys().map(String::as_str).collect();
        return Err(malformed(
            "$._embedded",
            &format!("holds none of feedback, feedbackV1, initiativeResultDtoes (keys: {})", keys.join(", ")),
        ));
    }
    let mut out = Vec::new();
    if map.contains_key("publications") || map.contains_key("shortTitle") {
        initiative(&Value::Object(map), "$", &mut out);
        return Ok(Box::new(out.into_iter()));
    }
    if map.contains_key("dateFeedback") || map.contains_key("feedback") {
        feedback(&Value::Object(map), "$", &mut out);
        return Ok(Box::new(out.into_iter()));
    }
    if map.contains_key("page") || map.contains_key("totalElements") {
        // A HAL page with no items has no `_embedded` at all.
        return Ok(Box::new(std::iter::empty()));
    }
    let keys: Vec<&str> = map.keys().take(10).map(String::as_str).collect();
    Err(malformed("$", &format!("not a Have Your Say initiative or feedback page (keys: {})", keys.join(", "))))
}

fn malformed(path: &str, what: &str) -> SourceError {
    SourceError::Malformed { locator: Locator::JsonPath(path.into()), reason: format!("{path} {what}") }
}

/// What one item of a list yields: one record or rejection, or for an initiative also the
/// rejections of its bad publications.
type Item = fn(&Value, &str, &mut Vec<Parsed>);

fn list(items: Value, path: &str, one: Item) -> Result<Items, SourceError> {
    match items {
        Value::Array(items) => {
            let path = path.to_owned();
            Ok(Box::new(items.into_iter().enumerate().flat_map(move |(i, v)| {
                let mut out = Vec::new();
                one(&v, &format!("{path}[{i}]"), &mut out);
                out
            })))
        }
        Value::Null => Ok(Box::new(std::iter::empty())),
        other => Err(malformed(path, &format!("is {}, expected an array", kind(&other)))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn reject(path: &str, reason: String) -> Parsed {
    Parsed::Rejected(Rejection { locator: Locator::JsonPath(path.into()), reason })
}

fn record(path: &str, record: Record) -> Parsed {
    Parsed::Record(Sourced { locator: Locator::JsonPath(path.into()), record })
}

// ---------------------------------------------------------------------------------------------
// Field readers: tolerant of numbers sent as strings and strings sent as numbers, never guessing.

/// A required id: a non-negative integer, or a string of digits.
fn required_id(obj: &Map<String, Value>, what: &str) -> Result<u64, String> {
    match obj.get("id") {
        None | Some(Value::Null) => Err(format!("{what} has no id")),
        Some(v) => number(v).ok_or_else(|| format!("{what} id {v} is not a non-negative integer")),
    }
}

fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn num(obj: &Map<String, Value>, key: &str) -> Option<u64> {
    obj.get(key).and_then(number)
}

/// A text value, trimmed; empty → `None`.
fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => non_empty(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An optional date: absent, null or empty is `None`; a value that is not a date is an error.
/// The portal writes `2021/08/06 23:57:37`; ISO 8601 forms are read too, since the layout of the
/// `brpapi` dates is only known from code (with an offset, they are taken to UTC).
fn date_field(obj: &Map<String, Value>, key: &str) -> Result<Option<NaiveDateTime>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let date = Published::parse(s).map(|p| p.date_time());
            date.map(Some).ok_or_else(|| format!("{key} '{s}' is not a date YYYY/MM/DD HH:MM:SS"))
        }
        Some(other) => Err(format!("{key} {other} is not a date YYYY/MM/DD HH:MM:SS")),
    }
}

fn documents(obj: &Map<String, Value>) -> Vec<Document> {
    let Some(Value::Array(items)) = obj.get("attachments") else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .map(|a| Document {
            id: num(a, "id"),
            document_id: text(a, "documentId"),
            // Feedback attachments say `fileName`, publication attachments `filename`.
            file_name: text(a, "fileName").or_else(|| text(a, "filename")),
            ers_file_name: text(a, "ersFileName"),
            title: text(a, "title"),
            language: text(a, "language"),
            pages: num(a, "pages"),
            size: num(a, "size"),
            pdf_size: num(a, "pdfSize"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Initiatives

fn initiative(value: &Value, path: &str, out: &mut Vec<Parsed>) {
    let Some(obj) = value.as_object() else {
        out.push(reject(path, format!("initiative is {}, not an object", kind(value))));
        return;
    };
    let id = match required_id(obj, "initiative") {
        Ok(id) => id,
        Err(reason) => {
            out.push(reject(path, reason));
            return;
        }
    };
    let mut rejected = Vec::new();
    let mut publications = Vec::new();
    if let Some(Value::Array(items)) = obj.get("publications") {
        for (i, item) in items.iter().enumerate() {
            let at = format!("{path}.publications[{i}]");
            match publication(item) {
                Ok(p) => publications.push(p),
                Err(reason) => rejected.push(reject(&at, reason)),
            }
        }
    }
    let initiative = Initiative {
        id,
        reference: text(obj, "reference"),
        // Not expected to be missing; an empty title is shown as such rather than invented.
        short_title: text(obj, "shortTitle").unwrap_or_default(),
        dg: text(obj, "dg"),
        unit: text(obj, "unit"),
        status: text(obj, "initiativeStatus"),
        foreseen_act_type: text(obj, "foreseenActType"),
        stage: text(obj, "stage"),
        receiving_feedback_status: text(obj, "receivingFeedbackStatus"),
        topics: topics(obj.get("topics")),
        // An initiative is not dropped for a malformed date; the date is left out instead.
        published_date: date_field(obj, "publishedDate").ok().flatten(),
        modified_date: date_field(obj, "modifiedDate").ok().flatten(),
        publications,
    };
    // The initiative first, then its rejected publications, in document order.
    out.push(record(path, Record::Initiative(initiative)));
    out.append(&mut rejected);
}

/// Topics are strings in some responses and `{code, label}` objects in others.
fn topics(v: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(items)) = v else {
        return match v {
            Some(Value::String(s)) => non_empty(s).into_iter().collect(),
            _ => Vec::new(),
        };
    };
    items
        .iter()
        .filter_map(|t| match t {
            Value::String(s) => non_empty(s),
            Value::Object(o) => text(o, "label").or_else(|| text(o, "name")).or_else(|| text(o, "code")),
            _ => None,
        })
        .collect()
}

fn publication(value: &Value) -> Result<Publication, String> {
    let obj = value.as_object().ok_or_else(|| format!("publication is {}, not an object", kind(value)))?;
    Ok(Publication {
        id: required_id(obj, "publication")?,
        kind: text(obj, "type"),
        reference: text(obj, "reference"),
        total_feedback: num(obj, "totalFeedback"),
        adoption_date: date_field(obj, "adoptionDate").ok().flatten(),
        attachments: documents(obj),
    })
}

// ---------------------------------------------------------------------------------------------
// Feedback

fn feedback(value: &Value, path: &str, out: &mut Vec<Parsed>) {
    out.push(match feedback_item(value) {
        Ok(f) => record(path, Record::Feedback(f)),
        Err(reason) => reject(path, reason),
    });
}

fn feedback_item(value: &Value) -> Result<Feedback, String> {
    let obj = value.as_object().ok_or_else(|| format!("feedback item is {}, not an object", kind(value)))?;
    let id = required_id(obj, "feedback item")?;
    let date = date_field(obj, "dateFeedback")?;
    // The current API says `trNumber`, the older one `tr_number`. A value that is present but not
    // shaped like a register ID (a typo, a national number) gives no ID: a wrong link would be
    // worse than none.
    let register_id = text(obj, "trNumber").or_else(|| text(obj, "tr_number")).and_then(|s| RegisterId::parse(&s));
    Ok(Feedback {
        id,
        publication_id: num(obj, "publicationId"),
        reference_initiative: text(obj, "referenceInitiative"),
        date,
        language: text(obj, "language"),
        user_type: text(obj, "userType"),
        country: text(obj, "country"),
        company_size: text(obj, "companySize"),
        organization: text(obj, "organization"),
        first_name: text(obj, "firstName"),
        surname: text(obj, "surname"),
        register_id,
        // Kept exactly as published, markup included: escaping is the web layer's job.
        text: match obj.get("feedback") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        },
        attachments: documents(obj),
    })
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    const ISOC: &str = "953701819437-32";

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/hys").join(name)
    }

    fn parse_bytes(bytes: &[u8]) -> Result<Vec<Parsed>, SourceError> {
        parse(Box::new(std::io::Cursor::new(bytes.to_vec())), &Limits::default())?.collect()
    }

    /// Through content detection, as the importer does it.
    fn parse_path(path: &Path) -> (lobbyscope_domain::SourceKind, Result<Vec<Parsed>, SourceError>) {
        let opened = crate::detect::open_path(path).unwrap();
        let kind = opened.kind;
        (kind, crate::parse(kind, opened.input).and_then(|r| r.collect()))
    }

    fn feedbacks(items: &[Parsed]) -> Vec<(String, &Feedback)> {
        items
            .iter()
            .filter_map(|p| match p {
                Parsed::Record(Sourced { locator: Locator::JsonPath(at), record: Record::Feedback(f) }) => {
                    Some((at.clone(), f))
                }
                _ => None,
            })
            .collect()
    }

    fn initiatives(items: &[Parsed]) -> Vec<(String, &Initiative)> {
        items
            .iter()
            .filter_map(|p| match p {
                Parsed::Record(Sourced { locator: Locator::JsonPath(at), record: Record::Initiative(i) }) => {
                    Some((at.clone(), i))
                }
                _ => None,
            })
            .collect()
    }

    fn rejections(items: &[Parsed]) -> Vec<(String, String)> {
        items
            .iter()
            .filter_map(|p| match p {
                Parsed::Rejected(Rejection { locator: Locator::JsonPath(at), reason }) => {
                    Some((at.clone(), reason.clone()))
                }
                _ => None,
            })
            .collect()
    }

    fn dt(s: &str) -> Option<NaiveDateTime> {
        Some(NaiveDateTime::parse_from_str(s, "%Y/%m/%d %H:%M:%S").unwrap())
    }

    fn rid(s: &str) -> Option<RegisterId> {
        Some(RegisterId::parse(s).unwrap())
    }

    #[test]
    fn current_feedback_page() {
        let (kind, items) = parse_path(&fixture("feedback_page_current.json"));
        assert_eq!(kind, lobbyscope_domain::SourceKind::HysFeedback);
        let items = items.unwrap();
        let f = feedbacks(&items);
        assert_eq!(
            f.iter().map(|(at, f)| (at.as_str(), f.id)).collect::<Vec<_>>(),
            [
                ("$.content[0]", 2665651),
                ("$.content[1]", 900000101),
                ("$.content[2]", 900000102),
                ("$.content[6]", 900000104)
            ]
        );
        let equinet = f[0].1;
        assert_eq!(
            *equinet,
            Feedback {
                id: 2665651,
                publication_id: Some(14488),
                reference_initiative: Some("COM(2021)206".into()),
                date: dt("2021/08/06 23:57:37"),
                language: Some("EN".into()),
                user_type: Some("NGO".into()),
                country: Some("BEL".into()),
                company_size: Some("MICRO".into()),
                organization: Some("Equinet".into()),
                first_name: Some("Fixture".into()),
                surname: Some("Person".into()),
                register_id: rid("718971811339-46"),
                text: "Equinet welcomes the proposal.".into(),
                attachments: vec![Document {
                    id: Some(26041237),
                    document_id: Some("090166e5e1cd1796".into()),
                    file_name: Some("Equinet submission.docx".into()),
                    ers_file_name: Some("Equinet submission.pdf".into()),
                    title: None,
                    language: None,
                    pages: None,
                    size: Some(80083),
                    pdf_size: Some(634363),
                }],
            }
        );
        // The upstream misspelling is kept, leading zeros of the register ID too.
        assert_eq!(f[1].1.user_type.as_deref(), Some("ACADEMIC_RESEARCH_INSTITTUTION"));
        assert_eq!(f[1].1.register_id, rid("000005130904-53"));
        // Markup kept byte for byte, surrounding whitespace included; empty values are None.
        let html = f[2].1;
        assert_eq!(
            html.text,
            "  <script>alert('x')</script><b>Bold</b> &amp; <a href=\"javascript:void(0)\">link</a>\n"
        );
        assert_eq!(
            (html.organization.as_ref(), html.first_name.as_ref(), html.register_id.as_ref()),
            (None, None, None)
        );
        assert_eq!(html.reference_initiative, None);
        // Attachment-only item: empty text, unknown enum verbatim, malformed TR number → no ID.
        let only = f[3].1;
        assert_eq!(only.text, "");
        assert_eq!(only.user_type.as_deref(), Some("FUTURE_USER_TYPE"));
        assert_eq!(only.register_id, None);
        assert_eq!(only.attachments[0].size, Some(1234), "numbers sent as strings are read");
        assert_eq!(only.attachments[0].pages, Some(3));

        assert_eq!(
            rejections(&items),
            [
                ("$.content[3]".into(), "dateFeedback '2021/13/45 25:61:00' is not a date YYYY/MM/DD HH:MM:SS".into()),
                ("$.content[4]".into(), "feedback item has no id".into()),
                ("$.content[5]".into(), "feedback item is a string, not an object".into()),
            ]
        );
        assert_eq!(items.len(), 7);
    }

    #[test]
    fn older_embedded_pages_with_tr_number() {
        let (kind, items) = parse_path(&fixture("feedback_page_embedded_v1.json"));
        assert_eq!(kind, lobbyscope_domain::SourceKind::HysFeedback);
        let items = items.unwrap();
        let f = feedbacks(&items);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].0, "$._embedded.feedbackV1[0]");
        assert_eq!(f[0].1.register_id, rid("3978240953-79"));
        assert_eq!(f[0].1.user_type.as_deref(), Some("BUSINESS_ASSOCIATION"));
        assert_eq!(f[1].1.register_id, rid("0649790813-47"), "trNumber wins when both are present");

        let items = parse_path(&fixture("feedback_page_embedded.json")).1.unwrap();
        let f = feedbacks(&items);
        assert_eq!(
            f.iter().map(|(at, f)| (at.as_str(), f.id)).collect::<Vec<_>>(),
            [("$._embedded.feedback[0]", 900000121), ("$._embedded.feedback[1]", 900000122)]
        );
        assert_eq!(f[0].1.register_id, rid("91408765797-03"));
        // Ids as strings, null date and null text.
        assert_eq!((f[1].1.publication_id, f[1].1.date, f[1].1.text.as_str()), (Some(14488), None, ""));
    }

    #[test]
    fn empty_pages_in_both_shapes() {
        for name in ["feedback_page_empty.json", "feedback_page_empty_hal.json"] {
            let items = parse_bytes(&std::fs::read(fixture(name)).unwrap()).unwrap();
            assert!(items.is_empty(), "{name}");
        }
        assert_eq!(parse_path(&fixture("feedback_page_empty.json")).0, lobbyscope_domain::SourceKind::HysFeedback);
    }

    #[test]
    fn group_initiative_with_publications_and_documents() {
        let (kind, items) = parse_path(&fixture("initiative_group.json"));
        assert_eq!(kind, lobbyscope_domain::SourceKind::HysInitiative);
        let items = items.unwrap();
        let i = initiatives(&items);
        assert_eq!(i.len(), 1);
        assert_eq!(i[0].0, "$");
        let ai = i[0].1;
        assert_eq!(ai.id, 12527);
        assert_eq!(ai.short_title, "Artificial intelligence – ethical and legal requirements");
        assert_eq!(ai.reference.as_deref(), Some("Ares(2000)9999999"));
        assert_eq!((ai.dg.as_deref(), ai.unit.as_deref()), (Some("CNECT"), Some("UNIT-X")));
        assert_eq!(ai.status.as_deref(), Some("ADOPTED"));
        assert_eq!(ai.foreseen_act_type.as_deref(), Some("PROP_REG"));
        assert_eq!(ai.stage.as_deref(), Some("ADOPTION_WORKFLOW"));
        assert_eq!(ai.receiving_feedback_status.as_deref(), Some("CLOSED"));
        assert_eq!(ai.topics, ["Digital economy and society", "Single market", "JUST"]);
        assert_eq!(ai.published_date, dt("2020/07/23 15:08:11"));
        assert_eq!(ai.modified_date, dt("2021/08/10 07:00:00"), "ISO with offset, normalised to UTC");

        assert_eq!(ai.publications.len(), 2);
        let p = &ai.publications[0];
        assert_eq!(
            (p.id, p.kind.as_deref(), p.reference.as_deref(), p.total_feedback),
            (14488, Some("PROP_REG"), Some("COM(2021)206"), Some(304))
        );
        assert_eq!(p.adoption_date, dt("2021/04/21 00:00:00"));
        assert_eq!(p.attachments.len(), 2);
        assert_eq!(
            p.attachments[0].file_name.as_deref(),
            Some("proposal.docx"),
            "publication attachments say `filename`"
        );
        assert_eq!(p.attachments[0].ers_file_name.as_deref(), Some("proposal.pdf"));
        assert_eq!(
            p.attachments[0].title.as_deref(),
            Some("Proposal for a Regulation laying down harmonised rules on artificial intelligence")
        );
        assert_eq!(
            (p.attachments[0].pages, p.attachments[0].size, p.attachments[0].language.as_deref()),
            (Some(108), Some(1065312), Some("EN"))
        );
        assert_eq!((p.attachments[1].pages, p.attachments[1].size), (Some(17), None));
        // A bad adoption date leaves the date out, not the publication.
        let opc = &ai.publications[1];
        assert_eq!((opc.id, opc.total_feedback, opc.adoption_date), (900000301, None, None));

        assert_eq!(
            rejections(&items),
            [
                ("$.publications[1]".into(), "publication has no id".into()),
                ("$.publications[2]".into(), "publication is a string, not an object".into()),
            ]
        );
    }

    #[test]
    fn search_initiatives_pages() {
        let items = parse_bytes(&std::fs::read(fixture("search_initiatives_page.json")).unwrap()).unwrap();
        let i = initiatives(&items);
        assert_eq!(
            i.iter().map(|(at, i)| (at.as_str(), i.id, i.topics.clone())).collect::<Vec<_>>(),
            [
                ("$.initiativeResultDtoPage.content[0]", 13017, vec!["Digital economy and society".to_owned()]),
                ("$.initiativeResultDtoPage.content[1]", 13698, vec!["Taxation".to_owned()]),
            ]
        );
        assert!(i[0].1.publications.is_empty());
        assert_eq!(
            rejections(&items),
            [("$.initiativeResultDtoPage.content[2]".into(), "initiative has no id".into())]
        );

        let older = br#"{"_embedded":{"initiativeResultDtoes":[{"id":2020,"shortTitle":"Standard chargers for mobile phones"}]},"page":{"totalPages":1}}"#;
        let items = parse_bytes(older).unwrap();
        assert_eq!(initiatives(&items)[0].0, "$._embedded.initiativeResultDtoes[0]");
        assert_eq!(initiatives(&items)[0].1.short_title, "Standard chargers for mobile phones");
    }

    #[test]
    fn a_single_feedback_item() {
        let items =
            parse_bytes(br#"{"id":7,"dateFeedback":"2021/01/02 03:04:05","feedback":"x","trNumber":"3978240953-79"}"#)
                .unwrap();
        let f = feedbacks(&items);
        assert_eq!((f[0].0.as_str(), f[0].1.id, f[0].1.date), ("$", 7, dt("2021/01/02 03:04:05")));
    }

    #[test]
    fn truncated_json_is_truncated_and_yields_nothing() {
        let (kind, result) = parse_path(&fixture("feedback_page_truncated.json"));
        assert_eq!(kind, lobbyscope_domain::SourceKind::HysFeedback);
        match result {
            Err(SourceError::Truncated { locator: Locator::Line(line), reason }) => {
                assert_eq!(line, 35);
                assert_eq!(reason, "EOF while parsing a value at line 35 column 18");
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
        assert!(matches!(parse_bytes(b""), Err(SourceError::Truncated { .. })));
        assert!(matches!(parse_bytes(br#"{"content":[{"id":1}"#), Err(SourceError::Truncated { .. })));
    }

    #[test]
    fn malformed_json_is_malformed() {
        match parse_bytes(&std::fs::read(fixture("feedback_page_syntax_error.json")).unwrap()) {
            Err(SourceError::Malformed { locator: Locator::Line(7), reason }) => {
                assert_eq!(reason, "expected `,` or `}` at line 7 column 52");
            }
            other => panic!("expected Malformed at line 7, got {other:?}"),
        }
        for (input, needle) in [
            (&br#"[{"id":1}]"#[..], "found an array"),
            (br#"{"hello":"world"}"#, "not a Have Your Say"),
            (br#"{"content":{"id":1}}"#, "$.content is an object, expected an array"),
            (br#"{"_embedded":{"somethingElse":[]}}"#, "holds none of"),
            (br#"{"content":[]} trailing"#, "trailing characters"),
            (b"\xff\xfe{}", "line 1 column 1"),
        ] {
            match parse_bytes(input) {
                Err(SourceError::Malformed { reason, .. }) => assert!(reason.contains(needle), "{reason}"),
                other => panic!("{}: expected Malformed, got {other:?}", String::from_utf8_lossy(input)),
            }
        }
    }

    #[test]
    fn ids_and_dates_are_checked() {
        let items = parse_bytes(
            br#"{"content":[{"id":-1},{"id":1.5},{"id":"12a"},{"id":3,"dateFeedback":17},{"id":4,"dateFeedback":""},{"id":5,"dateFeedback":"2021-08-06T23:57:37"}]}"#,
        )
        .unwrap();
        let r = rejections(&items);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0], ("$.content[0]".into(), "feedback item id -1 is not a non-negative integer".into()));
        assert_eq!(r[2].1, "feedback item id \"12a\" is not a non-negative integer");
        assert_eq!(r[3].1, "dateFeedback 17 is not a date YYYY/MM/DD HH:MM:SS");
        let f = feedbacks(&items);
        assert_eq!((f[0].1.id, f[0].1.date), (4, None));
        assert_eq!((f[1].1.id, f[1].1.date), (5, dt("2021/08/06 23:57:37")));
    }

    /// The demo data: real Internet Society responses in reconstructed containers.
    #[test]
    fn demo_consultations_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/have_your_say");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        assert_eq!(names.len(), 8);
        let mut feedback = Vec::new();
        let mut initiative_ids = Vec::new();
        for name in &names {
            let (kind, items) = parse_path(&dir.join(name));
            let items = items.unwrap();
            assert!(rejections(&items).is_empty(), "{name}");
            if name.starts_with("feedback_") {
                assert_eq!(kind, lobbyscope_domain::SourceKind::HysFeedback, "{name}");
                feedback.extend(feedbacks(&items).into_iter().map(|(at, f)| (at, f.clone())));
            } else {
                assert_eq!(kind, lobbyscope_domain::SourceKind::HysInitiative, "{name}");
                initiative_ids.extend(initiatives(&items).into_iter().map(|(_, i)| i.id));
            }
        }
        initiative_ids.sort();
        assert_eq!(initiative_ids, [13017, 900000001, 900000003, 900000004]);
        assert_eq!(feedback.len(), 4);
        assert!(
            feedback
                .iter()
                .all(|(_, f)| f.register_id == rid(ISOC) && f.organization.as_deref() == Some("Internet Society"))
        );
        assert_eq!(feedback.iter().filter(|(at, _)| at == "$._embedded.feedbackV1[0]").count(), 1);

        let by_date = |d: &str| feedback.iter().find(|(_, f)| f.date == dt(d)).map(|(_, f)| f).unwrap();
        let principles = by_date("2021/05/31 00:00:00");
        assert!(principles.text.starts_with("To sustain the Internet’s value for our future, we need to recognise"));
        assert!(principles.text.ends_with("committing to upholding its own set of properties."));
        assert_eq!(principles.publication_id, Some(900000012));
        let standards = by_date("2022/04/05 00:00:00");
        assert_eq!(
            standards.text,
            "We thank the commission for being able to respond to the public consultation on the European standards strategy and wish to submit the following contribution. Please, see attached file."
        );
        assert_eq!(standards.reference_initiative.as_deref(), Some("COM(2022)32"));
        assert!(
            by_date("2025/05/21 00:00:00")
                .text
                .contains("The EUs International Digital Strategy should strongly recognize")
        );
        assert!(by_date("2021/05/12 00:00:00").text.contains("• Safely connecting with sources:"));

        // Every text is the reference page's, character for character.
        let reference = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/profile-example.txt");
        if let Ok(page) = std::fs::read_to_string(reference) {
            for (_, f) in &feedback {
                assert!(page.contains(&format!("\n\n{}\nRead full response", f.text)), "{}", &f.text[..40]);
            }
        } else {
            eprintln!("note: {reference} not present; text comparison skipped");
        }
    }

    #[test]
    fn the_scraped_consultation_list_is_not_api_json() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/realdata/have_your_say/scraped_public_consultations_2016-2026_20260113.json"
        );
        if !Path::new(path).exists() {
            eprintln!("note: {path} not present; skipped");
            return;
        }
        assert!(matches!(crate::detect::open_path(Path::new(path)), Err(SourceError::UnknownFormat(_))));
        let bytes = std::fs::read(path).unwrap();
        match parse_bytes(&bytes) {
            Err(SourceError::Malformed { reason, .. }) => assert!(reason.contains("found an array"), "{reason}"),
            other => panic!("expected Malformed, got {:?}", other.map(|v| v.len())),
        }
    }
}
