//! Writing one file's records inside its transaction.

use std::ops::DerefMut;

use async_trait::async_trait;
use lobbyscope_domain::{
    Candidate, Facets, Feedback, Initiative, Meeting, MeetingId, MeetingKey, Provenance, RegisterEntry, RegisterId,
    shown_acronym,
};
use lobbyscope_store::{
    FileWriter, ImportFile, ImportSession, MentionLink, OrgKey, Organisation, Outcome, Result, Stamped, WholeFile,
    WriteCounts,
};
use lobbyscope_store_sql::plan::{
    Batch, Buckets, MeetingPlan, Plan, RecordWriter, SessionWriter, StoredKey, WithLinks, WrittenOrgs, replacing_file,
    sort_batch, stored_hashes, write_batch, write_files,
};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};

use crate::cols::Cols;
use crate::read::push_in;
use crate::rows::{
    ATTENDEE_COLUMNS, FEEDBACK_COLUMNS, HOST_COLUMNS, IMPORT_FILE_COLUMNS, INITIATIVE_COLUMNS, MEETING_COLUMNS,
    MeetingParts, ORGANISATION_COLUMNS, PEOPLE_COLUMNS, PROCEDURE_COLUMNS, PUBLICATION_COLUMNS, REGISTER_COLUMNS,
    RowVals, feedback_org_key, feedback_row, import_file_row, initiative_row, insert_statements, json, meeting_row,
    organisation_row, publication_rows, register_row,
};
use crate::{MAX_BINDS, db_err};

/// Writes one file, or files that `plan::groups` lets share their statements, on `C`: the
/// file's own transaction, or the connection of an import session that is in a transaction
/// already.
pub(crate) struct SqliteWriter<C> {
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

impl<C: DerefMut<Target = SqliteConnection> + Send> SqliteWriter<C> {
    pub(crate) fn new(conn: C, files: Vec<ImportFile>) -> Self {
        SqliteWriter {
            conn,
            files,
            buckets: Buckets::default(),
            register_changed: false,
            orphan_candidates: Vec::new(),
            written: WrittenOrgs::default(),
        }
    }

    /// Keeps what the meetings `ids` said before this file corrected them, then removes them
    /// (their hosts, procedures and attendees go with them) for their new versions.
    async fn keep_history(&mut self, ids: &[String]) -> Result<()> {
        let (replaced_at, replaced_by) = replacing_file(&self.files)?;
        let (replaced_at, replaced_by) = (replaced_at.to_owned(), replaced_by);
        for chunk in ids.chunks(MAX_BINDS - 2) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO meeting_history (meeting_id, version, replaced_at, replaced_by, date, subject, hosts, \
                 location, attendees_raw, source, file, locator, imported_at, content_hash) SELECT m.id, \
                 (SELECT count(*) FROM meeting_history v WHERE v.meeting_id = m.id) + 1, ",
            );
            q.push_bind(replaced_at.clone()).push(", ").push_bind(replaced_by.clone()).push(
                ", m.date, m.subject, (SELECT json_group_array(json_object('name', h.name, 'role', h.role)) \
                 FROM (SELECT name, role FROM meeting_hosts WHERE meeting_id = m.id ORDER BY position) h), \
                 m.location, m.attendees_raw, m.source, m.file, m.locator, m.imported_at, m.content_hash \
                 FROM meetings m WHERE m.id IN ",
            );
            push_in(&mut q, chunk.iter().cloned());
            q.build().persistent(false).execute(&mut *self.conn).await.map_err(db_err)?;
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT DISTINCT org_key FROM meeting_attendees WHERE org_key IS NOT NULL AND meeting_id IN ",
            );
            push_in(&mut q, chunk.iter().cloned());
            for row in q.build().persistent(false).fetch_all(&mut *self.conn).await.map_err(db_err)? {
                self.orphan_candidates.push(Cols::new(&row, "meeting_attendees").get(0)?);
            }
            let mut q = QueryBuilder::<Sqlite>::new("DELETE FROM meetings WHERE id IN ");
            push_in(&mut q, chunk.iter().cloned());
            q.build().persistent(false).execute(&mut *self.conn).await.map_err(db_err)?;
        }
        Ok(())
    }
}

