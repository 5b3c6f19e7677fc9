//! `sync`: each source asked, fetched into the archive, checked, and imported; a source that
//! fails does so alone, with its reason noted for the health page, and the next sync starts
//! again from what the last successful one imported.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate, Utc};
use lobbyscope_ingest::{ImportReport, Progress};
use lobbyscope_store::{ListedKind, Listing, ListingMarks, RunFigures, Scope, SourceHealth, Store, WriteCounts};

use crate::archive::Archive;
use crate::config::{Bases, Politeness, SourceId};
use crate::http::{Client, Tally};
use crate::state::State;
use crate::{SyncError, commission, hys, parliament, register};

/// The sources `sync` fetches when none is named.
pub const DEFAULT_SOURCES: [SourceId; 4] = SourceId::ALL;

/// How far back a later sync asks the Parliament again: MEPs publish meetings weeks after
/// they happened.
pub const PARLIAMENT_OVERLAP_DAYS: u64 = 92;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub sources: Vec<SourceId>,
    /// The raw archive and the sync's state (`state.json`).
    pub archive: PathBuf,
    pub bases: Bases,
    pub politeness: Politeness,
    /// The first day a first sync asks the Parliament for.
    pub parliament_since: NaiveDate,
    pub today: NaiveDate,
    /// Fetch Have Your Say's attachments into the archive too.
    pub attachments: bool,
}

/// Told how a sync goes, for a progress bar; every method has a silent default. What the
/// import does comes through the [`Progress`] this extends.
pub trait Watch: Progress {
    fn source_started(&self, _source: SourceId) {}
    /// After each request to `source`: the requests and bytes so far.
    fn fetched(&self, _source: SourceId, _requests: u64, _bytes: u64) {}
    fn source_done(&self, _report: &SourceReport) {}
}

impl Watch for lobbyscope_ingest::Quiet {}

/// What one source's sync did.
#[derive(Debug, Clone)]
pub struct SourceReport {
    pub source: SourceId,
    pub requests: u64,
    pub retries: u64,
    pub bytes: u64,
    /// Answers that changed since the last import and were imported.
    pub files: usize,
    /// Records those answers hold.
    pub records_seen: u64,
    pub counts: WriteCounts,
    /// Records complete listings no longer hold, marked "no longer published" this time.
    pub withdrawn: u64,
    /// Records so marked that were listed again.
    pub returned: u64,
    pub rejected: u64,
    pub warnings: Vec<String>,
    /// Why nothing of this source was imported this time.
    pub failure: Option<String>,
    pub took: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub sources: Vec<SourceReport>,
}

impl SyncReport {
    pub fn failed(&self) -> bool {
        self.sources.iter().any(|s| s.failure.is_some())
    }
}

/// What a source's fetch leaves to import and remember.
#[derive(Default)]
struct Fetched {
    files: Vec<PathBuf>,
    records_seen: u64,
    warnings: Vec<String>,
    /// Applied to the state once the files are imported.
    remember: Vec<Remember>,
}

pub(crate) enum Remember {
    Validators(String, crate::http::Validators),
    ParliamentThrough(NaiveDate),
    RegisterOrganisations(u64),
    HysInitiative(u64, hys::InitiativeMark),
    /// An attachment archived: its document id and the SHA-256 of its bytes.
    HysDocument(String, String),
    /// A complete listing, marked in the store once its files are imported.
    Listing(Listing),
}

/// Imports what a source fetched and only then notes it in the state, saved at once: a sync
/// killed between two commits fetches again what the second would have noted, and imports it
/// as unchanged where the first already had it.
pub(crate) struct Committer<'a> {
    store: &'a dyn Store,
    archive: &'a Archive,
    progress: &'a dyn Progress,
    state: &'a mut State,
    dir: &'a Path,
    imported: ImportReport,
    marks: ListingMarks,
}

