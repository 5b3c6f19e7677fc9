//! The import pipeline: files in, each written all or nothing, then a linking pass.
//!
//! Each file is recognised by its content, parsed, stamped and linked on a blocking thread and
//! written in batches by the async store writer as the parser goes, so parsing and writing
//! overlap. A file that fails as a whole (unreadable, truncated, not well-formed, of no known
//! source) commits nothing; a malformed record is reported and skipped.
//!
//! Files that fit in one batch (most Have Your Say pages) are known whole before they are
//! written, and share one transaction, the import session, committed every
//! [`SESSION_RECORDS`] records; a longer file gets a transaction of its own. A run killed
//! part-way loses at most the uncommitted session, which the same command imports again.
//!
//! Organisation mentions are linked as they are written, against the register as stored when
//! the run began. When a run changes the register itself, every mention is linked again at the
//! end, so the result never depends on the order files came in.
//!
//! A run holds the store's import lock throughout, and waits for it while another process
//! holds it. The full pass a register file makes owed is recorded in that file's transaction
//! ([`Store::relink_pending`]) and cleared only by the pass; a run killed before its pass leaves
//! it owed, and the next run makes it at its end as if it had changed the register itself. So a
//! killed run, run again, ends exactly as a clean run does: files written, then one full pass.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{SecondsFormat, Utc};
use std::collections::HashMap;

use lobbyscope_domain::{Provenance, Record, SourceKind, Sourced};
use lobbyscope_resolve::Linker;
use lobbyscope_sources::{Parsed, Rejection, SourceError};
use lobbyscope_store::{
    FileWriter, ImportFile, ImportGuard, ImportSession, LockAttempt, LockHolder, Mention, MentionGroup, MentionLink,
    MentionRef, Organisation, RELINK_PAGE, Stamped, Store, StoreError, WholeFile, WriteCounts,
};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// Records per store write: large enough for multi-row INSERTs to pay, small enough to keep
/// memory flat on the 117 MB register export.
pub const BATCH: usize = 2000;

/// What a batch's records may hold (the length of their JSON forms) before it is sent, however
/// few they are: with [`READ_AHEAD_BYTES`] in flight, a file of large records (each within
/// the parsers' limits) holds some 100 MB of them at most, whatever its size. Real records are a few KB:
/// a register export's batches are of about 1,200 entries.
pub const BATCH_BYTES: usize = 8 << 20;

/// Records read before the files written so far are committed together. A transaction per
/// file cost more than the records of a small file (a Have Your Say page holds tens); a
/// transaction of this size commits every second or so, and an interrupted run redoes at most
/// that much.
pub const SESSION_RECORDS: u64 = 100_000;

/// Records of whole files held back to be written together ([`ImportSession::write_files`]):
/// a page of Have Your Say responses costs its statements more than its rows, so files
/// written a few hundred at a time cost a few statements each time, not a few each.
pub const GROUP_RECORDS: usize = 10_000;

/// What those held-back files may hold together, however few their records.
pub const GROUP_BYTES: usize = 32 << 20;

/// How many rejections a report keeps with their reasons; the rest are only counted.
pub const REPORTED_REJECTIONS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Walk { path: PathBuf, source: io::Error },
}

/// What importing one file did.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: PathBuf,
    pub source: Option<SourceKind>,
    /// Records read, rejected ones included.
    pub read: u64,
    pub counts: WriteCounts,
    pub rejected: u64,
    /// The first [`REPORTED_REJECTIONS`] rejections.
    pub rejections: Vec<Rejection>,
    /// Why the whole file was not imported; nothing of it was committed.
    pub failure: Option<String>,
    /// A file met while walking a folder that is of no known source (e.g. a README).
    pub skipped: bool,
}

impl FileReport {
    fn new(path: &Path) -> FileReport {
        FileReport { path: path.to_owned(), ..FileReport::default() }
    }
}

