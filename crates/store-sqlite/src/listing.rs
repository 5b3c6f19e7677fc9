//! `mark_listing` and `withdrawn_since` (see `lobbyscope_store::listing`).

use lobbyscope_store::{ListedKind, Listing, ListingMarks, Result, StoreError};
use lobbyscope_store_sql::listing::{Dialect, ScopeValue, statements};
use sqlx::sqlite::SqliteArguments;
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool};

use crate::{BEGIN_WRITE, bump_generation, db_err};

const DIALECT: Dialect = Dialect { param: |n| format!("?{n}"), list: |p| format!("SELECT value FROM json_each({p})") };

fn json(texts: &[String]) -> Result<String> {
    serde_json::to_string(texts).map_err(|e| StoreError::Database(e.to_string()))
}

fn bind_scope<'q>(
    mut q: sqlx::query::Query<'q, Sqlite, SqliteArguments>,
    values: &[ScopeValue<'_>],
) -> Result<sqlx::query::Query<'q, Sqlite, SqliteArguments>> {
    for v in values {
        q = match v {
            ScopeValue::Texts(texts) => q.bind(json(texts)?),
            ScopeValue::Date(day) => q.bind(day.to_string()),
            ScopeValue::Id(id) => q.bind(i64::try_from(*id).map_err(|e| StoreError::Database(e.to_string()))?),
        };
    }
    Ok(q)
}

pub(crate) async fn mark_listing(pool: &SqlitePool, listing: &Listing) -> Result<ListingMarks> {
    let sql = statements(listing.kind, &listing.scope, &DIALECT)?;
    let present = json(&listing.present)?;
    let mut tx = pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
    let q = sqlx::query(AssertSqlSafe(sql.mark.as_str()))
        .bind(listing.kind.as_str())
        .bind(listing.as_of.to_string())
        .bind(&present);
    let withdrawn = bind_scope(q, &sql.scope)?.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
    let q = sqlx::query(AssertSqlSafe(sql.unmark.as_str())).bind(listing.kind.as_str()).bind(&present);
    let returned = bind_scope(q, &sql.scope)?.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
    if withdrawn + returned > 0 {
        bump_generation(&mut tx).await?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(ListingMarks { withdrawn, returned })
}

/// Since when a record is no longer published; a stored day that is not one is an error
/// naming the row.
pub(crate) async fn withdrawn_since(
    pool: &SqlitePool,
    kind: ListedKind,
    record: &str,
) -> Result<Option<chrono::NaiveDate>> {
    let since: Option<String> = sqlx::query_scalar(lobbyscope_store_sql::listing::SINCE)
        .bind(kind.as_str())
        .bind(record)
        .fetch_optional(pool)
        .await
        .map_err(db_err)?;
    lobbyscope_store_sql::listing::since(kind, record, since)
}
