//! The raw archive: every body a sync imports, kept as it came, gzip-compressed and named by
//! the SHA-256 of its bytes (`objects/ab/abcdef….gz`), with an index of what was fetched from
//! where and when (`index.jsonl`, one JSON object a line, appended).
//!
//! The import reads the archived object itself (the parsers undo gzip), so every record's
//! provenance names the file that holds the exact bytes it came from, and a parser fixed later
//! can read them again. An object is written to a temporary file and renamed into place, and
//! its index line is appended after: a sync killed at any moment leaves at worst an object
//! that no line names, which the next sync of the same bytes finds in place.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::SyncError;
use crate::http::Validators;

/// One fetch kept: the index's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub url: String,
    pub fetched_at: DateTime<Utc>,
    /// Of the body as it came (before compression).
    pub sha256: String,
    pub bytes: u64,
    #[serde(flatten)]
    pub validators: Validators,
}

pub struct Archive {
    dir: PathBuf,
    /// The latest entry of each URL.
    latest: Mutex<HashMap<String, Entry>>,
    /// Each URL's imported objects, read once when first asked for.
    imported: Mutex<Option<HashMap<String, Vec<String>>>>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SyncError + '_ {
    move |source| SyncError::Archive { path: path.display().to_string(), source }
}

impl Archive {
    /// Opens (creating if needed) the archive in `dir`. Index lines that cannot be read (a
    /// line cut short by a kill) are skipped with a warning: they name objects that are there
    /// or not, and the next fetch of their URL writes a whole line.
    pub fn open(dir: &Path) -> Result<Archive, SyncError> {
        fs::create_dir_all(dir.join("objects")).map_err(io_err(dir))?;
        fs::create_dir_all(dir.join("tmp")).map_err(io_err(dir))?;
        let mut latest = HashMap::new();
        each_entry(dir, |entry| {
            latest.insert(entry.url.clone(), entry);
        })?;
        Ok(Archive { dir: dir.to_owned(), latest: Mutex::new(latest), imported: Mutex::new(None) })
    }

