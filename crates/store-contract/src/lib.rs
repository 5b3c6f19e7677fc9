//! The behaviour every store backend must show: one suite of test functions, each given a
//! fresh, empty store, run against each database.
//!
//! A backend runs the whole suite with [`store_contract_tests!`] and a function that makes a
//! fresh store, so that a new backend cannot forget a test (a copy's tests get two):
//!
//! ```text
//! async fn fresh() -> Option<impl lobbyscope_store_contract::Fixture> { /* a new, empty store */ }
//! lobbyscope_store_contract::store_contract_tests!(fresh);
//! ```
//!
//! Records are built by hand here so that the contract does not depend on any parser.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a contract test suite: a broken expectation fails the test that runs it"
)]

/// A fresh store for one test, with whatever must live as long as it (a temporary folder, a
/// database to drop afterwards).
pub trait Fixture {
    fn store(&self) -> &dyn Store;

    /// Makes the database refuse any consultation response whose text is [`REFUSED_TEXT`], as
    /// it refuses a value it cannot hold (a trigger that raises this backend's error for a
    /// value at fault), so that the contract can show what a refused file does.
    fn refuse_a_text(&self) -> impl std::future::Future<Output = ()> + Send;
}

/// The response text a [`Fixture::refuse_a_text`] database refuses.
pub const REFUSED_TEXT: &str = "The database refuses this text.";

/// Expands to one `#[tokio::test]` per contract function, each calling `$fresh().await` for a
/// new [`Fixture`]: `Some`, or `None` to skip the test (a backend whose server this machine
/// lacks; the backend decides when that is a failure instead). The calling crate needs `tokio` (with `macros` and `rt-multi-thread`).
#[macro_export]
macro_rules! store_contract_tests {
    ($fresh:path) => {
        $crate::store_contract_tests!(@each $fresh;
            writes_are_idempotent,
            changed_records_are_updated,
            uncommitted_files_leave_nothing,
            a_session_keeps_its_committed_files_only,
            duplicates_within_a_batch_count_once,
            links_round_trip,
            relink_pages_keep_meetings_whole,
            a_register_before_any_mention_owes_no_pass,
            links_written_with_records,
            corrected_meetings_keep_their_identity,
            meetings_sharing_a_natural_key_stay_distinct,
            a_correction_and_a_new_meeting_on_one_key,
            people_are_read_with_their_facets,
            person_activity_lists_their_meetings,
            procedure_activity_lists_the_meetings_citing_it,
            initiatives_are_read_with_their_responses,
            organisations_are_found_by_name_acronym_and_id,
            latest_activity_mixes_meetings_and_responses,
            organisations_are_listed_with_their_counts,
            the_list_narrowed_to_some_keeps_the_lists_order,
            data_generation_moves_with_committed_changes,
            a_register_change_leaves_a_linking_pass_owed,
            names_given_beside_ids_are_aliases,
            a_writer_that_owes_a_pass_owes_it_once_committed,
            the_import_lock_has_one_holder_at_a_time,
            reads_answer_while_a_file_is_being_written,
            position_inputs_gather_an_organisations_own_words,
            position_items_round_trip_with_verdicts,
            position_items_are_cached_superseded_and_retried,
            organisations_list_pages_at_the_edges,
            an_empty_store_lists_nothing,
            registered_names_list_every_snapshot,
            organisation_view_holds_register_history_and_published_names,
            organisation_activity_filters_and_pages,
            meetings_are_read_by_id,
            responses_are_read_by_id,
            kept_counts_match_a_recount,
            organisations_list_pages_by_keyset,
            a_bulk_load_reads_right_and_ends_as_a_plain_load,
            deep_timeline_pages_join_up,
            source_health_is_kept_per_source_and_read_in_source_order,
            a_failed_attempt_keeps_the_figures_it_is_given,
            source_health_text_and_times_round_trip_as_given,
            what_a_listing_no_longer_holds_is_marked_and_kept,
            record_ids_page_by_key_and_since_an_import,
            records_are_read_by_ids_in_the_order_given,
            organisations_are_read_as_documents,
            people_are_read_as_documents,
            analysis_output_is_read_for_the_index,
        );
        $crate::store_contract_tests!(@pairs $fresh;
            a_copy_reads_back_as_its_source,
            a_copy_refuses_a_target_that_holds_rows,
            files_written_together_end_as_files_written_one_by_one,
        );
        $crate::store_contract_tests!(@fixture $fresh;
            a_file_the_database_refuses_is_left_out_alone,
        );
    };
    (@each $fresh:path; $($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(fixture) = $fresh().await else { return };
            $crate::$name($crate::Fixture::store(&fixture)).await;
        }
    )*};
    // Functions of the fixture itself.
    (@fixture $fresh:path; $($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(fixture) = $fresh().await else { return };
            $crate::$name(&fixture).await;
        }
    )*};
    // Functions of two fresh stores, a source and a target.
    (@pairs $fresh:path; $($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let Some(source) = $fresh().await else { return };
            let Some(target) = $fresh().await else { return };
            $crate::$name($crate::Fixture::store(&source), $crate::Fixture::store(&target)).await;
        }
    )*};
}

mod aggregates;
pub use aggregates::{KEPT_AGGREGATES, Sequence, WRITING_SEQUENCES};
mod documents;
pub use documents::{
    analysis_output_is_read_for_the_index, organisations_are_read_as_documents, people_are_read_as_documents,
    record_ids_page_by_key_and_since_an_import, records_are_read_by_ids_in_the_order_given,
};

use chrono::{DateTime, NaiveDate, Utc};
use lobbyscope_domain::{
    Attendee, Costs, Document, Feedback, Host, Initiative, Institution, Locator, Meeting, MeetingId, Provenance,
    Publication, Record, RegisterEntry, RegisterId, SourceId, SourceKind,
};

use lobbyscope_store::{
    Activity, ActivityCounts, ActivityFilter, ActivityKind, ActivityPage, CheckedSentence, Citation, CopyError,
    CopyRow, CopyTable, CopyValue, FoldedName, ImportFile, ItemStatus, LinkMethod, LinkedMention, MatchKind,
    MeetingView, MentionLink, MentionRef, NewPositionItem, OrgKey, OrgSort, Organisation, Part, PersonFacet, PersonKey,
    PersonKind, PositionCounts, QuietCopy, RunFigures, SourceHealth, SourceTextKind, SourceTextRecord, Stamped, Stats,
    Store, StoreError, ValueCount, When, WholeFile, WriteCounts, copy_store,
};

fn id(s: &str) -> RegisterId {
    RegisterId::parse(s).expect("valid test id")
}

/// Someone of the Commission, by folded name.
fn official(folded: &str) -> PersonKey {
    PersonKey::Commission(FoldedName::parse(folded).expect("a folded name"))
}

/// A key by its address form: `953701819437-32`, `n:some-unregistered-ngo`.
fn org(segment: &str) -> OrgKey {
    OrgKey::from_url_segment(segment).expect("valid test key")
}

fn date(s: &str) -> NaiveDate {
    s.parse().expect("valid test date")
}

fn file(name: &str, source: SourceKind) -> ImportFile {
    ImportFile { file: name.into(), source, sha256: format!("sha-{name}"), imported_at: "2026-11-29T12:00:00Z".into() }
}

/// A record as read from row `n` of a file of `source`.
pub fn stamp(record: Record, source: SourceKind, n: u32) -> Stamped {
    Stamped {
        prov: Provenance {
            source,
            file: "test".into(),
            locator: Locator::Row(n),
            imported_at: "2026-11-29T12:00:00Z".into(),
            content_hash: record.content_hash(),
        },
        record,
        links: vec![],
    }
}

pub fn register_entry(register_id: &str, name: &str, snapshot: &str) -> RegisterEntry {
    RegisterEntry {
        register_id: id(register_id),
        snapshot_date: date(snapshot),
        name: name.into(),
        acronym: None,
        entity_form: Some("Not-for-profit corporation".into()),
        category: Some("Non-governmental organisations, platforms and networks and similar".into()),
        head_office_country: Some("UNITED STATES".into()),
        head_office_city: Some("Reston".into()),
        website: Some("http://www.internetsociety.org".into()),
        goals: Some("Promote the open development of the Internet.\nSecond line.".into()),
        levels_of_interest: vec!["global".into(), "European".into()],
        fields_of_interest: vec!["Digital economy and society".into()],
        eu_legislative_proposals: None,
        members: Some(3),
        fte: Some(1.75),
        ep_accredited: Some(2),
        costs: Some(Costs::Range { min: 50_000, max: 99_999 }),
        financial_year_start: Some(date("2017-01-01")),
        financial_year_end: Some(date("2017-12-31")),
        registration_date: Some(date("2015-11-05")),
        last_update_date: None,
    }
}

pub fn commission_meeting() -> Meeting {
    Meeting {
        institution: Institution::Commission,
        date: date("2022-06-30"),
        hosts: vec![
            Host { name: "Christiane Canenbley".into(), role: Some("Cabinet member".into()), ep_id: None },
            Host { name: "Werner Stengg".into(), role: Some("Cabinet member".into()), ep_id: None },
        ],
        cabinet: Some("Cabinet of Executive Vice-President Margrethe Vestager".into()),
        dg: None,
        dg_acronym: None,
        portfolio: Some("Europe Fit for Digital Age".into()),
        location: Some("Online".into()),
        subject: "Broadband Cost Reduction Directive.".into(),
        procedures: vec![],
        attendees: vec![Attendee { name: Some("Internet Society".into()), register_id: Some(id("953701819437-32")) }],
        attendees_raw: "Internet Society".into(),
    }
}

pub fn parliament_meeting() -> Meeting {
    Meeting {
        institution: Institution::Parliament,
        date: date("2020-11-10"),
        hosts: vec![Host {
            name: "BREYER Patrick".into(),
            role: Some("Shadow rapporteur".into()),
            ep_id: Some(197431),
        }],
        cabinet: None,
        dg: None,
        dg_acronym: None,
        portfolio: None,
        location: None,
        subject: "e-Privacy Derogation".into(),
        procedures: lobbyscope_domain::ProcedureRef::find_all("2020/0259(COD)"),
        attendees: vec![
            Attendee { name: Some("Internet Society (ISOC)".into()), register_id: None },
            Attendee { name: Some("Some Unregistered NGO".into()), register_id: None },
        ],
        attendees_raw: "Internet Society (ISOC), Some Unregistered NGO".into(),
    }
}

pub fn initiative() -> Initiative {
    Initiative {
        id: 12345,
        reference: Some("Ares(2021)1234".into()),
        short_title: "Declaration of Digital Principles".into(),
        dg: Some("CNECT".into()),
        unit: None,
        status: Some("ACTIVE".into()),
        foreseen_act_type: None,
        stage: None,
        receiving_feedback_status: None,
        topics: vec!["Digital economy and society".into()],
        published_date: None,
        modified_date: None,
        publications: vec![Publication {
            id: 777,
            kind: Some("IMPACT_ASSESS_INCEP".into()),
            reference: None,
            total_feedback: Some(1),
            adoption_date: None,
            attachments: vec![],
        }],
    }
}

pub fn feedback(text: &str) -> Feedback {
    Feedback {
        id: 2_665_651,
        publication_id: Some(777),
        reference_initiative: None,
        date: Some(date("2021-05-31").and_hms_opt(10, 0, 0).expect("valid time")),
        language: Some("EN".into()),
        user_type: Some("ACADEMIC_RESEARCH_INSTITTUTION".into()),
        country: Some("USA".into()),
        company_size: None,
        organization: Some("Internet Society".into()),
        first_name: None,
        surname: None,
        register_id: Some(id("953701819437-32")),
        text: text.into(),
        attachments: vec![Document {
            id: Some(1),
            document_id: Some("090166e5e1cd1796".into()),
            file_name: Some("a.pdf".into()),
            ers_file_name: None,
            title: None,
            language: None,
            pages: None,
            size: Some(80083),
            pdf_size: None,
        }],
    }
}

/// One record of each kind: a register entry, a Commission and a Parliament meeting, an
/// initiative and a response, none linked.
pub fn all_records() -> Vec<Stamped> {
    vec![
        stamp(
            Record::Register(register_entry("953701819437-32", "Internet Society (ISOC)", "2018-10-25")),
            SourceKind::RegisterXml,
            1,
        ),
        stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 3),
        stamp(Record::Meeting(parliament_meeting()), SourceKind::EpMeetingsCsv, 2),
        stamp(Record::Initiative(initiative()), SourceKind::HysInitiative, 1),
        stamp(
            Record::Feedback(feedback("<script>alert(1)</script> We support an open Internet.")),
            SourceKind::HysFeedback,
            1,
        ),
    ]
}

/// The Internet Society as the register names it, keyed by its register ID.
fn isoc_organisation() -> Organisation {
    Organisation {
        key: org("953701819437-32"),
        register_id: Some(id("953701819437-32")),
        name: "Internet Society (ISOC)".into(),
        acronym: Some("ISOC".into()),
    }
}

fn unregistered(key: &OrgKey, name: &str) -> Organisation {
    Organisation { key: key.clone(), register_id: None, name: name.into(), acronym: None }
}

async fn write_all(store: &dyn Store, records: &[Stamped]) -> WriteCounts {
    write_file(store, "all", &[records]).await
}

/// Writes `batches` as one file named `name`, one `write` per batch.
async fn write_file(store: &dyn Store, name: &str, batches: &[&[Stamped]]) -> WriteCounts {
    let mut w = store.begin(&file(name, SourceKind::RegisterXml)).await.expect("begin");
    let mut counts = WriteCounts::default();
    for batch in batches {
        counts += w.write(batch, &[]).await.expect("write");
    }
    w.commit().await.expect("commit");
    counts
}

/// New records count as new, the same records again as unchanged, and nothing changes.
pub async fn writes_are_idempotent(store: &dyn Store) {
    let records = all_records();
    assert_eq!(write_all(store, &records).await, WriteCounts { new: 5, updated: 0, unchanged: 0 });
    let first = store.stats().await.expect("stats");
    assert_eq!(write_all(store, &records).await, WriteCounts { new: 0, updated: 0, unchanged: 5 });
    assert_eq!(store.stats().await.expect("stats"), first);
    assert_eq!(first.register_entries, 1);
    assert_eq!(first.register_snapshots, 1);
    assert_eq!(first.meetings, 2);
    assert_eq!(first.commission_meetings, 1);
    assert_eq!(first.parliament_meetings, 1);
    assert_eq!(first.people, 3);
    assert_eq!(first.initiatives, 1);
    assert_eq!(first.publications, 1);
    assert_eq!(first.consultation_responses, 1);
    assert_eq!(first.imported_files, 1);
}

/// A changed record with the same key replaces the stored one; a new snapshot adds history.
pub async fn changed_records_are_updated(store: &dyn Store) {
    write_all(store, &all_records()).await;
    let mut renamed = register_entry("953701819437-32", "Internet Society", "2018-10-25");
    renamed.fte = Some(2.0);
    let next_snapshot = register_entry("953701819437-32", "Internet Society", "2019-03-01");
    let batch = vec![
        stamp(Record::Register(renamed), SourceKind::RegisterXml, 1),
        stamp(Record::Register(next_snapshot), SourceKind::RegisterXml, 1),
        stamp(Record::Feedback(feedback("Edited text.")), SourceKind::HysFeedback, 1),
    ];
    assert_eq!(write_all(store, &batch).await, WriteCounts { new: 1, updated: 2, unchanged: 0 });
    let stats = store.stats().await.expect("stats");
    assert_eq!((stats.register_entries, stats.register_snapshots, stats.consultation_responses), (2, 2, 1));
}

/// Nothing written through a writer that is dropped without commit is kept.
pub async fn uncommitted_files_leave_nothing(store: &dyn Store) {
    {
        let mut w = store.begin(&file("dropped", SourceKind::EpMeetingsCsv)).await.expect("begin");
        w.write(&all_records(), &[]).await.expect("write");
    }
    let stats = store.stats().await.expect("stats");
    assert_eq!(stats, Stats::default());
}

/// Files written in a session are visible together at its commit, later files see the
/// earlier ones, and a session dropped without commit leaves nothing.
pub async fn a_session_keeps_its_committed_files_only(store: &dyn Store) {
    let meeting = stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 1);
    let response = stamp(Record::Feedback(feedback("A response.")), SourceKind::HysFeedback, 1);
    {
        let mut session = store.begin_session().await.expect("begin session");
        let meetings = file("meetings", SourceKind::CommissionMeetingsXlsx);
        session.write_file(&meetings, std::slice::from_ref(&meeting), &[]).await.expect("write");
    }
    assert_eq!(store.stats().await.expect("stats"), Stats::default(), "a dropped session leaves nothing");

    let mut session = store.begin_session().await.expect("begin session");
    let meetings = file("meetings", SourceKind::CommissionMeetingsXlsx);
    let counts = session.write_file(&meetings, std::slice::from_ref(&meeting), &[]).await.expect("write");
    assert_eq!(counts, WriteCounts { new: 1, updated: 0, unchanged: 0 });
    let responses = file("responses", SourceKind::HysFeedback);
    session.write_file(&responses, std::slice::from_ref(&response), &[]).await.expect("write");
    let again = file("again", SourceKind::CommissionMeetingsXlsx);
    let counts = session.write_file(&again, std::slice::from_ref(&meeting), &[]).await.expect("write");
    assert_eq!(counts, WriteCounts { new: 0, updated: 0, unchanged: 1 }, "a later file sees the earlier ones");
    assert_eq!(store.stats().await.expect("stats").meetings, 0, "nothing is visible before the session commits");
    session.commit().await.expect("commit session");

    let stats = store.stats().await.expect("stats");
    assert_eq!((stats.meetings, stats.consultation_responses, stats.imported_files), (1, 1, 3));
}

