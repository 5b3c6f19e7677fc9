//! `lobbyscope bench corpus`: the whole benchmark at the EU's size in one command.
//!
//! 1. A corpus from `lobbyscope_generate` in `OUT/corpus`, kept with its options in
//!    `OUT/corpus.json` and reused by a later run with the same options.
//! 2. Each source's folder imported into a fresh store, then the whole corpus into another,
//!    each by a child `lobbyscope import -q` (wall time and the child's peak RSS, as
//!    `/usr/bin/time` gives them; the SQLite stores are kept in `OUT/stores` afterwards).
//! 3. The floor: `sqlite3 .import` of the same rows as CSV, when `sqlite3` is on the PATH.
//! 4. Every kind of page uncached, against a child `serve` of the whole corpus's store.
//! 5. One report: Markdown tables for BENCHMARKS.md, or JSON.
//!
//! Progress goes to stderr, the report to stdout, so that `> figures.md` keeps only the report.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{HumanBytes, HumanCount};
use lobbyscope_domain::SourceKind;
use lobbyscope_generate::Options;
use lobbyscope_store::Stats;
use serde::{Deserialize, Serialize};

use super::child::{self, Measured};
use super::pages::{self, PagesRun};
use super::stores::Stores;
use super::{floor, mb_shown, report, survey};
use crate::db::{Connections, Db};

/// What `bench corpus` takes. The defaults are the EU's size.
#[derive(Debug, Clone, clap::Args)]
pub struct CorpusArgs {
    /// The benchmark's folder: the corpus (`corpus/`, reused by a later run with the same
    /// options), the SQLite stores (`stores/`, made afresh each run), the children's logs.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Registered organisations.
    #[arg(long, default_value_t = Options::eu_scale().orgs, value_name = "N")]
    pub orgs: u32,
    /// European Parliament MEP meetings.
    #[arg(long, default_value_t = Options::eu_scale().ep, value_name = "N")]
    pub ep: u64,
    /// Commission meetings.
    #[arg(long, default_value_t = Options::eu_scale().ec, value_name = "N")]
    pub ec: u64,
    /// Have Your Say consultation responses.
    #[arg(long, default_value_t = Options::eu_scale().responses, value_name = "N")]
    pub responses: u64,
    #[arg(long, default_value_t = Options::eu_scale().seed, value_name = "S")]
    pub seed: u64,
    /// Requests per kind of page.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub requests: usize,
    /// The figures as one JSON object instead of the tables.
    #[arg(long)]
    pub json: bool,
}

/// A source as the benchmark imports it: its files' kinds, and what of a store's counts its
/// records become.
struct SourceDef {
    name: &'static str,
    kinds: &'static [SourceKind],
    stored: fn(&Stats) -> i64,
}

const SOURCES: [SourceDef; 4] = [
    SourceDef { name: "register", kinds: &[SourceKind::RegisterXml], stored: |s| s.register_entries },
    SourceDef {
        name: "commission",
        kinds: &[SourceKind::CommissionMeetingsXlsx, SourceKind::CommissionMeetingsXml],
        stored: |s| s.commission_meetings,
    },
    SourceDef { name: "parliament", kinds: &[SourceKind::EpMeetingsCsv], stored: |s| s.parliament_meetings },
    SourceDef {
        name: "have_your_say",
        kinds: &[SourceKind::HysInitiative, SourceKind::HysFeedback],
        stored: |s| s.initiatives + s.consultation_responses,
    },
];

/// The name of the store the whole corpus goes into.
pub const WHOLE: &str = "corpus";

/// The options a corpus was generated with: a corpus is reused only for the same ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorpusOptions {
    pub orgs: u32,
    pub ep: u64,
    pub ec: u64,
    pub responses: u64,
    pub seed: u64,
}

/// As `generate` takes them.
impl std::fmt::Display for CorpusOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let CorpusOptions { orgs, ep, ec, responses, seed } = self;
        write!(f, "--orgs {orgs} --ep {ep} --ec {ec} --responses {responses} --seed {seed}")
    }
}