/// The outcome of an import run.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub files: Vec<FileReport>,
    /// Whether the run changed the register, so that every mention was linked again.
    pub full_relink: bool,
    /// Mentions whose organisation link changed in that full pass.
    pub relinked: u64,
    /// Whether that full pass was owed by an earlier run that stopped before making it (e.g.
    /// killed between its register file's commit and its pass).
    pub owed_by_an_earlier_run: bool,
}

impl ImportReport {
    /// Whether some file was not imported at all.
    pub fn failed(&self) -> bool {
        self.files.iter().any(|f| f.failure.is_some())
    }

    /// Whether every record of every file was imported: no file failed, no record was rejected.
    pub fn complete(&self) -> bool {
        !self.failed() && self.files.iter().all(|f| f.rejected == 0)
    }
}

/// Told about progress, for a progress bar; every method has a silent default.
pub trait Progress: Send + Sync {
    fn file_started(&self, _path: &Path, _source: SourceKind) {}
    fn records_read(&self, _n: u64) {}
    fn file_done(&self, _report: &FileReport) {}
    fn linking(&self) {}
    /// The indexes a bulk load deferred are being built (seconds at the EU's size).
    fn building_indexes(&self) {}
    /// Another process holds the import lock (`None`: it has not said who it is); this one
    /// waits for it.
    fn waiting(&self, _holder: Option<&LockHolder>) {}
}

/// A [`Progress`] that says nothing.
pub struct Quiet;
impl Progress for Quiet {}

/// One file named on the command line, or found in a folder that was.
struct Job {
    path: PathBuf,
    from_folder: bool,
}

/// Lists the files to import: named files as they are, folders walked recursively in name
/// order (hidden entries skipped), so that runs are reproducible.
fn expand(paths: &[PathBuf]) -> Result<Vec<Job>, IngestError> {
    fn walk(dir: &Path, out: &mut Vec<Job>) -> Result<(), IngestError> {
        let err = |source| IngestError::Walk { path: dir.to_owned(), source };
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).map_err(err)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(err)?;
        entries.sort();
        for p in entries {
            if p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
                continue;
            }
            if p.is_dir() {
                walk(&p, out)?;
            } else {
                out.push(Job { path: p, from_folder: true });
            }
        }
        Ok(())
    }
    let mut jobs = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut jobs)?;
        } else {
            jobs.push(Job { path: p.clone(), from_folder: false });
        }
    }
    Ok(jobs)
}

/// Takes the store's import lock for `command`, waiting (and telling `progress` for whom)
/// while another process holds it.
pub async fn lock(store: &dyn Store, command: &str, progress: &dyn Progress) -> Result<ImportGuard, StoreError> {
    let me = LockHolder::this_process(command);
    match store.try_lock_for_import(&me).await? {
        LockAttempt::Acquired(guard) => Ok(guard),
        LockAttempt::Held(holder) => {
            tracing::info!(holder = ?holder, "waiting for the import lock");
            progress.waiting(holder.as_ref());
            store.lock_for_import(&me).await
        }
    }
}

/// Finishes what an interrupted import left owed, under the import lock (taken for `command`):
/// the indexes of a bulk load, then the full linking pass, if any. What reads links
/// (`analyze`) calls this first. Returns how many links that pass changed.
pub async fn finish_linking(
    store: &dyn Store,
    command: &str,
    progress: &dyn Progress,
) -> Result<Option<u64>, StoreError> {
    let _guard = lock(store, command, progress).await?;
    // The pages and position items read by the indexes an interrupted bulk load left unbuilt.
    store.end_bulk_load().await?;
    if !store.relink_pending().await? {
        return Ok(None);
    }
    tracing::info!("an earlier import stopped before its linking pass; making it now");
    progress.linking();
    link(store).await.map(Some)
}

