//! `lobbyscope copy-store`: a whole store into an empty one, of either backend, checked by
//! counting both at the end.

use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use lobbyscope_store::{
    CopyError, CopyProgress, CopyReport, CopyTable, ImportGuard, LockAttempt, LockHolder, Store, copy_store,
};

use crate::db::{Connections, Db};

const COMMAND: &str = "copy-store";

/// A progress bar (none with `--quiet`), and each table's time at debug level.
struct Progress {
    bar: Option<ProgressBar>,
    table_started: Mutex<Instant>,
}

impl CopyProgress for Progress {
    fn table_started(&self, table: CopyTable, rows: u64) {
        *self.table_started.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        if let Some(bar) = &self.bar {
            bar.set_length(rows);
            bar.set_position(0);
            bar.set_message(table.to_string());
        }
    }
    fn rows_copied(&self, _table: CopyTable, so_far: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(so_far);
        }
    }
    fn table_done(&self, table: CopyTable, rows: u64) {
        let took = self.table_started.lock().unwrap_or_else(|e| e.into_inner()).elapsed();
        tracing::debug!(%table, rows, ?took, "table copied");
    }
    fn building_indexes(&self) {
        *self.table_started.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        if let Some(bar) = &self.bar {
            bar.set_length(0);
            bar.set_message("building indexes");
        }
    }
}

pub async fn run(from: &Db, to: &Db, connections: &Connections, quiet: bool) -> Result<()> {
    // Opening a SQLite path makes the file: a mistyped source would copy as an empty store.
    if let Db::Sqlite(path) = from
        && !path.is_file()
    {
        bail!("there is no store at {}", path.display());
    }
    if same_file(from, to) {
        bail!("--from and --to name the same store ({})", to.shown());
    }
    let source = from.open(connections).await.with_context(|| format!("cannot open the source {}", from.shown()))?;
    let target = to.open(connections).await.with_context(|| format!("cannot open the target {}", to.shown()))?;
    // The target's lock keeps imports out of the copy; the source's keeps its rows still while
    // they are read.
    let _target = lock(&*target, "target", to).await?;
    let _source = lock(&*source, "source", from).await?;

    println!("Copying {} into {}", from.shown(), to.shown());
    let started = Instant::now();
    let bar = (!quiet).then(|| crate::report::ticking("{spinner} {msg}: {human_pos}/{human_len} rows ({per_sec})"));
    let progress = Progress { bar: bar.clone(), table_started: Mutex::new(Instant::now()) };
    let copied = copy_store(&*source, &*target, &progress).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let since_tables = progress.table_started.lock().unwrap_or_else(|e| e.into_inner()).elapsed();
    tracing::debug!(took = ?since_tables, "indexes built, both stores counted");
    match copied {
        Ok(report) => {
            print_counts(&report);
            println!(
                "The copy matches its source: {} rows in {} tables, copied in {:.1} s.",
                report.rows(),
                report.tables.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(CopyError::Mismatch(report)) => {
            print_counts(&report);
            print_figures(&report)?;
            Err(CopyError::Mismatch(report).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Both paths name one file (two names of one PostgreSQL database are caught by its lock).
fn same_file(from: &Db, to: &Db) -> bool {
    match (from, to) {
        (Db::Sqlite(a), Db::Sqlite(b)) => match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        },
        (Db::Postgres(a), Db::Postgres(b)) => a == b,
        _ => false,
    }
}

/// The store's import lock, waiting (and saying for whom) while another process holds it.
/// Taken for the target first: this process holding the source's lock already means that the
/// source is the target under another name (two URLs of one database).
async fn lock(store: &dyn Store, which: &str, db: &Db) -> Result<ImportGuard> {
    let me = LockHolder::this_process(COMMAND);
    match store.try_lock_for_import(&me).await? {
        LockAttempt::Acquired(guard) => Ok(guard),
        LockAttempt::Held(Some(holder)) if holder.pid == me.pid => {
            bail!("--from and --to name the same store ({})", db.shown())
        }
        LockAttempt::Held(holder) => {
            // On stderr, as `import` says it.
            let holder = holder.map_or_else(|| "import".to_owned(), |h| h.to_string());
            eprintln!("another {holder} is running on the {which} ({}); waiting…", db.shown());
            Ok(store.lock_for_import(&me).await?)
        }
    }
}

/// Each table's rows in the source and in the copy.
fn print_counts(report: &CopyReport) {
    println!("{:<24}{:>12}{:>12}", "table", "source", "copy");
    for t in &report.tables {
        let mark = if t.source == t.target { "" } else { "  differs" };
        println!("{:<24}{:>12}{:>12}{mark}", t.table.name(), t.source, t.target);
    }
}

/// The figures (`stats`) that differ between the source and the copy.
fn print_figures(report: &CopyReport) -> Result<()> {
    let (source, target) = (serde_json::to_value(&report.source_stats)?, serde_json::to_value(&report.target_stats)?);
    let (Some(source), Some(target)) = (source.as_object(), target.as_object()) else { return Ok(()) };
    for (key, value) in source {
        let copied = target.get(key).unwrap_or(&serde_json::Value::Null);
        if copied != value {
            println!("figure {key}: source {value}, copy {copied}");
        }
    }
    Ok(())
}
