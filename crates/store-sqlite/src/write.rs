//! Writing one file's records inside its transaction.

use std::collections::HashMap;
use std::ops::DerefMut;

use async_trait::async_trait;
use lobbyscope_domain::{
    Candidate, Costs, Facets, Feedback, Initiative, Meeting, MeetingId, MeetingKey, PersonKey, Provenance, Record,
    RegisterEntry, RegisterId, shown_acronym,
};
use lobbyscope_store::{
    FileWriter, ImportFile, ImportSession, MentionLink, OrgKey, Organisation, Result, Stamped, WriteCounts,
};
use lobbyscope_store_sql::plan::{Buckets, MeetingPlan, Plan, sort_batch};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection, Transaction};

use crate::cols::Cols;
use crate::read::push_in;
use crate::rows::{date, int, json, locator_json};
use crate::{MAX_BINDS, db_err, keys};

/// Writes one file on `C`: the file's own transaction, or the connection of an import session
/// that is in a transaction already.
pub(crate) struct SqliteWriter<C> {
    conn: C,
    file: ImportFile,
    /// The stored meetings of each natural key this file's meetings have, with the ones the
    /// file added or matched so far.
    buckets: Buckets,
    /// Whether this file added or changed register entries, so that the commit leaves a full
    /// linking pass owed.
    register_changed: bool,
    /// Organisations the records this file replaced pointed at: removed at commit if nothing
    /// points at them any more.
    orphan_candidates: Vec<String>,
}

impl<C: DerefMut<Target = SqliteConnection> + Send> SqliteWriter<C> {
    pub(crate) fn new(conn: C, file: ImportFile) -> Self {
        SqliteWriter { conn, file, buckets: Buckets::default(), register_changed: false, orphan_candidates: Vec::new() }
    }

    /// Keeps what the meetings `ids` said before this file corrected them, then removes them
    /// (their hosts, procedures and attendees go with them) for their new versions.
    async fn keep_history(&mut self, ids: &[String]) -> Result<()> {
        // Named like provenance: the file, not the importing machine's folders.
        let path = std::path::Path::new(&self.file.file);
        let replaced_by = path.file_name().map_or(self.file.file.clone(), |n| n.to_string_lossy().into_owned());
        for chunk in ids.chunks(MAX_BINDS - 2) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO meeting_history (meeting_id, version, replaced_at, replaced_by, date, subject, hosts, \
                 location, attendees_raw, source, file, locator, imported_at, content_hash) SELECT m.id, \
                 (SELECT count(*) FROM meeting_history v WHERE v.meeting_id = m.id) + 1, ",
            );
            q.push_bind(self.file.imported_at.clone()).push(", ").push_bind(replaced_by.clone()).push(
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
}

impl SqliteSession {
    pub(crate) fn new(tx: Transaction<'static, Sqlite>) -> Self {
        SqliteSession { tx }
    }
}

#[async_trait]
impl ImportSession for SqliteSession {
    async fn write_file(
        &mut self,
        file: &ImportFile,
        records: &[Stamped],
        organisations: &[Organisation],
    ) -> Result<WriteCounts> {
        let mut writer = SqliteWriter::new(&mut *self.tx, file.clone());
        let counts = writer.write_batch(records, organisations).await?;
        writer.finish().await?;
        Ok(counts)
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        // Once per session: folding per file moved every organisation a file mentions in the
        // list's indexes once per file, which doubled the import.
        crate::stats::settle(&mut self.tx).await?;
        self.tx.commit().await.map_err(db_err)
    }
}

/// A record with the links of its organisation mentions.
type WithLinks<'a, T> = (&'a T, &'a [Option<MentionLink>]);

/// A meeting to insert, with the identity it was given.
type MeetingRow<'a> = (MeetingId, &'a Facets, &'a Provenance, &'a Meeting, &'a [Option<MentionLink>]);

/// A value used to look a stored record up.
enum Lookup {
    Text(String),
    Int(i64),
}

/// Sorts `items` (key, lookup value, provenance, record) against what is stored. `select` is a
/// query on `table` returning (key, content_hash) for the lookup values in the JSON array
/// bound to its one parameter (`IN (SELECT value FROM json_each(?))`), so that it is one
/// statement, prepared once, whatever the batch's length.
async fn plan<'a, T: Copy>(
    conn: &mut SqliteConnection,
    table: &'static str,
    select: &'static str,
    items: Vec<(String, Lookup, &'a Provenance, T)>,
) -> Result<Plan<'a, T>> {
    let lookups: Vec<serde_json::Value> = items
        .iter()
        .map(|(_, lookup, _, _)| match lookup {
            Lookup::Text(s) => serde_json::Value::from(s.as_str()),
            Lookup::Int(n) => serde_json::Value::from(*n),
        })
        .collect();
    let lookups = json(&lookups);
    let mut stored: HashMap<String, String> = HashMap::new();
    for row in sqlx::query(select).bind(lookups).fetch_all(&mut *conn).await.map_err(db_err)? {
        let c = Cols::new(&row, table);
        stored.insert(c.get(0)?, c.get(1)?);
    }
    Ok(sort_batch(items.into_iter().map(|(key, _, prov, record)| (key, prov, record)).collect(), &stored))
}

