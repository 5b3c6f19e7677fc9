//! What the search index (`lobbyscope-index`) reads of a store: every record a search can find,
//! in pages by key, and which of them were imported since the index last looked.
//!
//! The index is derived data: it keeps only what it needs to find a record and count it in a
//! facet, and reads the records it shows back through the store, so a page never shows what the
//! store no longer holds. A record's `imported_at` (the file's, RFC 3339 to the second, UTC)
//! says what changed since: a record imported again unchanged keeps its first time, a replaced
//! one takes the new file's. What the analysis stage writes (position items, attachments'
//! texts) has no import time: [`AnalysedThrough`] says whether it changed.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::links::Organisation;
use crate::views::{ActivityCounts, PersonKind};
use lobbyscope_domain::PersonKey;

/// An organisation as the index holds it: every name a search should find it by, what the
/// register says it works on, and how active it is (the order of name suggestions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganisationDocument {
    #[serde(flatten)]
    pub organisation: Organisation,
    /// Its other names, each once: earlier register names and acronyms, names sources
    /// published for it; not its `name` or `acronym`.
    pub names: Vec<String>,
    /// The newest register entry's goals, if registered.
    pub goals: Option<String>,
    /// The newest register entry's head office country (as published, e.g. `BELGIUM`).
    pub country: Option<String>,
    /// The newest register entry's category, as published.
    pub category: Option<String>,
    /// Its kept activity counts, as on the organisations list.
    pub counts: ActivityCounts,
}

/// A person who hosted meetings, as the index holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonDocument {
    pub key: PersonKey,
    pub kind: PersonKind,
    pub name: String,
    /// Other spellings the sources gave, each once, not `name`.
    pub names: Vec<String>,
    /// Titles (officials) or capacities (MEPs) as published, each once, most frequent first.
    pub roles: Vec<String>,
    /// How many meetings they hosted (the order of name suggestions).
    pub meetings: u64,
}

/// A point in import time: records imported at or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ImportedSince(pub DateTime<Utc>);

impl ImportedSince {
    /// The form stores keep `imported_at` in, which orders as the times do.
    pub fn stamp(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Secs, true)
    }
}

/// How far the analysis stage has written, as an index compares it with what it last saw:
/// position items shown and attachment texts kept, with the newest time each was written.
/// An item written, replaced or retired, or a text extracted, changes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AnalysedThrough {
    pub items_shown: u64,
    /// The newest `written_at` of any position item (RFC 3339).
    pub items_written: Option<String>,
    pub texts: u64,
    /// The newest `extracted_at` of any attachment text (RFC 3339).
    pub texts_extracted: Option<String>,
}
