//! The store interface: what the import pipeline and the site need from a database, and nothing
//! about how a particular database does it.
//!
//! Backends live in their own crates (`lobbyscope-store-sqlite`, `lobbyscope-store-postgres`)
//! and must pass the same contract tests (`lobbyscope-store-contract`). Nothing
//! SQL-dialect-specific crosses this boundary.

use async_trait::async_trait;
use lobbyscope_domain::{MeetingId, Provenance, Record, SourceKind};
use serde::Serialize;

pub mod copy;
mod documents;
mod health;
mod links;
mod listing;
mod lock;
mod positions;
mod search;
mod timeline;
mod views;

pub use copy::{
    COPY_TRANSACTION_ROWS, CopyCursor, CopyError, CopyPage, CopyProgress, CopyReport, CopyRow, CopyTable, CopyValue,
    CopyWriter, QuietCopy, Side, TableCount, copy_store,
};
/// The most organisations [`Store::organisations_among`] narrows the list to: well within what
/// one statement may bind on either backend.
pub const MAX_AMONG: usize = 10_000;

pub use documents::{AnalysedThrough, ImportedSince, OrganisationDocument, PersonDocument};
pub use health::{RunFigures, SourceHealth, late_after};
pub use links::{
    Alias, LinkInputs, LinkMethod, LinkedMention, Mention, MentionGroup, MentionRef, Organisation, RegisteredName,
};
pub use listing::{ListedKind, Listing, ListingMarks, Scope};
pub use lock::{ImportGuard, LockAttempt, LockHolder};
pub use positions::*;
pub use search::{NameQuery, rank_hits};
pub use timeline::{QuarterActivity, Seek, TimelineSummary, Wanted};
pub use views::*;

// The keys and the position items' shared vocabulary, so that backends and pages need not name
// the domain.
pub use lobbyscope_domain::{Citation, FoldedName, OrgKey, Part, PersonKey, When};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(String),
    /// The database refused what a file holds (a value too large for it, text it cannot store,
    /// a constraint): that file is not imported, and the others go on.
    #[error("the database refused this file's records: {0}")]
    Refused(String),
    #[error("cannot open the store at {path}: {reason}")]
    Open { path: String, reason: String },
    /// A stored value the store cannot read back (a wrong type, a malformed date, an unknown
    /// kind): a bug, a hand-edited database, or one written by a newer version. Never bad input,
    /// which the importer rejects before it is stored.
    #[error("cannot read {table}.{column}: {reason}")]
    Row { table: &'static str, column: String, reason: String },
    /// Stored rows that cannot all be true at once (a citation of a sentence that is not stored).
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// Another process kept the database locked for writing longer than the store waits.
    #[error("the database is busy: {0}")]
    Busy(String),
    /// The database cannot be reached just now (connection lost or refused, no connection free
    /// in time, the pool closed): worth trying again later, unlike the errors above.
    #[error("the database cannot be reached: {0}")]
    Unavailable(String),
    /// A statement ran past the store's statement timeout and the database stopped it.
    #[error("the database stopped a statement that ran too long: {0}")]
    TooSlow(String),
    #[error("cannot take the import lock {path}: {reason}")]
    Lock { path: String, reason: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One file being imported.
#[derive(Debug, Clone)]
pub struct ImportFile {
    /// The path or URL as given.
    pub file: String,
    pub source: SourceKind,
    /// SHA-256 of the file's bytes as read (before decompression).
    pub sha256: String,
    /// RFC 3339.
    pub imported_at: String,
}

/// A record ready to store: its content, where it came from, and the organisations its
/// mentions were linked to when it was read.
#[derive(Debug, Clone)]
pub struct Stamped {
    pub prov: Provenance,
    pub record: Record,
    /// One entry per organisation mention, in order: a meeting's attendees, or a response's
    /// author. `None` (or a short list) leaves a mention unlinked until the next full linking.
    pub links: Vec<Option<MentionLink>>,
}

/// The organisation a mention was linked to, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionLink {
    pub org: OrgKey,
    pub method: LinkMethod,
}

/// What writing a batch did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WriteCounts {
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl std::ops::AddAssign for WriteCounts {
    fn add_assign(&mut self, o: Self) {
        self.new += o.new;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

impl std::iter::Sum for WriteCounts {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        let mut total = WriteCounts::default();
        for c in iter {
            total += c;
        }
        total
    }
}

impl WriteCounts {
    pub fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::New => self.new += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
        }
    }
}

