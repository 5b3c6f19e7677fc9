//! Writing one file's records inside its transaction.

use std::collections::HashMap;
use std::ops::DerefMut;

use async_trait::async_trait;
use lobbyscope_domain::{
    Candidate, Facets, Feedback, Initiative, Meeting, MeetingKey, Provenance, RegisterEntry, RegisterId, shown_acronym,
};
use lobbyscope_store::{
    FileWriter, ImportFile, ImportSession, OrgKey, Organisation, Outcome, Result, Stamped, WholeFile, WriteCounts,
};
use lobbyscope_store_sql::Cols;
use lobbyscope_store_sql::plan::{
    Batch, Buckets, MeetingPlan, Plan, RecordWriter, SessionWriter, StoredKey, WithLinks, WrittenOrgs, replacing_file,
    sort_batch, stored_hashes, write_batch, write_files,
};
use lobbyscope_store_sql::rows::{
    ATTENDEE_COLUMNS, FEEDBACK_COLUMNS, HOST_COLUMNS, IMPORT_FILE_COLUMNS, INITIATIVE_COLUMNS, MEETING_COLUMNS,
    MeetingParts, ORGANISATION_COLUMNS, PEOPLE_COLUMNS, PROCEDURE_COLUMNS, PUBLICATION_COLUMNS, REGISTER_COLUMNS,
    RowVals, Val, feedback_org_key, feedback_row, import_file_row, initiative_row, insert_statements, meeting_row,
    organisation_row, publication_rows, register_row,
};
use sqlx::{PgConnection, Postgres, Transaction};

use crate::{MAX_BINDS, db_err};

/// Writes one file, or files that `plan::groups` lets share their statements, on `C`: the
/// file's own transaction, or the connection of an import session that is in a transaction
/// already.
pub(crate) struct PgWriter<C> {
    conn: C,
    files: Vec<ImportFile>,
    /// The stored meetings of each natural key this file's meetings have, with the ones the
    /// file added or matched so far.
    buckets: Buckets,
    /// Whether this file added or changed register entries, so that the commit leaves a full
    /// linking pass owed.
    register_changed: bool,
    /// Organisations the records this file replaced pointed at: removed at commit if nothing
    /// points at them any more.
    orphan_candidates: Vec<String>,
    /// What the transaction has written of each organisation (an import session's: all its
    /// files').
    written: WrittenOrgs,
}

/// Whole files written in one transaction.
pub(crate) struct PgSession {
    tx: Transaction<'static, Postgres>,
    written: WrittenOrgs,
}

impl PgSession {
    pub(crate) fn new(tx: Transaction<'static, Postgres>) -> Self {
        PgSession { tx, written: WrittenOrgs::default() }
    }
}