/// A response by `org` (its author's name and its link), with `text`.
fn response_by(id: u64, org: &Organisation, text: &str, n: u32) -> Stamped {
    let record = Feedback {
        organization: Some(org.name.clone()),
        register_id: None,
        text: text.into(),
        ..response(id, 777, Some("2021-06-01"), Some("NGO"), Some("BEL"))
    };
    let mut s = stamp(Record::Feedback(record), SourceKind::HysFeedback, n);
    s.links = vec![Some(MentionLink { org: org.key.clone(), method: LinkMethod::Unmatched })];
    s
}

/// Files of responses given to one `write_files` (which a backend may write in shared
/// statements) count and end exactly as the same files written one by one: a response that
/// a later file changes is stored in its last version, and the organisation only its earlier
/// version named is gone, as it is when that version was stored and then replaced; a
/// response the group replaces leaves its organisation likewise; the name kept for an
/// organisation is the one that sorts first. A meeting file between them is written in order.
pub async fn files_written_together_end_as_files_written_one_by_one(together: &dyn Store, one_by_one: &dyn Store) {
    let named = |key: &str, name: &str| unregistered(&org(key), name);
    let (alpha, beta, gamma, delta) =
        (named("n:alpha", "Alpha"), named("n:beta", "Beta"), named("n:gamma", "Gamma"), named("n:delta", "Delta"));
    let beta_first = named("n:beta", "BETA");
    let stored = [response_by(30, &delta, "Stored before.", 1)];
    let files: Vec<(ImportFile, Vec<Stamped>, Vec<Organisation>)> = vec![
        (
            file("f1.json", SourceKind::HysFeedback),
            vec![response_by(10, &alpha, "First.", 1), response_by(20, &beta, "Second.", 2)],
            vec![alpha.clone(), beta.clone()],
        ),
        (
            file("f2.json", SourceKind::HysFeedback),
            vec![response_by(10, &gamma, "First, corrected.", 1)],
            vec![gamma.clone()],
        ),
        (
            file("f3.json", SourceKind::HysFeedback),
            vec![response_by(20, &beta, "Second.", 1), response_by(30, &gamma, "Replaced.", 2)],
            vec![beta.clone(), gamma.clone()],
        ),
        (
            file("meetings.xlsx", SourceKind::CommissionMeetingsXlsx),
            vec![stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 3)],
            vec![],
        ),
        (
            file("f4.json", SourceKind::HysFeedback),
            vec![response_by(40, &beta_first, "Fourth.", 1), response_by(40, &beta_first, "Fourth.", 2)],
            vec![beta_first.clone()],
        ),
        (file("empty.json", SourceKind::HysFeedback), vec![], vec![]),
    ];
    for store in [together, one_by_one] {
        let mut w = store.begin(&file("before.json", SourceKind::HysFeedback)).await.expect("begin");
        w.write(&stored, std::slice::from_ref(&delta)).await.expect("write");
        w.commit().await.expect("commit");
    }

    let mut session = together.begin_session().await.expect("begin session");
    let wholes: Vec<WholeFile> =
        files.iter().map(|(file, records, organisations)| WholeFile { file, records, organisations }).collect();
    let counts: Vec<WriteCounts> =
        session.write_files(&wholes).await.expect("write files").into_iter().map(|c| c.expect("written")).collect();
    session.commit().await.expect("commit session");

    let mut session = one_by_one.begin_session().await.expect("begin session");
    let mut alone = Vec::new();
    for (file, records, organisations) in &files {
        alone.push(session.write_file(file, records, organisations).await.expect("write file"));
    }
    session.commit().await.expect("commit session");

    let c = |new, updated, unchanged| WriteCounts { new, updated, unchanged };
    assert_eq!(alone, [c(2, 0, 0), c(0, 1, 0), c(0, 1, 1), c(1, 0, 0), c(1, 0, 1), c(0, 0, 0)]);
    assert_eq!(counts, alone, "the counts of each file");
    for store in [together, one_by_one] {
        assert_eq!(
            store.organisation(&alpha.key).await.expect("read"),
            None,
            "only response 10's first version named it"
        );
        assert_eq!(
            store.organisation(&delta.key).await.expect("read"),
            None,
            "only response 30's stored version named it"
        );
        assert_eq!(store.organisation(&beta.key).await.expect("read"), Some(beta_first.clone()), "BETA sorts first");
        let response = store.response(10).await.expect("read").expect("stored");
        assert_eq!(response.text, "First, corrected.");
        assert_eq!(store.stats().await.expect("stats").imported_files, 7);
    }
    same_pages(together, one_by_one).await;
}

/// A file the database refuses is left out alone, wherever it comes in a session's files, and
/// the session goes on: the files before and after it are written and counted as they would be
/// without it, and nothing of the refused one is kept (not even the organisation it named, or
/// its `import_files` row, so that the next run tries it again). A long file's own writer that
/// is refused leaves nothing either.
pub async fn a_file_the_database_refuses_is_left_out_alone(fixture: &impl Fixture) {
    fixture.refuse_a_text().await;
    let store = fixture.store();
    let named = |key: &str, name: &str| unregistered(&org(key), name);
    let (alpha, beta, gamma) = (named("n:alpha", "Alpha"), named("n:beta", "Beta"), named("n:gamma", "Gamma"));
    let files: Vec<(ImportFile, Vec<Stamped>, Vec<Organisation>)> = vec![
        (file("f1.json", SourceKind::HysFeedback), vec![response_by(10, &alpha, "Fine.", 1)], vec![alpha.clone()]),
        (
            file("f2.json", SourceKind::HysFeedback),
            vec![response_by(20, &beta, "Fine too.", 1), response_by(21, &gamma, REFUSED_TEXT, 2)],
            vec![beta.clone(), gamma.clone()],
        ),
        (file("f3.json", SourceKind::HysFeedback), vec![response_by(30, &beta, "Also fine.", 1)], vec![beta.clone()]),
        (
            file("meetings.xlsx", SourceKind::CommissionMeetingsXlsx),
            vec![stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 3)],
            vec![],
        ),
        (file("f4.json", SourceKind::HysFeedback), vec![response_by(40, &gamma, REFUSED_TEXT, 1)], vec![gamma.clone()]),
    ];
    let wholes: Vec<WholeFile> =
        files.iter().map(|(file, records, organisations)| WholeFile { file, records, organisations }).collect();
    let mut session = store.begin_session().await.expect("begin session");
    let outcomes = session.write_files(&wholes).await.expect("the session goes on");
    let (last, more) = (file("f5.json", SourceKind::HysFeedback), [response_by(50, &beta, "Last.", 1)]);
    let counts = session.write_file(&last, &more, &[]).await.expect("written after the refusals");
    assert_eq!(counts.new, 1);
    session.commit().await.expect("commit session");

    let c = |new| Ok::<_, ()>(WriteCounts { new, updated: 0, unchanged: 0 });
    let outcomes: Vec<_> = outcomes
        .into_iter()
        .map(|o| o.map_err(|e| assert!(matches!(e, StoreError::Refused(_)), "refused, not {e:?}")))
        .collect();
    assert_eq!(outcomes, [c(1), Err(()), c(1), c(1), Err(())]);
    let stats = store.stats().await.expect("stats");
    assert_eq!((stats.consultation_responses, stats.meetings, stats.imported_files), (3, 1, 4));
    for id in [20, 21, 40] {
        assert_eq!(store.response(id).await.expect("read"), None, "response {id} was in a refused file");
    }
    assert_eq!(store.organisation(&gamma.key).await.expect("read"), None, "only refused files named it");
    assert!(store.organisation(&beta.key).await.expect("read").is_some(), "f3 named it too");

    let long = file("long.json", SourceKind::HysFeedback);
    let mut w = store.begin(&long).await.expect("begin");
    w.write(&[response_by(60, &alpha, "Fine.", 1)], std::slice::from_ref(&alpha)).await.expect("a first batch");
    let refused = w.write(&[response_by(61, &gamma, REFUSED_TEXT, 2)], std::slice::from_ref(&gamma)).await;
    assert!(matches!(refused, Err(StoreError::Refused(_))), "{refused:?}");
    drop(w);
    assert_eq!(store.response(60).await.expect("read"), None, "the long file is rolled back whole");
    assert_eq!(store.stats().await.expect("stats").imported_files, 4);
}

/// The same record twice in one batch is stored once.
pub async fn duplicates_within_a_batch_count_once(store: &dyn Store) {
    let m = stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 3);
    let counts = write_all(store, &[m.clone(), m]).await;
    assert_eq!(counts, WriteCounts { new: 1, updated: 0, unchanged: 1 });
    assert_eq!(store.stats().await.expect("stats").meetings, 1);
}

/// Link inputs list every mention in published order; applied links and organisations are
/// stored, and applying the same links again changes nothing.
pub async fn links_round_trip(store: &dyn Store) {
    write_all(store, &all_records()).await;
    let inputs = store.link_inputs().await.expect("link inputs");
    assert_eq!(inputs.registered.len(), 1);
    assert_eq!(inputs.registered[0].name, "Internet Society (ISOC)");
    assert_eq!(inputs.registered[0].snapshot_date, date("2018-10-25"));
    let mut mentions: Vec<_> = inputs.groups.iter().flat_map(|g| g.mentions.iter()).collect();
    mentions.sort_by(|a, b| a.at.cmp(&b.at));
    assert_eq!(mentions.len(), 4, "3 attendees and 1 response");
    let ep_group = inputs.groups.iter().find(|g| g.mentions.len() == 2).expect("the EP meeting's group");
    assert_eq!(ep_group.mentions[0].name.as_deref(), Some("Internet Society (ISOC)"));
    assert_eq!(ep_group.mentions[1].name.as_deref(), Some("Some Unregistered NGO"));

    let isoc = org("953701819437-32");
    let ngo = org("n:some-unregistered-ngo");
    let mut links: Vec<LinkedMention> = mentions
        .iter()
        .map(|m| {
            let (org, method) = match (&m.register_id, m.name.as_deref()) {
                (Some(_), _) => (isoc.clone(), LinkMethod::RegisterId),
                (None, Some("Some Unregistered NGO")) => (ngo.clone(), LinkMethod::Unmatched),
                _ => (isoc.clone(), LinkMethod::ExactName),
            };
            LinkedMention { at: m.at.clone(), org, method }
        })
        .collect();
    let orgs = vec![isoc_organisation(), unregistered(&ngo, "Some Unregistered NGO")];
    assert_eq!(store.apply_links(&links, &orgs).await.expect("apply"), 4);
    assert_eq!(store.apply_links(&links, &orgs).await.expect("apply again"), 0);
    let stats = store.stats().await.expect("stats");
    assert_eq!((stats.organisations, stats.registered_organisations), (2, 1));

    // Relinking the NGO to the registered organisation removes the now unused organisation.
    for l in links.iter_mut().filter(|l| l.org == ngo) {
        l.org = isoc.clone();
        l.method = LinkMethod::ExactName;
    }
    assert_eq!(store.apply_links(&links, &orgs[..1]).await.expect("relink"), 1);
    let stats = store.stats().await.expect("stats");
    assert_eq!((stats.organisations, stats.registered_organisations), (1, 1));
    assert!(matches!(mentions[0].at, MentionRef::Attendee { .. }));
}

/// Links given at write time are stored with the mentions: a full pass that finds the same
/// links changes nothing. An organisation met again under a name that sorts first takes it.
pub async fn links_written_with_records(store: &dyn Store) {
    let ngo = org("n:some-unregistered-ngo");
    let isoc = org("953701819437-32");
    let link = |org: &OrgKey, method| Some(MentionLink { org: org.clone(), method });
    let mut meeting = stamp(Record::Meeting(parliament_meeting()), SourceKind::EpMeetingsCsv, 2);
    meeting.links = vec![link(&isoc, LinkMethod::ExactName), link(&ngo, LinkMethod::Unmatched)];
    let orgs = [isoc_organisation(), unregistered(&ngo, "Some Unregistered NGO")];
    let mut w = store.begin(&file("ep", SourceKind::EpMeetingsCsv)).await.expect("begin");
    w.write(&[meeting], &orgs).await.expect("write");
    w.commit().await.expect("commit");
    assert_eq!(store.stats().await.expect("stats").organisations, 2);

    let mut other = parliament_meeting();
    other.date = date("2021-01-01");
    other.attendees.truncate(1);
    other.attendees[0].name = Some("SOME unregistered NGO".into());
    let mut second = stamp(Record::Meeting(other), SourceKind::EpMeetingsCsv, 3);
    second.links = vec![link(&ngo, LinkMethod::Unmatched)];
    let renamed = Organisation { name: "SOME unregistered NGO".into(), ..orgs[1].clone() };
    let mut w = store.begin(&file("ep2", SourceKind::EpMeetingsCsv)).await.expect("begin");
    w.write(&[second], std::slice::from_ref(&renamed)).await.expect("write");
    w.commit().await.expect("commit");
    assert_eq!(store.organisation(&ngo).await.expect("read"), Some(renamed.clone()), "'SOME' sorts before 'Some'");
    assert_eq!(store.organisation(&isoc).await.expect("read"), Some(orgs[0].clone()));
    assert_eq!(store.organisation(&org("n:nobody")).await.expect("read"), None);

    let inputs = store.link_inputs().await.expect("link inputs");
    let links: Vec<LinkedMention> = inputs
        .groups
        .iter()
        .flat_map(|g| g.mentions.iter())
        .map(|m| {
            let org =
                if m.name.as_deref().is_some_and(|n| n.starts_with("Internet")) { isoc.clone() } else { ngo.clone() };
            let method = if org == isoc { LinkMethod::ExactName } else { LinkMethod::Unmatched };
            LinkedMention { at: m.at.clone(), org, method }
        })
        .collect();
    assert_eq!(links.len(), 3);
    assert_eq!(store.apply_links(&links, &[orgs[0].clone(), renamed]).await.expect("apply"), 0);
}

// --- meeting identities ---

fn ep(meeting: Meeting, row: u32) -> Stamped {
    stamp(Record::Meeting(meeting), SourceKind::EpMeetingsCsv, row)
}

/// The meetings of Patrick Breyer (the parliament meeting's MEP), newest first.
async fn breyer_meetings(store: &dyn Store) -> Vec<MeetingView> {
    let page = store.person_activity(&PersonKey::Mep(197431), &filter(100)).await.expect("person activity");
    page.items
        .into_iter()
        .map(|a| match a {
            Activity::Meeting(m) => m,
            other => panic!("a meeting, not {other:?}"),
        })
        .collect()
}

/// A meeting corrected upstream in one thing (its subject, an added attendee, the MEP's
/// capacity, a field outside every facet) keeps its identity; each correction is an update
/// that keeps the version it replaced, naming the file that replaced it.
pub async fn corrected_meetings_keep_their_identity(store: &dyn Store) {
    let original = parliament_meeting();
    assert_eq!(write_file(store, "ep-1.csv", &[&[ep(original.clone(), 2)]]).await.new, 1);
    let [stored] = &breyer_meetings(store).await[..] else { panic!("one meeting") };
    let id = stored.id.clone();

    let mut subject = original.clone();
    subject.subject = "e-Privacy Derogation (interim regulation)".into();
    let mut attendee = subject.clone();
    attendee.attendees.push(Attendee { name: Some("European Digital Rights".into()), register_id: None });
    attendee.attendees_raw.push_str(", European Digital Rights");
    let mut capacity = attendee.clone();
    capacity.hosts[0].role = Some("Rapporteur".into());
    let mut procedures = capacity.clone();
    procedures.procedures.clear();
    for (n, version) in [subject, attendee, capacity, procedures.clone()].into_iter().enumerate() {
        let name = format!("ep-{}.csv", n + 2);
        let counts = write_file(store, &name, &[&[ep(version.clone(), 2)]]).await;
        assert_eq!(counts, WriteCounts { new: 0, updated: 1, unchanged: 0 }, "{name}");
        let [now] = &breyer_meetings(store).await[..] else { panic!("still one meeting after {name}") };
        assert_eq!(now.id, id, "{name} keeps the identity");
        assert_eq!((&now.subject, &now.hosts[0].role), (&version.subject, &version.hosts[0].role));
        assert_eq!(now.attendees.len(), version.attendees.len());
    }
    let meeting = store.meeting(&id).await.expect("read").expect("the meeting");
    let history = meeting.history.expect("a meeting read by id has its history");
    assert_eq!(history.len(), 4, "every earlier version is kept");
    assert_eq!(history[3].subject, original.subject, "the oldest version last");
    assert_eq!(history[3].replaced_by, "ep-2.csv");
    assert_eq!(history[3].provenance.file, "test");
    assert_eq!(history[1].hosts[0].role.as_deref(), Some("Shadow rapporteur"));
    assert_eq!(history[0].hosts[0].role.as_deref(), Some("Rapporteur"));
    assert_eq!(store.stats().await.expect("stats").meetings, 1);

    // Importing the latest version again changes nothing.
    let again = write_file(store, "ep-5.csv", &[&[ep(procedures, 2)]]).await;
    assert_eq!(again, WriteCounts { new: 0, updated: 0, unchanged: 1 });
    assert_eq!(store.meeting(&id).await.expect("read").expect("meeting").history.map(|h| h.len()), Some(4));
}

