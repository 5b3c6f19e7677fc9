//! Commission meetings with interest representatives, official XLSX export
//! (`meetingscommissionrepresentatives1419|1924|2429`, `meetingsdirectorgenerals`).
//!
//! Layout (FORMATS.md §3.1): sheet `Export Worksheet`, row 1 `File generated on : YYYY-MM-DD`,
//! the header on row 2, one meeting per row from row 3. Every cell is a shared string, dates
//! included. Columns are found by their header text, so the Commissioner files (with or without
//! `Portfolio`) and the Directors-General file (`Name of DG - full name`, `Name of DG - acronym`)
//! all load.
//!
//! The row → [`Meeting`] rules live here in [`PublishedMeeting::into_meeting`], and the XML
//! variant ([`crate::ec_meetings_xml`]) uses the same function, so both variants of one meeting
//! give equal records and the same [`Meeting::identity`].

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use calamine::{Cell, Data, DataRef, Dimensions, ExcelDateTime, ExcelDateTimeType, Reader, Xlsx, XlsxError};
use chrono::NaiveDate;
use lobbyscope_domain::{Attendee, Host, Institution, Locator, Meeting, ProcedureRef, Record, RegisterId, Sourced};
use zip::ZipArchive;

use crate::dates::Published;
use crate::limits::{Capped, Limit, LimitExceeded, bytes, read_whole, thousands};
use crate::text::{clean_multiline, non_empty, non_null};
use crate::{Input, Limits, Parsed, Records, Rejection, SourceError};

/// The sheet holding the data; any other workbook falls back to its first sheet.
const SHEET: &str = "Export Worksheet";

// Header texts, compared trimmed, case-insensitively, with runs of whitespace collapsed.
const H_DATE: &str = "Date of meeting";
const H_CABINET: &str = "Name of cabinet";
const H_DG: &str = "Name of DG - full name";
const H_DG_ACRONYM: &str = "Name of DG - acronym";
const H_REPRESENTATIVES: &str = "Name of EC representative";
const H_TITLES: &str = "Title of EC representative";
const H_PORTFOLIO: &str = "Portfolio";
const H_LOCATION: &str = "Location";
const H_ORGANISATIONS: &str = "Name of interest representative";
const H_REGISTER_IDS: &str = "Transparency register ID";
const H_SUBJECT: &str = "Subject of the meeting";

/// One meeting as the Commission publishes it, each field the text of its XLSX cell (the XML
/// variant joins its repeated elements with `,` to the same shape). Missing fields are empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PublishedMeeting {
    /// `YYYY-MM-DD`.
    pub date: String,
    pub cabinet: String,
    pub dg: String,
    pub dg_acronym: String,
    pub portfolio: String,
    pub location: String,
    /// Names of the Commission's representatives, joined by `,`.
    pub representatives: String,
    /// Their titles, joined by `,`, one per name.
    pub titles: String,
    /// Names of the interest representatives, joined by `,`; names may contain commas.
    pub organisations: String,
    /// Their Transparency Register IDs, joined by `,`.
    pub register_ids: String,
    pub subject: String,
}

impl PublishedMeeting {
    /// Turns the published fields into a [`Meeting`], or explains why the record is unusable.
    pub(crate) fn into_meeting(self) -> Result<Meeting, String> {
        let date = parse_date(&self.date)?;
        let hosts = hosts(&self.representatives, &self.titles)?;
        let attendees = attendees(&self.organisations, &self.register_ids)?;
        let subject = clean_multiline(&self.subject);
        Ok(Meeting {
            institution: Institution::Commission,
            date,
            hosts,
            cabinet: non_null(&self.cabinet),
            dg: non_null(&self.dg),
            dg_acronym: non_null(&self.dg_acronym),
            portfolio: non_null(&self.portfolio),
            location: non_null(&self.location),
            procedures: ProcedureRef::find_all(&subject),
            subject,
            attendees,
            attendees_raw: self.organisations.trim().to_owned(),
        })
    }
}

/// The meeting's date, or why the cell is not one.
fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("{H_DATE} is empty"));
    }
    Published::plain_date(text).ok_or_else(|| format!("{H_DATE} '{text}' is not a date YYYY-MM-DD"))
}

/// Representatives and titles line up one to one. Should the counts ever differ, the names are
/// kept and the titles dropped (`role: None`), since which title belongs to whom is unknown.
fn hosts(names: &str, titles: &str) -> Result<Vec<Host>, String> {
    let names: Vec<&str> = names.split(',').map(str::trim).collect();
    let titles: Vec<&str> = titles.split(',').collect();
    let aligned = names.len() == titles.len();
    let hosts: Vec<Host> = names
        .iter()
        .enumerate()
        .filter(|(_, name)| !name.is_empty())
        .map(|(i, name)| Host {
            name: (*name).to_owned(),
            role: if aligned { non_empty(titles[i]) } else { None },
            ep_id: None,
        })
        .collect();
    if hosts.is_empty() {
        return Err(format!("{H_REPRESENTATIVES} is empty"));
    }
    Ok(hosts)
}

/// The IDs are the reliable list; names are display text and may contain commas. The export
/// joins names with a bare `,`, while commas inside names are nearly always followed by a space
/// ("Banco Santander, S.A."), so names are split at bare commas; they are paired with IDs by
/// position only when that gives exactly as many names as IDs, and left out otherwise.
fn attendees(names: &str, id_cell: &str) -> Result<Vec<Attendee>, String> {
    let ids = RegisterId::find_all(id_cell);
    let names = names.trim();
    if ids.is_empty() {
        return match (non_empty(names), id_cell.trim()) {
            (Some(name), _) => Ok(vec![Attendee { name: Some(name), register_id: None }]),
            (None, "") => Err(format!("{H_ORGANISATIONS} and {H_REGISTER_IDS} are both empty")),
            (None, junk) => Err(format!("{H_ORGANISATIONS} is empty and {H_REGISTER_IDS} '{junk}' holds no valid ID")),
        };
    }
    let split = split_at_bare_commas(names);
    let paired = split.len() == ids.len();
    Ok(ids
        .into_iter()
        .enumerate()
        .map(|(i, id)| Attendee { name: if paired { non_empty(split[i]) } else { None }, register_id: Some(id) })
        .collect())
}

