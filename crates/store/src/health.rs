//! Each official source's health, as the last syncs left it: what `/sources`, `/api/sources`
//! and `lobbyscope status` show. Kept in the store, not beside the archive, so that every web
//! server reading one database tells the same story.

use chrono::{DateTime, TimeDelta, Utc};
use lobbyscope_domain::SourceId;
use serde::{Deserialize, Serialize};

/// One source's health. A sync writes it whole after each attempt; a failed attempt keeps the
/// last success's figures and says why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub source: SourceId,
    /// When the last sync of this source began, whatever became of it.
    pub last_attempt: Option<DateTime<Utc>>,
    /// When the last sync that succeeded began; `None` when none has yet.
    pub last_success: Option<DateTime<Utc>>,
    /// Why the last attempt failed; `None` when it succeeded.
    pub last_error: Option<String>,
    /// The last successful run's figures.
    pub run: RunFigures,
    /// What the last successful run noticed without failing: a window at the export's cap, a
    /// column this version does not read, a count that fell sharply.
    pub warnings: Vec<String>,
}

/// What one successful sync of a source did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunFigures {
    /// HTTP requests made, retries included.
    pub requests: u64,
    /// Bytes of the answers' bodies, as received.
    pub bytes: u64,
    /// Records the answers held.
    pub records_seen: u64,
    pub new: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Records a complete listing no longer holds, marked "no longer published" this run.
    pub withdrawn: u64,
    pub took_ms: u64,
}

impl SourceHealth {
    pub fn never(source: SourceId) -> SourceHealth {
        SourceHealth {
            source,
            last_attempt: None,
            last_success: None,
            last_error: None,
            run: RunFigures::default(),
            warnings: Vec::new(),
        }
    }

    /// Whether a sync of this source was ever attempted here: a store whose records come from
    /// files imported by hand has none.
    pub fn synced(&self) -> bool {
        self.last_attempt.is_some() || self.last_success.is_some()
    }

    /// Whether the source is late at `now`: synced here, but without a success in the last
    /// [`late_after`] (or ever). A source never synced is not late; it is not synced at all.
    /// The one place lateness is decided: pages, the API and the command line ask this.
    pub fn is_late(&self, now: DateTime<Utc>) -> bool {
        if !self.synced() {
            return false;
        }
        match self.last_success {
            None => true,
            Some(success) => now.signed_duration_since(success) > late_after(self.source),
        }
    }
}

/// How long a source may go without a successful sync before it is late: a day and a half for
/// the sources that change daily (the register's export, the Commission's meetings, Have Your
/// Say), a little over a week for the Parliament's meetings export, fetched by weekly windows.
pub fn late_after(source: SourceId) -> TimeDelta {
    match source {
        SourceId::Register | SourceId::Commission | SourceId::HaveYourSay => TimeDelta::hours(36),
        SourceId::Parliament => TimeDelta::days(8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn succeeded(source: SourceId, when: &str) -> SourceHealth {
        SourceHealth { last_attempt: Some(at(when)), last_success: Some(at(when)), ..SourceHealth::never(source) }
    }

    #[test]
    fn a_daily_source_is_late_after_a_day_and_a_half_the_parliament_after_eight_days() {
        let now = at("2026-12-07T12:00:00Z");
        for source in [SourceId::Register, SourceId::Commission, SourceId::HaveYourSay] {
            assert!(!succeeded(source, "2026-12-06T00:00:01Z").is_late(now), "{source}: 36 h less a second");
            assert!(!succeeded(source, "2026-12-06T00:00:00Z").is_late(now), "{source}: exactly 36 h");
            assert!(succeeded(source, "2026-12-05T23:59:59Z").is_late(now), "{source}: 36 h and a second");
        }
        let ep = SourceId::Parliament;
        assert!(!succeeded(ep, "2026-12-01T12:00:00Z").is_late(now), "six days");
        assert!(!succeeded(ep, "2026-11-29T12:00:00Z").is_late(now), "exactly eight days");
        assert!(succeeded(ep, "2026-11-29T11:59:59Z").is_late(now), "eight days and a second");
    }

    #[test]
    fn a_source_never_synced_is_not_late_one_never_successful_is() {
        let now = at("2026-12-07T12:00:00Z");
        assert!(!SourceHealth::never(SourceId::Register).synced());
        assert!(!SourceHealth::never(SourceId::Register).is_late(now));
        let failing = SourceHealth {
            last_attempt: Some(at("2026-12-07T11:00:00Z")),
            last_error: Some("connection refused".into()),
            ..SourceHealth::never(SourceId::Commission)
        };
        assert!(failing.synced());
        assert!(failing.is_late(now), "attempted, never succeeded");
        // A failed attempt after a recent success is not late yet.
        let recent = SourceHealth { last_success: Some(at("2026-12-07T02:00:00Z")), ..failing };
        assert!(!recent.is_late(now));
        // A success stamped after `now` (another server's clock ahead) is not late.
        assert!(!succeeded(SourceId::HaveYourSay, "2026-12-07T12:05:00Z").is_late(now));
    }
}
