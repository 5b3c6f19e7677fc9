//! A synthetic corpus in the official layouts of the four EU lobbying-transparency sources,
//! deterministic per seed and streamed to disk, from a few hundred records to the full EU size.
//!
//! [`generate`] first plans what the sources share ([`world::World`]: organisations, MEPs,
//! cabinets, procedures, consultations, records per day), then writes the files as independent
//! jobs on a few threads. Every job draws from its own ChaCha8 stream, derived from the seed and
//! the job, so the bytes of every file depend on the options only, never on the scheduling.
//! Records are made as they are written; only the planned directories stay in memory.

mod commission;
mod hys;
mod mention;
mod parliament;
mod register;
mod text;
mod vocab;
mod world;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use lobbyscope_domain::SourceKind;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::world::{EcFormat, World};

/// What to generate. [`Options::default`] is a small corpus, quick to try.
#[derive(Debug, Clone)]
pub struct Options {
    /// Registered organisations (the full register holds about 20,000).
    pub orgs: u32,
    /// European Parliament MEP meetings.
    pub ep: u64,
    /// Commission meetings, split between the XLSX and XML files.
    pub ec: u64,
    /// Have Your Say consultation responses.
    pub responses: u64,
    pub seed: u64,
    /// Register snapshots before the newest one, a quarter apart, each with small changes.
    pub snapshots: u32,
    /// Responses per feedback page (the portal serves 100).
    pub page_size: u32,
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// The day the newest register snapshot is exported; meetings run up to it.
    pub export_date: NaiveDate,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            orgs: 500,
            ep: 2_000,
            ec: 1_000,
            responses: 2_000,
            seed: 1,
            snapshots: 0,
            page_size: 100,
            threads: 0,
            export_date: NaiveDate::from_ymd_opt(2026, 9, 30).unwrap_or_default(),
        }
    }
}

impl Options {
    /// The size of the real EU sources: the whole register, every published meeting, every
    /// consultation response.
    pub fn eu_scale() -> Options {
        Options { orgs: 20_000, ep: 200_000, ec: 60_000, responses: 2_000_000, ..Options::default() }
    }
}

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    /// Relative to the output folder.
    pub path: PathBuf,
    pub source: SourceKind,
    /// Register entries, meetings, initiatives or responses in the file.
    pub records: u64,
    pub bytes: u64,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// In path order, one folder per source.
    pub files: Vec<WrittenFile>,
    pub elapsed: Duration,
}

impl Report {
    /// Records of all files of these sources.
    pub fn records(&self, sources: &[SourceKind]) -> u64 {
        self.files.iter().filter(|f| sources.contains(&f.source)).map(|f| f.records).sum()
    }

    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Xlsx { path: PathBuf, source: rust_xlsxwriter::XlsxError },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
    #[error("{}: {source}", path.display())]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("{} is not empty: generate into a new or empty folder, so no older file is mixed in", .0.display())]
    NotEmpty(PathBuf),
    #[error("at least one registered organisation is needed: meetings and responses cite them")]
    NoOrganisations,
    #[error("a worker thread failed")]
    Worker,
}

pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> GenerateError + '_ {
    move |source| GenerateError::Io { path: path.to_owned(), source }
}

/// Streams of the generator: one per kind of job, the job's index beside it.
pub(crate) mod stream {
    pub const PLAN: u64 = 1;
    pub const REGISTER: u64 = 2;
    pub const REGISTER_ORG: u64 = 3;
    pub const COMMISSION: u64 = 4;
    pub const PARLIAMENT: u64 = 5;
    pub const CONSULTATION: u64 = 6;
}

/// The generator for one job. ChaCha8's output for a given seed and stream is fixed by its
/// specification, so files stay byte-identical across platforms and crate updates.
pub(crate) fn rng(seed: u64, kind: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((kind << 48) | index);
    rng
}

/// A file being written: created with its folder, buffered, measured when done.
pub(crate) struct Output {
    pub path: PathBuf,
    pub relative: PathBuf,
    pub writer: BufWriter<File>,
}

impl Output {
    pub fn create(out: &Path, relative: impl Into<PathBuf>) -> Result<Output, GenerateError> {
        let relative = relative.into();
        let path = out.join(&relative);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        }
        let file = File::create(&path).map_err(io_error(&path))?;
        Ok(Output { path, relative, writer: BufWriter::with_capacity(256 * 1024, file) })
    }

    pub fn finish(mut self, source: SourceKind, records: u64) -> Result<WrittenFile, GenerateError> {
        self.writer.flush().map_err(io_error(&self.path))?;
        written(self.relative, &self.path, source, records)
    }
}