/// What writing did with one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    New,
    /// It replaced a stored version (or an earlier version in the same write).
    Updated,
    /// The same version was stored already.
    Unchanged,
}

/// A file read whole, ready to be written into an import session.
#[derive(Debug, Clone, Copy)]
pub struct WholeFile<'a> {
    pub file: &'a ImportFile,
    pub records: &'a [Stamped],
    /// The organisations its records' links point at.
    pub organisations: &'a [Organisation],
}

/// Record counts, for `lobbyscope stats` and the home page.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub organisations: i64,
    /// Organisations known by a register ID (listed in a register snapshot, or named by ID in a
    /// meeting or consultation response).
    pub registered_organisations: i64,
    /// Dated register snapshots imported (one per export file).
    pub register_snapshots: i64,
    /// Organisation entries across all snapshots.
    pub register_entries: i64,
    pub meetings: i64,
    pub commission_meetings: i64,
    pub parliament_meetings: i64,
    pub initiatives: i64,
    pub publications: i64,
    pub consultation_responses: i64,
    pub people: i64,
    pub imported_files: i64,
    /// RFC 3339 time of the latest import, if any.
    pub last_import: Option<String>,
    pub position_items: PositionCounts,
}

/// A database lobbyscope can keep its records in.
#[async_trait]
pub trait Store: Send + Sync {
    /// Starts writing one file. Everything written through the returned writer becomes visible
    /// at [`FileWriter::commit`] and not before; dropping the writer discards it all.
    async fn begin(&self, file: &ImportFile) -> Result<Box<dyn FileWriter>>;

    /// Starts an import session: whole files written one after the other
    /// ([`ImportSession::write_file`]) and made visible together at [`ImportSession::commit`].
    /// Small files (a Have Your Say page holds tens of records) would otherwise pay a
    /// transaction each. While a session is open, [`Store::begin`] waits for it.
    async fn begin_session(&self) -> Result<Box<dyn ImportSession>>;

    /// Every name in the stored register snapshots.
    async fn registered_names(&self) -> Result<Vec<RegisteredName>>;

    /// Every distinct name that meetings and responses published beside a register ID, with
    /// how many mentions did: what the linker learns an organisation's other names from.
    async fn published_aliases(&self) -> Result<Vec<Alias>>;

    /// Starts a full linking pass in one transaction: mentions are read page by page
    /// ([`Relinker::next_groups`]) and their links written as they are made, so that memory
    /// stays flat however many mentions are stored. Run it under the import lock.
    async fn begin_relink(&self) -> Result<Box<dyn Relinker>>;

    /// Everything a full linking pass needs, in memory: registered names and every organisation
    /// mention. For tests and small stores; the import pipeline pages through [`Store::begin_relink`].
    async fn link_inputs(&self) -> Result<LinkInputs> {
        let registered = self.registered_names().await?;
        let aliases = self.published_aliases().await?;
        let mut pass = self.begin_relink().await?;
        let mut groups = Vec::new();
        loop {
            let page = pass.next_groups(RELINK_PAGE).await?;
            if page.is_empty() {
                break;
            }
            groups.extend(page);
        }
        Ok(LinkInputs { registered, aliases, groups })
    }

    /// Stores a full linking pass at once: every mention's link, and the complete organisation
    /// list (organisations not in it are removed), in one transaction that also clears
    /// [`Store::relink_pending`]. Returns how many mentions changed their link. Run it under the
    /// import lock, so that no register file commits between reading the inputs and this.
    async fn apply_links(&self, links: &[LinkedMention], organisations: &[Organisation]) -> Result<u64> {
        let mut pass = self.begin_relink().await?;
        let changed = pass.write_links(links).await?;
        pass.finish(organisations).await?;
        Ok(changed)
    }

    /// Whether a full linking pass is owed: a committed file changed the register since the
    /// last [`Store::apply_links`]. Set in that file's own transaction, so that a process killed
    /// before its linking pass leaves the pass to the next one instead of losing it.
    async fn relink_pending(&self) -> Result<bool>;

    /// Says that a run is about to write many records. Tables that hold none yet may stop
    /// maintaining their secondary indexes until [`Store::end_bulk_load`] builds each once:
    /// at the EU's size that is much cheaper than keeping them up to date row by row. Reads stay
    /// right meanwhile, only slower. What is deferred is recorded in the store, so that a
    /// process killed before the end leaves it to the next `end_bulk_load`. Returns whether
    /// anything was deferred. Run it under the import lock.
    async fn begin_bulk_load(&self) -> Result<bool>;

