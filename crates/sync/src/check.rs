//! A fetched file read through the same parser the import uses, before anything of it is
//! imported: a file the parser cannot read as a whole means the source changed its format or
//! the answer was cut short, and the source fails with that instead of importing part of it.

use std::path::Path;

use lobbyscope_domain::{Record, SourceKind};
use lobbyscope_sources::{Parsed, SourceError};
use url::Url;

use crate::SyncError;

/// What a file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counted {
    pub records: u64,
    pub rejected: u64,
    /// Each record's key as a listing names it ([`lobbyscope_store::ListedKind`]): a meeting's
    /// natural key, a response's or an initiative's id, a register ID.
    pub keys: Vec<String>,
    /// Values of known fields that are new to this version.
    pub unknown: crate::vocabulary::Unknown,
}

fn listed_key(record: &Record) -> String {
    match record {
        Record::Register(entry) => entry.register_id.to_string(),
        Record::Meeting(meeting) => meeting.natural_key().as_str().to_owned(),
        Record::Initiative(initiative) => initiative.id.to_string(),
        Record::Feedback(feedback) => feedback.id.to_string(),
    }
}

/// Parses `path` (fetched from `url`), which must be of `kind`, and counts its records.
pub fn parse(path: &Path, url: &Url, kind: SourceKind) -> Result<Counted, SyncError> {
    let changed = |e: SourceError| match e {
        SourceError::Truncated { .. } => {
            SyncError::Implausible { url: url.to_string(), reason: format!("the answer is cut short: {e}") }
        }
        e => SyncError::FormatChanged { url: url.to_string(), reason: e.to_string() },
    };
    let opened = lobbyscope_sources::open_path(path).map_err(changed)?;
    if opened.kind != kind {
        let reason = format!("expected {kind:?}, the file reads as {:?}", opened.kind);
        return Err(SyncError::FormatChanged { url: url.to_string(), reason });
    }
    let mut counted = Counted::default();
    for item in lobbyscope_sources::parse(kind, opened.input).map_err(changed)? {
        match item.map_err(changed)? {
            Parsed::Record(sourced) => {
                counted.records += 1;
                counted.keys.push(listed_key(&sourced.record));
                counted.unknown.check(&sourced.record);
            }
            Parsed::Rejected(_) => counted.rejected += 1,
        }
    }
    Ok(counted)
}

impl Counted {
    /// A file that must hold records (a register export, a Commission file, an initiative)
    /// and holds none was not written by the source's usual tool.
    pub fn require_records(self, url: &Url) -> Result<Counted, SyncError> {
        if self.records == 0 {
            let reason = format!("no record could be read ({} rejected)", self.rejected);
            return Err(SyncError::FormatChanged { url: url.to_string(), reason });
        }
        Ok(self)
    }
}