pub(crate) fn written(
    relative: PathBuf,
    path: &Path,
    source: SourceKind,
    records: u64,
) -> Result<WrittenFile, GenerateError> {
    let bytes = std::fs::metadata(path).map_err(io_error(path))?.len();
    Ok(WrittenFile { path: relative, source, records, bytes })
}

type JobResult = Result<Vec<WrittenFile>, GenerateError>;

/// One unit of work: it writes its own files from its own random stream.
enum Job {
    Register { snapshot: u32 },
    Commission { dataset: usize, part: usize, parts: usize, days: std::ops::Range<usize> },
    Parliament { days: std::ops::Range<usize> },
    Consultations { initiatives: std::ops::Range<usize> },
}

/// Rows per Commission XLSX file: a little above the busiest real file (12,482 rows), so that
/// a workbook, which the importer reads whole, stays small.
const XLSX_ROWS: u64 = 20_000;
/// Rows per Commission XML file and per EP CSV file.
const STREAMED_ROWS: u64 = 100_000;
/// Responses per consultation job, for even work between threads.
const RESPONSES_PER_JOB: u64 = 20_000;

fn plan_jobs(world: &World, opts: &Options) -> Vec<Job> {
    let mut jobs = Vec::new();
    // The long jobs first, so the threads finish together.
    let mut start = 0;
    let mut responses = 0;
    for (i, initiative) in world.initiatives.iter().enumerate() {
        responses += initiative.publications.iter().map(|p| p.responses).sum::<u64>();
        if responses >= RESPONSES_PER_JOB || i + 1 == world.initiatives.len() {
            jobs.push(Job::Consultations { initiatives: start..i + 1 });
            start = i + 1;
            responses = 0;
        }
    }
    jobs.extend((0..=opts.snapshots).map(|snapshot| Job::Register { snapshot }));
    for (dataset, ec) in world.ec.iter().enumerate() {
        let max = if ec.format == EcFormat::Xlsx { XLSX_ROWS } else { STREAMED_ROWS };
        let segments = ec.days.segments(max);
        let parts = segments.len();
        for (part, days) in segments.into_iter().enumerate() {
            jobs.push(Job::Commission { dataset, part, parts, days });
        }
    }
    jobs.extend(world.ep_days.segments(STREAMED_ROWS).into_iter().map(|days| Job::Parliament { days }));
    jobs
}

fn run(job: &Job, world: &World, opts: &Options, out: &Path) -> JobResult {
    match job {
        Job::Register { snapshot } => register::write(world, opts, *snapshot, out).map(|f| vec![f]),
        Job::Commission { dataset, part, parts, days } => {
            commission::write(world, opts, *dataset, *part, *parts, days.clone(), out).map(|f| vec![f])
        }
        Job::Parliament { days } => parliament::write(world, opts, days.clone(), out).map(|f| vec![f]),
        Job::Consultations { initiatives } => hys::write(world, opts, initiatives.clone(), out),
    }
}

/// Writes a corpus into `out`, which must be empty or not exist yet.
pub fn generate(out: &Path, opts: &Options) -> Result<Report, GenerateError> {
    let started = Instant::now();
    if opts.orgs == 0 {
        return Err(GenerateError::NoOrganisations);
    }
    if out.exists() && std::fs::read_dir(out).map_err(io_error(out))?.next().is_some() {
        return Err(GenerateError::NotEmpty(out.to_owned()));
    }
    std::fs::create_dir_all(out).map_err(io_error(out))?;
    let world = World::plan(opts);
    tracing::debug!(elapsed = ?started.elapsed(), "planned");
    let jobs = plan_jobs(&world, opts);
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(2, usize::from),
        n => n,
    }
    .min(jobs.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, JobResult)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let result = run(job, &world, opts, out);
                    let failed = result.is_err();
                    if let Ok(mut results) = results.lock() {
                        results.push((i, result));
                    }
                    if failed {
                        // Skip what is left: the run has failed anyway.
                        next.store(jobs.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let mut results = results.into_inner().map_err(|_| GenerateError::Worker)?;
    results.sort_by_key(|(i, _)| *i);
    let mut files = Vec::new();
    for (_, result) in results {
        files.extend(result?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let report = Report { files, elapsed: started.elapsed() };
    tracing::info!(files = report.files.len(), bytes = report.bytes(), elapsed = ?report.elapsed, "corpus written");
    Ok(report)
}
