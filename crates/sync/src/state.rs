//! What a sync remembers between runs, in `state.json` beside the archive: the validators of
//! the answers it imported (asked again with `If-None-Match` / `If-Modified-Since`), how far
//! the Parliament's windows were fetched, the register's last organisation count, which
//! initiatives and attachments were imported. (Each source's health is kept in the store,
//! where every web server reads it.) Written whole to a temporary file and renamed, so a
//! kill leaves the old state or the new, and what a killed run fetched but did not note is
//! fetched again (the archive and the import keep one copy of it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::SyncError;
use crate::http::Validators;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    #[serde(default)]
    pub validators: BTreeMap<String, Validators>,
    /// The last day of the Parliament's windows fetched and imported.
    #[serde(default)]
    pub parliament_through: Option<NaiveDate>,
    /// Organisations in the last register export imported.
    #[serde(default)]
    pub register_organisations: Option<u64>,
    #[serde(default)]
    pub hys: crate::hys::HysState,
}

impl State {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("state.json")
    }

    pub fn load(dir: &Path) -> Result<State, SyncError> {
        let path = State::path(dir);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
            Err(source) => return Err(SyncError::Archive { path: path.display().to_string(), source }),
        };
        serde_json::from_str(&text)
            .map_err(|e| SyncError::Archive { path: path.display().to_string(), source: e.into() })
    }

    pub fn save(&self, dir: &Path) -> Result<(), SyncError> {
        let path = State::path(dir);
        let err = |source: std::io::Error| SyncError::Archive { path: path.display().to_string(), source };
        let text = serde_json::to_string_pretty(self).map_err(|e| err(e.into()))?;
        let temporary = dir.join(format!("state.json.{}.tmp", std::process::id()));
        std::fs::write(&temporary, text).map_err(err)?;
        std::fs::rename(&temporary, &path).map_err(err)
    }
}
