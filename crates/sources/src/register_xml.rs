//! Transparency Register ODP XML export (`ListOfIRPublicDetail`), streamed with quick-xml.
//!
//! The file is read event by event; only the current record's wanted values are kept, so memory
//! stays flat however large the export is. Elements are matched by local name and by their path
//! below `interestRepresentative`, so namespace prefixes, the `xmlns=""` reset on `metaData` and
//! `resultList`, attributes (`closedYear type="…"`) and unknown or nested elements anywhere are
//! all tolerated (unknown ones are skipped).
//!
//! Layout and the choices made here:
//! - `metaData/exportDate` gives every entry's snapshot date; it must come before the first
//!   `interestRepresentative`, and a file without it is malformed.
//! - One [`RegisterEntry`] per `interestRepresentative`, located by
//!   `Locator::Element { name: "interestRepresentative", index, line }` (1-based index among
//!   records, line of its start tag).
//! - The file declares XML 1.1 and holds character references that XML 1.0 forbids (`&#x1F;`,
//!   `&#11;`, `&#x0;`): they are decoded so the record survives; `&#x0;` becomes U+FFFD.
//! - A bad value (unparseable number or date, invalid ID, unknown entity, bare `&`) rejects its
//!   record only. A broken file (not well-formed, truncated, not UTF-8) ends the stream with an
//!   error: located by the record being read when inside one (`Element`, with the line where
//!   reading stopped), else by `Locator::Line`.

use std::borrow::Cow;
use std::io::{self, BufRead};
use std::mem;

use chrono::NaiveDate;
use lobbyscope_domain::{Costs, Locator, Record, RegisterEntry, RegisterId, Sourced};
use quick_xml::errors::IllFormedError;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use crate::dates::Published;
use crate::text::{clean_multiline, non_empty};
use crate::xml::{Open, XmlInput, push_text, refuse_doctype};
use crate::{Input, Limits, Parsed, Records, Rejection, SourceError};

const RECORD: &str = "interestRepresentative";

pub(crate) fn parse(input: Input, limits: &Limits) -> Result<Records, SourceError> {
    let mut xml = Reader::from_reader(XmlInput::new(input, limits));
    let config = xml.config_mut();
    // A lone `&` comes through as text, so it can reject its record instead of the whole file.
    config.allow_dangling_amp = true;
    config.check_end_names = true;
    let mut parser = RegisterXml { xml, buf: Vec::with_capacity(64 * 1024), state: State::new(limits) };
    Ok(crate::stream(move || parser.advance()))
}

// ---------------------------------------------------------------------------------------------
// Element names and fields

/// The elements whose position matters; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Root,
    MetaData,
    ExportDate,
    Record,
    IdentificationCode,
    Name,
    OriginalName,
    Acronym,
    EntityForm,
    RegistrationCategory,
    HeadOffice,
    Country,
    City,
    WebSiteUrl,
    Goals,
    LevelsOfInterest,
    LevelOfInterest,
    Interests,
    Interest,
    EuLegislativeProposals,
    Members,
    MembersFte,
    EpAccreditedNumber,
    FinancialData,
    ClosedYear,
    Costs,
    Range,
    Min,
    Max,
    AbsoluteCost,
    StartDate,
    EndDate,
    RegistrationDate,
    LastUpdateDate,
    Other,
}

impl Tag {
    fn of(local_name: &str) -> Tag {
        match local_name {
            "ListOfIRPublicDetail" => Tag::Root,
            "metaData" => Tag::MetaData,
            "exportDate" => Tag::ExportDate,
            RECORD => Tag::Record,
            "identificationCode" => Tag::IdentificationCode,
            "name" => Tag::Name,
            "originalName" => Tag::OriginalName,
            "acronym" => Tag::Acronym,
            "entityForm" => Tag::EntityForm,
            "registrationCategory" => Tag::RegistrationCategory,
            "headOffice" => Tag::HeadOffice,
            "country" => Tag::Country,
            "city" => Tag::City,
            "webSiteURL" => Tag::WebSiteUrl,
            "goals" => Tag::Goals,
            "levelsOfInterest" => Tag::LevelsOfInterest,
            "levelOfInterest" => Tag::LevelOfInterest,
            "interests" => Tag::Interests,
            "interest" => Tag::Interest,
            "EULegislativeProposals" => Tag::EuLegislativeProposals,
            "members" => Tag::Members,
            "membersFTE" => Tag::MembersFte,
            "EPAccreditedNumber" => Tag::EpAccreditedNumber,
            "financialData" => Tag::FinancialData,
            "closedYear" => Tag::ClosedYear,
            "costs" => Tag::Costs,
            "range" => Tag::Range,
            "min" => Tag::Min,
            "max" => Tag::Max,
            // The ODP layout of an exact amount is not documented; these are the plausible names.
            "absoluteCost" | "absoluteCosts" | "absoluteAmount" | "amount" => Tag::AbsoluteCost,
            "startDate" => Tag::StartDate,
            "endDate" => Tag::EndDate,
            "registrationDate" => Tag::RegistrationDate,
            "lastUpdateDate" => Tag::LastUpdateDate,
            _ => Tag::Other,
        }
    }
}

/// A value read from one element of a record (or the header's export date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Name,
    Acronym,
    EntityForm,
    Category,
    Country,
    City,
    Website,
    Goals,
    Proposals,
    Members,
    Fte,
    EpAccredited,
    CostMin,
    CostMax,
    CostAmount,
    /// Text directly inside `closedYear/costs` (an amount without a child element).
    CostDirect,
    FyStart,
    FyEnd,
    Registered,
    LastUpdate,
    // Lists and the header: not stored in `Draft::values`.
    Level,
    Interest,
    ExportDate,
}

/// Number of single-valued fields (those before `Level`).
const SCALARS: usize = Field::Level as usize;

impl Field {
    /// The element path named in rejection reasons.
    fn path(self) -> &'static str {
        match self {
            Field::Id => "identificationCode",
            Field::Name => "name/originalName",
            Field::Acronym => "acronym",
            Field::EntityForm => "entityForm",
            Field::Category => "registrationCategory",
            Field::Country => "headOffice/country",
            Field::City => "headOffice/city",
            Field::Website => "webSiteURL",
            Field::Goals => "goals",
            Field::Proposals => "EULegislativeProposals",
            Field::Members => "members/members",
            Field::Fte => "members/membersFTE",
            Field::EpAccredited => "EPAccreditedNumber",
            Field::CostMin => "financialData/closedYear/costs/range/min",
            Field::CostMax => "financialData/closedYear/costs/range/max",
            Field::CostAmount => "financialData/closedYear/costs (absolute amount)",
            Field::CostDirect => "financialData/closedYear/costs",
            Field::FyStart => "financialData/closedYear/startDate",
            Field::FyEnd => "financialData/closedYear/endDate",
            Field::Registered => "registrationDate",
            Field::LastUpdate => "lastUpdateDate",
            Field::Level => "levelsOfInterest/levelOfInterest",
            Field::Interest => "interests/interest/name",
            Field::ExportDate => "metaData/exportDate",
        }
    }
}