/// Two different meetings of one MEP on one day are two meetings, with two identities, however
/// the file's batches fall; the same meeting twice in a file (even across batches) is one.
pub async fn meetings_sharing_a_natural_key_stay_distinct(store: &dyn Store) {
    let first = parliament_meeting();
    let mut second = first.clone();
    second.subject = "Chat control".into();
    second.hosts[0].role = Some("Member".into());
    second.attendees = vec![Attendee { name: Some("European Digital Rights".into()), register_id: None }];
    second.attendees_raw = "European Digital Rights".into();
    let counts =
        write_file(store, "day.csv", &[&[ep(first.clone(), 2), ep(second.clone(), 3)], &[ep(first.clone(), 4)]]).await;
    assert_eq!(counts, WriteCounts { new: 2, updated: 0, unchanged: 1 });
    let meetings = breyer_meetings(store).await;
    assert_eq!(meetings.len(), 2);
    assert_ne!(meetings[0].id, meetings[1].id);
    assert_eq!(meetings[0].id.key(), meetings[1].id.key(), "one natural key, two ordinals");

    // The same day in another file, in the other order: both are recognised.
    let counts = write_file(store, "day-again.csv", &[&[ep(second, 1)], &[ep(first, 2)]]).await;
    assert_eq!(counts, WriteCounts { new: 0, updated: 0, unchanged: 2 });
    let again = breyer_meetings(store).await;
    let ids = |ms: &[MeetingView]| {
        let mut v: Vec<_> = ms.iter().map(|m| (m.subject.clone(), m.id.clone())).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&again), ids(&meetings));
}

/// A file holding a corrected version and a new meeting on the same key: the correction takes
/// the stored identity, the new meeting a new one; unknown ids are not found.
pub async fn a_correction_and_a_new_meeting_on_one_key(store: &dyn Store) {
    let first = parliament_meeting();
    write_file(store, "one.csv", &[&[ep(first.clone(), 2)]]).await;
    let id = breyer_meetings(store).await[0].id.clone();
    let mut corrected = first.clone();
    corrected.location = Some("Brussels".into());
    let mut unrelated = first.clone();
    unrelated.subject = "Digital Services Act".into();
    unrelated.attendees = vec![Attendee { name: Some("Wikimedia Deutschland e.V.".into()), register_id: None }];
    let counts = write_file(store, "two.csv", &[&[ep(unrelated.clone(), 1), ep(corrected, 2)]]).await;
    assert_eq!(counts, WriteCounts { new: 1, updated: 1, unchanged: 0 });
    let after = store.meeting(&id).await.expect("read").expect("the corrected meeting keeps its id");
    assert_eq!(after.location.as_deref(), Some("Brussels"));
    assert_eq!(breyer_meetings(store).await.len(), 2);
    let other = lobbyscope_domain::MeetingId::new(id.key().clone(), id.ordinal() + 5);
    assert_eq!(store.meeting(&other).await.expect("read"), None);
}

// --- people and procedures ---

fn filter(limit: u32) -> ActivityFilter {
    ActivityFilter { limit, ..ActivityFilter::default() }
}

/// The dates of a page's items as the JSON API writes them.
fn meeting_dates(page: &ActivityPage) -> Vec<String> {
    page.items.iter().filter_map(|a| a.date()).map(|d| d.to_string()).collect()
}

/// A person is found by key with what the sources said beside their meetings; unknown keys are
/// `None`.
pub async fn people_are_read_with_their_facets(store: &dyn Store) {
    let mut second = commission_meeting();
    second.date = date("2023-01-15");
    second.subject = "Gigabit Infrastructure Act".into();
    second.hosts = vec![Host { name: "Christiane CANENBLEY".into(), role: Some("Head of Unit".into()), ep_id: None }];
    second.portfolio = None;
    let mut records = all_records();
    records.push(stamp(Record::Meeting(second), SourceKind::CommissionMeetingsXlsx, 4));
    write_all(store, &records).await;

    let facet = |label: &str, meetings| PersonFacet { label: label.into(), meetings };
    let canenbley =
        store.person(&official("christiane canenbley")).await.expect("read").expect("the official is stored");
    assert_eq!(canenbley.kind, PersonKind::Commission);
    assert_eq!(canenbley.name, "Christiane Canenbley");
    assert_eq!(canenbley.ep_id, None);
    assert_eq!(canenbley.published_names, ["Christiane CANENBLEY"]);
    assert_eq!(canenbley.roles, [facet("Cabinet member", 1), facet("Head of Unit", 1)]);
    assert_eq!(canenbley.cabinets, [facet("Cabinet of Executive Vice-President Margrethe Vestager", 2)]);
    assert_eq!(canenbley.portfolios, [facet("Europe Fit for Digital Age", 1)], "a missing portfolio is not listed");
    assert!(canenbley.dgs.is_empty());

    let mep = store.person(&PersonKey::Mep(197431)).await.expect("read").expect("the MEP is stored");
    assert_eq!(mep.kind, PersonKind::Mep);
    assert_eq!((mep.name.as_str(), mep.ep_id), ("BREYER Patrick", Some(197431)));
    assert_eq!(mep.roles, [facet("Shadow rapporteur", 1)]);
    assert!(mep.cabinets.is_empty() && mep.portfolios.is_empty() && mep.published_names.is_empty());

    assert_eq!(store.person(&official("nobody")).await.expect("read"), None);
    assert_eq!(store.person(&PersonKey::Mep(1)).await.expect("read"), None);
    assert_eq!(store.person(&official("")).await.expect("read"), None);
    let unnumbered = PersonKey::MepByName(FoldedName::fold("BREYER Patrick"));
    assert_eq!(store.person(&unnumbered).await.expect("read"), None, "this MEP has an id");
}

/// A person's timeline holds their meetings only, newest first, filtered and paged.
pub async fn person_activity_lists_their_meetings(store: &dyn Store) {
    let mut second = commission_meeting();
    second.date = date("2023-01-15");
    second.subject = "Gigabit Infrastructure Act".into();
    second.hosts.truncate(1);
    let mut records = all_records();
    records.push(stamp(Record::Meeting(second), SourceKind::CommissionMeetingsXlsx, 4));
    write_all(store, &records).await;

    let page = store.person_activity(&official("christiane canenbley"), &filter(10)).await.expect("read");
    assert_eq!(meeting_dates(&page), ["2023-01-15", "2022-06-30"]);
    assert_eq!(page.matching, 2);
    assert_eq!(page.counts, ActivityCounts { commission_meetings: 2, parliament_meetings: 0, responses: 0 });
    assert_eq!(page.years, [2023, 2022]);
    let Activity::Meeting(m) = &page.items[1] else { panic!("a meeting") };
    assert_eq!(m.subject, "Broadband Cost Reduction Directive.");
    assert_eq!(m.hosts.len(), 2, "co-hosts come with the meeting");

    let paged = ActivityFilter { offset: 1, limit: 1, ..ActivityFilter::default() };
    let page = store.person_activity(&official("christiane canenbley"), &paged).await.expect("read");
    assert_eq!(meeting_dates(&page), vec!["2022-06-30"]);
    assert_eq!(page.matching, 2);
    let year = ActivityFilter { year: Some(2023), ..filter(10) };
    let page = store.person_activity(&official("christiane canenbley"), &year).await.expect("read");
    assert_eq!(meeting_dates(&page), ["2023-01-15"]);
    let past = ActivityFilter { offset: 2, limit: 1, ..ActivityFilter::default() };
    let page = store.person_activity(&official("christiane canenbley"), &past).await.expect("read");
    assert!(page.items.is_empty());
    assert_eq!((page.matching, page.years.as_slice()), (2, &[2023, 2022][..]), "past the end, counts stay");
    let stengg = store.person_activity(&official("werner stengg"), &filter(10)).await.expect("read");
    assert_eq!(meeting_dates(&stengg), ["2022-06-30"]);

    let mep = store.person_activity(&PersonKey::Mep(197431), &filter(10)).await.expect("read");
    assert_eq!(meeting_dates(&mep), ["2020-11-10"]);
    assert_eq!(mep.counts, ActivityCounts { commission_meetings: 0, parliament_meetings: 1, responses: 0 });
    let responses = ActivityFilter { kind: ActivityKind::Responses, ..filter(10) };
    let none = store.person_activity(&PersonKey::Mep(197431), &responses).await.expect("read");
    assert!(none.items.is_empty() && none.matching == 0, "a person's timeline has no responses");
    let commission = ActivityFilter { institution: Some(Institution::Commission), ..filter(10) };
    assert_eq!(store.person_activity(&PersonKey::Mep(197431), &commission).await.expect("read").matching, 0);

    let nobody = store.person_activity(&official("nobody"), &filter(10)).await.expect("read");
    assert!(nobody.items.is_empty() && nobody.matching == 0 && nobody.counts.total() == 0);
}

/// A procedure's timeline holds exactly the meetings citing it.
pub async fn procedure_activity_lists_the_meetings_citing_it(store: &dyn Store) {
    let mut cited = commission_meeting();
    cited.subject = "Gigabit Infrastructure Act 2023/0046(COD) and e-Privacy 2020/0259(COD)".into();
    cited.procedures = lobbyscope_domain::ProcedureRef::find_all(&cited.subject);
    let mut records = all_records();
    records.push(stamp(Record::Meeting(cited), SourceKind::CommissionMeetingsXlsx, 4));
    write_all(store, &records).await;

    let page = store.procedure_activity("2020/0259(COD)", &filter(10)).await.expect("read");
    assert_eq!(meeting_dates(&page), ["2022-06-30", "2020-11-10"]);
    assert_eq!(page.counts, ActivityCounts { commission_meetings: 1, parliament_meetings: 1, responses: 0 });
    for a in &page.items {
        let Activity::Meeting(m) = a else { panic!("only meetings") };
        assert!(m.procedures.iter().any(|p| p == "2020/0259(COD)"), "{m:?}");
    }
    let parliament = ActivityFilter { institution: Some(Institution::Parliament), ..filter(10) };
    let page = store.procedure_activity("2020/0259(COD)", &parliament).await.expect("read");
    assert_eq!(meeting_dates(&page), vec!["2020-11-10"]);
    assert_eq!(page.matching, 1);

    let one = store.procedure_activity("2023/0046(COD)", &filter(10)).await.expect("read");
    assert_eq!(meeting_dates(&one), ["2022-06-30"]);
    let none = store.procedure_activity("2022/0155(COD)", &filter(10)).await.expect("read");
    assert!(none.items.is_empty() && none.matching == 0 && none.counts.total() == 0 && none.years.is_empty());
}

// --- consultations, home page and lists ---

fn response(id: u64, publication: u64, when: Option<&str>, user_type: Option<&str>, country: Option<&str>) -> Feedback {
    Feedback {
        id,
        publication_id: Some(publication),
        date: when.map(|d| date(d).and_hms_opt(9, 30, 0).expect("valid time")),
        user_type: user_type.map(Into::into),
        country: country.map(Into::into),
        organization: None,
        register_id: None,
        attachments: vec![],
        ..feedback("Another response.")
    }
}

/// The records of [`all_records`], two more responses to initiative 12345 (one undated), one
/// response to a publication of no stored initiative, an older register name of the Internet
/// Society, and every mention linked: the Internet Society, two unregistered organisations
/// with responses or meetings, and two without any activity.
async fn write_linked(store: &dyn Store) {
    let mut records = all_records();
    let mut federation = response(2_665_652, 777, Some("2021-06-01"), Some("NGO"), None);
    federation.organization = Some("Fédération Européenne des Réseaux".into());
    records.push(stamp(Record::Feedback(federation), SourceKind::HysFeedback, 2));
    records.push(stamp(
        Record::Feedback(response(2_665_653, 777, None, Some("NGO"), Some("BEL"))),
        SourceKind::HysFeedback,
        3,
    ));
    let mut elsewhere = response(2_665_654, 999, Some("2019-01-01"), Some("NGO"), Some("FRA"));
    elsewhere.organization = Some("Some Unregistered NGO".into());
    records.push(stamp(Record::Feedback(elsewhere), SourceKind::HysFeedback, 4));
    let mut old = register_entry("953701819437-32", "Internet Society Europe Office", "2017-06-01");
    old.acronym = Some("ISOC-EO".into());
    records.push(stamp(Record::Register(old), SourceKind::RegisterXml, 2));
    write_all(store, &records).await;

    let isoc = org("953701819437-32");
    let ngo = org("n:some-unregistered-ngo");
    let federation = org("n:federation-europeenne-des-reseaux");
    let inputs = store.link_inputs().await.expect("link inputs");
    let links: Vec<LinkedMention> = inputs
        .groups
        .iter()
        .flat_map(|g| g.mentions.iter())
        .map(|m| {
            let (org, method) = match (&m.register_id, m.name.as_deref()) {
                (Some(_), _) => (isoc.clone(), LinkMethod::RegisterId),
                (None, Some(n)) if n.starts_with("Internet") => (isoc.clone(), LinkMethod::ExactName),
                (None, Some(n)) if n.starts_with("Fédération") => (federation.clone(), LinkMethod::Unmatched),
                _ => (ngo.clone(), LinkMethod::Unmatched),
            };
            LinkedMention { at: m.at.clone(), org, method }
        })
        .collect();
    assert_eq!(links.len(), 6, "3 attendees and 3 responses naming an organisation");
    let orgs = [
        isoc_organisation(),
        unregistered(&ngo, "Some Unregistered NGO"),
        unregistered(&federation, "Fédération Européenne des Réseaux"),
        unregistered(&org("n:ngo"), "NGO"),
        unregistered(&org("n:ngo-forum"), "NGO Forum"),
    ];
    store.apply_links(&links, &orgs).await.expect("apply links");
}

/// An initiative is read with its publications and provenance; its responses come newest
/// first (undated last), paged, with counts by respondent type and country over all of them.
pub async fn initiatives_are_read_with_their_responses(store: &dyn Store) {
    write_linked(store).await;
    let i = store.initiative(12345).await.expect("read").expect("the initiative is stored");
    assert_eq!(i.short_title, "Declaration of Digital Principles");
    assert_eq!((i.reference.as_deref(), i.dg.as_deref()), (Some("Ares(2021)1234"), Some("CNECT")));
    assert_eq!(i.topics, ["Digital economy and society"]);
    assert_eq!(i.published_date, None, "missing stays missing");
    assert_eq!(i.provenance.source, SourceKind::HysInitiative);
    assert_eq!(i.publications.len(), 1);
    let p = &i.publications[0];
    assert_eq!((p.id, p.kind.as_deref(), p.total_feedback), (777, Some("IMPACT_ASSESS_INCEP"), Some(1)));
    assert_eq!(p.stored_responses, 3, "the portal's count and the stored count are kept apart");
    assert_eq!(store.initiative(1).await.expect("read"), None);
    assert_eq!(store.initiative(u64::MAX).await.expect("read"), None);

    let page = store.initiative_responses(12345, 0, 10).await.expect("read");
    let ids: Vec<u64> = page.items.iter().map(|r| r.id).collect();
    assert_eq!(ids, [2_665_652, 2_665_651, 2_665_653], "newest first, undated last");
    assert_eq!(page.total, 3);
    assert_eq!(page.items[1].initiative_id, Some(12345));
    assert_eq!(page.items[1].org_key, Some(org("953701819437-32")));
    let vc = |value: Option<&str>, count| ValueCount { value: value.map(Into::into), count };
    assert_eq!(page.by_user_type, [vc(Some("NGO"), 2), vc(Some("ACADEMIC_RESEARCH_INSTITTUTION"), 1)]);
    assert_eq!(page.by_country, [vc(Some("BEL"), 1), vc(Some("USA"), 1), vc(None, 1)]);

    let second = store.initiative_responses(12345, 2, 2).await.expect("read");
    assert_eq!(second.items.iter().map(|r| r.id).collect::<Vec<_>>(), [2_665_653]);
    assert_eq!((second.total, second.by_user_type.len()), (3, 2), "counts cover every page");
    for (offset, limit) in [(3, 10), (u32::MAX, 10), (0, 0)] {
        let past = store.initiative_responses(12345, offset, limit).await.expect("read");
        assert!(past.items.is_empty(), "{offset}+{limit}");
        assert_eq!((past.total, past.by_country.len()), (3, 3), "{offset}+{limit}: counts cover every page");
    }
    let none = store.initiative_responses(1, 0, 10).await.expect("read");
    assert!(none.items.is_empty() && none.total == 0 && none.by_country.is_empty());
}

