//! The `lobbyscope` command: a thin shell over the library crates.

mod analyze;
mod bench;
mod copy;
mod db;
mod generate;
mod report;
mod resolve;
mod search;
mod sync;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use lobbyscope_generate::Options;
use lobbyscope_store::Store;

use crate::db::{Connections, Db};

#[derive(Parser)]
#[command(name = "lobbyscope", version, about = "Who lobbies the European Union, on what, and how.")]
struct Cli {
    /// The store: a SQLite file, or a PostgreSQL database as `postgres://user@host/db`.
    /// Default: the file $LOBBYSCOPE_DATA_DIR/lobbyscope.sqlite, where LOBBYSCOPE_DATA_DIR
    /// defaults to $XDG_DATA_HOME/lobbyscope or ~/.local/share/lobbyscope.
    #[arg(long, global = true, env = "LOBBYSCOPE_DB", value_name = "PATH|URL")]
    db: Option<String>,

    /// PostgreSQL: connections this process keeps open at most.
    #[arg(long, global = true, env = "LOBBYSCOPE_POOL_SIZE", value_name = "N")]
    pool_size: Option<u32>,

    /// Seconds one statement may run before the database stops it (0: no limit): on
    /// PostgreSQL every statement, on SQLite the pages' reads. `serve` and `demo` default to
    /// their --request-timeout, after which nobody waits for the answer; other commands to none.
    #[arg(long, global = true, env = "LOBBYSCOPE_STATEMENT_TIMEOUT", value_name = "SECONDS")]
    statement_timeout: Option<u64>,

    /// How log lines on stderr are written: `text` for people, `json` (one object a line) for
    /// log collectors. Which lines: LOBBYSCOPE_LOG (else RUST_LOG), e.g. `debug` or
    /// `lobbyscope_web::request=off`; `serve` logs each request by default.
    #[arg(long, global = true, env = "LOBBYSCOPE_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,

    /// The search index's folder. Default: beside a SQLite file (`FILE-index`); for PostgreSQL,
    /// $LOBBYSCOPE_DATA_DIR/search-index/HOST_PORT_DB. Derived data: each server keeps its own
    /// and follows the store.
    #[arg(long, global = true, env = "LOBBYSCOPE_INDEX", value_name = "DIR")]
    index: Option<PathBuf>,

    /// Leave this machine's search index alone: `import`, `sync` and `reimport` do not update it
    /// (a node that imports into PostgreSQL for servers that follow the store by themselves),
    /// and `serve` neither builds nor follows one (its search pages say so).
    #[arg(long, global = true, env = "LOBBYSCOPE_NO_INDEX")]
    no_index: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// How `serve` (and `demo`) treat clients: durations as `10s`, `500ms`, `2m`.
#[derive(Args)]
struct ServeLimits {
    /// Time a client has to send a request's whole head, from connecting or from the end of
    /// the previous answer: closes half-sent requests and idle keep-alive connections.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    header_timeout: Duration,
    /// Time a write may wait for the client to read (a stalled download) before the
    /// connection is closed.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    send_timeout: Duration,
    /// Time a request may take until its answer starts; then 504. A streamed CSV export has
    /// started by then and is not cut.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    request_timeout: Duration,
    /// Requests at once whose work grows with the data (searches, lists, timelines, feeds,
    /// exports) when the page cache does not hold their answer; more wait, then get a 503.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_expensive: u32,
    /// How long such a request waits for its turn before the 503 (with Retry-After).
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration, value_name = "DURATION")]
    expensive_wait: Duration,
    /// Connections served at once; further ones wait to be accepted. Keep it below the
    /// process's limit on open files (`ulimit -n`).
    #[arg(long, default_value_t = 900, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
}

