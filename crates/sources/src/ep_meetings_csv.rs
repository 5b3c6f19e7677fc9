//! European Parliament "search MEP meetings" CSV export (FORMATS.md §2.1).
//!
//! Header `title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,
//! lobbyist_id`, columns mapped by name, optional UTF-8 BOM (csv-core strips it), RFC 4180 quoting
//! (quoted fields may span lines). One [`Meeting`] per row, located by the line the row starts on.
//!
//! The file is read one record at a time; nothing but the current row (and the next, to know
//! which is the last) is held in memory.
//!
//! Quoted fields may span lines, so a quote left open cannot be told from a long field until the
//! file ends. What is checked: a row longer than [`Limits::csv_row_bytes`] stops the file (that
//! also bounds what an open quote can swallow); a quote still open at the end of the file is a
//! truncated file, naming the line it opened on, never one giant field; a row whose fields do
//! not match the header is rejected with the lines it spans, so that rows merged by a stray
//! quote show as such; and a last row that is short of fields and has no line break after it is
//! a file cut short.

use std::collections::HashSet;

use csv::ByteRecord;
use lobbyscope_domain::{
    Attendee, Host, Institution, Locator, Meeting, ProcedureRef, Record, RegisterId, Sourced, fold_words, is_legal_form,
};

use crate::dates::Published;
use crate::limits::{Limit, LimitExceeded, bytes, limit_error, thousands};
use crate::text::{clean_multiline, non_empty};
use crate::{Input, Limits, Parsed, Records, Rejection, SourceError};

/// The columns of the official export, in their published order.
pub const COLUMNS: [&str; 8] = [
    "title",
    "member_id",
    "member_name",
    "meeting_date",
    "member_capacity",
    "procedure_reference",
    "attendees",
    "lobbyist_id",
];

const TITLE: usize = 0;
const MEMBER_ID: usize = 1;
const MEMBER_NAME: usize = 2;
const MEETING_DATE: usize = 3;
const MEMBER_CAPACITY: usize = 4;
const PROCEDURE_REFERENCE: usize = 5;
const ATTENDEES: usize = 6;
const LOBBYIST_ID: usize = 7;

/// The csv reader's buffer; a row is bounded to within this of [`Limits::csv_row_bytes`] while
/// it is read, and exactly once it is.
const BUFFER: usize = 64 * 1024;

/// The one field of the record [`CsvInput`] adds after the file's last line. No real line is
/// this (it holds NUL bytes), so reading it back means the file ended outside any quote; finding
/// it at the end of a field instead means a quote was still open at the end of the file.
const END: &[u8] = b"\0lobbyscope: end of input\0";

pub(crate) fn parse(input: Input, limits: &Limits) -> Result<Records, SourceError> {
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        // A row with the wrong number of fields is one bad record, not a broken file.
        .flexible(true)
        // Rows end at `\n`. With csv's default (`\r`, `\n` or `\r\n`) the `\n` of a CRLF is only
        // consumed when the next row is read, after its position was taken, so every row of a
        // CRLF file (the sample is one) would be located one line too early. The `\r` left at the
        // end of the last field is trimmed with the rest of the value.
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(BUFFER)
        .from_reader(CsvInput::new(input, limits));
    let mut rows = Rows {
        reader,
        index: [0; 8],
        names: Vec::new(),
        limits: limits.clone(),
        ahead: None,
        spare: ByteRecord::new(),
        ended: false,
    };
    let Some(header) = rows.read()? else {
        return Err(SourceError::Malformed {
            locator: Locator::Line(1),
            reason: "empty file: no EP meetings CSV header".into(),
        });
    };
    rows.index = column_index(&header.record)
        .map_err(|reason| SourceError::Malformed { locator: Locator::Line(header.line), reason })?;
    rows.names = header.record.iter().map(|f| String::from_utf8_lossy(f).trim().to_owned()).collect();
    rows.spare = header.record;
    Ok(crate::stream(move || rows.next_row()))
}

/// Where each official column sits in this file's header.
fn column_index(header: &ByteRecord) -> Result<[usize; 8], String> {
    let names: Vec<String> = header
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
        .collect();
    let mut index = [0; 8];
    let mut missing = Vec::new();
    for (i, column) in COLUMNS.iter().enumerate() {
        match names.iter().position(|n| n == column) {
            Some(at) => index[i] = at,
            None => missing.push(*column),
        }
    }
    if missing.is_empty() {
        Ok(index)
    } else {
        let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
        Err(format!(
            "not an EP meetings CSV header: missing column(s) {} (first line has: {})",
            missing.join(", "),
            shown.join(",")
        ))
    }
}

/// A reading error of the row that starts on `line`.
fn csv_error(e: csv::Error, line: u64) -> SourceError {
    let line = e.position().map_or(line, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => SourceError::Truncated {
            locator: Locator::Line(line),
            reason: format!("the compressed data ends early ({io})"),
        },
        csv::ErrorKind::Io(io) => SourceError::from(io).located(Locator::Line(line)),
        other => SourceError::Malformed { locator: Locator::Line(line), reason: format!("{other:?}") },
    }
}

/// Where the input stands at its end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    /// Still reading the file.
    Data,
    /// The file has ended; this much of what follows it has been given out.
    After(usize),
}

/// The file, as the csv reader gets it: followed by a `\n` when its last line has none, then by
/// the [`END`] record; and failing once the row being read has grown past
/// [`Limits::csv_row_bytes`] (plus the reader's buffer, which may run ahead of it).
struct CsvInput {
    inner: Input,
    tail: Tail,
    last: u8,
    /// The file's last line had no line break (one was added).
    unterminated: bool,
    /// Line breaks of the file itself.
    newlines: u64,
    given: u64,
    /// Where the row being read started, in bytes given and as a line.
    row_start: u64,
    row_line: u64,
    row_cap: u64,
    limits: Limits,
}

