//! `sync`: each source asked, fetched into the archive, checked, and imported; a source that
//! fails does so alone, with its reason noted for the health page, and the next sync starts
//! again from what the last successful one imported.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate, Utc};
use lobbyscope_ingest::{ImportReport, Progress};
use lobbyscope_store::{Store, WriteCounts};

use crate::archive::Archive;
use crate::config::{Bases, Politeness, SourceId};
use crate::http::{Client, Tally};
use crate::state::{SourceState, State};
use crate::{SyncError, commission, parliament, register};

/// The sources `sync` fetches when none is named: those this version can.
pub const DEFAULT_SOURCES: [SourceId; 3] = [SourceId::Register, SourceId::Commission, SourceId::Parliament];

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
}

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

enum Remember {
    Validators(String, crate::http::Validators),
    ParliamentThrough(NaiveDate),
    RegisterOrganisations(u64),
}

/// Syncs `options.sources` (register first, so that the meetings are linked against the new
/// register), each into `store` through the import.
pub async fn sync(store: &dyn Store, options: &SyncOptions, progress: &dyn Progress) -> Result<SyncReport, SyncError> {
    let client = Client::new(options.politeness.clone())?;
    let archive = Archive::open(&options.archive)?;
    let mut state = State::load(&options.archive)?;
    let mut sources = options.sources.clone();
    sources.sort();
    sources.dedup();
    let mut report = SyncReport::default();
    for source in sources {
        let started = Instant::now();
        let tally = Tally::default();
        let attempted = Utc::now();
        tracing::info!(source = source.code(), "sync started");
        let outcome = match fetch(source, &client, options, &archive, &state, &tally).await {
            Ok(fetched) => import(store, &fetched.files, progress).await.map(|imported| (fetched, imported)),
            Err(e) => Err(e),
        };
        let health = state.sources.entry(source.code().to_owned()).or_default();
        health.last_attempt = Some(attempted);
        let mut out = SourceReport {
            source,
            requests: tally.requests(),
            retries: tally.retries(),
            bytes: tally.bytes(),
            files: 0,
            records_seen: 0,
            counts: WriteCounts::default(),
            rejected: 0,
            warnings: Vec::new(),
            failure: None,
            took: started.elapsed(),
        };
        match outcome {
            Ok((fetched, imported)) => {
                for file in &imported.files {
                    out.counts += file.counts;
                    out.rejected += file.rejected;
                }
                out.files = fetched.files.len();
                out.records_seen = fetched.records_seen;
                out.warnings = fetched.warnings;
                *health = SourceState {
                    last_attempt: Some(attempted),
                    last_success: Some(Utc::now()),
                    last_error: None,
                    records_seen: out.records_seen,
                    records_imported: out.counts.new + out.counts.updated,
                    warnings: out.warnings.clone(),
                };
                for r in fetched.remember {
                    match r {
                        Remember::Validators(url, v) => {
                            state.validators.insert(url, v);
                        }
                        Remember::ParliamentThrough(day) => state.parliament_through = Some(day),
                        Remember::RegisterOrganisations(n) => state.register_organisations = Some(n),
                    }
                }
                tracing::info!(source = source.code(), files = out.files, "sync done");
            }
            Err(e) => {
                tracing::error!(source = source.code(), "sync failed: {e}");
                health.last_error = Some(e.to_string());
                out.failure = Some(e.to_string());
            }
        }
        state.save(&options.archive)?;
        report.sources.push(out);
    }
    Ok(report)
}

async fn fetch(
    source: SourceId,
    client: &Client,
    options: &SyncOptions,
    archive: &Archive,
    state: &State,
    tally: &Tally,
) -> Result<Fetched, SyncError> {
    let bases: &Bases = &options.bases;
    match source {
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
            }
            Ok(Fetched {
                files: f.file.into_iter().collect(),
                records_seen: f.organisations,
                warnings: f.warnings,
                remember,
            })
        }
        SourceId::Commission => {
            let f = commission::fetch(client, bases, archive, state, tally).await?;
            let remember = f.validators.into_iter().map(|(url, v)| Remember::Validators(url, v)).collect();
            Ok(Fetched { files: f.files, records_seen: f.meetings, warnings: f.warnings, remember })
        }
        SourceId::Parliament => {
            let from = match state.parliament_through {
                Some(through) => through.checked_sub_days(Days::new(PARLIAMENT_OVERLAP_DAYS)).unwrap_or(through),
                None => options.parliament_since,
            }
            .max(options.parliament_since);
            let f = parliament::fetch(client, bases, archive, from, options.today, tally).await?;
            Ok(Fetched {
                files: f.files,
                records_seen: f.rows,
                warnings: f.warnings,
                remember: vec![Remember::ParliamentThrough(options.today)],
            })
        }
        SourceId::HaveYourSay => Err(SyncError::Unsupported(
            "Have Your Say is not fetched by this version yet: import its JSON pages with `lobbyscope import`".into(),
        )),
    }
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
