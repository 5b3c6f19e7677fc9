//! What the CLI prints about imports and counts.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use lobbyscope_domain::SourceKind;
use lobbyscope_ingest::{FileReport, ImportReport, Progress};
use lobbyscope_store::{LockHolder, Stats, Store};

struct Bar(ProgressBar);

impl Progress for Bar {
    fn file_started(&self, path: &Path, source: SourceKind) {
        self.0.set_message(format!("{} ({source})", path.display()));
        self.0.set_position(0);
    }
    fn records_read(&self, n: u64) {
        self.0.set_position(n);
    }
    fn file_done(&self, report: &FileReport) {
        self.0.suspend(|| print_file(report));
    }
    fn linking(&self) {
        self.0.set_message("linking organisations");
    }
    fn building_indexes(&self) {
        self.0.set_message("building indexes");
    }
    fn waiting(&self, holder: Option<&LockHolder>) {
        self.0.suspend(|| print_waiting(holder));
    }
}

/// Progress as plain lines, for `--quiet` and for commands without a bar.
pub struct Plain;

impl Progress for Plain {
    fn file_done(&self, report: &FileReport) {
        print_file(report);
    }
    fn linking(&self) {
        println!("Linking organisation mentions…");
    }
    fn waiting(&self, holder: Option<&LockHolder>) {
        print_waiting(holder);
    }
}

/// On stderr: whoever reads the output as records (scripts) is not told about the wait.
fn print_waiting(holder: Option<&LockHolder>) {
    match holder {
        Some(holder) => eprintln!("another {holder} is running on this database; waiting…"),
        // It has taken the lock but not yet said who it is.
        None => eprintln!("another import is running on this database; waiting…"),
    }
}

/// What making an interrupted import's linking pass did, if it had to (for `analyze`).
pub fn print_resumed_relink(changed: Option<u64>) {
    if let Some(changed) = changed {
        println!(
            "An earlier import stopped before linking organisations; every mention was linked again ({changed} link(s) changed)."
        );
    }
}

/// A progress bar drawn in `template` (indicatif's), ticking on its own while the work waits.
#[allow(clippy::expect_used, reason = "the templates are the program's own, not data")]
pub fn ticking(template: &'static str) -> ProgressBar {
    let bar = ProgressBar::no_length().with_style(ProgressStyle::with_template(template).expect("a valid template"));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub async fn run_import(store: &dyn Store, paths: &[PathBuf], quiet: bool) -> Result<ImportReport> {
    let report = if quiet {
        lobbyscope_ingest::import_paths(store, paths, &Plain).await?
    } else {
        let bar = ticking("{spinner} {msg}: {human_pos} records ({per_sec})");
        let report = lobbyscope_ingest::import_paths(store, paths, &Bar(bar.clone())).await?;
        bar.finish_and_clear();
        report
    };
    print_summary(&report);
    if report.full_relink && report.owed_by_an_earlier_run {
        println!(
            "An earlier import stopped before linking organisations: every mention was linked again ({} link(s) changed).",
            report.relinked
        );
    } else if report.full_relink {
        println!(
            "The register or the names given beside register IDs changed: every organisation mention was linked again ({} link(s) changed).",
            report.relinked
        );
    }
    Ok(report)
}

/// The run's outcome at its end, each file that was not wholly imported named again, so that
/// it need not be searched for among thousands of lines.
fn print_summary(report: &ImportReport) {
    let skipped = report.files.iter().filter(|f| f.skipped).count();
    let failed: Vec<&FileReport> = report.files.iter().filter(|f| f.failure.is_some()).collect();
    let partial: Vec<&FileReport> = report.files.iter().filter(|f| f.failure.is_none() && f.rejected > 0).collect();
    let imported = report.files.len() - skipped - failed.len();
    println!(
        "{imported} file(s) imported ({} of them with rejected records), {} not imported, {skipped} skipped.",
        partial.len(),
        failed.len()
    );
    if skipped > 0 {
        println!("The {skipped} skipped file(s) in the folders were of no known source.");
    }
    for f in &partial {
        println!("  with rejected records: {} ({} of {} read)", f.path.display(), f.rejected, f.read);
    }
    for f in &failed {
        println!("  not imported: {}: {}", f.path.display(), f.failure.as_deref().unwrap_or_default());
    }
}

fn print_file(r: &FileReport) {
    if r.skipped {
        return;
    }
    let source = r.source.map(|s| s.as_str()).unwrap_or("unknown");
    if let Some(why) = &r.failure {
        println!("{}: FAILED ({source}): {why}. Nothing from this file was imported.", r.path.display());
        return;
    }
    println!(
        "{}: {source}: read {}, new {}, updated {}, unchanged {}, rejected {}",
        r.path.display(),
        r.read,
        r.counts.new,
        r.counts.updated,
        r.counts.unchanged,
        r.rejected
    );
    for rej in &r.rejections {
        println!("  rejected at {}: {}", rej.locator, rej.reason);
    }
    if r.rejected > r.rejections.len() as u64 {
        println!("  … and {} more rejected", r.rejected - r.rejections.len() as u64);
    }
}

pub fn print_stats(s: &Stats) {
    let rows = [
        ("organisations", s.organisations),
        ("  with a register ID", s.registered_organisations),
        ("register snapshots", s.register_snapshots),
        ("register entries", s.register_entries),
        ("meetings", s.meetings),
        ("  with the Commission", s.commission_meetings),
        ("  with MEPs", s.parliament_meetings),
        ("people (MEPs, Commission staff)", s.people),
        ("consultation initiatives", s.initiatives),
        ("consultation responses", s.consultation_responses),
        ("imported files", s.imported_files),
        ("position items shown", s.position_items.shown),
        ("  pending (writer failed)", s.position_items.pending),
    ];
    print_rows(&rows);
    if let Some(t) = &s.last_import {
        print_rows(&[("last import", t)]);
    }
}

/// A label and a value a line, in two aligned columns.
pub fn print_rows<V: std::fmt::Display>(rows: &[(&str, V)]) {
    for (label, value) in rows {
        println!("{label:<34}{value:>10}");
    }
}
