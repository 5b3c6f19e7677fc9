//! The import lock of a SQLite store: an OS file lock (`flock`) on `<database>-lock`, a file
//! that also says who holds it.
//!
//! The OS lock goes with the process: a holder killed with `kill -9` releases it, and its stale
//! details are overwritten by the next holder. They are only read while the lock is held.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use lobbyscope_store::{ImportGuard, LockAttempt, LockHolder, Result, StoreError};

/// Where the lock of the database at `db` lives: beside it, like SQLite's `-wal` and `-shm`.
pub(crate) fn lock_path(db: &Path) -> PathBuf {
    let mut path = db.as_os_str().to_owned();
    path.push("-lock");
    PathBuf::from(path)
}

fn lock_err(path: &Path, reason: impl ToString) -> StoreError {
    StoreError::Lock { path: path.display().to_string(), reason: reason.to_string() }
}

fn open(path: &Path) -> Result<File> {
    // Never truncated on open: only a holder may change what the file says.
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(|e| lock_err(path, e))
}

/// Says who holds the lock; the caller holds it.
fn record(path: &Path, file: &mut File, me: &LockHolder) -> Result<()> {
    let details = serde_json::to_vec(me).map_err(|e| lock_err(path, e))?;
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| file.write_all(&details))
        .map_err(|e| lock_err(path, e))
}

/// Who holds the lock, as its file says. A holder that has only just taken the lock may not
/// have written yet, so an empty or half-written file is read again a few times.
fn holder(file: &mut File) -> Option<LockHolder> {
    for _ in 0..20 {
        let mut text = String::new();
        if file.seek(SeekFrom::Start(0)).is_ok()
            && file.read_to_string(&mut text).is_ok()
            && let Ok(holder) = serde_json::from_str(&text)
        {
            return Some(holder);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    None
}

pub(crate) async fn try_lock(db: &Path, me: &LockHolder) -> Result<LockAttempt> {
    let path = lock_path(db);
    let me = me.clone();
    blocking(&path.clone(), move || {
        let mut file = open(&path)?;
        match file.try_lock() {
            Ok(()) => {
                record(&path, &mut file, &me)?;
                Ok(LockAttempt::Acquired(ImportGuard::new(file)))
            }
            Err(TryLockError::WouldBlock) => Ok(LockAttempt::Held(holder(&mut file))),
            Err(TryLockError::Error(e)) => Err(lock_err(&path, e)),
        }
    })
    .await
}

pub(crate) async fn lock(db: &Path, me: &LockHolder) -> Result<ImportGuard> {
    let path = lock_path(db);
    let me = me.clone();
    blocking(&path.clone(), move || {
        let mut file = open(&path)?;
        file.lock().map_err(|e| lock_err(&path, e))?;
        record(&path, &mut file, &me)?;
        Ok(ImportGuard::new(file))
    })
    .await
}

/// Runs file work off the async threads: waiting for the lock blocks for as long as the holder
/// keeps it.
async fn blocking<T: Send + 'static>(path: &Path, f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| lock_err(path, e))?
}
