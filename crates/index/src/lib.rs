//! The search index: every organisation, person, meeting, consultation response (with its
//! attachments' extracted texts), initiative and shown position item the store holds, findable
//! by word, phrase or prefix in any of the EU's languages, with counts by facet, and
//! organisation and person names suggested as they are typed.
//!
//! The index is derived data (tantivy, in a directory of its own): it holds the words and facets
//! of each record and the id to read it back by, never the source of truth. Pages read what they
//! show from the store. Each commit records how far into the store it reaches (the store's data
//! generation and import time, `IndexState`), so a server can tell a stale index and bring it up
//! to date ([`SearchIndex::update`]), and an index of another version, or one that cannot be
//! read, is made again rather than failing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use lobbyscope_store::{AnalysedThrough, ImportedSince, LockAttempt, LockHolder, SourceTextRecord, Store, StoreError};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument, Term};

mod docs;
pub mod lang;
mod query;
mod schema;

use docs::facet_value;
pub use docs::{DocId, DocKind, FACETS, FlatDoc};
pub use lang::Language;
pub use query::MAX_TERMS;
use query::QueryReader;
use schema::Fields;
pub use schema::VERSION;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index {path}: {reason}")]
    Index { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T, E = IndexError> = std::result::Result<T, E>;

/// How far into the store an index reaches, as its last commit recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexState {
    pub version: u32,
    /// The store's data generation when the commit's reading began.
    pub generation: i64,
    /// Every record imported at or before this time is in the index (RFC 3339).
    pub through: Option<String>,
    /// How many files the store had imported then: imports within one second of each other
    /// share a time, not a count.
    #[serde(default)]
    pub files: i64,
    /// What the analysis stage had written then.
    #[serde(default)]
    pub analysed: AnalysedThrough,
    /// When the commit was made (RFC 3339).
    pub indexed_at: String,
}

/// What an update did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UpdateReport {
    /// Whether everything was indexed again (a new or unreadable index, another version, a
    /// store that is not the one indexed), rather than what was imported since.
    pub full: bool,
    /// Documents written, per kind, in `DocKind::ALL` order.
    pub written: Written,
    /// Whether the update did nothing because an import or another update was running: the
    /// index stays as it was, and a later update catches up.
    pub busy: bool,
}

impl UpdateReport {
    pub fn total(&self) -> u64 {
        self.written.iter().sum()
    }
}

/// Told how an update goes, for a progress bar.
pub trait UpdateProgress: Send + Sync {
    fn kind_started(&self, _kind: DocKind) {}
    fn documents(&self, _n: u64) {}
}

/// An update nobody watches.
pub struct Quiet;
impl UpdateProgress for Quiet {}

/// Records read from the store per page while indexing.
const PAGE: u32 = 500;
/// The index writer's memory for documents not yet written out, shared by its threads.
const WRITER_MEMORY: usize = 128 * 1024 * 1024;

/// The index of one store, in one directory.
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    fields: Fields,
    reader: IndexReader,
    // Updates in this process take turns; another process's update is kept out by tantivy's
    // own lock on the directory.
    updating: AtomicBool,
}

/// This process's turn to update, given back when dropped.
struct Turn<'a>(&'a AtomicBool);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn err(dir: &Path, e: impl std::fmt::Display) -> IndexError {
    IndexError::Index { path: dir.display().to_string(), reason: e.to_string() }
}

