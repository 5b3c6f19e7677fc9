//! The fresh stores a benchmark imports into: SQLite files in a folder of the benchmark's own,
//! or new databases on a PostgreSQL server.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lobbyscope_store_postgres::redacted;
use sqlx::Connection;

use crate::db::Db;

pub enum Stores {
    /// Files `NAME.sqlite` in this folder, which the benchmark owns: it is emptied at the start.
    Sqlite(PathBuf),
    /// Databases `BASE_NAME` on the server, reached through `admin`, a database on it.
    Postgres { admin: String, base: String },
}

/// PostgreSQL cuts identifiers at 63 bytes; a longer name would silently name another database.
const MAX_IDENTIFIER: usize = 63;

impl Stores {
    /// SQLite files in `dir`, or, for `--db postgres://…/NAME`, databases `NAME_…` on that server
    /// (reached through NAME if it exists, else through the server's `postgres` database).
    pub async fn new(db: Option<&Db>, dir: PathBuf) -> Result<Stores> {
        match db {
            Some(Db::Postgres(url)) => {
                let base = database_of(url).unwrap_or("lobbyscope_bench").to_owned();
                let simple = base.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
                if base.is_empty() || !simple || base.len() + "_have_your_say".len() > MAX_IDENTIFIER {
                    bail!(
                        "the benchmark names its databases after the one in --db ({base:?}_register, …): \
                         give a database of lower-case letters, digits and _ of at most 49 characters"
                    );
                }
                let admin = match sqlx::PgConnection::connect(url).await {
                    Ok(conn) => {
                        conn.close().await?;
                        url.clone()
                    }
                    Err(named) => {
                        let maintenance = with_database(url, "postgres");
                        let conn = sqlx::PgConnection::connect(&maintenance).await.with_context(|| {
                            format!("cannot connect to {} ({named}), nor to its postgres database", redacted(url))
                        })?;
                        conn.close().await?;
                        maintenance
                    }
                };
                Ok(Stores::Postgres { admin, base })
            }
            Some(Db::Sqlite(_)) | None => {
                if dir.exists() {
                    std::fs::remove_dir_all(&dir).with_context(|| format!("cannot empty {}", dir.display()))?;
                }
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
                Ok(Stores::Sqlite(dir))
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Stores::Sqlite(_) => "SQLite",
            Stores::Postgres { .. } => "PostgreSQL",
        }
    }

    /// An empty store called `name`: a database dropped first if an earlier run left one.
    pub async fn fresh(&self, name: &str) -> Result<Db> {
        match self {
            Stores::Sqlite(dir) => Ok(Db::Sqlite(dir.join(format!("{name}.sqlite")))),
            Stores::Postgres { admin, base } => {
                let database = format!("{base}_{name}");
                let shown = redacted(admin);
                let mut conn = sqlx::PgConnection::connect(admin)
                    .await
                    .with_context(|| format!("cannot connect to {shown} to create the database {database}"))?;
                // The name is checked above to be a plain identifier, so it is safe to splice in.
                for statement in
                    [format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"), format!("CREATE DATABASE {database}")]
                {
                    sqlx::query(sqlx::AssertSqlSafe(statement))
                        .execute(&mut conn)
                        .await
                        .with_context(|| format!("cannot make the database {database} on {shown} afresh"))?;
                }
                conn.close().await?;
                Ok(Db::Postgres(with_database(admin, &database)))
            }
        }
    }
}

/// The database a URL names: the path after `scheme://authority/`, before any `?`.
fn database_of(url: &str) -> Option<&str> {
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    let rest = &base[base.find("://").map_or(0, |i| i + 3)..];
    rest.split_once('/').map(|(_, db)| db).filter(|db| !db.is_empty())
}

/// `url` naming `database` instead: `scheme://user@host/<database>?params`.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let head = base[authority_end..].find('/').map_or(base, |i| &base[..authority_end + i]);
    match query {
        Some(q) => format!("{head}/{database}?{q}"),
        None => format!("{head}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::{database_of, with_database};

    #[test]
    fn databases_are_named_after_the_given_one() {
        assert_eq!(database_of("postgres://me@localhost/bench?host=/tmp/x"), Some("bench"));
        assert_eq!(database_of("postgres://me:pw@localhost:5433/bench"), Some("bench"));
        assert_eq!(database_of("postgres://me@localhost"), None);
        assert_eq!(database_of("postgres://me@localhost/"), None);
        assert_eq!(
            with_database("postgres://me@localhost/bench?host=/tmp/x", "bench_corpus"),
            "postgres://me@localhost/bench_corpus?host=/tmp/x"
        );
        assert_eq!(with_database("postgres://me@localhost", "b_corpus"), "postgres://me@localhost/b_corpus");
    }
}