/// One source's part of the corpus.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourcePart {
    pub name: String,
    /// The folder of its files, relative to the corpus.
    pub folder: PathBuf,
    pub files: usize,
    pub records: u64,
    pub bytes: u64,
}

/// `OUT/corpus.json`: what the corpus holds, written once it is complete.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub options: CorpusOptions,
    pub sources: Vec<SourcePart>,
    pub files: usize,
    pub bytes: u64,
}

/// One import's figures.
#[derive(Debug, Clone)]
pub struct ImportRun {
    pub store: String,
    pub db: Db,
    /// Records in the files imported.
    pub records: u64,
    /// What the store counts of them after (identical meetings are stored once).
    pub stored: i64,
    pub measured: Measured,
    pub stats: Stats,
}

/// The floor of one source.
#[derive(Debug, Clone)]
pub struct FloorRun {
    pub source: String,
    pub what: &'static str,
    pub rows: u64,
    pub measured: Measured,
}

/// Everything the report shows.
pub struct Outcome {
    pub manifest: Manifest,
    pub backend: &'static str,
    pub imports: Vec<ImportRun>,
    /// `None` when there is no `sqlite3` to measure it with.
    pub floors: Option<Vec<FloorRun>>,
    pub pages: PagesRun,
    pub requests: usize,
    pub load_average: (Option<f64>, Option<f64>),
}

pub async fn run(args: &CorpusArgs, db: Option<Db>, connections: &Connections) -> Result<()> {
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let started_load = load_average();
    let options =
        CorpusOptions { orgs: args.orgs, ep: args.ep, ec: args.ec, responses: args.responses, seed: args.seed };
    if let Some(Db::Sqlite(path)) = &db {
        eprintln!(
            "Not using --db {}: the benchmark makes fresh SQLite stores of its own in {}",
            path.display(),
            out.join("stores").display()
        );
    }
    // Before generating, so that a server it cannot reach fails the run at once.
    let stores = Stores::new(db.as_ref(), out.join("stores")).await?;
    let corpus = out.join("corpus");
    let manifest = {
        let (out, options) = (out.clone(), options.clone());
        tokio::task::spawn_blocking(move || ensure_corpus(&out, &options)).await??
    };
    let logs = out.join("logs");
    let floor_dir = out.join("floor");
    for dir in [&logs, &floor_dir] {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }

    let has_sqlite3 = floor::available();
    let responses_csv = floor_dir.join("responses.csv");
    eprintln!(
        "Surveying the corpus for the pages to ask for{}…",
        if has_sqlite3 { " and the floor's CSV" } else { "" }
    );
    let surveyed = std::time::Instant::now();
    let survey = {
        let (corpus, csv) = (corpus.clone(), has_sqlite3.then(|| responses_csv.clone()));
        tokio::task::spawn_blocking(move || survey::run(&corpus, csv.as_deref())).await??
    };
    let most = |what: &str, busiest: Option<(String, u64)>| match busiest {
        Some((key, n)) => format!("{what} {key} ({})", HumanCount(n)),
        None => format!("no {what}"),
    };
    eprintln!(
        "  {:.1} s: {} responses; most meetings: {}, {}, {}; most responses: {}",
        surveyed.elapsed().as_secs_f64(),
        HumanCount(survey.responses),
        most("MEP", survey.mep.clone()),
        most("official", survey.official.clone()),
        most("procedure", survey.procedure.clone()),
        most("initiative", survey.initiative.map(|(id, n)| (id.to_string(), n)))
    );

    let mut imports = Vec::new();
    for part in &manifest.sources {
        let def = SOURCES.iter().find(|d| d.name == part.name).context("a source of the manifest is known")?;
        let folder = corpus.join(&part.folder);
        imports.push(import(&stores, &part.name, &folder, part.records, connections, &logs, def.stored).await?);
    }
    let total: u64 = manifest.sources.iter().map(|p| p.records).sum();
    let whole =
        import(&stores, WHOLE, &corpus, total, connections, &logs, |s| SOURCES.iter().map(|d| (d.stored)(s)).sum())
            .await?;
    let whole_db = whole.db.clone();
    imports.push(whole);

    let floors = if has_sqlite3 {
        let (manifest, corpus, floor_dir, logs, csv) =
            (manifest.clone(), corpus.clone(), floor_dir.clone(), logs.clone(), responses_csv.clone());
        Some(tokio::task::spawn_blocking(move || floors(&manifest, &corpus, &floor_dir, &logs, &csv)).await??)
    } else {
        eprintln!("sqlite3 is not on the PATH: no floor measured");
        None
    };

    let requests = args.requests.max(1);
    eprintln!("Pages of the whole corpus's store, {requests} requests each, uncached…");
    let pages = {
        let (connections, log) = (connections.clone(), child::log_path(&logs, "serve"));
        tokio::task::spawn_blocking(move || pages::run(&whole_db, &connections, &survey, requests, &log)).await??
    };
    let outcome = Outcome {
        manifest,
        backend: stores.backend(),
        imports,
        floors,
        pages,
        requests,
        load_average: (started_load, load_average()),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report::json(&outcome))?);
    } else {
        print!("{}", report::text(&outcome));
    }
    Ok(())
}

