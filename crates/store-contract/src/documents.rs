//! What the search index reads (`lobbyscope_store::documents`): record ids in pages of their
//! keys, those imported since a time, records by ids, and organisations and people as documents.

use lobbyscope_domain::{Feedback, Host, Meeting, MeetingId, Record, SourceKind};
use lobbyscope_store::{
    ActivityCounts, AnalysedThrough, ImportFile, ImportedSince, ItemStatus, LinkMethod, MeetingView, MentionLink,
    OrgKey, OrgSort, Organisation, OrganisationDocument, PersonDocument, PersonKey, PersonKind, SourceTextRecord,
    Stamped, Store,
};

use crate::{
    all_records, commission_meeting, date, feedback, file, id, initiative, isoc_organisation, moment, official, org,
    parliament_meeting, register_entry, response, stamp, unregistered, write_all, write_linked,
};

const EARLIER: &str = "2026-11-29T12:00:00Z";
const LATER: &str = "2026-12-07T14:00:00Z";

fn since(at: &str) -> ImportedSince {
    ImportedSince(moment(at))
}

/// Writes `records` as one file imported at `at`, each record stamped with that time as the
/// import pipeline stamps them.
async fn import_at(store: &dyn Store, name: &str, at: &str, records: Vec<Stamped>) {
    let imported = ImportFile { imported_at: at.into(), ..file(name, SourceKind::HysFeedback) };
    let records: Vec<Stamped> = records
        .into_iter()
        .map(|mut s| {
            s.prov.imported_at = at.into();
            s
        })
        .collect();
    let mut w = store.begin(&imported).await.expect("begin");
    w.write(&records, &[]).await.expect("write");
    w.commit().await.expect("commit");
}

fn answer(id: u64, text: &str) -> Stamped {
    let record = Feedback { text: text.into(), ..response(id, 777, Some("2021-06-01"), Some("NGO"), Some("BEL")) };
    stamp(Record::Feedback(record), SourceKind::HysFeedback, 1)
}

/// Every page of `read` at `limit`, each after the last id of the one before, joined.
async fn joined<K: Clone, F, Fut>(read: F, limit: u32) -> Vec<K>
where
    F: Fn(Option<K>, u32) -> Fut,
    Fut: Future<Output = Vec<K>>,
{
    let mut all: Vec<K> = Vec::new();
    loop {
        let page = read(all.last().cloned(), limit).await;
        assert!(page.len() <= limit as usize, "a page holds at most its limit");
        if page.is_empty() {
            return all;
        }
        all.extend(page);
    }
}