impl CsvInput {
    fn new(inner: Input, limits: &Limits) -> Self {
        CsvInput {
            inner,
            tail: Tail::Data,
            last: b'\n',
            unterminated: false,
            newlines: 0,
            given: 0,
            row_start: 0,
            row_line: 1,
            row_cap: limits.csv_row_bytes.saturating_add(BUFFER as u64),
            limits: limits.clone(),
        }
    }

    /// What follows the file.
    fn after(&self) -> &'static [u8] {
        const AFTER: &[u8] = b"\n\0lobbyscope: end of input\0\n";
        if self.unterminated { AFTER } else { &AFTER[1..] }
    }

    /// The file's lines: the last one, with or without its line break.
    fn lines(&self) -> u64 {
        self.newlines + u64::from(self.unterminated)
    }

    fn row_too_long(&self) -> LimitExceeded {
        let long = bytes(self.limits.csv_row_bytes);
        // The bytes given may run a buffer ahead of the row, so its last line is a bound.
        let found = if self.newlines + 1 > self.row_line {
            format!(
                "a row longer than {long}, from line {} to near line {} (a quote opened in it and never closed would read the rest of the file into one field)",
                thousands(self.row_line),
                thousands(self.newlines + 1)
            )
        } else {
            format!("a row longer than {long} on one line")
        };
        LimitExceeded::new(&self.limits, Limit::CsvRowBytes, found, "")
    }
}

impl std::io::Read for CsvInput {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.given - self.row_start > self.row_cap {
            return Err(limit_error(self.row_too_long()));
        }
        if self.tail == Tail::Data {
            let n = self.inner.read(buf)?;
            if n > 0 {
                self.last = buf[n - 1];
                self.newlines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
                self.given += n as u64;
                return Ok(n);
            }
            self.unterminated = self.last != b'\n';
            self.tail = Tail::After(0);
        }
        let Tail::After(done) = self.tail else { return Ok(0) };
        let rest = &self.after()[done..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.tail = Tail::After(done + n);
        self.given += n as u64;
        Ok(n)
    }
}

/// A row read, and the line it starts on.
struct Row {
    record: ByteRecord,
    line: u64,
    /// Line breaks inside its quoted fields.
    inside: u64,
}

struct Rows {
    reader: csv::Reader<CsvInput>,
    index: [usize; 8],
    /// The header's column names, for messages.
    names: Vec<String>,
    limits: Limits,
    /// The row after the one being handed out: a row is known to be the last only once reading
    /// the next finds the end.
    ahead: Option<Row>,
    spare: ByteRecord,
    ended: bool,
}

impl Rows {
    /// The next row that is not blank, or `None` at the end of the file.
    fn read(&mut self) -> Result<Option<Row>, SourceError> {
        loop {
            if self.ended {
                return Ok(None);
            }
            let start = self.reader.position().clone();
            let input = self.reader.get_mut();
            input.row_start = start.byte();
            input.row_line = start.line();
            let mut record = std::mem::take(&mut self.spare);
            if !self.reader.read_byte_record(&mut record).map_err(|e| csv_error(e, start.line()))? {
                // Only after an open quote swallowed the end record, which was reported then.
                self.ended = true;
                return Ok(None);
            }
            if record.len() == 1 && &record[0] == END {
                self.ended = true;
                return Ok(None);
            }
            let inside = record.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
            let after = self.reader.position();
            if record.get(record.len().saturating_sub(1)).is_some_and(|last| last.ends_with(&[END, b"\n"].concat())) {
                // No line break ended this record: it runs to the end of the input.
                let line = after.line() - inside;
                return Err(self.open_quote(line));
            }
            // A blank CRLF line is a record of one field "\r"; csv itself skips blank LF lines.
            if record.len() == 1 && record[0].trim_ascii().is_empty() {
                self.spare = record;
                continue;
            }
            // Counted back from the end of the record, which is exact: csv's own line is taken
            // before the blank lines it skips, and every record ends with `\n` (see `CsvInput`),
            // the only other line breaks in it being inside its quoted fields.
            let line = after.line() - 1 - inside;
            let length = after.byte() - start.byte();
            if length > self.limits.csv_row_bytes {
                return Err(SourceError::from(self.reader.get_ref().row_too_long()).located(Locator::Line(line)));
            }
            self.check_fields(&record, line)?;
            return Ok(Some(Row { record, line, inside }));
        }
    }

    fn open_quote(&self, line: u64) -> SourceError {
        let last = self.reader.get_ref().lines();
        let reason = if last > line {
            format!(
                "a quote opened in the row on line {line} is never closed: lines {line} to {last}, the rest of the file, would be read as one field"
            )
        } else {
            format!("a quote opened in the row on line {line}, the last, is never closed")
        };
        SourceError::Truncated { locator: Locator::Line(line), reason }
    }

    fn check_fields(&self, record: &ByteRecord, line: u64) -> Result<(), SourceError> {
        let limit = self.limits.csv_field_bytes;
        let Some((i, field)) = record.iter().enumerate().find(|(_, f)| f.len() as u64 > limit) else {
            return Ok(());
        };
        let column = match self.names.get(i) {
            Some(name) => format!("field {} ('{name}')", i + 1),
            None => format!("field {}", i + 1),
        };
        let found = format!("{column} of {}", bytes(field.len() as u64));
        Err(SourceError::from(LimitExceeded::new(&self.limits, Limit::CsvFieldBytes, found, ""))
            .located(Locator::Line(line)))
    }

