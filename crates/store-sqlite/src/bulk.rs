//! Bulk loads: the secondary indexes of empty tables are dropped while a run fills them, and
//! built once at its end.
//!
//! Row by row, every response costs an insert into each of its indexes at a random place; at
//! the EU's size those indexes outgrow the page cache and the import slows as it goes. Built
//! after the load, an index is one sorted pass. What is dropped is noted in `deferred_indexes`
//! in the same transaction, so a run killed before the end leaves the building to the next.
//! Nothing the import itself looks up goes: meetings are matched by `meetings_by_natural_key`,
//! everything else by primary key, and organisations orphaned by a replaced record are found
//! from the kept counts, not the records (`stats::settle`).

use lobbyscope_store::Result;
use sqlx::{AssertSqlSafe, Connection, SqlitePool};

use lobbyscope_store_sql::DEFERRABLE_INDEXES;

use crate::cols::Cols;
use crate::{BEGIN_WRITE, db_err};

/// Drops the deferrable indexes of the tables that hold no rows, noting how to build them
/// again; returns how many it dropped.
pub(crate) async fn begin(pool: &SqlitePool) -> Result<usize> {
    let mut tx = pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
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
            let noted = sqlx::query(
                "INSERT INTO deferred_indexes (name, sql) SELECT name, sql FROM sqlite_master \
                 WHERE type = 'index' AND name = ? AND tbl_name = ?",
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

/// The page cache of the connection that builds the deferred indexes, in KiB.
const BUILD_CACHE_KIB: u32 = 16 << 10;

/// Builds every deferred index, each in its own transaction; returns how many it built.
pub(crate) async fn end(pool: &SqlitePool) -> Result<usize> {
    let deferred =
        sqlx::query("SELECT name, sql FROM deferred_indexes ORDER BY name").fetch_all(pool).await.map_err(db_err)?;
    if deferred.is_empty() {
        return Ok(0);
    }
    let mut conn = pool.acquire().await.map_err(db_err)?;
    // An index's sort spills to temporary files: in memory (the connections' setting, for the
    // fold's small sorts) two million keys held hundreds of megabytes. SQLite sorts in pieces
    // of up to the page cache's size, besides the cache itself: with the writer's 64 MB, the
    // builds at the end of a full import took its peak RSS up by 130 MB. Builds read each table
    // once, in order, and gain nothing from a large cache.
    sqlx::query("PRAGMA temp_store = FILE").execute(&mut *conn).await.map_err(db_err)?;
    sqlx::query(AssertSqlSafe(format!("PRAGMA cache_size = -{BUILD_CACHE_KIB}")))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    for row in &deferred {
        let c = Cols::new(row, "deferred_indexes");
        let (name, sql): (String, String) = (c.get(0)?, c.get(1)?);
        let started = std::time::Instant::now();
        let mut tx = conn.begin_with(BEGIN_WRITE).await.map_err(db_err)?;
        // The DELETE first: a statement on a table makes the connection check its cached
        // schema, which may predate the DROP if another connection made it; parsed against it,
        // the CREATE fails with "index … already exists".
        sqlx::query("DELETE FROM deferred_indexes WHERE name = ?")
            .bind(&name)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        // The statement SQLite itself kept for the index it dropped.
        sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        tracing::debug!(index = name, took = ?started.elapsed(), "deferred index built");
    }
    sqlx::query("PRAGMA temp_store = MEMORY").execute(&mut *conn).await.map_err(db_err)?;
    sqlx::query(AssertSqlSafe(format!("PRAGMA cache_size = -{}", crate::WRITE_CACHE_KIB)))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?;
    Ok(deferred.len())
}