/// Imports files and folders, then links organisations. Holds the store's import lock while
/// it runs, and ends with a full linking pass when one is owed, by this run or an earlier one
/// that stopped before making it (even when this run imports nothing new).
pub async fn import_paths(
    store: &dyn Store,
    paths: &[PathBuf],
    progress: &dyn Progress,
) -> Result<ImportReport, IngestError> {
    let _guard = lock(store, "import", progress).await?;
    let started = std::time::Instant::now();
    tracing::info!(paths = ?paths, "import started");
    let mut report = ImportReport { owed_by_an_earlier_run: store.relink_pending().await?, ..Default::default() };
    // Into tables that start empty, records go faster with their indexes built at the end.
    store.begin_bulk_load().await?;
    // The stored register, whole: an earlier run's register file is in it even if its pass is
    // still owed. Links made against it that a later file makes stale are remade by the pass
    // that file makes owed.
    let mut linker = Arc::new(load_linker(store).await?);
    // Register snapshots first, so that every mention this run writes is linked against the
    // register as this run leaves it, and no linking pass is owed for them.
    let (registers, others): (Vec<Job>, Vec<Job>) = expand(paths)?.into_iter().partition(
        |job| matches!(lobbyscope_sources::open_path(&job.path), Ok(opened) if opened.kind == SourceKind::RegisterXml),
    );
    let mut session = Session::default();
    write_files(store, &mut session, read_ahead(registers, Arc::clone(&linker)), progress, &mut report.files).await?;
    if !others.is_empty() && report.files.iter().any(|f| f.failure.is_none() && f.counts.new + f.counts.updated > 0) {
        // The linker reads the register as committed.
        session.commit().await?;
        linker = Arc::new(load_linker(store).await?);
    }
    write_files(store, &mut session, read_ahead(others, linker), progress, &mut report.files).await?;
    session.commit().await?;
    report.full_relink = store.relink_pending().await?;
    if report.full_relink {
        progress.linking();
        report.relinked = link(store).await?;
    }
    // Also what an interrupted run left unbuilt.
    progress.building_indexes();
    store.end_bulk_load().await?;
    let failed = report.files.iter().filter(|f| f.failure.is_some()).count();
    let rejected: u64 = report.files.iter().map(|f| f.rejected).sum();
    tracing::info!(
        files = report.files.len(),
        failed,
        rejected,
        relinked = report.relinked,
        seconds = started.elapsed().as_secs_f64(),
        "import finished"
    );
    Ok(report)
}

/// The import session files are written in, begun when the first file needs it, and the files
/// waiting to be written into it.
#[derive(Default)]
struct Session {
    open: Option<Box<dyn ImportSession>>,
    /// Records read by the files written in the open session.
    records: u64,
    /// Files done reading, in order: whole files not yet written, and the reports of the
    /// files among them that had nothing to write (skipped, failed, or written alone), kept
    /// so that reports come in the files' order.
    waiting: Vec<Waiting>,
    /// Records of the whole files in `waiting`.
    waiting_records: usize,
    /// What they hold.
    waiting_bytes: usize,
}

/// A file done reading, and what it has left to write.
struct Waiting {
    report: FileReport,
    whole: Option<WholeRecords>,
}

/// A whole file's records, for [`ImportSession::write_files`].
struct WholeRecords {
    file: ImportFile,
    records: Vec<Stamped>,
    /// What they hold ([`GROUP_BYTES`]).
    bytes: usize,
    organisations: Vec<Organisation>,
    /// They give names beside register IDs the linker did not know for them.
    teaches: bool,
}

impl Session {
    async fn get(&mut self, store: &dyn Store) -> Result<&mut dyn ImportSession, StoreError> {
        let open = match self.open.take() {
            Some(open) => open,
            None => store.begin_session().await?,
        };
        Ok(&mut **self.open.insert(open))
    }