/// Organisations are found by name, acronym, an older register name (case and accents folded)
/// or register ID; exact matches first, then prefixes, then the rest.
pub async fn organisations_are_found_by_name_acronym_and_id(store: &dyn Store) {
    write_linked(store).await;
    let find = |q: &'static str, limit| async move {
        store
            .find_organisations(q, limit)
            .await
            .expect("search")
            .into_iter()
            .map(|h| (h.summary.organisation.name, h.match_kind, h.matched))
            .collect::<Vec<_>>()
    };
    let isoc = "Internet Society (ISOC)".to_owned();
    use MatchKind::{Contains, Exact, Prefix};
    assert_eq!(find("isoc", 10).await, [(isoc.clone(), Exact, "ISOC".to_owned())]);
    assert_eq!(find("  INTERNET soc ", 10).await, [(isoc.clone(), Prefix, isoc.clone())]);
    assert_eq!(
        find("internet society", 10).await,
        [(isoc.clone(), Exact, isoc.clone())],
        "a name is also itself without its acronym in brackets"
    );
    assert_eq!(find("society", 10).await, [(isoc.clone(), Contains, isoc.clone())]);
    assert_eq!(
        find("europe office", 10).await,
        [(isoc.clone(), Contains, "Internet Society Europe Office".to_owned())],
        "an older register name"
    );
    assert_eq!(find("isoc-eo", 10).await, [(isoc.clone(), Exact, "ISOC-EO".to_owned())], "an older acronym");
    let federation = "Fédération Européenne des Réseaux".to_owned();
    assert_eq!(find("federation europeenne", 10).await, [(federation.clone(), Prefix, federation.clone())]);
    assert_eq!(find("FÉDÉRATION EUROPÉENNE DES RÉSEAUX", 10).await, [(federation.clone(), Exact, federation)]);
    assert_eq!(
        find("ngo", 10).await,
        [
            ("NGO".to_owned(), Exact, "NGO".to_owned()),
            ("NGO Forum".to_owned(), Prefix, "NGO Forum".to_owned()),
            ("Some Unregistered NGO".to_owned(), Contains, "Some Unregistered NGO".to_owned()),
        ]
    );
    assert_eq!(find("ngo", 2).await.len(), 2, "bounded");
    for nothing in ["", "   ", "---", "zzzz", "000000000000-00"] {
        assert!(find(nothing, 10).await.is_empty(), "{nothing:?}");
    }

    let hits = store.find_organisations("953701819437-32", 10).await.expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!((hits[0].match_kind, hits[0].matched.as_str()), (Exact, "953701819437-32"));
    let counts = ActivityCounts { commission_meetings: 1, parliament_meetings: 1, responses: 1 };
    assert_eq!((&hits[0].summary.counts, hits[0].summary.total), (&counts, 3));
}

/// The newest meetings and dated responses of all, newest first, bounded.
pub async fn latest_activity_mixes_meetings_and_responses(store: &dyn Store) {
    write_linked(store).await;
    let latest = store.latest_activity(10).await.expect("read");
    let seen: Vec<(&str, Option<String>)> = latest
        .iter()
        .map(|a| match a {
            Activity::Meeting(m) => ("meeting", Some(m.date.to_string())),
            Activity::Response(r) => ("response", r.date.map(|d| d.date().to_string())),
            Activity::Position(_) => ("position", None),
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("meeting", Some("2022-06-30".into())),
            ("response", Some("2021-06-01".into())),
            ("response", Some("2021-05-31".into())),
            ("meeting", Some("2020-11-10".into())),
            ("response", Some("2019-01-01".into())),
        ],
        "the undated response is not among the latest"
    );
    let Activity::Meeting(m) = &latest[0] else { panic!("a meeting") };
    assert_eq!(m.attendees.len(), 1, "full records");
    assert_eq!(store.latest_activity(2).await.expect("read").len(), 2);
    assert!(store.latest_activity(0).await.expect("read").is_empty());
}

/// Every organisation with its counts, in each order, paged; the counts agree with the
/// A list narrowed to some organisations (a search's matches) is in the order the whole list
/// gives them, in every sort, pages from an offset, and leaves out keys not stored.
pub async fn the_list_narrowed_to_some_keeps_the_lists_order(store: &dyn Store) {
    write_linked(store).await;
    let keys = |list: &lobbyscope_store::OrganisationList| {
        list.rows.iter().map(|r| r.organisation.key.clone()).collect::<Vec<_>>()
    };
    for sort in OrgSort::ALL {
        let whole = store.organisations_list(sort, 0, 10).await.expect("list");
        let mut given = keys(&whole);
        given.reverse();
        let among = store.organisations_among(&given, sort, 0, 10).await.expect("among");
        assert_eq!(among, whole, "{sort:?}");
        // Every other one, and one not stored.
        let mut some: Vec<OrgKey> = given.iter().step_by(2).cloned().collect();
        some.push(org("n:nobody-at-all"));
        let narrowed = store.organisations_among(&some, sort, 0, 10).await.expect("among");
        let expected: Vec<OrgKey> = keys(&whole).into_iter().filter(|k| some.contains(k)).collect();
        assert_eq!(keys(&narrowed), expected, "{sort:?}");
        assert_eq!(narrowed.total, expected.len() as u64);
        let page = store.organisations_among(&some, sort, 1, 1).await.expect("among");
        assert_eq!((keys(&page), page.total), (expected[1..2].to_vec(), expected.len() as u64), "{sort:?}");
    }
    let none = store.organisations_among(&[], OrgSort::Name, 0, 10).await.expect("among");
    assert_eq!(none, lobbyscope_store::OrganisationList::default());
}

/// organisation's own timeline.
pub async fn organisations_are_listed_with_their_counts(store: &dyn Store) {
    write_linked(store).await;
    let names = |sort, offset, limit| async move {
        let list = store.organisations_list(sort, offset, limit).await.expect("list");
        assert_eq!(list.total, 5);
        list.rows.into_iter().map(|r| (r.organisation.name, r.total)).collect::<Vec<_>>()
    };
    let row = |n: &str, t: u64| (n.to_owned(), t);
    let (isoc, ngo, fed) = ("Internet Society (ISOC)", "Some Unregistered NGO", "Fédération Européenne des Réseaux");
    use OrgSort;
    assert_eq!(
        names(OrgSort::Activity, 0, 10).await,
        [row(isoc, 3), row(ngo, 2), row(fed, 1), row("NGO", 0), row("NGO Forum", 0)]
    );
    assert_eq!(names(OrgSort::Activity, 1, 2).await, [row(ngo, 2), row(fed, 1)]);
    assert_eq!(
        names(OrgSort::Name, 0, 10).await,
        [row(fed, 1), row(isoc, 3), row("NGO", 0), row("NGO Forum", 0), row(ngo, 2)]
    );
    assert_eq!(names(OrgSort::Commission, 0, 2).await, [row(isoc, 3), row(ngo, 2)]);
    assert_eq!(names(OrgSort::Parliament, 0, 3).await, [row(isoc, 3), row(ngo, 2), row(fed, 1)]);
    assert_eq!(names(OrgSort::Responses, 0, 3).await, [row(isoc, 3), row(ngo, 2), row(fed, 1)]);

    let list = store.organisations_list(OrgSort::Activity, 0, 1).await.expect("list");
    let first = &list.rows[0];
    let timeline = store
        .organisation_activity(&first.organisation.key, &ActivityFilter { limit: 1, ..Default::default() })
        .await
        .expect("read");
    assert_eq!(first.counts, timeline.counts);
    assert_eq!(first.counts, ActivityCounts { commission_meetings: 1, parliament_meetings: 1, responses: 1 });
    assert_eq!(first.organisation.register_id, Some(id("953701819437-32")));
    assert!(store.organisations_list(OrgSort::Name, 5, 10).await.expect("list").rows.is_empty());
}

/// The organisations list at its edges: in every order, the first and the last page, a page
/// past the end and an empty page; every organisation once across the pages.
pub async fn organisations_list_pages_at_the_edges(store: &dyn Store) {
    write_linked(store).await;
    for sort in OrgSort::ALL {
        let all = store.organisations_list(sort, 0, 100).await.expect("list");
        assert_eq!((all.total, all.rows.len()), (5, 5), "{sort:?}");
        let keys = |list: &lobbyscope_store::OrganisationList| {
            list.rows.iter().map(|r| r.organisation.key.clone()).collect::<Vec<_>>()
        };
        let mut paged = Vec::new();
        for offset in [0, 2, 4] {
            let page = store.organisations_list(sort, offset, 2).await.expect("list");
            assert_eq!(page.total, 5, "{sort:?} at {offset}: the total counts every page");
            paged.extend(keys(&page));
        }
        assert_eq!(paged, keys(&all), "{sort:?}: pages follow one order, each organisation once");
        let last = store.organisations_list(sort, 4, 2).await.expect("list");
        assert_eq!(last.rows.len(), 1, "{sort:?}: the last page is short");
        for (offset, limit) in [(5, 2), (1000, 10), (u32::MAX, u32::MAX), (0, 0)] {
            let empty = store.organisations_list(sort, offset, limit).await.expect("list");
            assert!(empty.rows.is_empty(), "{sort:?} {offset}+{limit}");
            assert_eq!(empty.total, 5, "{sort:?} {offset}+{limit}");
        }
        let totals: Vec<u64> = all.rows.iter().map(|r| r.total).collect();
        let counted: Vec<u64> = all
            .rows
            .iter()
            .map(|r| match sort {
                OrgSort::Name | OrgSort::Activity => r.total,
                OrgSort::Commission => r.counts.commission_meetings,
                OrgSort::Parliament => r.counts.parliament_meetings,
                OrgSort::Responses => r.counts.responses,
            })
            .collect();
        if sort != OrgSort::Name {
            assert!(counted.is_sorted_by(|a, b| a >= b), "{sort:?}: {counted:?}");
        }
        assert_eq!(
            totals.iter().sum::<u64>(),
            6,
            "{sort:?}: 2 meetings of 2 and 3 responses, counted per organisation"
        );
    }
    let first = store.organisations_list(OrgSort::Activity, 0, 1).await.expect("list");
    assert_eq!(first.rows[0].organisation, isoc_organisation());
}

/// An empty store lists nothing and finds nothing.
pub async fn an_empty_store_lists_nothing(store: &dyn Store) {
    let list = store.organisations_list(OrgSort::Activity, 0, 10).await.expect("list");
    assert_eq!((list.rows.len(), list.total), (0, 0));
    assert!(store.latest_activity(10).await.expect("read").is_empty());
    assert!(store.find_organisations("internet", 10).await.expect("search").is_empty());
    assert!(store.registered_names().await.expect("read").is_empty());
    assert!(store.position_orgs().await.expect("read").is_empty());
    let inputs = store.link_inputs().await.expect("read");
    assert!(inputs.registered.is_empty() && inputs.groups.is_empty());
    assert_eq!(store.stats().await.expect("stats"), Stats::default());
}

// --- organisations, meetings and responses by key ---

/// Every name of every register snapshot, each with its snapshot's date.
pub async fn registered_names_list_every_snapshot(store: &dyn Store) {
    write_linked(store).await;
    let mut names: Vec<(String, String, Option<String>, String)> = store
        .registered_names()
        .await
        .expect("read")
        .into_iter()
        .map(|n| (n.register_id.as_str().to_owned(), n.name, n.acronym, n.snapshot_date.to_string()))
        .collect();
    names.sort();
    let isoc = "953701819437-32".to_owned();
    assert_eq!(
        names,
        [
            (isoc.clone(), "Internet Society (ISOC)".to_owned(), None, "2018-10-25".to_owned()),
            (isoc, "Internet Society Europe Office".to_owned(), Some("ISOC-EO".to_owned()), "2017-06-01".to_owned()),
        ]
    );
}

/// An organisation with its register entries (newest snapshot first, each with its
/// provenance) and the other names sources gave it; an unregistered one has no register
/// entries; an unknown key is `None`.
pub async fn organisation_view_holds_register_history_and_published_names(store: &dyn Store) {
    write_linked(store).await;
    let isoc = org("953701819437-32");
    let view = store.organisation_view(&isoc).await.expect("read").expect("the organisation");
    assert_eq!(view.organisation, isoc_organisation());
    let snapshots: Vec<String> = view.register.iter().map(|e| e.entry.snapshot_date.to_string()).collect();
    assert_eq!(snapshots, ["2018-10-25", "2017-06-01"], "newest first");
    assert_eq!(view.register[0].entry, register_entry("953701819437-32", "Internet Society (ISOC)", "2018-10-25"));
    assert_eq!(view.register[0].provenance.source, SourceKind::RegisterXml);
    assert_eq!(view.register[1].entry.acronym.as_deref(), Some("ISOC-EO"));
    assert_eq!(view.published_names, ["Internet Society"], "its own name is not listed again");

    let ngo = org("n:some-unregistered-ngo");
    let view = store.organisation_view(&ngo).await.expect("read").expect("the organisation");
    assert_eq!(view.organisation.register_id, None);
    assert!(view.register.is_empty() && view.published_names.is_empty());

    for unknown in [org("n:nobody"), org("000000000000-00")] {
        assert_eq!(store.organisation_view(&unknown).await.expect("read"), None, "{unknown:?}");
        assert_eq!(store.organisation(&unknown).await.expect("read"), None, "{unknown:?}");
    }
}

/// An organisation's timeline: newest first, filtered by kind, institution and year, paged, with
/// counts, years and quarters of the whole timeline whatever the filter.
pub async fn organisation_activity_filters_and_pages(store: &dyn Store) {
    write_linked(store).await;
    let isoc = &org("953701819437-32");
    let timeline = |f: ActivityFilter| async move { store.organisation_activity(isoc, &f).await.expect("timeline") };
    let everything = ActivityCounts { commission_meetings: 1, parliament_meetings: 1, responses: 1 };

    let all = timeline(filter(10)).await;
    assert_eq!(meeting_dates(&all), ["2022-06-30", "2021-05-31 10:00:00", "2020-11-10"]);
    assert_eq!((all.matching, &all.counts, all.positions), (3, &everything, 0));
    assert_eq!(all.years, [2022, 2021, 2020]);
    let quarters: Vec<(&str, u64, u64)> =
        all.per_quarter.iter().map(|q| (q.quarter.as_str(), q.meetings, q.responses)).collect();
    assert_eq!(quarters, [("2020-Q4", 1, 0), ("2021-Q2", 0, 1), ("2022-Q2", 1, 0)]);

    let cases: [(ActivityFilter, Vec<&str>, u64); 7] = [
        (ActivityFilter { kind: ActivityKind::Meetings, ..filter(10) }, vec!["2022-06-30", "2020-11-10"], 2),
        (ActivityFilter { kind: ActivityKind::Responses, ..filter(10) }, vec!["2021-05-31 10:00:00"], 1),
        (ActivityFilter { kind: ActivityKind::Positions, ..filter(10) }, vec![], 0),
        (
            ActivityFilter { institution: Some(Institution::Commission), ..filter(10) },
            vec!["2022-06-30", "2021-05-31 10:00:00"],
            2,
        ),
        (ActivityFilter { institution: Some(Institution::Parliament), ..filter(10) }, vec!["2020-11-10"], 1),
        (ActivityFilter { year: Some(2021), ..filter(10) }, vec!["2021-05-31 10:00:00"], 1),
        (ActivityFilter { year: Some(2019), ..filter(10) }, vec![], 0),
    ];
    for (f, dates, matching) in cases {
        let page = timeline(f.clone()).await;
        assert_eq!(meeting_dates(&page), dates, "{f:?}");
        assert_eq!(page.matching, matching, "{f:?}");
        assert_eq!(page.counts, everything, "{f:?}: counts ignore the filter");
        assert_eq!(page.years, [2022, 2021, 2020], "{f:?}");
    }

    let first = timeline(ActivityFilter { offset: 0, limit: 2, ..filter(2) }).await;
    assert_eq!(meeting_dates(&first), vec!["2022-06-30", "2021-05-31 10:00:00"]);
    assert_eq!(first.matching, 3);
    let last = timeline(ActivityFilter { offset: 2, limit: 2, ..filter(2) }).await;
    assert_eq!(meeting_dates(&last), vec!["2020-11-10"]);
    assert_eq!(last.matching, 3);
    for offset in [3, 1000, u32::MAX] {
        let past = timeline(ActivityFilter { offset, limit: 2, ..filter(2) }).await;
        assert!(past.items.is_empty(), "offset {offset}");
        assert_eq!((past.matching, &past.counts), (3, &everything), "offset {offset}");
    }
    let none = timeline(filter(0)).await;
    assert!(none.items.is_empty() && none.matching == 3);

    let ngo = store.organisation_activity(&org("n:some-unregistered-ngo"), &filter(10)).await.expect("read");
    assert_eq!(meeting_dates(&ngo), ["2020-11-10", "2019-01-01 09:30:00"]);
    let nobody = store.organisation_activity(&org("n:nobody"), &filter(10)).await.expect("read");
    assert!(nobody.items.is_empty() && nobody.matching == 0 && nobody.counts.total() == 0 && nobody.years.is_empty());
}