#[async_trait]
impl SessionWriter for PgSession {
    async fn execute(&mut self, sql: &'static str) -> Result<()> {
        sqlx::query(sql).execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn write_run(&mut self, files: &[WholeFile<'_>]) -> Result<Vec<WriteCounts>> {
        let mut writer = PgWriter::new(&mut *self.tx, files.iter().map(|f| f.file.clone()).collect());
        writer.written = std::mem::take(&mut self.written);
        let batches: Vec<Batch> = files.iter().map(|f| (f.records, f.organisations)).collect();
        let written = write_batch(&mut writer, &batches).await;
        let finished = match written {
            Ok(counts) => writer.finish().await.map(|()| counts),
            Err(e) => Err(e),
        };
        self.written = std::mem::take(&mut writer.written);
        finished
    }

    fn forget_written(&mut self) {
        // Only ever a shortcut: organisations are sent again, and the stored rows decide.
        self.written = WrittenOrgs::default();
    }
}

#[async_trait]
impl ImportSession for PgSession {
    async fn write_files(&mut self, files: &[WholeFile<'_>]) -> Result<Vec<Result<WriteCounts>>> {
        write_files(self, files).await
    }

    async fn owe_relink(&mut self) -> Result<()> {
        sqlx::query(lobbyscope_store_sql::OWE_RELINK).execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        // Once per session, as in the SQLite store: folding per file moves every organisation
        // a file mentions in the list's indexes once per file.
        crate::stats::settle(&mut self.tx).await?;
        self.tx.commit().await.map_err(db_err)
    }
}

#[async_trait]
impl FileWriter for PgWriter<Transaction<'static, Postgres>> {
    async fn write(&mut self, batch: &[Stamped], organisations: &[Organisation]) -> Result<WriteCounts> {
        Ok(write_batch(self, &[(batch, organisations)]).await?.into_iter().sum())
    }

    async fn owe_relink(&mut self) -> Result<()> {
        sqlx::query(lobbyscope_store_sql::OWE_RELINK).execute(&mut *self.conn).await.map_err(db_err)?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.finish().await?;
        crate::stats::settle(&mut self.conn).await?;
        self.conn.commit().await.map_err(db_err)
    }
}

/// The lookup values of a batch: one array bound to `= ANY($1)`, so that the statement is
/// prepared once whatever the batch's length.
enum Lookups {
    Text(Vec<String>),
    Int(Vec<i64>),
}

/// The stored content hash of each key that `select` returns (content hash, then the key's
/// columns) for `lookups`.
async fn stored_for<K: StoredKey>(
    conn: &mut PgConnection,
    table: &'static str,
    select: &'static str,
    lookups: Lookups,
) -> Result<HashMap<K, String>> {
    let query = sqlx::query(select);
    let query = match lookups {
        Lookups::Text(v) => query.bind(v),
        Lookups::Int(v) => query.bind(v),
    };
    let rows = query.fetch_all(&mut *conn).await.map_err(db_err)?;
    stored_hashes(rows.iter().map(|row| Cols::new(row, table)))
}

/// Rows written by `COPY` rather than by INSERT statements. `COPY` sends the rows as one
/// stream of text and the server parses them without planning a statement per batch: for a
/// file's thousands of responses, several times fewer round trips and much less work.
const COPY_FROM: usize = 64;

/// Writes `rows` into `table` (`columns` in the rows' order): by `COPY` when there are many,
/// else by INSERT. No conflict clause is possible either way: the plan made sure that none of
/// the rows is stored.
pub(crate) async fn copy_rows(conn: &mut PgConnection, table: &str, columns: &str, rows: Vec<RowVals>) -> Result<()> {
    if rows.len() < COPY_FROM {
        return insert_rows(conn, &format!("INSERT INTO {table} ({columns}) "), rows, "").await;
    }
    let mut copy = conn.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN")).await.map_err(db_err)?;
    let mut buffer = String::with_capacity(COPY_CHUNK + 4096);
    for row in rows {
        copy_line(&mut buffer, row);
        if buffer.len() >= COPY_CHUNK {
            copy.send(std::mem::take(&mut buffer).into_bytes()).await.map_err(db_err)?;
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.into_bytes()).await.map_err(db_err)?;
    }
    copy.finish().await.map_err(db_err)?;
    Ok(())
}

/// Bytes sent to the server at a time during a `COPY`.
const COPY_CHUNK: usize = 1 << 20;

/// One row in `COPY`'s text format: tab-separated, `\N` for NULL, backslash escapes.
fn copy_line(out: &mut String, row: RowVals) {
    use std::fmt::Write;
    for (i, v) in row.into_iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        match v {
            Val::Text(None) | Val::Int(None) | Val::Real(None) => out.push_str("\\N"),
            Val::Text(Some(t)) => {
                for c in t.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
            }
            Val::Int(Some(n)) => {
                let _ = write!(out, "{n}");
            }
            Val::Real(Some(f)) if f.is_finite() => {
                let _ = write!(out, "{f}");
            }
            Val::Real(Some(f)) => out.push_str(if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            }),
            Val::Bool(b) => out.push(if b { 't' } else { 'f' }),
        }
    }
    out.push('\n');
}

