//! The read side of the consultation pages, the home page and the organisations list.
//!
//! Counts come from the aggregates kept at import (migration 0007, `stats`); searching still
//! folds names (case and accents) as it reads them.

use std::collections::HashMap;

use lobbyscope_domain::RegisterId;
use lobbyscope_store::{
    Activity, ActivityCounts, InitiativeView, MatchKind, MeetingView, NameQuery, OrgSort, Organisation,
    OrganisationHit, OrganisationList, OrganisationSummary, PublicationView, ResponsePage, ResponseView, Result,
    ValueCount, rank_hits,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::read::{meetings_by_ids, provenance, push_in, responses_by_ids};
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
         (SELECT coalesce(sum(c.responses), 0) FROM publication_counts c WHERE c.publication_id = p.id) AS stored \
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

/// Counts per value: largest first, then by value, "not given" last among equals.
fn value_counts(counts: HashMap<Option<String>, u64>) -> Vec<ValueCount> {
    let mut out: Vec<ValueCount> = counts.into_iter().map(|(value, count)| ValueCount { value, count }).collect();
    out.sort_by(|a, b| {
        b.count.cmp(&a.count).then(a.value.is_none().cmp(&b.value.is_none())).then(a.value.cmp(&b.value))
    });
    out
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

/// The columns [`summary`] reads.
const SUMMARY_COLUMNS: &str = "key, register_id, name, acronym, commission, parliament, responses";

/// An `organisations` row with its counts (kept by `stats`).
fn summary(r: &SqliteRow) -> Result<OrganisationSummary> {
    let c = Cols::new(r, "organisations");
    let counts = ActivityCounts {
        commission_meetings: c.u64("commission")?,
        parliament_meetings: c.u64("parliament")?,
        responses: c.u64("responses")?,
    };
    Ok(OrganisationSummary { organisation: organisation(r)?, total: counts.total(), counts })
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

/// Which organisations a run of the list holds.
#[derive(Clone, Copy)]
enum Filter {
    All,
    /// Those with some activity of this kind (`column > 0`).
    With(&'static str),
    /// Those with none (`column = 0`).
    Without(&'static str),
}

impl Filter {
    fn sql(self) -> String {
        match self {
            Filter::All => "true".to_owned(),
            Filter::With(column) => format!("{column} > 0"),
            Filter::Without(column) => format!("{column} = 0"),
        }
    }
}

/// One ordered run of the organisations list: the organisations `filter` keeps, in `order`,
/// which an index of migration 0008 holds with the key, so that reading a page's keys (even
/// from a deep offset) reads the index alone.
struct Run {
    filter: Filter,
    /// Columns and whether each sorts descending.
    order: &'static [(&'static str, bool)],
}

const BY_NAME: [(&str, bool); 2] = [("sort_name", false), ("key", false)];
const BY_ACTIVITY: [(&str, bool); 3] = [("total", true), ("sort_name", false), ("key", false)];

/// The runs of each order, one after the other. An order by one kind of activity lists the
/// organisations with some of it, then the others by activity, as `organisations_by_*` hold them.
fn runs(sort: OrgSort) -> Vec<Run> {
    const fn by(column: &'static str) -> [(&'static str, bool); 4] {
        [(column, true), ("total", true), ("sort_name", false), ("key", false)]
    }
    const COMMISSION: [(&str, bool); 4] = by("commission");
    const PARLIAMENT: [(&str, bool); 4] = by("parliament");
    const RESPONSES: [(&str, bool); 4] = by("responses");
    let split = |column, order| {
        vec![Run { filter: Filter::With(column), order }, Run { filter: Filter::Without(column), order: &BY_ACTIVITY }]
    };
    match sort {
        OrgSort::Name => vec![Run { filter: Filter::All, order: &BY_NAME }],
        OrgSort::Activity => vec![Run { filter: Filter::All, order: &BY_ACTIVITY }],
        OrgSort::Commission => split("commission", &COMMISSION),
        OrgSort::Parliament => split("parliament", &PARLIAMENT),
        OrgSort::Responses => split("responses", &RESPONSES),
    }
}

/// A value of a sort column.
#[derive(Clone)]
enum Value {
    Int(i64),
    Text(String),
}

/// Where a keyset page starts: the sort values of the organisation before it.
struct After {
    values: HashMap<&'static str, Value>,
}

impl After {
    async fn of(pool: &SqlitePool, key: &str) -> Result<Option<After>> {
        let Some(r) = sqlx::query(
            "SELECT commission, parliament, responses, total, sort_name, key FROM organisations WHERE key = ?",
        )
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        else {
            return Ok(None);
        };
        let c = Cols::new(&r, "organisations");
        let mut values = HashMap::new();
        for (i, column) in ["commission", "parliament", "responses", "total"].into_iter().enumerate() {
            values.insert(column, Value::Int(c.get(i)?));
        }
        values.insert("sort_name", Value::Text(c.get(4)?));
        values.insert("key", Value::Text(c.get(5)?));
        Ok(Some(After { values }))
    }

    /// Whether the organisation is in `run`.
    fn within(&self, run: &Run) -> bool {
        let (column, with) = match run.filter {
            Filter::All => return true,
            Filter::With(column) => (column, true),
            Filter::Without(column) => (column, false),
        };
        match self.values.get(column) {
            Some(Value::Int(n)) => (*n > 0) == with,
            _ => true,
        }
    }
}

impl Run {
    /// Up to `limit` keys of this run: from `offset`, or after `after` (on the level'th column:
    /// equal on the columns before it, past it on that one).
    async fn keys(
        &self,
        pool: &SqlitePool,
        after: Option<(&After, usize)>,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<String>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT key FROM organisations WHERE {}", self.filter.sql()));
        let mut order = self.order;
        if let Some((after, level)) = after {
            for (i, (column, descending)) in self.order[..=level].iter().enumerate() {
                let op = match (i == level, descending) {
                    (false, _) => " = ",
                    (true, true) => " < ",
                    (true, false) => " > ",
                };
                q.push(format!(" AND {column}{op}"));
                match after.values.get(column) {
                    Some(Value::Int(n)) => q.push_bind(*n),
                    Some(Value::Text(t)) => q.push_bind(t.clone()),
                    None => return Err(crate::read::corrupt(format!("no sort value for {column}"))),
                };
            }
            order = &self.order[level..];
        }
        let order: Vec<String> =
            order.iter().map(|(c, desc)| format!("{c}{}", if *desc { " DESC" } else { "" })).collect();
        q.push(format!(" ORDER BY {} LIMIT ", order.join(", ")));
        q.push_bind(i64::from(limit)).push(" OFFSET ").push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        q.build().fetch_all(pool).await.map_err(db_err)?.iter().map(|r| Cols::new(r, "organisations").get(0)).collect()
    }

    /// How many organisations the run holds, from the counts of migration 0008.
    async fn size(&self, pool: &SqlitePool, total: u64) -> Result<u64> {
        let with = |column| async move { record_count(pool, &format!("organisations_{column}")).await };
        Ok(match self.filter {
            Filter::All => total,
            Filter::With(column) => with(column).await?,
            Filter::Without(column) => total.saturating_sub(with(column).await?),
        })
    }
}

/// A count kept in `record_counts` (migrations 0007 and 0008); 0 when not kept.
async fn record_count(pool: &SqlitePool, name: &str) -> Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT n FROM record_counts WHERE name = ?")
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The organisations of `keys` with their counts, in that order.
async fn summaries(pool: &SqlitePool, keys: &[String]) -> Result<Vec<OrganisationSummary>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new(format!("SELECT {SUMMARY_COLUMNS} FROM organisations WHERE key IN "));
    push_in(&mut q, keys.iter().cloned());
    let mut by_key: HashMap<String, OrganisationSummary> = HashMap::new();
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let s = summary(&r)?;
        by_key.insert(keys::org_key(&s.organisation.key), s);
    }
    Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
}