impl SearchIndex {
    /// Opens the index in `dir`, making it (empty) when there is none, or afresh when the one
    /// there is of another version or cannot be read: an index is never the only copy of
    /// anything. An empty index has no state: `update` fills it.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir).map_err(|e| err(dir, e))?;
        let fields = Fields::new();
        let index = match Self::open_existing(dir, &fields) {
            Ok(Some(index)) => index,
            Ok(None) => Self::create(dir, &fields)?,
            Err(reason) => {
                tracing::warn!(index = %dir.display(), %reason, "the search index cannot be used as it is; making it again");
                Self::create(dir, &fields)?
            }
        };
        schema::register_tokenizers(&index);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(|e| err(dir, e))?;
        Ok(SearchIndex { dir: dir.to_owned(), index, fields, reader, updating: AtomicBool::new(false) })
    }

    /// `Ok(None)` when `dir` holds no index; `Err` when it holds one this version cannot use.
    fn open_existing(dir: &Path, fields: &Fields) -> std::result::Result<Option<Index>, String> {
        let directory = MmapDirectory::open(dir).map_err(|e| e.to_string())?;
        if !Index::exists(&directory).map_err(|e| e.to_string())? {
            return Ok(None);
        }
        let index = Index::open(directory).map_err(|e| e.to_string())?;
        if index.schema() != fields.schema {
            return Err("its fields are another version's".into());
        }
        let metas = index.load_metas().map_err(|e| e.to_string())?;
        if let Some(payload) = &metas.payload {
            let state: IndexState =
                serde_json::from_str(payload).map_err(|e| format!("its state cannot be read: {e}"))?;
            if state.version != VERSION {
                return Err(format!("it is version {}, this is {VERSION}", state.version));
            }
        }
        Ok(Some(index))
    }

    fn create(dir: &Path, fields: &Fields) -> Result<Index> {
        // What is there is unusable: clear the directory's files (never anything else).
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                    std::fs::remove_file(entry.path()).map_err(|e| err(dir, e))?;
                }
            }
        }
        let directory = MmapDirectory::open(dir).map_err(|e| err(dir, e))?;
        Index::create(directory, fields.schema.clone(), tantivy::IndexSettings::default()).map_err(|e| err(dir, e))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How far the index reaches, as its last commit says; `None` before its first update.
    pub fn state(&self) -> Result<Option<IndexState>> {
        let metas = self.index.load_metas().map_err(|e| err(&self.dir, e))?;
        let Some(payload) = metas.payload else { return Ok(None) };
        serde_json::from_str(&payload).map(Some).map_err(|e| err(&self.dir, e))
    }

    /// Whether the index shows everything the store holds now: `false` for an index never
    /// filled, or one behind the store's data generation.
    pub async fn is_current(&self, store: &dyn Store) -> Result<bool> {
        let generation = store.data_generation().await?;
        Ok(self.state()?.is_some_and(|s| s.generation == generation))
    }

    /// Brings the index up to the store: everything, for an index never filled or not of this
    /// store; else the meetings, responses and initiatives imported since it last reached, and
    /// every organisation and person again (their names and counts change with any import);
    /// and when the analysis stage wrote since, every shown position item again and the
    /// responses with attachment texts extracted since.
    ///
    /// It reads how far the store reaches while holding the store's import lock, so that no
    /// import is half-committed then; an import or another update running makes it a no-op
    /// (`busy`), to be caught up later.
    pub async fn update(
        &self,
        store: &dyn Store,
        me: &LockHolder,
        progress: &dyn UpdateProgress,
    ) -> Result<UpdateReport> {
        if self.updating.compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return Ok(UpdateReport { busy: true, ..UpdateReport::default() });
        }
        let _turn = Turn(&self.updating);
        let (generation, through, files, analysed) = match store.try_lock_for_import(me).await? {
            LockAttempt::Acquired(guard) => {
                let read = (
                    store.data_generation().await?,
                    store.imported_through().await?,
                    store.stats().await?.imported_files,
                    store.analysed_through().await?,
                );
                drop(guard);
                read
            }
            LockAttempt::Held(_) => return Ok(UpdateReport { busy: true, ..UpdateReport::default() }),
        };
        let mut writer: IndexWriter<TantivyDocument> = match self.index.writer(WRITER_MEMORY) {
            Ok(w) => w,
            Err(tantivy::TantivyError::LockFailure(..)) => {
                return Ok(UpdateReport { busy: true, ..UpdateReport::default() });
            }
            Err(e) => return Err(err(&self.dir, e)),
        };
        let state = self.state()?;
        // A store behind the index (a new database at the same place) is not the one indexed.
        let state = state.filter(|s| s.generation <= generation);
        let since = state
            .as_ref()
            .and_then(|s| s.through.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| ImportedSince(t.with_timezone(&chrono::Utc)));
        let wanted = match (&state, since) {
            (Some(state), Some(since)) => {
                // Nothing imported since (the store moved on by analysing, or a sync's health):
                // those documents stand. A linking pass owed by an interrupted import and made by
                // a run that imports nothing new is missed here (`index --rebuild`).
                let imported = state.through != through.map(|t| t.stamp()) || state.files != files;
                let (was, now) = (&state.analysed, &analysed);
                let items_since = (was.items_shown, &was.items_written) != (now.items_shown, &now.items_written);
                let texts_since = (was.texts, &was.texts_extracted) != (now.texts, &now.texts_extracted);
                Wanted {
                    imported: imported.then_some(Some(since)),
                    texts: texts_since.then(|| was.texts_extracted.clone()),
                    positions: items_since,
                    any_texts: now.texts > 0,
                }
            }
            _ => Wanted::everything(&analysed),
        };
        let full = wanted.imported == Some(None);
        if full {
            writer.delete_all_documents().map_err(|e| err(&self.dir, e))?;
        } else {
            // These are read whole again, so what is no longer in the store leaves the index.
            let mut whole = Vec::new();
            if wanted.imported.is_some() {
                whole.extend([DocKind::Organisation, DocKind::Person]);
            }
            if wanted.positions {
                whole.push(DocKind::Position);
            }
            for kind in whole {
                writer.delete_term(Term::from_field_text(self.fields.kind, kind.as_str()));
            }
        }
        let mut report = UpdateReport { full, ..UpdateReport::default() };
        report.written = for_each_document(store, &wanted, progress, |doc| {
            if !full && matches!(doc.id.kind(), DocKind::Meeting | DocKind::Response | DocKind::Initiative) {
                writer.delete_term(Term::from_field_text(self.fields.uid, &doc.id.uid()));
            }
            writer.add_document(doc.to_tantivy(&self.fields)).map(|_| ()).map_err(|e| err(&self.dir, e))
        })
        .await?;

        let state = IndexState {
            version: VERSION,
            generation,
            through: through.map(|t| t.stamp()).or_else(|| state.and_then(|s| s.through)),
            files,
            analysed,
            indexed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let payload = serde_json::to_string(&state).map_err(|e| err(&self.dir, e))?;
        let mut commit = writer.prepare_commit().map_err(|e| err(&self.dir, e))?;
        commit.set_payload(&payload);
        commit.commit().map_err(|e| err(&self.dir, e))?;
        writer.wait_merging_threads().map_err(|e| err(&self.dir, e))?;
        self.reader.reload().map_err(|e| err(&self.dir, e))?;
        tracing::info!(index = %self.dir.display(), full, documents = report.total(), "search index updated");
        Ok(report)
    }

    fn query_reader(&self) -> QueryReader {
        let tokenizers = self.index.tokenizers().clone();
        QueryReader::new(&self.fields, |name| tokenizers.get(name))
    }

    /// Runs a search. Each facet is counted under the query and every filter but its own, so
    /// that a chosen value's alternatives keep their counts (what choosing one of them instead
    /// would find); the total and hits are under every filter.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let parsed = self.query_reader().parse(&request.query);
        let filtered = |leave_out: Option<&str>| -> Box<dyn Query> {
            let mut parts: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, parsed.query.box_clone())];
            for (root, value) in request.filters.iter().filter(|(root, _)| Some(root.as_str()) != leave_out) {
                let term = Term::from_facet(self.fields.facets, &schema::facet(root, value));
                parts.push((Occur::Must, Box::new(TermQuery::new(term, IndexRecordOption::Basic))));
            }
            Box::new(BooleanQuery::new(parts))
        };
        let query = filtered(None);
        let searcher = self.reader.searcher();
        let mut facets = FacetCollector::for_field("facets");
        let chosen: Vec<&str> =
            FACETS.iter().copied().filter(|root| request.filters.iter().any(|(r, _)| r == root)).collect();
        for root in FACETS.iter().filter(|root| !chosen.contains(root)) {
            facets.add_facet(format!("/{root}").as_str());
        }
        let top = TopDocs::with_limit(request.limit.max(1)).and_offset(request.offset);
        let e = |e| err(&self.dir, e);
        let (addresses, total, counts): (Vec<(Option<f32>, DocAddress)>, usize, _) = match request.sort {
            Sort::Relevance => {
                let (top, total, counts) =
                    searcher.search(&query, &(top.order_by_score(), Count, facets)).map_err(e)?;
                (top.into_iter().map(|(s, a)| (Some(s), a)).collect(), total, counts)
            }
            Sort::Newest | Sort::Oldest => {
                let order = if request.sort == Sort::Newest { Order::Desc } else { Order::Asc };
                let by_date = top.order_by_fast_field::<i64>("date", order);
                let (mut top, total, counts) = searcher.search(&query, &(by_date, Count, facets)).map_err(e)?;
                // The collector picks the page by date but does not hand it back in order.
                top.sort_by(|a, b| if order == Order::Desc { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) });
                (top.into_iter().map(|(_, a)| (None, a)).collect(), total, counts)
            }
        };
        let mut hits = Vec::with_capacity(addresses.len());
        // The collector wants at least one hit; a request for none gets none.
        for (score, address) in addresses.into_iter().take(request.limit) {
            if let Some((id, title)) = self.stored(&searcher, address)? {
                hits.push(Hit { id, title, score });
            }
        }
        let mut sideways = Vec::with_capacity(chosen.len());
        for root in &chosen {
            let mut own = FacetCollector::for_field("facets");
            own.add_facet(format!("/{root}").as_str());
            sideways.push((*root, searcher.search(&*filtered(Some(root)), &own).map_err(|e| err(&self.dir, e))?));
        }
        let facets = FACETS
            .iter()
            .map(|root| {
                let path = format!("/{root}");
                let counted = sideways.iter().find(|(r, _)| r == root).map_or(&counts, |(_, c)| c);
                let mut values: Vec<FacetCount> =
                    counted.get(path.as_str()).map(|(f, n)| FacetCount { value: facet_value(f), count: n }).collect();
                values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
                (*root, values)
            })
            .collect();
        Ok(SearchResults {
            total: total as u64,
            hits,
            facets,
            notes: parsed.notes,
            matches_anything: parsed.matches_anything,
            snippets: Snippets { searcher, query, fields: self.fields.clone() },
        })
    }

    /// A found document's id and title as stored; `None` for one this version cannot read back
    /// (left out of the results rather than failing them).
    fn stored(&self, searcher: &Searcher, address: DocAddress) -> Result<Option<(DocId, String)>> {
        let doc: TantivyDocument = searcher.doc(address).map_err(|e| err(&self.dir, e))?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default();
        let id = DocKind::parse(text(self.fields.kind)).and_then(|kind| DocId::read(kind, text(self.fields.id)));
        Ok(id.map(|id| (id, text(self.fields.title).to_owned())))
    }

    /// Organisations and people whose names start with what was typed, word by word, allowing
    /// one typo in words of four letters or more ("internt soc" finds the Internet Society);
    /// those matching as typed first, each group by how active they are.
    pub fn suggest(&self, typed: &str, limit: usize) -> Result<Vec<Suggestion>> {
        let mut analyzer = schema::neutral_analyzer();
        let mut words = Vec::new();
        let mut stream = analyzer.token_stream(typed);
        while let Some(t) = stream.next() {
            words.push(t.text.clone());
        }
        words.truncate(8);
        if words.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let mut out: Vec<Suggestion> = Vec::new();
        for typos in [false, true] {
            let parts: Vec<(Occur, Box<dyn Query>)> = words
                .iter()
                .map(|w| {
                    let distance = u8::from(typos && w.chars().count() >= 4);
                    let term = Term::from_field_text(self.fields.name, w);
                    (Occur::Must, Box::new(FuzzyTermQuery::new_prefix(term, distance, true)) as Box<dyn Query>)
                })
                .collect();
            let query = BooleanQuery::new(parts);
            let top = TopDocs::with_limit(limit).order_by_fast_field::<u64>("weight", Order::Desc);
            let found = searcher.search(&query, &top).map_err(|e| err(&self.dir, e))?;
            for (weight, address) in found {
                let Some((id, name)) = self.stored(&searcher, address)? else { continue };
                if out.len() < limit && !out.iter().any(|s| s.id == id) {
                    out.push(Suggestion { id, name, weight: weight.unwrap_or(0), typo: typos });
                }
            }
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }
}

