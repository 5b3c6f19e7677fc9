//! `sync` and `status`: the official sources fetched into the store, and how each fared.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use clap::{Args, ValueEnum};
use lobbyscope_store::Store;
use lobbyscope_sync::config::CONTACT_VARIABLE;
use lobbyscope_sync::run::DEFAULT_SOURCES;
use lobbyscope_sync::state::State;
use lobbyscope_sync::{Bases, Politeness, SourceId, SyncOptions, SyncReport};

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

#[derive(Args)]
pub struct SyncArgs {
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
    let contact = args.contact.as_deref().unwrap_or_default();
    let politeness = Politeness::new(contact)?;
    let sources = if args.sources.is_empty() {
        DEFAULT_SOURCES.to_vec()
    } else {
        args.sources.iter().map(|&s| SourceId::from(s)).collect()
    };
    let options = SyncOptions {
        sources,
        archive: args.archive.dir()?,
        bases: Bases::from_env()?,
        politeness,
        parliament_since: args.since,
        today: Utc::now().date_naive(),
        attachments: args.attachments,
    };
    let report = if args.quiet {
        lobbyscope_sync::sync(store, &options, &lobbyscope_ingest::Quiet).await?
    } else {
        lobbyscope_sync::sync(store, &options, &Plain).await?
    };
    print_summary(&report);
    Ok(report)
}

fn print_summary(report: &SyncReport) {
    println!();
    println!(
        "{:<4} {:>8} {:>10} {:>6} {:>9} {:>8} {:>8} {:>10} {:>8}  outcome",
        "", "requests", "bytes", "files", "records", "new", "updated", "unchanged", "time"
    );
    for s in &report.sources {
        println!(
            "{:<4} {:>8} {:>10} {:>6} {:>9} {:>8} {:>8} {:>10} {:>7.1}s  {}",
            s.source.code(),
            s.requests,
            lobbyscope_domain::thousands(s.bytes),
            s.files,
            s.records_seen,
            s.counts.new,
            s.counts.updated,
            s.counts.unchanged,
            s.took.as_secs_f64(),
            match &s.failure {
                Some(_) => "FAILED",
                None if s.retries > 0 => "done, after retries",
                None => "done",
            }
        );
    }
    for s in &report.sources {
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
    #[command(flatten)]
    archive: ArchiveArg,
    /// One JSON object instead of lines.
    #[arg(long)]
    json: bool,
}

/// Each source's last attempt and success, as the syncs left them, with the store's counts.
pub async fn status(store: &dyn Store, args: StatusArgs) -> Result<()> {
    let dir = args.archive.dir()?;
    let state = State::load(&dir).with_context(|| format!("reading the sync state in {}", dir.display()))?;
    let stats = store.stats().await?;
    if args.json {
        println!("{}", serde_json::to_string(&serde_json::json!({ "sources": state.sources, "store": stats }))?);
        return Ok(());
    }
    for source in SourceId::ALL {
        let Some(s) = state.sources.get(source.code()) else {
            println!("{} ({}): never synced", source.title(), source.code());
            continue;
        };
        let when = |t: Option<chrono::DateTime<Utc>>| {
            t.map_or("never".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        };
        println!("{} ({})", source.title(), source.code());
        println!("  last attempt: {}", when(s.last_attempt));
        println!(
            "  last success: {} ({} records seen, {} new or updated)",
            when(s.last_success),
            s.records_seen,
            s.records_imported
        );
        if let Some(e) = &s.last_error {
            println!("  last attempt failed: {e}");
        }
        for w in &s.warnings {
            println!("  warning: {w}");
        }
    }
    println!();
    report::print_stats(&stats);
    Ok(())
}