impl ServeLimits {
    fn options(&self) -> lobbyscope_web::ServerOptions {
        lobbyscope_web::ServerOptions {
            header_timeout: self.header_timeout,
            send_timeout: self.send_timeout,
            max_connections: self.max_connections as usize,
            limits: lobbyscope_web::Limits {
                request_timeout: self.request_timeout,
                max_expensive: self.max_expensive as usize,
                expensive_wait: self.expensive_wait,
            },
            ..lobbyscope_web::ServerOptions::default()
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Import official files (or folders of them); each file is recognised by its content.
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Fetch the official sources from their endpoints (politely, only what changed), keep
    /// every answer in the raw archive, and import them. LOBBYSCOPE_TR_BASE, _EC_BASE, _EP_BASE
    /// and _HYS_BASE point a source elsewhere.
    Sync(sync::SyncArgs),
    /// Each source's last sync: when it was tried, when it last succeeded, what went wrong.
    Status(sync::StatusArgs),
    /// Import again every answer the syncs imported, from the raw archive (after a parser fix:
    /// records now read differently are updated, with their history).
    Reimport(sync::ReimportArgs),
    /// Bring the search index up to the store (it is also updated after every import and sync,
    /// and followed by `serve`).
    Index {
        /// Make it again from nothing.
        #[arg(long)]
        rebuild: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Resolve organisation names, one a line on standard input, against the store's register
    /// and the names its sources gave beside register IDs, as import and sync link them: for
    /// each, the register ID or nothing, the registered name, a score and the reason.
    Resolve {
        /// One JSON object a line instead of tab-separated columns.
        #[arg(long)]
        json: bool,
    },
    /// Print record counts.
    Stats {
        /// One JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Serve the site.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        addr: SocketAddr,
        #[command(flatten)]
        limits: ServeLimits,
        /// Sync the official sources in the background this often (e.g. `24h`), as `lobbyscope
        /// sync` would with the options below; the first time when the last sync is that old.
        #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION", help_heading = "Background sync")]
        sync_every: Option<Duration>,
        #[command(flatten, next_help_heading = "Background sync")]
        sync: sync::SyncSettings,
    },
    /// Import the bundled demo data into a fresh database, write its position items with the
    /// extractive writer, and serve it.
    Demo {
        /// Where the demo data is (default: the repository's demo/ folder).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
        addr: SocketAddr,
        /// Import and print the summary, but do not serve.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        limits: ServeLimits,
    },
    /// Write position items (Message — Why — Impact) from organisations' own words, every
    /// sentence checked against the passages it cites. Unchanged inputs are skipped; a rerun
    /// retries items left pending by a failing endpoint.
    Analyze {
        /// Only this organisation: its register ID, or the key in its page's address.
        #[arg(long, value_name = "ID")]
        org: Option<String>,
        #[arg(long, value_enum, default_value = "extractive")]
        writer: analyze::WriterKind,
        /// A folder holding consultation responses' attachments (PDF or text), named by their
        /// document id or file name.
        #[arg(long, value_name = "DIR")]
        attachments: Option<PathBuf>,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write a synthetic corpus in the official layouts of the four sources, the same bytes for
    /// the same options; `--orgs 20000 --ep 200000 --ec 60000 --responses 2000000` is the EU's size.
    Generate {
        /// An empty or new folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Registered organisations.
        #[arg(long, default_value_t = Options::default().orgs, value_name = "N")]
        orgs: u32,
        /// European Parliament MEP meetings.
        #[arg(long, default_value_t = Options::default().ep, value_name = "N")]
        ep: u64,
        /// Commission meetings (split between XLSX and XML files).
        #[arg(long, default_value_t = Options::default().ec, value_name = "N")]
        ec: u64,
        /// Have Your Say consultation responses.
        #[arg(long, default_value_t = Options::default().responses, value_name = "N")]
        responses: u64,
        #[arg(long, default_value_t = Options::default().seed, value_name = "S")]
        seed: u64,
        /// Earlier register snapshots, a quarter apart, besides the newest.
        #[arg(long, default_value_t = 0, value_name = "K")]
        snapshots: u32,
        /// Responses per feedback page file.
        #[arg(long, default_value_t = Options::default().page_size, value_name = "N")]
        page_size: u32,
    },
    /// Copy a whole store into an empty one, SQLite or PostgreSQL either way, then check that
    /// both hold the same rows. Ignores --db.
    CopyStore {
        /// The store to copy: a SQLite file, or `postgres://user@host/db`.
        #[arg(long, value_name = "PATH|URL")]
        from: String,
        /// An empty store (a new SQLite file is made; a PostgreSQL database must exist).
        #[arg(long, value_name = "PATH|URL")]
        to: String,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Measure parsing and importing of files, or (`bench corpus`) run the whole benchmark.
    ///
    /// `bench FILE…` times parsing and importing each file in this process; `bench corpus
    /// --out DIR` runs the whole benchmark on a generated corpus. See BENCHMARKS.md.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Bench {
        #[command(subcommand)]
        whole: Option<BenchCommand>,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Timed runs per measurement (after one warm-up run).
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The whole benchmark on a generated corpus, the EU's size unless told otherwise.
    ///
    /// Generates the corpus into OUT/corpus (reused when it holds one of the same options),
    /// imports each source and then all of it into fresh stores with child processes, times
    /// the `sqlite3 .import` floor, and every kind of page uncached on a loopback port; then
    /// prints the figures as Markdown tables (or `--json`), progress on stderr. The stores are
    /// SQLite files in OUT/stores, or with `--db postgres://…/NAME` new databases
    /// NAME_register, …, NAME_corpus on that server.
    Corpus(bench::corpus::CorpusArgs),
    /// The search index beside SQLite FTS5 on the store's documents: build rates, 50 fixed
    /// queries (words, phrases, prefixes, faceted) one at a time and by many clients at once,
    /// and name suggestions; Markdown tables on stdout.
    Search(bench::search::SearchArgs),
}

fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("LOBBYSCOPE_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("lobbyscope"));
    }
    let home = std::env::var_os("HOME").context("cannot find a data directory: set LOBBYSCOPE_DATA_DIR or --db")?;
    Ok(PathBuf::from(home).join(".local/share/lobbyscope"))
}

fn demo_dir(given: Option<PathBuf>) -> PathBuf {
    given.or_else(|| std::env::var_os("LOBBYSCOPE_DEMO_DIR").map(PathBuf::from)).unwrap_or_else(|| {
        let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
        bundled.canonicalize().unwrap_or(bundled)
    })
}

async fn serve(
    store: Arc<dyn Store>,
    search: Option<Arc<lobbyscope_index::SearchIndex>>,
    addr: SocketAddr,
    limits: &ServeLimits,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    println!("Serving on http://{}/ (Ctrl-C to stop)", listener.local_addr()?);
    let options = lobbyscope_web::ServerOptions { search, ..limits.options() };
    lobbyscope_web::serve(listener, store, &options, stopped()).await?;
    Ok(())
}

/// Ctrl-C, or the SIGTERM a supervisor stops a service with.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Log lines on stderr, as LOBBYSCOPE_LOG (else RUST_LOG) filters them. By default errors only,
/// but a server also logs its warnings and one line per request.
fn init_logging(format: LogFormat, serving: bool) {
    use tracing_subscriber::EnvFilter;
    let given =
        ["LOBBYSCOPE_LOG", "RUST_LOG"].into_iter().find_map(|v| std::env::var(v).ok().filter(|f| !f.is_empty()));
    let filter = match given {
        Some(directives) => EnvFilter::builder().parse_lossy(directives),
        None if serving => EnvFilter::new("error,lobbyscope_web=warn,lobbyscope_web::request=info"),
        None => EnvFilter::new("error"),
    };
    // Colours only for a person at a terminal, not in a file or a collector's pipe.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().with_current_span(true).with_span_list(false).init(),
    }
}

/// Exit codes (README, "Exit codes"): 0 when everything asked was done; [`PARTIAL`] when some
/// files or records were not (and the rest were kept); 1 when nothing could be done (a store
/// that cannot be opened, an input that cannot be read); 2 for a command line clap refuses.
const PARTIAL: u8 = 3;

fn main() -> ExitCode {
    bound_freed_memory();
    // What reaches a user is a message, never a backtrace, whatever RUST_BACKTRACE says.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("lobbyscope: internal error ({info}); this is a bug: please report it");
    }));
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lobbyscope: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(code) => code,
        Err(e) => {
            // `{:#}` gives the chain of causes on one line, without the backtrace `{:?}` adds.
            eprintln!("lobbyscope: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Has glibc give freed memory back to the system. By default, once a block above 128 KiB (a
/// multi-row statement's text, a batch's vector) is freed, glibc raises the size below which it
/// serves blocks from its heaps instead of mapping them, up to 32 MiB, and keeps what is freed
/// there. An import whose reading runs ahead of its writing (lobbyscope-ingest) then peaked at
/// 470 MB on a tenth of the EU's Have Your Say corpus, 295 MB with this; as fast.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn bound_freed_memory() {
    // Setting the trim threshold also fixes that size at its default.
    // SAFETY: mallopt only sets a parameter of the allocator, here before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, 32 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn bound_freed_memory() {}

async fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    init_logging(cli.log_format, matches!(cli.command, Command::Serve { .. } | Command::Demo { no_serve: false, .. }));
    let serving = match &cli.command {
        Command::Serve { limits, .. } | Command::Demo { no_serve: false, limits, .. } => Some(limits.request_timeout),
        _ => None,
    };
    let statement_timeout = match cli.statement_timeout {
        Some(0) => None,
        Some(seconds) => Some(Duration::from_secs(seconds)),
        None => serving,
    };
    let connections = Connections { pool_size: cli.pool_size, statement_timeout };
    if let Command::CopyStore { from, to, quiet } = &cli.command {
        return copy::run(&Db::parse(from), &Db::parse(to), &connections, *quiet).await.map(|()| ExitCode::SUCCESS);
    }
    // It makes stores of its own: no default store is worked out for it.
    if let Command::Bench { whole: Some(BenchCommand::Corpus(args)), .. } = &cli.command {
        let db = cli.db.as_deref().filter(|d| !d.is_empty()).map(Db::parse);
        return bench::corpus::run(args, db, &connections).await.map(|()| ExitCode::SUCCESS);
    }
    let db = match cli.db.filter(|d| !d.is_empty()) {
        Some(given) => Db::parse(&given),
        None => Db::Sqlite(data_dir()?.join(match cli.command {
            Command::Demo { .. } => "demo.sqlite",
            _ => "lobbyscope.sqlite",
        })),
    };
    let index_dir = search::index_dir(&db, cli.index.clone(), data_dir)?;
    let index_after = |store: Arc<dyn Store>, quiet: bool| {
        let dir = index_dir.clone();
        async move {
            if !cli.no_index {
                search::update_after(&*store, &dir, quiet).await;
            }
        }
    };
    match cli.command {
        Command::Import { paths, quiet } => {
            let store = db.open(&connections).await?;
            let report = report::run_import(&*store, &paths, quiet).await?;
            index_after(Arc::clone(&store), quiet).await;
            if !report.complete() {
                eprintln!("lobbyscope: not everything was imported (see the summary above); the rest was kept");
                return Ok(ExitCode::from(PARTIAL));
            }
        }
        Command::Sync(args) => {
            let store = db.open(&connections).await?;
            let outcome = sync::run(&*store, args).await?;
            index_after(Arc::clone(&store), true).await;
            if outcome.failed() {
                eprintln!("lobbyscope: some sources were not synced (see above); the next sync tries them again");
                return Ok(ExitCode::from(PARTIAL));
            }
        }
        Command::Status(args) => {
            let store = db.open(&connections).await?;
            sync::status(&*store, args).await?;
        }
        Command::Reimport(args) => {
            let store = db.open(&connections).await?;
            let report = sync::reimport(&*store, args).await?;
            index_after(Arc::clone(&store), true).await;
            if !report.complete() {
                eprintln!("lobbyscope: not everything was imported again (see the summary above)");
                return Ok(ExitCode::from(PARTIAL));
            }
        }
        Command::Index { rebuild, quiet } => {
            let store = db.open(&connections).await?;
            search::run(&*store, &index_dir, rebuild, quiet).await?;
        }
        Command::Resolve { json } => {
            let store = db.open(&connections).await?;
            resolve::run(&*store, json).await?;
        }
        Command::Stats { json } => {
            let store = db.open(&connections).await?;
            let stats = store.stats().await?;
            if json {
                println!("{}", serde_json::to_string(&stats)?);
            } else {
                report::print_stats(&stats);
            }
        }
        Command::Analyze { org, writer, attachments, quiet } => {
            let store = db.open(&connections).await?;
            let report = analyze::run(&*store, org, writer, attachments, quiet).await?;
            index_after(Arc::clone(&store), quiet).await;
            if report.incomplete() {
                eprintln!(
                    "lobbyscope: {} item(s) pending and {} not attempted: rerun `lobbyscope analyze` to resume; \
                     nothing already written is lost",
                    report.pending, report.not_attempted
                );
                return Ok(ExitCode::from(PARTIAL));
            }
        }
        Command::Serve { addr, limits, sync_every, sync } => {
            let store = db.open(&connections).await?;
            if let Some(every) = sync_every {
                if every.is_zero() {
                    bail!("--sync-every must be longer than zero");
                }
                sync::spawn_every(Arc::clone(&store), sync, every).await?;
            }
            let search = if cli.no_index { None } else { search::follow(Arc::clone(&store), &index_dir) };
            serve(store, search, addr, &limits).await?;
        }
        Command::Demo { data, addr, no_serve, limits } => {
            let data = demo_dir(data);
            if !data.is_dir() {
                bail!("demo data not found at {}: pass --data DIR", data.display());
            }
            let Db::Sqlite(path) = &db else {
                bail!(
                    "demo makes a fresh SQLite file; to put the demo data into {}, run `lobbyscope --db URL import {}`",
                    db.shown(),
                    data.display()
                );
            };
            for suffix in ["", "-wal", "-shm"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                match std::fs::remove_file(&p) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).with_context(|| format!("cannot replace {}", PathBuf::from(p).display()));
                    }
                    _ => {}
                }
            }
            println!("Importing the demo data from {} into {}", data.display(), db.shown());
            let store = db.open(&connections).await?;
            let report = report::run_import(&*store, &[data], false).await?;
            println!();
            report::print_stats(&store.stats().await?);
            if report.failed() {
                bail!("some demo files were not imported (see above)");
            }
            println!();
            analyze::run(&*store, None, analyze::WriterKind::Extractive, None, false).await?;
            // A fresh database: its index is made afresh too.
            search::run(&*store, &index_dir, true, false).await?;
            if !no_serve {
                let search = search::follow(Arc::clone(&store), &index_dir);
                serve(store, search, addr, &limits).await?;
            }
        }
        Command::CopyStore { .. } => unreachable!("run before a --db is worked out"),
        Command::Bench { whole: Some(BenchCommand::Search(args)), .. } => {
            bench::search::run(db.open(&connections).await?, &args).await?;
        }
        Command::Bench { whole: Some(_), .. } => unreachable!("run before a --db is worked out"),
        Command::Bench { whole: None, files, runs } => bench::files(&files, runs.max(1)).await?,
        Command::Generate { out, orgs, ep, ec, responses, seed, snapshots, page_size } => {
            let opts = Options { orgs, ep, ec, responses, seed, snapshots, page_size, ..Options::default() };
            // Writing is blocking work on threads of its own.
            tokio::task::spawn_blocking(move || generate::run(&out, &opts)).await??;
        }
    }
    Ok(ExitCode::SUCCESS)
}
