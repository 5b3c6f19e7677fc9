//! `sync` and `status`: the official sources fetched into the store, and how each fared.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use clap::{Args, ValueEnum};
use indicatif::{HumanBytes, ProgressBar};
use lobbyscope_ingest::{FileReport, Progress};
use lobbyscope_store::Store;
use lobbyscope_store::{LockHolder, SourceHealth};
use lobbyscope_sync::config::CONTACT_VARIABLE;
use lobbyscope_sync::run::DEFAULT_SOURCES;
use lobbyscope_sync::run::Watch;
use lobbyscope_sync::{Bases, Politeness, SourceId, SourceReport, SyncOptions, SyncReport};

use crate::report::{self, Plain};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    /// The Transparency Register's ODP XML export.
    Tr,
    /// The Commission's four meetings files.
    Ec,
    /// The Parliament's MEP meetings export, by date windows.
    Ep,
    /// Have Your Say: initiatives, their publications and every feedback page.
    Hys,
}

impl From<SourceArg> for SourceId {
    fn from(s: SourceArg) -> SourceId {
        match s {
            SourceArg::Tr => SourceId::Register,
            SourceArg::Ec => SourceId::Commission,
            SourceArg::Ep => SourceId::Parliament,
            SourceArg::Hys => SourceId::HaveYourSay,
        }
    }
}

/// What a sync fetches, where it keeps it and whom it names: for `sync`, and for `serve
/// --sync-every`.
#[derive(Args)]
pub struct SyncSettings {
    /// A source to fetch; repeat for several. Default: all four.
    #[arg(long = "source", value_enum, value_name = "SOURCE")]
    sources: Vec<SourceArg>,
    #[command(flatten)]
    archive: ArchiveArg,
    /// Whom the sources' operators can contact about this sync (an e-mail address or a URL);
    /// it goes into the User-Agent. Required.
    #[arg(long, env = CONTACT_VARIABLE, value_name = "EMAIL|URL")]
    contact: Option<String>,
    /// The first day of Parliament meetings a first sync asks for (later syncs go on from the
    /// last one).
    #[arg(long, value_name = "YYYY-MM-DD", default_value_t = lobbyscope_sync::parliament::first_day())]
    since: NaiveDate,
    /// Also fetch Have Your Say's attachments (the responses' PDFs) into the archive.
    #[arg(long)]
    attachments: bool,
    /// The least time between two requests to one host (the Parliament's 500 per 5 minutes
    /// hold as well). Longer is gentler; shorter only for a server of your own standing in.
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    interval: Duration,
}

impl SyncSettings {
    /// The options of a sync starting now.
    fn options(&self) -> Result<SyncOptions> {
        let mut politeness = Politeness::new(self.contact.as_deref().unwrap_or_default())?;
        politeness.interval = self.interval;
        let sources = if self.sources.is_empty() {
            DEFAULT_SOURCES.to_vec()
        } else {
            self.sources.iter().map(|&s| SourceId::from(s)).collect()
        };
        Ok(SyncOptions {
            sources,
            archive: self.archive.dir()?,
            bases: Bases::from_env()?,
            politeness,
            parliament_since: self.since,
            today: Utc::now().date_naive(),
            attachments: self.attachments,
        })
    }
}

#[derive(Args)]
pub struct SyncArgs {
    #[command(flatten)]
    settings: SyncSettings,
    /// No progress lines for each file imported.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Args)]
pub struct ArchiveArg {
    /// The raw archive of every answer fetched, and the sync's state. Default:
    /// $LOBBYSCOPE_DATA_DIR/archive.
    #[arg(long = "archive", env = "LOBBYSCOPE_ARCHIVE", value_name = "DIR")]
    dir: Option<PathBuf>,
}

impl ArchiveArg {
    fn dir(&self) -> Result<PathBuf> {
        match &self.dir {
            Some(dir) => Ok(dir.clone()),
            None => Ok(crate::data_dir()?.join("archive")),
        }
    }
}

pub async fn run(store: &dyn Store, args: SyncArgs) -> Result<SyncReport> {
    let options = args.settings.options()?;
    let report = if args.quiet {
        lobbyscope_sync::sync(store, &options, &lobbyscope_ingest::Quiet).await?
    } else if std::io::stderr().is_terminal() {
        lobbyscope_sync::sync(store, &options, &Bars::default()).await?
    } else {
        lobbyscope_sync::sync(store, &options, &Lines).await?
    };
    print_summary(&report);
    Ok(report)
}

/// On a terminal: a bar for the source being synced, with its requests and bytes, then the
/// records being imported; a line for each source when it is done.
#[derive(Default)]
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(bar) = self.bar.lock()
            && let Some(bar) = bar.as_ref()
        {
            f(bar);
        }
    }
}