    /// Writes the waiting files, then reports them (and the files between them) in order; the
    /// session is committed once it has grown large enough.
    async fn flush(
        &mut self,
        store: &dyn Store,
        progress: &dyn Progress,
        reports: &mut Vec<FileReport>,
    ) -> Result<(), StoreError> {
        let mut waiting = std::mem::take(&mut self.waiting);
        self.waiting_records = 0;
        self.waiting_bytes = 0;
        let wholes: Vec<WholeFile> = waiting
            .iter()
            .filter_map(|w| w.whole.as_ref())
            .map(|w| WholeFile { file: &w.file, records: &w.records, organisations: &w.organisations })
            .collect();
        if !wholes.is_empty() {
            let teaches = waiting.iter().filter_map(|w| w.whole.as_ref()).any(|w| w.teaches);
            let session = self.get(store).await?;
            // Owed also if the file that taught is refused: a pass more changes nothing.
            if teaches {
                session.owe_relink().await?;
            }
            let outcomes = session.write_files(&wholes).await?;
            if outcomes.len() != wholes.len() {
                return Err(StoreError::Corrupt("the store gave outcomes for a different number of files".into()));
            }
            for (w, outcome) in waiting.iter_mut().filter(|w| w.whole.is_some()).zip(outcomes) {
                match outcome {
                    Ok(counts) => {
                        w.report.counts += counts;
                        self.records += w.report.read;
                    }
                    Err(e) => refused(&mut w.report, e)?,
                }
            }
        }
        for w in waiting {
            log_file(&w.report);
            progress.file_done(&w.report);
            reports.push(w.report);
        }
        if self.records >= SESSION_RECORDS {
            self.commit().await?;
        }
        Ok(())
    }

    /// Commits what has been written; the caller writes the waiting files first ([`Session::flush`]).
    async fn commit(&mut self) -> Result<(), StoreError> {
        self.records = 0;
        match self.open.take() {
            Some(session) => session.commit().await,
            None => Ok(()),
        }
    }
}

/// The linker over the stored register and the aliases the stored mentions teach.
pub async fn load_linker(store: &dyn Store) -> Result<Linker, StoreError> {
    Ok(Linker::new(&store.registered_names().await?, &store.published_aliases().await?))
}

/// Links every organisation mention again (a full pass), page by page in one transaction so
/// that memory holds one page of mentions and the organisations; returns how many links
/// changed.
pub async fn link(store: &dyn Store) -> Result<u64, StoreError> {
    let start = std::time::Instant::now();
    release_freed_memory();
    let linker = load_linker(store).await?;
    let mut pass = linker.pass();
    let mut relinker = store.begin_relink().await?;
    let (mut mentions, mut changed) = (0, 0);
    loop {
        let groups = relinker.next_groups(RELINK_PAGE).await?;
        if groups.is_empty() {
            break;
        }
        let links = pass.link(&groups);
        mentions += links.len();
        changed += relinker.write_links(&links).await?;
    }
    relinker.finish(&pass.finish()).await?;
    tracing::debug!(total = ?start.elapsed(), mentions, changed, "linking pass");
    Ok(changed)
}

/// Gives the memory the files' records were read and written in back to the system before a
/// full pass builds its linker and pages. glibc keeps what a thread freed in that thread's heap
/// (the binary bounds only the top of each, `bound_freed_memory`), so the pass's allocations
/// came on top: at the EU's size the import peaked at 590 MB during the pass, 470 MB with this.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_freed_memory() {
    // SAFETY: malloc_trim only returns free pages of the allocator's heaps to the system; it is
    // safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_freed_memory() {}

/// SHA-256 of a file's bytes as stored on disk.
fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(lobbyscope_domain::hex(&hasher.finalize()))
}

/// The organisation mentions of one record, as the linker reads them.
fn mentions(s: &Stamped) -> Vec<Mention> {
    match &s.record {
        Record::Meeting(m) => m
            .attendees
            .iter()
            .enumerate()
            .map(|(i, a)| Mention {
                // The store gives the meeting its identity when it writes it; within a batch the
                // content hash tells meetings apart, and links go back to records by position.
                at: MentionRef::Attendee { meeting_id: s.prov.content_hash.clone(), position: i as u32 },
                name: a.name.clone(),
                register_id: a.register_id.clone(),
            })
            .collect(),
        Record::Feedback(f) if f.organization.is_some() || f.register_id.is_some() => vec![Mention {
            at: MentionRef::Feedback { id: f.id },
            name: f.organization.clone(),
            register_id: f.register_id.clone(),
        }],
        _ => Vec::new(),
    }
}

