//! A full linking pass, page by page inside one write transaction: mentions are read by keyset
//! (meetings by id, then responses by id), and links and the organisation list go through
//! temporary tables, so that only rows whose link changes are written.

use async_trait::async_trait;
use lobbyscope_store::{LinkedMention, MentionGroup, Organisation, Relinker, Result};
use lobbyscope_store_sql::relink::{self, Cursor, RelinkPages};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, Transaction};

use crate::keys;
use crate::{MAX_BINDS, bump_generation, db_err};

/// Where a pass puts each page's links and the organisations it ends with.
const TEMP_TABLES: [&str; 3] = [
    "CREATE TEMP TABLE IF NOT EXISTS link_attendee (meeting_id TEXT, position INTEGER, org_key TEXT, method TEXT, PRIMARY KEY (meeting_id, position))",
    "CREATE TEMP TABLE IF NOT EXISTS link_feedback (id INTEGER PRIMARY KEY, org_key TEXT, method TEXT)",
    "CREATE TEMP TABLE IF NOT EXISTS org_new (key TEXT PRIMARY KEY, register_id TEXT, name TEXT, acronym TEXT)",
];

/// A page's links written to the mentions whose link differs, so relinking unchanged data
/// writes nothing. `+l.id`: SQLite knows nothing of the temporary table's size and, left to
/// choose, scanned all of `feedback` for each page (two million rows at the EU's size, a
/// hundred pages); unable to look the page's links up by id, it looks each response up instead.
const APPLY_LINKS: [&str; 2] = [
    "UPDATE meeting_attendees SET org_key = l.org_key, link_method = l.method FROM link_attendee l
     WHERE l.meeting_id = meeting_attendees.meeting_id AND l.position = meeting_attendees.position
       AND (meeting_attendees.org_key IS NOT l.org_key OR meeting_attendees.link_method IS NOT l.method)",
    "UPDATE feedback SET org_key = l.org_key, link_method = l.method FROM link_feedback l
     WHERE +l.id = feedback.id AND (feedback.org_key IS NOT l.org_key OR feedback.link_method IS NOT l.method)",
];

pub(crate) struct SqliteRelinker {
    tx: Transaction<'static, Sqlite>,
    cursor: Cursor,
}

impl SqliteRelinker {
    pub(crate) async fn new(mut tx: Transaction<'static, Sqlite>) -> Result<SqliteRelinker> {
        for sql in TEMP_TABLES.into_iter().chain(["DELETE FROM org_new"]) {
            sqlx::query(sql).execute(&mut *tx).await.map_err(db_err)?;
        }
        Ok(SqliteRelinker { tx, cursor: Cursor::default() })
    }
}

#[async_trait]
impl RelinkPages for SqliteRelinker {
    type Row = SqliteRow;

    fn cursor(&mut self) -> &mut Cursor {
        &mut self.cursor
    }

    async fn attendee_page(&mut self, after: &str, limit: usize) -> Result<Option<(String, Vec<SqliteRow>)>> {
        // The last meeting of the page: the `limit`-th attendee's meeting, so that no meeting's
        // group is split between pages.
        let last: Option<String> = sqlx::query_scalar(
            "SELECT max(meeting_id) FROM (SELECT meeting_id FROM meeting_attendees WHERE meeting_id > ? \
             ORDER BY meeting_id, position LIMIT ?)",
        )
        .bind(after)
        .bind(limit as i64)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db_err)?;
        let Some(last) = last else { return Ok(None) };
        let rows = sqlx::query(
            "SELECT meeting_id, position, name, register_id FROM meeting_attendees \
             WHERE meeting_id > ? AND meeting_id <= ? ORDER BY meeting_id, position",
        )
        .bind(after)
        .bind(&last)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        Ok(Some((last, rows)))
    }

    async fn response_page(&mut self, after: i64, limit: usize) -> Result<Vec<SqliteRow>> {
        sqlx::query(
            "SELECT id, organization, register_id FROM feedback \
             WHERE id > ? AND (organization IS NOT NULL OR register_id IS NOT NULL) ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(limit as i64)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)
    }
}

#[async_trait]
impl Relinker for SqliteRelinker {
    async fn next_groups(&mut self, limit: usize) -> Result<Vec<MentionGroup>> {
        relink::next_groups(self, limit).await
    }