impl Committer<'_> {
    pub(crate) fn state(&self) -> &State {
        self.state
    }

    pub(crate) async fn commit(&mut self, files: Vec<PathBuf>, remember: Vec<Remember>) -> Result<(), SyncError> {
        let report = import(self.store, &files, self.progress).await?;
        self.archive.note_imported(&files)?;
        self.imported.files.extend(report.files);
        if remember.is_empty() {
            return Ok(());
        }
        for r in remember {
            match r {
                Remember::Listing(listing) => {
                    let marks = self.store.mark_listing(&listing).await?;
                    self.marks.withdrawn += marks.withdrawn;
                    self.marks.returned += marks.returned;
                }
                Remember::Validators(url, v) => {
                    self.state.validators.insert(url, v);
                }
                Remember::ParliamentThrough(day) => self.state.parliament_through = Some(day),
                Remember::RegisterOrganisations(n) => self.state.register_organisations = Some(n),
                Remember::HysInitiative(id, mark) => {
                    self.state.hys.initiatives.insert(id, mark);
                }
                Remember::HysDocument(id, sha) => {
                    self.state.hys.documents.insert(id, sha);
                }
            }
        }
        self.state.save(self.dir)
    }
}

/// Syncs `options.sources` (register first, so that the meetings are linked against the new
/// register), each into `store` through the import.
pub async fn sync(store: &dyn Store, options: &SyncOptions, watch: &dyn Watch) -> Result<SyncReport, SyncError> {
    let client = Client::new(options.politeness.clone())?;
    let archive = Archive::open(&options.archive)?;
    let mut state = State::load(&options.archive)?;
    let kept = store.source_health().await?;
    let mut sources = options.sources.clone();
    sources.sort();
    sources.dedup();
    let mut report = SyncReport::default();
    for source in sources {
        let started = Instant::now();
        watch.source_started(source);
        let tally = Tally::watched(watch, source);
        let attempted = Utc::now();
        tracing::info!(source = source.code(), "sync started");
        let mut committer = Committer {
            store,
            archive: &archive,
            progress: watch,
            state: &mut state,
            dir: &options.archive,
            imported: ImportReport::default(),
            marks: ListingMarks::default(),
        };
        let outcome = fetch(source, &client, options, &archive, &mut committer, &tally).await;
        let imported = std::mem::take(&mut committer.imported);
        let marks = committer.marks;
        let mut out = SourceReport {
            source,
            requests: tally.requests(),
            retries: tally.retries(),
            bytes: tally.bytes(),
            files: imported.files.len(),
            records_seen: 0,
            withdrawn: marks.withdrawn,
            returned: marks.returned,
            counts: WriteCounts::default(),
            rejected: 0,
            warnings: Vec::new(),
            failure: None,
            took: started.elapsed(),
        };
        // What was imported counts, whether or not the source then failed.
        for file in &imported.files {
            out.counts += file.counts;
            out.rejected += file.rejected;
        }
        let mut health =
            kept.iter().find(|h| h.source == source).cloned().unwrap_or_else(|| SourceHealth::never(source));
        health.last_attempt = Some(attempted);
        match outcome {
            Ok(fetched) => {
                out.records_seen = fetched.records_seen;
                out.warnings = fetched.warnings;
                out.took = started.elapsed();
                health = SourceHealth {
                    source,
                    last_attempt: Some(attempted),
                    last_success: Some(Utc::now()),
                    last_error: None,
                    run: RunFigures {
                        requests: out.requests,
                        bytes: out.bytes,
                        records_seen: out.records_seen,
                        new: out.counts.new,
                        updated: out.counts.updated,
                        unchanged: out.counts.unchanged,
                        withdrawn: out.withdrawn,
                        took_ms: u64::try_from(out.took.as_millis()).unwrap_or(u64::MAX),
                    },
                    warnings: out.warnings.clone(),
                };
                tracing::info!(source = source.code(), files = out.files, "sync done");
            }
            Err(e) => {
                tracing::error!(source = source.code(), "sync failed: {e}");
                // The last success's figures stay, with why this attempt failed.
                health.last_error = Some(e.to_string());
                out.failure = Some(e.to_string());
            }
        }
        // The state was saved by each commit that changed it.
        store.save_source_health(&health).await?;
        watch.source_done(&out);
        report.sources.push(out);
    }
    Ok(report)
}