/// Splits at each `,` that is not followed by whitespace.
fn split_at_bare_commas(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in s.match_indices(',') {
        if !s[i + 1..].starts_with(char::is_whitespace) {
            out.push(&s[start..i]);
            start = i + 1;
        }
    }
    out.push(&s[start..]);
    out
}

// ---------------------------------------------------------------------------------------------
// Reading the workbook

/// Where each field sits in the sheet: 0-based column numbers.
#[derive(Debug, Default)]
struct Columns {
    date: usize,
    representatives: usize,
    organisations: usize,
    register_ids: usize,
    subject: usize,
    titles: Option<usize>,
    cabinet: Option<usize>,
    dg: Option<usize>,
    dg_acronym: Option<usize>,
    portfolio: Option<usize>,
    location: Option<usize>,
}

fn header_key(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Columns {
    /// Maps the header row; a missing required column is an error naming it.
    fn from_header(header: &[Data]) -> Result<Columns, String> {
        let keys: Vec<String> = header.iter().map(|c| header_key(&cell_text(c))).collect();
        let find = |name: &str| keys.iter().position(|k| *k == header_key(name));
        let required = |name: &str| find(name).ok_or_else(|| format!("no '{name}' column in the header"));
        Ok(Columns {
            date: required(H_DATE)?,
            representatives: required(H_REPRESENTATIVES)?,
            organisations: required(H_ORGANISATIONS)?,
            register_ids: required(H_REGISTER_IDS)?,
            subject: required(H_SUBJECT)?,
            titles: find(H_TITLES),
            cabinet: find(H_CABINET),
            dg: find(H_DG),
            dg_acronym: find(H_DG_ACRONYM),
            portfolio: find(H_PORTFOLIO),
            location: find(H_LOCATION),
        })
    }

    /// Whether a column holds one of the fields.
    fn wants(&self, col: usize) -> bool {
        [self.date, self.representatives, self.organisations, self.register_ids, self.subject].contains(&col)
            || [self.titles, self.cabinet, self.dg, self.dg_acronym, self.portfolio, self.location].contains(&Some(col))
    }
}

/// A cell as text. Every real cell is a string; numbers and dates are written the way a
/// spreadsheet would show them, error cells (`#N/A`) count as empty.
fn cell_text(cell: &Data) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s),
        Data::Int(i) => Cow::Owned(i.to_string()),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Cow::Owned(format!("{}", *f as i64)),
        Data::Float(f) => Cow::Owned(f.to_string()),
        Data::Bool(b) => Cow::Borrowed(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(dt) => Cow::Owned(ymd(dt)),
        Data::Error(_) | Data::Empty => Cow::Borrowed(""),
    }
}

fn ymd(dt: &ExcelDateTime) -> String {
    let (y, m, d, ..) = dt.to_ymd_hms_milli();
    format!("{y:04}-{m:02}-{d:02}")
}

/// The date cell as `YYYY-MM-DD` text. The published cells are text; a real date cell or an
/// Excel serial number (days since the workbook's epoch) is converted, time of day ignored.
fn date_text(cell: &Data, is_1904: bool) -> Result<String, String> {
    // Excel's own range: 1900-01-01 (serial 1) to 9999-12-31.
    let serial = |v: f64| {
        if v.is_finite() && (1.0..2_958_466.0).contains(&v) {
            Ok(ymd(&ExcelDateTime::new(v, ExcelDateTimeType::DateTime, is_1904)))
        } else {
            Err(format!("{H_DATE} {v} is not a date YYYY-MM-DD nor an Excel date number"))
        }
    };
    match cell {
        Data::Float(f) => serial(*f),
        Data::Int(i) => serial(*i as f64),
        Data::DateTime(dt) if dt.is_datetime() => Ok(ymd(dt)),
        Data::DateTime(dt) => Err(format!("{H_DATE} is a duration ({}), not a date", dt.as_f64())),
        // An ISO date-time whose date part is what counts.
        Data::DateTimeIso(s) => Ok(s.split('T').next().unwrap_or_default().to_owned()),
        Data::Error(e) => Err(format!("{H_DATE} is the spreadsheet error {e}")),
        other => Ok(cell_text(other).into_owned()),
    }
}

/// Parses a workbook: checked as an archive first ([`check_parts`]), then its sheet read as a
/// stream of cells, row by row, on a thread of its own.
///
/// calamine's `worksheet_range` would build the sheet as a dense grid spanning its first to its
/// last cell: one cell at `XFD1048576` asks for 17 billion. Its cell reader yields the cells as
/// the sheet XML holds them instead, so only the row being read is kept; that reader borrows
/// the workbook, hence the thread, which owns both and hands the rows over a bounded channel.
pub(crate) fn parse(input: Input, limits: &Limits) -> Result<Records, SourceError> {
    let cap = limits.xlsx_bytes;
    let found = format!("an XLSX file larger than {}", bytes(cap));
    let bytes = read_whole(
        input,
        cap,
        LimitExceeded::new(limits, Limit::XlsxBytes, found, format!("byte {}", thousands(cap + 1))),
    )?;
    check_parts(&bytes, limits)?;
    let (tx, rx) = mpsc::sync_channel(ROWS_AHEAD);
    let limits = limits.clone();
    let reader = std::thread::Builder::new().name("xlsx-rows".into()).spawn(move || {
        // calamine reads untrusted zip and XML; a panic in it must not take the importer down.
        let read = catch_unwind(AssertUnwindSafe(|| read_sheet(bytes, &limits, &tx)));
        let failed = match read {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(_) => SourceError::Unusable("the XLSX reader failed on this file".into()),
        };
        // The reader may have stopped listening; then nobody needs the error either.
        tx.send(Err(failed)).ok();
    })?;
    Ok(Box::new(SheetRows { rows: Some(rx), reader: Some(reader) }))
}

