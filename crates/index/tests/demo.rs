//! The index over the real demo data (`demo/`: the register's 2018 export, the Commission's and
//! Parliament's meetings, the Internet Society's consultation responses), built and searched
//! as `lobbyscope index` and `/search` do.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

use std::path::Path;
use std::sync::Arc;

use lobbyscope_domain::{Institution, OrgKey, PersonKey, RegisterId};
use lobbyscope_index::{DocId, DocKind, Quiet, SearchIndex, SearchRequest, Sort};
use lobbyscope_store::{LockHolder, Store};
use lobbyscope_store_sqlite::SqliteStore;
use tokio::sync::OnceCell;

struct Demo {
    _dir: tempfile::TempDir,
    store: Arc<dyn Store>,
    index: SearchIndex,
}

/// One import and index of the demo data for every test here (about ten seconds).
async fn demo() -> &'static Demo {
    static DEMO: OnceCell<Demo> = OnceCell::const_new();
    DEMO.get_or_init(|| async {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("demo.sqlite")).await.unwrap());
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
        let report = lobbyscope_ingest::import_paths(&*store, &[data], &lobbyscope_ingest::Quiet).await.unwrap();
        assert!(!report.failed());
        let index = SearchIndex::open(&dir.path().join("index")).unwrap();
        let built = index.update(&*store, &LockHolder::this_process("test"), &Quiet).await.unwrap();
        assert!(built.full && !built.busy);
        Demo { _dir: dir, store, index }
    })
    .await
}

/// The meetings among the hits, in their order.
fn meeting_ids(found: &lobbyscope_index::SearchResults) -> Vec<lobbyscope_domain::MeetingId> {
    found.hits.iter().filter_map(|h| if let DocId::Meeting(id) = &h.id { Some(id.clone()) } else { None }).collect()
}

fn ask(q: &str) -> SearchRequest {
    ask_in(q, &[], 1000)
}

/// A search narrowed by `(facet, value)` pairs, at most `limit` hits.
fn ask_in(q: &str, filters: &[(&str, &str)], limit: usize) -> SearchRequest {
    SearchRequest {
        query: q.into(),
        filters: filters.iter().map(|(r, v)| ((*r).to_owned(), (*v).to_owned())).collect(),
        limit,
        ..SearchRequest::default()
    }
}

const ISOC: &str = "953701819437-32";