    /// Why a row that spans lines looks like several rows merged by a quote left open: lines
    /// inside its quoted fields that are shaped like this file's rows. A real title or attendee
    /// list may run over several lines, but none of its lines holds a member id and a meeting
    /// date where this file's columns have them.
    fn merged(&self, row: &Row) -> Option<String> {
        if row.inside == 0 {
            return None;
        }
        let mut line = row.line;
        let mut shaped = Vec::new();
        for field in &row.record {
            let mut lines = field.split(|&b| b == b'\n');
            // The first piece continues a line the field began on.
            lines.next();
            for piece in lines {
                line += 1;
                if self.shaped_like_a_row(piece) {
                    shaped.push(line);
                }
            }
        }
        let (first, last) = (shaped.first()?, shaped.last()?);
        let lines = match shaped.len() {
            1 => format!("line {first}"),
            n => format!("{n} lines from {first} to {last}"),
        };
        Some(format!(
            "a quoted field runs from line {} to line {} and holds what look like rows of this file ({lines}): \
             a quote left open on line {} seems to have merged them into this row, so none of them is read",
            row.line,
            row.line + row.inside,
            row.line
        ))
    }

    fn shaped_like_a_row(&self, line: &[u8]) -> bool {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(line.len() + 1)
            .from_reader(line);
        let mut record = ByteRecord::new();
        if !matches!(reader.read_byte_record(&mut record), Ok(true)) || record.len() < self.names.len() {
            return false;
        }
        let text =
            |column: usize| record.get(self.index[column]).and_then(|f| std::str::from_utf8(f).ok()).map(str::trim);
        text(MEMBER_ID).is_some_and(|id| id.parse::<u64>().is_ok())
            && text(MEETING_DATE).is_some_and(|date| Published::plain_date(date).is_some())
    }

    fn next_row(&mut self) -> Result<Option<Parsed>, SourceError> {
        let current = match self.ahead.take() {
            Some(row) => row,
            None => match self.read()? {
                Some(row) => row,
                None => return Ok(None),
            },
        };
        self.ahead = self.read()?;
        let width = self.names.len();
        if self.ahead.is_none() && self.reader.get_ref().unterminated && current.record.len() < width {
            return Err(SourceError::Truncated {
                locator: Locator::Line(current.line),
                reason: format!(
                    "the row on line {} stops after {} of the header's {width} fields, with no line break after it: the file looks cut short",
                    current.line,
                    current.record.len()
                ),
            });
        }
        let locator = Locator::Line(current.line);
        if let Some(reason) = self.merged(&current) {
            self.spare = current.record;
            return Ok(Some(Parsed::Rejected(Rejection { locator, reason })));
        }
        let parsed = match row(&current, &self.index, width) {
            Ok(meeting) => Parsed::Record(Sourced { locator, record: Record::Meeting(meeting) }),
            Err(reason) => Parsed::Rejected(Rejection { locator, reason }),
        };
        self.spare = current.record;
        Ok(Some(parsed))
    }
}

/// One row to a meeting, or the reason it cannot be one.
fn row(row: &Row, index: &[usize; 8], width: usize) -> Result<Meeting, String> {
    let record = &row.record;
    if record.len() != width {
        let fields = format!("row has {} fields, the header has {width}", record.len());
        return Err(match row.inside {
            0 => fields,
            n => format!(
                "{fields}; it spans lines {} to {}, so a quote may have been left open on the first and closed on the last",
                row.line,
                row.line + n
            ),
        });
    }
    let field = |column: usize| -> Result<&str, String> {
        let bytes = record.get(index[column]).unwrap_or_default();
        std::str::from_utf8(bytes).map_err(|_| format!("{} is not valid UTF-8", COLUMNS[column]))
    };

    let date_text = field(MEETING_DATE)?.trim();
    let date = Published::plain_date(date_text)
        .ok_or_else(|| format!("meeting_date '{date_text}' is not a date YYYY-MM-DD"))?;
    let id_text = field(MEMBER_ID)?.trim();
    let ep_id: u64 = id_text.parse().map_err(|_| format!("member_id '{id_text}' is not an integer"))?;
    let name = non_empty(field(MEMBER_NAME)?).ok_or("member_name is empty")?;
    let host = Host { name, role: non_empty(field(MEMBER_CAPACITY)?), ep_id: Some(ep_id) };

    let attendees_raw = field(ATTENDEES)?.trim().to_owned();
    let attendees = attendees(&attendees_raw, field(LOBBYIST_ID)?);

    Ok(Meeting {
        institution: Institution::Parliament,
        date,
        hosts: vec![host],
        cabinet: None,
        dg: None,
        dg_acronym: None,
        portfolio: None,
        location: None,
        subject: clean_multiline(field(TITLE)?),
        procedures: ProcedureRef::find_all(field(PROCEDURE_REFERENCE)?),
        attendees,
        attendees_raw,
    })
}

// ---------------------------------------------------------------------------------------------
// Attendees