impl Progress for Bars {
    fn records_read(&self, n: u64) {
        self.with(|bar| bar.set_position(n));
    }
    fn file_done(&self, report: &FileReport) {
        if report.failure.is_some() {
            self.with(|bar| bar.suspend(|| Plain.file_done(report)));
        }
    }
    fn linking(&self) {
        self.with(|bar| bar.set_message("linking organisation mentions"));
    }
    fn waiting(&self, holder: Option<&LockHolder>) {
        self.with(|bar| bar.suspend(|| Plain.waiting(holder)));
    }
}

impl Watch for Bars {
    fn source_started(&self, source: SourceId) {
        let bar = report::ticking("{spinner} {msg} {human_pos:>8} records read");
        bar.set_message(format!("{}: asking", source.code()));
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }
    fn fetched(&self, source: SourceId, requests: u64, bytes: u64) {
        self.with(|bar| bar.set_message(fetched_line(source, requests, bytes)));
    }
    fn source_done(&self, report: &SourceReport) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
        println!("{}", done_line(report));
    }
}

/// Not on a terminal: a line when a source starts, every [`LINE_EVERY`] requests, and when it
/// is done; of the import, only the files it refused.
struct Lines;

const LINE_EVERY: u64 = 100;

impl Progress for Lines {
    fn file_done(&self, report: &FileReport) {
        if report.failure.is_some() {
            Plain.file_done(report);
        }
    }
    fn linking(&self) {
        Plain.linking();
    }
    fn waiting(&self, holder: Option<&LockHolder>) {
        Plain.waiting(holder);
    }
}

impl Watch for Lines {
    fn source_started(&self, source: SourceId) {
        println!("{}: syncing {}", source.code(), source.title());
    }
    fn fetched(&self, source: SourceId, requests: u64, bytes: u64) {
        if requests.is_multiple_of(LINE_EVERY) {
            println!("{}", fetched_line(source, requests, bytes));
        }
    }
    fn source_done(&self, report: &SourceReport) {
        println!("{}", done_line(report));
    }
}

fn fetched_line(source: SourceId, requests: u64, bytes: u64) -> String {
    format!("{}: {requests} request(s), {}", source.code(), HumanBytes(bytes))
}

fn done_line(r: &SourceReport) -> String {
    let outcome = match &r.failure {
        Some(_) => "FAILED".to_owned(),
        None => format!("{} new, {} updated, {} unchanged", r.counts.new, r.counts.updated, r.counts.unchanged),
    };
    format!(
        "{}: {outcome} ({} request(s), {}, {:.1} s)",
        r.source.code(),
        r.requests,
        HumanBytes(r.bytes),
        r.took.as_secs_f64()
    )
}

/// `serve --sync-every`: syncs in the background, the first time when the last sync's
/// attempt is `every` old (at once if there was none), then every `every`. The pages go on
/// being served from the store meanwhile; each import that changes it empties their cache.
/// Checks the settings before it returns, so that a server is not started with a sync that
/// cannot run.
pub async fn spawn_every(store: Arc<dyn Store>, settings: SyncSettings, every: Duration) -> Result<()> {
    let options = settings.options()?;
    let kept = store.source_health().await?;
    let last = options
        .sources
        .iter()
        .map(|s| kept.iter().find(|h| h.source == *s).and_then(|h| h.last_attempt))
        .min()
        .flatten();
    let wait = last
        .and_then(|t| (t + every).signed_duration_since(Utc::now()).to_std().ok())
        .unwrap_or(Duration::ZERO)
        .min(every);
    tracing::info!(every = ?every, first_in = ?wait, "background sync scheduled");
    tokio::spawn(async move {
        let mut next = tokio::time::Instant::now() + wait;
        loop {
            tokio::time::sleep_until(next).await;
            next = tokio::time::Instant::now() + every;
            let outcome = match settings.options() {
                Ok(options) => lobbyscope_sync::sync(&*store, &options, &lobbyscope_ingest::Quiet).await,
                Err(e) => {
                    tracing::error!("background sync not started: {e:#}");
                    continue;
                }
            };
            match outcome {
                Ok(report) => {
                    for s in &report.sources {
                        match &s.failure {
                            Some(failure) => tracing::error!(source = s.source.code(), "sync failed: {failure}"),
                            None => tracing::info!(
                                source = s.source.code(),
                                new = s.counts.new,
                                updated = s.counts.updated,
                                unchanged = s.counts.unchanged,
                                warnings = s.warnings.len(),
                                "synced"
                            ),
                        }
                    }
                }
                Err(e) => tracing::error!("background sync failed: {e}"),
            }
        }
    });
    Ok(())
}

