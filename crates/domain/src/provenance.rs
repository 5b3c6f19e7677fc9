use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Which official source, in which layout, a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Transparency Register ODP XML export (`ListOfIRPublicDetail`).
    RegisterXml,
    /// Commission meetings XLSX (`meetingscommissionrepresentatives*`, `meetingsdirectorgenerals`).
    CommissionMeetingsXlsx,
    /// Commission meetings XML variant of the same data.
    CommissionMeetingsXml,
    /// European Parliament "search MEP meetings" CSV export.
    EpMeetingsCsv,
    /// Have Your Say `groupInitiatives` object.
    HysInitiative,
    /// Have Your Say feedback page (`allFeedback`).
    HysFeedback,
}

impl SourceKind {
    pub const ALL: [SourceKind; 6] = [
        SourceKind::RegisterXml,
        SourceKind::CommissionMeetingsXlsx,
        SourceKind::CommissionMeetingsXml,
        SourceKind::EpMeetingsCsv,
        SourceKind::HysInitiative,
        SourceKind::HysFeedback,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::RegisterXml => "register_xml",
            SourceKind::CommissionMeetingsXlsx => "commission_meetings_xlsx",
            SourceKind::CommissionMeetingsXml => "commission_meetings_xml",
            SourceKind::EpMeetingsCsv => "ep_meetings_csv",
            SourceKind::HysInitiative => "hys_initiative",
            SourceKind::HysFeedback => "hys_feedback",
        }
    }

    pub fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where inside a file a record sits, in the unit natural to its format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "at", rename_all = "snake_case")]
pub enum Locator {
    /// 1-based line of a text file (CSV: the line the record starts on).
    Line(u64),
    /// 1-based spreadsheet row, as a spreadsheet program numbers it.
    Row(u32),
    /// An XML element: its name, 1-based index among its siblings of that name, and the line it
    /// starts on.
    Element { name: String, index: u64, line: u64 },
    /// A JSON path such as `$.content[3]`.
    JsonPath(String),
}

impl fmt::Display for Locator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Locator::Line(n) => write!(f, "line {n}"),
            Locator::Row(n) => write!(f, "row {n}"),
            Locator::Element { name, index, line } => write!(f, "<{name}> #{index} (line {line})"),
            Locator::JsonPath(p) => f.write_str(p),
        }
    }
}

/// A parsed record with the place it was read from. Parsers produce these; the import pipeline
/// adds file, time and hash to make a [`Provenance`].
#[derive(Debug, Clone, PartialEq)]
pub struct Sourced<T> {
    pub locator: Locator,
    pub record: T,
}

/// Where a stored record came from: enough to find it again in the official file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub source: SourceKind,
    /// The file name or URL as given to the importer.
    pub file: String,
    pub locator: Locator,
    /// RFC 3339 time of the import that first stored this version of the record.
    pub imported_at: String,
    /// [`content_hash`] of the record.
    pub content_hash: String,
}

/// A stable hash of a record's content (its JSON form), used to tell new, changed and
/// unchanged records apart and to derive identities for records the sources give no id.
pub fn content_hash<T: Serialize + ?Sized>(record: &T) -> String {
    content_hash_and_size(record).0
}

/// [`content_hash`], with the length of the JSON form it hashes: about what the record holds,
/// which is what the importer bounds its batches by.
#[allow(clippy::expect_used, reason = "serde_json fails only on maps with non-string keys, which no record has")]
pub fn content_hash_and_size<T: Serialize + ?Sized>(record: &T) -> (String, usize) {
    let json = serde_json::to_vec(record).expect("domain records always serialise");
    (hex(&Sha256::digest(&json)), json.len())
}

/// Lower-case hexadecimal of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}