/// Links the mentions of a batch, storing each link on its record; returns the organisations
/// the links point at, and whether the batch gives a name beside a register ID that the linker
/// did not know for it (which leaves a full linking pass owed: see `Resolver::knows_pair`).
fn link_batch(linker: &Linker, batch: &mut [Stamped]) -> (Vec<Organisation>, bool) {
    let groups: Vec<MentionGroup> =
        batch.iter().map(|s| MentionGroup { mentions: mentions(s) }).filter(|g| !g.mentions.is_empty()).collect();
    let teaches = groups.iter().flat_map(|g| &g.mentions).any(|m| match (&m.name, &m.register_id) {
        (Some(name), Some(id)) => !linker.resolver().knows_pair(name, id),
        _ => false,
    });
    let resolution = linker.link(&groups, false);
    let by_mention: HashMap<MentionRef, MentionLink> =
        resolution.links.into_iter().map(|l| (l.at, MentionLink { org: l.org, method: l.method })).collect();
    for s in batch.iter_mut() {
        // A record repeated in the batch has the same mentions; each copy gets the links.
        s.links = mentions(s).into_iter().map(|m| by_mention.get(&m.at).cloned()).collect();
    }
    (resolution.organisations, teaches)
}

/// What the reading thread sends the writer, file after file in the run's order: for each
/// file a [`Event::Begin`], then, for a file that is read, its batches, the last one marked,
/// or [`Event::Failed`] where it stops being usable.
enum Event {
    /// The next file: its report so far, and the file to write, or `None` when it is not to be
    /// read (skipped, or unusable as a whole: the report says why).
    Begin(FileReport, Option<ImportFile>),
    /// Records stamped and linked, the organisations their links point at, and rejections.
    /// `last`: the file's parser has finished cleanly and no batch of it follows.
    Batch {
        records: Vec<Stamped>,
        /// What the records hold ([`BATCH_BYTES`]).
        bytes: usize,
        organisations: Vec<Organisation>,
        rejected: Vec<Rejection>,
        last: bool,
        /// The records give names beside register IDs the linker did not know for them.
        teaches: bool,
    },
    /// The file cannot be used as a whole (truncated, not well-formed, …): nothing of it is
    /// kept.
    Failed(String),
}

/// What the reading thread may be ahead of the writer, in what its records hold
/// ([`BATCH_BYTES`]): as much as a group of whole files may hold ([`GROUP_BYTES`]), about two
/// groups of Have Your Say pages (whose groups end at [`GROUP_RECORDS`] first), so that the
/// next group is parsed, stamped and linked while this one is written. With room for a few
/// batches only, the reader waited while the writer wrote a group, and the writer while the
/// reader read the next: the two stages took turns on a machine with cores for both. (A tenth
/// of the EU's Have Your Say corpus: 9.4 s then, 6.9 s with this; half as much room, 7.7 s.)
const READ_AHEAD_BYTES: u32 = 32 << 20;

/// ... and in events, which files of no records are too.
const READ_AHEAD: usize = 4096;

/// An event on its way to the writer, with the room it takes of [`READ_AHEAD_BYTES`], given
/// back when the writer lets it go.
struct InFlight {
    event: Event,
    _room: Option<OwnedSemaphorePermit>,
}

/// The writer went away (it failed); the reading thread stops.
struct WriterGone;

/// What a file's records are stamped with, known before parsing starts.
struct Stamp {
    kind: SourceKind,
    /// Records name their file, not the importing machine's folders: provenance is published.
    file_name: String,
    imported_at: String,
}