/// Runs a multi-row INSERT for `rows`, `columns` binds per row, in statements of a few fixed
/// sizes: the most rows the parameter limit allows, then powers of two for the rest. Each size
/// is prepared once per connection and reused; preparing a statement of every length a file
/// happened to have cost about a tenth of an import.
///
/// Heads say `INSERT OR FAIL`: a failed statement abandons the whole file's or session's
/// transaction anyway, so SQLite need not keep a statement journal to undo it alone (6 % of
/// an import's time in SQLite went to that journal).
async fn insert_rows<R>(
    conn: &mut SqliteConnection,
    head: &str,
    columns: usize,
    rows: &[R],
    tail: &str,
    mut bind: impl FnMut(&mut sqlx::query_builder::Separated<'_, Sqlite, &'static str>, &R),
) -> Result<()> {
    let mut rest = rows;
    while !rest.is_empty() {
        let (chunk, more) = rest.split_at(statement_rows(rest.len(), columns));
        rest = more;
        let mut q = QueryBuilder::<Sqlite>::new(head);
        q.push_values(chunk, |mut b, r| bind(&mut b, r));
        q.push(tail);
        q.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}

/// Rows in the next statement when `left` rows of `columns` binds remain to be written: the
/// largest power of two that is at most `left` and fits [`MAX_BINDS`].
fn statement_rows(left: usize, columns: usize) -> usize {
    let most = (MAX_BINDS / columns.max(1)).max(1);
    let fits = left.min(most);
    1 << fits.ilog2()
}

fn prov_cols(p: &Provenance) -> [String; 5] {
    [
        p.source.as_str().to_owned(),
        p.file.clone(),
        locator_json(&p.locator),
        p.imported_at.clone(),
        p.content_hash.clone(),
    ]
}

impl<C: DerefMut<Target = SqliteConnection> + Send> SqliteWriter<C> {
    async fn write_register(&mut self, items: Vec<(&Provenance, &RegisterEntry)>) -> Result<WriteCounts> {
        let keyed = items
            .into_iter()
            .map(|(p, r)| {
                (
                    format!("{}|{}", r.register_id, r.snapshot_date),
                    Lookup::Text(r.register_id.as_str().to_owned()),
                    p,
                    r,
                )
            })
            .collect();
        let plan = plan(
            &mut self.conn,
            "register_entries",
            "SELECT register_id || '|' || snapshot_date, content_hash FROM register_entries \
             WHERE register_id IN (SELECT value FROM json_each(?))",
            keyed,
        )
        .await?;
        self.register_changed |= !plan.insert.is_empty();
        for key in &plan.replace {
            let (id, snapshot) = key.split_once('|').expect("register keys hold a '|'");
            sqlx::query("DELETE FROM register_entries WHERE register_id = ? AND snapshot_date = ?")
                .bind(id)
                .bind(snapshot)
                .execute(&mut *self.conn)
                .await
                .map_err(db_err)?;
        }
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO register_entries (register_id, snapshot_date, name, acronym, entity_form, category, \
             head_office_country, head_office_city, website, goals, levels_of_interest, fields_of_interest, \
             eu_legislative_proposals, members, fte, ep_accredited, costs_min, costs_max, costs_amount, \
             financial_year_start, financial_year_end, registration_date, last_update_date, \
             source, file, locator, imported_at, content_hash) ",
            28,
            &plan.insert,
            "",
            |b, (p, r)| {
                let (min, max, amount) = match r.costs {
                    Some(Costs::Range { min, max }) => (Some(min), Some(max), None),
                    Some(Costs::Amount { amount }) => (None, None, Some(amount)),
                    None => (None, None, None),
                };
                b.push_bind(r.register_id.as_str().to_owned())
                    .push_bind(r.snapshot_date.to_string())
                    .push_bind(r.name.clone())
                    .push_bind(r.acronym.clone())
                    .push_bind(r.entity_form.clone())
                    .push_bind(r.category.clone())
                    .push_bind(r.head_office_country.clone())
                    .push_bind(r.head_office_city.clone())
                    .push_bind(r.website.clone())
                    .push_bind(r.goals.clone())
                    .push_bind(json(&r.levels_of_interest))
                    .push_bind(json(&r.fields_of_interest))
                    .push_bind(r.eu_legislative_proposals.clone())
                    .push_bind(r.members.map(i64::from))
                    .push_bind(r.fte)
                    .push_bind(r.ep_accredited.map(i64::from))
                    .push_bind(int(min))
                    .push_bind(int(max))
                    .push_bind(int(amount))
                    .push_bind(date(&r.financial_year_start))
                    .push_bind(date(&r.financial_year_end))
                    .push_bind(date(&r.registration_date))
                    .push_bind(date(&r.last_update_date));
                for c in prov_cols(p) {
                    b.push_bind(c);
                }
            },
        )
        .await?;
        self.register_organisations(&plan.insert.iter().map(|(_, r)| &r.register_id).collect::<Vec<_>>()).await?;
        Ok(plan.counts)
    }

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

    async fn write_meetings(&mut self, items: Vec<(&Provenance, WithLinks<'_, Meeting>)>) -> Result<WriteCounts> {
        // Each meeting is matched against the stored meetings sharing its natural key
        // (domain::identity): identical ones first, over the whole batch, so that a correction
        // in the same batch cannot take an identity an exact copy would have kept.
        let keyed: Vec<(MeetingKey, Facets)> = items.iter().map(|(_, (m, _))| (m.natural_key(), m.facets())).collect();
        self.load_buckets(&keyed.iter().map(|(k, _)| k).collect::<Vec<_>>()).await?;
        let assigned: Vec<(&Provenance, &MeetingKey, &Facets)> =
            items.iter().zip(&keyed).map(|((p, _), (key, facets))| (*p, key, facets)).collect();
        let MeetingPlan { insert, replaced, counts } = self.buckets.assign(&assigned)?;
        let rows: Vec<MeetingRow> = insert
            .into_iter()
            .map(|(i, id)| {
                let (p, (m, links)) = items[i];
                (id, &keyed[i].1, p, m, links)
            })
            .collect();
        self.keep_history(&replaced).await?;
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO meetings (id, natural_key, ordinal, facets, institution, date, cabinet, dg, dg_acronym, \
             portfolio, location, subject, attendees_raw, source, file, locator, imported_at, content_hash) ",
            18,
            &rows,
            "",
            |b, (id, facets, p, m, _)| {
                b.push_bind(id.to_string())
                    .push_bind(id.key().as_str().to_owned())
                    .push_bind(i64::from(id.ordinal()))
                    .push_bind(facets.to_string())
                    .push_bind(m.institution.as_str())
                    .push_bind(m.date.to_string())
                    .push_bind(m.cabinet.clone())
                    .push_bind(m.dg.clone())
                    .push_bind(m.dg_acronym.clone())
                    .push_bind(m.portfolio.clone())
                    .push_bind(m.location.clone())
                    .push_bind(m.subject.clone())
                    .push_bind(m.attendees_raw.clone());
                for c in prov_cols(p) {
                    b.push_bind(c);
                }
            },
        )
        .await?;

        let mut people = Vec::new();
        let mut hosts = Vec::new();
        let mut procedures = Vec::new();
        let mut attendees = Vec::new();
        for (id, _, _, m, links) in &rows {
            let id = id.to_string();
            for (i, h) in m.hosts.iter().enumerate() {
                let person = PersonKey::of(m.institution, h);
                let (key, kind) = (keys::person_key(&person), keys::person_kind(&person));
                people.push((key.clone(), kind, h.name.clone(), h.ep_id));
                hosts.push((id.clone(), i as i64, key, h.name.clone(), h.role.clone()));
            }
            for r in &m.procedures {
                procedures.push((id.clone(), r.as_str().to_owned()));
            }
            for (i, a) in m.attendees.iter().enumerate() {
                let link = links.get(i).cloned().flatten();
                attendees.push((
                    id.clone(),
                    i as i64,
                    a.name.clone(),
                    a.register_id.as_ref().map(|r| r.as_str().to_owned()),
                    link,
                ));
            }
        }
        people.sort_by(|a, b| a.0.cmp(&b.0));
        people.dedup_by(|a, b| a.0 == b.0);
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO people (key, kind, name, ep_id) ",
            4,
            &people,
            " ON CONFLICT (key) DO NOTHING",
            |b, p| {
                b.push_bind(p.0.clone()).push_bind(p.1).push_bind(p.2.clone()).push_bind(int(p.3));
            },
        )
        .await?;
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO meeting_hosts (meeting_id, position, person_key, name, role) ",
            5,
            &hosts,
            "",
            |b, h| {
                b.push_bind(h.0.clone())
                    .push_bind(h.1)
                    .push_bind(h.2.clone())
                    .push_bind(h.3.clone())
                    .push_bind(h.4.clone());
            },
        )
        .await?;
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO meeting_procedures (meeting_id, reference) ",
            2,
            &procedures,
            "",
            |b, r| {
                b.push_bind(r.0.clone()).push_bind(r.1.clone());
            },
        )
        .await?;
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO meeting_attendees (meeting_id, position, name, register_id, org_key, link_method) ",
            6,
            &attendees,
            "",
            |b, a| {
                b.push_bind(a.0.clone()).push_bind(a.1).push_bind(a.2.clone()).push_bind(a.3.clone());
                b.push_bind(a.4.as_ref().map(|l| keys::org_key(&l.org)))
                    .push_bind(a.4.as_ref().map(|l| l.method.as_str()));
            },
        )
        .await?;
        Ok(counts)
    }

    async fn write_initiatives(&mut self, items: Vec<(&Provenance, &Initiative)>) -> Result<WriteCounts> {
        let keyed = items.into_iter().map(|(p, i)| (i.id.to_string(), Lookup::Int(i.id as i64), p, i)).collect();
        let plan = plan(
            &mut self.conn,
            "initiatives",
            "SELECT CAST(id AS TEXT), content_hash FROM initiatives WHERE id IN (SELECT value FROM json_each(?))",
            keyed,
        )
        .await?;
        for key in &plan.replace {
            // Publications go with it (ON DELETE CASCADE).
            sqlx::query("DELETE FROM initiatives WHERE id = ?")
                .bind(key.parse::<i64>().expect("initiative keys are ids"))
                .execute(&mut *self.conn)
                .await
                .map_err(db_err)?;
        }
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO initiatives (id, reference, short_title, dg, unit, status, foreseen_act_type, stage, \
             receiving_feedback_status, topics, published_date, modified_date, source, file, locator, imported_at, content_hash) ",
            17,
            &plan.insert,
            "",
            |b, (p, i)| {
                b.push_bind(i.id as i64)
                    .push_bind(i.reference.clone())
                    .push_bind(i.short_title.clone())
                    .push_bind(i.dg.clone())
                    .push_bind(i.unit.clone())
                    .push_bind(i.status.clone())
                    .push_bind(i.foreseen_act_type.clone())
                    .push_bind(i.stage.clone())
                    .push_bind(i.receiving_feedback_status.clone())
                    .push_bind(json(&i.topics))
                    .push_bind(date(&i.published_date))
                    .push_bind(date(&i.modified_date));
                for c in prov_cols(p) {
                    b.push_bind(c);
                }
            },
        )
        .await?;
        let publications: Vec<_> = plan
            .insert
            .iter()
            .flat_map(|(_, i)| i.publications.iter().enumerate().map(move |(n, p)| (i.id, n, p)))
            .collect();
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO publications (id, initiative_id, position, kind, reference, total_feedback, adoption_date, attachments) ",
            8,
            &publications,
            // A publication listed under two initiatives keeps its first one.
            " ON CONFLICT (id) DO NOTHING",
            |b, (initiative, n, p)| {
                b.push_bind(p.id as i64)
                    .push_bind(*initiative as i64)
                    .push_bind(*n as i64)
                    .push_bind(p.kind.clone())
                    .push_bind(p.reference.clone())
                    .push_bind(int(p.total_feedback))
                    .push_bind(date(&p.adoption_date))
                    .push_bind(json(&p.attachments));
            },
        )
        .await?;
        Ok(plan.counts)
    }

    async fn write_feedback(&mut self, items: Vec<(&Provenance, WithLinks<'_, Feedback>)>) -> Result<WriteCounts> {
        let keyed = items.into_iter().map(|(p, f)| (f.0.id.to_string(), Lookup::Int(f.0.id as i64), p, f)).collect();
        let plan = plan(
            &mut self.conn,
            "feedback",
            "SELECT CAST(id AS TEXT), content_hash FROM feedback WHERE id IN (SELECT value FROM json_each(?))",
            keyed,
        )
        .await?;
        for key in &plan.replace {
            let old: Option<Option<String>> = sqlx::query_scalar("DELETE FROM feedback WHERE id = ? RETURNING org_key")
                .bind(key.parse::<i64>().expect("feedback keys are ids"))
                .fetch_optional(&mut *self.conn)
                .await
                .map_err(db_err)?;
            self.orphan_candidates.extend(old.flatten());
        }
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO feedback (id, publication_id, reference_initiative, date, language, user_type, country, \
             company_size, organization, first_name, surname, register_id, text, attachments, org_key, link_method, \
             source, file, locator, imported_at, content_hash) ",
            21,
            &plan.insert,
            "",
            |b, (p, (f, links))| {
                let link = links.first().cloned().flatten();
                b.push_bind(f.id as i64)
                    .push_bind(int(f.publication_id))
                    .push_bind(f.reference_initiative.clone())
                    .push_bind(date(&f.date))
                    .push_bind(f.language.clone())
                    .push_bind(f.user_type.clone())
                    .push_bind(f.country.clone())
                    .push_bind(f.company_size.clone())
                    .push_bind(f.organization.clone())
                    .push_bind(f.first_name.clone())
                    .push_bind(f.surname.clone())
                    .push_bind(f.register_id.as_ref().map(|r| r.as_str().to_owned()))
                    .push_bind(f.text.clone())
                    .push_bind(json(&f.attachments))
                    .push_bind(link.as_ref().map(|l| keys::org_key(&l.org)))
                    .push_bind(link.as_ref().map(|l| l.method.as_str()));
                for c in prov_cols(p) {
                    b.push_bind(c);
                }
            },
        )
        .await?;
        Ok(plan.counts)
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
        self.upsert_organisations(
            &organisations,
            " ON CONFLICT (key) DO UPDATE SET register_id = excluded.register_id, name = excluded.name, \
              acronym = excluded.acronym",
        )
        .await
    }

    async fn write_organisations(&mut self, organisations: &[Organisation]) -> Result<()> {
        // The name that sorts first wins, whatever order files come in (lobbyscope-resolve).
        self.upsert_organisations(
            organisations,
            " ON CONFLICT (key) DO UPDATE SET name = excluded.name, acronym = coalesce(excluded.acronym, organisations.acronym) \
              WHERE excluded.name < organisations.name",
        )
        .await
    }

    async fn upsert_organisations(&mut self, organisations: &[Organisation], on_conflict: &str) -> Result<()> {
        insert_rows(
            &mut self.conn,
            "INSERT OR FAIL INTO organisations (key, register_id, name, acronym) ",
            4,
            organisations,
            on_conflict,
            |b, o| {
                b.push_bind(keys::org_key(&o.key))
                    .push_bind(o.register_id.as_ref().map(|id| id.as_str().to_owned()))
                    .push_bind(o.name.clone())
                    .push_bind(o.acronym.clone());
            },
        )
        .await
    }
}

