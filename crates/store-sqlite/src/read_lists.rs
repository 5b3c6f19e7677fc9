//! The read side of the consultation pages, the home page and the organisations list.
//!
//! Nothing here is precomputed at import: counts are aggregated when asked, and searching folds
//! names (case and accents) as it reads them, so the import path stays as it is.

use std::collections::HashMap;

use lobbyscope_domain::{RegisterId, fold_name, fold_words, parenthetical_acronym};
use lobbyscope_store::{
    Activity, ActivityCounts, InitiativeView, MatchKind, MeetingView, OrgSort, Organisation, OrganisationHit,
    OrganisationList, OrganisationSummary, PublicationView, ResponsePage, ResponseView, Result, ValueCount,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::read::{meetings_by_ids, provenance, responses_by_ids};
use crate::{db_err, keys};

pub(crate) async fn initiative(pool: &SqlitePool, id: u64) -> Result<Option<InitiativeView>> {
    let Ok(id) = i64::try_from(id) else { return Ok(None) };
    let Some(r) =
        sqlx::query("SELECT * FROM initiatives WHERE id = ?").bind(id).fetch_optional(pool).await.map_err(db_err)?
    else {
        return Ok(None);
    };
    let c = Cols::new(&r, "initiatives");
    let mut view = InitiativeView {
        id: c.u64("id")?,
        reference: c.get("reference")?,
        short_title: c.get("short_title")?,
        dg: c.get("dg")?,
        unit: c.get("unit")?,
        status: c.get("status")?,
        foreseen_act_type: c.get("foreseen_act_type")?,
        stage: c.get("stage")?,
        receiving_feedback_status: c.get("receiving_feedback_status")?,
        topics: c.json("topics")?,
        published_date: c.moment_opt("published_date")?,
        modified_date: c.moment_opt("modified_date")?,
        publications: Vec::new(),
        provenance: provenance(&c)?,
    };
    let rows = sqlx::query(
        "SELECT p.id, p.kind, p.reference, p.total_feedback, p.adoption_date, p.attachments, \
         (SELECT count(*) FROM feedback f WHERE f.publication_id = p.id) AS stored \
         FROM publications p WHERE p.initiative_id = ? ORDER BY p.position, p.id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for p in &rows {
        let c = Cols::new(p, "publications");
        view.publications.push(PublicationView {
            id: c.u64("id")?,
            kind: c.get("kind")?,
            reference: c.get("reference")?,
            total_feedback: c.u64_opt("total_feedback")?,
            adoption_date: c.moment_opt("adoption_date")?,
            attachments: c.json("attachments")?,
            stored_responses: c.u64("stored")?,
        });
    }
    Ok(Some(view))
}

/// The responses to any publication of the initiative.
const INITIATIVE_FEEDBACK: &str = "publication_id IN (SELECT id FROM publications WHERE initiative_id = ?)";

pub(crate) async fn initiative_responses(pool: &SqlitePool, id: u64, offset: u32, limit: u32) -> Result<ResponsePage> {
    let Ok(id) = i64::try_from(id) else { return Ok(ResponsePage::default()) };
    // Responses without a date sort last, on every database.
    // Only constant SQL is formatted in, never a value.
    let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM feedback WHERE {INITIATIVE_FEEDBACK} ORDER BY (date IS NULL), date DESC, id DESC LIMIT ? OFFSET ?"
    )))
    .bind(id)
    .bind(i64::from(limit))
    .bind(i64::from(offset))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let items = responses_by_ids(pool, &ids).await?;
    let by_user_type = value_counts(pool, "user_type", id).await?;
    let total = by_user_type.iter().map(|c| c.count).sum();
    let by_country = value_counts(pool, "country", id).await?;
    Ok(ResponsePage { items, total, by_user_type, by_country })
}

/// Counts of the initiative's responses per value of `column`: largest first, then by value,
/// "not given" last among equals.
async fn value_counts(pool: &SqlitePool, column: &'static str, id: i64) -> Result<Vec<ValueCount>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {column}, count(*) FROM feedback WHERE {INITIATIVE_FEEDBACK} GROUP BY {column}"
    )))
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut out: Vec<ValueCount> = rows
        .iter()
        .map(|r| {
            let c = Cols::new(r, "feedback");
            Ok(ValueCount { value: c.get(0)?, count: c.u64(1)? })
        })
        .collect::<Result<_>>()?;
    out.sort_by(|a, b| {
        b.count.cmp(&a.count).then(a.value.is_none().cmp(&b.value.is_none())).then(a.value.cmp(&b.value))
    });
    Ok(out)
}

/// One name an organisation can be found by.
struct Candidate {
    key: String,
    text: String,
}

/// An `organisations` row (columns `key, register_id, name, acronym`, by name).
pub(crate) fn organisation(r: &SqliteRow) -> Result<Organisation> {
    let c = Cols::new(r, "organisations");
    Ok(Organisation {
        key: c.org_key("key")?,
        register_id: c.register_id_opt("register_id")?,
        name: c.get("name")?,
        acronym: c.get("acronym")?,
    })
}