impl Stamp {
    /// Stamps a parsed record with its provenance, on the reading thread: hashing and linking
    /// cost about as much as writing, and the writer should only write. Also says what it holds.
    fn record(&self, s: Sourced<Record>) -> (Stamped, usize) {
        let (content_hash, size) = s.record.content_hash_and_size();
        let prov = Provenance {
            source: self.kind,
            file: self.file_name.clone(),
            locator: s.locator,
            imported_at: self.imported_at.clone(),
            content_hash,
        };
        (Stamped { prov, record: s.record, links: Vec::new() }, size)
    }

    /// Links a batch of stamped records.
    fn batch(linker: &Linker, mut records: Vec<Stamped>, bytes: usize, rejected: Vec<Rejection>, last: bool) -> Event {
        let (organisations, teaches) = link_batch(linker, &mut records);
        Event::Batch { records, bytes, organisations, rejected, last, teaches }
    }
}

/// Starts reading `jobs` on a thread of their own, in order: each file recognised, hashed,
/// parsed, stamped and linked against `linker`, its events sent as the parser goes.
fn read_ahead(jobs: Vec<Job>, linker: Arc<Linker>) -> mpsc::Receiver<InFlight> {
    let (tx, rx) = mpsc::channel(READ_AHEAD);
    let room = Arc::new(Semaphore::new(READ_AHEAD_BYTES as usize));
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let tx = Sender { tx, room, runtime };
        for job in jobs {
            // A panic in a parser is a bug, but must not commit a partial file nor stop the
            // files after it.
            let begun = std::cell::Cell::new(false);
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_file(&job, &linker, &tx, &begun)));
            let stopped = match read {
                Ok(Ok(())) => continue,
                Ok(Err(WriterGone)) => return,
                // The writer is reading the file's batches, or has not heard of it yet.
                Err(_) if begun.get() => Event::Failed(PARSER_STOPPED.into()),
                Err(_) => Event::Begin(
                    FileReport { failure: Some(PARSER_STOPPED.into()), ..FileReport::new(&job.path) },
                    None,
                ),
            };
            if tx.send(stopped).is_err() {
                return;
            }
        }
    });
    rx
}

/// The reading thread's end of the channel to the writer.
struct Sender {
    tx: mpsc::Sender<InFlight>,
    room: Arc<Semaphore>,
    runtime: tokio::runtime::Handle,
}

impl Sender {
    /// Sends `event` once the writer has room for it.
    fn send(&self, event: Event) -> Result<(), WriterGone> {
        let room = match &event {
            Event::Batch { bytes, .. } if *bytes > 0 => {
                // At most all the room there is, so that any batch can go.
                let n = u32::try_from(*bytes).unwrap_or(u32::MAX).min(READ_AHEAD_BYTES);
                // The semaphore is never closed.
                Some(self.runtime.block_on(Arc::clone(&self.room).acquire_many_owned(n)).map_err(|_| WriterGone)?)
            }
            _ => None,
        };
        self.tx.blocking_send(InFlight { event, _room: room }).map_err(|_| WriterGone)
    }
}

