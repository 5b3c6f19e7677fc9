//! An organisation's page from the aggregates kept at import: its counts, chart and published
//! names from rows kept per organisation, a page of its timeline by one statement over the
//! kinds' indexes (lobbyscope-store-sql `timeline`).

use std::sync::LazyLock;

use lobbyscope_store::{ActivityFilter, ActivityPage, Result, Seek, TimelineSummary, Wanted};
use lobbyscope_store_sql::Cols;
use lobbyscope_store_sql::timeline::{Arms, Entry, org_entry, org_page_query, org_quarters_sql, quarters};
use sqlx::{PgPool, Postgres};

use crate::db_err;
use crate::read::timeline_page;

/// The names sources published for the organisation other than `name`, in order, at most 50.
pub(crate) async fn published_names(pool: &PgPool, key: &str, name: &str) -> Result<Vec<String>> {
    sqlx::query("SELECT name FROM org_names WHERE org_key = $1 AND name <> $2 AND mentions > 0 ORDER BY name LIMIT 50")
        .bind(key)
        .bind(name)
        .fetch_all(pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| Cols::new(r, "org_names").get(0))
        .collect()
}

/// The statement for an organisation's quarters, written once.
static ORG_QUARTERS: LazyLock<String> = LazyLock::new(|| org_quarters_sql("quarter_of(date)"));

pub(crate) async fn activity(pool: &PgPool, key: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    let rows =
        sqlx::query(sqlx::AssertSqlSafe(ORG_QUARTERS.as_str())).bind(key).fetch_all(pool).await.map_err(db_err)?;
    let quarters = quarters(rows.iter().map(|r| Cols::new(r, "org_quarters")))?;
    let summary = TimelineSummary::of(&quarters, f);
    let wanted = Wanted::of(f);
    let mut entries: Vec<Entry> = Vec::new();
    if f.limit > 0 && u64::from(f.offset) < wanted.matching(&summary) {
        let seek = Seek::of(&quarters, f, wanted);
        let mut q = org_page_query::<Postgres>(key, f, wanted, seek.as_ref(), Arms::Ordered);
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            entries.push(org_entry((&r).into())?);
        }
    }
    timeline_page(pool, summary, &entries, wanted).await
}