    /// Notes that the objects at `paths` were imported whole: `reimport` reads them again.
    /// One SHA-256 a line in `imported`; a line cut short by a kill is not a SHA-256 and is
    /// passed over, and its object is noted again when the next sync imports it.
    pub fn note_imported(&self, paths: &[PathBuf]) -> Result<(), SyncError> {
        let list = self.dir.join("imported");
        let mut lines = String::new();
        for path in paths {
            if let Some(sha) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".gz")) {
                lines.push_str(sha);
                lines.push('\n');
            }
        }
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&list)
            .and_then(|mut f| f.write_all(lines.as_bytes()))
            .map_err(io_err(&list))
    }

    /// The objects syncs imported, the latest of each URL, in the order they were fetched:
    /// what a parser fixed since would read differently. An answer kept but refused (a
    /// register export cut short) is not among them; the one imported before it is.
    pub fn imported_objects(&self) -> Result<Vec<PathBuf>, SyncError> {
        let text = self.imported_list()?;
        let imported = imported_set(&text);
        let mut latest: HashMap<String, Entry> = HashMap::new();
        each_entry(&self.dir, |entry| {
            if imported.contains(entry.sha256.as_str()) {
                latest.insert(entry.url.clone(), entry);
            }
        })?;
        let mut kept: Vec<Entry> = latest.into_values().collect();
        kept.sort_by(|a, b| (a.fetched_at, &a.url).cmp(&(b.fetched_at, &b.url)));
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in kept {
            let path = self.object_path(&entry.sha256);
            // One object can be the latest answer of several URLs (empty pages).
            if path.exists() && !paths.contains(&path) {
                paths.push(path);
            }
        }
        Ok(paths)
    }

    /// The objects imported from the addresses of one listing ([`crate::listing::of_url`]), by
    /// the file names their records' provenance gives ([`object_name`]): the
    /// listing's earlier versions, whose records are its own.
    pub fn imported_from(&self, listing: &str) -> Result<Vec<String>, SyncError> {
        let mut cache = self.imported.lock().map_err(|_| poisoned(&self.dir))?;
        if cache.is_none() {
            let text = self.imported_list()?;
            let imported = imported_set(&text);
            let mut by_listing: HashMap<String, Vec<String>> = HashMap::new();
            each_entry(&self.dir, |entry| {
                if imported.contains(entry.sha256.as_str())
                    && let Some(listing) = crate::listing::of_url(&entry.url)
                {
                    let shas = by_listing.entry(listing).or_default();
                    if !shas.contains(&entry.sha256) {
                        shas.push(entry.sha256);
                    }
                }
            })?;
            *cache = Some(by_listing);
        }
        let shas = cache.as_ref().and_then(|c| c.get(listing)).into_iter().flatten();
        Ok(shas.map(|sha| object_name(sha)).collect())
    }

    fn imported_list(&self) -> Result<String, SyncError> {
        let list = self.dir.join("imported");
        match fs::read_to_string(&list) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(io_err(&list)(e)),
        }
    }

    /// A path for a download in progress, removed or renamed by whoever asked for it.
    pub fn temporary(&self, name: &str) -> PathBuf {
        self.dir.join("tmp").join(format!("{}-{name}", std::process::id()))
    }

    /// What was last fetched from `url`, with the validators to ask whether it changed.
    pub fn latest(&self, url: &str) -> Option<Entry> {
        self.latest.lock().ok()?.get(url).cloned()
    }

    /// Where the object of these bytes lives.
    pub fn object_path(&self, sha256: &str) -> PathBuf {
        let shard = sha256.get(..2).unwrap_or("00");
        self.dir.join("objects").join(shard).join(object_name(sha256))
    }

    /// Keeps `body`, fetched from `url`; returns the object's path.
    pub fn put(
        &self,
        url: &str,
        body: &[u8],
        fetched_at: DateTime<Utc>,
        validators: &Validators,
    ) -> Result<PathBuf, SyncError> {
        let sha256 = lobbyscope_domain::hex(&Sha256::digest(body));
        let path = self.object_path(&sha256);
        if !path.exists() {
            self.write_object(&path, |out| out.write_all(body))?;
        }
        self.note(Entry {
            url: url.to_owned(),
            fetched_at,
            sha256,
            bytes: body.len() as u64,
            validators: validators.clone(),
        })?;
        Ok(path)
    }

    /// Keeps the file `from` (a download whose SHA-256 is `sha256`), fetched from `url`,
    /// and removes it; returns the object's path.
    pub fn put_file(
        &self,
        url: &str,
        from: &Path,
        sha256: &str,
        fetched_at: DateTime<Utc>,
        validators: &Validators,
    ) -> Result<PathBuf, SyncError> {
        let path = self.object_path(sha256);
        let bytes = fs::metadata(from).map_err(io_err(from))?.len();
        if !path.exists() {
            let mut input = File::open(from).map_err(io_err(from))?;
            self.write_object(&path, |out| std::io::copy(&mut input, out).map(|_| ()))?;
        }
        fs::remove_file(from).map_err(io_err(from))?;
        self.note(Entry {
            url: url.to_owned(),
            fetched_at,
            sha256: sha256.to_owned(),
            bytes,
            validators: validators.clone(),
        })?;
        Ok(path)
    }

    fn write_object(
        &self,
        path: &Path,
        fill: impl FnOnce(&mut GzEncoder<BufWriter<File>>) -> std::io::Result<()>,
    ) -> Result<(), SyncError> {
        let err = io_err(path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(&err)?;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("object");
        let temporary = self.temporary(name);
        let file = File::create(&temporary).map_err(&err)?;
        let mut out = GzEncoder::new(BufWriter::new(file), Compression::default());
        fill(&mut out).map_err(&err)?;
        let file = out.finish().map_err(&err)?.into_inner().map_err(|e| err(e.into_error()))?;
        file.sync_all().map_err(&err)?;
        fs::rename(&temporary, path).map_err(&err)
    }

    fn note(&self, entry: Entry) -> Result<(), SyncError> {
        let index = self.dir.join("index.jsonl");
        let err = io_err(&index);
        let mut line = serde_json::to_string(&entry).map_err(|e| err(e.into()))?;
        line.push('\n');
        let mut file = OpenOptions::new().create(true).append(true).open(&index).map_err(&err)?;
        file.write_all(line.as_bytes()).map_err(&err)?;
        if let Ok(mut latest) = self.latest.lock() {
            latest.insert(entry.url.clone(), entry);
        }
        Ok(())
    }
}

