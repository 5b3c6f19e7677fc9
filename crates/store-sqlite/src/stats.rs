//! The aggregates pages read instead of counting (migration 0007): triggers keep them exact row
//! by row, except the counts on `organisations`, which this module recounts, once per
//! transaction, for the organisations the triggers marked.
//!
//! An organisation's entries in the organisations list's indexes move whenever its counts do;
//! moving them once per file instead of once per mention is what keeps the import fast (a
//! busy organisation is mentioned thousands of times in one file).

use lobbyscope_store::Result;
use sqlx::{Sqlite, Transaction};

use crate::db_err;

/// Recounts the organisations whose activity changed in this transaction (or that it added)
/// from their quarters, and clears the marks. Every transaction that writes mentions or
/// organisations calls it before it commits.
pub(crate) async fn settle(tx: &mut Transaction<'static, Sqlite>) -> Result<()> {
    for sql in [
        // Only rows whose counts differ are written, so that unchanged organisations keep
        // their index entries.
        "UPDATE organisations SET commission = s.commission, parliament = s.parliament, responses = s.responses \
         FROM (SELECT d.org_key, coalesce(sum(q.commission), 0) AS commission, \
                 coalesce(sum(q.parliament), 0) AS parliament, coalesce(sum(q.responses), 0) AS responses \
               FROM org_dirty d LEFT JOIN org_quarters q ON q.org_key = d.org_key GROUP BY d.org_key) AS s \
         WHERE organisations.key = s.org_key AND (organisations.commission <> s.commission \
           OR organisations.parliament <> s.parliament OR organisations.responses <> s.responses)",
        "DELETE FROM org_dirty",
    ] {
        sqlx::query(sql).execute(&mut **tx).await.map_err(db_err)?;
    }
    Ok(())
}
