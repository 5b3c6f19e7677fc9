//! The aggregates pages read instead of counting. Statement triggers note each change to
//! meetings, their linked attendees and responses in `agg_log`; [`settle`] folds the notes into
//! the aggregates with set-based statements before the transaction commits: the same fold as
//! the SQLite store's, in PostgreSQL's terms.

use lobbyscope_store::Result;
use sqlx::PgConnection;

use crate::db_err;

/// The fold, in order: records counted, responses per publication, published names, responses
/// per quarter, the organisations' meetings and the quarters they change, then the counts of
/// every organisation noted, recounted from its quarters, and the organisations left with
/// nothing removed.
const FOLD: [&str; 14] = [
    "UPDATE record_counts SET n = n + c.delta \
     FROM (SELECT CASE kind WHEN 'r' THEN 'responses' ELSE institution || '_meetings' END AS name, \
             sum(delta) AS delta \
           FROM agg_log WHERE kind IN ('r', 'm') GROUP BY 1) AS c \
     WHERE record_counts.name = c.name",
    "INSERT INTO publication_counts (publication_id, user_type, country, responses) \
     SELECT publication_id, coalesce(user_type, ''), coalesce(country, ''), sum(delta) FROM agg_log \
     WHERE kind = 'r' AND publication_id IS NOT NULL GROUP BY 1, 2, 3 HAVING sum(delta) <> 0 \
     ON CONFLICT (publication_id, user_type, country) \
     DO UPDATE SET responses = publication_counts.responses + excluded.responses",
    // A published name longer than any organisation's (resolve::MAX_NAME_BYTES) is not one of
    // its names: no index entry can hold it, and both backends show the same names.
    "INSERT INTO org_names (org_key, name, mentions) \
     SELECT org_key, name, sum(delta) FROM agg_log \
     WHERE kind IN ('r', 'a') AND org_key IS NOT NULL AND name IS NOT NULL AND octet_length(name) <= 1000 \
     GROUP BY 1, 2 HAVING sum(delta) <> 0 \
     ON CONFLICT (org_key, name) DO UPDATE SET mentions = org_names.mentions + excluded.mentions",
    "DELETE FROM org_names WHERE mentions = 0 AND (org_key, name) IN \
     (SELECT org_key, name FROM agg_log WHERE org_key IS NOT NULL AND name IS NOT NULL AND delta < 0)",
    "INSERT INTO org_quarters (org_key, quarter, responses) \
     SELECT org_key, quarter, sum(delta) FROM agg_log \
     WHERE kind = 'r' AND org_key IS NOT NULL GROUP BY 1, 2 HAVING sum(delta) <> 0 \
     ON CONFLICT (org_key, quarter) DO UPDATE SET responses = org_quarters.responses + excluded.responses",
    // A meeting counts once for an organisation however many of its attendees it was: the
    // pairs noted are compared with the attendees as they now are.
    "INSERT INTO agg_meetings (org_key, meeting_id, date, quarter, institution, delta) \
     SELECT om.org_key, om.meeting_id, om.date, om.quarter, om.institution, -1 \
     FROM (SELECT DISTINCT org_key, meeting_id FROM agg_log WHERE kind = 'a' AND delta < 0) AS l \
     JOIN org_meetings om ON om.org_key = l.org_key AND om.meeting_id = l.meeting_id \
     WHERE NOT EXISTS (SELECT 1 FROM meeting_attendees a WHERE a.meeting_id = om.meeting_id AND a.org_key = om.org_key)",
    "INSERT INTO agg_meetings (org_key, meeting_id, date, quarter, institution, delta) \
     SELECT l.org_key, m.id, m.date, m.quarter, m.institution, 1 \
     FROM (SELECT DISTINCT org_key, meeting_id FROM agg_log WHERE kind = 'a' AND delta > 0) AS l \
     JOIN meetings m ON m.id = l.meeting_id \
     WHERE NOT EXISTS (SELECT 1 FROM org_meetings om WHERE om.org_key = l.org_key AND om.meeting_id = l.meeting_id) \
       AND EXISTS (SELECT 1 FROM meeting_attendees a WHERE a.meeting_id = m.id AND a.org_key = l.org_key)",
    "DELETE FROM org_meetings WHERE (org_key, meeting_id) IN (SELECT org_key, meeting_id FROM agg_meetings WHERE delta < 0)",
    "INSERT INTO org_meetings (org_key, meeting_id, date, quarter, institution) \
     SELECT org_key, meeting_id, date, quarter, institution FROM agg_meetings WHERE delta > 0",
    "INSERT INTO org_quarters (org_key, quarter, commission, parliament) \
     SELECT org_key, quarter, sum(CASE WHEN institution = 'commission' THEN delta ELSE 0 END), \
       sum(CASE WHEN institution = 'parliament' THEN delta ELSE 0 END) \
     FROM agg_meetings GROUP BY 1, 2 \
     ON CONFLICT (org_key, quarter) DO UPDATE SET commission = org_quarters.commission + excluded.commission, \
       parliament = org_quarters.parliament + excluded.parliament",
    // Only rows whose counts differ are written, so that unchanged organisations keep their
    // index entries.
    "UPDATE organisations SET commission = s.commission, parliament = s.parliament, responses = s.responses \
     FROM (SELECT d.org_key, coalesce(sum(q.commission), 0) AS commission, \
             coalesce(sum(q.parliament), 0) AS parliament, coalesce(sum(q.responses), 0) AS responses \
           FROM (SELECT DISTINCT org_key FROM agg_log WHERE org_key IS NOT NULL) AS d \
           LEFT JOIN org_quarters q ON q.org_key = d.org_key GROUP BY d.org_key) AS s \
     WHERE organisations.key = s.org_key AND (organisations.commission <> s.commission \
       OR organisations.parliament <> s.parliament OR organisations.responses <> s.responses)",
    // Organisations that records replaced in this transaction pointed at ('c'), left with no
    // meeting, response or register entry: what a full linking pass would drop.
    "DELETE FROM organisations WHERE key IN (SELECT org_key FROM agg_log WHERE kind = 'c') \
     AND commission = 0 AND parliament = 0 AND responses = 0 \
     AND NOT EXISTS (SELECT 1 FROM register_entries r WHERE r.register_id = organisations.register_id)",
    "DELETE FROM agg_log",
    "DELETE FROM agg_meetings",
];

/// Folds what this transaction changed into the aggregates. Every transaction that writes
/// records, mentions or organisations calls it before it commits.
pub(crate) async fn settle(conn: &mut PgConnection) -> Result<()> {
    let noted: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM agg_log)").fetch_one(&mut *conn).await.map_err(db_err)?;
    if !noted {
        return Ok(());
    }
    for sql in FOLD {
        sqlx::query(sql).execute(&mut *conn).await.map_err(db_err)?;
    }
    Ok(())
}