pub(crate) async fn find_organisations(pool: &SqlitePool, query: &str, limit: u32) -> Result<Vec<OrganisationHit>> {
    let query = query.trim();
    let limit = limit as usize;
    if query.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    if let Some(id) = RegisterId::parse(query) {
        let rows = sqlx::query("SELECT key, register_id, name, acronym FROM organisations WHERE register_id = ?")
            .bind(id.as_str())
            .fetch_all(pool)
            .await
            .map_err(db_err)?;
        let orgs = rows.iter().map(organisation).collect::<Result<Vec<_>>>()?;
        let hits = orgs.into_iter().map(|o| (o, MatchKind::Exact, id.as_str().to_owned())).collect();
        return with_counts(pool, hits).await;
    }
    let words = fold_words(query);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let folded = fold_name(query);

    // Every name and acronym of every organisation, and every name and acronym the register
    // ever listed it under.
    let mut candidates: Vec<Candidate> = Vec::new();
    let rows = sqlx::query(
        "SELECT key, name AS text FROM organisations \
         UNION SELECT key, acronym FROM organisations WHERE acronym IS NOT NULL \
         UNION SELECT o.key, r.name FROM register_entries r JOIN organisations o ON o.register_id = r.register_id \
         UNION SELECT o.key, r.acronym FROM register_entries r JOIN organisations o ON o.register_id = r.register_id \
           WHERE r.acronym IS NOT NULL",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for r in &rows {
        let c = Cols::new(r, "organisations");
        candidates.push(Candidate { key: c.get(0)?, text: c.get(1)? });
    }

    let mut best: HashMap<String, (MatchKind, String)> = HashMap::new();
    let match_kind = |text: &str| {
        let text_words = fold_words(text);
        if text_words == words || fold_name(text) == folded {
            Some(MatchKind::Exact)
        } else if text_words.starts_with(&words) {
            Some(MatchKind::Prefix)
        } else if text_words.contains(&words) {
            Some(MatchKind::Contains)
        } else {
            None
        }
    };
    for c in candidates {
        // "Internet Society (ISOC)" is also exactly "Internet Society", and "ISOC".
        let parts = parenthetical_acronym(&c.text).map(|(base, acronym)| [base, acronym]);
        let kind = std::iter::once(c.text.as_str()).chain(parts.into_iter().flatten()).filter_map(match_kind).min();
        let Some(kind) = kind else { continue };
        match best.get(&c.key) {
            Some((k, t)) if (*k, t) <= (kind, &c.text) => {}
            _ => {
                best.insert(c.key, (kind, c.text));
            }
        }
    }
    if best.is_empty() {
        return Ok(Vec::new());
    }

    let keys: Vec<String> = best.keys().cloned().collect();
    let mut orgs: Vec<Organisation> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(crate::MAX_BINDS) {
        let mut q =
            QueryBuilder::<Sqlite>::new("SELECT key, register_id, name, acronym FROM organisations WHERE key IN ");
        push_in(&mut q, chunk);
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            orgs.push(organisation(&r)?);
        }
    }
    let mut ranked: Vec<(MatchKind, String, Organisation, String)> = orgs
        .into_iter()
        .filter_map(|o| {
            let (kind, matched) = best.remove(&keys::org_key(&o.key))?;
            Some((kind, fold_words(&o.name), o, matched))
        })
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)).then_with(|| a.2.key.cmp(&b.2.key)));
    ranked.truncate(limit);
    with_counts(pool, ranked.into_iter().map(|(kind, _, o, matched)| (o, kind, matched)).collect()).await
}

/// Appends `(?, ?, …)` binding each key.
fn push_in(q: &mut QueryBuilder<Sqlite>, keys: &[String]) {
    q.push("(");
    let mut list = q.separated(", ");
    for k in keys {
        list.push_bind(k.clone());
    }
    q.push(")");
}

/// Search hits with each organisation's activity counts, in the given order.
async fn with_counts(pool: &SqlitePool, hits: Vec<(Organisation, MatchKind, String)>) -> Result<Vec<OrganisationHit>> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = hits.iter().map(|(o, _, _)| keys::org_key(&o.key)).collect();
    let mut counts: HashMap<String, ActivityCounts> = HashMap::new();
    let mut q = QueryBuilder::<Sqlite>::new(MEETING_COUNTS);
    q.push(" AND a.org_key IN ");
    push_in(&mut q, &keys);
    q.push(" GROUP BY a.org_key");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "meeting_attendees");
        let slot = counts.entry(c.get(0)?).or_default();
        slot.commission_meetings = c.u64(1)?;
        slot.parliament_meetings = c.u64(2)?;
    }
    let mut q = QueryBuilder::<Sqlite>::new(RESPONSE_COUNTS);
    q.push(" AND org_key IN ");
    push_in(&mut q, &keys);
    q.push(" GROUP BY org_key");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "feedback");
        counts.entry(c.get(0)?).or_default().responses = c.u64(1)?;
    }
    Ok(hits
        .into_iter()
        .map(|(organisation, match_kind, matched)| {
            let counts = counts.remove(&keys::org_key(&organisation.key)).unwrap_or_default();
            OrganisationHit {
                summary: OrganisationSummary { total: counts.total(), organisation, counts },
                match_kind,
                matched,
            }
        })
        .collect())
}

