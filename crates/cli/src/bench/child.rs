//! Child processes measured: the wall time from spawn to exit, and the peak resident set size
//! of the program the child runs.
//!
//! A child of its own is the only way to give each import its own peak: a process's high-water
//! mark never comes down, so imports run one after the other in one process would all show the
//! largest. The peak is the child's `VmHWM`, read from `/proc` while it runs, not `wait4`'s
//! `ru_maxrss`: Linux counts into that the memory of the process the child was spawned from
//! until it ran the new program (with `vfork`, the parent's whole high-water mark), so every
//! child of a large benchmark process would show the benchmark's memory rather than its own.
//! `VmHWM` is the high-water mark of the program alone. Sampled every millisecond at first
//! (so that a short child is seen at all) and every [`SAMPLE`] after, it misses only what the
//! program allocates in its last moments, while it frees what it holds.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::db::{Connections, Db};

const SAMPLE: Duration = Duration::from_millis(10);
/// How long a child is sampled every millisecond.
const FIRST: Duration = Duration::from_millis(100);

/// How a child ran.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    /// Kilobytes, as `/proc` counts them; `None` if the child ended before it was seen.
    pub peak_rss_kb: Option<u64>,
}

/// This very build of `lobbyscope` on `db`, with the pool and timeout this process was given.
pub fn lobbyscope(db: &Db, connections: &Connections) -> Result<Command> {
    let exe = std::env::current_exe().context("cannot find the lobbyscope binary to run the children with")?;
    let mut cmd = Command::new(exe);
    match db {
        Db::Sqlite(path) => cmd.arg("--db").arg(path),
        Db::Postgres(url) => cmd.arg("--db").arg(url),
    };
    if let Some(n) = connections.pool_size {
        cmd.arg("--pool-size").arg(n.to_string());
    }
    if let Some(t) = connections.statement_timeout {
        cmd.arg("--statement-timeout").arg(t.as_secs().to_string());
    }
    // The imports measured are the store's; the search index is measured by `bench search`.
    // The served store's index is built by `serve` itself, behind the pages asked.
    cmd.arg("--no-index");
    Ok(cmd)
}

/// Where a child's output goes: a log file per child, so that a long import's thousands of
/// lines neither fill a pipe nobody reads nor bury the benchmark's own output.
pub fn log_to(cmd: &mut Command, log: &Path) -> Result<()> {
    let file = File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
    cmd.stdin(Stdio::null()).stdout(file.try_clone()?).stderr(file);
    Ok(())
}

/// Runs `cmd` to its end; fails, quoting the end of its log, unless it succeeds.
pub fn run(cmd: &mut Command, what: &str, log: &Path) -> Result<Measured> {
    let started = Instant::now();
    // spawn returns once the child runs the new program, so every sample is of that program.
    let mut child = cmd.spawn().with_context(|| format!("cannot start {what}"))?;
    let watch = Watch::start(child.id());
    let status = child.wait();
    let wall = started.elapsed();
    let peak_rss_kb = watch.finish();
    let status = status.with_context(|| format!("cannot wait for {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status}); the end of {}:\n{}", log.display(), tail(log));
    }
    Ok(Measured { wall, peak_rss_kb })
}

/// The peak RSS of a running process (its `VmHWM`), in kilobytes; this one's too.
pub fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A thread sampling a child's peak RSS until told to stop.
struct Watch {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Option<u64>>,
}

impl Watch {
    fn start(pid: u32) -> Watch {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stop = stop.clone();
            move || {
                let started = Instant::now();
                let mut peak = None;
                // Stopped as soon as the child is reaped: its pid is not reused in that instant.
                while !stop.load(Ordering::Relaxed) {
                    peak = peak.max(peak_rss_kb(pid));
                    std::thread::sleep(if started.elapsed() < FIRST { Duration::from_millis(1) } else { SAMPLE });
                }
                peak
            }
        });
        Watch { stop, thread }
    }

    fn finish(self) -> Option<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().ok().flatten()
    }
}

/// The last lines of a log, for an error message.
pub fn tail(log: &Path) -> String {
    let Ok(file) = File::open(log) else { return String::new() };
    let lines: Vec<String> = BufReader::new(file).lines().map_while(Result::ok).collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// `dir/name.log`.
pub fn log_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.log"))
}