    async fn write_links(&mut self, links: &[LinkedMention]) -> Result<u64> {
        for sql in ["DELETE FROM link_attendee", "DELETE FROM link_feedback"] {
            sqlx::query(sql).execute(&mut *self.tx).await.map_err(db_err)?;
        }
        let (attendees, feedback) = relink::split_links(links)?;
        for chunk in attendees.chunks(MAX_BINDS / 4) {
            let mut q =
                QueryBuilder::<Sqlite>::new("INSERT INTO link_attendee (meeting_id, position, org_key, method) ");
            q.push_values(chunk, |mut b, (meeting, position, org, method)| {
                b.push_bind(meeting.to_string())
                    .push_bind(i64::from(*position))
                    .push_bind(keys::org_key(org))
                    .push_bind(method.as_str());
            });
            q.build().persistent(false).execute(&mut *self.tx).await.map_err(db_err)?;
        }
        for chunk in feedback.chunks(MAX_BINDS / 3) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO link_feedback (id, org_key, method) ");
            q.push_values(chunk, |mut b, (id, org, method)| {
                b.push_bind(*id).push_bind(keys::org_key(org)).push_bind(method.as_str());
            });
            q.build().persistent(false).execute(&mut *self.tx).await.map_err(db_err)?;
        }
        let mut changed = 0;
        for sql in APPLY_LINKS {
            changed += sqlx::query(sql).execute(&mut *self.tx).await.map_err(db_err)?.rows_affected();
        }
        Ok(changed)
    }

    async fn finish(mut self: Box<Self>, organisations: &[Organisation]) -> Result<()> {
        for chunk in organisations.chunks(MAX_BINDS / 4) {
            let mut q = QueryBuilder::<Sqlite>::new("INSERT INTO org_new (key, register_id, name, acronym) ");
            q.push_values(chunk, |mut b, o| {
                b.push_bind(keys::org_key(&o.key))
                    .push_bind(o.register_id.as_ref().map(|id| id.as_str().to_owned()))
                    .push_bind(o.name.clone())
                    .push_bind(o.acronym.clone());
            });
            q.build().persistent(false).execute(&mut *self.tx).await.map_err(db_err)?;
        }
        for sql in [
            "DELETE FROM organisations WHERE key NOT IN (SELECT key FROM org_new)",
            "INSERT INTO organisations (key, register_id, name, acronym) SELECT key, register_id, name, acronym FROM org_new WHERE true
             ON CONFLICT (key) DO UPDATE SET register_id = excluded.register_id, name = excluded.name, acronym = excluded.acronym
             WHERE organisations.register_id IS NOT excluded.register_id OR organisations.name IS NOT excluded.name
                OR organisations.acronym IS NOT excluded.acronym",
            // The pass owed since a register file changed the register is now made.
            "UPDATE pending_work SET relink = 0",
            "DELETE FROM org_new",
            "DELETE FROM link_attendee",
            "DELETE FROM link_feedback",
        ] {
            sqlx::query(sql).execute(&mut *self.tx).await.map_err(db_err)?;
        }
        crate::stats::settle(&mut self.tx).await?;
        bump_generation(&mut self.tx).await?;
        self.tx.commit().await.map_err(db_err)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a broken expectation fails the test")]

    use super::{APPLY_LINKS, TEMP_TABLES};

    /// Each page's links are applied by looking the mentions up, never by reading a whole
    /// table: at the EU's size that was a scan of two million responses per page.
    #[tokio::test]
    async fn links_are_applied_by_lookups() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::SqliteStore::open(&dir.path().join("plan.sqlite")).await.unwrap();
        let mut conn = store.pool().acquire().await.unwrap();
        for sql in TEMP_TABLES {
            sqlx::query(sql).execute(&mut *conn).await.unwrap();
        }
        for sql in APPLY_LINKS {
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                    .fetch_all(&mut *conn)
                    .await
                    .unwrap();
            let steps: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
            assert!(steps.iter().any(|s| s.starts_with("SCAN l")), "{sql}: {steps:?}");
            assert!(!steps.iter().any(|s| s.starts_with("SCAN") && !s.starts_with("SCAN l")), "{sql}: {steps:?}");
        }
    }
}
