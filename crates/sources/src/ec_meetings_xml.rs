//! Commission meetings with interest representatives, XML variant of the official export
//! (`…/meetings/dataxml?name=<file>`, FORMATS.md §3.2).
//!
//! ```xml
//! <meeting>
//!   <date>YYYY-MM-DD</date>
//!   <cabinet>Cabinet of …</cabinet>          <!-- DG file: <dgacronym>…</dgacronym><dgname>…</dgname> -->
//!   <location>…</location>
//!   <subject>…</subject>
//!   <representative><name>…</name><title>…</title></representative>   <!-- repeated -->
//!   <entity><name>…</name><id>TR-ID</id></entity>                       <!-- repeated -->
//! </meeting>
//! ```
//!
//! The root element's name is not relied on. A `<portfolio>` element is read when present
//! (unverified: the XLSX has that column, the XML's known fields do not). Text is
//! **double-encoded** (`&amp;#246;` for `ö`), so it is decoded a second time, leniently: an `&` that
//! starts no known reference stays as it is.
//!
//! The file is read as a stream, one `<meeting>` at a time. Each meeting is turned into the same
//! comma-joined shape as an XLSX row and converted by the XLSX module's
//! [`PublishedMeeting::into_meeting`], so a meeting gives an equal record (and the same
//! identity) from either variant; for the same reason names are paired with register IDs only
//! when the comma-split names line up with the IDs, exactly as in the XLSX.

use std::borrow::Cow;

use lobbyscope_domain::{Locator, Record, Sourced};
use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};

use crate::ec_meetings_xlsx::PublishedMeeting;
use crate::xml::{Open, XmlInput, push_text, refuse_doctype};
use crate::{Input, LimitExceeded, Limits, Parsed, Records, Rejection, SourceError};

const MEETING: &str = "meeting";

pub(crate) fn parse(input: Input, limits: &Limits) -> Result<Records, SourceError> {
    let reader = Reader::from_reader(XmlInput::new(input, limits));
    let mut meetings = Meetings {
        reader,
        buf: Vec::new(),
        open: Open::new(limits),
        seen_root: false,
        index: 0,
        limits: limits.clone(),
    };
    Ok(crate::stream(move || meetings.next_meeting()))
}

/// Where a file-level error is, `index` meetings into the file: in the last one when inside it,
/// else where the next one would be.
fn at(index: u64, inside_meeting: bool, line: u64) -> Locator {
    let index = if inside_meeting { index } else { index + 1 };
    Locator::Element { name: MEETING.into(), index, line }
}