#[async_trait]
impl FileWriter for SqliteWriter<Transaction<'static, Sqlite>> {
    async fn write(&mut self, batch: &[Stamped], organisations: &[Organisation]) -> Result<WriteCounts> {
        self.write_batch(batch, organisations).await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.finish().await?;
        crate::stats::settle(&mut self.conn).await?;
        self.conn.commit().await.map_err(db_err)
    }
}

impl<C: DerefMut<Target = SqliteConnection> + Send> SqliteWriter<C> {
    async fn write_batch(&mut self, batch: &[Stamped], organisations: &[Organisation]) -> Result<WriteCounts> {
        let (mut register, mut meetings, mut initiatives, mut feedback) = (vec![], vec![], vec![], vec![]);
        for s in batch {
            match &s.record {
                Record::Register(r) => register.push((&s.prov, r)),
                Record::Meeting(m) => meetings.push((&s.prov, (m, s.links.as_slice()))),
                Record::Initiative(i) => initiatives.push((&s.prov, i)),
                Record::Feedback(f) => feedback.push((&s.prov, (f, s.links.as_slice()))),
            }
        }
        let mut counts = WriteCounts::default();
        if !register.is_empty() {
            counts += self.write_register(register).await?;
        }
        if !meetings.is_empty() {
            counts += self.write_meetings(meetings).await?;
        }
        if !initiatives.is_empty() {
            counts += self.write_initiatives(initiatives).await?;
        }
        if !feedback.is_empty() {
            counts += self.write_feedback(feedback).await?;
        }
        self.write_organisations(organisations).await?;
        Ok(counts)
    }