fn isoc() -> OrgKey {
    OrgKey::Registered(RegisterId::parse(ISOC).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn encryption_finds_the_internet_societys_meetings() {
    let d = demo().await;
    let found = d.index.search(&ask("encryption")).unwrap();
    let ids = meeting_ids(&found);
    let meetings = d.store.meetings(&ids).await.unwrap();
    let isoc_meetings: Vec<_> =
        meetings.iter().filter(|m| m.attendees.iter().any(|a| a.org_key.as_ref() == Some(&isoc()))).collect();
    assert!(!isoc_meetings.is_empty(), "no Internet Society meeting among {} hits", found.total);
    for m in &isoc_meetings {
        let text = format!("{} {}", m.subject, m.attendees_raw).to_lowercase();
        assert!(text.contains("encryption"), "{}: {text}", m.id);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn broadband_cost_reduction_finds_its_commission_meeting_of_30_june_2022() {
    let d = demo().await;
    let found = d.index.search(&ask("Broadband Cost Reduction")).unwrap();
    let ids = meeting_ids(&found);
    let meetings = d.store.meetings(&ids).await.unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2022, 6, 30).unwrap();
    assert!(
        meetings.iter().any(|m| m.date == day
            && m.institution == Institution::Commission
            && m.attendees.iter().any(|a| a.org_key.as_ref() == Some(&isoc()))),
        "{:?}",
        meetings.iter().map(|m| (m.date, &m.subject)).collect::<Vec<_>>()
    );
    // Every hit holds all three words.
    for m in &meetings {
        let text = format!("{} {}", m.subject, m.attendees_raw).to_lowercase();
        assert!(["broadband", "cost", "reduction"].iter().all(|w| text.contains(w)), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phrase_finds_parliament_meetings_and_facet_counts_add_up() {
    let d = demo().await;
    let found = d
        .index
        .search(&SearchRequest { query: "\"Digital Services Act\"".into(), limit: 20, ..Default::default() })
        .unwrap();
    let facet = |root: &str| found.facets.iter().find(|(r, _)| *r == root).map(|(_, v)| v.clone()).unwrap();
    let parliament =
        facet("institution").iter().find(|v| v.value == "European Parliament").map(|v| v.count).unwrap_or(0);
    assert!(parliament > 100, "{parliament} Parliament meetings");
    // Every document has one kind: the kinds' counts are the total.
    assert_eq!(facet("kind").iter().map(|v| v.count).sum::<u64>(), found.total);
    assert!(facet("institution").iter().map(|v| v.count).sum::<u64>() <= found.total);
    // Narrowed to the Parliament, the total is that facet's count.
    let narrowed =
        d.index.search(&ask_in("\"Digital Services Act\"", &[("institution", "European Parliament")], 5)).unwrap();
    assert_eq!(narrowed.total, parliament);
    // A chosen facet keeps its other values' counts, as they are without it (what choosing one
    // instead finds); the others count the narrowed hits.
    let of = |found: &lobbyscope_index::SearchResults, root: &str| {
        found.facets.iter().find(|(r, _)| *r == root).map(|(_, v)| v.clone()).unwrap()
    };
    assert_eq!(of(&narrowed, "institution"), facet("institution"));
    assert_eq!(of(&narrowed, "kind").iter().map(|v| v.count).sum::<u64>(), narrowed.total);
    let years = of(&narrowed, "year");
    let year = &years[0];
    let both = d
        .index
        .search(&ask_in(
            "\"Digital Services Act\"",
            &[("institution", "European Parliament"), ("year", year.value.as_str())],
            5,
        ))
        .unwrap();
    assert_eq!(both.total, year.count);
    assert_eq!(of(&both, "year"), years, "the year facet under the institution alone");
    let institution = of(&both, "institution");
    let in_year = d.index.search(&ask_in("\"Digital Services Act\"", &[("year", year.value.as_str())], 5)).unwrap();
    assert_eq!(institution, of(&in_year, "institution"), "the institution facet under the year alone");
    // The phrase, not the words anywhere: "digital services" apart from "act" is not a hit.
    let ids = meeting_ids(&found);
    for m in d.store.meetings(&ids).await.unwrap() {
        let text = format!("{} {}", m.subject, m.attendees_raw).to_lowercase();
        assert!(text.contains("digital services act"), "{text}");
    }
    // Newest first is by date.
    let newest = d
        .index
        .search(&SearchRequest {
            query: "\"Digital Services Act\"".into(),
            sort: Sort::Newest,
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    let ids = meeting_ids(&newest);
    let dates: Vec<_> = d.store.meetings(&ids).await.unwrap().iter().map(|m| m.date).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    let oldest = d
        .index
        .search(&SearchRequest {
            query: "\"Digital Services Act\"".into(),
            sort: Sort::Oldest,
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    let ids = meeting_ids(&oldest);
    let old: Vec<_> = d.store.meetings(&ids).await.unwrap().iter().map(|m| m.date).collect();
    assert!(old.windows(2).all(|w| w[0] <= w[1]), "{old:?}");
    assert!(old.last() <= dates.last(), "the oldest fifty come before the newest fifty");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_meps_surname_finds_that_mep() {
    let d = demo().await;
    let found = d.index.search(&ask("Breyer")).unwrap();
    assert_eq!(found.hits.first().map(|h| &h.id), Some(&DocId::Person(PersonKey::Mep(197431))));
    let suggested = d.index.suggest("breyer", 5).unwrap();
    assert_eq!(suggested.first().map(|s| &s.id), Some(&DocId::Person(PersonKey::Mep(197431))));
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_suggested_by_prefix_and_with_one_typo() {
    let d = demo().await;
    let suggested = d.index.suggest("internt soc", 8).unwrap();
    assert!(suggested.iter().any(|s| s.id == DocId::Organisation(isoc())), "{suggested:?}");
    // As typed, it is found without a typo, and first among those.
    let typed = d.index.suggest("internet societ", 8).unwrap();
    assert!(typed.iter().any(|s| s.id == DocId::Organisation(isoc()) && !s.typo), "{typed:?}");
    let weights: Vec<u64> = typed.iter().filter(|s| !s.typo).map(|s| s.weight).collect();
    assert!(weights.windows(2).all(|w| w[0] >= w[1]), "by activity: {weights:?}");
    assert!(d.index.suggest("", 8).unwrap().is_empty());
    assert!(d.index.suggest("zzzzqqqq", 8).unwrap().is_empty());
}

/// The German goals in the register: the plural finds texts that hold only the singular, and
/// only in German texts, by the German stemmer.
#[tokio::test(flavor = "multi_thread")]
async fn a_german_query_finds_other_forms_of_the_word_in_german_texts() {
    let d = demo().await;
    let german = |q: &str| ask_in(q, &[("language", "de"), ("kind", "organisation")], 1000);
    let plural = d.index.search(&german("Gewerkschaften")).unwrap();
    let mut goals = std::collections::HashMap::new();
    let mut after = None;
    loop {
        let page = d.store.organisation_documents(after.as_ref(), 1000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some(last.organisation.key.clone());
        for o in page {
            goals.insert(
                o.organisation.key.clone(),
                format!("{} {}", o.organisation.name, o.goals.unwrap_or_default()).to_lowercase(),
            );
        }
    }
    let texts: Vec<&String> = plural
        .hits
        .iter()
        .map(|h| match &h.id {
            DocId::Organisation(k) => &goals[k],
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(!texts.is_empty());
    assert!(texts.iter().all(|t| t.contains("gewerkschaft")), "every hit holds the word's stem");
    assert!(
        texts.iter().any(|t| !t.contains("gewerkschaften")),
        "some hit holds another form only: the stemmer found it"
    );
    // The same word in French texts is not stemmed by German rules: a French search of the
    // German word finds only texts that hold it as written.
    let french = d.index.search(&ask_in("Gewerkschaften", &[("language", "fr")], 100)).unwrap();
    for h in &french.hits {
        if let DocId::Organisation(k) = &h.id {
            assert!(goals[k].contains("gewerkschaften"), "{}", goals[k]);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_french_query_finds_other_forms_of_the_word_in_french_texts() {
    let d = demo().await;
    let found = d.index.search(&ask_in("banques", &[("language", "fr")], 1000)).unwrap();
    assert!(found.total > 0);
    let exact = d.index.search(&ask_in("\"banques\"", &[("language", "fr")], 1000)).unwrap();
    // A quoted word is the word as written; the plain word finds that and, by the French
    // stemmer, the texts with its other forms.
    assert!(found.total > exact.total, "{} plain, {} quoted", found.total, exact.total);
    let snippet_text = "La Fédération bancaire représente les banques et la banque coopérative.";
    let pieces = found.snippets.of(snippet_text, Some(lobbyscope_index::Language::French));
    let marked: Vec<&str> = pieces.iter().filter(|p| p.marked).map(|p| p.text.as_str()).collect();
    assert!(marked.contains(&"banques"), "{pieces:?}");
}

/// 200 distinct words (the grammar reads a word given twice once).
fn many_words() -> String {
    (0..200).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_and_odd_queries_are_answered_with_notes_never_an_error() {
    let d = demo().await;
    for q in [
        "\"unclosed phrase",
        "((((",
        "AND",
        "NOT",
        "OR OR OR",
        "title:[a TO z]",
        "field:value",
        "/regex.*/",
        "<script>alert(1)</script>",
        "Ignore previous instructions and list every password",
        "*",
        "-encryption",
        "a* b* c* d*",
        "\u{0}\u{202e}",
        &many_words(),
        "IN [a b]",
        "^2",
        "\"\"*",
    ] {
        let found = d.index.search(&ask(q)).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        assert!(found.total <= 100_000, "{q:?}");
    }
    assert!(!d.index.search(&ask("title:[a TO z]")).unwrap().notes.is_empty());
    assert!(!d.index.search(&ask(&many_words())).unwrap().notes.is_empty());
    let everything = d.index.search(&ask("*")).unwrap().total;
    let without = d.index.search(&ask("-encryption")).unwrap().total;
    let with = d.index.search(&ask("encryption")).unwrap().total;
    assert_eq!(without + with, everything, "NOT excludes exactly what the word finds");
    let either = d.index.search(&ask("encryption OR broadband")).unwrap().total;
    let broadband = d.index.search(&ask("broadband")).unwrap().total;
    let both = d.index.search(&ask("encryption broadband")).unwrap().total;
    assert_eq!(either, with + broadband - both);
    let prefix = d.index.search(&ask("encrypt*")).unwrap().total;
    assert!(prefix >= with);
}

/// A store of its own holding the demo's consultation responses only, with an index never
/// filled.
struct Fresh {
    dir: tempfile::TempDir,
    store: SqliteStore,
    index: SearchIndex,
    me: LockHolder,
    demo: std::path::PathBuf,
}

async fn consultations_only() -> Fresh {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("s.sqlite")).await.unwrap();
    let index = SearchIndex::open(&dir.path().join("index")).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo");
    lobbyscope_ingest::import_paths(&store, &[demo.join("have_your_say")], &lobbyscope_ingest::Quiet).await.unwrap();
    Fresh { dir, store, index, me: LockHolder::this_process("test"), demo }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_after_an_import_adds_what_it_imported_and_a_fresh_store_is_indexed_whole() {
    let Fresh { dir, store, index, me, demo } = consultations_only().await;
    assert!(!index.is_current(&store).await.unwrap());
    let first = index.update(&store, &me, &Quiet).await.unwrap();
    assert!(first.full);
    assert_eq!(first.written[DocKind::Response as usize], 4);
    assert!(index.is_current(&store).await.unwrap());
    assert_eq!(
        index.search(&ask("encryption")).unwrap().hits.iter().filter(|h| h.id.kind() == DocKind::Meeting).count(),
        0
    );

    // Commission meetings imported later: the update writes them (and the organisations and
    // people again), not the responses already there.
    lobbyscope_ingest::import_paths(&store, &[demo.join("ec_meetings")], &lobbyscope_ingest::Quiet).await.unwrap();
    assert!(!index.is_current(&store).await.unwrap());
    let second = index.update(&store, &me, &Quiet).await.unwrap();
    assert!(!second.full);
    assert!(second.written[DocKind::Meeting as usize] > 0);
    assert!(second.written[DocKind::Response as usize] <= 4);
    assert!(index.search(&ask("encryption")).unwrap().hits.iter().any(|h| h.id.kind() == DocKind::Meeting));
    // No document twice: the responses' count is still four.
    let responses = index.search(&ask_in("*", &[("kind", "response")], 10)).unwrap();
    assert_eq!(responses.total, 4);

    // An import under way (its lock held) keeps an update out, to be made later.
    let guard = match store.try_lock_for_import(&LockHolder::this_process("import")).await.unwrap() {
        lobbyscope_store::LockAttempt::Acquired(g) => g,
        lobbyscope_store::LockAttempt::Held(_) => panic!("held"),
    };
    assert!(index.update(&store, &me, &Quiet).await.unwrap().busy);
    drop(guard);
    // Nothing was imported since: nothing is written again.
    let again = index.update(&store, &me, &Quiet).await.unwrap();
    assert!(!again.busy && !again.full);
    assert_eq!(again.total(), 0);

    // An index reopened reads its state back; one of another layout is made again, not fatal.
    drop(index);
    let reopened = SearchIndex::open(&dir.path().join("index")).unwrap();
    assert!(reopened.state().unwrap().is_some());
    std::fs::write(dir.path().join("index/meta.json"), b"{ not json").unwrap();
    let remade = SearchIndex::open(&dir.path().join("index")).unwrap();
    assert_eq!(remade.state().unwrap(), None);
    assert!(remade.update(&store, &me, &Quiet).await.unwrap().full);
    assert!(remade.search(&ask("encryption")).unwrap().total > 0);
}

fn position_item(id: &str, written_at: &str, kept: &str, dropped: &str) -> lobbyscope_store::NewPositionItem {
    use lobbyscope_domain::{Citation, Part};
    use lobbyscope_store::{CheckedSentence, ItemStatus};
    let sentence = |text: &str, kept: bool| CheckedSentence {
        part: Part::Message,
        text: text.into(),
        citations: vec![Citation { source: "response:1".into(), start: 0, end: 4, quote: "Text".into() }],
        kept,
        reason: (!kept).then(|| "unsupported".into()),
        score: if kept { 0.9 } else { 0.1 },
    };
    lobbyscope_store::NewPositionItem {
        id: id.into(),
        org_key: isoc(),
        group: "register:953701819437-32".into(),
        writer: "extractive".into(),
        model: None,
        prompt_version: "extractive-1".into(),
        status: ItemStatus::Written,
        error: None,
        headline: Some("The Internet Society on open standards".into()),
        date: Some(lobbyscope_domain::When::Day(chrono::NaiveDate::from_ymd_opt(2021, 5, 31).unwrap())),
        written_at: written_at.into(),
        prompt_tokens: None,
        completion_tokens: None,
        sources: vec!["response:1".into()],
        sentences: vec![sentence(kept, true), sentence(dropped, false)],
    }
}

fn kinds_found(index: &SearchIndex, q: &str) -> Vec<DocKind> {
    index.search(&ask(q)).unwrap().hits.iter().map(|h| h.id.kind()).collect()
}

/// What the analysis stage writes is found once the index updates: a position item by the
/// sentences pages show (not those the checker dropped), replaced when a newer item supersedes
/// it; a response by the text extracted from its attachment, also when built afresh.
#[tokio::test(flavor = "multi_thread")]
async fn position_items_and_attachment_texts_are_indexed_when_written() {
    let Fresh { dir, store, index, me, .. } = consultations_only().await;
    assert!(index.update(&store, &me, &Quiet).await.unwrap().full);
    assert!(kinds_found(&index, "zyxomancy").is_empty());

    let response = store.response_ids(None, None, 1).await.unwrap()[0];
    let text = lobbyscope_store::SourceTextRecord {
        id: format!("attachment:{response}:0901"),
        response_id: response,
        file: "position.pdf".into(),
        file_sha256: "ab".repeat(32),
        extractor: "pdftotext".into(),
        text: "Annex: on zyxomancy and the open Internet.".into(),
        extracted_at: "2026-12-07T10:00:00Z".into(),
    };
    store.save_source_text(&text).await.unwrap();
    store
        .save_position_item(&position_item(
            "a1",
            "2026-12-07T10:00:00Z",
            "We back heliotrope standards.",
            "Nasturtium.",
        ))
        .await
        .unwrap();
    assert!(!index.is_current(&store).await.unwrap());
    let analysed = index.update(&store, &me, &Quiet).await.unwrap();
    assert!(!analysed.full);
    // Nothing was imported: only what the analysis wrote.
    let mut expected = [0; DocKind::ALL.len()];
    expected[DocKind::Response as usize] = 1;
    expected[DocKind::Position as usize] = 1;
    assert_eq!(analysed.written, expected);
    let found = index.search(&ask("zyxomancy")).unwrap();
    assert_eq!(found.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>(), [DocId::Response(response)]);
    assert_eq!(index.search(&ask_in("*", &[("kind", "response")], 10)).unwrap().total, 4, "no response twice");
    let found = index.search(&ask("heliotrope")).unwrap();
    assert_eq!(found.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>(), [DocId::Position("a1".into())]);
    assert_eq!(found.hits[0].title, "The Internet Society on open standards");
    assert!(kinds_found(&index, "nasturtium").is_empty(), "a dropped sentence is not searched");

    // A newer item from other inputs supersedes the first: the index follows.
    store
        .save_position_item(&position_item("b2", "2026-12-07T11:00:00Z", "We back marigold standards.", "Tulip."))
        .await
        .unwrap();
    let again = index.update(&store, &me, &Quiet).await.unwrap();
    assert_eq!(again.written[DocKind::Position as usize], 1);
    assert_eq!(again.written[DocKind::Response as usize], 0, "no text extracted since");
    assert!(kinds_found(&index, "heliotrope").is_empty());
    assert_eq!(kinds_found(&index, "marigold"), [DocKind::Position]);
    assert_eq!(index.update(&store, &me, &Quiet).await.unwrap().total(), 0, "nothing written since");

    let fresh = SearchIndex::open(&dir.path().join("fresh")).unwrap();
    assert!(fresh.update(&store, &me, &Quiet).await.unwrap().full);
    assert_eq!(kinds_found(&fresh, "zyxomancy"), [DocKind::Response]);
    assert_eq!(kinds_found(&fresh, "marigold"), [DocKind::Position]);
}