/// Imports `path` into the fresh store `name` with a child process.
async fn import(
    stores: &Stores,
    name: &str,
    path: &Path,
    records: u64,
    connections: &Connections,
    logs: &Path,
    stored: impl Fn(&Stats) -> i64,
) -> Result<ImportRun> {
    let db = stores.fresh(name).await?;
    let shown = db.shown();
    eprintln!("Importing {} ({} records) into {shown}…", path.display(), HumanCount(records));
    let measured = {
        let (db, path, log, connections) =
            (db.clone(), path.to_owned(), child::log_path(logs, name), connections.clone());
        let what = format!("the import of {}", path.display());
        tokio::task::spawn_blocking(move || {
            let mut cmd = child::lobbyscope(&db, &connections)?;
            cmd.args(["import", "--quiet"]).arg(&path);
            child::log_to(&mut cmd, &log)?;
            child::run(&mut cmd, &what, &log)
        })
        .await??
    };
    let stats = db.open(connections).await?.stats().await?;
    let stored = stored(&stats);
    eprintln!(
        "  {:.2} s, {} records/s, peak RSS {} MB; {} stored",
        measured.wall.as_secs_f64(),
        HumanCount(per_second(records, &measured)),
        mb_shown(measured.peak_rss_kb),
        HumanCount(u64::try_from(stored).unwrap_or(0))
    );
    Ok(ImportRun { store: name.to_owned(), db, records, stored, measured, stats })
}

/// Records per second of wall time, rounded.
pub fn per_second(records: u64, measured: &Measured) -> u64 {
    let secs = measured.wall.as_secs_f64();
    if secs > 0.0 { (records as f64 / secs).round() as u64 } else { 0 }
}

/// The floors of the sources that have one: the EP's CSV files as they are, and the responses
/// as the survey wrote them. The other sources are not CSV, and a CSV of them would be a
/// layout of our own rather than the same data.
fn floors(
    manifest: &Manifest,
    corpus: &Path,
    floor_dir: &Path,
    logs: &Path,
    responses: &Path,
) -> Result<Vec<FloorRun>> {
    let mut out = Vec::new();
    for part in &manifest.sources {
        let (dir, files, what) = match part.name.as_str() {
            "parliament" => (corpus.join(&part.folder), csv_files(&corpus.join(&part.folder))?, "the EP's CSV files"),
            "have_your_say" => (
                floor_dir.to_owned(),
                vec![responses.file_name().context("a file name")?.to_string_lossy().into_owned()],
                "a CSV of the responses",
            ),
            _ => continue,
        };
        eprintln!("Floor: sqlite3 .import of {what}…");
        let db = floor_dir.join(format!("floor-{}.sqlite", part.name));
        if db.exists() {
            std::fs::remove_file(&db)?;
        }
        let (rows, measured) =
            floor::import(&db, &dir, &files, &child::log_path(logs, &format!("floor-{}", part.name)))?;
        eprintln!("  {:.2} s, {} rows/s", measured.wall.as_secs_f64(), HumanCount(per_second(rows, &measured)));
        out.push(FloorRun { source: part.name.clone(), what, rows, measured });
    }
    // As large as the responses themselves, and written again by every run.
    if responses.exists() {
        std::fs::remove_file(responses)?;
    }
    Ok(out)
}

