//! A full linking pass, page by page inside one write transaction: mentions are read by keyset
//! (meetings by id, then responses by id), and links and the organisation list go through
//! temporary tables, so that only rows whose link changes are written.

use async_trait::async_trait;
use lobbyscope_store::{
    LinkMethod, LinkedMention, Mention, MentionGroup, MentionRef, OrgKey, Organisation, Relinker, Result,
};
use sqlx::{Postgres, QueryBuilder, Transaction};

use lobbyscope_store_sql::map::corrupt;
use lobbyscope_store_sql::{Cols, keys};

use crate::{MAX_BINDS, bump_generation, db_err};

/// Where the pass has read up to.
enum Cursor {
    /// Meeting attendees, after this meeting id (`None`: from the start).
    Meetings(Option<String>),
    /// Consultation responses, after this id.
    Responses(Option<i64>),
    Done,
}

pub(crate) struct PgRelinker {
    tx: Transaction<'static, Postgres>,
    cursor: Cursor,
}

impl PgRelinker {
    pub(crate) async fn new(mut tx: Transaction<'static, Postgres>) -> Result<PgRelinker> {
        for sql in [
            "CREATE TEMP TABLE IF NOT EXISTS link_attendee (meeting_id TEXT COLLATE \"C\", position BIGINT, org_key TEXT COLLATE \"C\", method TEXT, PRIMARY KEY (meeting_id, position))",
            "CREATE TEMP TABLE IF NOT EXISTS link_feedback (id BIGINT PRIMARY KEY, org_key TEXT COLLATE \"C\", method TEXT)",
            "CREATE TEMP TABLE IF NOT EXISTS org_new (key TEXT COLLATE \"C\" PRIMARY KEY, register_id TEXT, name TEXT COLLATE \"C\", acronym TEXT)",
            "DELETE FROM org_new",
        ] {
            sqlx::query(sql).execute(&mut *tx).await.map_err(db_err)?;
        }
        Ok(PgRelinker { tx, cursor: Cursor::Meetings(None) })
    }

    /// The attendees of the meetings after `after`, whole meetings of about `limit` mentions.
    async fn meeting_groups(&mut self, after: Option<String>, limit: usize) -> Result<Vec<MentionGroup>> {
        let after = after.unwrap_or_default();
        // The last meeting of the page: the `limit`-th attendee's meeting, so that no meeting's
        // group is split between pages.
        let last: Option<String> = sqlx::query_scalar(
            "SELECT max(meeting_id) FROM (SELECT meeting_id FROM meeting_attendees WHERE meeting_id > $1 \
             ORDER BY meeting_id, position LIMIT $2) AS page",
        )
        .bind(&after)
        .bind(limit as i64)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db_err)?;
        let Some(last) = last else { return Ok(Vec::new()) };
        let rows = sqlx::query(
            "SELECT meeting_id, position, name, register_id FROM meeting_attendees \
             WHERE meeting_id > $1 AND meeting_id <= $2 ORDER BY meeting_id, position",
        )
        .bind(&after)
        .bind(&last)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        let mut groups: Vec<MentionGroup> = Vec::new();
        let mut current: Option<String> = None;
        for r in &rows {
            let c = Cols::new(r, "meeting_attendees");
            let meeting_id: String = c.get(0)?;
            let mention = Mention {
                at: MentionRef::Attendee { meeting_id: meeting_id.clone(), position: c.u32(1)? },
                name: c.get(2)?,
                register_id: c.register_id_opt(3)?,
            };
            match groups.last_mut() {
                Some(g) if current.as_deref() == Some(meeting_id.as_str()) => g.mentions.push(mention),
                _ => {
                    groups.push(MentionGroup { mentions: vec![mention] });
                    current = Some(meeting_id);
                }
            }
        }
        self.cursor = Cursor::Meetings(Some(last));
        Ok(groups)
    }

    async fn response_groups(&mut self, after: Option<i64>, limit: usize) -> Result<Vec<MentionGroup>> {
        let rows = sqlx::query(
            "SELECT id, organization, register_id FROM feedback \
             WHERE id > $1 AND (organization IS NOT NULL OR register_id IS NOT NULL) ORDER BY id LIMIT $2",
        )
        .bind(after.unwrap_or(i64::MIN))
        .bind(limit as i64)
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db_err)?;
        let mut groups = Vec::with_capacity(rows.len());
        let mut last = after;
        for r in &rows {
            let c = Cols::new(r, "feedback");
            let id: i64 = c.get(0)?;
            last = Some(id);
            groups.push(MentionGroup {
                mentions: vec![Mention {
                    at: MentionRef::Feedback { id: c.u64(0)? },
                    name: c.get(1)?,
                    register_id: c.register_id_opt(2)?,
                }],
            });
        }
        self.cursor = Cursor::Responses(last);
        Ok(groups)
    }
}