/// A limit passed at `line`, `index` meetings into the file.
fn over(e: LimitExceeded, index: u64, inside_meeting: bool, line: u64) -> SourceError {
    e.within(at(index, inside_meeting, line)).into()
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// The stream of `<meeting>` elements.
struct Meetings {
    reader: Reader<XmlInput>,
    buf: Vec<u8>,
    /// Elements open around the reader's position.
    open: Open,
    seen_root: bool,
    /// `<meeting>` elements started so far.
    index: u64,
    limits: Limits,
}

/// A meeting being read: its fields as (once-decoded) text.
#[derive(Default)]
struct Draft {
    /// `depth` just inside the `<meeting>` element.
    depth: usize,
    /// Element names from the meeting's children down to the current element.
    path: Vec<String>,
    /// Text of the current field so far.
    text: String,
    date: String,
    cabinet: String,
    dg: String,
    dg_acronym: String,
    portfolio: String,
    location: String,
    subject: String,
    /// (name, title) of each `<representative>`.
    representatives: Vec<(String, String)>,
    /// (name, id) of each `<entity>`.
    entities: Vec<(String, String)>,
}

impl Draft {
    fn start(&mut self, name: String) {
        match (self.path.as_slice(), name.as_str()) {
            ([], "representative") => self.representatives.push(Default::default()),
            ([], "entity") => self.entities.push(Default::default()),
            _ => {}
        }
        self.path.push(name);
        if self.field().is_some() {
            self.text.clear();
        }
    }

    fn end(&mut self) {
        if self.field().is_some() {
            let text = decode_entities(&std::mem::take(&mut self.text)).into_owned();
            if let Some(field) = self.field() {
                *field = text;
            }
        }
        self.path.pop();
    }

    /// The field the current element holds, when it is one of the known ones.
    fn field(&mut self) -> Option<&mut String> {
        // No field lies deeper than two levels; looking no further keeps each element's cost
        // the same however deep the markup nests.
        if self.path.len() > 2 {
            return None;
        }
        let path: Vec<&str> = self.path.iter().map(String::as_str).collect();
        Some(match path.as_slice() {
            ["date"] => &mut self.date,
            ["cabinet"] => &mut self.cabinet,
            ["dgname"] => &mut self.dg,
            ["dgacronym"] => &mut self.dg_acronym,
            ["portfolio"] => &mut self.portfolio,
            ["location"] => &mut self.location,
            ["subject"] => &mut self.subject,
            ["representative", "name"] => &mut self.representatives.last_mut()?.0,
            ["representative", "title"] => &mut self.representatives.last_mut()?.1,
            ["entity", "name"] => &mut self.entities.last_mut()?.0,
            ["entity", "id"] => &mut self.entities.last_mut()?.1,
            _ => return None,
        })
    }

    /// The meeting in the XLSX's shape: repeated elements joined by `,`, as the XLSX cells are.
    fn published(self) -> PublishedMeeting {
        // Untrimmed, like the XLSX cells (which are these values joined): names are trimmed
        // one by one when the joined cell is split, and `attendees_raw` keeps inner spaces.
        let join = |items: &[(String, String)], pick: fn(&(String, String)) -> &String| {
            items.iter().map(|item| pick(item).as_str()).collect::<Vec<_>>().join(",")
        };
        let representatives: Vec<_> = self
            .representatives
            .into_iter()
            .filter(|(name, title)| !(name.trim().is_empty() && title.trim().is_empty()))
            .collect();
        let entities: Vec<_> =
            self.entities.into_iter().filter(|(name, id)| !(name.trim().is_empty() && id.trim().is_empty())).collect();
        PublishedMeeting {
            date: self.date,
            cabinet: self.cabinet,
            dg: self.dg,
            dg_acronym: self.dg_acronym,
            portfolio: self.portfolio,
            location: self.location,
            representatives: join(&representatives, |r| &r.0),
            titles: join(&representatives, |r| &r.1),
            organisations: join(&entities, |e| &e.0),
            register_ids: join(&entities, |e| &e.1),
            subject: self.subject,
        }
    }
}

/// An element's name without namespace prefix, lower-cased.
fn local_name(raw: &str) -> String {
    raw.rsplit(':').next().unwrap_or(raw).to_ascii_lowercase()
}

/// The text an entity or character reference of the document stands for. An undeclared
/// entity is kept as written, for the second decoding to deal with.
fn resolve_ref(r: &BytesRef<'_>) -> Cow<'static, str> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Cow::Owned(c.to_string());
    }
    match predefined(r) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(format!("&{};", &**r)),
    }
}

fn predefined(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    })
}