/// Which documents an update or the search benchmark reads from the store.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Every organisation and person, and the meetings, responses and initiatives imported at
    /// or after `Some(t)` (all when `Some(None)`); none of them when `None`.
    pub imported: Option<Option<ImportedSince>>,
    /// The responses with an attachment text extracted at or after `Some(t)` (all with one
    /// when `Some(None)`); when `None`, only those `imported` reads.
    pub texts: Option<Option<String>>,
    /// Every position item pages show.
    pub positions: bool,
    /// Whether any attachment text is kept: responses are read with theirs only then.
    pub any_texts: bool,
}

impl Wanted {
    /// Everything the store holds.
    pub fn everything(analysed: &AnalysedThrough) -> Wanted {
        Wanted { imported: Some(None), texts: None, positions: true, any_texts: analysed.texts > 0 }
    }
}

/// The documents `wanted`, page by page: what an update indexes, and what the search benchmark
/// gives FTS5. A response read twice (imported since, and with a text extracted since) is given
/// twice. Returns how many of each kind, in `DocKind::ALL` order.
pub async fn for_each_document(
    store: &dyn Store,
    wanted: &Wanted,
    progress: &dyn UpdateProgress,
    mut each: impl FnMut(FlatDoc) -> Result<()>,
) -> Result<Written> {
    let builder = docs::Builder::default();
    let mut written = Written::default();
    let mut read_at_once = ReadAtOnce::default();
    let mut page = |docs: Vec<FlatDoc>, kind: DocKind, written: &mut Written| -> Result<()> {
        progress.documents(docs.len() as u64);
        written[kind as usize] += docs.len() as u64;
        docs.into_iter().try_for_each(&mut each)
    };
    if let Some(since) = wanted.imported {
        progress.kind_started(DocKind::Organisation);
        let mut after = None;
        loop {
            let found = store.organisation_documents(after.as_ref(), PAGE).await?;
            let Some(last) = found.last() else { break };
            after = Some(last.organisation.key.clone());
            page(found.iter().map(|o| builder.organisation(o)).collect(), DocKind::Organisation, &mut written)?;
        }
        progress.kind_started(DocKind::Person);
        let mut after = None;
        loop {
            let found = store.person_documents(after.as_ref(), PAGE).await?;
            let Some(last) = found.last() else { break };
            after = Some(last.key.clone());
            page(found.iter().map(|p| builder.person(p)).collect(), DocKind::Person, &mut written)?;
        }
        progress.kind_started(DocKind::Meeting);
        let mut after = None;
        loop {
            let ids = store.meeting_ids(since, after.as_ref(), PAGE).await?;
            let Some(last) = ids.last() else { break };
            after = Some(last.clone());
            let mut rest = &ids[..];
            while !rest.is_empty() {
                let found = store.meetings(read_at_once.next(&mut rest)).await?;
                read_at_once.saw(found.iter().map(|m| m.subject.len() + m.attendees_raw.len()).sum(), found.len());
                page(found.iter().map(|m| builder.meeting(m)).collect(), DocKind::Meeting, &mut written)?;
            }
        }
        progress.kind_started(DocKind::Response);
        let mut after = None;
        loop {
            let ids = store.response_ids(since, after, PAGE).await?;
            let Some(last) = ids.last() else { break };
            after = Some(*last);
            responses(store, &builder, &ids, wanted.any_texts, &mut read_at_once, |docs| {
                page(docs, DocKind::Response, &mut written)
            })
            .await?;
        }
        progress.kind_started(DocKind::Initiative);
        let mut after = None;
        loop {
            let ids = store.initiative_ids(since, after, PAGE).await?;
            let Some(last) = ids.last() else { break };
            after = Some(*last);
            let mut found = Vec::with_capacity(ids.len());
            for id in &ids {
                found.extend(store.initiative(*id).await?.map(|i| builder.initiative(&i)));
            }
            page(found, DocKind::Initiative, &mut written)?;
        }
    }
    if let Some(since) = &wanted.texts {
        progress.kind_started(DocKind::Response);
        let mut after = None;
        loop {
            let ids = store.text_response_ids(since.as_deref(), after, PAGE).await?;
            let Some(last) = ids.last() else { break };
            after = Some(*last);
            responses(store, &builder, &ids, true, &mut read_at_once, |docs| {
                page(docs, DocKind::Response, &mut written)
            })
            .await?;
        }
    }
    if wanted.positions {
        progress.kind_started(DocKind::Position);
        let mut after: Option<String> = None;
        loop {
            let ids = store.position_ids(after.as_deref(), PAGE).await?;
            let Some(last) = ids.last() else { break };
            after = Some(last.clone());
            let found = store.positions(&ids).await?;
            page(found.iter().map(|p| builder.position(p)).collect(), DocKind::Position, &mut written)?;
        }
    }
    Ok(written)
}

