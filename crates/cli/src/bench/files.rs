//! `lobbyscope bench FILE…`: wall-clock figures for single files.
//!
//! For each file: parse only (recognise + parse every record, store nothing); then what
//! `lobbyscope import FILE` does on a fresh SQLite file (parse, link, write, commit, and the
//! full relinking pass when the file changed the register); then, for reference, a full
//! relinking pass over the result. Each is run once to warm the page cache and then `runs`
//! times; the median and the minimum are printed.
//! Peak memory is the process's high-water mark (VmHWM), so measure one file per invocation
//! when that figure matters.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use lobbyscope_ingest::Quiet;
use lobbyscope_sources::Parsed;
use lobbyscope_store_sqlite::SqliteStore;

use super::child::peak_rss_kb;
use super::{mb, ms, percentile};

fn parse_only(path: &Path) -> Result<u64> {
    let opened = lobbyscope_sources::open_path(path)?;
    let mut n = 0;
    for item in lobbyscope_sources::parse(opened.kind, opened.input)? {
        if let Parsed::Record(_) = item? {
            n += 1;
        }
    }
    Ok(n)
}

async fn import_once(path: &Path, dir: &Path, run: usize) -> Result<(Duration, Duration)> {
    let db = dir.join(format!("bench-{run}.sqlite"));
    let store = SqliteStore::open(&db).await?;
    let start = Instant::now();
    let report = lobbyscope_ingest::import_paths(&store, &[path.to_owned()], &Quiet).await?;
    let import = start.elapsed();
    if let Some(why) = report.files.iter().find_map(|f| f.failure.as_ref()) {
        bail!("{}: {why}", path.display());
    }
    let start = Instant::now();
    lobbyscope_ingest::link(&store).await?;
    let link = start.elapsed();
    // Closing here keeps one run's WAL checkpoint out of the next run's figures.
    store.close().await;
    Ok((import, link))
}

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    format!("median {:>8.1} ms  min {:>8.1} ms", ms(percentile(&times, 50)), ms(percentile(&times, 0)))
}

pub async fn run(files: &[PathBuf], runs: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("lobbyscope-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    for path in files {
        let records = parse_only(path)?;
        let mut parse = Vec::new();
        for _ in 0..runs {
            let start = Instant::now();
            parse_only(path)?;
            parse.push(start.elapsed());
        }
        import_once(path, &dir, 0).await?;
        let (mut import, mut link) = (Vec::new(), Vec::new());
        for run in 1..=runs {
            let (i, l) = import_once(path, &dir, run).await?;
            import.push(i);
            link.push(l);
        }
        println!("{} ({records} records, {runs} runs)", path.display());
        println!("  parse only          {}", summary(parse));
        println!("  import into SQLite  {}", summary(import));
        println!("  full relinking pass {}", summary(link));
        if let Some(kb) = peak_rss_kb(std::process::id()) {
            println!("  peak RSS so far     {} MB", mb(kb));
        }
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
