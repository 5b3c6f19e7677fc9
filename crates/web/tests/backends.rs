//! The site shows the same pages on both backends: the demo data imported into SQLite and into
//! PostgreSQL (and position items written on each), then every page reached by following the
//! SQLite site's links from the home page and the lists, in every order, compared byte for
//! byte but for the times of the imports. Needs the PostgreSQL server of
//! `LOBBYSCOPE_TEST_POSTGRES` (skipped without one, unless `LOBBYSCOPE_REQUIRE_POSTGRES` is set).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;

use common::{get, repo};
use lobbyscope_store::Store;
use lobbyscope_store_postgres::PgStore;
use lobbyscope_store_postgres::testing::TestDatabase;
use lobbyscope_store_sqlite::SqliteStore;

/// Pages compared at most: enough to reach every kind of page, and deep pages of the lists.
const PAGES: usize = 400;

/// The demo's EP rows cite no procedure: rows that do, in the export's layout.
const EP_WITH_PROCEDURES: &str = "title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id
e-Privacy Derogation,197431,BREYER Patrick,2020-11-10,Shadow rapporteur,2020/0259(COD),Internet Society (ISOC),953701819437-32
Hydrogen and gas markets,197448,ANDRESEN Rasmus,2021-05-20,Rapporteur,\"2020/0360(COD), 2020/0259(COD)\",Vattenfall,12955024114-93
";

async fn load(store: &dyn Store, dir: &std::path::Path) {
    let ep = dir.join("ep_with_procedures.csv");
    std::fs::write(&ep, EP_WITH_PROCEDURES).unwrap();
    let report = lobbyscope_ingest::import_paths(store, &[repo("demo"), ep], &lobbyscope_ingest::Quiet).await.unwrap();
    assert!(!report.failed(), "{report:?}");
    let writer = lobbyscope_analysis::Extractive;
    let options = lobbyscope_analysis::RunOptions::default();
    lobbyscope_analysis::analyze(store, &writer, &options, &lobbyscope_analysis::run::Quiet).await.unwrap();
}

/// The page with the times of the imports (and of the position items' writing) taken out:
/// they differ between the two imports by construction.
fn normalised(body: &str) -> String {
    let times = regex::Regex::new(
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})|\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC",
    )
    .unwrap();
    times.replace_all(body, "<time>").into_owned()
}

/// The site's own links in a page, without fragments.
fn links(body: &str) -> Vec<String> {
    let href = regex::Regex::new(r##"href="(/[^"#]*)"##).unwrap();
    href.captures_iter(body).map(|c| c[1].replace("&amp;", "&")).collect()
}

#[tokio::test]
async fn both_backends_show_the_same_pages() {
    let Some(db) = TestDatabase::create().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("site.sqlite")).await.unwrap();
    let postgres = PgStore::open(db.url()).await.unwrap();
    load(&sqlite, dir.path()).await;
    load(&postgres, dir.path()).await;
    let sqlite_site = lobbyscope_web::router(Arc::new(sqlite));
    let postgres_site = lobbyscope_web::router(Arc::new(postgres.clone()));

    // The home page and the lists, and two organisations whose pages link to every other kind
    // of page: the Internet Society (consultation responses, position items and the texts
    // they cite) and the ETUC (meetings with MEPs and officials); and a procedure.
    let start = [
        "/",
        "/api",
        "/?q=europe",
        "/?q=ISOC",
        "/orgs.csv",
        "/org/953701819437-32",
        "/org/06698681039-26",
        "/procedure/2020/0259(COD)",
    ];
    let mut queue: VecDeque<String> = start.map(String::from).into();
    for sort in ["activity", "name", "commission", "parliament", "responses"] {
        for page in [1, 2, 40] {
            queue.push_back(format!("/orgs?sort={sort}&page={page}"));
            queue.push_back(format!("/api/orgs?sort={sort}&page={page}"));
        }
    }
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut compared = 0;
    let mut kinds = BTreeSet::new();
    while let Some(uri) = queue.pop_front() {
        if compared == PAGES {
            break;
        }
        let (a, b) = (get(&sqlite_site, &uri).await, get(&postgres_site, &uri).await);
        assert_eq!(a.status, b.status, "{uri}");
        assert_eq!(normalised(&a.body), normalised(&b.body), "{uri} differs between SQLite and PostgreSQL");
        compared += 1;
        kinds.insert(uri.split(['/', '?']).nth(1).unwrap_or("").to_owned());
        for link in links(&a.body) {
            if !link.starts_with("/assets") && seen.insert(link.clone()) {
                queue.push_back(link);
            }
        }
    }
    assert_eq!(compared, PAGES, "the demo site has fewer pages than expected: {seen:?}");
    for kind in ["org", "mep", "official", "meeting", "procedure", "initiative", "response", "position", "source"] {
        assert!(kinds.contains(kind), "no {kind} page was compared: {kinds:?}");
    }
    postgres.close().await;
}
