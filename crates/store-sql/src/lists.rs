//! The organisations list: its orders as runs of an index, offset and keyset paging over them.
//! The backend answers the few questions ([`ListSource`]); how a page is cut from the runs is
//! decided here, once.

use std::collections::HashMap;

use async_trait::async_trait;
use lobbyscope_domain::RegisterId;
use lobbyscope_store::{
    MatchKind, NameQuery, OrgSort, OrganisationHit, OrganisationList, OrganisationSummary, Result, rank_hits,
};
use sqlx::QueryBuilder;

use crate::cols::Cols;
use crate::map::corrupt;

/// Which organisations a run of the list holds.
#[derive(Clone, Copy)]
pub enum Filter {
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
/// which an index of the schema holds with the key, so that reading a page's keys (even from a
/// deep offset) reads the index alone.
pub struct Run {
    pub filter: Filter,
    /// Columns and whether each sorts descending.
    pub order: &'static [(&'static str, bool)],
}

const BY_NAME: [(&str, bool); 2] = [("sort_name", false), ("key", false)];
const BY_ACTIVITY: [(&str, bool); 3] = [("total", true), ("sort_name", false), ("key", false)];

/// The runs of each order, one after the other. An order by one kind of activity lists the
/// organisations with some of it, then the others by activity, as the schema's
/// `organisations_by_*` indexes hold them.
pub fn runs(sort: OrgSort) -> Vec<Run> {
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
pub struct After {
    values: HashMap<&'static str, Value>,
}

/// The columns [`After::read`] reads, in order.
pub const AFTER_COLUMNS: &str = "commission, parliament, responses, total, sort_name, key";

impl After {
    /// From a row of [`AFTER_COLUMNS`].
    pub fn read(c: &Cols) -> Result<After> {
        let mut values = HashMap::new();
        for (i, column) in ["commission", "parliament", "responses", "total"].into_iter().enumerate() {
            values.insert(column, Value::Int(c.get(i)?));
        }
        values.insert("sort_name", Value::Text(c.get(4)?));
        values.insert("key", Value::Text(c.get(5)?));
        Ok(After { values })
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
    /// The statement for up to `limit` keys of this run: from `offset`, or after `after` (on the
    /// level'th column: equal on the columns before it, past it on that one).
    pub fn keys_query<DB: sqlx::Database>(
        &self,
        after: Option<(&After, usize)>,
        offset: u64,
        limit: u32,
    ) -> Result<QueryBuilder<DB>>
    where
        i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
        String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    {
        let mut q = QueryBuilder::<DB>::new(format!("SELECT key FROM organisations WHERE {}", self.filter.sql()));
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
                    None => return Err(corrupt(format!("no sort value for {column}"))),
                };
            }
            order = &self.order[level..];
        }
        let order: Vec<String> =
            order.iter().map(|(c, desc)| format!("{c}{}", if *desc { " DESC" } else { "" })).collect();
        q.push(format!(" ORDER BY {} LIMIT ", order.join(", ")));
        q.push_bind(i64::from(limit)).push(" OFFSET ").push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        Ok(q)
    }
}

/// What the list needs of a backend.
#[async_trait]
pub trait ListSource: Sync {
    /// A count kept in `record_counts`; 0 when not kept.
    async fn record_count(&self, name: &str) -> Result<u64>;
    /// The keys [`Run::keys_query`] selects.
    async fn run_keys(&self, run: &Run, after: Option<(&After, usize)>, offset: u64, limit: u32)
    -> Result<Vec<String>>;
    /// The sort values of the organisation stored under `key`, if it is stored.
    async fn after(&self, key: &str) -> Result<Option<After>>;
    /// The organisations of `keys` with their counts, in that order.
    async fn summaries(&self, keys: &[String]) -> Result<Vec<OrganisationSummary>>;
    /// The keys of the organisations listed under a register ID.
    async fn register_keys(&self, id: &RegisterId) -> Result<Vec<String>>;
    /// Every (key, name) a search matches against: [`SEARCHED_NAMES`].
    async fn searched_names(&self) -> Result<Vec<(String, String)>>;
    /// The keys [`among_query`] selects.
    async fn keys_among(&self, keys: &[String], sort: OrgSort) -> Result<Vec<String>>;
}

/// The stored keys of `keys`, in `sort` order. One order serves where the whole list splits
/// into runs: by one kind of activity descending, those with none of it come after those with
/// some, in the next run's order (by total) since they tie on the first column.
pub fn among_query<DB>(keys: &[String], sort: OrgSort) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut q = QueryBuilder::<DB>::new("SELECT key FROM organisations WHERE key IN (");
    let mut list = q.separated(", ");
    for key in keys {
        list.push_bind(key.clone());
    }
    let order: Vec<String> = runs(sort)
        .first()
        .map(|run| run.order)
        .unwrap_or(&BY_ACTIVITY)
        .iter()
        .map(|(c, desc)| format!("{c}{}", if *desc { " DESC" } else { "" }))
        .collect();
    q.push(format!(") ORDER BY {}", order.join(", ")));
    q
}