/// The field an element holds, from its path below `interestRepresentative`.
fn record_field(path: &[Tag]) -> Option<Field> {
    use Tag as T;
    Some(match path {
        [T::IdentificationCode] => Field::Id,
        [T::Name, T::OriginalName] => Field::Name,
        [T::Acronym] => Field::Acronym,
        [T::EntityForm] => Field::EntityForm,
        [T::RegistrationCategory] => Field::Category,
        [T::HeadOffice, T::Country] => Field::Country,
        [T::HeadOffice, T::City] => Field::City,
        [T::WebSiteUrl] => Field::Website,
        [T::Goals] => Field::Goals,
        [T::LevelsOfInterest, T::LevelOfInterest] => Field::Level,
        [T::Interests, T::Interest, T::Name] => Field::Interest,
        [T::EuLegislativeProposals] => Field::Proposals,
        [T::Members, T::Members] => Field::Members,
        [T::Members, T::MembersFte] => Field::Fte,
        [T::EpAccreditedNumber] => Field::EpAccredited,
        [T::FinancialData, T::ClosedYear, T::Costs, T::Range, T::Min] => Field::CostMin,
        [T::FinancialData, T::ClosedYear, T::Costs, T::Range, T::Max] => Field::CostMax,
        [T::FinancialData, T::ClosedYear, T::Costs, T::AbsoluteCost] => Field::CostAmount,
        [T::FinancialData, T::ClosedYear, T::StartDate] => Field::FyStart,
        [T::FinancialData, T::ClosedYear, T::EndDate] => Field::FyEnd,
        [T::RegistrationDate] => Field::Registered,
        [T::LastUpdateDate] => Field::LastUpdate,
        _ => return None,
    })
}

const COSTS_PATH: [Tag; 3] = [Tag::FinancialData, Tag::ClosedYear, Tag::Costs];

// ---------------------------------------------------------------------------------------------
// The parser

struct RegisterXml {
    xml: Reader<XmlInput>,
    buf: Vec<u8>,
    state: State,
}

impl RegisterXml {
    /// Reads events until a record is complete, the document ends, or the file proves unusable.
    fn advance(&mut self) -> Result<Option<Parsed>, SourceError> {
        loop {
            self.buf.clear();
            // Markup starts right where the previous event ended, so this is the event's line.
            let line = self.xml.get_ref().line();
            self.xml.get_mut().start_event();
            let event = match self.xml.read_event_into(&mut self.buf) {
                Ok(event) => event,
                Err(e) => {
                    let at_eof = self.xml.get_mut().fill_buf().is_ok_and(|rest| rest.is_empty());
                    let here = self.xml.get_ref().line();
                    return Err(self.state.xml_error(e, line, here, at_eof));
                }
            };
            let st = &mut self.state;
            let parsed = match event {
                Event::Start(e) => {
                    st.start(e.local_name().into_inner(), line)?;
                    None
                }
                Event::Empty(e) => {
                    st.start(e.local_name().into_inner(), line)?;
                    st.end(line)?
                }
                Event::End(_) => st.end(line)?,
                Event::Text(t) => {
                    if st.wants_text() && !t.contains('&') {
                        st.text(&t.xml_content(st.version), line)?;
                    } else {
                        st.text(&t, line)?;
                    }
                    None
                }
                Event::CData(t) => {
                    st.cdata(&t.xml_content(st.version), line)?;
                    None
                }
                Event::GeneralRef(r) => {
                    st.reference(&r, line)?;
                    None
                }
                Event::Decl(d) => {
                    st.version = d.xml_version().map_err(|e| SourceError::Malformed {
                        locator: Locator::Line(line),
                        reason: format!("XML declaration: {e}"),
                    })?;
                    None
                }
                Event::DocType(d) => return Err(refuse_doctype(&d, Locator::Line(line))),
                Event::Comment(_) | Event::PI(_) => None,
                Event::Eof => {
                    let here = self.xml.get_ref().line();
                    return self.state.finish(here).map(|()| None);
                }
            };
            // The record's size counts from its start tag to its end tag.
            self.xml.get_mut().in_record(self.state.in_record());
            if parsed.is_some() {
                return Ok(parsed);
            }
        }
    }
}

/// Everything known while reading: where we are, the header, the record being read.
struct State {
    version: XmlVersion,
    /// Open elements, outermost first.
    stack: Vec<Tag>,
    /// Their names, for messages; also what bounds the depth.
    open: Open,
    root_seen: bool,
    snapshot: Option<NaiveDate>,
    records_seen: u64,
    /// Stack depth of the open `interestRepresentative`.
    record_depth: Option<usize>,
    /// The element whose text is being collected, with its stack depth.
    capture: Option<(Field, usize)>,
    /// Stack depth of an open `closedYear/costs`, whose own text is collected too.
    costs_depth: Option<usize>,
    text: String,
    costs_text: String,
    draft: Draft,
    limits: Limits,
}

impl State {
    fn new(limits: &Limits) -> Self {
        State {
            version: XmlVersion::Implicit1_0,
            stack: Vec::new(),
            open: Open::new(limits),
            root_seen: false,
            snapshot: None,
            records_seen: 0,
            record_depth: None,
            capture: None,
            costs_depth: None,
            text: String::new(),
            costs_text: String::new(),
            draft: Draft::default(),
            limits: limits.clone(),
        }
    }
}

/// The raw values of the record being read.
#[derive(Default)]
struct Draft {
    index: u64,
    line: u64,
    values: [Option<String>; SCALARS],
    levels: Vec<String>,
    interests: Vec<String>,
    problems: Vec<String>,
}

impl Draft {
    fn get(&self, field: Field) -> Option<&str> {
        self.values[field as usize].as_deref()
    }

    fn set(&mut self, field: Field, value: Option<String>) {
        let Some(value) = value else { return };
        match field {
            Field::Level => self.levels.push(value),
            Field::Interest => self.interests.push(value),
            Field::ExportDate => {}
            _ => match &self.values[field as usize] {
                None => self.values[field as usize] = Some(value),
                Some(old) if *old == value => {}
                Some(old) => self
                    .problems
                    .push(format!("<{}> appears twice with different values ('{old}', '{value}')", field.path())),
            },
        }
    }
}

impl State {
    fn in_record(&self) -> bool {
        self.record_depth.is_some()
    }

    fn wants_text(&self) -> bool {
        self.capture.is_some() || self.costs_depth.is_some_and(|d| d == self.stack.len())
    }

    fn current_name(&self) -> &str {
        self.open.current()
    }

    fn open_path(&self) -> String {
        self.open.path()
    }

    /// Where a file-level error is reported: the record being read, else the line.
    fn locator(&self, line: u64) -> Locator {
        match self.record_depth {
            Some(_) => Locator::Element { name: RECORD.into(), index: self.records_seen, line },
            None => Locator::Line(line),
        }
    }