/// Fetches one source and commits what it fetched: in one commit for the sources whose files
/// are few and large, batch by batch for Have Your Say.
async fn fetch(
    source: SourceId,
    client: &Client,
    options: &SyncOptions,
    archive: &Archive,
    committer: &mut Committer<'_>,
    tally: &Tally<'_>,
) -> Result<Fetched, SyncError> {
    let bases: &Bases = &options.bases;
    let state = committer.state();
    let fetched = match source {
        SourceId::Register => {
            let url = register::url(bases).to_string();
            let f = register::fetch(
                client,
                bases,
                archive,
                state.validators.get(&url),
                state.register_organisations,
                tally,
            )
            .await?;
            let mut remember = Vec::new();
            if f.file.is_some() {
                remember.push(Remember::Validators(url, f.validators));
                remember.push(Remember::RegisterOrganisations(f.organisations));
                remember.push(Remember::Listing(Listing {
                    kind: ListedKind::Registrations,
                    scope: Scope::Everything,
                    present: f.listed,
                    as_of: options.today,
                }));
            }
            Fetched {
                files: f.file.into_iter().collect(),
                records_seen: f.organisations,
                warnings: f.warnings,
                remember,
            }
        }
        SourceId::Commission => {
            let f = commission::fetch(client, bases, archive, state, tally, options.today).await?;
            let mut remember: Vec<Remember> =
                f.validators.into_iter().map(|(url, v)| Remember::Validators(url, v)).collect();
            remember.extend(f.listings.into_iter().map(Remember::Listing));
            Fetched { files: f.files, records_seen: f.meetings, warnings: f.warnings, remember }
        }
        SourceId::Parliament => {
            // From a month's first day, so that each month is asked whole, a complete listing.
            let from = match state.parliament_through {
                Some(through) => through
                    .checked_sub_days(Days::new(PARLIAMENT_OVERLAP_DAYS))
                    .and_then(|d| d.with_day(1))
                    .unwrap_or(through),
                None => options.parliament_since,
            }
            .max(options.parliament_since);
            let f = parliament::fetch(client, bases, archive, from, options.today, tally).await?;
            let mut remember = vec![Remember::ParliamentThrough(options.today)];
            remember.extend(f.listings.into_iter().map(Remember::Listing));
            Fetched { files: f.files, records_seen: f.rows, warnings: f.warnings, remember }
        }
        SourceId::HaveYourSay => {
            let f = hys::fetch(client, bases, archive, tally, committer, options.attachments, options.today).await?;
            return Ok(Fetched {
                records_seen: f.initiatives_fetched + f.feedback_seen,
                warnings: f.warnings,
                ..Fetched::default()
            });
        }
    };
    let Fetched { files, records_seen, warnings, remember } = fetched;
    committer.commit(files, remember).await?;
    Ok(Fetched { records_seen, warnings, ..Fetched::default() })
}

/// Imports the fetched files; a file the import refused fails the source.
async fn import(store: &dyn Store, files: &[PathBuf], progress: &dyn Progress) -> Result<ImportReport, SyncError> {
    if files.is_empty() {
        return Ok(ImportReport::default());
    }
    let report = lobbyscope_ingest::import_paths(store, files, progress).await?;
    if let Some(file) = report.files.iter().find(|f| f.failure.is_some()) {
        return Err(SyncError::NotImported {
            path: file.path.display().to_string(),
            reason: file.failure.clone().unwrap_or_default(),
        });
    }
    Ok(report)
}

/// Every answer the syncs in `archive_dir` imported (the latest of each address), for
/// `lobbyscope reimport`: after a parser fix, importing them again updates the records it reads
/// differently, with their history, and leaves the others unchanged.
pub fn reimport_paths(archive_dir: &Path) -> Result<Vec<PathBuf>, SyncError> {
    Archive::open(archive_dir)?.imported_objects()
}