    /// Builds whatever a bulk load deferred, this run's or one an interrupted run left; returns
    /// whether there was anything to build. Run it under the import lock.
    async fn end_bulk_load(&self) -> Result<bool>;

    /// Takes the import lock when no one holds it; otherwise says who does. Imports and
    /// linking passes run under it, so that two never interleave. The holder is recorded for
    /// the message of whoever waits; a process that dies holding the lock releases it.
    async fn try_lock_for_import(&self, me: &LockHolder) -> Result<LockAttempt>;

    /// Takes the import lock, waiting for as long as another process holds it.
    async fn lock_for_import(&self, me: &LockHolder) -> Result<ImportGuard>;

    async fn stats(&self) -> Result<Stats>;

    async fn organisation(&self, key: &OrgKey) -> Result<Option<Organisation>>;

    /// An organisation with its register history and the other names sources gave it.
    async fn organisation_view(&self, key: &OrgKey) -> Result<Option<OrganisationView>>;

    /// An organisation's meetings and consultation responses, newest first.
    async fn organisation_activity(&self, key: &OrgKey, filter: &ActivityFilter) -> Result<ActivityPage>;

    /// One meeting by its identity, with its earlier versions (`history`).
    async fn meeting(&self, id: &MeetingId) -> Result<Option<MeetingView>>;

    /// One consultation response by its Have Your Say id.
    async fn response(&self, id: u64) -> Result<Option<ResponseView>>;

    // --- people and procedures (MEP, Commission official, procedure pages) ---

    /// A person who hosted meetings.
    async fn person(&self, key: &PersonKey) -> Result<Option<PersonView>>;

    /// A person's meetings, newest first (a person's timeline holds no consultation responses).
    async fn person_activity(&self, key: &PersonKey, filter: &ActivityFilter) -> Result<ActivityPage>;

    /// The meetings citing a procedure reference such as `2022/0155(COD)`, newest first.
    async fn procedure_activity(&self, reference: &str, filter: &ActivityFilter) -> Result<ActivityPage>;

    // --- end people and procedures ---

    // --- what the search index reads (`lobbyscope-index`; `documents`) ---

    /// The newest `imported_at` of any file the store holds: every record stored now was
    /// imported at or before it. `None` for an empty store.
    async fn imported_through(&self) -> Result<Option<ImportedSince>>;

    /// Meeting ids in the order of the stored ids, after `after`, of the meetings imported
    /// at or after `since` (every meeting when `None`); at most `limit`.
    async fn meeting_ids(
        &self,
        since: Option<ImportedSince>,
        after: Option<&MeetingId>,
        limit: u32,
    ) -> Result<Vec<MeetingId>>;

    /// Consultation response ids in ascending order, after `after`, of the responses imported at
    /// or after `since`; at most `limit`.
    async fn response_ids(&self, since: Option<ImportedSince>, after: Option<u64>, limit: u32) -> Result<Vec<u64>>;

    /// Initiative ids in ascending order, after `after`, of the initiatives imported at or after
    /// `since`; at most `limit`.
    async fn initiative_ids(&self, since: Option<ImportedSince>, after: Option<u64>, limit: u32) -> Result<Vec<u64>>;

    /// The meetings of `ids` that are stored, as `meeting` gives them but without `history`,
    /// in the order of `ids`.
    async fn meetings(&self, ids: &[MeetingId]) -> Result<Vec<MeetingView>>;

    /// The responses of `ids` that are stored, as `response` gives them, in the order of `ids`.
    async fn responses(&self, ids: &[u64]) -> Result<Vec<ResponseView>>;

    /// Organisations in the order of their stored keys, after `after` (the last of the page
    /// before); at most `limit`.
    async fn organisation_documents(&self, after: Option<&OrgKey>, limit: u32) -> Result<Vec<OrganisationDocument>>;

    /// People who hosted meetings, in the order of their stored keys, after `after` (the last of
    /// the page before); at most `limit`.
    async fn person_documents(&self, after: Option<&PersonKey>, limit: u32) -> Result<Vec<PersonDocument>>;

    /// What the analysis stage has written so far (see [`AnalysedThrough`]).
    async fn analysed_through(&self) -> Result<AnalysedThrough>;

    /// Ids of the position items pages show, in ascending order, after `after`; at most `limit`.
    async fn position_ids(&self, after: Option<&str>, limit: u32) -> Result<Vec<String>>;

    /// The position items of `ids` that are stored, as timelines show them, in the order of `ids`.
    async fn positions(&self, ids: &[String]) -> Result<Vec<PositionItemView>>;

