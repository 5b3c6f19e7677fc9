//! The search index beside the store: where it lives, `lobbyscope index`, the update after every
//! command that imports, and the server's catching up with imports made elsewhere.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use lobbyscope_index::{DocKind, SearchIndex, UpdateProgress, UpdateReport};
use lobbyscope_store::{LockHolder, Store};

use crate::db::Db;

/// Where the index of `db` lives unless `--index` says: beside a SQLite file (`<file>-index`,
/// as its import lock is `<file>-lock`); for PostgreSQL, under the data directory, one per
/// server and database, so that every web server builds and follows its own copy.
pub fn index_dir(db: &Db, given: Option<PathBuf>, data_dir: impl FnOnce() -> Result<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    Ok(match db {
        Db::Sqlite(path) => {
            let mut dir = path.clone().into_os_string();
            dir.push("-index");
            PathBuf::from(dir)
        }
        Db::Postgres(url) => {
            let parsed = url::Url::parse(url).context("cannot read the PostgreSQL URL")?;
            let name: String = format!(
                "{}_{}_{}",
                parsed.host_str().unwrap_or("local"),
                parsed.port().unwrap_or(5432),
                parsed.path().trim_start_matches('/')
            )
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
            .collect();
            data_dir()?.join("search-index").join(name)
        }
    })
}

/// A spinner with the documents written so far.
struct Bar(ProgressBar);

impl UpdateProgress for Bar {
    fn kind_started(&self, kind: DocKind) {
        self.0.set_message(format!("indexing {}s", kind.as_str()));
    }
    fn documents(&self, n: u64) {
        self.0.inc(n);
    }
}

fn bar(quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {human_pos} records read ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// `lobbyscope index`: brings the index up to the store, or makes it again with `rebuild`.
pub async fn run(store: &dyn Store, dir: &Path, rebuild: bool, quiet: bool) -> Result<UpdateReport> {
    if rebuild && dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    let report = update(store, dir, quiet).await?;
    if report.busy {
        println!(
            "An import or another index update is running; the index in {} is left as it is: run this again after it.",
            dir.display()
        );
    } else if !quiet {
        let names = ["organisations", "people", "meetings", "responses", "initiatives", "position items"];
        let counts: Vec<String> =
            DocKind::ALL.iter().zip(names).map(|(k, name)| format!("{} {name}", report.written[*k as usize])).collect();
        println!(
            "{} the search index in {}: {}.",
            if report.full { "Built" } else { "Updated" },
            dir.display(),
            counts.join(", ")
        );
    }
    Ok(report)
}

/// The index in `dir` brought up to the store, with a progress bar unless `quiet`.
async fn update(store: &dyn Store, dir: &Path, quiet: bool) -> Result<UpdateReport> {
    let index = SearchIndex::open(dir)?;
    let bar = bar(quiet);
    let report = index.update(store, &LockHolder::this_process("index"), &Bar(bar.clone())).await;
    bar.finish_and_clear();
    Ok(report?)
}

/// After a command that imported: the index catches up, or says why not without failing the
/// command (the import is done; search is derived from it).
pub async fn update_after(store: &dyn Store, dir: &Path, quiet: bool) {
    match update(store, dir, quiet).await {
        Ok(report) if report.busy => {
            eprintln!(
                "lobbyscope: the search index was not updated (another process is writing to it); `lobbyscope index` catches up"
            )
        }
        Ok(_) => {}
        Err(e) => eprintln!("lobbyscope: the search index was not updated: {e:#}; `lobbyscope index` catches up"),
    }
}

/// How often a server looks whether its index is behind the store.
const FOLLOW_EVERY: Duration = Duration::from_secs(5);

/// For `serve`: the index, opened (`None`, with a warning, when it cannot be), and a task that
/// keeps it up with the store: built when it is empty, caught up whenever the store moved on.
pub fn follow(store: Arc<dyn Store>, dir: &Path) -> Option<Arc<SearchIndex>> {
    let index = match SearchIndex::open(dir) {
        Ok(index) => Arc::new(index),
        Err(e) => {
            tracing::warn!("search is not available: {e}");
            eprintln!("lobbyscope: search is not available: {e}");
            return None;
        }
    };
    let following = Arc::clone(&index);
    tokio::spawn(async move {
        let me = LockHolder::this_process("serve (search index)");
        loop {
            match following.is_current(&*store).await {
                Ok(true) => {}
                Ok(false) => {
                    if let Err(e) = following.update(&*store, &me, &lobbyscope_index::Quiet).await {
                        tracing::warn!("the search index could not catch up: {e}");
                    }
                }
                Err(e) => tracing::warn!("cannot tell whether the search index is current: {e}"),
            }
            tokio::time::sleep(FOLLOW_EVERY).await;
        }
    });
    Some(index)
}