    fn malformed(&self, line: u64, reason: String) -> SourceError {
        SourceError::Malformed { locator: self.locator(line), reason }
    }

    /// A defect of the current record, or of the file when outside any record.
    fn bad(&mut self, line: u64, reason: String) -> Result<(), SourceError> {
        if self.in_record() {
            self.draft.problems.push(reason);
            Ok(())
        } else {
            Err(self.malformed(line, reason))
        }
    }

    fn start(&mut self, name: &str, line: u64) -> Result<(), SourceError> {
        let tag = Tag::of(name);
        if !self.root_seen {
            if tag != Tag::Root {
                return Err(
                    self.malformed(line, format!("the root element is <{name}>, expected <ListOfIRPublicDetail>"))
                );
            }
            self.root_seen = true;
        } else if self.stack.is_empty() {
            return Err(self.malformed(line, format!("element <{name}> after the end of the root element")));
        }
        self.open.push(name).map_err(|e| e.within(self.locator(line)))?;
        self.stack.push(tag);
        let depth = self.stack.len();
        if self.capture.is_some() {
            // Markup inside a collected element: its text is part of the value.
            return Ok(());
        }
        match self.record_depth {
            Some(record) => {
                let path = &self.stack[record..];
                if let Some(field) = record_field(path) {
                    self.capture = Some((field, depth));
                    self.text.clear();
                } else if path == COSTS_PATH {
                    self.costs_depth = Some(depth);
                    self.costs_text.clear();
                }
            }
            None if tag == Tag::Record => {
                self.records_seen += 1;
                self.record_depth = Some(depth);
                if self.snapshot.is_none() {
                    return Err(self.malformed(
                        line,
                        "<interestRepresentative> before metaData/exportDate: the snapshot date is unknown".into(),
                    ));
                }
                self.draft = Draft { index: self.records_seen, line, ..Draft::default() };
            }
            None if self.stack == [Tag::Root, Tag::MetaData, Tag::ExportDate] => {
                self.capture = Some((Field::ExportDate, depth));
                self.text.clear();
            }
            None => {}
        }
        Ok(())
    }

    fn end(&mut self, line: u64) -> Result<Option<Parsed>, SourceError> {
        let depth = self.stack.len();
        let mut parsed = None;
        if let Some((field, at)) = self.capture
            && at == depth
        {
            self.capture = None;
            self.finish_field(field, line)?;
        } else if self.costs_depth == Some(depth) {
            self.costs_depth = None;
            let value = non_empty(&self.costs_text);
            self.draft.set(Field::CostDirect, value);
        }
        if self.record_depth == Some(depth) {
            self.record_depth = None;
            parsed = Some(self.finish_record());
        }
        self.stack.pop();
        self.open.pop();
        Ok(parsed)
    }

    fn text(&mut self, content: &str, line: u64) -> Result<(), SourceError> {
        if content.contains('&') {
            let reason = format!("a bare '&' in <{}> (not an entity or character reference)", self.current_name());
            return self.bad(line, reason);
        }
        if self.stack.is_empty() && !content.trim().is_empty() {
            return Err(self.malformed(line, "text outside the root element".into()));
        }
        self.cdata(content, line)
    }

    /// Text that needs no checks (CDATA, or text already checked).
    fn cdata(&mut self, content: &str, line: u64) -> Result<(), SourceError> {
        let target = if self.capture.is_some() {
            &mut self.text
        } else if self.costs_depth.is_some_and(|d| d == self.stack.len()) {
            &mut self.costs_text
        } else {
            return Ok(());
        };
        // See `decode_reference`: NUL cannot be stored, whatever way it arrived.
        let content =
            if content.contains('\0') { content.replace('\0', "\u{FFFD}").into() } else { Cow::Borrowed(content) };
        push_text(target, &content, &self.limits)
            .map_err(|e| e.within(format_args!("{}, in {}", self.locator(line), self.open_path())).into())
    }

    fn reference(&mut self, name: &str, line: u64) -> Result<(), SourceError> {
        match decode_reference(name) {
            Ok(c) => {
                let mut utf8 = [0; 4];
                self.cdata(c.encode_utf8(&mut utf8), line)
            }
            Err(why) => {
                let reason = format!("{why} in <{}>", self.current_name());
                self.bad(line, reason)
            }
        }
    }

    fn finish_field(&mut self, field: Field, line: u64) -> Result<(), SourceError> {
        let value = match field {
            Field::Goals | Field::Proposals => non_empty(&clean_multiline(&self.text)),
            _ => non_empty(&self.text),
        };
        self.text.clear();
        if field != Field::ExportDate {
            self.draft.set(field, value);
            return Ok(());
        }
        let Some(value) = value else {
            return Err(self.malformed(line, "metaData/exportDate is empty".into()));
        };
        let Some(date) = iso_date(&value) else {
            return Err(self.malformed(line, format!("metaData/exportDate '{value}' is not an ISO 8601 date")));
        };
        match self.snapshot {
            Some(old) if old != date => {
                Err(self
                    .malformed(line, format!("a second metaData/exportDate '{value}' differs from the first ({old})")))
            }
            _ => {
                self.snapshot = Some(date);
                Ok(())
            }
        }
    }

    fn finish_record(&mut self) -> Parsed {
        let mut d = mem::take(&mut self.draft);
        let locator = Locator::Element { name: RECORD.into(), index: d.index, line: d.line };
        let mut problems = mem::take(&mut d.problems);
        let register_id = match d.get(Field::Id) {
            None => {
                problems.push("missing <identificationCode>".into());
                None
            }
            Some(raw) => {
                let id = RegisterId::parse(raw);
                if id.is_none() {
                    problems.push(format!(
                        "identificationCode '{raw}' is not a Transparency Register ID (8 to 12 digits, '-', 2 digits)"
                    ));
                }
                id
            }
        };
        if d.get(Field::Name).is_none() {
            problems.push("missing <name/originalName>".into());
        }
        let mut check = Checker { draft: &d, problems: &mut problems };
        let members = check.number(Field::Members, whole::<u32>, "a whole number");
        let fte = check.number(Field::Fte, decimal, "a decimal number");
        let ep_accredited = check.number(Field::EpAccredited, whole::<u32>, "a whole number");
        let costs = check.costs();
        let financial_year_start = check.date(Field::FyStart);
        let financial_year_end = check.date(Field::FyEnd);
        let registration_date = check.date(Field::Registered);
        let last_update_date = check.date(Field::LastUpdate);

        let (Some(register_id), Some(snapshot_date), true) = (register_id, self.snapshot, problems.is_empty()) else {
            return Parsed::Rejected(Rejection { locator, reason: problems.join("; ") });
        };
        let Draft { mut values, levels, interests, .. } = d;
        let mut take = |f: Field| values[f as usize].take();
        let entry = RegisterEntry {
            register_id,
            snapshot_date,
            name: take(Field::Name).unwrap_or_default(),
            acronym: take(Field::Acronym),
            entity_form: take(Field::EntityForm),
            category: take(Field::Category),
            head_office_country: take(Field::Country),
            head_office_city: take(Field::City),
            website: take(Field::Website),
            goals: take(Field::Goals),
            levels_of_interest: levels,
            fields_of_interest: interests,
            eu_legislative_proposals: take(Field::Proposals),
            members,
            fte,
            ep_accredited,
            costs,
            financial_year_start,
            financial_year_end,
            registration_date,
            last_update_date,
        };
        Parsed::Record(Sourced { locator, record: Record::Register(entry) })
    }