/// Meetings per organisation and institution. A meeting counts once however many of its
/// attendees are the organisation, as on the organisation page.
const MEETING_COUNTS: &str = "SELECT a.org_key, \
     count(DISTINCT CASE WHEN m.institution = 'commission' THEN a.meeting_id END) AS commission, \
     count(DISTINCT CASE WHEN m.institution = 'parliament' THEN a.meeting_id END) AS parliament \
     FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id WHERE a.org_key IS NOT NULL";

const RESPONSE_COUNTS: &str = "SELECT org_key, count(*) AS responses FROM feedback WHERE org_key IS NOT NULL";

pub(crate) async fn latest_activity(pool: &SqlitePool, limit: u32) -> Result<Vec<Activity>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    // Each side is cut first, so that the meetings' date index does the work.
    let rows = sqlx::query(
        "SELECT kind, id FROM ( \
           SELECT kind, id, date FROM (SELECT 'm' AS kind, id, date FROM meetings ORDER BY date DESC, id LIMIT ?1) AS m \
           UNION ALL \
           SELECT kind, id, date FROM (SELECT 'f' AS kind, CAST(id AS TEXT) AS id, date FROM feedback \
             WHERE date IS NOT NULL ORDER BY date DESC, id LIMIT ?1) AS f \
         ) AS u ORDER BY date DESC, kind, id LIMIT ?1",
    )
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let order: Vec<(String, String)> = rows
        .iter()
        .map(|r| {
            let c = Cols::new(r, "meetings");
            Ok((c.get(0)?, c.get(1)?))
        })
        .collect::<Result<_>>()?;
    let meeting_ids: Vec<String> = order.iter().filter(|(k, _)| k == "m").map(|(_, id)| id.clone()).collect();
    let response_ids: Vec<i64> = order.iter().filter(|(k, _)| k == "f").filter_map(|(_, id)| id.parse().ok()).collect();
    let mut meetings: HashMap<String, MeetingView> =
        meetings_by_ids(pool, &meeting_ids).await?.into_iter().map(|m| (m.id.to_string(), m)).collect();
    let mut responses: HashMap<u64, ResponseView> =
        responses_by_ids(pool, &response_ids).await?.into_iter().map(|r| (r.id, r)).collect();
    Ok(order
        .iter()
        .filter_map(|(kind, id)| match kind.as_str() {
            "m" => meetings.remove(id).map(Activity::Meeting),
            _ => id.parse().ok().and_then(|id| responses.remove(&id)).map(Activity::Response),
        })
        .collect())
}

pub(crate) async fn organisations_list(
    pool: &SqlitePool,
    sort: OrgSort,
    offset: u32,
    limit: u32,
) -> Result<OrganisationList> {
    let order = match sort {
        OrgSort::Activity => "total DESC, lower(o.name), o.key",
        OrgSort::Name => "lower(o.name), o.key",
        OrgSort::Commission => "commission DESC, total DESC, lower(o.name), o.key",
        OrgSort::Parliament => "parliament DESC, total DESC, lower(o.name), o.key",
        OrgSort::Responses => "responses DESC, total DESC, lower(o.name), o.key",
    };
    let sql = format!(
        "SELECT o.key, o.register_id, o.name, o.acronym, \
           COALESCE(mc.commission, 0) AS commission, COALESCE(mc.parliament, 0) AS parliament, \
           COALESCE(fc.responses, 0) AS responses, \
           COALESCE(mc.commission, 0) + COALESCE(mc.parliament, 0) + COALESCE(fc.responses, 0) AS total \
         FROM organisations o \
         LEFT JOIN ({MEETING_COUNTS} GROUP BY a.org_key) AS mc ON mc.org_key = o.key \
         LEFT JOIN ({RESPONSE_COUNTS} GROUP BY org_key) AS fc ON fc.org_key = o.key \
         ORDER BY {order} LIMIT ? OFFSET ?"
    );
    // `order` is one of the constants above.
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = Cols::new(r, "organisations");
        let counts = ActivityCounts {
            commission_meetings: c.u64("commission")?,
            parliament_meetings: c.u64("parliament")?,
            responses: c.u64("responses")?,
        };
        out.push(OrganisationSummary { organisation: organisation(r)?, total: counts.total(), counts });
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM organisations").fetch_one(pool).await.map_err(db_err)?;
    Ok(OrganisationList { rows: out, total: u64::try_from(total).unwrap_or(0) })
}
