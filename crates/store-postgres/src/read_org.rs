//! An organisation's page from the aggregates kept at import: its counts, chart and published
//! names from rows kept per organisation, a page of its timeline by one statement over the
//! kinds' indexes (lobbyscope-store-sql `timeline`).

use lobbyscope_store::{ActivityFilter, ActivityPage, Result, TimelineSummary};
use lobbyscope_store_sql::Cols;
use lobbyscope_store_sql::timeline::{
    Arms, Entry, Wanted, org_entry, org_page_query, position_count_query, quarters_and_positions, year_range,
};
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

pub(crate) async fn activity(pool: &PgPool, key: &str, f: &ActivityFilter) -> Result<ActivityPage> {
    // The quarters, and the count of shown position items as a row without a quarter.
    let rows = sqlx::query(
        "SELECT quarter, commission, parliament, responses FROM org_quarters WHERE org_key = $1 \
         AND (commission <> 0 OR parliament <> 0 OR responses <> 0) \
         UNION ALL SELECT NULL, count(*), 0, 0 FROM position_items WHERE shown = 1 AND org_key = $1",
    )
    .bind(key)
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let (quarters, positions) = quarters_and_positions(rows.iter().map(|r| Cols::new(r, "org_quarters")))?;
    let summary = TimelineSummary::of(&quarters, f);
    let wanted = Wanted::of(f);
    let positions_in_range = match year_range(f) {
        Some(range) if wanted.positions => {
            let r = position_count_query::<Postgres>(key, &range).build().fetch_one(pool).await.map_err(db_err)?;
            Cols::new(&r, "position_items").u64(0)?
        }
        _ => positions,
    };
    let matching = wanted.matching(&summary, positions_in_range);
    let mut entries: Vec<Entry> = Vec::new();
    if f.limit > 0 && u64::from(f.offset) < matching {
        let mut q = org_page_query::<Postgres>(key, f, &wanted, Arms::Ordered);
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            entries.push(org_entry((&r).into())?);
        }
    }
    timeline_page(pool, summary, &entries, matching, positions).await
}