/// The organisations of one meeting, from the `attendees` cell and the `lobbyist_id` cell.
///
/// The separators of both cells are undocumented (one code base says `|`, the real content uses
/// `, ` and sometimes `;` or `|`), so:
///
/// - Register IDs are taken by regex (`RegisterId::find_all`) wherever they appear.
/// - The attendees cell is cut into pieces ([`pieces`]): on `|` and `;` where the cell uses
///   them, else on `,`; never inside parentheses, brackets or quotes; a piece that is only a
///   legal form ("Acme, Inc.") stays with the name before it; trimmed, empties dropped. A piece
///   without an ID is a name. A piece holding a name and an ID keeps both (the name is the text
///   before the ID, or after it when nothing comes before, minus labels such as "TR",
///   "Identification number:" and the parentheses around the ID). A piece that is only an ID
///   (possibly with such a label) is attached to the preceding name when that one has no ID yet,
///   as in `"EuroISPA, 54437813115-56, Internet Society(ISOC), 953701819437-32"`; otherwise it
///   becomes an attendee without a name. A piece with several IDs is cut after each ID.
/// - Names that themselves contain commas ("Acme, Inc.") are cut into pieces here too. The
///   pieces are kept in their published order: the linker re-joins adjacent pieces with ", "
///   when that matches a registered name. Nothing here guesses which pieces belong together.
/// - When the attendees text carries no ID at all and it has exactly as many names as
///   `lobbyist_id` holds IDs, names and IDs are paired by position; otherwise every
///   `lobbyist_id` ID not already attached is appended as an attendee without a name.
pub(crate) fn attendees(cell: &str, lobbyist_id: &str) -> Vec<Attendee> {
    let mut out: Vec<Attendee> = Vec::new();
    let mut ids_in_text = false;
    for piece in pieces(cell) {
        let spans = id_spans(piece);
        if spans.is_empty() {
            out.push(Attendee { name: Some(piece.to_owned()), register_id: None });
            continue;
        }
        ids_in_text = true;
        let single = spans.len() == 1;
        let mut from = 0;
        for (start, end, id) in &spans {
            let mut name = clean_name(&piece[from..*start]);
            if single && name.is_none() {
                name = clean_name(&piece[*end..]);
            }
            push_with_id(&mut out, name, id.clone());
            from = *end;
        }
        if !single && let Some(rest) = clean_name(&piece[from..]) {
            out.push(Attendee { name: Some(rest), register_id: None });
        }
    }

    let listed = RegisterId::find_all(lobbyist_id);
    if !ids_in_text && !listed.is_empty() && out.len() == listed.len() {
        for (attendee, id) in out.iter_mut().zip(listed) {
            attendee.register_id = Some(id);
        }
    } else {
        // A set, not a search of `out` per ID: a cell of many IDs stays linear.
        let attached: HashSet<RegisterId> = out.iter().filter_map(|a| a.register_id.clone()).collect();
        for id in listed {
            if !attached.contains(&id) {
                out.push(Attendee { name: None, register_id: Some(id) });
            }
        }
    }
    out
}

/// The pieces of an attendees cell. The separators the cell uses for its list come first: where
/// it has `|` or `;`, its commas are inside names. Nothing is cut inside parentheses, brackets
/// or quotes ("Konferenz „Afrika, China und Europa“"), unless they never close, and a piece
/// that is only a legal form is no organisation of its own ("Acme, Inc.").
fn pieces(cell: &str) -> Vec<&str> {
    let split =
        |separators: &[char]| split_outside(cell, separators).unwrap_or_else(|| cell.split(separators).collect());
    let strong = split(&['|', ';']);
    let list = if strong.len() > 1 { strong } else { split(&[',']) };
    let mut out: Vec<&str> = Vec::with_capacity(list.len());
    // Where in `cell` the last piece kept starts, so that it can grow to take in the next.
    let mut last_start = 0;
    for piece in list {
        let start = piece.as_ptr() as usize - cell.as_ptr() as usize;
        let trimmed = piece.trim();
        if trimmed.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some(last) if is_legal_form(&fold_words(trimmed)) => *last = cell[last_start..start + piece.len()].trim(),
            _ => {
                last_start = start;
                out.push(trimmed);
            }
        }
    }
    out
}

/// `s` cut at each of `separators` that stands outside brackets and quotes, or `None` when one
/// of them never closes (or closes what was not opened).
fn split_outside<'a>(s: &'a str, separators: &[char]) -> Option<Vec<&'a str>> {
    const OPENING: [char; 5] = ['(', '[', '{', '„', '«'];
    const CLOSING: [char; 5] = [')', ']', '}', '”', '»'];
    let mut out = Vec::new();
    let (mut depth, mut in_quote, mut start) = (0usize, false, 0);
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            // "“" opens an English quote (“…”) and closes a German one („…“).
            '“' if depth > 0 && s[..i].contains('„') => depth -= 1,
            '“' => depth += 1,
            c if OPENING.contains(&c) => depth += 1,
            c if CLOSING.contains(&c) => depth = depth.checked_sub(1)?,
            c if separators.contains(&c) && depth == 0 && !in_quote => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    (depth == 0 && !in_quote).then_some(out)
}

fn push_with_id(out: &mut Vec<Attendee>, name: Option<String>, id: RegisterId) {
    if name.is_none()
        && let Some(last) = out.last_mut()
        && last.name.is_some()
        && last.register_id.is_none()
    {
        last.register_id = Some(id);
        return;
    }
    out.push(Attendee { name, register_id: Some(id) });
}

/// Byte spans of the register IDs inside `piece`, in order, each with its ID.
fn id_spans(piece: &str) -> Vec<(usize, usize, RegisterId)> {
    let mut spans = Vec::new();
    let mut from = 0;
    for id in RegisterId::find_all(piece) {
        let needle = id.as_str();
        let mut at = from;
        while let Some(found) = piece[at..].find(needle) {
            let start = at + found;
            let end = start + needle.len();
            let digit_before = piece[..start].chars().next_back().is_some_and(|c| c.is_ascii_digit());
            let digit_after = piece[end..].chars().next().is_some_and(|c| c.is_ascii_digit());
            if !digit_before && !digit_after {
                spans.push((start, end, id.clone()));
                from = end;
                break;
            }
            at = start + 1;
        }
    }
    spans
}

/// Words that label an ID rather than name an organisation ("TR 123…", "Identification number:
/// 123…", "EU Transparency Register: 123…", "Registriernummer: 123…"). Only stripped next to an
/// ID, and only when the word nearest the ID is one of `ID_LABEL_END`, so a name such as
/// "Transparency International EU" keeps its last word.
const ID_LABEL_END: &[&str] =
    &["tr", "trn", "id", "nr", "n", "no", "nº", "n°", "number", "register", "registry", "registriernummer", "level"];
const ID_LABEL_MORE: &[&str] =
    &["eu", "transparency", "identification", "register", "registry", "tr", "id", "in", "the"];

