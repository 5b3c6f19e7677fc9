//! The aggregates of migrations 0007 (noted by triggers, folded by `stats::settle`), 0008 and
//! 0010 (kept by triggers) equal a recount from the records, table by table, after every contract
//! sequence that writes; and a store filled before the migrations gets them filled by them.

use std::future::Future;
use std::pin::Pin;

use lobbyscope_store::Store;
use lobbyscope_store_contract as contract;
use lobbyscope_store_sqlite::SqliteStore;
use sqlx::SqlitePool;

/// Each aggregate as kept, and as counted again from the records; each row as one text.
const AGGREGATES: [(&str, &str, &str); 11] = [
    (
        "org_meetings",
        "SELECT org_key || '|' || meeting_id || '|' || date || '|' || quarter || '|' || institution FROM org_meetings",
        "SELECT DISTINCT a.org_key || '|' || m.id || '|' || m.date || '|' || m.quarter || '|' || m.institution \
         FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id WHERE a.org_key IS NOT NULL",
    ),
    (
        "org_quarters",
        "SELECT org_key || '|' || quarter || '|' || commission || '|' || parliament || '|' || responses \
         FROM org_quarters WHERE commission <> 0 OR parliament <> 0 OR responses <> 0",
        "SELECT org_key || '|' || quarter || '|' || sum(c) || '|' || sum(p) || '|' || sum(r) FROM ( \
           SELECT DISTINCT a.org_key, m.id, m.quarter, m.institution = 'commission' AS c, \
             m.institution = 'parliament' AS p, 0 AS r \
           FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id WHERE a.org_key IS NOT NULL \
           UNION ALL SELECT org_key, id, quarter, 0, 0, 1 FROM feedback WHERE org_key IS NOT NULL \
         ) GROUP BY org_key, quarter",
    ),
    (
        "org_names",
        "SELECT org_key || '|' || name || '|' || mentions FROM org_names WHERE mentions <> 0",
        "SELECT org_key || '|' || name || '|' || count(*) FROM ( \
           SELECT org_key, name FROM meeting_attendees WHERE org_key IS NOT NULL AND name IS NOT NULL \
           UNION ALL SELECT org_key, organization FROM feedback WHERE org_key IS NOT NULL AND organization IS NOT NULL \
         ) GROUP BY org_key, name",
    ),
    (
        "publication_counts",
        "SELECT publication_id || '|' || user_type || '|' || country || '|' || responses FROM publication_counts \
         WHERE responses <> 0",
        "SELECT publication_id || '|' || coalesce(user_type, '') || '|' || coalesce(country, '') || '|' || count(*) \
         FROM feedback WHERE publication_id IS NOT NULL GROUP BY publication_id, user_type, country",
    ),
    (
        "organisations",
        "SELECT key || '|' || commission || '|' || parliament || '|' || responses || '|' || total || '|' || sort_name \
         FROM organisations",
        "SELECT key || '|' || c || '|' || p || '|' || r || '|' || (c + p + r) || '|' || lower(name) FROM ( \
           SELECT o.key, o.name, \
             (SELECT count(DISTINCT a.meeting_id) FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id \
               WHERE a.org_key = o.key AND m.institution = 'commission') AS c, \
             (SELECT count(DISTINCT a.meeting_id) FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id \
               WHERE a.org_key = o.key AND m.institution = 'parliament') AS p, \
             (SELECT count(*) FROM feedback f WHERE f.org_key = o.key) AS r \
           FROM organisations o)",
    ),
    (
        "record_counts",
        "SELECT name || '|' || n FROM record_counts",
        "SELECT 'organisations|' || count(*) FROM organisations \
         UNION ALL SELECT 'registered_organisations|' || count(*) FROM organisations WHERE register_id IS NOT NULL \
         UNION ALL SELECT 'register_entries|' || count(*) FROM register_entries \
         UNION ALL SELECT 'commission_meetings|' || count(*) FROM meetings WHERE institution = 'commission' \
         UNION ALL SELECT 'parliament_meetings|' || count(*) FROM meetings WHERE institution = 'parliament' \
         UNION ALL SELECT 'initiatives|' || count(*) FROM initiatives \
         UNION ALL SELECT 'publications|' || count(*) FROM publications \
         UNION ALL SELECT 'responses|' || count(*) FROM feedback \
         UNION ALL SELECT 'people|' || count(*) FROM people \
         UNION ALL SELECT 'imported_files|' || count(*) FROM import_files \
         UNION ALL SELECT 'positions_shown|' || count(*) FROM position_items WHERE shown = 1 \
         UNION ALL SELECT 'positions_written|' || count(*) FROM position_items WHERE status = 'written' \
         UNION ALL SELECT 'positions_empty|' || count(*) FROM position_items WHERE status = 'empty' \
         UNION ALL SELECT 'positions_pending|' || count(*) FROM position_items WHERE status = 'pending' \
         UNION ALL SELECT 'organisations_commission|' || count(*) FROM organisations WHERE commission > 0 \
         UNION ALL SELECT 'organisations_parliament|' || count(*) FROM organisations WHERE parliament > 0 \
         UNION ALL SELECT 'organisations_responses|' || count(*) FROM organisations WHERE responses > 0",
    ),
    (
        "person_meetings",
        "SELECT person_key || '|' || meeting_id || '|' || position || '|' || name || '|' || coalesce(role, '') \
           || '|' || date || '|' || institution || '|' || coalesce(cabinet, '') || '|' || coalesce(dg, '') \
           || '|' || coalesce(portfolio, '') FROM person_meetings",
        "SELECT h.person_key || '|' || h.meeting_id || '|' || h.position || '|' || h.name || '|' || coalesce(h.role, '') \
           || '|' || m.date || '|' || m.institution || '|' || coalesce(m.cabinet, '') \
           || '|' || coalesce(m.dg, m.dg_acronym, '') || '|' || coalesce(m.portfolio, '') \
         FROM meeting_hosts h JOIN meetings m ON m.id = h.meeting_id",
    ),
    (
        "procedure_meetings",
        "SELECT reference || '|' || meeting_id || '|' || date || '|' || institution FROM procedure_meetings",
        "SELECT p.reference || '|' || p.meeting_id || '|' || m.date || '|' || m.institution \
         FROM meeting_procedures p JOIN meetings m ON m.id = p.meeting_id",
    ),
    (
        "register_snapshots",
        "SELECT snapshot_date || '|' || entries FROM register_snapshots",
        "SELECT snapshot_date || '|' || count(*) FROM register_entries GROUP BY snapshot_date",
    ),
    ("agg_log", "SELECT kind FROM agg_log", "SELECT 'nothing is left to fold' WHERE false"),
    ("agg_meetings", "SELECT org_key FROM agg_meetings", "SELECT 'nothing is left to fold' WHERE false"),
];

