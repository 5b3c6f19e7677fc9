//! Parsers for the official sources, chosen by content, never by file name.
//!
//! Each parser turns one file into a stream of [`Parsed`] items: a record with its locator, or a
//! rejection of one malformed record (the rest of the file still loads). A [`SourceError`] ends
//! the stream: the file as a whole is unusable (truncated, not well-formed, unknown), and the
//! importer commits nothing of it. What a file may ask for (sizes, depth, compression) is
//! bounded by [`Limits`].

mod dates;
mod detect;
pub mod ec_meetings_xlsx;
pub mod ec_meetings_xml;
pub mod ep_meetings_csv;
#[doc(hidden)]
pub mod fuzzing;
pub mod hys_json;
mod limits;
pub mod register_xml;
mod text;
mod xml;

use std::fmt::Display;
use std::io::BufRead;

use lobbyscope_domain::{Locator, Record, SourceKind, Sourced};

pub use detect::{Opened, detect, open_path, open_path_with};
pub use limits::{Limit, LimitExceeded, Limits};

/// One item of a parsed file.
// Nearly every item is a record: boxing it would add an allocation per record to save space
// only on the rare rejection.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    Record(Sourced<Record>),
    Rejected(Rejection),
}

/// A record that could not be read; the rest of the file is unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub locator: Locator,
    pub reason: String,
}

/// Why a whole file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read: {0}")]
    Io(std::io::Error),
    #[error("not a file of any known source: {0}")]
    UnknownFormat(String),
    #[error("not well-formed at {locator}: {reason}")]
    Malformed { locator: Locator, reason: String },
    #[error("file ends early at {locator}: {reason}")]
    Truncated { locator: Locator, reason: String },
    /// Well-formed, but of a kind this crate will not read (a DTD).
    #[error("refused at {locator}: {reason}")]
    Refused { locator: Locator, reason: String },
    /// A problem of the file as a whole that no one place in it shows: an archive that cannot
    /// be opened, a sheet without its header, a file of which no record could be read.
    #[error("{0}")]
    Unusable(String),
    /// The file went past one of the [`Limits`].
    #[error("{0}")]
    TooLarge(Box<LimitExceeded>),
    /// A limit set in the environment that is not a number.
    #[error("invalid setting: {0}")]
    Settings(String),
}

impl From<std::io::Error> for SourceError {
    fn from(e: std::io::Error) -> Self {
        match limits::limit_of(&e) {
            Some(exceeded) => SourceError::TooLarge(Box::new(exceeded.clone())),
            None => SourceError::Io(e),
        }
    }
}

impl From<LimitExceeded> for SourceError {
    fn from(e: LimitExceeded) -> Self {
        SourceError::TooLarge(Box::new(e))
    }
}

impl SourceError {
    /// The error of a reader shared behind an `Arc` (quick-xml's), without losing a limit it
    /// carries.
    pub(crate) fn from_shared_io(e: &std::io::Error) -> Self {
        match limits::limit_of(e) {
            Some(exceeded) => SourceError::TooLarge(Box::new(exceeded.clone())),
            None => SourceError::Io(std::io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// Adds where the parser was to a limit a reader below it hit, which knows only its byte
    /// offset.
    pub(crate) fn located(self, place: impl Display) -> Self {
        match self {
            SourceError::TooLarge(e) => SourceError::TooLarge(Box::new(e.within(place))),
            other => other,
        }
    }
}

/// The stream a parser yields.
pub type Records = Box<dyn Iterator<Item = Result<Parsed, SourceError>> + Send>;

/// The bytes of a file, decompressed when it was gzip.
pub type Input = Box<dyn BufRead + Send>;

/// A stream of items pulled from `next`, which returns `Ok(None)` at the end of the file. A
/// file-level error is yielded once and ends the stream.
pub(crate) fn stream<F>(mut next: F) -> Records
where
    F: FnMut() -> Result<Option<Parsed>, SourceError> + Send + 'static,
{
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let item = next().transpose();
        done = !matches!(item, Some(Ok(_)));
        item
    }))
}

/// Parses `input`, already known to be of `kind`, under the default [`Limits`] and those set in
/// the environment ([`Limits::from_env`]).
pub fn parse(kind: SourceKind, input: Input) -> Result<Records, SourceError> {
    parse_with(kind, input, &Limits::from_env()?)
}

/// Parses `input`, already known to be of `kind`, under `limits`.
pub fn parse_with(kind: SourceKind, input: Input, limits: &Limits) -> Result<Records, SourceError> {
    let records = match kind {
        SourceKind::RegisterXml => register_xml::parse(input, limits),
        SourceKind::CommissionMeetingsXlsx => ec_meetings_xlsx::parse(input, limits),
        SourceKind::CommissionMeetingsXml => ec_meetings_xml::parse(input, limits),
        SourceKind::EpMeetingsCsv => ep_meetings_csv::parse(input, limits),
        SourceKind::HysInitiative | SourceKind::HysFeedback => hys_json::parse(input, limits),
    }?;
    Ok(Box::new(SomeRecord { inner: records, records: 0, rejected: 0, examples: Vec::new(), done: false }))
}

/// How many rejections a file of nothing but rejections names in its error.
const NAMED_REJECTIONS: usize = 3;

/// Ends a stream that rejected every record it read with an error: a file of which nothing
/// could be read is broken as a whole (cut at the wrong place, the wrong layout, a quote left
/// open), not an empty file that happens to have bad rows. A file with no records at all (a
/// header only, an empty page) is a valid empty export.
struct SomeRecord {
    inner: Records,
    records: u64,
    rejected: u64,
    examples: Vec<Rejection>,
    done: bool,
}

impl Iterator for SomeRecord {
    type Item = Result<Parsed, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.inner.next();
        match &item {
            Some(Ok(Parsed::Record(_))) => self.records += 1,
            Some(Ok(Parsed::Rejected(r))) => {
                self.rejected += 1;
                if self.examples.len() < NAMED_REJECTIONS {
                    self.examples.push(r.clone());
                }
            }
            Some(Err(_)) => self.done = true,
            None => {
                self.done = true;
                if self.records == 0 && self.rejected > 0 {
                    return Some(Err(SourceError::Unusable(self.nothing_read())));
                }
            }
        }
        item
    }
}

impl SomeRecord {
    fn nothing_read(&self) -> String {
        let shown: Vec<String> = self.examples.iter().map(|r| format!("at {}: {}", r.locator, r.reason)).collect();
        let more = if self.rejected > shown.len() as u64 { "; …" } else { "" };
        let all = match self.rejected {
            1 => "its only record was rejected".to_owned(),
            n => format!("all {n} of its records were rejected"),
        };
        format!("no record of the file could be read: {all} ({}{more})", shown.join("; "))
    }
}
