//! A copy between stores (`lobbyscope_store::copy`), PostgreSQL's side: pages of a table by
//! key, and rows written in transactions of many pages, folded before each commit as an
//! import session is.

use async_trait::async_trait;
use lobbyscope_store::{COPY_TRANSACTION_ROWS, CopyCursor, CopyPage, CopyRow, CopyTable, CopyWriter, Result};
use lobbyscope_store_sql::copy::{Kind, columns};
use sqlx::{AssertSqlSafe, PgPool, Postgres, Transaction};

use lobbyscope_store_sql::rows::bind_vals;

use crate::write::{copy_rows, insert_rows};
use crate::{bump_generation, db_err};

/// `SELECT … WHERE (k1, k2) > ($1, $2) ORDER BY k1, k2 LIMIT $3`, text keys compared
/// `COLLATE "C"` (code point order, as SQLite compares them) whatever the column's collation:
/// a no-op on the keys that are `"C"` already, so that their index still serves the order.
pub(crate) async fn copy_out(
    pool: &PgPool,
    table: CopyTable,
    after: Option<&CopyCursor>,
    limit: usize,
) -> Result<CopyPage> {
    let t = columns(table);
    let key: Vec<String> = t
        .key_columns()
        .iter()
        .map(|(c, kind)| if *kind == Kind::Text { format!("{c} COLLATE \"C\"") } else { (*c).to_owned() })
        .collect();
    let mut sql = format!("SELECT {} FROM {}", t.list(), table.name());
    let after = after.map(|a| t.after(a)).transpose()?;
    let mut next_mark = 1;
    if after.is_some() {
        let marks: Vec<String> = (1..=key.len()).map(|i| format!("${i}")).collect();
        sql.push_str(&format!(" WHERE ({}) > ({})", key.join(", "), marks.join(", ")));
        next_mark += key.len();
    }
    sql.push_str(&format!(" ORDER BY {} LIMIT ${next_mark}", key.join(", ")));
    let query = bind_vals(sqlx::query(AssertSqlSafe(sql)), after.map(<[_]>::to_vec).unwrap_or_default());
    let found = query.bind(i64::try_from(limit).unwrap_or(i64::MAX)).fetch_all(pool).await.map_err(db_err)?;
    let rows = found.iter().map(|r| t.read(r)).collect::<Result<Vec<CopyRow>>>()?;
    Ok(t.page(rows, limit))
}

pub(crate) async fn copy_count(pool: &PgPool, table: CopyTable) -> Result<u64> {
    let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {}", table.name())))
        .fetch_one(pool)
        .await
        .map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) struct PgCopyWriter {
    pool: PgPool,
    /// The open transaction, and how many rows it holds.
    tx: Option<Transaction<'static, Postgres>>,
    rows: usize,
}

impl PgCopyWriter {
    pub(crate) fn new(pool: PgPool) -> Self {
        PgCopyWriter { pool, tx: None, rows: 0 }
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
impl CopyWriter for PgCopyWriter {
    async fn write(&mut self, table: CopyTable, rows: Vec<CopyRow>) -> Result<()> {
        let t = columns(table);
        t.check(&rows)?;
        self.rows += rows.len();
        let tx = match &mut self.tx {
            Some(tx) => tx,
            None => self.tx.insert(self.pool.begin().await.map_err(db_err)?),
        };
        if table.is_state() {
            insert_rows(tx, &t.insert_head(), rows, &t.insert_tail()).await?;
        } else {
            // By `COPY`, as an import writes its records: the target holds none of them.
            copy_rows(tx, table.name(), &t.list(), rows).await?;
        }
        if self.rows >= COPY_TRANSACTION_ROWS {
            self.commit().await?;
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<()> {
        self.commit().await
    }
}