async fn rows(pool: &SqlitePool, sql: &'static str) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
    rows.sort();
    rows
}

/// Every aggregate equals its recount.
async fn assert_exact(store: &SqliteStore, step: &str) {
    for (table, kept, recount) in AGGREGATES {
        assert_eq!(rows(store.pool(), kept).await, rows(store.pool(), recount).await, "{step}: {table}");
    }
}

type Sequence = for<'a> fn(&'a dyn Store) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

macro_rules! sequences {
    ($($name:ident),* $(,)?) => {
        [$((stringify!($name), (|s| Box::pin(contract::$name(s))) as Sequence)),*]
    };
}

/// The contract's sequences that write records, links, corrections, organisations and
/// position items, each on a fresh store, each checked after it ran.
#[tokio::test]
async fn aggregates_equal_a_recount_after_every_writing_sequence() {
    let sequences = sequences![
        kept_counts_match_a_recount,
        writes_are_idempotent,
        changed_records_are_updated,
        uncommitted_files_leave_nothing,
        a_session_keeps_its_committed_files_only,
        duplicates_within_a_batch_count_once,
        links_round_trip,
        links_written_with_records,
        corrected_meetings_keep_their_identity,
        meetings_sharing_a_natural_key_stay_distinct,
        a_correction_and_a_new_meeting_on_one_key,
        initiatives_are_read_with_their_responses,
        a_register_change_leaves_a_linking_pass_owed,
        a_register_before_any_mention_owes_no_pass,
        position_items_are_cached_superseded_and_retried,
        position_items_round_trip_with_verdicts,
        relink_pages_keep_meetings_whole,
    ];
    for (name, sequence) in sequences {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("db.sqlite")).await.unwrap();
        sequence(&store).await;
        assert_exact(&store, name).await;
    }
}

/// What migrations 0007, 0008 and 0010 added, taken away again, as in a store made before them.
const UNDO_0007: &[&str] = &[
    "DELETE FROM _sqlx_migrations WHERE version IN (7, 8, 10)",
    "DROP TABLE person_meetings",
    "DROP TABLE procedure_meetings",
    "DROP TABLE org_meetings",
    "DROP TABLE org_quarters",
    "DROP TABLE org_names",
    "DROP TABLE agg_log",
    "DROP TABLE agg_meetings",
    "DROP TABLE publication_counts",
    "DROP TABLE record_counts",
    "DROP TABLE register_snapshots",
    "DROP INDEX organisations_by_name",
    "DROP INDEX organisations_by_activity",
    "DROP INDEX organisations_by_commission",
    "DROP INDEX organisations_by_parliament",
    "DROP INDEX organisations_by_responses",
    "DROP INDEX feedback_by_org_date",
    "DROP INDEX feedback_by_publication_date",
    "DROP INDEX position_items_shown",
    "DROP INDEX import_files_by_time",
    "ALTER TABLE organisations DROP COLUMN sort_name",
    "CREATE INDEX feedback_by_org ON feedback (org_key)",
    "CREATE INDEX feedback_by_publication ON feedback (publication_id)",
    "ALTER TABLE organisations DROP COLUMN total",
    "ALTER TABLE organisations DROP COLUMN commission",
    "ALTER TABLE organisations DROP COLUMN parliament",
    "ALTER TABLE organisations DROP COLUMN responses",
    "ALTER TABLE meetings DROP COLUMN quarter",
    "ALTER TABLE feedback DROP COLUMN quarter",
];

/// A store filled before migrations 0007, 0008 and 0010 gets its aggregates from them, as exact as
/// those kept since.
#[tokio::test]
async fn the_migration_fills_the_aggregates_of_a_filled_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        contract::kept_counts_match_a_recount(&store).await;
        contract::position_items_round_trip_with_verdicts(&store).await;
        let triggers: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(store.pool())
            .await
            .unwrap();
        assert!(!triggers.is_empty());
        for t in triggers {
            sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {t}"))).execute(store.pool()).await.unwrap();
        }
        for sql in UNDO_0007 {
            sqlx::query(*sql).execute(store.pool()).await.unwrap();
        }
        store.close().await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    let filled: i64 = sqlx::query_scalar("SELECT count(*) FROM org_quarters").fetch_one(store.pool()).await.unwrap();
    assert!(filled > 0, "the migration ran again");
    assert_exact(&store, "migrated").await;
    // And the triggers it made keep them so: a pass that drops every organisation.
    store.apply_links(&[], &[]).await.unwrap();
    assert_exact(&store, "every organisation dropped after the migration").await;
}