/// Documents written, per kind, in `DocKind::ALL` order.
pub type Written = [u64; DocKind::ALL.len()];

/// The responses of `ids` as documents, with their attachments' texts when `with_texts`, a
/// piece of about `READ_BYTES` at a time.
async fn responses(
    store: &dyn Store,
    builder: &docs::Builder,
    ids: &[u64],
    with_texts: bool,
    read_at_once: &mut ReadAtOnce,
    mut page: impl FnMut(Vec<FlatDoc>) -> Result<()>,
) -> Result<()> {
    let mut rest = ids;
    while !rest.is_empty() {
        let chunk = read_at_once.next(&mut rest);
        let found = store.responses(chunk).await?;
        let texts = if with_texts { store.attachment_texts(chunk).await? } else { Vec::new() };
        let bytes =
            found.iter().map(|r| r.text.len()).sum::<usize>() + texts.iter().map(|t| t.text.len()).sum::<usize>();
        read_at_once.saw(bytes, found.len());
        page(found.iter().map(|r| builder.response(r, texts_of(&texts, r.id))).collect())?;
    }
    Ok(())
}

/// The texts of one response among `texts`, which come by response.
fn texts_of(texts: &[SourceTextRecord], response: u64) -> &[SourceTextRecord] {
    let start = texts.partition_point(|t| t.response_id < response);
    let end = texts.partition_point(|t| t.response_id <= response);
    &texts[start..end]
}

