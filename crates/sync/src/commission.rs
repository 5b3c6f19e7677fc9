//! The Commission's meetings: four files (FORMATS.md 3.1), each asked for by name as XLSX,
//! and as XML (3.2, the same data) when the workbook cannot be had or read.

use std::path::PathBuf;

use chrono::NaiveDate;
use lobbyscope_domain::SourceKind;
use lobbyscope_store::{ListedKind, Listing, Scope};
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

/// The two layouts each file is published in, the first preferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Xlsx,
    Xml,
}

impl Layout {
    fn path(self) -> &'static str {
        match self {
            Layout::Xlsx => "data/meetings/dataxlsx",
            Layout::Xml => "data/meetings/dataxml",
        }
    }

    fn expect(self) -> Expect {
        match self {
            Layout::Xlsx => Expect::Xlsx,
            Layout::Xml => Expect::Xml,
        }
    }

    fn kind(self) -> SourceKind {
        match self {
            Layout::Xlsx => SourceKind::CommissionMeetingsXlsx,
            Layout::Xml => SourceKind::CommissionMeetingsXml,
        }
    }
}

/// Whether `url` asks for one of the files, in either layout.
pub fn is_file(url: &Url) -> bool {
    [Layout::Xlsx, Layout::Xml].iter().any(|l| url.path().ends_with(&format!("/{}", l.path())))
}

pub fn url(bases: &Bases, name: &str, layout: Layout) -> Url {
    let mut url = bases.url(SourceId::Commission, layout.path());
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
    /// Each changed file's meetings, as a complete listing.
    pub listings: Vec<Listing>,
}

pub async fn fetch(
    client: &Client,
    bases: &Bases,
    archive: &Archive,
    state: &State,
    tally: &Tally<'_>,
    today: NaiveDate,
) -> Result<Fetched, SyncError> {
    let mut out = Fetched::default();
    for name in FILES {
        let file = match one(client, bases, archive, state, tally, name, Layout::Xlsx).await {
            Err(xlsx) if falls_back(&xlsx) => {
                match one(client, bases, archive, state, tally, name, Layout::Xml).await {
                    Ok(file) => {
                        out.warnings.push(format!("{name}: the XML was imported, the XLSX could not be: {xlsx}"));
                        file
                    }
                    // The workbook's trouble is the one to tell; the XML was the second try.
                    Err(xml) => {
                        tracing::warn!("{name}: the XML could not be had either: {xml}");
                        return Err(xlsx);
                    }
                }
            }
            other => other?,
        };
        let Some((path, fetched_from, counted, validators)) = file else { continue };
        if counted.rejected > 0 {
            out.warnings.push(format!("{name}: {} rows could not be read", counted.rejected));
        }
        out.warnings.extend(counted.unknown.warnings().into_iter().map(|w| format!("{name}: {w}")));
        out.meetings += counted.records;
        // Either layout's earlier answers hold this file's meetings.
        let mut files = archive.imported_from(&crate::listing::commission_file(name))?;
        files.extend(path.file_name().map(|n| n.to_string_lossy().into_owned()));
        let scope = Scope::Files(files);
        out.listings.push(Listing { kind: ListedKind::Meetings, scope, present: counted.keys, as_of: today });
        out.files.push(path);
        out.validators.push((fetched_from, validators));
    }
    Ok(out)
}

/// Whether the XML is worth asking for after the XLSX failed so: a workbook the server would
/// not give, or gave in a form the reader does not take. A check of its content (the file
/// holds rows, but fewer than it should) is not a reason to take another layout's word.
fn falls_back(e: &SyncError) -> bool {
    matches!(e, SyncError::Fetch(_) | SyncError::FormatChanged { .. })
}

type One = Option<(PathBuf, String, check::Counted, Validators)>;

/// One file in one layout: archived and checked; `None` when it did not change.
async fn one(
    client: &Client,
    bases: &Bases,
    archive: &Archive,
    state: &State,
    tally: &Tally<'_>,
    name: &str,
    layout: Layout,
) -> Result<One, SyncError> {
    let url = url(bases, name, layout);
    let known = state.validators.get(url.as_str());
    let Some(answer) = client.get(&url, layout.expect(), known, tally).await? else { return Ok(None) };
    let path = archive.put(url.as_str(), &answer.body, answer.fetched_at, &answer.validators)?;
    let counted = check::parse(&path, &url, layout.kind())?.require_records(&url)?;
    Ok(Some((path, url.to_string(), counted, answer.validators)))
}