fn csv_files(dir: &Path) -> Result<Vec<String>> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_>>()?;
    files.retain(|f| f.ends_with(".csv"));
    files.sort();
    Ok(files)
}

/// The corpus of these options in `out/corpus`: the one there if its manifest says it was made
/// with them, else a new one.
fn ensure_corpus(out: &Path, options: &CorpusOptions) -> Result<Manifest> {
    let corpus = out.join("corpus");
    let manifest_path = out.join("corpus.json");
    let earlier: Option<Manifest> = match std::fs::read(&manifest_path) {
        Ok(bytes) => serde_json::from_slice(&bytes).ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", manifest_path.display())),
    };
    if corpus.exists() {
        match earlier {
            Some(m) if m.options == *options => {
                eprintln!(
                    "Reusing the corpus in {} ({} files, {}): same options",
                    corpus.display(),
                    HumanCount(m.files as u64),
                    HumanBytes(m.bytes)
                );
                return Ok(m);
            }
            Some(m) => bail!(
                "{} holds a corpus of other options ({}): remove it, or give another --out",
                corpus.display(),
                m.options
            ),
            None => bail!(
                "{} holds a corpus without its {} (an interrupted run?): remove it, or give another --out",
                corpus.display(),
                manifest_path.display()
            ),
        }
    }
    let opts = Options {
        orgs: options.orgs,
        ep: options.ep,
        ec: options.ec,
        responses: options.responses,
        seed: options.seed,
        ..Options::default()
    };
    eprintln!(
        "Generating {} organisations, {} EP and {} Commission meetings, {} responses (seed {}) into {}…",
        HumanCount(u64::from(opts.orgs)),
        HumanCount(opts.ep),
        HumanCount(opts.ec),
        HumanCount(opts.responses),
        opts.seed,
        corpus.display()
    );
    let report = lobbyscope_generate::generate(&corpus, &opts)
        .with_context(|| format!("cannot generate into {}", corpus.display()))?;
    let mut sources = Vec::new();
    for def in &SOURCES {
        let files: Vec<_> = report.files.iter().filter(|f| def.kinds.contains(&f.source)).collect();
        let Some(first) = files.first() else {
            eprintln!("  no {} files (none asked for): not imported", def.name);
            continue;
        };
        let folder: PathBuf = first.path.components().next().context("a file in a folder")?.as_os_str().into();
        if files.iter().any(|f| !f.path.starts_with(&folder)) {
            bail!(
                "the generator wrote {} files outside {}: cannot import them as one folder",
                def.name,
                folder.display()
            );
        }
        sources.push(SourcePart {
            name: def.name.to_owned(),
            folder,
            files: files.len(),
            records: report.records(def.kinds),
            bytes: files.iter().map(|f| f.bytes).sum(),
        });
    }
    let manifest = Manifest { options: options.clone(), sources, files: report.files.len(), bytes: report.bytes() };
    eprintln!(
        "  {} files, {}, in {:.1} s",
        HumanCount(manifest.files as u64),
        HumanBytes(manifest.bytes),
        report.elapsed.as_secs_f64()
    );
    std::fs::write(&manifest_path, serde_json::to_vec_pretty(&manifest)?)
        .with_context(|| format!("cannot write {}", manifest_path.display()))?;
    Ok(manifest)
}

/// The 1-minute load average, which says how much else the machine ran meanwhile.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}
