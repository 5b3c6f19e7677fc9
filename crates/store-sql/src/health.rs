//! Each official source's health (`Store::save_source_health`, `Store::source_health`) on
//! either backend: the statements both run as they are (`$n` parameters), the row a health
//! writes, and how the rows are read back, in `SourceId` order.

use lobbyscope_domain::SourceId;
use lobbyscope_store::{Result, RunFigures, SourceHealth, StoreError};

use crate::cols::{Cols, RowRef};
use crate::rows::{RowVals, Val, json, rfc3339};

/// The table's columns, as the writer writes them and a copy carries them.
pub const SOURCE_HEALTH_COLUMNS: &str = "source, last_attempt, last_success, last_error, requests, bytes, \
    records_seen, records_new, records_updated, records_unchanged, records_withdrawn, took_ms, warnings";

/// Keeps one source's health, replacing the row kept for it.
pub const SAVE_SOURCE_HEALTH: &str = "INSERT INTO source_health (source, last_attempt, last_success, last_error, \
     requests, bytes, records_seen, records_new, records_updated, records_unchanged, records_withdrawn, took_ms, \
     warnings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
     ON CONFLICT (source) DO UPDATE SET last_attempt = excluded.last_attempt, \
       last_success = excluded.last_success, last_error = excluded.last_error, requests = excluded.requests, \
       bytes = excluded.bytes, records_seen = excluded.records_seen, records_new = excluded.records_new, \
       records_updated = excluded.records_updated, records_unchanged = excluded.records_unchanged, \
       records_withdrawn = excluded.records_withdrawn, took_ms = excluded.took_ms, warnings = excluded.warnings";

/// Every row kept; read by [`read_all`], which orders them.
pub const SOURCE_HEALTH: &str = "SELECT source, last_attempt, last_success, last_error, requests, bytes, \
     records_seen, records_new, records_updated, records_unchanged, records_withdrawn, took_ms, warnings \
     FROM source_health";

/// The row [`SAVE_SOURCE_HEALTH`] binds. A figure past what a signed 64-bit column holds is
/// refused rather than cut.
pub fn health_row(h: &SourceHealth) -> Result<RowVals> {
    let r = &h.run;
    let mut row = vec![
        Val::from(h.source.code()),
        Val::from(h.last_attempt.as_ref().map(rfc3339)),
        Val::from(h.last_success.as_ref().map(rfc3339)),
        Val::from(h.last_error.clone()),
    ];
    for (column, n) in [
        ("requests", r.requests),
        ("bytes", r.bytes),
        ("records_seen", r.records_seen),
        ("records_new", r.new),
        ("records_updated", r.updated),
        ("records_unchanged", r.unchanged),
        ("records_withdrawn", r.withdrawn),
        ("took_ms", r.took_ms),
    ] {
        let n = i64::try_from(n).map_err(|_| {
            StoreError::Refused(format!("source_health.{column} of {}: {n} is more than the store holds", h.source))
        })?;
        row.push(Val::from(n));
    }
    row.push(Val::from(json(&h.warnings)));
    Ok(row)
}

/// One row, by name. A value that cannot be read names the row's source besides its column.
pub fn source_health(c: &Cols) -> Result<SourceHealth> {
    let source = c.parse("source", |s| SourceId::from_code(s).ok_or("not a known source"))?;
    let rest = || -> Result<SourceHealth> {
        Ok(SourceHealth {
            source,
            last_attempt: c.rfc3339_opt("last_attempt")?,
            last_success: c.rfc3339_opt("last_success")?,
            last_error: c.get("last_error")?,
            run: RunFigures {
                requests: c.u64("requests")?,
                bytes: c.u64("bytes")?,
                records_seen: c.u64("records_seen")?,
                new: c.u64("records_new")?,
                updated: c.u64("records_updated")?,
                unchanged: c.u64("records_unchanged")?,
                withdrawn: c.u64("records_withdrawn")?,
                took_ms: c.u64("took_ms")?,
            },
            warnings: c.json("warnings")?,
        })
    };
    rest().map_err(|e| match e {
        StoreError::Row { table, column, reason } => {
            StoreError::Row { table, column, reason: format!("{reason} (the row of source {source})") }
        }
        other => other,
    })
}

/// The rows of [`SOURCE_HEALTH`], in [`SourceId::ALL`] order.
pub fn read_all<'r, R: Into<RowRef<'r>>>(rows: impl IntoIterator<Item = R>) -> Result<Vec<SourceHealth>> {
    let mut all =
        rows.into_iter().map(|r| source_health(&Cols::new(r, "source_health"))).collect::<Result<Vec<_>>>()?;
    all.sort_by_key(|h| h.source);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statements_name_the_columns_in_one_order() {
        let columns: Vec<&str> = SOURCE_HEALTH_COLUMNS.split(',').map(str::trim).collect();
        assert!(SAVE_SOURCE_HEALTH.contains(&format!("({})", columns.join(", "))), "{SAVE_SOURCE_HEALTH}");
        assert!(SOURCE_HEALTH.contains(&format!("SELECT {} FROM", columns.join(", "))), "{SOURCE_HEALTH}");
        for column in &columns[1..] {
            assert!(SAVE_SOURCE_HEALTH.contains(&format!("{column} = excluded.{column}")), "{column} is replaced");
        }
        let row = health_row(&SourceHealth::never(SourceId::Parliament)).expect("a row");
        assert_eq!(row.len(), columns.len());
        assert_eq!(row[0], Val::from("ep"));
        assert_eq!(row[12], Val::from("[]"));
    }

    #[test]
    fn a_figure_too_large_to_store_is_refused() {
        let mut h = SourceHealth::never(SourceId::Register);
        h.run.bytes = u64::MAX;
        match health_row(&h) {
            Err(StoreError::Refused(m)) => assert!(m.starts_with("source_health.bytes of tr: "), "{m}"),
            other => panic!("refused, not {other:?}"),
        }
        h.run.bytes = i64::MAX as u64;
        assert!(health_row(&h).is_ok());
    }
}