/// Whole files written in one transaction.
pub(crate) struct SqliteSession {
    tx: Transaction<'static, Sqlite>,
    written: WrittenOrgs,
}

impl SqliteSession {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>) -> Self {
        SqliteSession { tx, written: WrittenOrgs::default() }
    }
}

#[async_trait]
impl SessionWriter for SqliteSession {
    async fn execute(&mut self, sql: &'static str) -> Result<()> {
        sqlx::query(sql).execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn write_run(&mut self, files: &[WholeFile<'_>]) -> Result<Vec<WriteCounts>> {
        let mut writer = SqliteWriter::new(&mut *self.tx, files.iter().map(|f| f.file.clone()).collect());
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
impl ImportSession for SqliteSession {
    async fn write_files(&mut self, files: &[WholeFile<'_>]) -> Result<Vec<Result<WriteCounts>>> {
        write_files(self, files).await
    }

    async fn owe_relink(&mut self) -> Result<()> {
        sqlx::query(lobbyscope_store_sql::OWE_RELINK).execute(&mut *self.tx).await.map_err(db_err)?;
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        // Once per session: folding per file moved every organisation a file mentions in the
        // list's indexes once per file, which doubled the import.
        crate::stats::settle(&mut self.tx).await?;
        self.tx.commit().await.map_err(db_err)
    }
}

/// A meeting to insert, with the identity it was given.
type MeetingRow<'a> = (MeetingId, &'a Facets, &'a Provenance, &'a Meeting, &'a [Option<MentionLink>]);

/// A value used to look a stored record up.
enum Lookup {
    Text(String),
    Int(i64),
}

/// Sorts `items` (key, lookup value, provenance, record) against what is stored. `select` is a
/// query on `table` returning (content_hash, key columns) for the lookup values in the JSON array
/// bound to its one parameter (`IN (SELECT value FROM json_each(?))`), so that it is one
/// statement, prepared once, whatever the batch's length.
async fn plan<'a, K: StoredKey, T: Copy>(
    conn: &mut SqliteConnection,
    table: &'static str,
    select: &'static str,
    items: Vec<(K, Lookup, &'a Provenance, T)>,
) -> Result<Plan<'a, K, T>> {
    let lookups: Vec<serde_json::Value> = items
        .iter()
        .map(|(_, lookup, _, _)| match lookup {
            Lookup::Text(s) => serde_json::Value::from(s.as_str()),
            Lookup::Int(n) => serde_json::Value::from(*n),
        })
        .collect();
    let rows = sqlx::query(select).bind(json(&lookups)).fetch_all(&mut *conn).await.map_err(db_err)?;
    let stored = stored_hashes(rows.iter().map(|row| Cols::new(row, table)))?;
    Ok(sort_batch(items.into_iter().map(|(key, _, prov, record)| (key, prov, record)).collect(), &stored))
}

/// Runs the multi-row INSERTs for `rows` (`insert_statements`: a few fixed sizes, each prepared
/// once per connection).
///
/// Heads say `INSERT OR FAIL`: a failed statement abandons the whole file's or session's
/// transaction anyway, so SQLite need not keep a statement journal to undo it alone (6 % of
/// an import's time in SQLite went to that journal).
pub(crate) async fn insert_rows(conn: &mut SqliteConnection, head: &str, rows: Vec<RowVals>, tail: &str) -> Result<()> {
    for mut q in insert_statements::<Sqlite>(head, rows, tail, MAX_BINDS) {
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

impl<C: DerefMut<Target = SqliteConnection> + Send> SqliteWriter<C> {
    /// Stored meetings sharing a natural key with any of `keys`, loaded once per file.
    async fn load_buckets(&mut self, keys: &[&MeetingKey]) -> Result<()> {
        let missing = self.buckets.to_load(keys);
        if missing.is_empty() {
            return Ok(());
        }
        let keys = json(&missing.iter().map(|k| k.as_str()).collect::<Vec<_>>());
        let rows = sqlx::query(
            "SELECT natural_key, ordinal, content_hash, facets FROM meetings \
             WHERE natural_key IN (SELECT value FROM json_each(?))",
        )
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
}

impl<C: DerefMut<Target = SqliteConnection> + Send> SqliteWriter<C> {
    /// Gives each of `ids` its organisation under its newest register name, as a full linking
    /// pass would, so that a register imported before any mention needs no pass.
    async fn register_organisations(&mut self, ids: &[&RegisterId]) -> Result<()> {
        let mut organisations = Vec::new();
        for chunk in ids.chunks(MAX_BINDS) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT r.register_id, r.name, r.acronym FROM register_entries r WHERE r.snapshot_date = \
                 (SELECT max(n.snapshot_date) FROM register_entries n WHERE n.register_id = r.register_id) \
                 AND r.register_id IN ",
            );
            push_in(&mut q, chunk.iter().map(|id| id.as_str().to_owned()));
            for row in q.build().persistent(false).fetch_all(&mut *self.conn).await.map_err(db_err)? {
                let c = Cols::new(&row, "register_entries");
                let register_id: RegisterId = c.parse(0, |s| RegisterId::parse(s).ok_or("not a register ID"))?;
                let name: String = c.get(1)?;
                let acronym: Option<String> = c.get(2)?;
                organisations.push(Organisation {
                    key: OrgKey::Registered(register_id.clone()),
                    register_id: Some(register_id),
                    acronym: shown_acronym(&name, acronym.as_deref()),
                    name,
                });
            }
        }
        // The register's name wins over every published one (lobbyscope-resolve).
        for o in &organisations {
            self.written.registered(o);
        }
        self.upsert_organisations(
            &organisations,
            " ON CONFLICT (key) DO UPDATE SET register_id = excluded.register_id, name = excluded.name, \
              acronym = excluded.acronym",
        )
        .await
    }

    async fn upsert_organisations(&mut self, organisations: &[Organisation], on_conflict: &str) -> Result<()> {
        insert_rows(
            &mut self.conn,
            &format!("INSERT OR FAIL INTO organisations ({ORGANISATION_COLUMNS}) "),
            organisations.iter().map(organisation_row).collect(),
            on_conflict,
        )
        .await
    }
}

#[async_trait]
impl FileWriter for SqliteWriter<Transaction<'static, Sqlite>> {
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

impl<C: DerefMut<Target = SqliteConnection> + Send> SqliteWriter<C> {
    /// What the end of a file writes: its `import_files` row, the linking pass it leaves owed,
    /// the removal of organisations it orphaned, a new data generation.
    async fn finish(&mut self) -> Result<()> {
        insert_rows(
            &mut self.conn,
            &format!("INSERT OR FAIL INTO import_files ({IMPORT_FILE_COLUMNS}) "),
            self.files.iter().map(import_file_row).collect(),
            " ON CONFLICT (sha256) DO NOTHING",
        )
        .await?;
        if self.register_changed {
            // In this transaction: a crash after the commit cannot lose the linking pass. Owed
            // only when mentions were linked against the register as it was: mentions written
            // after this file are linked against it (ingest imports register files first).
            sqlx::query(
                "UPDATE pending_work SET relink = 1 WHERE EXISTS (SELECT 1 FROM meeting_attendees) \
                 OR EXISTS (SELECT 1 FROM feedback WHERE organization IS NOT NULL OR register_id IS NOT NULL)",
            )
            .execute(&mut *self.conn)
            .await
            .map_err(db_err)?;
        }
        // What a full pass would drop: organisations only the replaced records pointed at. The
        // fold removes those left with nothing (stats::settle), reading the counts it keeps
        // rather than the records, whose indexes a bulk load may have deferred.
        self.orphan_candidates.sort();
        self.orphan_candidates.dedup();
        if !self.orphan_candidates.is_empty() {
            sqlx::query("INSERT INTO agg_log (kind, delta, org_key) SELECT 'c', 0, value FROM json_each(?)")
                .bind(json(&self.orphan_candidates))
                .execute(&mut *self.conn)
                .await
                .map_err(db_err)?;
        }
        crate::bump_generation(&mut self.conn).await
    }
}

#[async_trait]
impl<C: DerefMut<Target = SqliteConnection> + Send> RecordWriter for SqliteWriter<C> {
    async fn write_register(&mut self, items: Vec<(&Provenance, &RegisterEntry)>) -> Result<Vec<Outcome>> {
        let keyed = items
            .into_iter()
            .map(|(p, r)| {
                (
                    (r.register_id.as_str().to_owned(), r.snapshot_date.to_string()),
                    Lookup::Text(r.register_id.as_str().to_owned()),
                    p,
                    r,
                )
            })
            .collect();
        let plan = plan(
            &mut self.conn,
            "register_entries",
            "SELECT content_hash, register_id, snapshot_date FROM register_entries \
             WHERE register_id IN (SELECT value FROM json_each(?))",
            keyed,
        )
        .await?;
        self.register_changed |= !plan.insert.is_empty();
        for (id, snapshot) in &plan.replace {
            sqlx::query("DELETE FROM register_entries WHERE register_id = ? AND snapshot_date = ?")
                .bind(id)
                .bind(snapshot)
                .execute(&mut *self.conn)
                .await
                .map_err(db_err)?;
        }
        let rows = plan.insert.iter().map(|(p, r)| register_row(p, r)).collect();
        insert_rows(&mut self.conn, &format!("INSERT OR FAIL INTO register_entries ({REGISTER_COLUMNS}) "), rows, "")
            .await?;
        self.register_organisations(&plan.insert.iter().map(|(_, r)| &r.register_id).collect::<Vec<_>>()).await?;
        Ok(plan.outcomes)
    }
    async fn write_meetings(&mut self, items: Vec<(&Provenance, WithLinks<'_, Meeting>)>) -> Result<Vec<Outcome>> {
        // Each meeting is matched against the stored meetings sharing its natural key
        // (domain::identity): identical ones first, over the whole batch, so that a correction
        // in the same batch cannot take an identity an exact copy would have kept.
        let keyed: Vec<(MeetingKey, Facets)> = items.iter().map(|(_, (m, _))| (m.natural_key(), m.facets())).collect();
        self.load_buckets(&keyed.iter().map(|(k, _)| k).collect::<Vec<_>>()).await?;
        let assigned: Vec<(&Provenance, &MeetingKey, &Facets)> =
            items.iter().zip(&keyed).map(|((p, _), (key, facets))| (*p, key, facets)).collect();
        let MeetingPlan { insert, replaced, outcomes } = self.buckets.assign(&assigned)?;
        let rows: Vec<MeetingRow> = insert
            .into_iter()
            .map(|(i, id)| {
                let (p, (m, links)) = items[i];
                (id, &keyed[i].1, p, m, links)
            })
            .collect();
        self.keep_history(&replaced).await?;
        let meeting_rows = rows.iter().map(|(id, facets, p, m, _)| meeting_row(id, facets, p, m)).collect();
        insert_rows(&mut self.conn, &format!("INSERT OR FAIL INTO meetings ({MEETING_COLUMNS}) "), meeting_rows, "")
            .await?;
        let parts = MeetingParts::of(rows.iter().map(|(id, _, _, m, links)| (id, *m, *links)));
        insert_rows(
            &mut self.conn,
            &format!("INSERT OR FAIL INTO people ({PEOPLE_COLUMNS}) "),
            parts.people,
            " ON CONFLICT (key) DO NOTHING",
        )
        .await?;
        for (table, columns, rows) in [
            ("meeting_hosts", HOST_COLUMNS, parts.hosts),
            ("meeting_procedures", PROCEDURE_COLUMNS, parts.procedures),
            ("meeting_attendees", ATTENDEE_COLUMNS, parts.attendees),
        ] {
            insert_rows(&mut self.conn, &format!("INSERT OR FAIL INTO {table} ({columns}) "), rows, "").await?;
        }
        Ok(outcomes)
    }
    async fn write_initiatives(&mut self, items: Vec<(&Provenance, &Initiative)>) -> Result<Vec<Outcome>> {
        let keyed = items.into_iter().map(|(p, i)| (i.id as i64, Lookup::Int(i.id as i64), p, i)).collect();
        let plan = plan(
            &mut self.conn,
            "initiatives",
            "SELECT content_hash, id FROM initiatives WHERE id IN (SELECT value FROM json_each(?))",
            keyed,
        )
        .await?;
        for key in &plan.replace {
            // Publications go with it (ON DELETE CASCADE).
            sqlx::query("DELETE FROM initiatives WHERE id = ?")
                .bind(key)
                .execute(&mut *self.conn)
                .await
                .map_err(db_err)?;
        }
        let rows = plan.insert.iter().map(|(p, i)| initiative_row(p, i)).collect();
        insert_rows(&mut self.conn, &format!("INSERT OR FAIL INTO initiatives ({INITIATIVE_COLUMNS}) "), rows, "")
            .await?;
        insert_rows(
            &mut self.conn,
            &format!("INSERT OR FAIL INTO publications ({PUBLICATION_COLUMNS}) "),
            publication_rows(plan.insert.iter().map(|(_, i)| *i)),
            // A publication listed under two initiatives keeps its first one.
            " ON CONFLICT (id) DO NOTHING",
        )
        .await?;
        Ok(plan.outcomes)
    }
    async fn write_feedback(&mut self, items: Vec<(&Provenance, WithLinks<'_, Feedback>)>) -> Result<Vec<Outcome>> {
        let keyed = items.into_iter().map(|(p, f)| (f.0.id as i64, Lookup::Int(f.0.id as i64), p, f)).collect();
        let plan = plan(
            &mut self.conn,
            "feedback",
            "SELECT content_hash, id FROM feedback WHERE id IN (SELECT value FROM json_each(?))",
            keyed,
        )
        .await?;
        for key in &plan.replace {
            let old: Option<Option<String>> = sqlx::query_scalar("DELETE FROM feedback WHERE id = ? RETURNING org_key")
                .bind(key)
                .fetch_optional(&mut *self.conn)
                .await
                .map_err(db_err)?;
            self.orphan_candidates.extend(old.flatten());
        }
        self.orphan_candidates.extend(plan.superseded.iter().filter_map(|(_, links)| feedback_org_key(links)));
        let rows = plan.insert.iter().map(|(p, (f, links))| feedback_row(p, f, links)).collect();
        insert_rows(&mut self.conn, &format!("INSERT OR FAIL INTO feedback ({FEEDBACK_COLUMNS}) "), rows, "").await?;
        Ok(plan.outcomes)
    }
    async fn write_organisations(&mut self, organisations: &[Organisation]) -> Result<()> {
        let fresh: Vec<Organisation> = self.written.to_write(organisations).into_iter().cloned().collect();
        // The name that sorts first wins, whatever order files come in (lobbyscope-resolve).
        self.upsert_organisations(
            &fresh,
            " ON CONFLICT (key) DO UPDATE SET name = excluded.name, acronym = coalesce(excluded.acronym, organisations.acronym) \
              WHERE excluded.name < organisations.name",
        )
        .await
    }
}
