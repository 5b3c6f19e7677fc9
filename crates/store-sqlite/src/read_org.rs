//! An organisation's page from the aggregates of migrations 0007 and 0008: its counts, chart
//! and published names are read from rows kept at import, and a page of its timeline by one
//! statement that merges the kinds of items from their indexes, so that the page costs the
//! same for an organisation with ten thousand responses as for one with ten, and a deep page
//! steps through index entries only.

use std::sync::LazyLock;

use lobbyscope_store::{ActivityFilter, ActivityPage, Result, Seek, TimelineSummary, Wanted};
use lobbyscope_store_sql::timeline::{Arms, org_entry, org_page_query, org_quarters_sql, quarters};
use sqlx::{Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::db_err;
use crate::read::{Entry, QUARTER_OF_DATE, timeline_page};

/// The names sources published for the organisation other than `name`, in order, at most 50.
pub(crate) async fn published_names(pool: &SqlitePool, key: &str, name: &str) -> Result<Vec<String>> {
    sqlx::query("SELECT name FROM org_names WHERE org_key = ? AND name <> ? AND mentions > 0 ORDER BY name LIMIT 50")
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
static ORG_QUARTERS: LazyLock<String> = LazyLock::new(|| org_quarters_sql(QUARTER_OF_DATE));

pub(crate) async fn activity(pool: &SqlitePool, key: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    let rows =
        sqlx::query(sqlx::AssertSqlSafe(ORG_QUARTERS.as_str())).bind(key).fetch_all(pool).await.map_err(db_err)?;
    let quarters = quarters(rows.iter().map(|r| Cols::new(r, "org_quarters")))?;
    let summary = TimelineSummary::of(&quarters, f);
    let wanted = Wanted::of(f);
    let mut entries: Vec<Entry> = Vec::new();
    if f.limit > 0 && u64::from(f.offset) < wanted.matching(&summary) {
        let seek = Seek::of(&quarters, f, wanted);
        let mut q = org_page_query::<Sqlite>(key, f, wanted, seek.as_ref(), Arms::Plain);
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            entries.push(org_entry((&r).into())?);
        }
    }
    timeline_page(pool, summary, &entries, wanted).await
}
