//! The read side of the consultation pages, the home page and the organisations list.
//!
//! Counts come from the aggregates kept at import (migration 0007, `stats`); searching still
//! folds names (case and accents) as it reads them.

use std::collections::HashMap;

use async_trait::async_trait;
use lobbyscope_domain::RegisterId;
use lobbyscope_store::{
    Activity, ActivityCounts, InitiativeView, MatchKind, MeetingView, NameQuery, OrgSort, Organisation,
    OrganisationHit, OrganisationList, OrganisationSummary, ResponsePage, ResponseView, Result, rank_hits,
};
use lobbyscope_store_sql::lists::{self, AFTER_COLUMNS, After, ListSource, Run};
use lobbyscope_store_sql::map::{self, SUMMARY_COLUMNS, value_counts};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::read::{meetings_by_ids, push_in, responses_by_ids};
use crate::{db_err, keys};

pub(crate) async fn initiative(pool: &SqlitePool, id: u64) -> Result<Option<InitiativeView>> {
    let Ok(id) = i64::try_from(id) else { return Ok(None) };
    let Some(r) =
        sqlx::query("SELECT * FROM initiatives WHERE id = ?").bind(id).fetch_optional(pool).await.map_err(db_err)?
    else {
        return Ok(None);
    };
    let mut view = map::initiative(&Cols::new(&r, "initiatives"))?;
    let rows = sqlx::query(
        "SELECT p.id, p.kind, p.reference, p.total_feedback, p.adoption_date, p.attachments, \
         (SELECT coalesce(sum(c.responses), 0) FROM publication_counts c WHERE c.publication_id = p.id) AS stored \
         FROM publications p WHERE p.initiative_id = ? ORDER BY p.position, p.id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    for p in &rows {
        view.publications.push(map::publication(&Cols::new(p, "publications"))?);
    }
    Ok(Some(view))
}

pub(crate) async fn initiative_responses(pool: &SqlitePool, id: u64, offset: u32, limit: u32) -> Result<ResponsePage> {
    let Ok(id) = i64::try_from(id) else { return Ok(ResponsePage::default()) };
    let publications: Vec<i64> = sqlx::query_scalar("SELECT id FROM publications WHERE initiative_id = ? ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await
        .map_err(db_err)?;
    let mut ids: Vec<i64> = Vec::new();
    if limit > 0 && !publications.is_empty() {
        // Each publication's responses newest first by index, merged by one compound
        // statement: a deep page steps through index entries, and only the page comes back.
        let mut q = QueryBuilder::<Sqlite>::new("");
        for (i, publication) in publications.iter().enumerate() {
            if i > 0 {
                q.push(" UNION ALL ");
            }
            q.push("SELECT id, date FROM feedback WHERE publication_id = ").push_bind(*publication);
        }
        // Responses without a date sort last, on every database.
        q.push(" ORDER BY date DESC NULLS LAST, id DESC LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(i64::from(offset));
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            ids.push(Cols::new(&r, "feedback").get(0)?);
        }
    }
    let items = responses_by_ids(pool, &ids).await?;

    // Counts by respondent type and country, kept per publication (migration 0007, where ''
    // stands for a value the source did not give).
    let rows = sqlx::query(
        "SELECT user_type, country, sum(responses) FROM publication_counts \
         WHERE publication_id IN (SELECT id FROM publications WHERE initiative_id = ?) AND responses > 0 \
         GROUP BY user_type, country",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut by_user_type: HashMap<Option<String>, u64> = HashMap::new();
    let mut by_country: HashMap<Option<String>, u64> = HashMap::new();
    for r in &rows {
        let c = Cols::new(r, "publication_counts");
        let given = |v: String| Some(v).filter(|v| !v.is_empty());
        let n = c.u64(2)?;
        *by_user_type.entry(given(c.get(0)?)).or_default() += n;
        *by_country.entry(given(c.get(1)?)).or_default() += n;
    }
    let total = by_user_type.values().sum();
    Ok(ResponsePage { items, total, by_user_type: value_counts(by_user_type), by_country: value_counts(by_country) })
}

/// An `organisations` row (columns `key, register_id, name, acronym`, by name).
pub(crate) fn organisation(r: &SqliteRow) -> Result<Organisation> {
    map::organisation(&Cols::new(r, "organisations"))
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
    let Some(name_query) = NameQuery::new(query) else { return Ok(Vec::new()) };

    // Every name and acronym of every organisation, and every name and acronym the register
    // ever listed it under.
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
    let mut names: Vec<(String, String)> = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = Cols::new(r, "organisations");
        names.push((c.get(0)?, c.get(1)?));
    }
    let mut best = name_query.best(names);
    if best.is_empty() {
        return Ok(Vec::new());
    }

    let keys: Vec<String> = best.keys().cloned().collect();
    let mut orgs: Vec<Organisation> = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(crate::MAX_BINDS) {
        let mut q =
            QueryBuilder::<Sqlite>::new("SELECT key, register_id, name, acronym FROM organisations WHERE key IN ");
        push_in(&mut q, chunk.iter().cloned());
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            orgs.push(organisation(&r)?);
        }
    }
    let hits = orgs.into_iter().filter_map(|o| {
        let (kind, matched) = best.remove(&keys::org_key(&o.key))?;
        Some((o, kind, matched))
    });
    with_counts(pool, rank_hits(hits, limit)).await
}