/// The second decoding of the export's double-encoded text: `&#246;`, `&#xF6;` and the five XML
/// entities are replaced; any other `&` is left as it is.
pub(crate) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest[1..].find(';').filter(|&end| end <= 10).and_then(|end| {
            let name = &rest[1..1 + end];
            let text = match name.strip_prefix('#') {
                Some(num) => {
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse::<u32>().ok(),
                    };
                    Cow::Owned(char::from_u32(code?).filter(|&c| c != '\0')?.to_string())
                }
                None => Cow::Borrowed(predefined(name)?),
            };
            Some((text, end + 2))
        });
        match decoded {
            Some((text, len)) => {
                out.push_str(&text);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

impl Meetings {
    /// 1-based line of the reader's position.
    fn line(&self) -> u64 {
        self.reader.get_ref().line()
    }

    /// Where a file-level error is: in the meeting being read, or else where the next one would
    /// be.
    fn locator(&self, inside_meeting: bool, line: u64) -> Locator {
        at(self.index, inside_meeting, line)
    }

    fn xml_error(&self, e: quick_xml::Error, inside_meeting: bool) -> SourceError {
        let locator = self.locator(inside_meeting, self.line());
        match e {
            quick_xml::Error::Io(io) => SourceError::from_shared_io(&io).located(locator),
            // Every syntax error is input ending inside markup (a tag, comment, CDATA, …).
            quick_xml::Error::Syntax(e) => SourceError::Truncated { locator, reason: e.to_string() },
            e => SourceError::Malformed { locator, reason: e.to_string() },
        }
    }

    /// Reads up to the end of the next `<meeting>`.
    fn next_meeting(&mut self) -> Result<Option<Parsed>, SourceError> {
        let mut draft: Option<Draft> = None;
        let mut start_line = 0;
        loop {
            self.buf.clear();
            self.reader.get_mut().start_event();
            self.reader.get_mut().in_record(draft.is_some());
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(e) => return Err(self.xml_error(e, draft.is_some())),
            };
            match event {
                Event::Start(e) => {
                    let name = local_name(e.name().as_ref());
                    if let Err(e) = self.open.push(&name) {
                        return Err(over(e, self.index, draft.is_some(), self.reader.get_ref().line()));
                    }
                    self.seen_root = true;
                    match draft.as_mut() {
                        Some(d) => d.start(name),
                        None if name == MEETING => {
                            self.index += 1;
                            // The reader has consumed the whole start tag; its own line breaks
                            // (between attributes) come after the line it starts on.
                            start_line = self.reader.get_ref().newlines() + 1 - count_newlines(e.as_bytes());
                            // The meeting's size counts from its start tag.
                            self.reader.get_mut().in_record(true);
                            draft = Some(Draft { depth: self.open.depth(), ..Draft::default() });
                        }
                        None => {}
                    }
                }
                Event::Empty(e) => {
                    let name = local_name(e.name().as_ref());
                    self.seen_root = true;
                    match draft.as_mut() {
                        Some(d) => {
                            d.start(name);
                            d.end();
                        }
                        None if name == MEETING => {
                            // `<meeting/>`: a meeting with nothing in it, rejected below.
                            self.index += 1;
                            start_line = self.reader.get_ref().newlines() + 1 - count_newlines(e.as_bytes());
                            return Ok(Some(self.finish(Draft::default(), start_line)));
                        }
                        None => {}
                    }
                }
                Event::End(_) => {
                    self.open.pop();
                    if let Some(d) = draft.as_mut() {
                        if self.open.depth() < d.depth {
                            let d = draft.take().unwrap_or_default();
                            return Ok(Some(self.finish(d, start_line)));
                        }
                        d.end();
                    }
                }
                Event::Text(t) => {
                    if let Some(d) = draft.as_mut() {
                        push_text(&mut d.text, &t.xml10_content(), &self.limits)
                            .map_err(|e| over(e, self.index, true, self.reader.get_ref().line()))?;
                    }
                }
                Event::CData(t) => {
                    if let Some(d) = draft.as_mut() {
                        push_text(&mut d.text, &t.xml10_content(), &self.limits)
                            .map_err(|e| over(e, self.index, true, self.reader.get_ref().line()))?;
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(d) = draft.as_mut() {
                        push_text(&mut d.text, &resolve_ref(&r), &self.limits)
                            .map_err(|e| over(e, self.index, true, self.reader.get_ref().line()))?;
                    }
                }
                Event::DocType(d) => {
                    let line = self.reader.get_ref().line() - count_newlines(d.as_bytes());
                    return Err(refuse_doctype(&d, at(self.index, draft.is_some(), line)));
                }
                Event::Eof => {
                    let line = self.line();
                    let depth = self.open.depth();
                    if depth > 0 {
                        let reason = match draft {
                            Some(_) => format!("the file ends inside a <meeting>, {depth} element(s) left open"),
                            None => format!("the file ends between meetings, {depth} element(s) left open"),
                        };
                        return Err(SourceError::Truncated { locator: self.locator(draft.is_some(), line), reason });
                    }
                    if !self.seen_root {
                        return Err(SourceError::Malformed {
                            locator: self.locator(false, line),
                            reason: "no XML element in the file".into(),
                        });
                    }
                    return Ok(None);
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            }
        }
    }

    fn finish(&self, draft: Draft, line: u64) -> Parsed {
        let locator = Locator::Element { name: MEETING.into(), index: self.index, line };
        match draft.published().into_meeting() {
            Ok(meeting) => Parsed::Record(Sourced { locator, record: Record::Meeting(meeting) }),
            Err(reason) => Parsed::Rejected(Rejection { locator, reason }),
        }
    }
}

#[cfg(test)]
mod tests {
    use lobbyscope_domain::{Meeting, SourceKind};

    use super::*;
    use crate::ec_meetings_xlsx::tests::{demo_xlsx, fixture, meeting, real_meetings_by_row, run};

    fn parse_str(xml: &str) -> Vec<Result<Parsed, SourceError>> {
        run(parse, xml.as_bytes().to_vec())
    }

    fn element(index: u64, line: u64) -> Locator {
        Locator::Element { name: MEETING.into(), index, line }
    }

    #[test]
    fn second_decoding_is_lenient() {
        assert_eq!(decode_entities("Europ&#233;ens d&#39;Automobiles"), "Européens d'Automobiles");
        assert_eq!(decode_entities("T&#xFC;rkiye &#XFC;"), "Türkiye ü");
        assert_eq!(decode_entities("&amp;&lt;&gt;&quot;&apos;"), "&<>\"'");
        for kept in ["AT&T", "R&D; and", "&nbsp;", "&#0;", "&#xD800;", "&#12345678901;", "&", "a & b", "&;", "&#;"] {
            assert_eq!(decode_entities(kept), kept);
        }
        assert!(matches!(decode_entities("no ampersand"), Cow::Borrowed(_)));
    }

    /// The point of sharing the row → meeting rules: a meeting read from the XML equals the same
    /// meeting read from the XLSX, so its identity does not depend on the variant imported.
    #[test]
    fn xml_meetings_equal_the_xlsx_rows_they_were_written_from() {
        let (xlsx, _) = real_meetings_by_row(&demo_xlsx());
        let opened = crate::open_path(&fixture("meetings_real_rows.xml")).unwrap();
        assert_eq!(opened.kind, SourceKind::CommissionMeetingsXml);
        let items: Vec<_> = crate::parse(opened.kind, opened.input).unwrap().collect();
        let rows = [3, 23, 68, 206, 217, 3116, 3347, 1797];
        let lines = [6, 16, 36, 51, 69, 91, 101, 115];
        assert_eq!(items.len(), rows.len());
        for (i, item) in items.iter().enumerate() {
            let (locator, from_xml) = meeting(item);
            assert_eq!(*locator, element(i as u64 + 1, lines[i]));
            let from_xlsx = &xlsx[&rows[i]];
            assert_eq!(from_xml, from_xlsx, "row {}", rows[i]);
            assert_eq!(from_xml.natural_key(), from_xlsx.natural_key());
        }
        // Double-encoded entities came out once decoded, not twice-escaped nor doubly decoded.
        let m: &Meeting = meeting(&items[1]).1;
        assert!(m.attendees_raw.contains("Association des Constructeurs Européens d'Automobiles,"));
        assert!(m.attendees_raw.contains("European Tyre & Rubber Manufacturers' Association"));
        assert_eq!(meeting(&items[6]).1.attendees_raw, "AT&T, Inc.");
        assert!(meeting(&items[7]).1.subject.ends_with("in Türkiye"));
    }

    #[test]
    fn directors_general_variant_and_a_rejected_meeting() {
        let items = run(parse, std::fs::read(fixture("meetings_dg.xml")).unwrap());
        assert_eq!(items.len(), 3);
        let (locator, m) = meeting(&items[0]);
        assert_eq!(*locator, element(1, 6));
        assert_eq!(m.dg.as_deref(), Some("Directorate-General for Competition"));
        assert_eq!(m.dg_acronym.as_deref(), Some("COMP"));
        assert_eq!((m.cabinet.as_deref(), m.portfolio.as_deref()), (None, None));
        assert_eq!(m.subject, "State aid rules for Société Générale <draft> \"2021\"");
        match &items[1] {
            Ok(Parsed::Rejected(r)) => {
                assert_eq!(r.locator, element(2, 15));
                assert_eq!(r.reason, "Date of meeting '2021-02-30' is not a date YYYY-MM-DD");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        let (locator, m) = meeting(&items[2]);
        assert_eq!(*locator, element(3, 24), "the line where a multi-line start tag begins");
        assert_eq!(m.subject, "Hydrogen strategy 2020/0360(COD) & AT&T", "a single-encoded & survives");
        assert_eq!(m.procedures[0].as_str(), "2020/0360(COD)");
        assert_eq!(m.hosts.len(), 2);
        assert_eq!(m.hosts[1].role.as_deref(), Some("Deputy Director-General"));
        assert_eq!(m.attendees.len(), 2);
        assert_eq!(m.attendees[1].name.as_deref(), Some("ENGIE"));
        assert_eq!(m.attendees_raw, "Vattenfall,ENGIE");
    }

    #[test]
    fn a_truncated_file_ends_with_an_error_after_the_complete_meetings() {
        let items = run(parse, std::fs::read(fixture("meetings_truncated.xml")).unwrap());
        assert_eq!(items.len(), 2, "{items:?}");
        assert_eq!(*meeting(&items[0]).0, element(1, 6));
        assert!(
            matches!(&items[1], Err(SourceError::Truncated { locator, .. }) if *locator == element(2, 27)),
            "{:?}",
            items[1]
        );
        // Cut inside a tag, and cut between meetings: both truncated.
        let cut_in_tag = parse_str("<meetings><meeting><date>2021-01-01</da");
        assert!(matches!(cut_in_tag.as_slice(), [Err(SourceError::Truncated { .. })]), "{cut_in_tag:?}");
        let between = parse_str(
            "<meetings>\n<meeting><date>2021-01-01</date><representative><name>A</name></representative>\
             <entity><id>3978240953-79</id></entity><subject>s</subject></meeting>\n",
        );
        assert_eq!(between.len(), 2);
        assert!(
            matches!(&between[1], Err(SourceError::Truncated { locator, reason }) if *locator == element(2, 3) && reason.contains("between meetings"))
        );
    }

    #[test]
    fn a_file_that_is_not_well_formed_ends_with_an_error() {
        let items = run(parse, std::fs::read(fixture("meetings_malformed.xml")).unwrap());
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(
            matches!(&items[1], Err(SourceError::Malformed { locator, reason })
            if *locator == element(2, 18) && reason.contains("cabinett")),
            "{:?}",
            items[1]
        );
        assert!(matches!(parse_str("").as_slice(), [Err(SourceError::Malformed { .. })]));
        assert!(matches!(parse_str("just text").as_slice(), [Err(SourceError::Malformed { .. })]));
        let bad_utf8 = run(parse, b"<meetings><meeting><subject>\xff\xfe</subject></meeting></meetings>".to_vec());
        assert!(matches!(bad_utf8.last(), Some(Err(SourceError::Malformed { .. }))), "{bad_utf8:?}");
    }

    #[test]
    fn odd_but_well_formed_input() {
        let xml = "\u{feff}<?xml version=\"1.0\"?>\n<x:meetings xmlns:x=\"urn:x\">\n\
            <x:meeting/>\n\
            <x:meeting><x:date>2021-01-01</x:date><x:cabinet/><x:subject>s</x:subject>\
            <x:representative><x:name>A</x:name></x:representative>\
            <x:entity><x:name>Nameless &amp;amp; Co</x:name></x:entity><x:entity/>\
            <x:extra><x:name>ignored</x:name></x:extra></x:meeting>\n</x:meetings>";
        let items = parse_str(xml);
        assert_eq!(items.len(), 2, "{items:?}");
        match &items[0] {
            Ok(Parsed::Rejected(r)) => {
                assert_eq!(r.locator, element(1, 3));
                assert_eq!(r.reason, "Date of meeting is empty");
            }
            other => panic!("expected a rejection, got {other:?}"),
        }
        let (locator, m) = meeting(&items[1]);
        assert_eq!(*locator, element(2, 4));
        assert_eq!(m.cabinet, None);
        assert_eq!(m.hosts[0].name, "A");
        assert_eq!(m.hosts[0].role, None);
        // No ID: the entity is kept by name.
        assert_eq!(m.attendees.len(), 1);
        assert_eq!(m.attendees[0].name.as_deref(), Some("Nameless & Co"));
        assert_eq!(m.attendees[0].register_id, None);
    }
}