pub async fn organisations_among(
    src: &impl ListSource,
    keys: &[lobbyscope_store::OrgKey],
    sort: OrgSort,
    offset: u32,
    limit: u32,
) -> Result<OrganisationList> {
    let keys: Vec<String> = keys.iter().take(lobbyscope_store::MAX_AMONG).map(crate::keys::org_key).collect();
    if keys.is_empty() {
        return Ok(OrganisationList::default());
    }
    let ordered = src.keys_among(&keys, sort).await?;
    let page: Vec<String> = ordered.iter().skip(offset as usize).take(limit as usize).cloned().collect();
    Ok(OrganisationList { rows: src.summaries(&page).await?, total: ordered.len() as u64 })
}

/// Every name and acronym of every organisation, and every name and acronym the register ever
/// listed it under.
pub const SEARCHED_NAMES: &str = "SELECT key, name AS text FROM organisations \
     UNION SELECT key, acronym FROM organisations WHERE acronym IS NOT NULL \
     UNION SELECT o.key, r.name FROM register_entries r JOIN organisations o ON o.register_id = r.register_id \
     UNION SELECT o.key, r.acronym FROM register_entries r JOIN organisations o ON o.register_id = r.register_id \
       WHERE r.acronym IS NOT NULL";

/// Organisations whose name, acronym, any register name or register ID match `query`, ranked
/// (`lobbyscope_store::rank_hits`), at most `limit`, with their counts.
pub async fn find_organisations(src: &impl ListSource, query: &str, limit: u32) -> Result<Vec<OrganisationHit>> {
    let query = query.trim();
    let limit = limit as usize;
    if query.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let (found, best): (Vec<OrganisationSummary>, HashMap<String, (MatchKind, String)>) =
        if let Some(id) = RegisterId::parse(query) {
            let keys = src.register_keys(&id).await?;
            let best = keys.iter().map(|k| (k.clone(), (MatchKind::Exact, id.as_str().to_owned()))).collect();
            (src.summaries(&keys).await?, best)
        } else {
            let Some(name_query) = NameQuery::new(query) else { return Ok(Vec::new()) };
            let best = name_query.best(src.searched_names().await?);
            let keys: Vec<String> = best.keys().cloned().collect();
            (src.summaries(&keys).await?, best)
        };
    let mut by_key: HashMap<String, OrganisationSummary> =
        found.into_iter().map(|s| (crate::keys::org_key(&s.organisation.key), s)).collect();
    let hits = by_key.iter().filter_map(|(key, s)| {
        let (kind, matched) = best.get(key)?;
        Some((s.organisation.clone(), *kind, matched.clone()))
    });
    let ranked = rank_hits(hits.collect::<Vec<_>>(), limit);
    Ok(ranked
        .into_iter()
        .filter_map(|(organisation, match_kind, matched)| {
            let summary = by_key.remove(&crate::keys::org_key(&organisation.key))?;
            Some(OrganisationHit { summary, match_kind, matched })
        })
        .collect())
}

/// How many organisations a run holds, from the counts kept per kind of activity.
async fn run_size(src: &impl ListSource, run: &Run, total: u64) -> Result<u64> {
    Ok(match run.filter {
        Filter::All => total,
        Filter::With(column) => src.record_count(&format!("organisations_{column}")).await?,
        Filter::Without(column) => total.saturating_sub(src.record_count(&format!("organisations_{column}")).await?),
    })
}

pub async fn organisations_list(
    src: &impl ListSource,
    sort: OrgSort,
    offset: u32,
    limit: u32,
) -> Result<OrganisationList> {
    let total = src.record_count("organisations").await?;
    let mut keys = Vec::new();
    let mut offset = u64::from(offset);
    for run in runs(sort) {
        let want = limit - keys.len() as u32;
        if want == 0 {
            break;
        }
        // A page past this run starts in the next one, without stepping through this one.
        let size = run_size(src, &run, total).await?;
        if offset >= size {
            offset -= size;
            continue;
        }
        keys.extend(src.run_keys(&run, None, offset, want).await?);
        offset = 0;
    }
    Ok(OrganisationList { rows: src.summaries(&keys).await?, total })
}

pub async fn organisations_after(
    src: &impl ListSource,
    sort: OrgSort,
    after: &str,
    limit: u32,
) -> Result<OrganisationList> {
    let total = src.record_count("organisations").await?;
    let Some(after) = src.after(after).await? else { return Ok(OrganisationList { rows: Vec::new(), total }) };
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
            keys.extend(src.run_keys(&run, level.map(|l| (&after, l)), 0, want).await?);
        }
    }
    Ok(OrganisationList { rows: src.summaries(&keys).await?, total })
}