#[async_trait]
impl Relinker for PgRelinker {
    async fn next_groups(&mut self, limit: usize) -> Result<Vec<MentionGroup>> {
        let limit = limit.max(1);
        loop {
            match std::mem::replace(&mut self.cursor, Cursor::Done) {
                Cursor::Meetings(after) => {
                    let groups = self.meeting_groups(after, limit).await?;
                    if !groups.is_empty() {
                        return Ok(groups);
                    }
                    self.cursor = Cursor::Responses(None);
                }
                Cursor::Responses(after) => {
                    let groups = self.response_groups(after, limit).await?;
                    if groups.is_empty() {
                        self.cursor = Cursor::Done;
                    }
                    return Ok(groups);
                }
                Cursor::Done => return Ok(Vec::new()),
            }
        }
    }

    async fn write_links(&mut self, links: &[LinkedMention]) -> Result<u64> {
        for sql in ["DELETE FROM link_attendee", "DELETE FROM link_feedback"] {
            sqlx::query(sql).execute(&mut *self.tx).await.map_err(db_err)?;
        }
        let mut attendees: Vec<(&str, u32, &OrgKey, LinkMethod)> = Vec::new();
        let mut feedback: Vec<(i64, &OrgKey, LinkMethod)> = Vec::new();
        for l in links {
            match &l.at {
                MentionRef::Attendee { meeting_id, position } => {
                    attendees.push((meeting_id, *position, &l.org, l.method))
                }
                MentionRef::Feedback { id } => {
                    let id = i64::try_from(*id).map_err(|_| corrupt(format!("a response id out of range: {id}")))?;
                    feedback.push((id, &l.org, l.method));
                }
            }
        }
        for chunk in attendees.chunks(MAX_BINDS / 4) {
            let mut q =
                QueryBuilder::<Postgres>::new("INSERT INTO link_attendee (meeting_id, position, org_key, method) ");
            q.push_values(chunk, |mut b, (meeting, position, org, method)| {
                b.push_bind(meeting.to_string())
                    .push_bind(i64::from(*position))
                    .push_bind(keys::org_key(org))
                    .push_bind(method.as_str());
            });
            q.build().execute(&mut *self.tx).await.map_err(db_err)?;
        }
        for chunk in feedback.chunks(MAX_BINDS / 3) {
            let mut q = QueryBuilder::<Postgres>::new("INSERT INTO link_feedback (id, org_key, method) ");
            q.push_values(chunk, |mut b, (id, org, method)| {
                b.push_bind(*id).push_bind(keys::org_key(org)).push_bind(method.as_str());
            });
            q.build().execute(&mut *self.tx).await.map_err(db_err)?;
        }
        let mut changed = 0;
        // Only rows whose link differs are written, so relinking unchanged data writes nothing.
        for sql in [
            "UPDATE meeting_attendees SET org_key = l.org_key, link_method = l.method FROM link_attendee l
             WHERE l.meeting_id = meeting_attendees.meeting_id AND l.position = meeting_attendees.position
               AND (meeting_attendees.org_key IS DISTINCT FROM l.org_key OR meeting_attendees.link_method IS DISTINCT FROM l.method)",
            "UPDATE feedback SET org_key = l.org_key, link_method = l.method FROM link_feedback l
             WHERE l.id = feedback.id AND (feedback.org_key IS DISTINCT FROM l.org_key OR feedback.link_method IS DISTINCT FROM l.method)",
        ] {
            changed += sqlx::query(sql).execute(&mut *self.tx).await.map_err(db_err)?.rows_affected();
        }
        Ok(changed)
    }

    async fn finish(mut self: Box<Self>, organisations: &[Organisation]) -> Result<()> {
        for chunk in organisations.chunks(MAX_BINDS / 4) {
            let mut q = QueryBuilder::<Postgres>::new("INSERT INTO org_new (key, register_id, name, acronym) ");
            q.push_values(chunk, |mut b, o| {
                b.push_bind(keys::org_key(&o.key))
                    .push_bind(o.register_id.as_ref().map(|id| id.as_str().to_owned()))
                    .push_bind(o.name.clone())
                    .push_bind(o.acronym.clone());
            });
            q.build().execute(&mut *self.tx).await.map_err(db_err)?;
        }
        for sql in [
            "DELETE FROM organisations WHERE key NOT IN (SELECT key FROM org_new)",
            "INSERT INTO organisations (key, register_id, name, acronym) SELECT key, register_id, name, acronym FROM org_new WHERE true
             ON CONFLICT (key) DO UPDATE SET register_id = excluded.register_id, name = excluded.name, acronym = excluded.acronym
             WHERE organisations.register_id IS DISTINCT FROM excluded.register_id
                OR organisations.name IS DISTINCT FROM excluded.name OR organisations.acronym IS DISTINCT FROM excluded.acronym",
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
