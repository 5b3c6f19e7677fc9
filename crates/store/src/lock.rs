//! The import lock: at most one process imports into (or relinks) a store at a time.
//!
//! Two imports interleaving their files would each link mentions against a register the other
//! is changing, and SQLite would fail one of them with "database is locked". So an import takes
//! the store's lock first and waits, saying for whom, while another process holds it. The lock
//! belongs to the process: one killed while holding it releases it (an OS file lock for SQLite,
//! a session advisory lock for PostgreSQL).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Who holds a store's import lock, so that a command waiting for it can name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// The command holding it, e.g. `import`.
    pub command: String,
    pub pid: u32,
    /// When it took the lock, RFC 3339 in the holder's local time.
    pub started: String,
}

impl LockHolder {
    /// This process, about to take the lock for `command`.
    pub fn this_process(command: &str) -> LockHolder {
        LockHolder {
            command: command.to_owned(),
            pid: std::process::id(),
            started: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        }
    }
}

impl LockHolder {
    /// The start time as a person reads it on `today`: the time alone, or the date too.
    fn started_on(&self, today: chrono::NaiveDate) -> String {
        match chrono::DateTime::parse_from_rfc3339(&self.started) {
            Ok(t) if t.date_naive() == today => t.format("%H:%M:%S").to_string(),
            Ok(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            Err(_) => self.started.clone(),
        }
    }
}

impl fmt::Display for LockHolder {
    /// `import (pid 1234, started 13:05:02)`; the date too when it was not today.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let started = self.started_on(chrono::Local::now().date_naive());
        write!(f, "{} (pid {}, started {started})", self.command, self.pid)
    }
}

/// The import lock, held until dropped.
pub struct ImportGuard {
    _held: Box<dyn Send + Sync>,
}

impl ImportGuard {
    /// Wraps whatever keeps a backend's lock held (an open locked file, a connection holding an
    /// advisory lock); dropping it must release the lock.
    pub fn new(held: impl Send + Sync + 'static) -> ImportGuard {
        ImportGuard { _held: Box::new(held) }
    }
}

impl fmt::Debug for ImportGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ImportGuard")
    }
}

/// What asking for the import lock without waiting gave.
#[derive(Debug)]
pub enum LockAttempt {
    Acquired(ImportGuard),
    /// Another process holds it: that holder, when it could be read (a holder that has just
    /// taken the lock may not have said who it is yet).
    Held(Option<LockHolder>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_names_its_command_pid_and_start_time() {
        let holder = LockHolder { command: "import".into(), pid: 1234, started: "2026-11-29T13:05:02+01:00".into() };
        assert_eq!(holder.to_string(), "import (pid 1234, started 2026-11-29 13:05:02)");
        let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(holder.started_on(day("2026-11-29")), "13:05:02");
        assert_eq!(holder.started_on(day("2026-11-30")), "2026-11-29 13:05:02");
        let unreadable = LockHolder { started: "yesterday".into(), ..holder };
        assert_eq!(unreadable.started_on(day("2026-11-29")), "yesterday");

        let me = LockHolder::this_process("analyze");
        assert_eq!((me.command.as_str(), me.pid), ("analyze", std::process::id()));
        assert!(chrono::DateTime::parse_from_rfc3339(&me.started).is_ok(), "{me:?}");
    }
}