/// Search hits with each organisation's activity counts, in the given order.
async fn with_counts(pool: &SqlitePool, hits: Vec<(Organisation, MatchKind, String)>) -> Result<Vec<OrganisationHit>> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = hits.iter().map(|(o, _, _)| keys::org_key(&o.key)).collect();
    let mut counts: HashMap<String, ActivityCounts> = HashMap::new();
    let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {SUMMARY_COLUMNS} FROM organisations WHERE key IN "));
    push_in(&mut q, keys.iter().cloned());
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let s = summary(&r)?;
        counts.insert(keys::org_key(&s.organisation.key), s.counts);
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

fn summary(r: &SqliteRow) -> Result<OrganisationSummary> {
    map::summary(&Cols::new(r, "organisations"))
}

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

/// The list's questions, answered from the read pool.
struct Lists<'p>(&'p SqlitePool);

#[async_trait]
impl ListSource for Lists<'_> {
    /// From the counts of migrations 0007 and 0008.
    async fn record_count(&self, name: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT n FROM record_counts WHERE name = ?")
            .bind(name)
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?
            .unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn run_keys(
        &self,
        run: &Run,
        after: Option<(&After, usize)>,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<String>> {
        let mut q = run.keys_query::<Sqlite>(after, offset, limit)?;
        q.build()
            .fetch_all(self.0)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| Cols::new(r, "organisations").get(0))
            .collect()
    }

    async fn after(&self, key: &str) -> Result<Option<After>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {AFTER_COLUMNS} FROM organisations WHERE key = ?")))
            .bind(key)
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?
            .map(|r| After::read(&Cols::new(&r, "organisations")))
            .transpose()
    }

    async fn summaries(&self, keys: &[String]) -> Result<Vec<OrganisationSummary>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {SUMMARY_COLUMNS} FROM organisations WHERE key IN "));
        push_in(&mut q, keys.iter().cloned());
        let mut by_key: HashMap<String, OrganisationSummary> = HashMap::new();
        for r in q.build().fetch_all(self.0).await.map_err(db_err)? {
            let s = summary(&r)?;
            by_key.insert(keys::org_key(&s.organisation.key), s);
        }
        Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
    }
}

pub(crate) async fn organisations_list(
    pool: &SqlitePool,
    sort: OrgSort,
    offset: u32,
    limit: u32,
) -> Result<OrganisationList> {
    lists::organisations_list(&Lists(pool), sort, offset, limit).await
}

pub(crate) async fn organisations_after(
    pool: &SqlitePool,
    sort: OrgSort,
    after: &str,
    limit: u32,
) -> Result<OrganisationList> {
    lists::organisations_after(&Lists(pool), sort, after, limit).await
}
