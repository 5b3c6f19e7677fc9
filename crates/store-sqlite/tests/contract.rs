//! The store contract, run against the SQLite backend.

use lobbyscope_store::contract;
use lobbyscope_store_sqlite::SqliteStore;

async fn fresh() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("nested/dir/test.sqlite")).await.unwrap();
    (dir, store)
}

macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let (_dir, store) = fresh().await;
            contract::$name(&store).await;
        }
    )*};
}

contract_tests!(
    writes_are_idempotent,
    changed_records_are_updated,
    uncommitted_files_leave_nothing,
    duplicates_within_a_batch_count_once,
    corrected_meetings_keep_their_identity,
    meetings_sharing_a_natural_key_stay_distinct,
    a_correction_and_a_new_meeting_on_one_key,
    links_round_trip,
    relink_pages_keep_meetings_whole,
    a_register_before_any_mention_owes_no_pass,
    links_written_with_records,
    data_generation_moves_with_committed_changes,
    a_register_change_leaves_a_linking_pass_owed,
    the_import_lock_has_one_holder_at_a_time,
    reads_answer_while_a_file_is_being_written,
    people_are_read_with_their_facets,
    person_activity_lists_their_meetings,
    procedure_activity_lists_the_meetings_citing_it,
    initiatives_are_read_with_their_responses,
    organisations_are_found_by_name_acronym_and_id,
    latest_activity_mixes_meetings_and_responses,
    organisations_are_listed_with_their_counts,
    position_inputs_gather_an_organisations_own_words,
    position_items_round_trip_with_verdicts,
    position_items_are_cached_superseded_and_retried,
);

#[tokio::test]
async fn reopening_keeps_data_and_does_not_rerun_migrations() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.sqlite");
    {
        let store = SqliteStore::open(&path).await.unwrap();
        contract::duplicates_within_a_batch_count_once(&store).await;
    }
    let store = SqliteStore::open(&path).await.unwrap();
    use lobbyscope_store::Store;
    assert_eq!(store.stats().await.unwrap().meetings, 1);
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(store.pool()).await.unwrap();
    assert_eq!(mode, "wal");
}