/// Runs a multi-row INSERT for `rows` in statements of a few fixed sizes
/// (`insert_statements`), each prepared once per connection.
pub(crate) async fn insert_rows(conn: &mut PgConnection, head: &str, rows: Vec<RowVals>, tail: &str) -> Result<()> {
    for mut q in insert_statements::<Postgres>(head, rows, tail, MAX_BINDS) {
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

impl<C: DerefMut<Target = PgConnection> + Send> PgWriter<C> {
    pub(crate) fn new(conn: C, files: Vec<ImportFile>) -> Self {
        PgWriter {
            conn,
            files,
            buckets: Buckets::default(),
            register_changed: false,
            orphan_candidates: Vec::new(),
            written: WrittenOrgs::default(),
        }
    }

    /// Stored meetings sharing a natural key with any of `keys`, loaded once per file.
    async fn load_buckets(&mut self, keys: &[&MeetingKey]) -> Result<()> {
        let missing = self.buckets.to_load(keys);
        if missing.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = missing.iter().map(|k| k.as_str().to_owned()).collect();
        let rows =
            sqlx::query("SELECT natural_key, ordinal, content_hash, facets FROM meetings WHERE natural_key = ANY($1)")
                .bind(keys)
                .fetch_all(&mut *self.conn)
                .await
                .map_err(db_err)?;
        for row in rows {
            let c = Cols::new(&row, "meetings");
            let candidate = Candidate {
                ordinal: c.u32(1)?,
                content_hash: c.get(2)?,
                facets: c.parse(3, str::parse::<Facets>)?,
                claimed: false,
            };
            let key = c.parse(0, |k| MeetingKey::parse(k).ok_or("not a natural key"))?;
            self.buckets.add_stored(key, candidate);
        }
        Ok(())
    }

    /// Keeps what the meetings `ids` said before this file corrected them, then removes them
    /// (their hosts, procedures and attendees go with them) for their new versions.
    async fn keep_history(&mut self, ids: Vec<String>) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let (replaced_at, replaced_by) = replacing_file(&self.files)?;
        sqlx::query(
            "INSERT INTO meeting_history (meeting_id, version, replaced_at, replaced_by, date, subject, hosts, \
             location, attendees_raw, source, file, locator, imported_at, content_hash) \
             SELECT m.id, (SELECT count(*) FROM meeting_history v WHERE v.meeting_id = m.id) + 1, $1, $2, m.date, \
             m.subject, (SELECT coalesce(json_agg(json_build_object('name', h.name, 'role', h.role) ORDER BY h.position), \
             '[]')::text FROM meeting_hosts h WHERE h.meeting_id = m.id), m.location, m.attendees_raw, m.source, \
             m.file, m.locator, m.imported_at, m.content_hash FROM meetings m WHERE m.id = ANY($3)",
        )
        .bind(replaced_at)
        .bind(replaced_by)
        .bind(&ids)
        .execute(&mut *self.conn)
        .await
        .map_err(db_err)?;
        let orgs: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT org_key FROM meeting_attendees WHERE org_key IS NOT NULL AND meeting_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *self.conn)
        .await
        .map_err(db_err)?;
        self.orphan_candidates.extend(orgs);
        sqlx::query("DELETE FROM meetings WHERE id = ANY($1)")
            .bind(&ids)
            .execute(&mut *self.conn)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    /// Gives each of `ids` its organisation under its newest register name, as a full linking
    /// pass would, so that a register imported before any mention needs no pass.
    async fn register_organisations(&mut self, ids: &[&RegisterId]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = ids.iter().map(|id| id.as_str().to_owned()).collect();
        let rows = sqlx::query(
            "SELECT DISTINCT ON (register_id) register_id, name, acronym FROM register_entries \
             WHERE register_id = ANY($1) ORDER BY register_id, snapshot_date DESC",
        )
        .bind(ids)
        .fetch_all(&mut *self.conn)
        .await
        .map_err(db_err)?;
        let mut organisations = Vec::with_capacity(rows.len());
        for row in &rows {
            let c = Cols::new(row, "register_entries");
            let register_id = c.register_id(0)?;
            let name: String = c.get(1)?;
            let acronym: Option<String> = c.get(2)?;
            organisations.push(Organisation {
                key: OrgKey::Registered(register_id.clone()),
                register_id: Some(register_id),
                acronym: shown_acronym(&name, acronym.as_deref()),
                name,
            });
        }
        // The register's name wins over every published one (lobbyscope-resolve).
        for o in &organisations {
            self.written.registered(o);
        }
        self.upsert_organisations(
            organisations,
            " ON CONFLICT (key) DO UPDATE SET register_id = excluded.register_id, name = excluded.name, \
              acronym = excluded.acronym",
        )
        .await
    }

    async fn upsert_organisations(&mut self, organisations: Vec<Organisation>, on_conflict: &str) -> Result<()> {
        let rows = organisations.iter().map(organisation_row).collect();
        insert_rows(&mut self.conn, &format!("INSERT INTO organisations ({ORGANISATION_COLUMNS}) "), rows, on_conflict)
            .await
    }

    /// What the end of a file writes: its `import_files` row, the linking pass it leaves owed,
    /// the organisations it may have orphaned, a new data generation.
    async fn finish(&mut self) -> Result<()> {
        insert_rows(
            &mut self.conn,
            &format!("INSERT INTO import_files ({IMPORT_FILE_COLUMNS}) "),
            self.files.iter().map(import_file_row).collect(),
            " ON CONFLICT (sha256) DO NOTHING",
        )
        .await?;
        if self.register_changed {
            // In this transaction: a crash after the commit cannot lose the linking pass. Owed
            // only when mentions were linked against the register as it was.
            sqlx::query(
                "UPDATE pending_work SET relink = 1 WHERE EXISTS (SELECT 1 FROM meeting_attendees) \
                 OR EXISTS (SELECT 1 FROM feedback WHERE organization IS NOT NULL OR register_id IS NOT NULL)",
            )
            .execute(&mut *self.conn)
            .await
            .map_err(db_err)?;
        }
        // The fold removes those left with nothing (stats::settle).
        self.orphan_candidates.sort();
        self.orphan_candidates.dedup();
        if !self.orphan_candidates.is_empty() {
            sqlx::query("INSERT INTO agg_log (kind, delta, org_key) SELECT 'c', 0, unnest($1::text[])")
                .bind(&self.orphan_candidates)
                .execute(&mut *self.conn)
                .await
                .map_err(db_err)?;
        }
        crate::bump_generation(&mut self.conn).await
    }
}

#[async_trait]
impl<C: DerefMut<Target = PgConnection> + Send> RecordWriter for PgWriter<C> {
    async fn write_register(&mut self, items: Vec<(&Provenance, &RegisterEntry)>) -> Result<Vec<Outcome>> {
        let ids = items.iter().map(|(_, r)| r.register_id.as_str().to_owned()).collect();
        let stored = stored_for(
            &mut self.conn,
            "register_entries",
            "SELECT content_hash, register_id, snapshot_date FROM register_entries WHERE register_id = ANY($1)",
            Lookups::Text(ids),
        )
        .await?;
        let keyed = items
            .into_iter()
            .map(|(p, r)| ((r.register_id.as_str().to_owned(), r.snapshot_date.to_string()), p, r))
            .collect();
        let plan: Plan<_, &RegisterEntry> = sort_batch(keyed, &stored);
        self.register_changed |= !plan.insert.is_empty();
        for (id, snapshot) in &plan.replace {
            sqlx::query("DELETE FROM register_entries WHERE register_id = $1 AND snapshot_date = $2")
                .bind(id)
                .bind(snapshot)
                .execute(&mut *self.conn)
                .await
                .map_err(db_err)?;
        }
        let rows = plan.insert.iter().map(|(p, r)| register_row(p, r)).collect();
        copy_rows(&mut self.conn, "register_entries", REGISTER_COLUMNS, rows).await?;
        self.register_organisations(&plan.insert.iter().map(|(_, r)| &r.register_id).collect::<Vec<_>>()).await?;
        Ok(plan.outcomes)
    }
    async fn write_meetings(&mut self, items: Vec<(&Provenance, WithLinks<'_, Meeting>)>) -> Result<Vec<Outcome>> {
        let keyed: Vec<(MeetingKey, Facets)> = items.iter().map(|(_, (m, _))| (m.natural_key(), m.facets())).collect();
        self.load_buckets(&keyed.iter().map(|(k, _)| k).collect::<Vec<_>>()).await?;
        let assigned: Vec<(&Provenance, &MeetingKey, &Facets)> =
            items.iter().zip(&keyed).map(|((p, _), (key, facets))| (*p, key, facets)).collect();
        let MeetingPlan { insert, replaced, outcomes } = self.buckets.assign(&assigned)?;
        self.keep_history(replaced).await?;
        let meeting_rows = insert
            .iter()
            .map(|(i, id)| {
                let (p, (m, _)) = items[*i];
                meeting_row(id, &keyed[*i].1, p, m)
            })
            .collect();
        copy_rows(&mut self.conn, "meetings", MEETING_COLUMNS, meeting_rows).await?;
        let parts = MeetingParts::of(insert.iter().map(|(i, id)| {
            let (_, (m, links)) = items[*i];
            (id, m, links)
        }));
        insert_rows(
            &mut self.conn,
            &format!("INSERT INTO people ({PEOPLE_COLUMNS}) "),
            parts.people,
            " ON CONFLICT (key) DO NOTHING",
        )
        .await?;
        for (table, columns, rows) in [
            ("meeting_hosts", HOST_COLUMNS, parts.hosts),
            ("meeting_procedures", PROCEDURE_COLUMNS, parts.procedures),
            ("meeting_attendees", ATTENDEE_COLUMNS, parts.attendees),
        ] {
            copy_rows(&mut self.conn, table, columns, rows).await?;
        }
        Ok(outcomes)
    }
    async fn write_initiatives(&mut self, items: Vec<(&Provenance, &Initiative)>) -> Result<Vec<Outcome>> {
        let ids = items.iter().map(|(_, i)| i.id as i64).collect();
        let stored = stored_for(
            &mut self.conn,
            "initiatives",
            "SELECT content_hash, id FROM initiatives WHERE id = ANY($1)",
            Lookups::Int(ids),
        )
        .await?;
        let plan = sort_batch(items.into_iter().map(|(p, i)| (i.id as i64, p, i)).collect(), &stored);
        let replaced = &plan.replace;
        if !replaced.is_empty() {
            // Publications go with them (ON DELETE CASCADE).
            sqlx::query("DELETE FROM initiatives WHERE id = ANY($1)")
                .bind(replaced)
                .execute(&mut *self.conn)
                .await
                .map_err(db_err)?;
        }
        let rows = plan.insert.iter().map(|(p, i)| initiative_row(p, i)).collect();
        copy_rows(&mut self.conn, "initiatives", INITIATIVE_COLUMNS, rows).await?;
        insert_rows(
            &mut self.conn,
            &format!("INSERT INTO publications ({PUBLICATION_COLUMNS}) "),
            publication_rows(plan.insert.iter().map(|(_, i)| *i)),
            // A publication listed under two initiatives keeps its first one.
            " ON CONFLICT (id) DO NOTHING",
        )
        .await?;
        Ok(plan.outcomes)
    }
    async fn write_feedback(&mut self, items: Vec<(&Provenance, WithLinks<'_, Feedback>)>) -> Result<Vec<Outcome>> {
        let ids = items.iter().map(|(_, (f, _))| f.id as i64).collect();
        let stored = stored_for(
            &mut self.conn,
            "feedback",
            "SELECT content_hash, id FROM feedback WHERE id = ANY($1)",
            Lookups::Int(ids),
        )
        .await?;
        let plan = sort_batch(items.into_iter().map(|(p, f)| (f.0.id as i64, p, f)).collect(), &stored);
        let replaced = &plan.replace;
        if !replaced.is_empty() {
            let old: Vec<Option<String>> =
                sqlx::query_scalar("DELETE FROM feedback WHERE id = ANY($1) RETURNING org_key")
                    .bind(replaced)
                    .fetch_all(&mut *self.conn)
                    .await
                    .map_err(db_err)?;
            self.orphan_candidates.extend(old.into_iter().flatten());
        }
        self.orphan_candidates.extend(plan.superseded.iter().filter_map(|(_, links)| feedback_org_key(links)));
        let rows = plan.insert.iter().map(|(p, (f, links))| feedback_row(p, f, links)).collect();
        copy_rows(&mut self.conn, "feedback", FEEDBACK_COLUMNS, rows).await?;
        Ok(plan.outcomes)
    }
    async fn write_organisations(&mut self, organisations: &[Organisation]) -> Result<()> {
        // Once per key (PostgreSQL refuses to update a row twice in one statement), under the
        // name that sorts first, which is what the statement's rule keeps anyway.
        let fresh: Vec<Organisation> = self.written.to_write(organisations).into_iter().cloned().collect();
        // The name that sorts first wins, whatever order files come in (lobbyscope-resolve).
        self.upsert_organisations(
            fresh,
            " ON CONFLICT (key) DO UPDATE SET name = excluded.name, \
              acronym = coalesce(excluded.acronym, organisations.acronym) WHERE excluded.name < organisations.name",
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use lobbyscope_store_sql::rows::Val;

    #[test]
    fn copy_lines_escape_what_the_text_format_reads_as_structure() {
        let mut line = String::new();
        super::copy_line(
            &mut line,
            vec![
                Val::from("tab\there\nnew line\\ back\rslash"),
                Val::Text(None),
                Val::from(-42_i64),
                Val::from(Some(0.5)),
                Val::from(true),
                Val::Real(Some(f64::NAN)),
                Val::from("\\N"),
            ],
        );
        assert_eq!(line, "tab\\there\\nnew line\\\\ back\\rslash\t\\N\t-42\t0.5\tt\tNaN\t\\\\N\n");
    }
}