    /// Ids of the responses with an attachment text extracted at or after `since` (an
    /// `extracted_at`; every one with a text when `None`), ascending, after `after`; at most
    /// `limit`.
    async fn text_response_ids(&self, since: Option<&str>, after: Option<u64>, limit: u32) -> Result<Vec<u64>>;

    /// The attachment texts kept for the responses of `ids`, by response, then by id.
    async fn attachment_texts(&self, ids: &[u64]) -> Result<Vec<SourceTextRecord>>;

    // --- consultations, home page and lists ---

    /// A Have Your Say initiative with its publications, by its id.
    async fn initiative(&self, id: u64) -> Result<Option<InitiativeView>>;

    /// The responses to an initiative's publications, newest first, `limit` of them from
    /// `offset`, with counts by respondent type and country over all of them.
    async fn initiative_responses(&self, id: u64, offset: u32, limit: u32) -> Result<ResponsePage>;

    /// Organisations whose name, acronym, any register name (case and accents folded) or
    /// register ID match `query`: exact matches first, then prefixes, then the rest; at most
    /// `limit`.
    async fn find_organisations(&self, query: &str, limit: u32) -> Result<Vec<OrganisationHit>>;

    /// The newest meetings and consultation responses of all, newest first.
    async fn latest_activity(&self, limit: u32) -> Result<Vec<Activity>>;

    /// Every organisation with its activity counts, in `sort` order, `limit` of them from
    /// `offset`.
    async fn organisations_list(&self, sort: OrgSort, offset: u32, limit: u32) -> Result<OrganisationList>;

    /// The next `limit` organisations of the list in `sort` order after the organisation
    /// `after` (keyset paging: deep pages and whole-list exports cost what the first page
    /// does). No rows when `after` is not listed.
    async fn organisations_after(&self, sort: OrgSort, after: &OrgKey, limit: u32) -> Result<OrganisationList>;

    /// The list narrowed to the organisations of `keys` (a search's matches; those not stored
    /// are left out, and only the first [`MAX_AMONG`]): a page in `sort` order from `offset`,
    /// with how many of them are stored.
    async fn organisations_among(
        &self,
        keys: &[OrgKey],
        sort: OrgSort,
        offset: u32,
        limit: u32,
    ) -> Result<OrganisationList>;

    // --- end consultations, home page and lists ---

    // --- position items ---

    /// Organisations with any text of their own to write position items from (a consultation
    /// response, or register goals or followed proposals), by key.
    async fn position_orgs(&self) -> Result<Vec<OrgKey>>;

    /// One organisation's texts for position items; `None` when the organisation is unknown.
    async fn position_inputs(&self, org: &OrgKey) -> Result<Option<PositionInputs>>;

    /// Keeps a text extracted from an attachment, replacing an earlier one with the same id.
    async fn save_source_text(&self, text: &SourceTextRecord) -> Result<()>;

    /// The status of those of `ids` that are stored.
    async fn position_status(&self, ids: &[String]) -> Result<Vec<(String, ItemStatus)>>;

    /// Stores an item in one transaction, replacing a stored item with the same id (a pending
    /// one being retried) and removing the same writer's items for the same organisation and
    /// group written from other inputs (superseded). For each organisation and group, pages
    /// show the newest written item with at least one kept sentence.
    async fn save_position_item(&self, item: &NewPositionItem) -> Result<()>;

    /// Removes the organisation's items for groups not in `groups` (e.g. a response now linked
    /// to another organisation). Returns how many items went.
    async fn retire_position_items(&self, org: &OrgKey, groups: &[String]) -> Result<u64>;

    /// One stored item with all its verdicts, shown or not.
    async fn position_item(&self, id: &str) -> Result<Option<PositionDetail>>;

    /// A text position items may cite, by its `SourceRef` text form.
    async fn source(&self, id: &str) -> Result<Option<SourceView>>;

    // --- end position items ---

    /// A number that grows with every committed change to the data: whatever was read under one
    /// generation stays true until it changes.
    async fn data_generation(&self) -> Result<i64>;

    /// Stores one source's health, replacing what was kept for it, in a transaction of its own
    /// that moves the data generation on.
    async fn save_source_health(&self, health: &SourceHealth) -> Result<()>;

    /// Every source's health kept, in [`lobbyscope_domain::SourceId`] order; a source never
    /// synced is absent.
    async fn source_health(&self) -> Result<Vec<SourceHealth>>;

