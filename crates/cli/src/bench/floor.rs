//! The floor: what a plain `sqlite3 .import` of the same rows as CSV into a table without
//! indexes costs on the same machine in the same run, the least any import of them can take.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::child::{self, Measured};

/// Whether a `sqlite3` binary is on the PATH.
pub fn available() -> bool {
    Command::new("sqlite3").arg("-version").output().is_ok_and(|o| o.status.success())
}

/// Imports the CSV `files` of folder `dir` into one new table of a new database `db`, which is
/// removed after; returns the rows it held and how the import ran.
pub fn import(db: &Path, dir: &Path, files: &[String], log: &Path) -> Result<(u64, Measured)> {
    if files.is_empty() {
        bail!("no CSV file in {}", dir.display());
    }
    let mut cmd = Command::new("sqlite3");
    // The first file's header names the new table's columns; the others' headers are skipped.
    cmd.arg("-bail").arg(db).current_dir(dir);
    for (i, file) in files.iter().enumerate() {
        // Single quotes: the shell reads no escapes inside them (it does in double quotes).
        if file.contains('\'') {
            bail!("{file}: a quote in the name of a floor's file");
        }
        let skip = if i == 0 { "" } else { "--skip 1 " };
        cmd.arg(format!(".import --csv {skip}'{file}' floor"));
    }
    child::log_to(&mut cmd, log)?;
    let measured = child::run(&mut cmd, "sqlite3 .import", log)?;
    let counted = Command::new("sqlite3").arg(db).arg("SELECT count(*) FROM floor").output()?;
    let rows = String::from_utf8_lossy(&counted.stdout).trim().parse().context("sqlite3 did not count the rows")?;
    // It holds a copy of the data and has served its purpose.
    std::fs::remove_file(db).with_context(|| format!("cannot remove {}", db.display()))?;
    Ok((rows, measured))
}