/// The name left in the text around an ID, or `None` when only labels and punctuation remain.
fn clean_name(text: &str) -> Option<String> {
    const LEAD: &[char] = &[')', '/', '-', '–', ':', '.', '#'];
    const TRAIL: &[char] = &['(', '/', '-', '–', ':', '#'];
    let mut s = text.trim_start_matches(|c: char| c.is_whitespace() || LEAD.contains(&c));
    let mut stripped_label = false;
    loop {
        s = s.trim_end_matches(|c: char| c.is_whitespace() || TRAIL.contains(&c));
        let cut = s
            .char_indices()
            .rev()
            .find(|&(_, c)| c.is_whitespace() || c == '(' || c == '-')
            .map_or(0, |(i, c)| i + c.len_utf8());
        // "nr." and "No." are labels; "e.V." is not.
        let word = s[cut..].trim_end_matches('.').to_lowercase();
        let w = word.as_str();
        let is_label = ID_LABEL_END.contains(&w) || (stripped_label && ID_LABEL_MORE.contains(&w));
        if word.is_empty() || !is_label {
            break;
        }
        s = &s[..cut];
        stripped_label = true;
    }
    // The text after an ID that stands first, as in "123…-45 (Finance Watch)".
    if let Some(inner) = s.strip_prefix('(').and_then(|t| t.strip_suffix(')'))
        && !inner.contains(['(', ')'])
    {
        s = inner.trim();
    }
    non_empty(s)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use chrono::NaiveDate;

    use super::*;

    const HEADER: &str =
        "title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id\n";
    const SHARED: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/samples/ep_meetings/search-meetings_2019-06_2022-02_relaid.csv"
    );

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ep_meetings").join(name)
    }

    fn parse_bytes(bytes: &[u8]) -> Result<Vec<Result<Parsed, SourceError>>, SourceError> {
        Ok(parse(Box::new(std::io::Cursor::new(bytes.to_vec())), &Limits::default())?.collect())
    }

    fn parse_file(path: &Path) -> Vec<Parsed> {
        let input = std::io::BufReader::new(std::fs::File::open(path).unwrap());
        parse(Box::new(input), &Limits::default()).unwrap().map(Result::unwrap).collect()
    }

    fn meetings(items: &[Parsed]) -> Vec<(u64, &Meeting)> {
        items
            .iter()
            .filter_map(|p| match p {
                Parsed::Record(Sourced { locator: Locator::Line(n), record: Record::Meeting(m) }) => Some((*n, m)),
                _ => None,
            })
            .collect()
    }

    fn rejections(items: &[Parsed]) -> Vec<&Rejection> {
        items.iter().filter_map(|p| if let Parsed::Rejected(r) = p { Some(r) } else { None }).collect()
    }

    fn att(name: Option<&str>, id: Option<&str>) -> Attendee {
        Attendee { name: name.map(str::to_owned), register_id: id.map(|i| RegisterId::parse(i).unwrap()) }
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    // --- attendees ------------------------------------------------------------------------

    #[test]
    fn id_only_pieces_attach_to_the_preceding_name() {
        let got = attendees(
            "European Internet Services Providers Association(EuroISPA), 54437813115-56, Internet Society(ISOC), 953701819437-32",
            "54437813115-56|953701819437-32",
        );
        assert_eq!(
            got,
            [
                att(Some("European Internet Services Providers Association(EuroISPA)"), Some("54437813115-56")),
                att(Some("Internet Society(ISOC)"), Some("953701819437-32")),
            ]
        );
    }

    #[test]
    fn an_id_piece_without_a_free_name_before_it_stands_alone() {
        // Real row (line 5133): the ID comes first, so it belongs to no name.
        let got = attendees("Identification number: 558588039523-40, Fridays for Future Tübingen", "558588039523-40");
        assert_eq!(got, [att(None, Some("558588039523-40")), att(Some("Fridays for Future Tübingen"), None)]);
        // A second ID after a name that already has one does not overwrite it.
        let got = attendees("Acme 12345678-90, 0649790813-47", "");
        assert_eq!(got, [att(Some("Acme"), Some("12345678-90")), att(None, Some("0649790813-47"))]);
    }

    #[test]
    fn a_piece_with_name_and_id_keeps_both_without_the_label() {
        let cases = [
            ("Caritas Europa 6082564924-85", "Caritas Europa"),
            ("European Stability Initiative (545618415097-69)", "European Stability Initiative"),
            ("37943526882-24 (Finance Watch)", "Finance Watch"),
            (
                "Coalition for Fair Fisheries Arrangements (TR 440395221847-89)",
                "Coalition for Fair Fisheries Arrangements",
            ),
            ("Sandbag (EU Transparency ID: 94944179052-82)", "Sandbag"),
            (
                "Verband der Chemischen Industrie e.V. (VCI) Identification number: 15423437054-40",
                "Verband der Chemischen Industrie e.V. (VCI)",
            ),
            (
                "Tier- und Umweltschutzverbände (DNR e.V.) Registriernummer:\u{a0}98430135820-35",
                "Tier- und Umweltschutzverbände (DNR e.V.)",
            ),
            ("Portland TR-7223777790-86", "Portland"),
            ("Bioenergy Europe / 97810874431-67", "Bioenergy Europe"),
            ("Transparency International EU 501222919-71", "Transparency International EU"),
            ("Transparency International 501222919-71 (Slovenia)", "Transparency International"),
            ("Kaspersky119828415703-30", "Kaspersky"),
            ("Acme\u{a0}TR\u{a0}12345678-90", "Acme"),
            ("Société\u{2003}Générale\u{2003}ID 12345678-90", "Société\u{2003}Générale"),
            (
                "Rud Pedersen Public Affairs EU Transparency Register nr.: 165838227131-07",
                "Rud Pedersen Public Affairs",
            ),
        ];
        for (cell, name) in cases {
            let got = attendees(cell, "");
            assert_eq!(got.len(), 1, "{cell}: {got:?}");
            assert_eq!(got[0].name.as_deref(), Some(name), "{cell}");
            assert!(got[0].register_id.is_some(), "{cell}");
        }
        // Labels alone are not names.
        for cell in
            ["Identification number: 03004067068-71", "(07783117686-61)", "EU Transparency Register : 799142914971-03"]
        {
            assert_eq!(
                attendees(cell, ""),
                [att(None, RegisterId::find_all(cell).first().map(RegisterId::as_str))],
                "{cell}"
            );
        }
    }

    #[test]
    fn a_piece_with_several_ids_is_cut_after_each() {
        let got = attendees("Greenpeace (9832909575-41) ENSSER (500373220835-51) Save our seeds", "");
        assert_eq!(
            got,
            [
                att(Some("Greenpeace"), Some("9832909575-41")),
                att(Some("ENSSER"), Some("500373220835-51")),
                att(Some("Save our seeds"), None),
            ]
        );
    }

    #[test]
    fn lobbyist_ids_pair_by_position_only_when_counts_match_and_the_text_has_no_id() {
        let got = attendees("Alpha Org; Beta Org", "000005130904-53;0649790813-47");
        assert_eq!(
            got,
            [att(Some("Alpha Org"), Some("000005130904-53")), att(Some("Beta Org"), Some("0649790813-47"))]
        );
        // Three pieces (a name with a comma?) for two IDs: no pairing, IDs appended unnamed.
        let got = attendees("Gamma Org, Delta Org, Epsilon Org", "91408765797-03, 0649790813-47");
        assert_eq!(
            got,
            [
                att(Some("Gamma Org"), None),
                att(Some("Delta Org"), None),
                att(Some("Epsilon Org"), None),
                att(None, Some("91408765797-03")),
                att(None, Some("0649790813-47")),
            ]
        );
        // IDs in the text: lobbyist_id only adds the ones not seen there.
        let got = attendees("Acme 12345678-90, Beta", "12345678-90|0649790813-47");
        assert_eq!(
            got,
            [att(Some("Acme"), Some("12345678-90")), att(Some("Beta"), None), att(None, Some("0649790813-47"))]
        );
    }

    #[test]
    fn names_with_commas_are_kept_as_ordered_pieces() {
        let got = attendees(
            "Meta Platforms Ireland Limited and its various subsidiaries, Inc.| ACT | The App Association",
            "",
        );
        let names: Vec<_> = got.iter().map(|a| a.name.as_deref().unwrap()).collect();
        assert_eq!(
            names,
            ["Meta Platforms Ireland Limited and its various subsidiaries, Inc.", "ACT", "The App Association"],
            "the cell's own separator first; its commas are inside names"
        );
        let names = |cell: &str| -> Vec<String> { attendees(cell, "").into_iter().filter_map(|a| a.name).collect() };
        assert_eq!(names("Acme, Inc., Beta S.A., Gamma, SA"), ["Acme, Inc.", "Beta S.A.", "Gamma, SA"]);
        assert_eq!(
            names("Heinrich-Böll-Stiftung (Afrika, China und Europa), EDRi"),
            ["Heinrich-Böll-Stiftung (Afrika, China und Europa)", "EDRi"]
        );
        assert_eq!(
            names("Konferenz „Afrika, China und Europa“, EDRi"),
            ["Konferenz „Afrika, China und Europa“", "EDRi"]
        );
        assert_eq!(names("\"Afrika, China und Europa\", EDRi"), ["\"Afrika, China und Europa\"", "EDRi"]);
        assert_eq!(names("Procter & Gamble, Ben and Jerry's"), ["Procter & Gamble", "Ben and Jerry's"]);
        // A parenthesis that never closes does not swallow the rest of the list.
        assert_eq!(names("Acme (Europe, Beta, Gamma"), ["Acme (Europe", "Beta", "Gamma"]);
    }

    #[test]
    fn attendee_splitting_never_panics_on_any_prefix() {
        let cells = [
            "Tier- und Umweltschutzverbände (DNR e.V.) Registriernummer:\u{a0}98430135820-35, Société\u{2003}(TR\u{a0}0001976677-12)",
            "BEUC (9505781573-45) CAN (55888811123-49) T&E (58744833263-19)|Ørsted A/S;(07783117686-61) –",
            "Identification number: 558588039523-40, Fridays for Future Tübingen, 123456789012-345 1234567-12",
        ];
        for cell in cells {
            for (i, _) in cell.char_indices() {
                let got = attendees(&cell[..i], "12345678-90|0649790813-47");
                assert!(got.iter().all(|a| a.name.is_some() || a.register_id.is_some()));
            }
        }
    }

    // --- hand-made files ------------------------------------------------------------------

    #[test]
    fn bom_crlf_quoted_commas_newlines_and_multi_valued_ids() {
        let items = parse_file(&fixture("bom_crlf_quoted.csv"));
        assert!(rejections(&items).is_empty(), "{items:?}");
        let m = meetings(&items);
        assert_eq!(m.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [2, 3, 4, 7, 8, 9]);

        let (_, first) = m[0];
        assert_eq!(first.subject, "Priorities, new legislature");
        assert_eq!(
            first.hosts,
            [Host { name: "MARAN Pierfrancesco".into(), role: Some("Member".into()), ep_id: Some(257727) }]
        );
        assert_eq!(first.attendees_raw, "Org, with, commas");
        assert_eq!(first.attendees.len(), 4, "three name pieces + the unpaired ID: {:?}", first.attendees);
        assert_eq!(first.attendees[3], att(None, Some("996649622482-55")));

        let (_, clp) = m[1];
        assert_eq!(clp.procedures.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["2022/0432(COD)"]);
        assert_eq!(clp.attendees, [att(Some("International Fragrance Association"), Some("14130436110-87"))]);
        assert_eq!(clp.institution, Institution::Parliament);
        assert_eq!(
            (clp.location.as_ref(), clp.cabinet.as_ref(), clp.dg.as_ref(), clp.portfolio.as_ref()),
            (None, None, None, None)
        );

        let (_, multi) = m[2];
        assert_eq!(multi.subject, "Line one\nline two, \"quoted\"");
        assert_eq!(multi.date, date("2020-11-10"));
        assert_eq!(multi.procedures.len(), 2);
        assert_eq!(
            multi.attendees,
            [
                att(Some("Internet Society (ISOC)"), Some("953701819437-32")),
                att(Some("European Digital Rights (EDRi)"), Some("16311905144-06")),
            ]
        );
        assert_eq!(m[3].1.attendees.len(), 2);
        assert_eq!(m[4].1.hosts[0].role.as_deref(), Some("Rapporteur for opinion"));
        assert_eq!(m[4].1.attendees[1], att(Some("Beta Org"), Some("0649790813-47")));
        assert_eq!(m[5].1.attendees.len(), 5);
    }

    #[test]
    fn bad_records_are_rejected_with_their_line_and_the_rest_loads() {
        let items = parse_file(&fixture("bad_rows.csv"));
        let good: Vec<_> = meetings(&items).iter().map(|(l, m)| (*l, m.subject.clone())).collect();
        assert_eq!(good, [(2, "Good one".into()), (6, "Multi-line\nsubject".into()), (9, "Good two".into())]);
        let bad: Vec<_> = rejections(&items).into_iter().map(|r| (r.locator.clone(), r.reason.clone())).collect();
        assert_eq!(
            bad,
            [
                (Locator::Line(3), "meeting_date '2022-13-01' is not a date YYYY-MM-DD".into()),
                (Locator::Line(4), "member_id '19743X' is not an integer".into()),
                (Locator::Line(5), "row has 5 fields, the header has 8".into()),
                (Locator::Line(8), "row has 9 fields, the header has 8".into()),
            ]
        );
        // Empty attendees: nothing invented.
        let last = meetings(&items)[2].1;
        assert!(last.attendees.is_empty() && last.attendees_raw.is_empty());
    }

    #[test]
    fn columns_are_found_by_name() {
        let items = parse_file(&fixture("reordered_columns.csv"));
        let m = meetings(&items);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].1.subject, "CLP Regulation");
        assert_eq!(m[0].1.hosts[0].ep_id, Some(107212));
        assert_eq!(m[0].1.attendees, [att(Some("International Fragrance Association"), Some("14130436110-87"))]);
        assert_eq!(m[0].1.location, None, "the official CSV has no location; an extra column is ignored");
    }

    #[test]
    fn a_file_without_the_header_is_malformed() {
        let bytes = std::fs::read(fixture("headerless.csv")).unwrap();
        match parse_bytes(&bytes) {
            Err(SourceError::Malformed { locator: Locator::Line(1), reason }) => {
                assert!(reason.contains("missing column(s) title, member_id"), "{reason}");
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
        let one_missing = HEADER.replace(",lobbyist_id", "");
        match parse_bytes(one_missing.as_bytes()) {
            Err(SourceError::Malformed { reason, .. }) => {
                assert!(reason.contains("missing column(s) lobbyist_id"), "{reason}")
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
        assert!(matches!(parse_bytes(b""), Err(SourceError::Malformed { .. })));
        // A header and nothing else is a valid, empty export.
        assert!(parse_bytes(HEADER.as_bytes()).unwrap().is_empty());
    }

    #[test]
    fn strange_bytes_never_panic() {
        // A quote never closed is the file's error, not a field running to its end.
        let open = parse_bytes(format!("{HEADER}\"unterminated,1,X,2020-01-01,Member,,a,b\n").as_bytes()).unwrap();
        assert!(
            matches!(open.as_slice(), [Err(SourceError::Truncated { locator: Locator::Line(2), reason })] if reason.contains("never closed")),
            "{open:?}"
        );
        let mut inputs: Vec<Vec<u8>> = vec![
            format!("{HEADER}t,1,X,2020-01-01,M,,\u{feff}A 12345678-90 12345678-90,,\n").into_bytes(),
            format!("{HEADER}t,99999999999999999999999,X,2020-01-01,M,,,\n").into_bytes(),
            format!("{HEADER}t,1,,2020-01-01,M,,,\n").into_bytes(),
            format!("{HEADER}t,1,X,2020-02-30,M,,,\n").into_bytes(),
        ];
        let mut bad_utf8 = HEADER.as_bytes().to_vec();
        bad_utf8.extend_from_slice(b"t\xff,1,X,2020-01-01,M,,,\n");
        inputs.push(bad_utf8);
        for input in inputs {
            for item in parse_bytes(&input).unwrap() {
                match item.unwrap() {
                    Parsed::Rejected(r) => assert!(matches!(r.locator, Locator::Line(2)), "{r:?}"),
                    Parsed::Record(_) => {}
                }
            }
        }
        let items = parse_bytes(format!("{HEADER}t,1,,2020-01-01,M,,,\n").as_bytes()).unwrap();
        assert!(matches!(&items[0], Ok(Parsed::Rejected(r)) if r.reason == "member_name is empty"));
        let items = parse_bytes(format!("{HEADER}t,1,X,2020-02-30,M,,,\n").as_bytes()).unwrap();
        assert!(matches!(&items[0], Ok(Parsed::Rejected(r)) if r.reason.contains("'2020-02-30'")));
    }

    #[test]
    fn crlf_lines_and_blank_lines_keep_line_numbers() {
        let text = format!(
            "{}\r\nA,1,X,2020-01-01,M,,\"p, q\",\"12345678-90\"\r\n\r\nB,1,X,2020-01-02,M,,,\r\n\"C\r\nc\",1,X,2020-01-03,M,,,\n\n\n\nD,1,X,2020-01-04,M,,,",
            HEADER.trim_end()
        );
        let items: Vec<Parsed> = parse_bytes(text.as_bytes()).unwrap().into_iter().map(Result::unwrap).collect();
        let m = meetings(&items);
        assert_eq!(
            m.iter().map(|(l, m)| (*l, m.subject.as_str())).collect::<Vec<_>>(),
            [(2, "A"), (4, "B"), (5, "C\nc"), (10, "D")]
        );
        assert_eq!(m[0].1.attendees_raw, "p, q");
        assert_eq!(m[0].1.attendees.last(), Some(&att(None, Some("12345678-90"))));
        assert!(rejections(&items).is_empty());
    }

    // --- real data ------------------------------------------------------------------------

    fn assert_known_rows(m: &[(u64, &Meeting)]) {
        let breyer: Vec<_> =
            m.iter().filter(|(_, m)| m.hosts[0].name == "BREYER Patrick" && m.date == date("2020-11-10")).collect();
        assert_eq!(breyer.len(), 1);
        let b = breyer[0].1;
        assert_eq!(b.subject, "e-Privacy Derogation");
        assert_eq!(
            b.hosts,
            [Host { name: "BREYER Patrick".into(), role: Some("Shadow rapporteur".into()), ep_id: Some(197431) }]
        );
        assert!(b.procedures.is_empty());
        assert_eq!(b.attendees_raw, "Internet Society (ISOC)");
        assert_eq!(b.attendees, [att(Some("Internet Society (ISOC)"), None)]);

        let andresen: Vec<_> =
            m.iter().filter(|(_, m)| m.hosts[0].name == "ANDRESEN Rasmus" && m.date == date("2020-02-18")).collect();
        assert_eq!(andresen.len(), 1);
        let a = andresen[0].1;
        assert_eq!(a.subject, "Encryption and Data Protection: Challenges of Law Enforcement");
        assert_eq!(a.hosts[0].role.as_deref(), Some("Rapporteur"));
        assert_eq!(a.hosts[0].ep_id, Some(197448));
        assert_eq!(
            a.attendees,
            [
                att(Some("European Internet Services Providers Association(EuroISPA)"), Some("54437813115-56")),
                att(Some("Internet Society(ISOC)"), Some("953701819437-32")),
            ]
        );
    }

    /// Every ID of a row (in attendees or lobbyist_id) ends up on an attendee.
    fn id_pairs(m: &[(u64, &Meeting)]) -> usize {
        m.iter()
            .map(|(_, m)| {
                let mut ids: Vec<_> = m.attendees.iter().filter_map(|a| a.register_id.clone()).collect();
                ids.sort();
                ids.dedup();
                ids.len()
            })
            .sum()
    }

    fn capacities(m: &[(u64, &Meeting)]) -> BTreeMap<String, usize> {
        let mut c = BTreeMap::new();
        for (_, m) in m {
            *c.entry(m.hosts[0].role.clone().unwrap_or_default()).or_default() += 1;
        }
        c
    }

    #[test]
    fn real_subset_committed_in_fixtures() {
        let opened = crate::detect::open_path(&fixture("search-meetings_subset_relaid.csv")).unwrap();
        assert_eq!(opened.kind, lobbyscope_domain::SourceKind::EpMeetingsCsv);
        let items: Vec<Parsed> = crate::parse(opened.kind, opened.input).unwrap().map(Result::unwrap).collect();
        assert!(rejections(&items).is_empty());
        let m = meetings(&items);
        assert_eq!(m.len(), 302);
        // One record a line: the real content has no quoted newlines.
        assert_eq!(m.iter().map(|(l, _)| *l).collect::<Vec<_>>(), (2..=303).collect::<Vec<_>>());
        assert_known_rows(&m);
        assert_eq!(id_pairs(&m), 40);
        assert_eq!(m.iter().filter(|(_, m)| m.attendees.iter().any(|a| a.register_id.is_some())).count(), 26);
        let c = capacities(&m);
        assert_eq!((c["Member"], c["Rapporteur"], c["Shadow rapporteur"], c["Committee chair"]), (176, 62, 57, 7));
    }

    #[test]
    fn real_file_through_detection() {
        if !Path::new(SHARED).exists() {
            eprintln!("note: {SHARED} not present; real-file test skipped");
            return;
        }
        let opened = crate::detect::open_path(Path::new(SHARED)).unwrap();
        assert_eq!(opened.kind, lobbyscope_domain::SourceKind::EpMeetingsCsv);
        let items: Vec<Parsed> = crate::parse(opened.kind, opened.input).unwrap().map(Result::unwrap).collect();
        assert!(rejections(&items).is_empty());
        let m = meetings(&items);
        assert_eq!(m.len(), 23_050);
        assert_eq!(m.first().unwrap().0, 2);
        assert_eq!(m.last().unwrap().0, 23_051);
        assert_known_rows(&m);
        assert_eq!(id_pairs(&m), 1488, "no register ID lost");
        assert_eq!(m.iter().filter(|(_, m)| m.attendees.iter().any(|a| a.register_id.is_some())).count(), 1194);
        let c = capacities(&m);
        assert_eq!(
            (c["Member"], c["Shadow rapporteur"], c["Rapporteur"], c["Committee chair"]),
            (14_925, 3_657, 3_613, 855)
        );
        let meps: std::collections::BTreeSet<_> = m.iter().map(|(_, m)| m.hosts[0].ep_id).collect();
        assert_eq!(meps.len(), 397);
        assert_eq!(m.iter().map(|(_, m)| m.date).min(), Some(date("2019-06-17")));
        assert_eq!(m.iter().map(|(_, m)| m.date).max(), Some(date("2022-02-16")));
        assert!(m.iter().all(|(_, m)| m.procedures.is_empty()), "the re-laid sample has no procedure references");
    }
}