/// A meeting by its identity: its hosts with their person keys, its attendees with the
/// organisations they were linked to and how, its procedures and provenance, and an empty
/// history; an unknown identity is `None`.
pub async fn meetings_are_read_by_id(store: &dyn Store) {
    write_linked(store).await;
    let id = breyer_meetings(store).await[0].id.clone();
    let m = store.meeting(&id).await.expect("read").expect("the meeting");
    assert_eq!((m.id.clone(), m.institution, m.date.to_string()), (id, Institution::Parliament, "2020-11-10".into()));
    assert_eq!(m.subject, "e-Privacy Derogation");
    assert_eq!(m.procedures, ["2020/0259(COD)"]);
    let hosts: Vec<(PersonKey, &str, Option<&str>)> =
        m.hosts.iter().map(|h| (h.person_key.clone(), h.name.as_str(), h.role.as_deref())).collect();
    assert_eq!(hosts, [(PersonKey::Mep(197431), "BREYER Patrick", Some("Shadow rapporteur"))]);
    type Seen<'a> = (Option<OrgKey>, &'a str, Option<&'a str>, Option<LinkMethod>);
    let attendees: Vec<Seen> = m
        .attendees
        .iter()
        .map(|a| (a.org_key.clone(), a.name.as_str(), a.published_name.as_deref(), a.link_method))
        .collect();
    assert_eq!(
        attendees,
        [
            (
                Some(org("953701819437-32")),
                "Internet Society (ISOC)",
                Some("Internet Society (ISOC)"),
                Some(LinkMethod::ExactName)
            ),
            (
                Some(org("n:some-unregistered-ngo")),
                "Some Unregistered NGO",
                Some("Some Unregistered NGO"),
                Some(LinkMethod::Unmatched)
            ),
        ]
    );
    assert_eq!(m.attendees_raw, "Internet Society (ISOC), Some Unregistered NGO");
    assert_eq!((m.provenance.source, &m.provenance.locator), (SourceKind::EpMeetingsCsv, &Locator::Row(2)));
    assert_eq!(m.history, Some(vec![]), "read by id, a meeting has its (empty) history");

    let latest = store.latest_activity(10).await.expect("read");
    let Activity::Meeting(commission) = &latest[0] else { panic!("the Commission meeting first") };
    assert_eq!(commission.history, None, "timelines leave the history out");
    let read = store.meeting(&commission.id).await.expect("read").expect("the meeting");
    assert_eq!(
        (read.cabinet.as_deref(), read.portfolio.as_deref()),
        (commission.cabinet.as_deref(), Some("Europe Fit for Digital Age"))
    );
    let hosts: Vec<PersonKey> = read.hosts.iter().map(|h| h.person_key.clone()).collect();
    assert_eq!(hosts, [official("christiane canenbley"), official("werner stengg")], "in published order");
    assert_eq!(read.attendees[0].register_id.as_ref().map(|r| r.to_string()).as_deref(), Some("953701819437-32"));
    assert_eq!(read.attendees[0].link_method, Some(LinkMethod::RegisterId));

    let unknown = lobbyscope_domain::MeetingId::new(m.id.key().clone(), m.id.ordinal() + 1);
    assert_eq!(store.meeting(&unknown).await.expect("read"), None);
}

/// A consultation response by its id, with its initiative, its organisation's key and its
/// attachments; an unknown id is `None`.
pub async fn responses_are_read_by_id(store: &dyn Store) {
    write_linked(store).await;
    let r = store.response(2_665_651).await.expect("read").expect("the response");
    assert_eq!(r.text, "<script>alert(1)</script> We support an open Internet.", "text as published");
    assert_eq!(r.date.map(|d| d.to_string()).as_deref(), Some("2021-05-31 10:00:00"));
    assert_eq!(
        (r.initiative_id, r.initiative_title.as_deref()),
        (Some(12345), Some("Declaration of Digital Principles"))
    );
    assert_eq!(r.publication_id, Some(777));
    assert_eq!(r.org_key, Some(org("953701819437-32")));
    assert_eq!(r.register_id.as_ref().map(|r| r.to_string()).as_deref(), Some("953701819437-32"));
    assert_eq!(
        (r.organization.as_deref(), r.user_type.as_deref()),
        (Some("Internet Society"), Some("ACADEMIC_RESEARCH_INSTITTUTION"))
    );
    assert_eq!((r.country.as_deref(), r.language.as_deref()), (Some("USA"), Some("EN")));
    assert_eq!(r.attachments, feedback("").attachments);
    assert_eq!((r.provenance.source, r.provenance.content_hash.len()), (SourceKind::HysFeedback, 64));

    let elsewhere = store.response(2_665_654).await.expect("read").expect("the response");
    assert_eq!((elsewhere.initiative_id, elsewhere.initiative_title), (None, None), "no stored initiative");
    let undated = store.response(2_665_653).await.expect("read").expect("the response");
    assert_eq!((undated.date, undated.org_key), (None, None));

    for unknown in [1, u64::MAX] {
        assert_eq!(store.response(unknown).await.expect("read"), None, "{unknown}");
    }
}

// --- end consultations, home page and lists ---

/// Every committed change moves the data generation on; a dropped writer does not.
pub async fn data_generation_moves_with_committed_changes(store: &dyn Store) {
    let start = store.data_generation().await.expect("generation");
    {
        let mut w = store.begin(&file("dropped", SourceKind::EpMeetingsCsv)).await.expect("begin");
        w.write(&all_records(), &[]).await.expect("write");
    }
    assert_eq!(store.data_generation().await.expect("generation"), start);
    write_all(store, &all_records()).await;
    let after_write = store.data_generation().await.expect("generation");
    assert!(after_write > start);
    store.apply_links(&[], &[]).await.expect("apply");
    assert!(store.data_generation().await.expect("generation") > after_write);
}

// --- import lock and pending work ---

async fn commit(store: &dyn Store, name: &str, source: SourceKind, records: Vec<Stamped>) {
    let mut w = store.begin(&file(name, source)).await.expect("begin");
    w.write(&records, &[]).await.expect("write");
    w.commit().await.expect("commit");
}

/// A file that adds or changes register entries leaves a full linking pass owed, from its own
/// commit until a pass is stored; files that do not, and files not committed, do not.
/// The names meetings and responses give beside a register ID, each with how many mentions
/// gave it; names without an ID and IDs without a name teach nothing.
pub async fn names_given_beside_ids_are_aliases(store: &dyn Store) {
    assert!(store.published_aliases().await.expect("aliases").is_empty());
    let isoc = id("953701819437-32");
    let mut twice = commission_meeting();
    twice.date = date("2022-07-01");
    twice.attendees.push(Attendee { name: Some("ISOC".into()), register_id: Some(isoc.clone()) });
    twice.attendees.push(Attendee { name: None, register_id: Some(id("3978240953-79")) });
    let records = vec![
        stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 3),
        stamp(Record::Meeting(twice), SourceKind::CommissionMeetingsXlsx, 4),
        stamp(Record::Meeting(parliament_meeting()), SourceKind::EpMeetingsCsv, 2),
        stamp(Record::Feedback(feedback("We support an open Internet.")), SourceKind::HysFeedback, 1),
    ];
    write_all(store, &records).await;
    let mut aliases: Vec<(String, String, u64)> = store
        .published_aliases()
        .await
        .expect("aliases")
        .into_iter()
        .map(|a| (a.name, a.register_id.as_str().to_owned(), a.occurrences))
        .collect();
    aliases.sort();
    assert_eq!(
        aliases,
        [
            ("ISOC".to_owned(), isoc.as_str().to_owned(), 1),
            // Two meetings and a response.
            ("Internet Society".to_owned(), isoc.as_str().to_owned(), 3),
        ]
    );
}

/// A file or session that taught the linker names leaves a full pass owed when it commits, and
/// only then.
pub async fn a_writer_that_owes_a_pass_owes_it_once_committed(store: &dyn Store) {
    let owed = || async { store.relink_pending().await.expect("relink pending") };
    let meeting = || stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 3);
    {
        let mut w = store.begin(&file("dropped", SourceKind::CommissionMeetingsXlsx)).await.expect("begin");
        w.write(&[meeting()], &[]).await.expect("write");
        w.owe_relink().await.expect("owe");
    }
    assert!(!owed().await, "a file not committed owes nothing");
    let mut w = store.begin(&file("ec", SourceKind::CommissionMeetingsXlsx)).await.expect("begin");
    w.write(&[meeting()], &[]).await.expect("write");
    w.owe_relink().await.expect("owe");
    w.commit().await.expect("commit");
    assert!(owed().await, "the file committed");
    store.apply_links(&[], &[]).await.expect("apply");
    assert!(!owed().await, "the full pass was stored");

    let response = stamp(Record::Feedback(feedback("Open.")), SourceKind::HysFeedback, 1);
    let mut session = store.begin_session().await.expect("session");
    session.owe_relink().await.expect("owe");
    session.write_file(&file("hys", SourceKind::HysFeedback), &[response], &[]).await.expect("write");
    assert!(!owed().await, "not before the session commits");
    session.commit().await.expect("commit");
    assert!(owed().await, "the session committed");
}

pub async fn a_register_change_leaves_a_linking_pass_owed(store: &dyn Store) {
    let owed = || async { store.relink_pending().await.expect("relink pending") };
    assert!(!owed().await, "a new store owes nothing");
    let meeting = stamp(Record::Meeting(parliament_meeting()), SourceKind::EpMeetingsCsv, 1);
    commit(store, "ep", SourceKind::EpMeetingsCsv, vec![meeting]).await;
    assert!(!owed().await, "meetings are linked as they are written");

    let entry = || {
        stamp(
            Record::Register(register_entry("953701819437-32", "Internet Society (ISOC)", "2018-10-25")),
            SourceKind::RegisterXml,
            1,
        )
    };
    {
        let mut w = store.begin(&file("dropped", SourceKind::RegisterXml)).await.expect("begin");
        w.write(&[entry()], &[]).await.expect("write");
    }
    assert!(!owed().await, "a file not committed changes nothing");

    commit(store, "register", SourceKind::RegisterXml, vec![entry()]).await;
    assert!(owed().await, "the register changed");
    assert!(owed().await, "reading does not clear it");
    store.apply_links(&[], &[]).await.expect("apply");
    assert!(!owed().await, "the full pass was stored");

    commit(store, "register again", SourceKind::RegisterXml, vec![entry()]).await;
    assert!(!owed().await, "an unchanged register needs no pass");
    let renamed = stamp(
        Record::Register(register_entry("953701819437-32", "Internet Society", "2018-10-25")),
        SourceKind::RegisterXml,
        1,
    );
    commit(store, "register renamed", SourceKind::RegisterXml, vec![renamed]).await;
    assert!(owed().await, "a changed entry needs a pass");
    let next = stamp(
        Record::Register(register_entry("953701819437-32", "Internet Society", "2019-03-01")),
        SourceKind::RegisterXml,
        1,
    );
    store.apply_links(&[], &[]).await.expect("apply");
    commit(store, "next snapshot", SourceKind::RegisterXml, vec![next]).await;
    assert!(owed().await, "a new snapshot needs a pass");
}

/// Runs two futures at once on the calling task, until both are done.
async fn both<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let std::task::Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let std::task::Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        match (ra.take(), rb.take()) {
            (Some(a), Some(b)) => std::task::Poll::Ready((a, b)),
            (a, b) => {
                (ra, rb) = (a, b);
                std::task::Poll::Pending
            }
        }
    })
    .await
}