/// The rows the sheet's thread sends. Dropped, it waits for the thread to end, so that a file
/// whose import has ended (read to the end, failed or let go) holds no thread and no workbook
/// in memory while the next one is read.
struct SheetRows {
    rows: Option<Receiver<Result<Parsed, SourceError>>>,
    reader: Option<JoinHandle<()>>,
}

impl Iterator for SheetRows {
    type Item = Result<Parsed, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rows.as_ref()?.recv().ok()
    }
}

impl Drop for SheetRows {
    fn drop(&mut self) {
        // The thread's next send fails once the receiver is gone, and it returns.
        self.rows = None;
        if let Some(reader) = self.reader.take() {
            // Its panics were caught inside it; a join error says nothing more.
            reader.join().ok();
        }
    }
}

/// Rows read ahead of the importer.
const ROWS_AHEAD: usize = 256;

/// Where a workbook's sheet gets its styles, whatever folder the workbook is in.
const STYLES: &str = "styles.xml";

/// Inflates every part of the archive once, counting, before the XLSX reader sees it: it holds
/// the shared strings, styles and relationships whole, and trusts the sizes the archive
/// declares. A part that cannot be inflated is left for the XLSX reader to report where it
/// meets it (in the sheet, with its row).
fn check_parts(archive: &[u8], limits: &Limits) -> Result<(), SourceError> {
    let mut zip = ZipArchive::new(Cursor::new(archive)).map_err(|e| {
        SourceError::Unusable(format!(
            "not a readable XLSX workbook: the zip archive cannot be opened ({e}); a file cut short or damaged looks like this"
        ))
    })?;
    let size = archive.len() as u64;
    let (cap, limit) = limits.inflation_cap(Limit::XlsxInflatedBytes, size);
    let found = match limit {
        Limit::CompressionRatio => format!(
            "parts inflating to more than {} times the file's {} together",
            limits.compression_ratio,
            bytes(size)
        ),
        _ => format!("parts inflating to more than {} together", bytes(cap)),
    };
    let mut inflated = 0;
    for i in 0..zip.len() {
        let Ok(mut part) = zip.by_index(i) else { continue };
        let name = part.name().map_or_else(|_| format!("number {}", i + 1), |name| name.into_owned());
        let left = cap - inflated;
        let styles = limits.xlsx_styles_bytes;
        let (part_cap, over) = if name.ends_with(STYLES) && styles < left {
            let found = format!("a styles part inflating to more than {}", bytes(styles));
            (styles, LimitExceeded::new(limits, Limit::XlsxStylesBytes, found, format!("part {name}")))
        } else {
            (left, LimitExceeded::new(limits, limit, found.clone(), format!("part {name}")))
        };
        let mut capped = Capped::new(&mut part, part_cap, over);
        let copied = std::io::copy(&mut capped, &mut std::io::sink());
        match copied {
            Err(e) if crate::limits::limit_of(&e).is_some() => return Err(SourceError::from(e)),
            _ => inflated += capped.taken(),
        }
    }
    Ok(())
}

/// Reads the sheet, sending its rows; `Ok` also when the receiver has stopped listening.
fn read_sheet(
    bytes: Vec<u8>,
    limits: &Limits,
    tx: &SyncSender<Result<Parsed, SourceError>>,
) -> Result<(), SourceError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| SourceError::Unusable(format!("not a readable XLSX workbook: {e}")))?;
    let names = workbook.sheet_names();
    let name = match names.iter().find(|n| *n == SHEET).or(names.first()) {
        Some(name) => name.clone(),
        None => return Err(SourceError::Unusable("the XLSX workbook has no sheet".into())),
    };
    let is_1904 = workbook.has_1904_epoch();
    let mut cells = workbook
        .worksheet_cells_reader(&name)
        .map_err(|e| SourceError::Unusable(format!("cannot read sheet '{name}': {e}")))?;
    let mut sheet = Sheet::new(name, is_1904, limits);
    sheet.check_declared(cells.dimensions())?;
    loop {
        let row = match cells.next_cell() {
            Ok(Some(cell)) => sheet.cell(cell)?,
            Ok(None) => break,
            Err(e) => return Err(sheet.damaged(&e)),
        };
        if let Some(row) = row
            && tx.send(Ok(row)).is_err()
        {
            return Ok(());
        }
    }
    if let Some(row) = sheet.finish_row()?
        && tx.send(Ok(row)).is_err()
    {
        return Ok(());
    }
    match sheet.columns {
        Some(_) => Ok(()),
        None => {
            Err(SourceError::Unusable(format!("sheet '{}' has no header row with a '{H_DATE}' column", sheet.name)))
        }
    }
}

/// `A1` notation of a 0-based cell position.
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let digit = (n - 1) % 26;
        letters.push(b'A' + digit as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), u64::from(row) + 1)
}

/// The text a cell holds, whether it is kept or not: what reading it costs.
fn text_len(cell: &DataRef<'_>) -> usize {
    match cell {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.len(),
        DataRef::SharedString(s) => s.len(),
        _ => 0,
    }
}