/// How many records to read from the store at once: as many as make about `READ_BYTES` of
/// text, going by the records read last, so that a page of huge records (a 2 MB subject) does
/// not hold hundreds of megabytes, and a page of ordinary ones costs one statement.
struct ReadAtOnce {
    n: usize,
}

/// The text one read from the store aims at.
const READ_BYTES: usize = 8 << 20;

impl Default for ReadAtOnce {
    fn default() -> Self {
        // Until the records' size is known: few enough for 64 of the largest a source allows.
        ReadAtOnce { n: 4 }
    }
}

impl ReadAtOnce {
    fn saw(&mut self, bytes: usize, records: usize) {
        let each = (bytes / records.max(1)).max(1);
        self.n = (READ_BYTES / each).clamp(1, PAGE as usize);
    }

    /// The next piece of `rest` to read.
    fn next<'a, T>(&self, rest: &mut &'a [T]) -> &'a [T] {
        let (chunk, more) = rest.split_at(self.n.min(rest.len()));
        *rest = more;
        chunk
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Relevance,
    Newest,
    Oldest,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Sort> {
        match s {
            "relevance" => Some(Sort::Relevance),
            "newest" => Some(Sort::Newest),
            "oldest" => Some(Sort::Oldest),
            _ => None,
        }
    }
}