fn print_summary(report: &SyncReport) {
    println!();
    println!(
        "{:<4} {:>8} {:>10} {:>6} {:>9} {:>8} {:>8} {:>10} {:>6} {:>8}  outcome",
        "", "requests", "bytes", "files", "records", "new", "updated", "unchanged", "gone", "time"
    );
    for s in &report.sources {
        println!(
            "{:<4} {:>8} {:>10} {:>6} {:>9} {:>8} {:>8} {:>10} {:>6} {:>7.1}s  {}",
            s.source.code(),
            s.requests,
            lobbyscope_domain::thousands(s.bytes),
            s.files,
            s.records_seen,
            s.counts.new,
            s.counts.updated,
            s.counts.unchanged,
            s.withdrawn,
            s.took.as_secs_f64(),
            match &s.failure {
                Some(_) => "FAILED",
                None if s.retries > 0 => "done, after retries",
                None => "done",
            }
        );
    }
    if report.sources.iter().any(|s| s.withdrawn + s.returned > 0) {
        println!("gone: records a complete listing no longer holds, now marked \"no longer published\" (kept).");
    }
    for s in &report.sources {
        if s.returned > 0 {
            println!("{}: {} record(s) marked no longer published are listed again", s.source.code(), s.returned);
        }
        if let Some(failure) = &s.failure {
            println!("{}: not imported: {failure}", s.source.code());
        }
        for w in &s.warnings {
            println!("{}: warning: {w}", s.source.code());
        }
    }
}

#[derive(Args)]
pub struct ReimportArgs {
    #[command(flatten)]
    archive: ArchiveArg,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

pub async fn reimport(store: &dyn Store, args: ReimportArgs) -> Result<lobbyscope_ingest::ImportReport> {
    let dir = args.archive.dir()?;
    let paths =
        lobbyscope_sync::reimport_paths(&dir).with_context(|| format!("reading the archive in {}", dir.display()))?;
    if paths.is_empty() {
        println!("The archive in {} holds nothing a sync imported.", dir.display());
    }
    report::run_import(store, &paths, args.quiet).await
}

#[derive(Args)]
pub struct StatusArgs {
    /// One JSON object instead of lines.
    #[arg(long)]
    json: bool,
}

/// Each source's health as the syncs left it in the store (what `/sources` shows), with the
/// store's counts.
pub async fn status(store: &dyn Store, args: StatusArgs) -> Result<()> {
    let kept = store.source_health().await?;
    let stats = store.stats().await?;
    let now = Utc::now();
    let health: Vec<SourceHealth> = SourceId::ALL
        .into_iter()
        .map(|source| kept.iter().find(|h| h.source == source).cloned().unwrap_or_else(|| SourceHealth::never(source)))
        .collect();
    if args.json {
        let sources: Vec<serde_json::Value> = health
            .iter()
            .map(|h| {
                let mut v = serde_json::to_value(h).unwrap_or_default();
                v["late"] = h.is_late(now).into();
                v
            })
            .collect();
        println!("{}", serde_json::to_string(&serde_json::json!({ "sources": sources, "store": stats }))?);
        return Ok(());
    }
    let when =
        |t: Option<chrono::DateTime<Utc>>| t.map_or("never".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    for h in &health {
        let source = h.source;
        if !h.synced() {
            println!("{} ({}): never synced", source.title(), source.code());
            continue;
        }
        let late = if h.is_late(now) { " — LATE" } else { "" };
        println!("{} ({}){late}", source.title(), source.code());
        println!("  last attempt: {}", when(h.last_attempt));
        let r = &h.run;
        println!(
            "  last success: {} ({} records seen: {} new, {} updated, {} unchanged, {} no longer published)",
            when(h.last_success),
            r.records_seen,
            r.new,
            r.updated,
            r.unchanged,
            r.withdrawn
        );
        if let Some(e) = &h.last_error {
            println!("  last attempt failed: {e}");
        }
        for w in &h.warnings {
            println!("  warning: {w}");
        }
    }
    println!();
    report::print_stats(&stats);
    Ok(())
}