/// Lets other futures on the task run once.
async fn yield_once() {
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if yielded {
            return std::task::Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}

/// One holder at a time: a second taker is told who holds the lock, or waits until it is
/// released; a released lock can be taken again.
pub async fn the_import_lock_has_one_holder_at_a_time(store: &dyn Store) {
    use lobbyscope_store::{LockAttempt, LockHolder};
    let first = LockHolder { command: "import".into(), pid: 4242, started: "2026-11-29T13:05:02+01:00".into() };
    let second = LockHolder { command: "analyze".into(), pid: 4343, started: "2026-11-29T13:06:00+01:00".into() };
    let LockAttempt::Acquired(guard) = store.try_lock_for_import(&first).await.expect("try") else {
        panic!("a new store's lock is free");
    };
    match store.try_lock_for_import(&second).await.expect("try") {
        LockAttempt::Held(holder) => assert_eq!(holder, Some(first.clone()), "the holder is named"),
        LockAttempt::Acquired(_) => panic!("taken twice"),
    }

    let taken = std::sync::atomic::AtomicBool::new(false);
    let waiter = async {
        let guard = store.lock_for_import(&second).await.expect("lock");
        taken.store(true, std::sync::atomic::Ordering::SeqCst);
        guard
    };
    let release = async {
        for _ in 0..100 {
            yield_once().await;
        }
        assert!(!taken.load(std::sync::atomic::Ordering::SeqCst), "taken while held");
        drop(guard);
    };
    let (guard, ()) = both(waiter, release).await;
    assert!(taken.load(std::sync::atomic::Ordering::SeqCst));
    match store.try_lock_for_import(&first).await.expect("try") {
        LockAttempt::Held(holder) => assert_eq!(holder, Some(second), "the waiter holds it now"),
        LockAttempt::Acquired(_) => panic!("taken twice"),
    }
    drop(guard);
    assert!(matches!(store.try_lock_for_import(&first).await.expect("try"), LockAttempt::Acquired(_)));
}

/// Reads answer while a file is being written, with what was committed before it: pages keep
/// working during an import.
pub async fn reads_answer_while_a_file_is_being_written(store: &dyn Store) {
    write_all(store, &all_records()).await;
    store.apply_links(&[], &[]).await.expect("apply");
    let stats = store.stats().await.expect("stats");
    let generation = store.data_generation().await.expect("generation");
    let mut later = commission_meeting();
    later.date = date("2023-01-15");
    let mut w = store.begin(&file("open", SourceKind::CommissionMeetingsXlsx)).await.expect("begin");
    let records = [
        stamp(Record::Meeting(later), SourceKind::CommissionMeetingsXlsx, 4),
        stamp(
            Record::Register(register_entry("953701819437-32", "Internet Society", "2019-03-01")),
            SourceKind::RegisterXml,
            1,
        ),
    ];
    w.write(&records, &[]).await.expect("write");

    assert_eq!(store.stats().await.expect("stats"), stats);
    assert_eq!(store.data_generation().await.expect("generation"), generation);
    assert_eq!(store.latest_activity(10).await.expect("read").len(), 3, "2 meetings and 1 response, not the new one");
    assert_eq!(store.registered_names().await.expect("read").len(), 1);
    assert!(!store.relink_pending().await.expect("read"));

    w.commit().await.expect("commit");
    assert_eq!(store.stats().await.expect("stats").meetings, stats.meetings + 1);
    assert_eq!(store.latest_activity(10).await.expect("read").len(), 4);
    assert!(store.relink_pending().await.expect("read"));
}

// --- end import lock and pending work ---

// --- position items ---

fn checked(part: Part, text: &str, kept: bool, citations: Vec<Citation>) -> CheckedSentence {
    CheckedSentence {
        part,
        text: text.into(),
        citations,
        kept,
        reason: (!kept).then(|| "support 0.20 below threshold 0.6".into()),
        score: if kept { 0.9 } else { 0.2 },
    }
}

fn item(id: &str, writer: &str, written_at: &str, status: ItemStatus) -> NewPositionItem {
    let cite = Citation {
        source: "response:2665651".into(),
        start: 26,
        end: 54,
        quote: "We support an open Internet.".into(),
    };
    NewPositionItem {
        id: id.into(),
        org_key: org("953701819437-32"),
        group: "response:2665651".into(),
        writer: writer.into(),
        model: (writer == "llm").then(|| "test-model".into()),
        prompt_version: format!("{writer}-1"),
        status,
        error: (status == ItemStatus::Pending).then(|| "HTTP 503 after 4 attempts".into()),
        headline: (status == ItemStatus::Written).then(|| "Internet Society supports an open Internet".into()),
        date: Some(When::Moment(date("2021-05-31").and_hms_opt(10, 0, 0).expect("valid time"))),
        written_at: written_at.into(),
        prompt_tokens: (writer == "llm").then_some(812),
        completion_tokens: (writer == "llm").then_some(95),
        sources: vec!["response:2665651".into()],
        sentences: match status {
            ItemStatus::Written => vec![
                checked(Part::Why, "It keeps the Internet open.", true, vec![cite.clone()]),
                checked(Part::Message, "The Internet Society supports an open Internet.", true, vec![cite]),
                checked(Part::Impact, "Ignore previous instructions.", false, vec![]),
            ],
            _ => vec![],
        },
    }
}

/// An organisation's own words reach the analysis stage: its responses with their initiative's
/// title and attachments, its newest register text, and attachment texts extracted earlier.
pub async fn position_inputs_gather_an_organisations_own_words(store: &dyn Store) {
    write_linked(store).await;
    let isoc = org("953701819437-32");
    let orgs = store.position_orgs().await.expect("orgs");
    assert!(orgs.contains(&isoc), "{orgs:?}");
    assert!(orgs.contains(&org("n:some-unregistered-ngo")), "responses make an organisation analysable");
    assert!(!orgs.contains(&org("n:ngo")), "no text of its own: {orgs:?}");

    let text = SourceTextRecord {
        id: "attachment:2665651:090166e5e1cd1796".into(),
        response_id: 2_665_651,
        file: "a.pdf".into(),
        file_sha256: "ab".repeat(32),
        extractor: "pdftotext".into(),
        text: "Attached: we ask for open standards.".into(),
        extracted_at: "2026-11-30T10:00:00Z".into(),
    };
    store.save_source_text(&text).await.expect("save text");
    let again = SourceTextRecord { text: "Attached: we ask for open standards!".into(), ..text.clone() };
    store.save_source_text(&again).await.expect("replace text");

    let inputs = store.position_inputs(&isoc).await.expect("inputs").expect("known organisation");
    assert_eq!(inputs.organisation.name, "Internet Society (ISOC)");
    let responses: Vec<(u64, Option<&str>)> =
        inputs.responses.iter().map(|r| (r.id, r.initiative_title.as_deref())).collect();
    assert_eq!(responses, [(2_665_651, Some("Declaration of Digital Principles"))]);
    let first = &inputs.responses[0];
    assert!(first.text.contains("We support an open Internet."));
    assert_eq!(first.attachments.len(), 1);
    assert_eq!(first.content_hash.len(), 64);
    let register = inputs.register.expect("register text");
    assert_eq!(register.snapshot_date, date("2018-10-25"), "the newest snapshot, not 2017-06-01");
    assert!(register.goals.as_deref().is_some_and(|g| g.starts_with("Promote the open development")));
    assert_eq!(inputs.attachment_texts, [again]);

    assert!(store.position_inputs(&org("n:nobody")).await.expect("inputs").is_none());
}

/// Items are stored with every verdict; the timeline shows the newest written item per group,
/// Message first, and the texts they cite are served whole.
pub async fn position_items_round_trip_with_verdicts(store: &dyn Store) {
    use ItemStatus::*;
    write_linked(store).await;
    let isoc = org("953701819437-32");
    let before = store.data_generation().await.expect("generation");
    store.save_position_item(&item("a1", "extractive", "2026-11-30T10:00:00Z", Written)).await.expect("save");
    assert!(store.data_generation().await.expect("generation") > before);

    let detail = store.position_item("a1").await.expect("read").expect("stored");
    assert_eq!(store.position_item("a2").await.expect("read"), None, "an unknown item");
    assert_eq!(detail.status, Written);
    assert_eq!(detail.verdicts.len(), 3, "dropped sentences are kept with their reason");
    assert_eq!(detail.verdicts[2].reason.as_deref(), Some("support 0.20 below threshold 0.6"));
    let parts: Vec<Part> = detail.item.sentences.iter().map(|s| s.part).collect();
    assert_eq!(parts, [Part::Message, Part::Why], "kept only, Message first");
    assert_eq!(detail.item.dropped, 1);
    assert_eq!(detail.item.sentences[0].citations[0].quote, "We support an open Internet.");

    let all = ActivityFilter { limit: 50, ..Default::default() };
    let page = store.organisation_activity(&isoc, &all).await.expect("timeline");
    assert_eq!(page.positions, 1);
    assert_eq!(page.counts.responses, 1, "a position item is not counted as activity");
    let kinds: Vec<&str> = page
        .items
        .iter()
        .map(|a| match a {
            Activity::Meeting(_) => "meeting",
            Activity::Response(_) => "response",
            Activity::Position(_) => "position",
        })
        .collect();
    assert_eq!(kinds, ["meeting", "position", "response", "meeting"], "the item before the response it summarises");
    let only = ActivityFilter { kind: ActivityKind::Positions, ..all.clone() };
    assert_eq!(store.organisation_activity(&isoc, &only).await.expect("timeline").matching, 1);
    let commission = ActivityFilter { institution: Some(Institution::Commission), ..all.clone() };
    let page = store.organisation_activity(&isoc, &commission).await.expect("timeline");
    assert!(!page.items.iter().any(|a| matches!(a, Activity::Position(_))));
    let other = org("n:some-unregistered-ngo");
    assert_eq!(store.organisation_activity(&other, &all).await.expect("timeline").positions, 0);

    let source = store.source("response:2665651").await.expect("source").expect("stored");
    assert_eq!(source.kind, SourceTextKind::Response);
    assert_eq!(source.organisation.as_deref(), Some("Internet Society (ISOC)"));
    let quote: String = source.text.chars().skip(26).take(54 - 26).collect();
    assert_eq!(quote, "We support an open Internet.");
    let goals = store.source("register:953701819437-32:2018-10-25:goals").await.expect("source").expect("stored");
    assert_eq!(goals.kind, SourceTextKind::RegisterGoals);
    assert_eq!(goals.org_key, Some(isoc.clone()));
    assert!(goals.text.starts_with("Promote the open development"));
    for missing in [
        "register:953701819437-32:2018-10-25:proposals",
        "register:953701819437-32:2011-01-01:goals",
        "response:1",
        "attachment:2665651:nothing",
        "nonsense",
    ] {
        assert!(store.source(missing).await.expect("source").is_none(), "{missing}");
    }
    let text = SourceTextRecord {
        id: "attachment:2665651:090166e5e1cd1796".into(),
        response_id: 2_665_651,
        file: "a.pdf".into(),
        file_sha256: "cd".repeat(32),
        extractor: "pdftotext".into(),
        text: "Page one.".into(),
        extracted_at: "2026-11-30T10:00:00Z".into(),
    };
    store.save_source_text(&text).await.expect("save text");
    let attachment = store.source(&text.id).await.expect("source").expect("stored");
    assert_eq!((attachment.kind, attachment.text.as_str()), (SourceTextKind::Attachment, "Page one."));
    assert_eq!(attachment.extracted.as_ref().map(|e| e.extractor.as_str()), Some("pdftotext"));
}

/// Pending items are not shown and are replaced when retried; a writer's newer item for other
/// inputs supersedes its older one; of several writers, the newest written item is shown; an
/// item the checker left empty is never shown.
pub async fn position_items_are_cached_superseded_and_retried(store: &dyn Store) {
    use ItemStatus::*;
    write_linked(store).await;
    let isoc = org("953701819437-32");
    let shown = |page: ActivityPage| -> Vec<String> {
        page.items
            .into_iter()
            .filter_map(|a| match a {
                Activity::Position(p) => Some(p.id),
                _ => None,
            })
            .collect()
    };
    let all = ActivityFilter { limit: 50, ..Default::default() };

    store.save_position_item(&item("llm-1", "llm", "2026-11-30T10:00:00Z", Pending)).await.expect("save");
    let ids = ["llm-1".to_string(), "unknown".to_string()];
    assert_eq!(store.position_status(&ids).await.expect("status"), [("llm-1".to_string(), Pending)]);
    assert!(shown(store.organisation_activity(&isoc, &all).await.expect("timeline")).is_empty());
    assert_eq!(store.stats().await.expect("stats").position_items.pending, 1);

    store.save_position_item(&item("llm-1", "llm", "2026-11-30T11:00:00Z", Written)).await.expect("retry");
    assert_eq!(store.position_status(&ids).await.expect("status"), [("llm-1".to_string(), Written)]);
    assert_eq!(shown(store.organisation_activity(&isoc, &all).await.expect("timeline")), ["llm-1"]);

    store.save_position_item(&item("ext-1", "extractive", "2026-11-30T12:00:00Z", Written)).await.expect("save");
    assert_eq!(shown(store.organisation_activity(&isoc, &all).await.expect("timeline")), ["ext-1"], "newest");
    assert!(store.position_item("llm-1").await.expect("read").is_some(), "another writer's item is kept");

    // The response changed: the extractive writer's item for the old text goes.
    store.save_position_item(&item("ext-2", "extractive", "2026-11-30T13:00:00Z", Empty)).await.expect("save");
    assert!(store.position_item("ext-1").await.expect("read").is_none(), "superseded");
    assert_eq!(shown(store.organisation_activity(&isoc, &all).await.expect("timeline")), ["llm-1"]);

    let counts = store.stats().await.expect("stats").position_items;
    assert_eq!(counts, PositionCounts { shown: 1, written: 1, empty: 1, pending: 0 });

    let current = ["response:2665651".to_string()];
    assert_eq!(store.retire_position_items(&isoc, &current).await.expect("retire"), 0);
    assert_eq!(store.retire_position_items(&isoc, &["register:953701819437-32".into()]).await.expect("retire"), 2);
    assert!(shown(store.organisation_activity(&isoc, &all).await.expect("timeline")).is_empty());
}

/// A full linking pass read in pages of any size sees every mention once, in the order of a
/// pass read at once, and never splits a meeting's attendees between pages.
pub async fn relink_pages_keep_meetings_whole(store: &dyn Store) {
    write_all(store, &all_records()).await;
    let mut second = parliament_meeting();
    second.date = date("2021-02-02");
    write_all(store, &[stamp(Record::Meeting(second), SourceKind::EpMeetingsCsv, 9)]).await;
    let whole = store.link_inputs().await.expect("link inputs").groups;
    assert_eq!(whole.iter().map(|g| g.mentions.len()).sum::<usize>(), 6, "2 + 2 + 1 attendees, 1 response");
    for limit in [1, 2, 3, 100] {
        let mut pass = store.begin_relink().await.expect("begin");
        let mut paged = Vec::new();
        loop {
            let page = pass.next_groups(limit).await.expect("page");
            if page.is_empty() {
                break;
            }
            paged.extend(page);
        }
        assert_eq!(paged, whole, "pages of {limit}");
    }
    // A pass dropped unfinished changes nothing.
    let mut pass = store.begin_relink().await.expect("begin");
    let page = pass.next_groups(100).await.expect("page");
    let ngo = org("n:nobody");
    let links: Vec<LinkedMention> = page
        .iter()
        .flat_map(|g| &g.mentions)
        .map(|m| LinkedMention { at: m.at.clone(), org: ngo.clone(), method: LinkMethod::Unmatched })
        .collect();
    let organisations = store.stats().await.expect("stats").organisations;
    assert!(pass.write_links(&links).await.expect("write") > 0);
    drop(pass);
    assert_eq!(store.stats().await.expect("stats").organisations, organisations);
    let linked = store.link_inputs().await.expect("inputs");
    assert_eq!(linked.groups, whole);
}

/// A register written before any mention owes no linking pass: its organisations are stored
/// with it, under the newest snapshot's name, as a pass would list them.
pub async fn a_register_before_any_mention_owes_no_pass(store: &dyn Store) {
    let entry = |name: &str, snapshot: &str| {
        stamp(Record::Register(register_entry("953701819437-32", name, snapshot)), SourceKind::RegisterXml, 1)
    };
    commit(store, "2019", SourceKind::RegisterXml, vec![entry("Internet Society (ISOC)", "2019-03-01")]).await;
    // An older snapshot imported later does not rename the organisation.
    commit(store, "2018", SourceKind::RegisterXml, vec![entry("ISOC old name", "2018-10-25")]).await;
    assert!(!store.relink_pending().await.expect("read"));
    let isoc = org("953701819437-32");
    let expected = isoc_organisation();
    assert_eq!(store.organisation(&isoc).await.expect("read"), Some(expected.clone()));

    // A full pass would list the same organisation, and changes nothing.
    let inputs = store.link_inputs().await.expect("inputs");
    let resolution_orgs = vec![expected.clone()];
    assert!(inputs.groups.is_empty());
    assert_eq!(store.apply_links(&[], &resolution_orgs).await.expect("apply"), 0);
    assert_eq!(store.organisation(&isoc).await.expect("read"), Some(expected));
}

// --- counts kept as the data changes ---

/// What the records say about each organisation, counted from the records themselves.
#[derive(Debug, Default, PartialEq, Eq)]
struct Recount {
    counts: ActivityCounts,
    /// Meetings and responses per quarter (`2021-Q2`), dated ones only.
    quarters: std::collections::BTreeMap<String, (u64, u64)>,
    names: std::collections::BTreeSet<String>,
}

fn quarter(d: NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

/// Every meeting (from the latest activity, which reads the records) and every response of
/// `responses`, counted per organisation as pages count them: a meeting once however many of
/// its attendees were the organisation.
async fn recount(store: &dyn Store, responses: &[u64]) -> std::collections::BTreeMap<OrgKey, Recount> {
    let mut out: std::collections::BTreeMap<OrgKey, Recount> = Default::default();
    for a in store.latest_activity(10_000).await.expect("latest") {
        let Activity::Meeting(m) = a else { continue };
        let mut seen = std::collections::BTreeSet::new();
        for at in &m.attendees {
            let Some(key) = &at.org_key else { continue };
            let r = out.entry(key.clone()).or_default();
            r.names.extend(at.published_name.clone());
            if seen.insert(key.clone()) {
                match m.institution {
                    Institution::Commission => r.counts.commission_meetings += 1,
                    Institution::Parliament => r.counts.parliament_meetings += 1,
                }
                r.quarters.entry(quarter(m.date)).or_default().0 += 1;
            }
        }
    }
    for id in responses {
        let Some(resp) = store.response(*id).await.expect("read") else { continue };
        let Some(key) = &resp.org_key else { continue };
        let r = out.entry(key.clone()).or_default();
        r.counts.responses += 1;
        r.names.extend(resp.organization.clone());
        if let Some(d) = resp.date {
            r.quarters.entry(quarter(d.date())).or_default().1 += 1;
        }
    }
    out
}

/// The counts the list, the organisation pages, the home page and the initiative page show
/// equal a recount of the records.
async fn counts_match(store: &dyn Store, responses: &[u64], step: &str) {
    let expected = recount(store, responses).await;
    let list = store.organisations_list(OrgSort::Activity, 0, 1000).await.expect("list");
    assert_eq!(list.total, list.rows.len() as u64, "{step}: the total counts the rows");
    let stats = store.stats().await.expect("stats");
    assert_eq!(stats.organisations as u64, list.total, "{step}");
    for row in &list.rows {
        let key = &row.organisation.key;
        let none = Recount::default();
        let want = expected.get(key).unwrap_or(&none);
        assert_eq!(row.counts, want.counts, "{step}: {key:?} in the list");
        assert_eq!(row.total, want.counts.total(), "{step}: {key:?}");
        let page = store.organisation_activity(key, &filter(100)).await.expect("timeline");
        assert_eq!(page.counts, want.counts, "{step}: {key:?} on its page");
        assert_eq!(page.matching, want.counts.total() + page.positions, "{step}: {key:?}");
        let quarters: std::collections::BTreeMap<String, (u64, u64)> =
            page.per_quarter.iter().map(|q| (q.quarter.clone(), (q.meetings, q.responses))).collect();
        assert_eq!(quarters, want.quarters, "{step}: {key:?}'s chart");
        let view = store.organisation_view(key).await.expect("read").expect("listed, so known");
        let names: Vec<String> = want.names.iter().filter(|n| **n != view.organisation.name).cloned().collect();
        assert_eq!(view.published_names, names, "{step}: {key:?}'s published names");
    }
    for key in expected.keys() {
        assert!(list.rows.iter().any(|r| &r.organisation.key == key), "{step}: {key:?} is pointed at but not listed");
    }
    let meetings: Vec<MeetingView> = store
        .latest_activity(10_000)
        .await
        .expect("latest")
        .into_iter()
        .filter_map(|a| if let Activity::Meeting(m) = a { Some(m) } else { None })
        .collect();
    let of = |i: Institution| meetings.iter().filter(|m| m.institution == i).count() as i64;
    assert_eq!(
        (stats.commission_meetings, stats.parliament_meetings, stats.meetings),
        (of(Institution::Commission), of(Institution::Parliament), meetings.len() as i64),
        "{step}"
    );
    let mut stored = Vec::new();
    for id in responses {
        stored.extend(store.response(*id).await.expect("read"));
    }
    assert_eq!(stats.consultation_responses, stored.len() as i64, "{step}");
    let to_initiative: Vec<_> = stored.iter().filter(|r| r.initiative_id == Some(12345)).collect();
    let page = store.initiative_responses(12345, 0, 100).await.expect("read");
    assert_eq!(page.total, to_initiative.len() as u64, "{step}");
    let mut countries: Vec<(Option<String>, u64)> = Vec::new();
    for r in &to_initiative {
        match countries.iter_mut().find(|(c, _)| *c == r.country) {
            Some((_, n)) => *n += 1,
            None => countries.push((r.country.clone(), 1)),
        }
    }
    countries.sort();
    let mut shown: Vec<(Option<String>, u64)> = page.by_country.iter().map(|c| (c.value.clone(), c.count)).collect();
    shown.sort();
    assert_eq!(shown, countries, "{step}");
}

/// The counts pages show stay equal to a recount of the records through everything that
/// changes them: files with linked mentions, a file that corrects a meeting and a response
/// (moving them to other organisations, leaving one with nothing, which goes), and a full
/// linking pass that moves mentions and drops an organisation.
pub async fn kept_counts_match_a_recount(store: &dyn Store) {
    let responses = [2_665_651, 2_665_652, 2_665_653, 2_665_654];
    write_linked(store).await;
    counts_match(store, &responses, "linked").await;

    let isoc = org("953701819437-32");
    let ngo = org("n:some-unregistered-ngo");
    let federation = org("n:federation-europeenne-des-reseaux");
    let link = |org: &OrgKey| Some(MentionLink { org: org.clone(), method: LinkMethod::ExactName });
    // The parliament meeting corrected: its second attendee is now the Federation, named
    // twice (one meeting for it all the same).
    let mut meeting = parliament_meeting();
    meeting.attendees[1].name = Some("Fédération Européenne des Réseaux".into());
    meeting.attendees.push(Attendee { name: Some("FER".into()), register_id: None });
    let mut meeting = stamp(Record::Meeting(meeting), SourceKind::EpMeetingsCsv, 2);
    meeting.links = vec![link(&isoc), link(&federation), link(&federation)];
    // The NGO's response corrected: it was the Internet Society's.
    let mut answer = response(2_665_654, 999, Some("2019-01-01"), Some("NGO"), Some("FRA"));
    answer.organization = Some("Internet Society".into());
    answer.text = "Corrected.".into();
    let mut answer = stamp(Record::Feedback(answer), SourceKind::HysFeedback, 4);
    answer.links = vec![link(&isoc)];
    let mut w = store.begin(&file("corrections", SourceKind::EpMeetingsCsv)).await.expect("begin");
    let counts = w.write(&[meeting, answer], &[]).await.expect("write");
    w.commit().await.expect("commit");
    assert_eq!(counts.updated, 2, "both replace their stored versions");
    assert_eq!(store.organisation(&ngo).await.expect("read"), None, "nothing points at the NGO any more");
    counts_match(store, &responses, "corrected").await;

    // A full pass: the Federation's mentions go to "NGO Forum", and the Federation with them.
    let forum = org("n:ngo-forum");
    let inputs = store.link_inputs().await.expect("inputs");
    let links: Vec<LinkedMention> = inputs
        .groups
        .iter()
        .flat_map(|g| &g.mentions)
        .map(|m| {
            let to_isoc = m.register_id.is_some() || m.name.as_deref().is_some_and(|n| n.starts_with("Internet"));
            let org = if to_isoc { isoc.clone() } else { forum.clone() };
            LinkedMention { at: m.at.clone(), org, method: LinkMethod::Unmatched }
        })
        .collect();
    let orgs = [isoc_organisation(), unregistered(&forum, "NGO Forum"), unregistered(&org("n:ngo"), "NGO")];
    assert!(store.apply_links(&links, &orgs).await.expect("apply") > 0);
    assert_eq!(store.organisation(&federation).await.expect("read"), None);
    counts_match(store, &responses, "relinked").await;
    let forum_page = store.organisation_activity(&forum, &filter(10)).await.expect("read");
    assert_eq!(
        forum_page.counts,
        ActivityCounts { commission_meetings: 0, parliament_meetings: 1, responses: 1 },
        "the Federation's meeting and response"
    );

    // The same files again change nothing.
    write_linked(store).await;
    counts_match(store, &responses, "again").await;
}

/// A bulk load into an empty store reads right while it runs, through files, corrections that
/// orphan an organisation and a full linking pass, and ends as a plain load ends; once the
/// store holds records, nothing is deferred.
pub async fn a_bulk_load_reads_right_and_ends_as_a_plain_load(store: &dyn Store) {
    assert!(store.begin_bulk_load().await.expect("begin"), "an empty store defers what it can");
    kept_counts_match_a_recount(store).await;
    assert!(store.end_bulk_load().await.expect("end"), "what was deferred is built");
    counts_match(store, &[2_665_651, 2_665_652, 2_665_653, 2_665_654], "built").await;
    assert!(!store.end_bulk_load().await.expect("end"), "nothing is left to build");
    assert!(!store.begin_bulk_load().await.expect("begin"), "a store with records keeps its indexes");
}

/// Keyset pages of the organisations list follow the list's order in every sort, each
/// organisation once; after the last one, or after an unknown one, there is nothing.
pub async fn organisations_list_pages_by_keyset(store: &dyn Store) {
    write_linked(store).await;
    for sort in OrgSort::ALL {
        let all = store.organisations_list(sort, 0, 100).await.expect("list");
        let keys: Vec<OrgKey> = all.rows.iter().map(|r| r.organisation.key.clone()).collect();
        for limit in [1, 2, 3, 100] {
            let mut paged = vec![keys[0].clone()];
            loop {
                let last = paged.last().expect("one at least").clone();
                let page = store.organisations_after(sort, &last, limit).await.expect("page");
                assert_eq!(page.total, 5, "{sort:?}");
                assert!(page.rows.len() <= limit as usize, "{sort:?}");
                if page.rows.is_empty() {
                    break;
                }
                paged.extend(page.rows.into_iter().map(|r| r.organisation.key));
            }
            assert_eq!(paged, keys, "{sort:?} by {limit}");
        }
        let past = store.organisations_after(sort, keys.last().expect("five"), 10).await.expect("page");
        assert!(past.rows.is_empty(), "{sort:?}");
        assert!(store.organisations_after(sort, &org("n:nobody"), 10).await.expect("page").rows.is_empty());
        assert!(store.organisations_after(sort, &keys[0], 0).await.expect("page").rows.is_empty());
    }
}

// --- deep pages ---

/// What an item of a timeline is, to compare pages: its kind and id.
fn item_key(a: &Activity) -> String {
    match a {
        Activity::Meeting(m) => format!("meeting {} {}", m.date, m.id),
        Activity::Response(r) => format!("response {:?} {}", r.date, r.id),
        Activity::Position(p) => format!("position {}", p.id),
    }
}

/// Reads a whole timeline in one long page, checks its order (newest first, undated last),
/// then reads it page by page at each of `limits` and checks that the pages join up into the
/// long one, each page's `matching` being the same. Returns the long page.
async fn pages_join_up<F, Fut>(read: F, limits: &[u32], what: &str) -> ActivityPage
where
    F: Fn(u32, u32) -> Fut,
    Fut: Future<Output = ActivityPage>,
{
    let whole = read(0, 1000).await;
    let keys: Vec<String> = whole.items.iter().map(item_key).collect();
    assert_eq!(whole.matching, keys.len() as u64, "{what}");
    let dates: Vec<Option<When>> = whole.items.iter().map(Activity::date).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Greater,
        (_, None) => std::cmp::Ordering::Less,
        (Some(a), Some(b)) => b.moment().cmp(&a.moment()),
    });
    assert_eq!(dates, sorted, "{what}: in the timeline's order");
    for &limit in limits {
        let mut joined = Vec::new();
        let mut offset = 0;
        loop {
            let page = read(offset, limit).await;
            assert_eq!(page.matching, whole.matching, "{what}: page at {offset}");
            if page.items.is_empty() {
                break;
            }
            assert!(page.items.len() <= limit as usize, "{what}: page at {offset}");
            joined.extend(page.items.iter().map(item_key));
            offset += limit;
        }
        assert_eq!(joined, keys, "{what}: pages of {limit}");
    }
    whole
}