    fn finish(&self, line: u64) -> Result<(), SourceError> {
        if !self.root_seen {
            return Err(self.malformed(line, "no <ListOfIRPublicDetail> root element".into()));
        }
        if !self.stack.is_empty() {
            return Err(SourceError::Truncated { locator: self.locator(line), reason: self.cut_reason() });
        }
        if self.snapshot.is_none() {
            return Err(self.malformed(line, "no metaData/exportDate: the snapshot date is unknown".into()));
        }
        Ok(())
    }

    fn cut_reason(&self) -> String {
        let mut reason = format!("the file ends inside {}", self.open_path());
        if self.in_record() {
            reason.push_str(&format!(" (this <{RECORD}> started on line {})", self.draft.line));
        }
        reason
    }

    fn xml_error(&self, error: quick_xml::Error, line: u64, here: u64, at_eof: bool) -> SourceError {
        use quick_xml::Error as E;
        match error {
            E::Io(e) if crate::limits::limit_of(&e).is_some() => {
                SourceError::from_shared_io(&e).located(format_args!("{}, in {}", self.locator(here), self.open_path()))
            }
            E::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                SourceError::Truncated { locator: self.locator(here), reason: format!("{} ({e})", self.cut_reason()) }
            }
            E::Io(e) => SourceError::Io(io::Error::new(e.kind(), e.to_string())),
            E::Syntax(e) if at_eof => {
                SourceError::Truncated { locator: self.locator(here), reason: format!("{}: {e}", self.cut_reason()) }
            }
            E::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
                self.malformed(line, format!("</{found}> where </{expected}> was expected"))
            }
            E::Encoding(e) => self.malformed(line, format!("not valid UTF-8: {e}")),
            e => self.malformed(line, e.to_string()),
        }
    }
}

/// Turns a record's raw values into typed ones, noting every value that does not parse.
struct Checker<'a> {
    draft: &'a Draft,
    problems: &'a mut Vec<String>,
}