    /// Marks what `listing` held before and holds no longer "no longer published since" its
    /// day (a mark already there keeps its first day), and clears the mark of what it holds
    /// again. Records are never deleted for it.
    async fn mark_listing(&self, listing: &Listing) -> Result<ListingMarks>;

    /// Since when a record (a meeting's id, a response's or an initiative's id, a register
    /// ID) is no longer published, if it is not.
    async fn withdrawn_since(&self, kind: ListedKind, record: &str) -> Result<Option<chrono::NaiveDate>>;

    // --- copying a whole store (`copy::copy_store`) ---

    /// At most `limit` rows of `table` after the row `after` points at (from the first when
    /// `None`), in the order of the table's key, text by code point, whatever the backend:
    /// every backend gives the same pages of the same rows. The page's `next` is where the
    /// following page starts, `None` when no row follows.
    async fn copy_out(&self, table: CopyTable, after: Option<&CopyCursor>, limit: usize) -> Result<CopyPage>;

    /// How many rows `table` holds.
    async fn copy_count(&self, table: CopyTable) -> Result<u64>;

    /// Starts writing rows [`Store::copy_out`] read, from this backend or another, into this
    /// store, which must hold none of them; its aggregates are kept as the rows arrive. Run it
    /// under the import lock.
    async fn begin_copy_in(&self) -> Result<Box<dyn CopyWriter>>;
}

/// Mentions per page of a full linking pass: large enough for multi-row statements to pay,
/// small enough that a page of consultation responses' names stays a few megabytes.
pub const RELINK_PAGE: usize = 20_000;

/// A full linking pass under way, inside one transaction: nothing is visible before
/// [`Relinker::finish`], and dropping it discards everything.
#[async_trait]
pub trait Relinker: Send {
    /// The next mention groups, in a stable order (each meeting's attendees in published order,
    /// then consultation responses), about `limit` mentions (a meeting's group is never split);
    /// empty when every mention has been read.
    async fn next_groups(&mut self, limit: usize) -> Result<Vec<MentionGroup>>;

    /// Stores links; only those that differ from the stored link are written. Returns how many
    /// mentions changed their link.
    async fn write_links(&mut self, links: &[LinkedMention]) -> Result<u64>;

    /// Makes `organisations` the complete organisation list (others are removed), clears
    /// [`Store::relink_pending`] and commits.
    async fn finish(self: Box<Self>, organisations: &[Organisation]) -> Result<()>;
}

/// Whole files written in one transaction. Nothing is visible before [`ImportSession::commit`];
/// dropping the session discards every file written through it.
#[async_trait]
pub trait ImportSession: Send {
    /// Writes whole files, in order, each as [`FileWriter::write`] then [`FileWriter::commit`]
    /// would after the files before it; what became of each, in the same order. A backend may
    /// write several files in the same statements where the result is the same as one by one:
    /// files of many small records cost mostly their statements. A file the database refuses
    /// ([`StoreError::Refused`]) is left out alone, as if it had not been given, and is that
    /// file's outcome; any other error ends the session.
    async fn write_files(&mut self, files: &[WholeFile<'_>]) -> Result<Vec<Result<WriteCounts>>>;

    /// Leaves a full linking pass owed ([`Store::relink_pending`]) when the session commits: its
    /// files gave names beside register IDs that the linker did not know for them, so links
    /// made before them may change.
    async fn owe_relink(&mut self) -> Result<()>;

    /// Writes one whole file (all its records in one call, so that a file is never half
    /// written).
    async fn write_file(
        &mut self,
        file: &ImportFile,
        records: &[Stamped],
        organisations: &[Organisation],
    ) -> Result<WriteCounts> {
        let outcomes = self.write_files(&[WholeFile { file, records, organisations }]).await?;
        outcomes
            .into_iter()
            .next()
            .unwrap_or_else(|| Err(StoreError::Corrupt("no outcome for the file written".into())))
    }

    /// Makes every file written in the session visible at once.
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// Writes the records of one file inside one transaction. A file that adds or changes register
/// entries also marks a full linking pass as owed ([`Store::relink_pending`]) when it commits.
#[async_trait]
pub trait FileWriter: Send {
    /// Writes a batch; records already stored with the same content are left untouched.
    /// `organisations` are those the batch's links point at: added when new; an existing one
    /// takes the new name only when it sorts first, so the name kept does not depend on the
    /// order files arrive in (see `lobbyscope-resolve`).
    async fn write(&mut self, batch: &[Stamped], organisations: &[Organisation]) -> Result<WriteCounts>;
    /// As [`ImportSession::owe_relink`], when the file commits.
    async fn owe_relink(&mut self) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
}
