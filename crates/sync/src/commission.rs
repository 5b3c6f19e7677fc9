//! The Commission's meetings: four XLSX files (FORMATS.md 3.1), each asked for by name.

use std::path::PathBuf;

use lobbyscope_domain::SourceKind;
use url::Url;

use crate::archive::Archive;
use crate::config::{Bases, SourceId};
use crate::http::{Client, Expect, Tally, Validators};
use crate::state::State;
use crate::{SyncError, check};

/// The files' names: Juncker's and both von der Leyen Commissions' Commissioners and cabinets,
/// and the Directors-General.
pub const FILES: [&str; 4] = [
    "meetingscommissionrepresentatives1419",
    "meetingscommissionrepresentatives1924",
    "meetingscommissionrepresentatives2429",
    "meetingsdirectorgenerals",
];

pub fn url(bases: &Bases, name: &str) -> Url {
    let mut url = bases.url(SourceId::Commission, "data/meetings/dataxlsx");
    url.query_pairs_mut().append_pair("name", name);
    url
}

#[derive(Debug, Default)]
pub struct Fetched {
    /// The files that changed since they were last imported.
    pub files: Vec<PathBuf>,
    pub meetings: u64,
    pub validators: Vec<(String, Validators)>,
    pub warnings: Vec<String>,
}

pub async fn fetch(
    client: &Client,
    bases: &Bases,
    archive: &Archive,
    state: &State,
    tally: &Tally,
) -> Result<Fetched, SyncError> {
    let mut out = Fetched::default();
    for name in FILES {
        let url = url(bases, name);
        let Some(answer) = client.get(&url, Expect::Xlsx, state.validators.get(url.as_str()), tally).await? else {
            continue;
        };
        let path = archive.put(url.as_str(), &answer.body, answer.fetched_at, &answer.validators)?;
        let counted = check::parse(&path, &url, SourceKind::CommissionMeetingsXlsx)?.require_records(&url)?;
        if counted.rejected > 0 {
            out.warnings.push(format!("{name}: {} rows could not be read", counted.rejected));
        }
        out.meetings += counted.records;
        out.files.push(path);
        out.validators.push((url.to_string(), answer.validators));
    }
    Ok(out)
}