pub(crate) async fn organisations_list(
    pool: &SqlitePool,
    sort: OrgSort,
    offset: u32,
    limit: u32,
) -> Result<OrganisationList> {
    let total = record_count(pool, "organisations").await?;
    let mut keys = Vec::new();
    let mut offset = u64::from(offset);
    for run in runs(sort) {
        let want = limit - keys.len() as u32;
        if want == 0 {
            break;
        }
        // A page past this run starts in the next one, without stepping through this one.
        let size = run.size(pool, total).await?;
        if offset >= size {
            offset -= size;
            continue;
        }
        keys.extend(run.keys(pool, None, offset, want).await?);
        offset = 0;
    }
    Ok(OrganisationList { rows: summaries(pool, &keys).await?, total })
}

pub(crate) async fn organisations_after(
    pool: &SqlitePool,
    sort: OrgSort,
    after: &str,
    limit: u32,
) -> Result<OrganisationList> {
    let total = record_count(pool, "organisations").await?;
    let Some(after) = After::of(pool, after).await? else { return Ok(OrganisationList { rows: Vec::new(), total }) };
    let mut keys = Vec::new();
    let mut started = false;
    for run in runs(sort) {
        if !started && !after.within(&run) {
            continue;
        }
        // The cursor's own run continues level by level (the last column first); the runs
        // after it start from their beginning.
        let levels: Vec<Option<usize>> =
            if started { vec![None] } else { (0..run.order.len()).rev().map(Some).collect() };
        started = true;
        for level in levels {
            let want = limit - keys.len() as u32;
            if want == 0 {
                break;
            }
            keys.extend(run.keys(pool, level.map(|l| (&after, l)), 0, want).await?);
        }
    }
    Ok(OrganisationList { rows: summaries(pool, &keys).await?, total })
}
