//! Which store `--db` names: a SQLite file (the default) or a PostgreSQL database
//! (`postgres://…`). Nothing else in the program knows which backend it talks to.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use lobbyscope_store::Store;
use lobbyscope_store_postgres::{PgOptions, PgStore, is_postgres_url};
use lobbyscope_store_sqlite::{SqliteOptions, SqliteStore};

/// A store's location as given.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

/// How to reach the store: a pool size (PostgreSQL's; SQLite's file needs no more than it has)
/// and how long a statement may run.
#[derive(Debug, Clone, Default)]
pub struct Connections {
    pub pool_size: Option<u32>,
    pub statement_timeout: Option<Duration>,
}

impl Db {
    pub fn parse(given: &str) -> Db {
        if is_postgres_url(given) { Db::Postgres(given.to_owned()) } else { Db::Sqlite(PathBuf::from(given)) }
    }

    /// Opens the store, bringing its schema up to date.
    pub async fn open(&self, connections: &Connections) -> Result<Arc<dyn Store>> {
        Ok(match self {
            Db::Sqlite(path) => {
                let options =
                    SqliteOptions { statement_timeout: connections.statement_timeout, ..SqliteOptions::default() };
                Arc::new(SqliteStore::open_with(path, &options).await?)
            }
            Db::Postgres(url) => {
                let defaults = PgOptions::default();
                let options = PgOptions {
                    max_connections: connections.pool_size.unwrap_or(defaults.max_connections),
                    statement_timeout: connections.statement_timeout.or(defaults.statement_timeout),
                };
                Arc::new(PgStore::open_with(url, &options).await?)
            }
        })
    }

    /// The store as messages name it (a URL without its password).
    pub fn shown(&self) -> String {
        match self {
            Db::Sqlite(path) => path.display().to_string(),
            Db::Postgres(url) => lobbyscope_store_postgres::redacted(url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Db;

    #[test]
    fn a_url_names_postgres_and_anything_else_a_file() {
        assert!(matches!(Db::parse("postgres://me@db/lobby"), Db::Postgres(_)));
        assert!(matches!(Db::parse("postgresql://me@db/lobby"), Db::Postgres(_)));
        assert!(matches!(Db::parse("lobbyscope.sqlite"), Db::Sqlite(_)));
        assert!(matches!(Db::parse("/data/postgres/lobby.sqlite"), Db::Sqlite(_)));
        assert_eq!(Db::parse("postgres://me:secret@db/lobby").shown(), "postgres://me@db/lobby");
    }
}