/// Reads one file, sending its events; `begun` says once the writer has been told to write it.
fn read_file(job: &Job, linker: &Linker, tx: &Sender, begun: &std::cell::Cell<bool>) -> Result<(), WriterGone> {
    let mut report = FileReport::new(&job.path);
    let opened = match lobbyscope_sources::open_path(&job.path) {
        Ok(o) => o,
        Err(SourceError::UnknownFormat(_)) if job.from_folder => {
            report.skipped = true;
            return tx.send(Event::Begin(report, None));
        }
        Err(e) => {
            report.failure = Some(e.to_string());
            return tx.send(Event::Begin(report, None));
        }
    };
    report.source = Some(opened.kind);
    let sha256 = match sha256_file(&job.path) {
        Ok(h) => h,
        Err(e) => {
            report.failure = Some(format!("cannot read: {e}"));
            return tx.send(Event::Begin(report, None));
        }
    };
    let file = ImportFile {
        file: job.path.display().to_string(),
        source: opened.kind,
        sha256,
        imported_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
    };
    let stamp = Stamp {
        kind: opened.kind,
        file_name: job.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| file.file.clone()),
        imported_at: file.imported_at.clone(),
    };
    tx.send(Event::Begin(report, Some(file)))?;
    begun.set(true);
    let records = match lobbyscope_sources::parse(stamp.kind, opened.input) {
        Ok(r) => r,
        Err(e) => return tx.send(Event::Failed(e.to_string())),
    };
    // A full batch is held back until the next one is known, so that the last one can say so:
    // a file that fits in one batch is then known whole before anything of it is written.
    let (mut held, mut batch, mut bytes, mut rejected): (Option<Event>, Vec<_>, usize, Vec<_>) =
        (None, Vec::with_capacity(BATCH), 0, Vec::new());
    for item in records {
        match item {
            Ok(Parsed::Record(r)) => {
                let (stamped, size) = stamp.record(r);
                batch.push(stamped);
                bytes += size;
            }
            Ok(Parsed::Rejected(r)) => rejected.push(r),
            Err(e) => return tx.send(Event::Failed(e.to_string())),
        }
        if batch.len() + rejected.len() >= BATCH || bytes >= BATCH_BYTES {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            let full = Stamp::batch(linker, full, std::mem::take(&mut bytes), std::mem::take(&mut rejected), false);
            if let Some(earlier) = held.replace(full) {
                tx.send(earlier)?;
            }
        }
    }
    if let Some(earlier) = held {
        tx.send(earlier)?;
    }
    tx.send(Stamp::batch(linker, batch, bytes, rejected, true))
}

/// The file being written, between its [`Event::Begin`] and its end.
struct Writing {
    report: FileReport,
    file: ImportFile,
    /// The file's own transaction, once it is known not to fit in one batch: none while its
    /// first batch is awaited.
    writer: Option<Box<dyn FileWriter>>,
}

/// Writes the files `events` describe, in order: a file known whole (one batch) into the
/// session, a longer one in a transaction of its own; reports in `reports`.
async fn write_files(
    store: &dyn Store,
    session: &mut Session,
    mut events: mpsc::Receiver<InFlight>,
    progress: &dyn Progress,
    reports: &mut Vec<FileReport>,
) -> Result<(), IngestError> {
    let mut writing: Option<Writing> = None;
    while let Some(InFlight { event, _room }) = events.recv().await {
        match (event, writing.take()) {
            (Event::Begin(report, file), None) => match file {
                Some(file) => {
                    progress.file_started(&report.path, file.source);
                    writing = Some(Writing { report, file, writer: None });
                }
                None => done(store, session, progress, reports, report, None).await?,
            },
            (Event::Batch { records, bytes, organisations, rejected, last, teaches }, Some(mut w)) => {
                let report = &mut w.report;
                report.read += (records.len() + rejected.len()) as u64;
                report.rejected += rejected.len() as u64;
                let room = REPORTED_REJECTIONS.saturating_sub(report.rejections.len());
                report.rejections.extend(rejected.into_iter().take(room));
                progress.records_read(report.read);
                // The first batch is the last: the file is known whole.
                if last && w.writer.is_none() {
                    let Writing { report, file, .. } = w;
                    let whole = WholeRecords { file, records, bytes, organisations, teaches };
                    done(store, session, progress, reports, report, Some(whole)).await?;
                    continue;
                }
                if report.failure.is_none() {
                    let writer = match &mut w.writer {
                        Some(writer) => writer,
                        None => {
                            // The file's transaction waits for the session's: earlier files go first.
                            session.flush(store, progress, reports).await?;
                            session.commit().await?;
                            w.writer.insert(store.begin(&w.file).await?)
                        }
                    };
                    let written = match writer.write(&records, &organisations).await {
                        Ok(counts) if teaches => writer.owe_relink().await.map(|()| counts),
                        other => other,
                    };
                    match written {
                        Ok(counts) => report.counts += counts,
                        // Dropping the writer rolls the file back; its later batches are read
                        // and let go.
                        Err(e) => {
                            refused(report, e)?;
                            w.writer = None;
                        }
                    }
                }
                if last {
                    let Writing { mut report, writer, .. } = w;
                    if let Some(writer) = writer
                        && let Err(e) = writer.commit().await
                    {
                        refused(&mut report, e)?;
                    }
                    done(store, session, progress, reports, report, None).await?;
                } else {
                    writing = Some(w);
                }
            }
            (Event::Failed(reason), Some(w)) => {
                // Dropping the file's writer rolls it back; what it wrote into the session was
                // written only once the file was known whole.
                let Writing { mut report, .. } = w;
                report.failure = Some(reason);
                report.counts = WriteCounts::default();
                done(store, session, progress, reports, report, None).await?;
            }
            (Event::Begin(..), Some(_)) | (Event::Batch { .. } | Event::Failed(_), None) => {
                return Err(IngestError::Store(StoreError::Corrupt("import events out of order".into())));
            }
        }
    }
    if let Some(Writing { mut report, .. }) = writing {
        // The reading thread ended in the middle of a file.
        report.failure = Some(PARSER_STOPPED.into());
        report.counts = WriteCounts::default();
        done(store, session, progress, reports, report, None).await?;
    }
    session.flush(store, progress, reports).await?;
    Ok(())
}