impl Checker<'_> {
    fn number<T>(&mut self, field: Field, parse: fn(&str) -> Option<T>, what: &str) -> Option<T> {
        let raw = self.draft.get(field)?;
        let value = parse(raw);
        if value.is_none() {
            self.problems.push(format!("{} '{raw}' is not {what}", field.path()));
        }
        value
    }

    fn date(&mut self, field: Field) -> Option<NaiveDate> {
        let raw = self.draft.get(field)?;
        let value = iso_date(raw);
        if value.is_none() {
            self.problems.push(format!("{} '{raw}' is not an ISO 8601 date", field.path()));
        }
        value
    }

    fn costs(&mut self) -> Option<Costs> {
        let min = self.number(Field::CostMin, amount, "an amount in euro");
        let max = self.number(Field::CostMax, amount, "an amount in euro");
        let absolute = self.number(Field::CostAmount, amount, "an amount in euro");
        let direct = self.number(Field::CostDirect, amount, "an amount in euro");
        let has = |f: Field| self.draft.get(f).is_some();
        let range = match (has(Field::CostMin), has(Field::CostMax)) {
            (false, false) => None,
            (true, true) => match (min, max) {
                (Some(min), Some(max)) if min <= max => Some(Costs::Range { min, max }),
                (Some(min), Some(max)) => {
                    self.problems.push(format!("closedYear costs range has min {min} above max {max}"));
                    None
                }
                _ => None,
            },
            // An open bracket cannot be stored as a range, and guessing its other end would
            // invent a value.
            (true, false) => {
                self.problems.push("closedYear costs range has a <min> but no <max>".into());
                None
            }
            (false, true) => {
                self.problems.push("closedYear costs range has a <max> but no <min>".into());
                None
            }
        };
        let exact = match (absolute, direct) {
            (Some(a), Some(b)) if a != b => {
                self.problems.push(format!("closedYear costs holds two different amounts ({a} and {b})"));
                None
            }
            (a, b) => a.or(b),
        };
        match (range, exact) {
            (Some(_), Some(_)) => {
                self.problems.push("closedYear costs holds both a range and an absolute amount".into());
                None
            }
            (Some(range), None) => Some(range),
            (None, Some(amount)) => Some(Costs::Amount { amount }),
            (None, None) => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Values

/// Decodes an entity or character reference (the text between `&` and `;`).
///
/// The export declares XML 1.1, which allows references to control characters (`&#x1F;`,
/// `&#11;`) that XML 1.0 forbids; they are kept as the characters they name. `&#x0;` is not
/// legal even in XML 1.1, yet the export has it: it becomes U+FFFD, because the store
/// (PostgreSQL `text`) cannot hold NUL, and dropping it silently would hide that a character
/// was there.
fn decode_reference(name: &str) -> Result<char, String> {
    let Some(number) = name.strip_prefix('#') else {
        return match name {
            "amp" => Ok('&'),
            "lt" => Ok('<'),
            "gt" => Ok('>'),
            "apos" => Ok('\''),
            "quot" => Ok('"'),
            _ => Err(format!("unknown entity '&{name};'")),
        };
    };
    let (digits, radix) = match number.strip_prefix('x') {
        Some(hex) => (hex, 16),
        None => (number, 10),
    };
    let invalid = || format!("invalid character reference '&{name};'");
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(invalid());
    }
    match u32::from_str_radix(digits, radix) {
        Ok(0) => Ok('\u{FFFD}'),
        Ok(code) => char::from_u32(code).ok_or_else(invalid),
        Err(_) => Err(invalid()),
    }
}

/// The date of an ISO 8601 date or date-time: `2018-10-25`, `2018-10-25T20:00:00`,
/// `2026-09-14T20:00:00.071+00:00`, `2020-01-10T12:00:00Z`. The date is taken as written (local
/// to the offset given); the time and offset must still be well-formed.
fn iso_date(s: &str) -> Option<NaiveDate> {
    Published::parse(s).filter(|p| p.iso).map(|p| p.date)
}

/// A count such as `3`: digits only.
fn whole<T: std::str::FromStr>(s: &str) -> Option<T> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// A non-negative decimal such as `0.25`; a decimal comma (`0,25`) is accepted too.
fn decimal(s: &str) -> Option<f64> {
    let normalised;
    let s = if s.contains(',') {
        if s.contains('.') || s.matches(',').count() > 1 {
            return None;
        }
        normalised = s.replace(',', ".");
        normalised.as_str()
    } else {
        s
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let ok = !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(s.ends_with('.'));
    if !ok {
        return None;
    }
    s.parse().ok()
}

/// An amount in euro: whole digits, or with a decimal point and cents, rounded to the euro.
fn amount(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.ends_with('.') {
        return None;
    }
    let euros: u64 = int.parse().ok()?;
    let round_up = frac.as_bytes().first().is_some_and(|&d| d >= b'5');
    euros.checked_add(u64::from(round_up))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::path::Path;

    use lobbyscope_domain::SourceKind;

    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/register/");
    const FULL_SAMPLE: &str =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/samples/transparency_register/ODP_2018-10_relaid.xml.gz");
    const SUBSET: &str = "ODP_2018-10_relaid_subset30.xml.gz";

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}{name}")).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
    }

    fn run(bytes: &[u8]) -> Vec<Result<Parsed, SourceError>> {
        let mut it = parse(Box::new(Cursor::new(bytes.to_vec())), &Limits::default()).unwrap();
        let items: Vec<_> = it.by_ref().collect();
        assert!(it.next().is_none(), "the stream stays ended");
        if let Some(i) = items.iter().position(Result::is_err) {
            assert_eq!(i, items.len() - 1, "nothing after an error");
        }
        items
    }

    fn entry(item: &Result<Parsed, SourceError>) -> (&Locator, &RegisterEntry) {
        match item {
            Ok(Parsed::Record(Sourced { locator, record: Record::Register(e) })) => (locator, e),
            other => panic!("expected a register entry, got {other:?}"),
        }
    }

    /// Every item must be an entry; returns them.
    fn entries(bytes: &[u8]) -> Vec<RegisterEntry> {
        run(bytes).iter().map(|i| entry(i).1.clone()).collect()
    }

    fn rejection(item: &Result<Parsed, SourceError>) -> &Rejection {
        match item {
            Ok(Parsed::Rejected(r)) => r,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    fn at(index: u64, line: u64) -> Locator {
        Locator::Element { name: RECORD.into(), index, line }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// A document with the real header around `records`.
    fn doc(records: &str) -> String {
        format!(
            "<?xml version='1.1' encoding='UTF-8'?>\n<ListOfIRPublicDetail xmlns=\"http://intragate.ec.europa.eu/transparencyregister/odp\">\n<metaData xmlns=\"\"><exportDate>2018-10-25T20:00:00</exportDate></metaData>\n<resultList xmlns=\"\">\n{records}</resultList>\n</ListOfIRPublicDetail>\n"
        )
    }

    fn isoc_checks(e: &RegisterEntry) {
        assert_eq!(e.register_id.as_str(), "953701819437-32");
        assert_eq!(e.snapshot_date, date("2018-10-25"));
        assert_eq!(e.name, "Internet Society (ISOC)");
        assert_eq!(e.acronym, None);
        assert_eq!(e.registration_date, Some(date("2015-11-05")));
        assert_eq!(e.last_update_date, None);
        assert_eq!(e.entity_form.as_deref(), Some("Not-for-profit corporation"));
        assert_eq!(e.category.as_deref(), Some("Non-governmental organisations, platforms and networks and similar"));
        assert_eq!(e.head_office_city.as_deref(), Some("Reston"), "not the EU office's Brussels");
        assert_eq!(e.head_office_country.as_deref(), Some("UNITED STATES"));
        assert_eq!(e.website.as_deref(), Some("http://www.internetsociety.org"));
        assert_eq!(e.members, Some(3));
        assert_eq!(e.fte, Some(1.5));
        assert_eq!(e.ep_accredited, Some(1));
        assert_eq!(e.costs, Some(Costs::Range { min: 300_000, max: 399_999 }));
        assert_eq!(e.financial_year_start, Some(date("2017-01-01")));
        assert_eq!(e.financial_year_end, Some(date("2017-12-01")));
        assert_eq!(e.levels_of_interest, ["global"]);
        assert_eq!(
            e.fields_of_interest,
            [
                "Culture and media",
                "International co-operation and development",
                "Justice and Fundamental Rights",
                "Single market",
                "Research and innovation",
                "Digital economy and society"
            ]
        );
        let goals = e.goals.as_deref().unwrap();
        assert!(goals.starts_with("The Internet Society (ISOC) is a global non-profit organization"));
        assert!(goals.contains("“fathers of the Internet”"));
        assert!(goals.ends_with("activities at national level."));
        assert!(goals.contains("  \n \nTo help achieve our mission"), "inner text kept as is");
        let proposals = e.eu_legislative_proposals.as_deref().unwrap();
        assert!(proposals.ends_with("•    EU initiatives linked to cyber security."));
    }

    fn stratinvest_checks(e: &RegisterEntry) {
        assert_eq!(e.register_id.as_str(), "000005130904-53", "leading zeros kept");
        assert_eq!(e.name, "STRATINVEST Consulting");
        assert_eq!(e.entity_form.as_deref(), Some("SAS (Société par Actions Simplifiée)"));
        assert_eq!(e.category.as_deref(), Some("Professional consultancies"));
        assert_eq!(e.head_office_city.as_deref(), Some("PARIS"));
        assert_eq!(e.head_office_country.as_deref(), Some("FRANCE"));
        assert_eq!(e.website.as_deref(), Some("https://www.stratinvest.fr"));
        assert_eq!(e.registration_date, Some(date("2018-03-22")));
        assert_eq!(e.members, Some(1));
        assert_eq!(e.fte, Some(0.25));
        assert_eq!(e.ep_accredited, Some(1));
        // The legacy absolute amount "0" was re-laid as the range 0-0: kept as published.
        assert_eq!(e.costs, Some(Costs::Range { min: 0, max: 0 }));
        assert_eq!((e.financial_year_start, e.financial_year_end), (None, None));
        assert_eq!(e.levels_of_interest, ["European", "national", "regional/local"]);
        assert_eq!(e.fields_of_interest.len(), 13);
        assert_eq!(e.fields_of_interest[1], "Economy, finance and the euro");
        assert_eq!(e.fields_of_interest[12], "Borders and Security");
    }

    // ---- real data ---------------------------------------------------------------------------

    #[test]
    fn real_subset_through_detection() {
        let opened = crate::open_path(Path::new(&format!("{FIXTURES}{SUBSET}"))).unwrap();
        assert_eq!(opened.kind, SourceKind::RegisterXml);
        let items: Vec<_> = crate::parse(opened.kind, opened.input).unwrap().collect();
        assert_eq!(items.len(), 30);
        let entries: Vec<_> = items.iter().map(entry).collect();
        let (loc, first) = entries[0];
        assert_eq!(*loc, at(1, 5));
        stratinvest_checks(first);
        assert_eq!(entries[1].1.register_id.as_str(), "000078626186-78");
        assert_eq!(*entries[1].0, at(2, 16));
        let (loc, imerys) = entries[27];
        assert_eq!(*loc, at(28, 390));
        assert_eq!(imerys.register_id.as_str(), "175286523869-61");
        assert!(imerys.eu_legislative_proposals.as_deref().unwrap().contains("RCS <Respirable Crystalline Silica>"));
        let (loc, unisystems) = entries[28];
        assert_eq!(*loc, at(29, 403));
        assert_eq!(unisystems.register_id.as_str(), "408474032898-55");
        assert_eq!(unisystems.costs, None, "no costs element");
        assert_eq!(unisystems.financial_year_start, Some(date("2017-01-01")));
        let (loc, isoc) = entries[29];
        assert_eq!(*loc, at(30, 409));
        isoc_checks(isoc);
        assert!(entries.iter().all(|(_, e)| e.snapshot_date == date("2018-10-25")));
    }

    #[test]
    fn full_real_sample() {
        if !Path::new(FULL_SAMPLE).exists() {
            eprintln!("note: {FULL_SAMPLE} not present (no ../shared in this clone); skipped");
            return;
        }
        let opened = crate::open_path(Path::new(FULL_SAMPLE)).unwrap();
        assert_eq!(opened.kind, SourceKind::RegisterXml);
        let items: Vec<_> = crate::parse(opened.kind, opened.input).unwrap().collect();
        assert_eq!(items.len(), 11_836);
        let entries: Vec<_> = items.iter().map(entry).collect(); // panics on any rejection or error
        stratinvest_checks(entries[0].1);
        assert_eq!(entries[11_835].1.register_id.as_str(), "999937013620-15");
        let (loc, isoc) = entries[11_291];
        assert_eq!(*loc, at(11_292, 178_722));
        isoc_checks(isoc);
        // Totals computed independently from the file (Python regexes over the XML).
        let es = || entries.iter().map(|(_, e)| e);
        assert_eq!(es().filter_map(|e| e.members).map(u64::from).sum::<u64>(), 49_477);
        assert!((es().filter_map(|e| e.fte).sum::<f64>() - 25_346.5).abs() < 1e-6);
        assert_eq!(es().filter(|e| e.ep_accredited.is_some()).count(), 2_431);
        assert_eq!(es().filter_map(|e| e.ep_accredited).map(u64::from).sum::<u64>(), 7_198);
        let ranges: Vec<_> = es()
            .filter_map(|e| match e.costs {
                Some(Costs::Range { min, max }) => Some((min, max)),
                _ => None,
            })
            .collect();
        assert_eq!(ranges.len(), 11_835);
        assert_eq!(ranges.iter().map(|r| r.0).sum::<u64>(), 1_840_170_190);
        assert_eq!(ranges.iter().map(|r| r.1).sum::<u64>(), 2_301_304_707);
        assert_eq!(ranges.iter().filter(|r| r.0 == r.1).count(), 2_321, "re-laid absolute amounts");
        assert_eq!(ranges.iter().filter(|r| *r == &(0, 0)).count(), 541);
        assert_eq!(es().map(|e| e.levels_of_interest.len()).sum::<usize>(), 21_333);
        assert_eq!(es().map(|e| e.fields_of_interest.len()).sum::<usize>(), 117_622);
        assert_eq!(es().filter(|e| e.website.is_some()).count(), 11_287);
        assert_eq!(es().filter(|e| e.financial_year_start.is_some()).count(), 11_358);
        assert_eq!(es().filter(|e| e.goals.is_some() && e.registration_date.is_some()).count(), 11_836);
        assert!(es().all(|e| e.acronym.is_none() && e.last_update_date.is_none()));
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let peak = status.lines().find(|l| l.starts_with("VmHWM")).unwrap_or("");
            eprintln!("register_xml: after streaming the sample (records kept in a Vec): {peak}");
        }
    }

    // ---- quirks --------------------------------------------------------------------------------

    #[test]
    fn xml_1_1_character_references_survive() {
        let es = entries(&fixture("handmade_xml11_charrefs.xml"));
        assert_eq!(es.len(), 2);
        assert_eq!(es[0].name, "Equinet\u{1F}Network");
        assert_eq!(es[0].goals.as_deref(), Some("Unit\u{0B}separated\nsecond line: & <b> \"q\" 'a' nul[\u{FFFD}] éé"));
        assert_eq!(es[0].snapshot_date, date("2026-10-02"));
        assert_eq!(es[1].register_id.as_str(), "0649790813-47");
        assert_eq!(es[1].name, "Zero\u{FFFD}Decimal", "NUL never reaches the store");
        assert_eq!(es[1].acronym.as_deref(), Some("\u{7F}X\u{85}Y"), "references are not line-end normalised");
    }

    #[test]
    fn namespace_reset_or_not_and_prefixes() {
        let items = run(&fixture("handmade_namespace_reset.xml"));
        assert_eq!(items.len(), 2);
        let (loc, e) = entry(&items[0]);
        assert_eq!(
            (loc, e.register_id.as_str(), e.name.as_str()),
            (&at(1, 8), "3978240953-79", "Reset to no namespace")
        );
        let (loc, e) = entry(&items[1]);
        assert_eq!((loc, e.register_id.as_str()), (&at(2, 15), "91408765797-03"));
        assert_eq!(e.name, "Still in the odp namespace");

        let es = entries(&fixture("handmade_namespace_prefixed.xml"));
        assert_eq!(es.len(), 1);
        assert_eq!(es[0].register_id.as_str(), "54437813115-56");
        assert_eq!(es[0].snapshot_date, date("2024-06-30"));
        assert_eq!(es[0].head_office_city.as_deref(), Some("Oslo"));
        assert_eq!(es[0].head_office_country.as_deref(), Some("NORWAY"));
    }

    #[test]
    fn odp_only_elements_and_cost_shapes() {
        let items = run(&fixture("handmade_odp_elements.xml"));
        assert_eq!(items.len(), 5);
        let (loc, e) = entry(&items[0]);
        assert_eq!(*loc, at(1, 5));
        let expected = RegisterEntry {
            register_id: RegisterId::parse("718971811339-46").unwrap(),
            snapshot_date: date("2026-09-14"),
            name: "Equinet".into(),
            acronym: Some("EQUINET".into()),
            entity_form: Some("AISBL".into()),
            category: Some("Non-governmental organisations, platforms and networks and similar".into()),
            head_office_country: Some("BELGIUM".into()),
            head_office_city: Some("Brussels".into()),
            website: Some("https://equineteurope.org".into()),
            goals: Some("Equinet promotes equality.\n\n    Second paragraph.".into()),
            levels_of_interest: strings(&["European", "global"]),
            fields_of_interest: strings(&["Justice and fundamental rights", "Employment and social affairs"]),
            eu_legislative_proposals: Some("Directive on standards for equality bodies, 2022/0400(APP)".into()),
            members: Some(12),
            fte: Some(3.5),
            ep_accredited: Some(2),
            costs: Some(Costs::Amount { amount: 70_553_100 }),
            financial_year_start: Some(date("2025-01-01")),
            financial_year_end: Some(date("2025-12-31")),
            registration_date: Some(date("2020-01-10")),
            last_update_date: Some(date("2026-09-14")),
        };
        assert_eq!(e, &expected);

        let (_, e) = entry(&items[1]);
        assert_eq!(e.register_id.as_str(), "000012345678-90");
        assert_eq!(e.costs, Some(Costs::Amount { amount: 25_000 }), "a number directly in <costs>");
        assert_eq!((e.members, e.fte), (Some(0), Some(0.0)));

        let (_, e) = entry(&items[2]);
        assert_eq!(e.costs, Some(Costs::Amount { amount: 1_235 }), "cents rounded to the euro");

        let (_, e) = entry(&items[3]);
        assert_eq!(e.name, "Empty elements");
        assert_eq!(
            (&e.acronym, &e.entity_form, &e.website, e.members, e.fte, e.ep_accredited, e.costs),
            (&None, &None, &None, None, None, None, None)
        );
        assert_eq!((e.financial_year_start, e.last_update_date), (None, None));
        assert!(e.levels_of_interest.is_empty());

        let (loc, e) = entry(&items[4]);
        assert_eq!(*loc, at(5, 55));
        assert_eq!(e.register_id.as_str(), "953701819437-32", "identificationCode matched by path only");
        assert_eq!(e.name, "Inner markup kept as text & CDATA <raw>");
        assert_eq!(e.head_office_city.as_deref(), Some("Reston"));
        assert_eq!(e.goals.as_deref(), Some("Line one\nLine two"));
    }

    #[test]
    fn bad_records_are_rejected_and_the_rest_loads() {
        let items = run(&fixture("handmade_bad_records.xml"));
        assert_eq!(items.len(), 10);
        let good: Vec<_> = [0, 2, 9].iter().map(|&i| entry(&items[i]).1.name.clone()).collect();
        assert_eq!(good, ["Good one", "Good two", "Good three"]);
        assert_eq!(entry(&items[9]).1.costs, Some(Costs::Range { min: 50_000, max: 99_999 }));
        let expected = [
            (1, "registrationDate '2022-13-01T00:00:00.000+00:00' is not an ISO 8601 date"),
            (3, "identificationCode '12345-67' is not a Transparency Register ID (8 to 12 digits, '-', 2 digits)"),
            (4, "missing <name/originalName>"),
            (5, "unknown entity '&eacute;' in <goals>"),
            (6, "members/members 'three' is not a whole number; members/membersFTE '1.2.3' is not a decimal number"),
            (7, "a bare '&' in <webSiteURL> (not an entity or character reference)"),
            (8, "closedYear costs range has min 99999 above max 50000"),
        ];
        for (i, reason) in expected {
            let r = rejection(&items[i]);
            assert_eq!(r.locator, at(i as u64 + 1, i as u64 + 5));
            assert_eq!(r.reason, reason);
        }
    }

    #[test]
    fn conflicting_duplicates_and_open_ranges_are_rejected_not_guessed() {
        let items = run(doc(concat!(
            "<interestRepresentative><identificationCode>3978240953-79</identificationCode><name><originalName>A</originalName></name>",
            "<headOffice><city>Paris</city><city>Lyon</city></headOffice></interestRepresentative>\n",
            "<interestRepresentative><identificationCode>3978240953-79</identificationCode><name><originalName>B</originalName></name>",
            "<financialData><closedYear><costs><range><min>10000000</min><max></max></range></costs></closedYear></financialData></interestRepresentative>\n",
            "<interestRepresentative><identificationCode>3978240953-79</identificationCode><name><originalName>C</originalName></name>",
            "<financialData><closedYear><costs><range><min>1</min><max>2</max></range><absoluteCost>5</absoluteCost></costs></closedYear></financialData></interestRepresentative>\n",
            "<interestRepresentative><identificationCode>3978240953-79</identificationCode><name><originalName>D</originalName></name>",
            "<registrationDate>2020-01-10T25:00:00Z</registrationDate><EPAccreditedNumber>-1</EPAccreditedNumber><membersFTE>x</membersFTE></interestRepresentative>\n",
            "<interestRepresentative><name><originalName>E</originalName></name><goals>&#xD800;&#X41;&#;</goals></interestRepresentative>\n",
        ))
        .as_bytes());
        let reasons: Vec<_> = items.iter().map(|i| rejection(i).reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "<headOffice/city> appears twice with different values ('Paris', 'Lyon')",
                "closedYear costs range has a <min> but no <max>",
                "closedYear costs holds both a range and an absolute amount",
                "EPAccreditedNumber '-1' is not a whole number; registrationDate '2020-01-10T25:00:00Z' is not an ISO 8601 date",
                "invalid character reference '&#xD800;' in <goals>; invalid character reference '&#X41;' in <goals>; \
                 invalid character reference '&#;' in <goals>; missing <identificationCode>",
            ]
        );
        assert_eq!(rejection(&items[4]).locator, at(5, 9));
    }

    #[test]
    fn truncated_file_ends_with_truncated_and_nothing_after() {
        let items = run(&fixture("handmade_truncated.xml"));
        assert_eq!(items.len(), 3);
        entry(&items[0]);
        rejection(&items[1]);
        match &items[2] {
            Err(SourceError::Truncated { locator, reason }) => {
                assert_eq!(*locator, at(3, 7));
                assert!(reason.contains("interestRepresentative/goals"), "{reason}");
                assert!(reason.contains("started on line 7"), "{reason}");
            }
            other => panic!("expected Truncated, got {other:?}"),
        }
        // Cut inside a tag, and cut between records: still truncated.
        let full = doc(
            "<interestRepresentative><identificationCode>3978240953-79</identificationCode><name><originalName>A</originalName></name></interestRepresentative>\n",
        );
        let cut_in_tag = &full[..full.find("<originalName>").unwrap() + 5];
        let items = run(cut_in_tag.as_bytes());
        assert!(
            matches!(&items[..], [Err(SourceError::Truncated { locator, .. })] if *locator == at(1, 5)),
            "{items:?}"
        );
        let cut_between = &full[..full.find("</resultList>").unwrap()];
        let items = run(cut_between.as_bytes());
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[1], Err(SourceError::Truncated { locator: Locator::Line(6), .. })), "{items:?}");
    }

    #[test]
    fn every_cut_of_a_document_is_an_error_never_a_panic() {
        let full = fixture("handmade_odp_elements.xml");
        let root_open = full.windows(22).position(|w| w == b"<ListOfIRPublicDetail ").unwrap();
        let root_close = full.windows(23).position(|w| w == b"</ListOfIRPublicDetail>").unwrap() + 23;
        for cut in 0..full.len() {
            let items = run(&full[..cut]);
            let last = items.last();
            if cut >= root_close {
                assert!(items.iter().all(Result::is_ok), "cut {cut}");
                assert_eq!(items.len(), 5);
            } else if cut > root_open + 22 {
                assert!(matches!(last, Some(Err(SourceError::Truncated { .. }))), "cut {cut}: {last:?}");
            } else {
                assert!(matches!(last, Some(Err(_))), "cut {cut}: {last:?}");
            }
        }
    }

    #[test]
    fn truncated_gzip_is_truncated() {
        let gz = fixture(SUBSET);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.xml.gz");
        // Cut late enough that more than detection's 64 KiB sniff decompresses: an earlier cut
        // fails inside `open_path` already (as `SourceError::Io`).
        std::fs::write(&path, &gz[..gz.len() * 4 / 5]).unwrap();
        let opened = crate::open_path(&path).unwrap();
        let items: Vec<_> = crate::parse(opened.kind, opened.input).unwrap().collect();
        assert!(items.len() > 1 && items.len() < 30, "{}", items.len());
        assert!(items[..items.len() - 1].iter().all(Result::is_ok));
        assert!(matches!(items.last(), Some(Err(SourceError::Truncated { .. }))), "{:?}", items.last());
    }

    #[test]
    fn mismatched_end_tag_is_malformed_with_its_line() {
        let items = run(&fixture("handmade_mismatched_tag.xml"));
        assert_eq!(items.len(), 2);
        assert_eq!(entry(&items[0]).1.name, "Good one");
        match &items[1] {
            Err(SourceError::Malformed { locator, reason }) => {
                assert_eq!(*locator, at(2, 6));
                assert_eq!(reason, "</country> where </city> was expected");
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn header_problems_make_the_file_malformed() {
        let record = "<interestRepresentative><identificationCode>3978240953-79</identificationCode><name><originalName>A</originalName></name></interestRepresentative>";
        let malformed = |xml: &str| -> (Locator, String) {
            let items = run(xml.as_bytes());
            match items.last() {
                Some(Err(SourceError::Malformed { locator, reason })) => (locator.clone(), reason.clone()),
                other => panic!("expected Malformed for {xml:?}, got {other:?}"),
            }
        };
        let before = format!(
            "<ListOfIRPublicDetail><resultList>\n{record}</resultList><metaData><exportDate>2018-10-25</exportDate></metaData></ListOfIRPublicDetail>"
        );
        let (loc, reason) = malformed(&before);
        assert_eq!(loc, at(1, 2));
        assert!(reason.contains("before metaData/exportDate"), "{reason}");
        let none = "<ListOfIRPublicDetail><metaData/><resultList></resultList>\n</ListOfIRPublicDetail>";
        assert_eq!(malformed(none).0, Locator::Line(2));
        let bad =
            "<ListOfIRPublicDetail><metaData><exportDate>25/10/2018</exportDate></metaData></ListOfIRPublicDetail>";
        assert_eq!(malformed(bad).1, "metaData/exportDate '25/10/2018' is not an ISO 8601 date");
        let (_, reason) = malformed("<?xml version='1.0'?>\n<meetings><meeting/></meetings>");
        assert!(reason.contains("<meetings>"), "{reason}");
        assert_eq!(malformed("").1, "no <ListOfIRPublicDetail> root element");
        assert_eq!(malformed("<?xml version='2.0'?><ListOfIRPublicDetail/>").0, Locator::Line(1));
        let second_root =
            doc("").replace("</ListOfIRPublicDetail>\n", "</ListOfIRPublicDetail>\n<ListOfIRPublicDetail/>");
        assert_eq!(malformed(&second_root).0, Locator::Line(7));
        let mut not_utf8 = doc(record).into_bytes();
        let i = not_utf8.windows(1).position(|w| w == b"A").unwrap();
        not_utf8[i] = 0xFF;
        let items = run(&not_utf8);
        assert!(
            matches!(items.last(), Some(Err(SourceError::Malformed { reason, .. })) if reason.contains("UTF-8")),
            "{items:?}"
        );
        let entity_in_header =
            "<ListOfIRPublicDetail><metaData><exportDate>&foo;</exportDate></metaData></ListOfIRPublicDetail>";
        assert_eq!(malformed(entity_in_header).1, "unknown entity '&foo;' in <exportDate>");
    }

    // ---- values --------------------------------------------------------------------------------

    #[test]
    fn iso_dates_take_the_date_part_of_well_formed_values_only() {
        for ok in [
            "2018-10-25",
            "2018-10-25T20:00:00",
            "2018-10-25T20:00",
            "2018-10-25T20:00:00Z",
            "2018-10-25T20:00:00.071+00:00",
            "2018-10-25T20:00:00+0200",
            "2018-10-25T20:00:00-05",
            "2018-10-25 20:00:00.5",
        ] {
            assert_eq!(iso_date(ok), Some(date("2018-10-25")), "{ok}");
        }
        for bad in [
            "25/10/2018",
            "2018-13-01",
            "2018-02-30",
            "2018-1-05",
            "2018-10-25T",
            "2018-10-25T20",
            "2018-10-25T20:61:00",
            "2018-10-25T20:00:00.",
            "2018-10-25T20:00:00+2:00",
            "2018-10-25x",
            "2018-10-25T20:00:00 Z",
            "２018-10-25",
            "2018/10/25",
        ] {
            assert_eq!(iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(whole::<u32>("12"), Some(12));
        assert_eq!(whole::<u32>("99999999999"), None, "overflow");
        for bad in ["", "+1", "-1", "1.0", " 1"] {
            assert_eq!(whole::<u32>(bad), None, "{bad}");
        }
        assert_eq!(decimal("0.25"), Some(0.25));
        assert_eq!(decimal("0,25"), Some(0.25));
        assert_eq!(decimal("3"), Some(3.0));
        assert_eq!(decimal(".5"), Some(0.5));
        for bad in ["", ".", "1.", "1,2,3", "1,234.5", "inf", "NaN", "1e3", "-1"] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
        assert_eq!(amount("70553100"), Some(70_553_100));
        assert_eq!(amount("99999.49"), Some(99_999));
        assert_eq!(amount("99999.5"), Some(100_000));
        for bad in ["", "1.", "1,5", "50 000", "-5", "€5"] {
            assert_eq!(amount(bad), None, "{bad}");
        }
    }

    #[test]
    fn character_references() {
        assert_eq!(decode_reference("amp"), Ok('&'));
        assert_eq!(decode_reference("#x1F"), Ok('\u{1F}'));
        assert_eq!(decode_reference("#11"), Ok('\u{0B}'));
        assert_eq!(decode_reference("#x0"), Ok('\u{FFFD}'));
        assert_eq!(decode_reference("#0000"), Ok('\u{FFFD}'));
        assert_eq!(decode_reference("#x1F600"), Ok('😀'));
        assert!(decode_reference("#x110000").is_err());
        assert!(decode_reference("#99999999999").is_err());
        assert!(decode_reference("#x-1").is_err());
        assert_eq!(decode_reference("nbsp"), Err("unknown entity '&nbsp;'".into()));
    }
}