/// A search as asked.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    /// Facet values every hit must have: (root, value), roots from `FACETS`.
    pub filters: Vec<(String, String)>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

/// One record found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: DocId,
    /// As indexed; pages show what the store holds now.
    pub title: String,
    /// Relevance, when sorted by it.
    pub score: Option<f32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

/// A page of results, with the counts of every facet over all of them.
pub struct SearchResults {
    pub total: u64,
    pub hits: Vec<Hit>,
    /// Per root of `FACETS`, its values by count.
    pub facets: Vec<(&'static str, Vec<FacetCount>)>,
    pub notes: Vec<String>,
    pub matches_anything: bool,
    pub snippets: Snippets,
}

/// A name suggested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub id: DocId,
    pub name: String,
    pub weight: u64,
    /// Found only by allowing a typo.
    pub typo: bool,
}

/// Makes a hit's snippet: the passage of its text where the query's words are, with them
/// marked.
pub struct Snippets {
    searcher: Searcher,
    query: Box<dyn Query>,
    fields: Fields,
}

/// A piece of a snippet, marked when it is a word the query found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Piece {
    pub text: String,
    pub marked: bool,
}

/// The most characters a snippet shows.
const SNIPPET_CHARS: usize = 240;

impl Snippets {
    /// The best passage of `text` for the query: marked as the exact words matched, else as a
    /// word's forms matched in `language`; the text's start when nothing in it matched.
    pub fn of(&self, text: &str, language: Option<Language>) -> Vec<Piece> {
        self.of_any(&[text], language)
    }