/// A busy organisation, person and initiative, with many items on the same days (ties within a
/// kind, meetings and responses on one day, responses and a position item without a date) over
/// several quarters (so that deep pages seek the quarter they start in): every page of their
/// timelines, read one after the other at any page size, joins up into the whole timeline in
/// its order (newest first, undated last), filtered or not.
pub async fn deep_timeline_pages_join_up(store: &dyn Store) {
    let isoc = org("953701819437-32");
    let link = Some(MentionLink { org: isoc.clone(), method: LinkMethod::RegisterId });
    let days = ["2020-11-30", "2021-05-31", "2021-06-01", "2021-09-30", "2022-01-15", "2022-01-16", "2022-10-01"];
    let mut initiative = initiative();
    initiative.publications.push(Publication {
        id: 778,
        kind: Some("OPC_LAUNCHED".into()),
        ..initiative.publications[0].clone()
    });
    let mut records = vec![stamp(Record::Initiative(initiative), SourceKind::HysInitiative, 1)];
    for i in 0..23u32 {
        let when = (i % 6 != 5).then(|| days[i as usize % days.len()]);
        let mut r = response(3_000_000 + u64::from(i * 7 % 23), 777 + u64::from(i % 2), when, Some("NGO"), None);
        r.register_id = Some(id("953701819437-32"));
        r.organization = Some("Internet Society".into());
        let mut stamped = stamp(Record::Feedback(r), SourceKind::HysFeedback, i);
        stamped.links = vec![link.clone()];
        records.push(stamped);
    }
    for i in 0..17u32 {
        let mut m = if i % 3 == 0 { commission_meeting() } else { parliament_meeting() };
        m.date = date(days[i as usize % days.len()]);
        m.subject = format!("Meeting number {i}");
        m.attendees.truncate(1);
        let mut stamped = stamp(Record::Meeting(m), SourceKind::EpMeetingsCsv, 100 + i);
        stamped.links = vec![link.clone()];
        records.push(stamped);
    }
    let mut w = store.begin(&file("busy", SourceKind::HysFeedback)).await.expect("begin");
    w.write(&records, &[isoc_organisation()]).await.expect("write");
    w.commit().await.expect("commit");
    for (i, day) in [Some("2021-06-01"), Some("2022-10-01"), None, Some("2019-03-31")].into_iter().enumerate() {
        let position = NewPositionItem {
            id: format!("busy{i}"),
            group: format!("busy group {i}"),
            date: day.map(|d| When::Day(date(d))),
            ..item("unused", "extractive", "2026-11-30T10:00:00Z", ItemStatus::Written)
        };
        store.save_position_item(&position).await.expect("save");
    }

    let filters = [
        ActivityFilter::default(),
        ActivityFilter { kind: ActivityKind::Positions, ..ActivityFilter::default() },
        ActivityFilter { year: Some(2021), ..ActivityFilter::default() },
        ActivityFilter { institution: Some(Institution::Parliament), ..ActivityFilter::default() },
        ActivityFilter { institution: Some(Institution::Commission), ..ActivityFilter::default() },
        ActivityFilter { kind: ActivityKind::Responses, ..ActivityFilter::default() },
        ActivityFilter { year: Some(2022), ..ActivityFilter::default() },
    ];
    for f in filters {
        let org_page = |offset, limit| {
            let f = ActivityFilter { offset, limit, ..f.clone() };
            let isoc = isoc.clone();
            async move { store.organisation_activity(&isoc, &f).await.expect("timeline") }
        };
        let whole = pages_join_up(org_page, &[1, 4, 7], &format!("organisation {f:?}")).await;
        assert!(whole.items.len() > 3, "{f:?}: a timeline long enough to page");

        let mep = PersonKey::Mep(197431);
        let person_page = |offset, limit| {
            let f = ActivityFilter { offset, limit, ..f.clone() };
            let mep = mep.clone();
            async move { store.person_activity(&mep, &f).await.expect("timeline") }
        };
        pages_join_up(person_page, &[1, 3], &format!("person {f:?}")).await;
    }
    let mep = store.person_activity(&PersonKey::Mep(197431), &filter(1000)).await.expect("timeline");
    assert_eq!(mep.matching, 11, "the Parliament's meetings, each once");

    let whole = store.initiative_responses(12345, 0, 1000).await.expect("responses");
    let ids: Vec<u64> = whole.items.iter().map(|r| r.id).collect();
    assert_eq!((ids.len(), whole.total), (23, 23), "both publications' responses");
    let undated = whole.items.iter().skip_while(|r| r.date.is_some()).count();
    assert_eq!(undated, 3, "undated last");
    for limit in [1, 5] {
        let mut joined = Vec::new();
        for offset in (0..25).step_by(limit) {
            let page = store.initiative_responses(12345, offset as u32, limit as u32).await.expect("responses");
            assert_eq!(page.total, 23);
            joined.extend(page.items.iter().map(|r| r.id));
        }
        assert_eq!(joined, ids, "pages of {limit}");
    }
}

// --- each source's health ---

