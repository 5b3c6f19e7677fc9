//! The Transparency Register's ODP XML export: about 117 MB, refreshed daily, streamed to disk
//! and checked (well formed to its end, as many organisations as its `numberOfIR` says, not
//! far fewer than the last export) before it is imported as a new snapshot.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use lobbyscope_domain::SourceKind;
use regex::bytes::Regex;
use url::Url;

use crate::archive::Archive;
use crate::config::{Bases, SourceId};
use crate::http::{Client, Expect, Tally, Validators};
use crate::{SyncError, check};

pub const PATH: &str = "public/files/ODP/download/XML/latest";

/// A new export with fewer than this share of the last one's organisations is refused.
pub const LEAST_SHARE: f64 = 0.5;
/// … and with fewer than this share, imported with a warning.
pub const WARN_SHARE: f64 = 0.9;

/// What fetching the export gave; `file` is `None` when it had not changed.
#[derive(Debug, Default)]
pub struct Fetched {
    pub file: Option<PathBuf>,
    pub organisations: u64,
    pub validators: Validators,
    pub warnings: Vec<String>,
    /// The register IDs it lists.
    pub listed: Vec<String>,
}

pub fn url(bases: &Bases) -> Url {
    bases.url(SourceId::Register, PATH)
}

pub async fn fetch(
    client: &Client,
    bases: &Bases,
    archive: &Archive,
    known: Option<&Validators>,
    last_count: Option<u64>,
    tally: &Tally<'_>,
) -> Result<Fetched, SyncError> {
    let url = url(bases);
    let temporary = archive.temporary("register.xml");
    let downloaded = client.download(&url, Expect::Xml, known, &temporary, tally).await;
    let Ok(Some(downloaded)) = downloaded else {
        // Not modified, or failed: nothing of the download is kept.
        let _ = std::fs::remove_file(&temporary);
        return downloaded.map(|_| Fetched::default()).map_err(SyncError::from);
    };
    let checked = check_export(&downloaded.path, &url, last_count);
    // Kept whatever the check says: a refused export is evidence of what the source served.
    let path = archive.put_file(
        url.as_str(),
        &downloaded.path,
        &downloaded.sha256,
        downloaded.fetched_at,
        &downloaded.validators,
    )?;
    let (organisations, warnings, listed) = checked?;
    Ok(Fetched { file: Some(path), organisations, validators: downloaded.validators, warnings, listed })
}

/// The checks of a downloaded export: its organisations and warnings.
fn check_export(path: &Path, url: &Url, last_count: Option<u64>) -> Result<(u64, Vec<String>, Vec<String>), SyncError> {
    let implausible = |reason: String| SyncError::Implausible { url: url.to_string(), reason };
    let counted = check::parse(path, url, SourceKind::RegisterXml)?.require_records(url)?;
    let organisations = counted.records;
    let mut warnings = Vec::new();
    if let Some(announced) = announced_count(path) {
        if organisations < announced {
            return Err(implausible(format!(
                "it says it holds {announced} organisations, but {organisations} could be read"
            )));
        }
    } else {
        warnings.push("the register export does not say how many organisations it holds (numberOfIR)".into());
    }
    if let Some(last) = last_count.filter(|&n| n > 0) {
        let share = organisations as f64 / last as f64;
        if share < LEAST_SHARE {
            return Err(implausible(format!(
                "{organisations} organisations, against {last} in the last export imported; not imported"
            )));
        }
        if share < WARN_SHARE {
            warnings.push(format!("the register fell from {last} to {organisations} organisations"));
        }
    }
    if counted.rejected > 0 {
        warnings.push(format!("{} register entries could not be read", counted.rejected));
    }
    Ok((organisations, warnings, counted.keys))
}

/// `numberOfIR` from the export's metadata, at its start.
fn announced_count(path: &Path) -> Option<u64> {
    static NUMBER: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"<numberOfIR>\s*(\d{1,9})\s*</numberOfIR>").ok());
    let mut head = Vec::new();
    std::fs::File::open(path).ok()?.take(64 << 10).read_to_end(&mut head).ok()?;
    let caps = NUMBER.as_ref()?.captures(&head)?;
    std::str::from_utf8(&caps[1]).ok()?.parse().ok()
}