/// Ids come in the order of the stored ids, paged after the last one a page gave, and only
/// those imported at or after `since` when it is given: a record replaced by a later file takes
/// that file's time, one imported again unchanged keeps its first. `imported_through` is the
/// newest import's time.
pub async fn record_ids_page_by_key_and_since_an_import(store: &dyn Store) {
    assert_eq!(store.imported_through().await.expect("read"), None, "an empty store");
    assert!(store.meeting_ids(None, None, 10).await.expect("read").is_empty());
    assert!(store.response_ids(None, None, 10).await.expect("read").is_empty());
    assert!(store.initiative_ids(None, None, 10).await.expect("read").is_empty());

    let earlier = vec![
        stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 1),
        stamp(Record::Meeting(parliament_meeting()), SourceKind::EpMeetingsCsv, 2),
        stamp(Record::Initiative(initiative()), SourceKind::HysInitiative, 3),
        answer(30, "Thirty."),
        answer(10, "Ten."),
        answer(20, "Twenty."),
    ];
    import_at(store, "earlier.json", EARLIER, earlier).await;
    assert_eq!(store.imported_through().await.expect("read"), Some(since(EARLIER)));
    let mut chat = parliament_meeting();
    chat.date = date("2021-03-02");
    chat.subject = "Chat control".into();
    let mut next = initiative();
    next.id = 12346;
    next.publications[0].id = 778;
    let later = vec![
        stamp(Record::Meeting(chat), SourceKind::EpMeetingsCsv, 1),
        stamp(Record::Initiative(next), SourceKind::HysInitiative, 2),
        answer(40, "Forty."),
        answer(25, "Twenty-five."),
        answer(10, "Ten, corrected."),
        answer(20, "Twenty."),
    ];
    import_at(store, "later.json", LATER, later).await;
    assert_eq!(store.imported_through().await.expect("read"), Some(since(LATER)));

    let responses = |since: Option<&'static str>, after: Option<u64>, limit: u32| async move {
        store.response_ids(since.map(self::since), after, limit).await.expect("read")
    };
    assert_eq!(responses(None, None, 100).await, [10, 20, 25, 30, 40]);
    assert_eq!(responses(Some(EARLIER), None, 100).await, [10, 20, 25, 30, 40], "at or after");
    assert_eq!(responses(Some(LATER), None, 100).await, [10, 25, 40], "10 was replaced, 20 left as it was");
    assert_eq!(responses(Some("2026-12-01T00:00:00Z"), None, 100).await, [10, 25, 40]);
    assert!(responses(Some("2026-12-07T14:00:01Z"), None, 100).await.is_empty(), "nothing imported since");
    assert_eq!(responses(None, None, 1).await, [10]);
    assert_eq!(responses(None, Some(10), 2).await, [20, 25]);
    assert_eq!(responses(None, Some(21), 100).await, [25, 30, 40], "after an id not stored");
    assert_eq!(responses(None, Some(0), 100).await, [10, 20, 25, 30, 40]);
    assert_eq!(responses(Some(LATER), Some(10), 1).await, [25]);
    assert_eq!(responses(Some(LATER), Some(25), 100).await, [40]);
    for after in [40, 41, u64::MAX] {
        assert!(responses(None, Some(after), 100).await.is_empty(), "after {after}");
    }
    assert!(responses(None, None, 0).await.is_empty(), "a page of none");
    for limit in [1, 2, 3] {
        let all = joined(|after, limit| responses(None, after, limit), limit).await;
        assert_eq!(all, [10, 20, 25, 30, 40], "pages of {limit}");
        let later = joined(|after, limit| responses(Some(LATER), after, limit), limit).await;
        assert_eq!(later, [10, 25, 40], "pages of {limit} since the later import");
    }

    let initiatives = |since: Option<&'static str>, after: Option<u64>, limit: u32| async move {
        store.initiative_ids(since.map(self::since), after, limit).await.expect("read")
    };
    assert_eq!(initiatives(None, None, 10).await, [12345, 12346]);
    assert_eq!(initiatives(Some(LATER), None, 10).await, [12346]);
    assert_eq!(initiatives(None, None, 1).await, [12345]);
    assert_eq!(initiatives(None, Some(12345), 10).await, [12346]);
    assert!(initiatives(None, Some(12346), 10).await.is_empty());
    assert!(initiatives(None, None, 0).await.is_empty());

    let meetings = |since: Option<&'static str>, after: Option<MeetingId>, limit: u32| async move {
        store.meeting_ids(since.map(self::since), after.as_ref(), limit).await.expect("read")
    };
    let all = meetings(None, None, 10).await;
    assert_eq!(all.len(), 3);
    let text: Vec<String> = all.iter().map(ToString::to_string).collect();
    assert!(text.windows(2).all(|w| w[0] < w[1]), "in the order of the stored ids: {text:?}");
    let [since_later] = &meetings(Some(LATER), None, 10).await[..] else {
        panic!("one meeting since the later import")
    };
    let read = store.meetings(std::slice::from_ref(since_later)).await.expect("read");
    assert_eq!(read.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(), ["Chat control"]);
    assert_eq!(meetings(None, None, 1).await, all[..1]);
    assert_eq!(meetings(None, Some(all[0].clone()), 10).await, all[1..]);
    assert_eq!(meetings(None, Some(all[1].clone()), 1).await, all[2..]);
    assert!(meetings(None, Some(all[2].clone()), 10).await.is_empty(), "after the last");
    assert!(meetings(None, None, 0).await.is_empty(), "a page of none");
    for limit in [1, 2] {
        assert_eq!(joined(|after, limit| meetings(None, after, limit), limit).await, all, "pages of {limit}");
    }
}

/// Meetings and responses by their ids, as `meeting` (without its history) and `response` give
/// them, in the order of the ids; ids not stored are left out.
pub async fn records_are_read_by_ids_in_the_order_given(store: &dyn Store) {
    write_linked(store).await;
    let ids = store.meeting_ids(None, None, 10).await.expect("read");
    let [first, second] = &ids[..] else { panic!("two meetings") };
    let unknown = MeetingId::new(first.key().clone(), first.ordinal() + 7);
    let mut expected: Vec<MeetingView> = Vec::new();
    for id in [second, first] {
        let mut meeting = store.meeting(id).await.expect("read").expect("stored");
        meeting.history = None;
        expected.push(meeting);
    }
    let read = store.meetings(&[second.clone(), unknown, first.clone()]).await.expect("read");
    assert_eq!(read, expected);
    assert!(read.iter().all(|m| !m.attendees.is_empty() && !m.hosts.is_empty()), "whole meetings");
    assert!(store.meetings(&[]).await.expect("read").is_empty());

    let asked = [2_665_653, 1, 2_665_651, u64::MAX, 2_665_654];
    let mut expected = Vec::new();
    for id in [2_665_653, 2_665_651, 2_665_654] {
        expected.push(store.response(id).await.expect("read").expect("stored"));
    }
    assert_eq!(store.responses(&asked).await.expect("read"), expected);
    assert_eq!(expected[1].initiative_title.as_deref(), Some("Declaration of Digital Principles"));
    assert!(store.responses(&[]).await.expect("read").is_empty());
}