    /// What the end of a file writes: its `import_files` row, the linking pass it leaves owed,
    /// the removal of organisations it orphaned, a new data generation.
    async fn finish(&mut self) -> Result<()> {
        sqlx::query("INSERT INTO import_files (sha256, file, source, imported_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING")
            .bind(&self.file.sha256)
            .bind(&self.file.file)
            .bind(self.file.source.as_str())
            .bind(&self.file.imported_at)
            .execute(&mut *self.conn)
            .await
            .map_err(db_err)?;
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

#[cfg(test)]
mod tests {
    use super::statement_rows;

    #[test]
    fn statements_come_in_few_sizes() {
        let mut sizes = std::collections::BTreeSet::new();
        for rows in 1..5000 {
            let (mut left, mut written) = (rows, 0);
            while left > 0 {
                let n = statement_rows(left, 21);
                assert!(n <= left && n * 21 <= crate::MAX_BINDS, "{n} rows of 21 binds, {left} left");
                sizes.insert(n);
                (left, written) = (left - n, written + n);
            }
            assert_eq!(written, rows);
        }
        // 1, 2, 4, ... 1024: eleven statements to prepare per table, whatever the files.
        assert_eq!(sizes.len(), 11);
        assert_eq!(statement_rows(3000, 1), 2048);
        assert_eq!(statement_rows(5, 40_000), 1, "a row wider than the limit still goes alone");
    }
}
