//! Live sync: the official sources fetched from their own endpoints, politely and
//! incrementally, every answer kept in a raw archive, and what changed imported through
//! `lobbyscope-ingest` like any file a user brings.
//!
//! - [`config`]: each source's base URL (official by default, `LOBBYSCOPE_*_BASE` to point it
//!   elsewhere) and the politeness settings;
//! - [`http`]: the one HTTP client: a User-Agent with a contact, per-host rate limits, timeouts,
//!   retries with backoff and jitter (honouring `Retry-After`), conditional requests, and answers
//!   that say 200 but are errors (an HTML page, an error object, a body cut short) told apart;
//! - [`archive`]: every body kept, gzip-compressed and named by its SHA-256, with its URL and time;
//! - one module per source: [`register`] (the register's ODP XML export, checked before it is
//!   imported), [`commission`] (the four meetings files), [`parliament`] (the MEP meetings export
//!   by date windows, split until each holds fewer than the export's 1,000 rows), [`hys`] (Have
//!   Your Say: initiatives, their publications' feedback pages, attachments when asked);
//! - [`check`]: a fetched file read through the import's parser before it is imported;
//! - [`listing`]: which complete listing an archived address is part of; each source says
//!   what its complete listings hold, and the store marks what they no longer hold "no longer
//!   published" (`Store::mark_listing`);
//! - [`vocabulary`]: values of known fields that are new, told as warnings;
//! - [`state`]: what a sync remembers between runs (validators, how far it got, health);
//! - [`run`]: `sync`, each source fetched then imported, one failing alone, and its report.

pub mod archive;
pub mod check;
pub mod commission;
pub mod config;
pub mod http;
pub mod hys;
pub mod listing;
pub mod parliament;
pub mod register;
pub mod run;
pub mod state;
pub mod vocabulary;

pub use config::{Bases, Politeness, SourceId};
pub use run::{SourceReport, SyncOptions, SyncReport, reimport_paths, sync};

/// What stops one source's sync. The others go on.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("sync configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Fetch(#[from] http::FetchError),
    /// The answer is not in the layout the parsers read: the source changed its format, and
    /// nothing of it is imported until the parser follows.
    #[error("{url}: the format changed: {reason}")]
    FormatChanged { url: String, reason: String },
    /// A complete answer that fails a check of its content (too few organisations, fewer
    /// records than it says it holds).
    #[error("{url}: {reason}")]
    Implausible { url: String, reason: String },
    #[error("the raw archive at {path}: {source}")]
    Archive {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A fetched file the import did not take.
    #[error("{path}: not imported: {reason}")]
    NotImported { path: String, reason: String },
    #[error(transparent)]
    Import(#[from] lobbyscope_ingest::IngestError),
    #[error(transparent)]
    Store(#[from] lobbyscope_store::StoreError),
}
