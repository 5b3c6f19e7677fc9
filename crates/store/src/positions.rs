//! Position items as the store keeps them: what the analysis stage reads to write them, what it
//! writes back (every sentence with its checker verdict), and what pages show.
//!
//! An item's id is its cache key, derived from everything that could change what a writer
//! produces: the organisation, the group of sources, each source's content hash, the writer,
//! its model and its prompt version. Unchanged inputs therefore find their item and are never
//! sent to a model again.

use chrono::{NaiveDate, NaiveDateTime};
use lobbyscope_domain::{Citation, Document, Part, Provenance, RegisterId, When};
use serde::Serialize;

use crate::{OrgKey, Organisation};

/// Everything of one organisation's own words that position items may be written from.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionInputs {
    pub organisation: Organisation,
    /// Its consultation responses, oldest first.
    pub responses: Vec<ResponseInput>,
    /// Its newest register entry, when it has goals or followed proposals.
    pub register: Option<RegisterInput>,
    /// Texts extracted earlier from its responses' attachments.
    pub attachment_texts: Vec<SourceTextRecord>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResponseInput {
    pub id: u64,
    pub date: Option<NaiveDateTime>,
    pub initiative_id: Option<u64>,
    pub initiative_title: Option<String>,
    pub text: String,
    pub attachments: Vec<Document>,
    pub content_hash: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegisterInput {
    pub register_id: RegisterId,
    /// The snapshot the entry is from.
    pub snapshot_date: NaiveDate,
    /// The entry's own last update, when the snapshot gives one.
    pub last_update_date: Option<NaiveDate>,
    pub goals: Option<String>,
    pub eu_legislative_proposals: Option<String>,
    pub content_hash: String,
}

/// Text extracted from a file (a response's attachment), kept so that citations into it can be
/// checked later without the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceTextRecord {
    /// `attachment:<response>:<document>` (see `lobbyscope_domain::SourceRef`).
    pub id: String,
    pub response_id: u64,
    /// The file's name as read, without its directory.
    pub file: String,
    /// SHA-256 of the file's bytes.
    pub file_sha256: String,
    /// How the text was extracted, e.g. `pdftotext` or `text`.
    pub extractor: String,
    pub text: String,
    /// RFC 3339.
    pub extracted_at: String,
}

/// Where writing an item got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Written and checked; shown when at least one sentence was kept.
    Written,
    /// The writer found no position in the sources (e.g. "see attached file"), or the checker
    /// kept nothing: final for these inputs, not retried.
    Empty,
    /// The writer failed (endpoint down, malformed answer); retried by the next run.
    Pending,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Written => "written",
            ItemStatus::Empty => "empty",
            ItemStatus::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<ItemStatus> {
        [ItemStatus::Written, ItemStatus::Empty, ItemStatus::Pending].into_iter().find(|k| k.as_str() == s)
    }
}

/// A sentence as a writer proposed it, with the checker's verdict. Dropped sentences are kept
/// too, so that anyone can see what the checker removed and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckedSentence {
    pub part: Part,
    pub text: String,
    /// The spans the sentence cites; empty when it cited nothing or only passages that do not
    /// exist.
    pub citations: Vec<Citation>,
    pub kept: bool,
    /// Why the checker dropped it.
    pub reason: Option<String>,
    /// Support score, 0..=1.
    pub score: f64,
}

/// One position item as the analysis stage writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewPositionItem {
    /// The cache key (see the module documentation), 32 hex digits.
    pub id: String,
    pub org_key: OrgKey,
    /// What the item is about, e.g. `response:2665651` or `register:953701819437-32`: for one
    /// organisation and group, pages show the newest written item.
    pub group: String,
    /// `extractive` or `llm`.
    pub writer: String,
    pub model: Option<String>,
    pub prompt_version: String,
    pub status: ItemStatus,
    /// Why a pending item failed.
    pub error: Option<String>,
    pub headline: Option<String>,
    /// The position's date: its newest source's.
    pub date: Option<When>,
    /// RFC 3339.
    pub written_at: String,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// The source ids the writer was given (`SourceRef` text forms).
    pub sources: Vec<String>,
    pub sentences: Vec<CheckedSentence>,
}

/// One sentence as pages show it: only sentences the checker kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionSentence {
    pub part: Part,
    pub text: String,
    pub citations: Vec<Citation>,
}

/// A position item on a timeline and in `/api/org/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionItemView {
    pub id: String,
    pub org_key: OrgKey,
    pub group: String,
    pub headline: String,
    pub date: Option<When>,
    pub writer: String,
    pub model: Option<String>,
    pub prompt_version: String,
    pub written_at: String,
    pub sources: Vec<String>,
    /// Kept sentences, Message first, then Why, then Impact, each in the writer's order.
    pub sentences: Vec<PositionSentence>,
    /// Sentences the checker dropped from this item.
    pub dropped: u32,
}

/// A position item with every sentence the writer proposed and the checker's verdicts, for
/// `/position/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionDetail {
    #[serde(flatten)]
    pub item: PositionItemView,
    pub status: ItemStatus,
    pub error: Option<String>,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub verdicts: Vec<CheckedSentence>,
}

/// What `/api/source/{id}` returns: a text position items may cite, in full.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceView {
    pub id: String,
    pub kind: SourceTextKind,
    pub org_key: Option<OrgKey>,
    /// The organisation's name, or the name the source gave.
    pub organisation: Option<String>,
    /// When the text was published.
    pub date: Option<When>,
    /// What the text answers or is: the initiative's title, or the attachment's file name;
    /// none for a register entry's texts.
    pub title: Option<String>,
    pub text: String,
    /// The record the text was read from; for an attachment, the response that lists it.
    pub provenance: Provenance,
    /// For an attachment: how its text was extracted and from which file.
    pub extracted: Option<SourceTextRecord>,
}

/// What a text that position items may cite is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceTextKind {
    Response,
    Attachment,
    /// A register entry's goals and remit.
    RegisterGoals,
    /// The EU legislative proposals a register entry follows.
    RegisterProposals,
}

/// Position items in the store, by status, for `lobbyscope stats`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PositionCounts {
    /// Items shown on pages.
    pub shown: i64,
    pub written: i64,
    pub empty: i64,
    pub pending: i64,
}