    /// The best passage of the first of `texts` in which the query matched (a response's own
    /// text, then its attachments'); the first text's start when it matched in none.
    pub fn of_any(&self, texts: &[&str], language: Option<Language>) -> Vec<Piece> {
        let fields = [Some(self.fields.text), language.and_then(|l| self.fields.stemmed_field(l))];
        let generators: Vec<SnippetGenerator> = fields
            .into_iter()
            .flatten()
            .filter_map(|field| SnippetGenerator::create(&self.searcher, &*self.query, field).ok())
            .map(|mut g| {
                g.set_max_num_chars(SNIPPET_CHARS);
                g
            })
            .collect();
        let best = texts.iter().find_map(|text| {
            generators.iter().map(|g| g.snippet(text)).find(|snippet| !snippet.highlighted().is_empty())
        });
        let Some(snippet) = best else {
            let text = texts.first().copied().unwrap_or_default();
            let start: String = text.chars().take(SNIPPET_CHARS).collect();
            let more = start.len() < text.len();
            return vec![Piece { text: if more { format!("{start}…") } else { start }, marked: false }];
        };
        let fragment = snippet.fragment();
        let piece = |from: usize, to: usize, marked: bool| Piece {
            text: fragment.get(from..to).unwrap_or_default().to_owned(),
            marked,
        };
        let mut pieces = Vec::new();
        let mut at = 0;
        for range in snippet.highlighted() {
            if range.start > at {
                pieces.push(piece(at, range.start, false));
            }
            pieces.push(piece(range.start, range.end, true));
            at = range.end;
        }
        if at < fragment.len() {
            pieces.push(piece(at, fragment.len(), false));
        }
        pieces
    }
}
