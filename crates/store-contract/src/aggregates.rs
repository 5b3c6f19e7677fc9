//! What a SQL backend's tests check its kept aggregates against: each table as kept and as
//! counted again from the records, in SQL that SQLite and PostgreSQL both run, and the contract
//! sequences after which to compare them. The comparison itself is the backend's (it needs a
//! connection of its own kind).

use std::future::Future;
use std::pin::Pin;

use lobbyscope_store::Store;

/// Each kept aggregate table: its name, a query of it as kept and a query of it as counted again
/// from the records, each row as one text, in any order; a backend keeps the table exact when
/// the two give the same rows.
///
/// Both dialects: every subquery in FROM has an alias (PostgreSQL 15 requires one), conditions
/// are counted with CASE rather than by summing booleans (PostgreSQL has no sum of them), and the
/// branches of a UNION agree on each column's type (PostgreSQL does not mix text and integers
/// there, as SQLite does). `||` joins numbers to text in both.
pub const KEPT_AGGREGATES: [(&str, &str, &str); 11] = [
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
           SELECT DISTINCT a.org_key, m.id, m.quarter, \
             CASE WHEN m.institution = 'commission' THEN 1 ELSE 0 END AS c, \
             CASE WHEN m.institution = 'parliament' THEN 1 ELSE 0 END AS p, 0 AS r \
           FROM meeting_attendees a JOIN meetings m ON m.id = a.meeting_id WHERE a.org_key IS NOT NULL \
           UNION ALL SELECT org_key, CAST(id AS TEXT), quarter, 0, 0, 1 FROM feedback WHERE org_key IS NOT NULL \
         ) AS activity GROUP BY org_key, quarter",
    ),
    (
        "org_names",
        "SELECT org_key || '|' || name || '|' || mentions FROM org_names WHERE mentions <> 0",
        "SELECT org_key || '|' || name || '|' || count(*) FROM ( \
           SELECT org_key, name FROM meeting_attendees WHERE org_key IS NOT NULL AND name IS NOT NULL \
           UNION ALL SELECT org_key, organization FROM feedback WHERE org_key IS NOT NULL AND organization IS NOT NULL \
         ) AS mentions GROUP BY org_key, name",
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
           FROM organisations o) AS counted",
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
    // The fold's notes: empty once a transaction has committed.
    ("agg_log", "SELECT kind FROM agg_log", "SELECT 'nothing is left to fold' WHERE false"),
    ("agg_meetings", "SELECT org_key FROM agg_meetings", "SELECT 'nothing is left to fold' WHERE false"),
];

/// A contract function, as a value that a list can hold.
pub type Sequence = for<'a> fn(&'a dyn Store) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

macro_rules! sequences {
    ($($name:ident),* $(,)?) => {
        [$((stringify!($name), (|s| Box::pin(crate::$name(s))) as Sequence)),*]
    };
}

/// The contract functions that write records, links, corrections, organisations and position
/// items, by name: each, run on a fresh store, leaves the aggregates [`KEPT_AGGREGATES`] checks
/// something to be wrong about.
pub const WRITING_SEQUENCES: [(&str, Sequence); 17] = sequences![
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