fn moment(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// A successful sync of `source` begun at `when`, its figures made from `seed`, with a warning.
pub fn synced_health(source: SourceId, when: &str, seed: u64) -> SourceHealth {
    SourceHealth {
        source,
        last_attempt: Some(moment(when)),
        last_success: Some(moment(when)),
        last_error: None,
        run: RunFigures {
            requests: seed,
            bytes: seed * 1000 + 7,
            records_seen: seed * 10,
            new: seed + 1,
            updated: seed + 2,
            unchanged: seed * 10 - 2 * seed - 3,
            withdrawn: seed % 3,
            took_ms: seed * 250,
        },
        warnings: vec![format!("{} window at the export's cap of 1,000 rows", source.title())],
    }
}

/// Health is kept per source, one row each: a source never synced is absent, a save replaces
/// the source's row whole (a warning gone is gone), the rows come back in `SourceId` order
/// whatever the order of the saves, and every save moves the data generation on.
pub async fn source_health_is_kept_per_source_and_read_in_source_order(store: &dyn Store) {
    assert_eq!(store.source_health().await.expect("health"), Vec::<SourceHealth>::new(), "none synced yet");
    let hys = synced_health(SourceId::HaveYourSay, "2026-12-07T03:00:00Z", 40);
    let tr = synced_health(SourceId::Register, "2026-12-07T01:00:00Z", 5);
    let ep = synced_health(SourceId::Parliament, "2026-12-01T02:00:00Z", 12);
    let mut generation = store.data_generation().await.expect("generation");
    for h in [&hys, &tr, &ep] {
        store.save_source_health(h).await.expect("save");
        let now = store.data_generation().await.expect("generation");
        assert!(now > generation, "saving {}'s health moves the generation on", h.source);
        generation = now;
    }
    let read = store.source_health().await.expect("health");
    assert_eq!(read, vec![tr.clone(), ep.clone(), hys.clone()], "tr, ec, ep, hys order; ec never synced");

    let again = SourceHealth { warnings: vec![], ..synced_health(SourceId::Register, "2026-12-08T01:00:00Z", 6) };
    store.save_source_health(&again).await.expect("replace");
    assert_eq!(store.source_health().await.expect("health"), vec![again, ep, hys], "tr's row replaced whole");
    assert_eq!(store.copy_count(CopyTable::SourceHealth).await.expect("count"), 3, "one row a source");
    let ec = SourceHealth::never(SourceId::Commission);
    store.save_source_health(&ec).await.expect("save");
    let read = store.source_health().await.expect("health");
    assert_eq!(read.iter().map(|h| h.source).collect::<Vec<_>>(), SourceId::ALL, "{read:?}");
    assert_eq!(read[1], ec, "saved with nothing known, read back so");
}

/// A failed attempt is saved with the earlier success's time, figures and warnings as the sync
/// gives them, and they read back as given beside the error; the next success clears the
/// error. A source whose attempts have all failed reads back with no success and zero figures.
pub async fn a_failed_attempt_keeps_the_figures_it_is_given(store: &dyn Store) {
    let success = synced_health(SourceId::Commission, "2026-12-06T04:00:00Z", 9);
    store.save_source_health(&success).await.expect("save");
    let failed = SourceHealth {
        last_attempt: Some(moment("2026-12-07T04:00:00Z")),
        last_error: Some("https://ec.europa.eu/…/meetings.xlsx answered 503 Service Unavailable".into()),
        ..success.clone()
    };
    store.save_source_health(&failed).await.expect("save");
    let read = store.source_health().await.expect("health");
    assert_eq!(read, vec![failed.clone()]);
    assert_eq!(read[0].last_success, success.last_success, "the earlier success stays");
    assert_eq!(read[0].run, success.run, "and its figures");
    assert_eq!(read[0].warnings, success.warnings, "and its warnings");

    let recovered = synced_health(SourceId::Commission, "2026-12-08T04:00:00Z", 10);
    store.save_source_health(&recovered).await.expect("save");
    assert_eq!(store.source_health().await.expect("health"), vec![recovered.clone()], "no error left");

    let never_succeeded = SourceHealth {
        last_attempt: Some(moment("2026-12-07T05:00:00Z")),
        last_error: Some("no contact given for the User-Agent".into()),
        ..SourceHealth::never(SourceId::Parliament)
    };
    store.save_source_health(&never_succeeded).await.expect("save");
    let read = store.source_health().await.expect("health");
    assert_eq!(read, vec![recovered, never_succeeded]);
    assert_eq!((read[1].last_success, &read[1].run), (None, &RunFigures::default()));
}

/// Warnings and errors read back as given, whatever they hold (quotes, backslashes, line
/// breaks, markup, text beyond the BMP, an empty warning, many of them); times to the
/// nanosecond, in UTC whatever offset they were made with; figures up to the largest a
/// signed 64-bit column holds.
pub async fn source_health_text_and_times_round_trip_as_given(store: &dyn Store) {
    let awkward: Vec<String> = [
        "\"quoted\" and 'single' and `back`",
        "a \\ backslash, \\N and \\\\ two",
        "line one\nline two\r\nline three\ttabbed",
        "<script>alert(1)</script> \"><img src=x onerror=alert(1)>",
        "naïve Ελληνικά 中文 עברית \u{1F1EA}\u{1F1FA} e\u{301}",
        "",
        "[\"not\", \"an array\"] {\"nor\": \"an object\"}",
        "   spaced   ",
    ]
    .into_iter()
    .map(String::from)
    .chain((0..50).map(|i| format!("window {i} of 50")))
    .collect();
    let h = SourceHealth {
        source: SourceId::HaveYourSay,
        last_attempt: Some(moment("2026-12-07T13:44:35.123456789+02:00")),
        last_success: Some(moment("2026-12-06T23:59:59.5Z")),
        last_error: Some("failed: \"<b>bold</b>\"\n\tat line 2 \\ \u{1F600}".into()),
        run: RunFigures {
            requests: 0,
            bytes: i64::MAX as u64,
            records_seen: 1,
            new: 0,
            updated: u64::from(u32::MAX) + 1,
            unchanged: 2,
            withdrawn: 3,
            took_ms: 86_400_000,
        },
        warnings: awkward,
    };
    store.save_source_health(&h).await.expect("save");
    let read = store.source_health().await.expect("health");
    assert_eq!(read, vec![h.clone()]);
    assert_eq!(read[0].last_attempt, Some(moment("2026-12-07T11:44:35.123456789Z")), "the same moment, in UTC");

    let too_large = SourceHealth { run: RunFigures { took_ms: u64::MAX, ..h.run.clone() }, ..h.clone() };
    let refused = store.save_source_health(&too_large).await;
    assert!(matches!(refused, Err(StoreError::Refused(_))), "{refused:?}");
    assert_eq!(store.source_health().await.expect("health"), vec![h], "the row as it was");
}

// --- copying a whole store (two stores: the macro's `@pairs`) ---

/// A store with something in every table a copy carries: linked records, corrected meetings
/// with their history and a relinking pass, position items with verdicts and citations, an
/// attachment's text, text that needs escaping, a linking pass owed, and two sources' health.
async fn fill_for_copy(store: &dyn Store) {
    kept_counts_match_a_recount(store).await;
    position_items_round_trip_with_verdicts(store).await;
    let mut odd = item("Z-tab\there", "llm", "2026-12-01T10:00:00Z", ItemStatus::Pending);
    odd.error = Some("a \\ backslash,\na new line and \"quotes\"".into());
    store.save_position_item(&odd).await.expect("save");
    // Another group, so that it supersedes neither.
    let empty = item("é-last", "extractive", "2026-12-01T11:00:00Z", ItemStatus::Empty);
    store.save_position_item(&NewPositionItem { group: "register".into(), ..empty }).await.expect("save");
    let newer = register_entry("953701819437-32", "Internet Society", "2019-10-25");
    commit(
        store,
        "next snapshot",
        SourceKind::RegisterXml,
        vec![stamp(Record::Register(newer), SourceKind::RegisterXml, 1)],
    )
    .await;
    assert!(store.relink_pending().await.expect("pending"), "a pass owed, to be copied as owed");
    source_health_text_and_times_round_trip_as_given(store).await;
    let failed = SourceHealth {
        last_attempt: Some(moment("2026-12-07T06:00:00Z")),
        last_error: Some("timed out".into()),
        ..synced_health(SourceId::Register, "2026-12-06T06:00:00Z", 3)
    };
    store.save_source_health(&failed).await.expect("save");
    // A meeting no longer published: its mark is copied with it.
    let gone = lobbyscope_store::Listing {
        kind: lobbyscope_store::ListedKind::Meetings,
        scope: lobbyscope_store::Scope::Everything,
        present: Vec::new(),
        as_of: date("2026-12-01"),
    };
    assert!(store.mark_listing(&gone).await.expect("mark").withdrawn > 0);
}

/// Every row of `table`, read in pages of `limit`; checks that each page but the last says
/// where the next starts, and that the rows come in strictly increasing key order.
async fn read_table(store: &dyn Store, table: CopyTable, limit: usize) -> Vec<CopyRow> {
    let mut rows: Vec<CopyRow> = Vec::new();
    let mut after = None;
    loop {
        let page = store.copy_out(table, after.as_ref(), limit).await.expect("copy out");
        assert!(page.rows.len() <= limit, "{table}: a page of {limit} has {}", page.rows.len());
        if page.rows.len() < limit {
            assert_eq!(page.next, None, "{table}: a short page is the last");
        }
        rows.extend(page.rows);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(rows.len() as u64, store.copy_count(table).await.expect("count"), "{table}: every row, once");
    let key = |row: &CopyRow| -> Vec<KeyPart> { row.iter().map(KeyPart::of).collect() };
    for pair in rows.windows(2) {
        assert!(key(&pair[0]) < key(&pair[1]), "{table}: {:?} before {:?}", pair[0], pair[1]);
    }
    rows
}

/// A value as keys order: numbers as numbers, text by code point.
#[derive(Debug, PartialEq, PartialOrd)]
enum KeyPart {
    Null,
    Number(f64),
    Text(String),
}

impl KeyPart {
    fn of(v: &CopyValue) -> KeyPart {
        match v {
            CopyValue::Int(Some(n)) => KeyPart::Number(*n as f64),
            CopyValue::Real(Some(f)) => KeyPart::Number(*f),
            CopyValue::Bool(b) => KeyPart::Number(f64::from(u8::from(*b))),
            CopyValue::Text(Some(t)) => KeyPart::Text(t.clone()),
            _ => KeyPart::Null,
        }
    }
}

/// Every page and figure `a` shows that `b` must show alike: the lists in every order, each
/// organisation's page and timeline, people, meetings with their history, responses,
/// consultations, position items and the texts they cite, each source's health.
async fn same_pages(a: &dyn Store, b: &dyn Store) {
    assert_eq!(a.stats().await.expect("stats"), b.stats().await.expect("stats"));
    assert_eq!(a.relink_pending().await.expect("pending"), b.relink_pending().await.expect("pending"));
    assert_eq!(a.registered_names().await.expect("names"), b.registered_names().await.expect("names"));
    assert_eq!(a.source_health().await.expect("health"), b.source_health().await.expect("health"));
    for sort in OrgSort::ALL {
        let list = a.organisations_list(sort, 0, 1000).await.expect("list");
        assert_eq!(list, b.organisations_list(sort, 0, 1000).await.expect("list"), "{sort:?}");
    }
    let everything = filter(1000);
    for row in a.organisations_list(OrgSort::Name, 0, 1000).await.expect("list").rows {
        let key = &row.organisation.key;
        assert_eq!(a.organisation_view(key).await.expect("view"), b.organisation_view(key).await.expect("view"));
        let (ta, tb) =
            (a.organisation_activity(key, &everything).await, b.organisation_activity(key, &everything).await);
        assert_eq!(ta.expect("timeline"), tb.expect("timeline"), "{key:?}");
        assert_eq!(a.position_inputs(key).await.expect("inputs"), b.position_inputs(key).await.expect("inputs"));
    }
    let latest = a.latest_activity(1000).await.expect("latest");
    assert_eq!(latest, b.latest_activity(1000).await.expect("latest"));
    for activity in &latest {
        if let Activity::Meeting(m) = activity {
            assert_eq!(a.meeting(&m.id).await.expect("meeting"), b.meeting(&m.id).await.expect("meeting"));
            for host in &m.hosts {
                let (pa, pb) = (a.person(&host.person_key).await.expect("person"), b.person(&host.person_key).await);
                assert_eq!(pa, pb.expect("person"));
                let (ta, tb) = (
                    a.person_activity(&host.person_key, &everything).await,
                    b.person_activity(&host.person_key, &everything).await,
                );
                assert_eq!(ta.expect("timeline"), tb.expect("timeline"));
            }
        }
    }
    let (pa, pb) = (
        a.procedure_activity("2020/0259(COD)", &everything).await,
        b.procedure_activity("2020/0259(COD)", &everything).await,
    );
    assert_eq!(pa.expect("procedure"), pb.expect("procedure"));
    for id in [2_665_651, 2_665_652, 2_665_653, 2_665_654] {
        assert_eq!(a.response(id).await.expect("response"), b.response(id).await.expect("response"));
    }
    assert_eq!(a.initiative(12345).await.expect("initiative"), b.initiative(12345).await.expect("initiative"));
    let (ra, rb) = (a.initiative_responses(12345, 0, 100).await, b.initiative_responses(12345, 0, 100).await);
    assert_eq!(ra.expect("responses"), rb.expect("responses"));
    assert_eq!(a.position_orgs().await.expect("orgs"), b.position_orgs().await.expect("orgs"));
    for id in ["a1", "Z-tab\there", "é-last"] {
        assert_eq!(a.position_item(id).await.expect("item"), b.position_item(id).await.expect("item"), "{id}");
    }
    for id in ["response:2665651", "attachment:2665651:090166e5e1cd1796", "register:953701819437-32:2018-10-25:goals"] {
        assert_eq!(a.source(id).await.expect("source"), b.source(id).await.expect("source"), "{id}");
    }
}

/// A copy into an empty store holds every row of its source, read back page for page alike
/// (at any page size), and shows every page and figure alike, which the target worked out
/// itself; the linking pass owed is owed in the copy too, and a reader of the copy sees its
/// data generation move on.
/// What a complete listing held and holds no longer is marked "no longer published" from the
/// day it was found gone, kept and readable; listed again, it loses the mark. Only records in
/// the listing's scope are touched.
pub async fn what_a_listing_no_longer_holds_is_marked_and_kept(store: &dyn Store) {
    use lobbyscope_store::{ListedKind, Listing, Scope};
    write_all(store, &all_records()).await;
    let ep = MeetingId::new(parliament_meeting().natural_key(), 1);
    let ec = MeetingId::new(commission_meeting().natural_key(), 1);
    let since = |kind, record: String| async move { store.withdrawn_since(kind, &record).await.expect("read") };
    let listing = |kind, scope, present: &[&str], day: &str| Listing {
        kind,
        scope,
        present: present.iter().map(|s| (*s).to_owned()).collect(),
        as_of: date(day),
    };
    let november = Scope::ParliamentDays { from: date("2020-11-01"), to: date("2020-11-30") };
    let generation = store.data_generation().await.expect("generation");

    let marks =
        store.mark_listing(&listing(ListedKind::Meetings, november.clone(), &[], "2026-12-01")).await.expect("mark");
    assert_eq!((marks.withdrawn, marks.returned), (1, 0), "the Parliament's November meeting, not the Commission's");
    assert_eq!(since(ListedKind::Meetings, ep.to_string()).await, Some(date("2026-12-01")));
    assert_eq!(since(ListedKind::Meetings, ec.to_string()).await, None);
    assert!(store.meeting(&ep).await.expect("read").is_some(), "kept, never deleted");
    assert!(store.data_generation().await.expect("generation") > generation, "pages change with the mark");

    // Found gone again later: the first day stays.
    let again =
        store.mark_listing(&listing(ListedKind::Meetings, november.clone(), &[], "2026-12-05")).await.expect("mark");
    assert_eq!((again.withdrawn, again.returned), (0, 0));
    assert_eq!(since(ListedKind::Meetings, ep.to_string()).await, Some(date("2026-12-01")));
    let generation = store.data_generation().await.expect("generation");
    let key = parliament_meeting().natural_key();
    let back = store
        .mark_listing(&listing(ListedKind::Meetings, november, &[key.as_str()], "2026-12-06"))
        .await
        .expect("mark");
    assert_eq!((back.withdrawn, back.returned), (0, 1));
    assert_eq!(since(ListedKind::Meetings, ep.to_string()).await, None);
    assert!(store.data_generation().await.expect("generation") > generation);

    // The Commission's meeting is in the listing of the file it came from, and no other.
    let elsewhere = Scope::Files(vec!["another file".into()]);
    let none = store.mark_listing(&listing(ListedKind::Meetings, elsewhere, &[], "2026-12-01")).await.expect("mark");
    assert_eq!(none.withdrawn, 0);
    let its_file = Scope::Files(vec!["test".into()]);
    let present = [parliament_meeting().natural_key()];
    let present: Vec<&str> = present.iter().map(|k| k.as_str()).collect();
    let gone =
        store.mark_listing(&listing(ListedKind::Meetings, its_file, &present, "2026-12-02")).await.expect("mark");
    assert_eq!(gone.withdrawn, 1);
    assert_eq!(since(ListedKind::Meetings, ec.to_string()).await, Some(date("2026-12-02")));

    // A publication's responses, the portal's initiatives, the register's organisations.
    let mark = |l: Listing| async move { store.mark_listing(&l).await.expect("mark").withdrawn };
    assert_eq!(mark(listing(ListedKind::Responses, Scope::Publication(778), &[], "2026-12-01")).await, 0);
    assert_eq!(mark(listing(ListedKind::Responses, Scope::Publication(777), &["1"], "2026-12-01")).await, 1);
    assert_eq!(since(ListedKind::Responses, "2665651".into()).await, Some(date("2026-12-01")));
    assert_eq!(mark(listing(ListedKind::Initiatives, Scope::Everything, &["12345"], "2026-12-01")).await, 0);
    assert_eq!(mark(listing(ListedKind::Registrations, Scope::Everything, &[], "2026-12-03")).await, 1);
    assert_eq!(since(ListedKind::Registrations, "953701819437-32".into()).await, Some(date("2026-12-03")));
    assert_eq!(store.stats().await.expect("stats").register_entries, 1, "the entries stay");

    let misfit =
        store.mark_listing(&listing(ListedKind::Initiatives, Scope::Publication(777), &[], "2026-12-01")).await;
    assert!(misfit.is_err(), "a publication does not list initiatives");
}

pub async fn a_copy_reads_back_as_its_source(source: &dyn Store, target: &dyn Store) {
    fill_for_copy(source).await;
    let before = target.data_generation().await.expect("generation");
    let report = copy_store(source, target, &QuietCopy).await.expect("copy");
    assert!(report.matches(), "{report:?}");
    assert_eq!(report.tables.len(), CopyTable::ALL.len());
    for count in &report.tables {
        assert!(count.source > 0, "{}: the source has no row to copy", count.table);
        assert_eq!(count.source, count.target, "{}", count.table);
    }
    assert!(target.data_generation().await.expect("generation") > before, "readers see the copy");
    for table in CopyTable::ALL {
        let whole = read_table(source, table, 100_000).await;
        assert_eq!(whole, read_table(target, table, 100_000).await, "{table}: the copy's rows");
        for limit in [1, 3] {
            assert_eq!(read_table(source, table, limit).await, whole, "{table}: pages of {limit}");
            assert_eq!(read_table(target, table, limit).await, whole, "{table}: the copy's pages of {limit}");
        }
    }
    same_pages(source, target).await;
    // The copy is a store like any other: records written to both change both alike.
    write_linked(source).await;
    write_linked(target).await;
    same_pages(source, target).await;
}

/// A copy only goes into a store that holds nothing: one holding any row (an imported file,
/// or only an attachment's text) is refused before anything is written, the message naming
/// the first table with rows. An empty source copies into an empty store and leaves it empty.
pub async fn a_copy_refuses_a_target_that_holds_rows(source: &dyn Store, target: &dyn Store) {
    let empty = copy_store(source, target, &QuietCopy).await.expect("an empty copy");
    assert!(empty.matches());
    assert_eq!(empty.rows(), 1, "only the state row: {empty:?}");
    assert!(!target.relink_pending().await.expect("pending"));

    write_linked(source).await;
    let text = SourceTextRecord {
        id: "attachment:2665651:090166e5e1cd1796".into(),
        response_id: 2_665_651,
        file: "a.pdf".into(),
        file_sha256: "ab".repeat(32),
        extractor: "pdftotext".into(),
        text: "Attached.".into(),
        extracted_at: "2026-11-30T10:00:00Z".into(),
    };
    target.save_source_text(&text).await.expect("save text");
    let before = (target.data_generation().await.expect("generation"), target.stats().await.expect("stats"));
    match copy_store(source, target, &QuietCopy).await {
        Err(e @ CopyError::TargetNotEmpty { table: CopyTable::SourceTexts, rows: 1 }) => assert_eq!(
            e.to_string(),
            "the target is not empty: source_texts holds 1 row(s); copy into a new file or an empty database"
        ),
        other => panic!("refused for its source_texts, not {other:?}"),
    }
    let after = (target.data_generation().await.expect("generation"), target.stats().await.expect("stats"));
    assert_eq!(after, before, "nothing written");

    commit(target, "ep", SourceKind::EpMeetingsCsv, vec![ep(parliament_meeting(), 1)]).await;
    match copy_store(source, target, &QuietCopy).await {
        Err(CopyError::TargetNotEmpty { table: CopyTable::ImportFiles, rows: 1 }) => {}
        other => panic!("refused for its import_files, not {other:?}"),
    }
    assert_eq!(target.stats().await.expect("stats").meetings, 1, "the target is as it was");
}

#[cfg(test)]
mod tests {
    /// A contract function left out of [`store_contract_tests!`] would silently run on no backend.
    #[test]
    fn the_macro_runs_every_contract_function() {
        // The functions of its modules too; the macro's lists are in this file.
        let source = concat!(include_str!("lib.rs"), include_str!("documents.rs"));
        // The names in the macro's list after `marker`.
        let list = |marker: &str| -> Vec<&str> {
            let (_, list) = source.split_once(marker).expect("the macro's list");
            let (list, _) = list.split_once(");").expect("the end of the list");
            list.split(',').map(str::trim).filter(|n| !n.is_empty()).collect()
        };
        let (one, two, fixture) = (list("@each $fresh;"), list("@pairs $fresh;"), list("@fixture $fresh;"));
        /// What a contract function takes: one store, two, or the fixture itself.
        #[derive(PartialEq)]
        enum Takes {
            Store,
            Pair,
            Fixture,
        }
        let defined: Vec<(&str, Takes)> = source
            .lines()
            .filter_map(|l| l.strip_prefix("pub async fn "))
            .filter_map(|l| {
                l.split_once('(').map(|(name, rest)| {
                    let takes = match rest.matches("&dyn Store").count() {
                        2 => Takes::Pair,
                        _ if rest.starts_with("fixture: &impl Fixture") => Takes::Fixture,
                        _ => Takes::Store,
                    };
                    (name, takes)
                })
            })
            .collect();
        assert!(!defined.is_empty() && !two.is_empty() && !fixture.is_empty());
        for (name, takes) in &defined {
            let listed = match takes {
                Takes::Store => &one,
                Takes::Pair => &two,
                Takes::Fixture => &fixture,
            };
            assert!(listed.contains(name), "{name} is not in store_contract_tests!'s list for what it takes");
        }
        for name in one.iter().chain(&two).chain(&fixture) {
            assert!(defined.iter().any(|(d, _)| d == name), "{name} is listed but not defined");
        }
    }
}
