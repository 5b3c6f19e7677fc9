//! A copy between stores (`lobbyscope_store::copy`), SQLite's side: pages of a table by key,
//! and rows written in transactions of many pages, folded before each commit as an import
//! session is.

use async_trait::async_trait;
use lobbyscope_store::{COPY_TRANSACTION_ROWS, CopyCursor, CopyPage, CopyRow, CopyTable, CopyWriter, Result};
use lobbyscope_store_sql::copy::columns;
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool, Transaction};

use lobbyscope_store_sql::rows::bind_vals;

use crate::write::insert_rows;
use crate::{BEGIN_WRITE, bump_generation, db_err};

/// `SELECT … WHERE (k1, k2) > (?, ?) ORDER BY k1, k2 LIMIT ?`: keys compare as stored, text by
/// its bytes (BINARY), which is code point order in UTF-8, as PostgreSQL's `"C"` orders it.
pub(crate) async fn copy_out(
    pool: &SqlitePool,
    table: CopyTable,
    after: Option<&CopyCursor>,
    limit: usize,
) -> Result<CopyPage> {
    let t = columns(table);
    let key: Vec<&str> = t.key_columns().iter().map(|(c, _)| *c).collect();
    let mut sql = format!("SELECT {} FROM {}", t.list(), table.name());
    let after = after.map(|a| t.after(a)).transpose()?;
    if after.is_some() {
        let marks = vec!["?"; key.len()].join(", ");
        sql.push_str(&format!(" WHERE ({}) > ({marks})", key.join(", ")));
    }
    sql.push_str(&format!(" ORDER BY {} LIMIT ?", key.join(", ")));
    let query = bind_vals(sqlx::query(AssertSqlSafe(sql)), after.map(<[_]>::to_vec).unwrap_or_default());
    let found = query.bind(i64::try_from(limit).unwrap_or(i64::MAX)).fetch_all(pool).await.map_err(db_err)?;
    let rows = found.iter().map(|r| t.read(r)).collect::<Result<Vec<CopyRow>>>()?;
    Ok(t.page(rows, limit))
}

pub(crate) async fn copy_count(pool: &SqlitePool, table: CopyTable) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {}", table.name())))
        .fetch_one(pool)
        .await
        .map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) struct SqliteCopyWriter {
    pool: SqlitePool,
    /// The open transaction, and how many rows it holds.
    tx: Option<Transaction<'static, Sqlite>>,
    rows: usize,
}

impl SqliteCopyWriter {
    pub(crate) fn new(pool: SqlitePool) -> Self {
        SqliteCopyWriter { pool, tx: None, rows: 0 }
    }

    /// Folds what the open transaction wrote and commits it.
    async fn commit(&mut self) -> Result<()> {
        self.rows = 0;
        let Some(mut tx) = self.tx.take() else { return Ok(()) };
        crate::stats::settle(&mut tx).await?;
        bump_generation(&mut tx).await?;
        tx.commit().await.map_err(db_err)
    }
}

#[async_trait]
impl CopyWriter for SqliteCopyWriter {
    async fn write(&mut self, table: CopyTable, rows: Vec<CopyRow>) -> Result<()> {
        let t = columns(table);
        t.check(&rows)?;
        self.rows += rows.len();
        let tx = match &mut self.tx {
            Some(tx) => tx,
            None => self.tx.insert(self.pool.begin_with(BEGIN_WRITE).await.map_err(db_err)?),
        };
        insert_rows(tx, &t.insert_head(), rows, &t.insert_tail()).await?;
        if self.rows >= COPY_TRANSACTION_ROWS {
            self.commit().await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        self.commit().await
    }
}