/// Whether a cell shows anything.
fn has_text(cell: &DataRef<'_>) -> bool {
    match cell {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => !s.trim().is_empty(),
        DataRef::SharedString(s) => !s.trim().is_empty(),
        DataRef::Empty | DataRef::Error(_) => false,
        _ => true,
    }
}

/// The sheet as its cells arrive: the row being gathered, and the header once found.
struct Sheet<'l> {
    name: String,
    is_1904: bool,
    limits: &'l Limits,
    columns: Option<Columns>,
    /// The row being gathered (0-based) and the cells kept of it, by column: all of them until
    /// the header is found, then the header's columns only.
    row: Option<u32>,
    cells: Vec<Data>,
    shows_text: bool,
    /// The last row finished, for where damage is.
    last_row: Option<u32>,
    /// Cell text read so far.
    text: u64,
}

impl<'l> Sheet<'l> {
    fn new(name: String, is_1904: bool, limits: &'l Limits) -> Self {
        Sheet {
            name,
            is_1904,
            limits,
            columns: None,
            row: None,
            cells: Vec::new(),
            shows_text: false,
            last_row: None,
            text: 0,
        }
    }

    fn too_large(&self, limit: Limit, found: String) -> SourceError {
        LimitExceeded::new(self.limits, limit, found, format!("sheet '{}'", self.name)).into()
    }

    /// The used range the sheet declares is not trusted for anything, but an absurd one is a
    /// file to refuse early.
    fn check_declared(&self, declared: Dimensions) -> Result<(), SourceError> {
        let (rows, cols) = (u64::from(declared.end.0) + 1, u64::from(declared.end.1) + 1);
        let limit = if cols > self.limits.sheet_columns {
            Limit::SheetColumns
        } else if rows > self.limits.sheet_rows {
            Limit::SheetRows
        } else {
            return Ok(());
        };
        let range =
            format!("{}:{}", cell_name(declared.start.0, declared.start.1), cell_name(declared.end.0, declared.end.1));
        Err(self.too_large(
            limit,
            format!("a declared used range of {range} ({} rows by {} columns)", thousands(rows), thousands(cols)),
        ))
    }

    /// Takes one cell; returns the row it finishes, if it starts another.
    fn cell(&mut self, cell: Cell<DataRef<'_>>) -> Result<Option<Parsed>, SourceError> {
        let (r, c) = cell.get_position();
        if u64::from(c) >= self.limits.sheet_columns {
            return Err(self.too_large(
                Limit::SheetColumns,
                format!("a cell at {} (column {})", cell_name(r, c), thousands(u64::from(c) + 1)),
            ));
        }
        if u64::from(r) >= self.limits.sheet_rows {
            return Err(self.too_large(
                Limit::SheetRows,
                format!("a cell at {} (row {})", cell_name(r, c), thousands(u64::from(r) + 1)),
            ));
        }
        let finished = match self.row {
            Some(current) if r == current => None,
            Some(current) if r < current => {
                return Err(SourceError::Malformed {
                    locator: Locator::Row(r.saturating_add(1)),
                    reason: format!(
                        "sheet '{}': row {} comes after row {}, and a sheet's rows must be in order",
                        self.name,
                        u64::from(r) + 1,
                        u64::from(current) + 1
                    ),
                });
            }
            Some(_) => self.finish_row()?,
            None => None,
        };
        self.row = Some(r);
        let value = cell.get_value();
        self.text += text_len(value) as u64;
        if self.text > self.limits.xlsx_text_bytes {
            let found = format!("cells holding more than {} of text together", bytes(self.limits.xlsx_text_bytes));
            return Err(self.too_large(Limit::XlsxTextBytes, found).located(Locator::Row(r.saturating_add(1))));
        }
        self.shows_text |= has_text(value);
        let c = c as usize;
        if self.columns.as_ref().is_none_or(|columns| columns.wants(c)) {
            if self.cells.len() <= c {
                self.cells.resize(c + 1, Data::Empty);
            }
            self.cells[c] = Data::from(value.clone());
        }
        Ok(finished)
    }

    /// Ends the row being gathered: the header when it is the first to name the date column,
    /// a meeting or a rejection after it.
    fn finish_row(&mut self) -> Result<Option<Parsed>, SourceError> {
        let Some(r) = self.row.take() else { return Ok(None) };
        let cells = std::mem::take(&mut self.cells);
        let shows_text = std::mem::take(&mut self.shows_text);
        self.last_row = Some(r);
        let locator = Locator::Row(r.saturating_add(1));
        let Some(columns) = &self.columns else {
            let date_key = header_key(H_DATE);
            if cells.iter().any(|c| header_key(&cell_text(c)) == date_key) {
                let columns = Columns::from_header(&cells).map_err(|reason| SourceError::Malformed {
                    locator,
                    reason: format!("sheet '{}': {reason}", self.name),
                })?;
                self.columns = Some(columns);
            }
            return Ok(None);
        };
        if !shows_text {
            return Ok(None);
        }
        Ok(Some(match read_row(&cells, columns, self.is_1904) {
            Ok(meeting) => Parsed::Record(Sourced { locator, record: Record::Meeting(meeting) }),
            Err(reason) => Parsed::Rejected(Rejection { locator, reason }),
        }))
    }

    /// The sheet could not be read on: where, as far as the rows read tell.
    fn damaged(&self, e: &XlsxError) -> SourceError {
        match self.row.or(self.last_row) {
            Some(r) => {
                let row = r.saturating_add(1);
                SourceError::Malformed {
                    locator: Locator::Row(row),
                    reason: format!("sheet '{}' is damaged in or after row {row}: {e}", self.name),
                }
            }
            None => SourceError::Malformed {
                locator: Locator::Row(1),
                reason: format!("sheet '{}' is damaged before its first row: {e}", self.name),
            },
        }
    }
}

