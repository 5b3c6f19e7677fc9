//! Throwaway databases for tests, on the server `LOBBYSCOPE_TEST_POSTGRES` names (a URL whose
//! user may create databases; `tools/postgres.sh start DIR` starts such a server). Without it
//! tests that need PostgreSQL are skipped, unless `LOBBYSCOPE_REQUIRE_POSTGRES` is set (CI sets
//! both), when they fail.

#![allow(clippy::panic, reason = "test support: a test without its database fails, saying why")]

use std::sync::atomic::{AtomicU32, Ordering};

/// The server for tests, if any. Panics when PostgreSQL is required and not configured.
pub fn server_url() -> Option<String> {
    match std::env::var("LOBBYSCOPE_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if required() => panic!(
            "LOBBYSCOPE_REQUIRE_POSTGRES is set but LOBBYSCOPE_TEST_POSTGRES names no server \
             (start one with tools/postgres.sh start DIR)"
        ),
        _ => {
            eprintln!("skipped: LOBBYSCOPE_TEST_POSTGRES is not set");
            None
        }
    }
}

fn required() -> bool {
    std::env::var_os("LOBBYSCOPE_REQUIRE_POSTGRES").is_some_and(|v| !v.is_empty() && v != "0")
}

/// A database of its own for one test, dropped with it.
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates an empty database on the test server; `None` when there is none (and it is not
    /// required).
    pub async fn create() -> Option<TestDatabase> {
        let server = server_url()?;
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "lobbyscope_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos())
        );
        let mut admin = connect(&server).await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
        let url = with_database(&server, &name);
        Some(TestDatabase { server, name, url })
    }

    /// The database's URL, for `PgStore::open` or a child process's `--db`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

async fn connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("the PostgreSQL server for tests ({url}) is unreachable: {e}"))
}

/// `url` with its database replaced by `name`: `scheme://user@host/<db>?params`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    // The authority ends at the first '/' after the scheme's "://".
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let head = base[authority_end..].find('/').map_or(base, |i| &base[..authority_end + i]);
    match query {
        Some(q) => format!("{head}/{name}?{q}"),
        None => format!("{head}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Dropped from async tests: on a runtime of its own, on a thread of its own.
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = connect(&server).await;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_database_replaces_the_one_in_the_url() {
        let f = super::with_database;
        assert_eq!(f("postgres://me@localhost/postgres?host=/tmp/x", "t1"), "postgres://me@localhost/t1?host=/tmp/x");
        assert_eq!(f("postgres://me@localhost/postgres", "t1"), "postgres://me@localhost/t1");
        assert_eq!(f("postgres://me@localhost", "t1"), "postgres://me@localhost/t1");
    }
}