/// Organisations in the order of their keys, each with its other names (earlier register names
/// and acronyms, names sources published for it; each once, never its own name or acronym),
/// its newest register entry's goals, country and category (by snapshot date, whatever the
/// order they were written in), and the counts the organisations list shows; paged after the
/// last key a page gave.
pub async fn organisations_are_read_as_documents(store: &dyn Store) {
    let (isoc, ngo, wikimedia) = (org("953701819437-32"), org("n:some-unregistered-ngo"), org("000005130904-53"));
    let link = |org: &OrgKey, method| Some(MentionLink { org: org.clone(), method });
    let newest = register_entry("953701819437-32", "Internet Society (ISOC)", "2018-10-25");
    let mut older = register_entry("953701819437-32", "Internet Society Europe Office", "2017-06-01");
    older.acronym = Some("ISOC-EO".into());
    older.goals = Some("Older goals.".into());
    older.head_office_country = Some("BELGIUM".into());
    older.category = Some("Trade and business associations".into());
    let wikimedia_entry = register_entry("000005130904-53", "Wikimedia Deutschland e.V.", "2018-10-25");

    let mut attended = commission_meeting();
    attended.attendees[0].name = Some("Internet Society Europe Office".into());
    let mut commission = stamp(Record::Meeting(attended), SourceKind::CommissionMeetingsXlsx, 3);
    commission.links = vec![link(&isoc, LinkMethod::RegisterId)];
    let mut parliament = stamp(Record::Meeting(parliament_meeting()), SourceKind::EpMeetingsCsv, 2);
    parliament.links = vec![link(&isoc, LinkMethod::ExactName), link(&ngo, LinkMethod::Unmatched)];
    let mut by_name = stamp(Record::Feedback(feedback("An open Internet.")), SourceKind::HysFeedback, 1);
    by_name.links = vec![link(&isoc, LinkMethod::RegisterId)];
    let by_acronym = Feedback { organization: Some("ISOC".into()), ..response(2_665_661, 777, None, None, None) };
    let mut by_acronym = stamp(Record::Feedback(by_acronym), SourceKind::HysFeedback, 2);
    by_acronym.links = vec![link(&isoc, LinkMethod::Acronym)];
    let spelled = Feedback {
        organization: Some("SOME unregistered NGO".into()),
        ..response(2_665_660, 777, Some("2021-06-02"), Some("NGO"), None)
    };
    let mut spelled = stamp(Record::Feedback(spelled), SourceKind::HysFeedback, 3);
    spelled.links = vec![link(&ngo, LinkMethod::Unmatched)];
    let records = [
        stamp(Record::Register(newest.clone()), SourceKind::RegisterXml, 1),
        commission,
        parliament,
        by_name,
        by_acronym,
        spelled,
        stamp(Record::Register(wikimedia_entry.clone()), SourceKind::RegisterXml, 2),
        // Older, and written last: the newest entry is the newest snapshot's.
        stamp(Record::Register(older), SourceKind::RegisterXml, 3),
    ];
    let organisations = [isoc_organisation(), unregistered(&ngo, "Some Unregistered NGO")];
    let mut w = store.begin(&file("documents", SourceKind::RegisterXml)).await.expect("begin");
    w.write(&records, &organisations).await.expect("write");
    w.commit().await.expect("commit");

    let counts = |commission_meetings, parliament_meetings, responses| ActivityCounts {
        commission_meetings,
        parliament_meetings,
        responses,
    };
    let expected = vec![
        OrganisationDocument {
            organisation: Organisation {
                key: wikimedia.clone(),
                register_id: Some(id("000005130904-53")),
                name: "Wikimedia Deutschland e.V.".into(),
                acronym: None,
            },
            names: vec![],
            goals: wikimedia_entry.goals.clone(),
            country: wikimedia_entry.head_office_country.clone(),
            category: wikimedia_entry.category.clone(),
            counts: counts(0, 0, 0),
        },
        OrganisationDocument {
            organisation: isoc_organisation(),
            names: vec!["ISOC-EO".into(), "Internet Society".into(), "Internet Society Europe Office".into()],
            goals: newest.goals.clone(),
            country: Some("UNITED STATES".into()),
            category: newest.category.clone(),
            counts: counts(1, 1, 2),
        },
        OrganisationDocument {
            organisation: unregistered(&ngo, "Some Unregistered NGO"),
            names: vec!["SOME unregistered NGO".into()],
            goals: None,
            country: None,
            category: None,
            counts: counts(0, 1, 1),
        },
    ];
    assert_eq!(store.organisation_documents(None, 10).await.expect("read"), expected);

    let listed = store.organisations_list(OrgSort::Name, 0, 10).await.expect("list");
    for doc in &expected {
        let key = &doc.organisation.key;
        assert_eq!(store.organisation(key).await.expect("read").as_ref(), Some(&doc.organisation), "{key:?}");
        let row = listed.rows.iter().find(|r| r.organisation.key == *key).expect("listed");
        assert_eq!(row.counts, doc.counts, "{key:?}: the list's counts");
    }
    let page = |after: Option<OrgKey>, limit: u32| async move {
        store.organisation_documents(after.as_ref(), limit).await.expect("read")
    };
    for limit in [1, 2, 3] {
        let mut paged: Vec<OrganisationDocument> = Vec::new();
        loop {
            let next = page(paged.last().map(|d| d.organisation.key.clone()), limit).await;
            assert!(next.len() <= limit as usize);
            if next.is_empty() {
                break;
            }
            paged.extend(next);
        }
        assert_eq!(paged, expected, "pages of {limit}: each with its own names only");
    }
    assert_eq!(page(Some(wikimedia), 1).await, expected[1..2], "a page between two others");
    assert_eq!(page(Some(org("n:a")), 10).await, expected[2..], "after a key not stored");
    assert!(page(Some(ngo), 10).await.is_empty(), "after the last");
    assert!(page(None, 0).await.is_empty(), "a page of none");
}