/// An object's file name, which is what the records imported from it name as their file.
pub fn object_name(sha256: &str) -> String {
    format!("{sha256}.gz")
}

fn imported_set(text: &str) -> HashSet<&str> {
    text.lines().filter(|l| l.len() == 64 && l.bytes().all(|b| b.is_ascii_hexdigit())).collect()
}

fn poisoned(dir: &Path) -> SyncError {
    SyncError::Archive { path: dir.display().to_string(), source: std::io::Error::other("a lock was poisoned") }
}

/// Gives every entry of the index to `f`, in the order they were written. Lines that cannot be read (a
/// line cut short by a kill) are skipped with a warning: they name objects that are there or
/// not, and the next fetch of their URL writes a whole line.
fn each_entry(dir: &Path, mut f: impl FnMut(Entry)) -> Result<(), SyncError> {
    let index = dir.join("index.jsonl");
    if !index.exists() {
        return Ok(());
    }
    if last_byte(&index).map_err(io_err(&index))?.is_some_and(|b| b != b'\n') {
        // A line cut short: the next line starts on a line of its own.
        OpenOptions::new().append(true).open(&index).and_then(|mut f| f.write_all(b"\n")).map_err(io_err(&index))?;
    }
    let file = File::open(&index).map_err(io_err(&index))?;
    for (n, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io_err(&index))?;
        match serde_json::from_str::<Entry>(&line) {
            Ok(entry) => f(entry),
            Err(e) if !line.trim().is_empty() => {
                tracing::warn!("{}: line {}: skipped, not an index entry: {e}", index.display(), n + 1);
            }
            Err(_) => {}
        }
    }
    Ok(())
}

fn last_byte(path: &Path) -> std::io::Result<Option<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(None);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut byte = [0u8];
    file.read_exact(&mut byte)?;
    Ok(Some(byte[0]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn objects_are_named_by_their_bytes_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let archive = Archive::open(dir.path()).unwrap();
        let validators = Validators { etag: Some("\"v1\"".into()), last_modified: None };
        let path = archive.put("http://x/a", b"title,member_id\n", Utc::now(), &validators).unwrap();
        let again = archive.put("http://x/b", b"title,member_id\n", Utc::now(), &Validators::default()).unwrap();
        assert_eq!(path, again, "the same bytes are one object");
        let mut text = String::new();
        flate2::read::GzDecoder::new(File::open(&path).unwrap()).read_to_string(&mut text).unwrap();
        assert_eq!(text, "title,member_id\n");
        assert!(path.to_string_lossy().contains(&lobbyscope_domain::hex(&Sha256::digest(b"title,member_id\n"))));

        // A reopened archive knows each URL's latest fetch, and skips a line cut short.
        let mut index = OpenOptions::new().append(true).open(dir.path().join("index.jsonl")).unwrap();
        index.write_all(b"{\"url\":\"http://x/c\",\"fetch").unwrap();
        let reopened = Archive::open(dir.path()).unwrap();
        assert_eq!(reopened.latest("http://x/a").unwrap().validators, validators);
        assert!(reopened.latest("http://x/c").is_none());
        reopened.put("http://x/d", b"d", Utc::now(), &Validators::default()).unwrap();
        assert!(Archive::open(dir.path()).unwrap().latest("http://x/d").is_some(), "a line after the cut one reads");
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0, "no temporary file left");
    }
}
