//! Bulk loads: the secondary indexes of empty tables are dropped while a run fills them, and
//! built once at its end, each by one sort instead of an insert per row at a random place. What
//! is dropped is noted in `deferred_indexes` in the same transaction, so a run killed before
//! the end leaves the building to the next.

use lobbyscope_store::Result;
use lobbyscope_store_sql::{Cols, DEFERRABLE_INDEXES};
use sqlx::{AssertSqlSafe, PgPool};

use crate::db_err;

/// Drops the deferrable indexes of the tables that hold no rows, noting how to build them
/// again; returns how many it dropped.
pub(crate) async fn begin(pool: &PgPool) -> Result<usize> {
    let mut tx = pool.begin().await.map_err(db_err)?;
    let mut dropped = 0;
    for (table, indexes) in DEFERRABLE_INDEXES {
        let empty: bool = sqlx::query_scalar(AssertSqlSafe(format!("SELECT NOT EXISTS (SELECT 1 FROM {table})")))
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?;
        if !empty {
            continue;
        }
        for index in indexes {
            // The statement PostgreSQL itself gives for the index.
            let noted = sqlx::query(
                "INSERT INTO deferred_indexes (name, sql) SELECT indexname, indexdef FROM pg_indexes \
                 WHERE schemaname = current_schema() AND indexname = $1 AND tablename = $2",
            )
            .bind(index)
            .bind(table)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            if noted.rows_affected() == 1 {
                sqlx::query(AssertSqlSafe(format!("DROP INDEX {index}"))).execute(&mut *tx).await.map_err(db_err)?;
                dropped += 1;
            }
        }
    }
    tx.commit().await.map_err(db_err)?;
    if dropped > 0 {
        tracing::info!(dropped, "bulk load: indexes of empty tables deferred to the end of the run");
    }
    Ok(dropped)
}

/// Builds every deferred index, each in its own transaction; returns how many it built.
pub(crate) async fn end(pool: &PgPool) -> Result<usize> {
    let deferred =
        sqlx::query("SELECT name, sql FROM deferred_indexes ORDER BY name").fetch_all(pool).await.map_err(db_err)?;
    for row in &deferred {
        let c = Cols::new(row, "deferred_indexes");
        let (name, sql): (String, String) = (c.get(0)?, c.get(1)?);
        let started = std::time::Instant::now();
        let mut tx = pool.begin().await.map_err(db_err)?;
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.map_err(db_err)?;
        sqlx::query("DELETE FROM deferred_indexes WHERE name = $1")
            .bind(&name)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        tracing::debug!(index = name, took = ?started.elapsed(), "deferred index built");
    }
    if !deferred.is_empty() {
        // The planner's statistics still describe the empty tables the load began with, and no
        // page of the new rows is marked all-visible yet, so index-only scans (the lists' deep
        // pages) would visit every row they skip. Autovacuum would get there, minutes later.
        sqlx::query("VACUUM (ANALYZE)").execute(pool).await.map_err(db_err)?;
    }
    Ok(deferred.len())
}