/// One row after the header, by column, as a meeting.
fn read_row(cells: &[Data], c: &Columns, is_1904: bool) -> Result<Meeting, String> {
    let cell = |col: usize| cells.get(col).unwrap_or(&Data::Empty);
    let text = |col: Option<usize>| col.map(|col| cell_text(cell(col)).into_owned()).unwrap_or_default();
    let published = PublishedMeeting {
        date: date_text(cell(c.date), is_1904)?,
        cabinet: text(c.cabinet),
        dg: text(c.dg),
        dg_acronym: text(c.dg_acronym),
        portfolio: text(c.portfolio),
        location: text(c.location),
        representatives: text(Some(c.representatives)),
        titles: text(c.titles),
        organisations: text(Some(c.organisations)),
        register_ids: text(Some(c.register_ids)),
        subject: text(Some(c.subject)),
    };
    published.into_meeting()
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::{BTreeSet, HashMap};
    use std::io::Cursor;
    use std::path::{Path, PathBuf};

    use lobbyscope_domain::SourceKind;

    use super::*;

    pub(crate) const REAL_NAME: &str = "meetingscommissionrepresentatives1924_generated-2023-06-13.xlsx";

    /// The real XLSX committed as demo data: always present.
    pub(crate) fn demo_xlsx() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/ec_meetings").join(REAL_NAME)
    }

    pub(crate) fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ec_meetings").join(name)
    }

    /// Every item of a parse, whether the error came from `parse` itself or from the stream.
    pub(crate) fn run(
        parser: fn(Input, &Limits) -> Result<Records, SourceError>,
        bytes: Vec<u8>,
    ) -> Vec<Result<Parsed, SourceError>> {
        match parser(Box::new(Cursor::new(bytes)), &Limits::default()) {
            Ok(records) => records.collect(),
            Err(e) => vec![Err(e)],
        }
    }

    pub(crate) fn meeting(item: &Result<Parsed, SourceError>) -> (&Locator, &Meeting) {
        match item {
            Ok(Parsed::Record(Sourced { locator, record: Record::Meeting(m) })) => (locator, m),
            other => panic!("expected a meeting, got {other:?}"),
        }
    }

    fn rejection(item: &Result<Parsed, SourceError>) -> &Rejection {
        match item {
            Ok(Parsed::Rejected(r)) => r,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    fn parse_file(path: &Path) -> Vec<Result<Parsed, SourceError>> {
        run(parse, std::fs::read(path).unwrap())
    }

    /// The real file's meetings by sheet row, read through detection like the importer does.
    pub(crate) fn real_meetings_by_row(path: &Path) -> (HashMap<u32, Meeting>, Vec<Rejection>) {
        let opened = crate::open_path(path).unwrap();
        assert_eq!(opened.kind, SourceKind::CommissionMeetingsXlsx);
        let mut meetings = HashMap::new();
        let mut rejected = Vec::new();
        for item in crate::parse(opened.kind, opened.input).unwrap() {
            match item.unwrap() {
                Parsed::Record(Sourced { locator: Locator::Row(n), record: Record::Meeting(m) }) => {
                    assert!(meetings.insert(n, m).is_none(), "row {n} twice");
                }
                Parsed::Rejected(r) => rejected.push(r),
                other => panic!("unexpected {other:?}"),
            }
        }
        (meetings, rejected)
    }

    fn ids(m: &Meeting) -> Vec<&str> {
        m.attendees.iter().map(|a| a.register_id.as_ref().map_or("", |id| id.as_str())).collect()
    }

    fn host(name: &str, role: &str) -> Host {
        Host { name: name.into(), role: Some(role.into()), ep_id: None }
    }

    // --- the shared row → Meeting rules -------------------------------------------------------

    #[test]
    fn dates_must_be_exactly_yyyy_mm_dd() {
        assert_eq!(parse_date(" 2022-06-30 "), Ok(NaiveDate::from_ymd_opt(2022, 6, 30).unwrap()));
        assert_eq!(parse_date("2022-13-01").unwrap_err(), "Date of meeting '2022-13-01' is not a date YYYY-MM-DD");
        for bad in ["2022-02-30", "2022-6-30", "+2022-06-30", "30/06/2022", "2022-06-30 10:00", "20220630"] {
            assert!(parse_date(bad).unwrap_err().contains(&format!("'{bad}'")), "{bad}");
        }
        assert_eq!(parse_date("  ").unwrap_err(), "Date of meeting is empty");
    }

    #[test]
    fn hosts_pair_names_with_titles_and_trim_each() {
        let h = hosts("Colin Scicluna,Iris Abraham ", "Cabinet member,Commissioner").unwrap();
        assert_eq!(h, [host("Colin Scicluna", "Cabinet member"), host("Iris Abraham", "Commissioner")]);
        // Counts that differ: which title is whose is unknown, so none is given.
        let h = hosts("A,B,C", "Cabinet member,Commissioner").unwrap();
        assert!(h.iter().all(|h| h.role.is_none()) && h.len() == 3);
        // No title column at all.
        assert_eq!(hosts("A", "").unwrap()[0].role, None);
        // An empty name is dropped with its title; a row with no name at all is unusable.
        assert_eq!(hosts("A,,B", "x,y,z").unwrap(), [host("A", "x"), host("B", "z")]);
        assert_eq!(hosts(" , ", "").unwrap_err(), "Name of EC representative is empty");
    }

    #[test]
    fn attendees_come_from_the_id_column_and_names_pair_only_when_they_line_up() {
        let a = attendees("ENEL SpA,Vattenfall", "6256831207-27,12955024114-93").unwrap();
        assert_eq!(a[0], Attendee { name: Some("ENEL SpA".into()), register_id: RegisterId::parse("6256831207-27") });
        assert_eq!(a[1].name.as_deref(), Some("Vattenfall"));
        // A comma followed by a space is inside a name, not between names.
        let a = attendees("Banco Santander, S.A.", "799142914971-03").unwrap();
        assert_eq!(
            a,
            [Attendee {
                name: Some("Banco Santander, S.A.".into()),
                register_id: RegisterId::parse("799142914971-03")
            }]
        );
        // When the names still do not line up with the IDs, no name is guessed.
        let a = attendees("A,B,C", "6256831207-27,12955024114-93").unwrap();
        assert!(a.iter().all(|a| a.name.is_none()), "{a:?}");
        // Leading zeros are part of the ID.
        assert_eq!(ids(&Meeting { attendees: attendees("x", "0649790813-47").unwrap(), ..blank() }), ["0649790813-47"]);
        // No valid ID: the whole cell is one attendee without ID.
        let a = attendees(" Some Org, Ltd ", "n/a").unwrap();
        assert_eq!(a, [Attendee { name: Some("Some Org, Ltd".into()), register_id: None }]);
        assert!(attendees(" ", "").unwrap_err().contains("both empty"));
        assert_eq!(
            attendees("", " 12345-67 ").unwrap_err(),
            "Name of interest representative is empty and Transparency register ID '12345-67' holds no valid ID"
        );
    }

    fn blank() -> Meeting {
        Meeting {
            institution: Institution::Commission,
            date: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            hosts: vec![],
            cabinet: None,
            dg: None,
            dg_acronym: None,
            portfolio: None,
            location: None,
            subject: String::new(),
            procedures: vec![],
            attendees: vec![],
            attendees_raw: String::new(),
        }
    }

    #[test]
    fn published_fields_are_trimmed_and_cleaned() {
        let m = PublishedMeeting {
            date: "2023-06-09".into(),
            cabinet: " Cabinet of Commissioner Nicolas Schmit ".into(),
            portfolio: "  ".into(),
            location: " Brussels - Belgium\r\n".into(),
            representatives: "Antoine Kasel".into(),
            titles: "Cabinet member".into(),
            organisations: " BUSINESSEUROPE ".into(),
            register_ids: "3978240953-79".into(),
            subject: " Works Councils (EWC) 2022/0155(COD)\r\nsecond\rthird\r\n ".into(),
            ..Default::default()
        }
        .into_meeting()
        .unwrap();
        assert_eq!(m.cabinet.as_deref(), Some("Cabinet of Commissioner Nicolas Schmit"));
        assert_eq!(m.portfolio, None);
        assert_eq!(m.dg, None);
        assert_eq!(m.location.as_deref(), Some("Brussels - Belgium"));
        assert_eq!(m.subject, "Works Councils (EWC) 2022/0155(COD)\nsecond\nthird");
        assert_eq!(m.procedures.iter().map(|p| p.as_str()).collect::<Vec<_>>(), ["2022/0155(COD)"]);
        assert_eq!(m.attendees_raw, "BUSINESSEUROPE");
        assert_eq!(m.institution, Institution::Commission);
    }

    // --- hand-made XLSX fixtures ---------------------------------------------------------------

    #[test]
    fn file_without_portfolio_loads_from_a_differently_named_first_sheet() {
        let items = parse_file(&fixture("commission_2429_no_portfolio.xlsx"));
        assert_eq!(items.len(), 3);
        let (loc, m) = meeting(&items[1]);
        assert_eq!(*loc, Locator::Row(4));
        assert_eq!(m.portfolio, None);
        assert_eq!(m.cabinet.as_deref(), Some("Cabinet of Executive Vice-President Margrethe Vestager"));
        assert_eq!(m.hosts, [host("Christiane Canenbley", "Cabinet member"), host("Werner Stengg", "Cabinet member")]);
        assert_eq!(m.subject, "Broadband Cost Reduction Directive.");
        let (loc, m) = meeting(&items[2]);
        assert_eq!(*loc, Locator::Row(5));
        assert_eq!(m.subject, "Basel III");
        assert_eq!(
            m.attendees,
            [Attendee {
                name: Some("Banco Santander, S.A.".into()),
                register_id: RegisterId::parse("799142914971-03")
            }]
        );
        assert_eq!(m.attendees_raw, "Banco Santander, S.A.");
    }

    #[test]
    fn directors_general_file_maps_dg_columns_by_header_text() {
        let items = parse_file(&fixture("dg_meetings.xlsx"));
        assert_eq!(items.len(), 2, "{items:?}");
        let (loc, m) = meeting(&items[0]);
        assert_eq!(*loc, Locator::Row(4), "header found on row 3 by its text");
        assert_eq!(m.dg.as_deref(), Some("Directorate-General for Competition"));
        assert_eq!(m.dg_acronym.as_deref(), Some("COMP"));
        assert_eq!(m.cabinet, None);
        assert_eq!(m.hosts, [host("Jane Example", "Director-General")]);
        assert_eq!(m.subject, "State aid rules");
        assert_eq!(ids(m), ["3978240953-79"]);
        let (loc, m) = meeting(&items[1]);
        assert_eq!(*loc, Locator::Row(5));
        assert_eq!(m.hosts[1], host("Anna Example", "Deputy Director-General"));
        assert_eq!(m.attendees[1].name.as_deref(), Some("ENGIE"));
        assert_eq!(m.procedures[0].as_str(), "2020/0360(COD)");
        assert_eq!(m.location.as_deref(), Some("Videoconference"));
    }

    #[test]
    fn bad_rows_are_rejected_with_their_row_and_the_rest_loads() {
        let items = parse_file(&fixture("bad_rows.xlsx"));
        assert_eq!(items.len(), 7, "the blank row 7 is skipped: {items:?}");
        assert_eq!(*meeting(&items[0]).0, Locator::Row(3));
        let r = rejection(&items[1]);
        assert_eq!(r.locator, Locator::Row(4));
        assert_eq!(r.reason, "Date of meeting '2022-13-01' is not a date YYYY-MM-DD");
        assert_eq!(*meeting(&items[2]).0, Locator::Row(5));
        let r = rejection(&items[3]);
        assert_eq!((&r.locator, r.reason.as_str()), (&Locator::Row(6), "Name of EC representative is empty"));
        let r = rejection(&items[4]);
        assert_eq!(
            (&r.locator, r.reason.as_str()),
            (&Locator::Row(8), "Date of meeting '30/06/2022' is not a date YYYY-MM-DD")
        );
        let r = rejection(&items[5]);
        assert_eq!(r.locator, Locator::Row(9));
        assert_eq!(r.reason, "Name of interest representative and Transparency register ID are both empty");
        let (loc, m) = meeting(&items[6]);
        assert_eq!(*loc, Locator::Row(10));
        assert_eq!(m.attendees.len(), 10);
    }

    #[test]
    fn real_date_cells_and_excel_serial_numbers_are_tolerated() {
        let items = parse_file(&fixture("date_cells.xlsx"));
        assert_eq!(items.len(), 2);
        for item in &items {
            assert_eq!(meeting(item).1.date, NaiveDate::from_ymd_opt(2022, 6, 30).unwrap());
        }
        assert_eq!(date_text(&Data::Float(44742.75), false).unwrap(), "2022-06-30");
        assert_eq!(date_text(&Data::Float(43280.0), true).unwrap(), "2022-06-30", "1904 epoch");
        assert!(date_text(&Data::Float(-3.0), false).unwrap_err().contains("-3"));
        assert!(date_text(&Data::Error(calamine::CellErrorType::NA), false).unwrap_err().contains("#N/A"));
    }

    /// The one item is a file-level error of no place in the file, saying `needle`.
    fn expect_unusable(items: &[Result<Parsed, SourceError>], needle: &str) {
        match items {
            [Err(SourceError::Unusable(reason))] => assert!(reason.contains(needle), "{reason}"),
            other => panic!("expected Unusable, got {other:?}"),
        }
    }

    fn expect_malformed(items: &[Result<Parsed, SourceError>], locator: Locator, needle: &str) {
        assert_eq!(items.len(), 1, "nothing after the error: {items:?}");
        match &items[0] {
            Err(SourceError::Malformed { locator: l, reason }) => {
                assert_eq!(*l, locator);
                assert!(reason.contains(needle), "{reason}");
            }
            other => panic!("expected Malformed, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let items = parse_file(&fixture("missing_column.xlsx"));
        expect_malformed(&items, Locator::Row(2), "'Transparency register ID'");
    }

    #[test]
    fn a_sheet_without_the_header_is_unusable() {
        let items = parse_file(&fixture("no_header.xlsx"));
        expect_unusable(&items, "sheet 'Export Worksheet' has no header row with a 'Date of meeting' column");
    }

    #[test]
    fn truncated_or_garbage_files_are_unusable_without_panicking() {
        expect_unusable(&parse_file(&fixture("truncated.xlsx")), "not a readable XLSX");
        expect_unusable(&run(parse, b"PK\x03\x04 not really a zip".to_vec()), "XLSX");
        expect_unusable(&run(parse, Vec::new()), "XLSX");
        let real = std::fs::read(demo_xlsx()).unwrap();
        for len in [100, real.len() / 3, real.len() - 22, real.len() - 1] {
            expect_unusable(&run(parse, real[..len].to_vec()), "cut short or damaged");
        }
    }

    // --- the real file -------------------------------------------------------------------------

    /// Assertions on the official 1924 file, from wherever it is.
    fn check_real_file(path: &Path) -> HashMap<u32, Meeting> {
        let (meetings, rejected) = real_meetings_by_row(path);
        assert_eq!(meetings.len(), 12_482);
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(*meetings.keys().min().unwrap(), 3);
        assert_eq!(*meetings.keys().max().unwrap(), 12_484);

        // The first data row.
        let m = &meetings[&3];
        assert_eq!(m.date, NaiveDate::from_ymd_opt(2023, 6, 9).unwrap());
        assert_eq!(m.cabinet.as_deref(), Some("Cabinet of Commissioner Nicolas Schmit"));
        assert_eq!(m.hosts, [host("Antoine Kasel", "Cabinet member")]);
        assert_eq!(m.portfolio.as_deref(), Some("Jobs and Social Rights"));
        assert_eq!(m.location.as_deref(), Some("Brussels - Belgium"));
        assert_eq!(
            m.attendees,
            [Attendee { name: Some("BUSINESSEUROPE".into()), register_id: RegisterId::parse("3978240953-79") }]
        );
        assert_eq!(
            m.subject,
            "Consultation of social partners on an initiative relating to European Works Councils (EWC)"
        );

        // The Internet Society meeting of 2022-06-30.
        let m = &meetings[&3116];
        assert_eq!(m.date, NaiveDate::from_ymd_opt(2022, 6, 30).unwrap());
        assert_eq!(m.cabinet.as_deref(), Some("Cabinet of Executive Vice-President Margrethe Vestager"));
        assert_eq!(m.hosts, [host("Christiane Canenbley", "Cabinet member"), host("Werner Stengg", "Cabinet member")]);
        assert_eq!(m.portfolio.as_deref(), Some("Europe Fit for Digital Age"));
        assert_eq!(m.location.as_deref(), Some("Online"));
        assert_eq!(
            m.attendees,
            [Attendee { name: Some("Internet Society".into()), register_id: RegisterId::parse("953701819437-32") }]
        );
        assert_eq!(m.subject, "Broadband Cost Reduction Directive.");
        assert_eq!(m.attendees_raw, "Internet Society");

        // Ten organisations, one of whose names contains a comma: 11 names, 10 IDs, no pairing.
        let m = &meetings[&23];
        assert_eq!(
            m.hosts,
            [
                host("Christoph Nerlich", "Cabinet member"),
                host("Nicolas Schmit", "Commissioner"),
                host("Anouk Faber", "Cabinet member")
            ]
        );
        assert_eq!(
            ids(m),
            [
                "91408765797-03",
                "0649790813-47",
                "987000037766-14",
                "6025320863-10",
                "33885548180-35",
                "125489250058-63",
                "358284014848-82",
                "922144640085-87",
                "61370904700-45",
                "462849021886-85"
            ]
        );
        // Names with ", " inside still pair with their IDs.
        assert!(m.attendees.iter().all(|a| a.name.is_some()), "{:?}", m.attendees);
        assert_eq!(m.attendees[9].name.as_deref(), Some("KIC InnoEnergy SE"));
        assert_eq!(
            m.attendees[8].name.as_deref(),
            Some("Council of European Employers of the Metal, Engineering and Technology-based Industries")
        );
        assert!(m.attendees_raw.contains("Metal, Engineering and Technology-based Industries,KIC InnoEnergy SE"));
        // Ten organisations whose names line up with their IDs.
        let m = &meetings[&206];
        assert_eq!(m.attendees.len(), 10);
        assert_eq!(
            m.attendees[9],
            Attendee { name: Some("Fortum Oyj".into()), register_id: RegisterId::parse("03501997362-71") }
        );
        // A host name published with a trailing space.
        assert_eq!(meetings[&68].hosts, [host("Valdis Dombrovskis", "Executive Vice-President")]);

        // Whole-file counts (README.md of the real data).
        let unpaired = meetings.values().filter(|m| m.attendees.iter().any(|a| a.name.is_none())).count();
        // 649 rows have more comma-split names than IDs; splitting only at bare commas pairs all
        // but one of them.
        assert_eq!(unpaired, 1, "rows whose names could not be paired with their IDs");
        assert!(meetings.values().all(|m| m.attendees.iter().all(|a| a.register_id.is_some())));
        assert_eq!(meetings.values().filter(|m| m.attendees.len() > 1).count(), 1_589);
        let distinct: BTreeSet<&str> = meetings
            .values()
            .flat_map(|m| m.attendees.iter())
            .filter_map(|a| a.register_id.as_ref())
            .map(|id| id.as_str())
            .collect();
        assert_eq!(distinct.len(), 4_182);
        assert!(meetings.values().all(|m| m.hosts.iter().all(|h| h.role.is_some() && h.name.trim() == h.name)));
        assert_eq!(meetings.values().map(|m| m.date).min(), NaiveDate::from_ymd_opt(2019, 12, 2));
        assert_eq!(meetings.values().map(|m| m.date).max(), NaiveDate::from_ymd_opt(2023, 6, 9));
        assert!(meetings.values().all(|m| m.subject.trim() == m.subject && !m.subject.contains('\r')));
        assert!(meetings.values().all(|m| m.cabinet.is_some() && m.dg.is_none()));
        // The export writes "null" for a missing portfolio (Commissioner Hogan's cabinet).
        assert_eq!(meetings.values().filter(|m| m.portfolio.is_none()).count(), 124);
        meetings
    }

    #[test]
    fn real_demo_file_loads_through_detection() {
        check_real_file(&demo_xlsx());
    }

    /// The shared copy of the real file, with its CSV conversion as an independent cross-check
    /// of every row. Users' clones have no `shared/`; the test then does nothing.
    #[test]
    fn shared_real_file_agrees_with_its_csv_conversion() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/realdata/ec_meetings");
        let xlsx = dir.join(REAL_NAME);
        if !xlsx.exists() {
            eprintln!("note: {} not present, skipping", xlsx.display());
            return;
        }
        assert_eq!(std::fs::read(&xlsx).unwrap(), std::fs::read(demo_xlsx()).unwrap(), "demo copy is byte for byte");
        let meetings = check_real_file(&xlsx);
        let csv_path = dir.join("meetingscommissionrepresentatives1924_generated-2023-06-13.CONVERTED.csv");
        let mut csv = ::csv::Reader::from_path(csv_path).unwrap();
        let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
        assert_eq!(header[4], "Date of meeting");
        let mut rows = 0;
        for (i, record) in csv.records().enumerate() {
            let r = record.unwrap();
            let row = i as u32 + 3;
            let m = &meetings[&row];
            assert_eq!(m.date.to_string(), r[4], "row {row}");
            assert_eq!(m.cabinet.as_deref(), Some(r[0].trim()), "row {row}");
            let names: Vec<&str> = r[1].split(',').map(str::trim).collect();
            assert_eq!(m.hosts.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(), names, "row {row}");
            let portfolio = Some(r[3].trim()).filter(|p| *p != "null");
            assert_eq!(m.portfolio.as_deref(), portfolio, "row {row}");
            assert_eq!(m.location.as_deref(), Some(r[5].trim()), "row {row}");
            assert_eq!(m.attendees_raw, r[6].trim(), "row {row}");
            let csv_ids: Vec<&str> = r[7].split(',').map(str::trim).collect();
            assert_eq!(ids(m), csv_ids, "row {row}");
            assert_eq!(m.subject, r[8].trim().replace("\r\n", "\n").replace('\r', "\n"), "row {row}");
            rows += 1;
        }
        assert_eq!(rows, 12_482);
    }
}