/// A file's outcome, for the log of a server's imports and syncs as much as for the terminal.
fn log_file(r: &FileReport) {
    let (path, source) = (r.path.display(), r.source.map(|s| s.as_str()));
    match &r.failure {
        Some(why) => tracing::warn!(%path, ?source, reason = %why, "file not imported"),
        None if r.skipped => tracing::debug!(%path, "file of no known source skipped"),
        None => tracing::info!(
            %path, ?source, read = r.read, new = r.counts.new, updated = r.counts.updated,
            unchanged = r.counts.unchanged, rejected = r.rejected, "file imported"
        ),
    }
}

/// Marks `report`'s file as not imported when the database refused its records (nothing of it
/// was kept); any other store error ends the run.
fn refused(report: &mut FileReport, e: StoreError) -> Result<(), StoreError> {
    match e {
        StoreError::Refused(_) => {
            report.failure = Some(e.to_string());
            report.counts = WriteCounts::default();
            Ok(())
        }
        e => Err(e),
    }
}

/// A file's end: reported after the whole files before it are written, with `whole` its
/// records if it is one of them; they are written once enough are waiting.
async fn done(
    store: &dyn Store,
    session: &mut Session,
    progress: &dyn Progress,
    reports: &mut Vec<FileReport>,
    report: FileReport,
    whole: Option<WholeRecords>,
) -> Result<(), StoreError> {
    session.waiting_records += whole.as_ref().map_or(0, |w| w.records.len());
    session.waiting_bytes += whole.as_ref().map_or(0, |w| w.bytes);
    session.waiting.push(Waiting { report, whole });
    if session.waiting_records >= GROUP_RECORDS || session.waiting_bytes >= GROUP_BYTES {
        session.flush(store, progress, reports).await?;
    }
    Ok(())
}

/// Imports one file in a transaction of its own (its `import_files` row included, so a file
/// cut short is simply imported again next time). Errors of the file itself go into the
/// report; only store failures are returned as errors. The caller holds the import lock
/// ([`lock`]) and makes the linking pass the file may leave owed.
pub async fn import_file(
    store: &dyn Store,
    linker: &Arc<Linker>,
    path: &Path,
    from_folder: bool,
    progress: &dyn Progress,
) -> Result<FileReport, IngestError> {
    let mut session = Session::default();
    let mut reports = Vec::new();
    let job = Job { path: path.to_owned(), from_folder };
    write_files(store, &mut session, read_ahead(vec![job], Arc::clone(linker)), progress, &mut reports).await?;
    session.commit().await?;
    reports.pop().ok_or_else(|| IngestError::Store(StoreError::Corrupt("no report for the file".into())))
}

const PARSER_STOPPED: &str = "the parser stopped unexpectedly";