/// People in the order of their keys, each with their kind and name, the other spellings their
/// meetings gave, their titles or capacities (each once, the most meetings first) and how many
/// meetings they hosted (a meeting that lists them twice once), as their own page says; paged
/// after the last key a page gave.
pub async fn people_are_read_as_documents(store: &dyn Store) {
    let canenbley = |name: &str| Host { name: name.into(), role: Some("Head of Unit".into()), ep_id: None };
    let on = |day: &str, subject: &str, hosts: Vec<Host>| Meeting {
        date: date(day),
        subject: subject.into(),
        hosts,
        portfolio: None,
        ..commission_meeting()
    };
    let mut records = all_records();
    for (row, meeting) in [
        on("2023-01-15", "Gigabit Infrastructure Act", vec![canenbley("Christiane CANENBLEY")]),
        on("2023-02-01", "Data Act", vec![canenbley("Christiane Canenbley"), canenbley("Christiane CANENBLEY")]),
    ]
    .into_iter()
    .enumerate()
    {
        records.push(stamp(Record::Meeting(meeting), SourceKind::CommissionMeetingsXlsx, 4 + row as u32));
    }
    write_all(store, &records).await;

    let person = |key: PersonKey, kind, name: &str, names: &[&str], roles: &[&str], meetings| PersonDocument {
        key,
        kind,
        name: name.into(),
        names: names.iter().map(|n| n.to_string()).collect(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        meetings,
    };
    let expected = vec![
        person(
            official("christiane canenbley"),
            PersonKind::Commission,
            "Christiane Canenbley",
            &["Christiane CANENBLEY"],
            &["Head of Unit", "Cabinet member"],
            3,
        ),
        person(official("werner stengg"), PersonKind::Commission, "Werner Stengg", &[], &["Cabinet member"], 1),
        person(PersonKey::Mep(197431), PersonKind::Mep, "BREYER Patrick", &[], &["Shadow rapporteur"], 1),
    ];
    assert_eq!(store.person_documents(None, 10).await.expect("read"), expected);
    for doc in &expected {
        let view = store.person(&doc.key).await.expect("read").expect("stored");
        assert_eq!(doc.names, view.published_names, "{:?}: as the person's page names them", doc.key);
        let roles: Vec<&str> = view.roles.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(doc.roles, roles, "{:?}: as the person's page lists them", doc.key);
    }

    let page = |after: Option<PersonKey>, limit: u32| async move {
        store.person_documents(after.as_ref(), limit).await.expect("read")
    };
    for limit in [1, 2, 3] {
        let mut paged: Vec<PersonDocument> = Vec::new();
        loop {
            let next = page(paged.last().map(|d| d.key.clone()), limit).await;
            assert!(next.len() <= limit as usize);
            if next.is_empty() {
                break;
            }
            paged.extend(next);
        }
        assert_eq!(paged, expected, "pages of {limit}: each with their own names, roles and meetings only");
    }
    assert_eq!(page(Some(official("christiane canenbley")), 1).await, expected[1..2], "a page between two others");
    assert_eq!(page(Some(official("xavier")), 10).await, expected[2..], "after a key not stored");
    assert!(page(Some(PersonKey::Mep(197431)), 10).await.is_empty(), "after the last");
    assert!(page(None, 0).await.is_empty(), "a page of none");
}

fn attachment_text(document: &str, response_id: u64, extracted_at: &str) -> SourceTextRecord {
    SourceTextRecord {
        id: format!("attachment:{response_id}:{document}"),
        response_id,
        file: format!("{document}.pdf"),
        file_sha256: "ab".repeat(32),
        extractor: "pdftotext".into(),
        text: format!("The text of {document}."),
        extracted_at: extracted_at.into(),
    }
}

/// What the analysis stage wrote reaches the index: how far it got (moving with every item
/// written and text extracted), the shown items by id in pages, and the responses with texts
/// extracted since a time, with their texts.
pub async fn analysis_output_is_read_for_the_index(store: &dyn Store) {
    use ItemStatus::*;
    write_linked(store).await;
    assert_eq!(store.analysed_through().await.expect("through"), AnalysedThrough::default());
    assert!(store.position_ids(None, 10).await.expect("ids").is_empty());

    store.save_position_item(&crate::item("b2", "extractive", "2026-11-30T10:00:00Z", Written)).await.expect("save");
    let written = store.analysed_through().await.expect("through");
    assert_eq!((written.items_shown, written.items_written.as_deref()), (1, Some("2026-11-30T10:00:00Z")));
    // Not shown: a pending item moves the newest written time only.
    store.save_position_item(&crate::item("a1", "llm", "2026-12-01T09:00:00Z", Pending)).await.expect("save");
    let pending = store.analysed_through().await.expect("through");
    assert_eq!((pending.items_shown, pending.items_written.as_deref()), (1, Some("2026-12-01T09:00:00Z")));
    assert_eq!(store.position_ids(None, 10).await.expect("ids"), ["b2"]);
    assert_eq!(store.position_ids(Some("b2"), 10).await.expect("ids"), Vec::<String>::new());
    assert_eq!(store.position_ids(Some("a"), 1).await.expect("ids"), ["b2"]);
    let items = store.positions(&["zz".into(), "b2".into(), "a1".into()]).await.expect("items");
    let read: Vec<(&str, &str, usize)> =
        items.iter().map(|i| (i.id.as_str(), i.headline.as_str(), i.sentences.len())).collect();
    // The pending item has no headline or kept sentence; the store gives it as it is.
    assert_eq!(read.first(), Some(&("b2", "Internet Society supports an open Internet", 2)), "{read:?}");

    let texts = [
        attachment_text("d2", 2_665_651, "2026-11-30T10:00:00Z"),
        attachment_text("d1", 2_665_651, "2026-12-02T10:00:00Z"),
        attachment_text("d9", 2_665_654, "2026-12-01T10:00:00Z"),
    ];
    for t in &texts {
        store.save_source_text(t).await.expect("save text");
    }
    let through = store.analysed_through().await.expect("through");
    assert_eq!((through.texts, through.texts_extracted.as_deref()), (3, Some("2026-12-02T10:00:00Z")));
    assert_eq!(store.text_response_ids(None, None, 10).await.expect("ids"), [2_665_651, 2_665_654]);
    assert_eq!(store.text_response_ids(None, Some(2_665_651), 10).await.expect("ids"), [2_665_654]);
    assert_eq!(store.text_response_ids(None, None, 1).await.expect("ids"), [2_665_651]);
    let since = Some("2026-12-01T10:00:00Z");
    assert_eq!(store.text_response_ids(since, None, 10).await.expect("ids"), [2_665_651, 2_665_654], "at or after");
    assert_eq!(store.text_response_ids(Some("2026-12-01T10:00:01Z"), None, 10).await.expect("ids"), [2_665_651]);
    let read = store.attachment_texts(&[2_665_654, 1, 2_665_651]).await.expect("texts");
    let ids: Vec<&str> = read.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["attachment:2665651:d1", "attachment:2665651:d2", "attachment:2665654:d9"]);
    assert_eq!(read[0], texts[1]);
    assert!(store.attachment_texts(&[u64::MAX]).await.expect("texts").is_empty());
}
