//! The import lock of a PostgreSQL store: a session advisory lock, held by a connection of its
//! own that the guard keeps open. The server releases it when that connection ends, so an
//! importer killed with `kill -9` releases it too. Who holds it is kept in
//! `import_lock_holder`, written by the holder once it has the lock.

use std::sync::Mutex;

use lobbyscope_store::{ImportGuard, LockAttempt, LockHolder, Result, StoreError};
use sqlx::{PgConnection, PgPool};

use crate::db_err;

/// The advisory lock's key: any number the database's other users do not take, the same in
/// every lobbyscope process (b"lobbyimp").
const IMPORT_LOCK: i64 = 0x6c6f_6262_7969_6d70;

fn lock_err(reason: impl ToString) -> StoreError {
    StoreError::Lock { path: "the database's advisory lock".to_owned(), reason: reason.to_string() }
}

/// A connection of its own, out of the pool, that lives as long as the lock.
async fn connection(pool: &PgPool) -> Result<PgConnection> {
    Ok(pool.acquire().await.map_err(db_err)?.detach())
}

async fn record(conn: &mut PgConnection, me: &LockHolder) -> Result<()> {
    let holder = serde_json::to_string(me).map_err(lock_err)?;
    sqlx::query(
        "INSERT INTO import_lock_holder (id, holder) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET holder = excluded.holder",
    )
    .bind(holder)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

fn guard(conn: PgConnection) -> ImportGuard {
    ImportGuard::new(Mutex::new(conn))
}

pub(crate) async fn try_lock(pool: &PgPool, me: &LockHolder) -> Result<LockAttempt> {
    let mut conn = connection(pool).await?;
    let acquired: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(IMPORT_LOCK)
        .fetch_one(&mut conn)
        .await
        .map_err(db_err)?;
    if acquired {
        record(&mut conn, me).await?;
        return Ok(LockAttempt::Acquired(guard(conn)));
    }
    let holder: Option<String> = sqlx::query_scalar("SELECT holder FROM import_lock_holder WHERE id = 1")
        .fetch_optional(&mut conn)
        .await
        .map_err(db_err)?;
    Ok(LockAttempt::Held(holder.and_then(|h| serde_json::from_str(&h).ok())))
}

pub(crate) async fn lock(pool: &PgPool, me: &LockHolder) -> Result<ImportGuard> {
    let mut conn = connection(pool).await?;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(IMPORT_LOCK).execute(&mut conn).await.map_err(db_err)?;
    record(&mut conn, me).await?;
    Ok(guard(conn))
}
