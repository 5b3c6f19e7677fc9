//! Parsers for the official sources, chosen by content, never by file name.
//!
//! Each parser turns one file into a stream of [`Parsed`] items: a record with its locator, or a
//! rejection of one malformed record (the rest of the file still loads). A [`SourceError`] ends
//! the stream: the file as a whole is unusable (truncated, not well-formed, unknown), and the
//! importer commits nothing of it.

mod dates;
mod detect;
pub mod ec_meetings_xlsx;
pub mod ec_meetings_xml;
pub mod ep_meetings_csv;
pub mod hys_json;
pub mod register_xml;
mod text;

use std::io::BufRead;

use lobbyscope_domain::{Locator, Record, SourceKind, Sourced};

pub use detect::{Opened, detect, open_path};

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
    Io(#[from] std::io::Error),
    #[error("not a file of any known source: {0}")]
    UnknownFormat(String),
    #[error("not well-formed at {locator}: {reason}")]
    Malformed { locator: Locator, reason: String },
    #[error("file ends early at {locator}: {reason}")]
    Truncated { locator: Locator, reason: String },
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

/// Parses `input`, already known to be of `kind`.
pub fn parse(kind: SourceKind, input: Input) -> Result<Records, SourceError> {
    match kind {
        SourceKind::RegisterXml => register_xml::parse(input),
        SourceKind::CommissionMeetingsXlsx => ec_meetings_xlsx::parse(input),
        SourceKind::CommissionMeetingsXml => ec_meetings_xml::parse(input),
        SourceKind::EpMeetingsCsv => ep_meetings_csv::parse(input),
        SourceKind::HysInitiative | SourceKind::HysFeedback => hys_json::parse(input),
    }
}
