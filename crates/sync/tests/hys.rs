//! Have Your Say synced from a stand-in portal on 127.0.0.1: the listing walked, every
//! feedback page read in either shape, only what changed asked again, attachments archived
//! once, and a sync stopped midway finished by the next without losing or doubling a response.

#![allow(clippy::unwrap_used, reason = "test code: a broken expectation fails the test")]

mod upstream;

use std::time::Duration;

use lobbyscope_store::{ListedKind, Store};
use lobbyscope_sync::SourceId;
use lobbyscope_sync::state::State;
use upstream::{Fault, Upstream, feedback_item, setup};

async fn responses(store: &dyn Store) -> (i64, i64) {
    let stats = store.stats().await.unwrap();
    (stats.initiatives, stats.consultation_responses)
}

#[tokio::test]
async fn the_portal_is_walked_whole_and_then_only_what_changed() {
    let up = Upstream::new();
    {
        let mut portal = up.hys.lock().unwrap();
        // 150 initiatives: two listing pages. The first's publication has three feedback pages.
        portal.add(20_000, 150, 2);
        portal.initiative(20_000).publications[0].feedback =
            (0..250).map(|k| feedback_item(900_000 + k, 200_000)).collect();
        portal.initiative(20_001).publications[0].feedback.clear();
        portal.initiative(20_004).publications[0].feedback[1]["userType"] = "YOUTH_ORGANISATION".into();
        portal.unlisted.push(200_020);
    }
    up.fault("publicationId=200000&page=1", Fault::Status(500));
    up.fault("groupInitiatives/20003", Fault::Html);
    up.fault("searchInitiatives?page=1", Fault::TooMany(0));
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::HaveYourSay]).await;

    let report = s.sync().await;
    let hys = &report.sources[0];
    assert_eq!(hys.failure, None, "{hys:?}");
    assert_eq!(hys.retries, 3);
    // 148 initiatives with 2 responses, one with 250, one with none, one whose feedback the
    // portal does not list.
    assert_eq!(responses(&s.store).await, (150, 147 * 2 + 250));
    assert_eq!(hys.records_seen, 150 + 147 * 2 + 250);
    assert!(
        hys.warnings.iter().any(|w| w.contains("publication 200020") && w.contains("bad_request")),
        "{:?}",
        hys.warnings
    );
    assert!(
        hys.warnings.iter().any(|w| w.contains("respondent type") && w.contains("\"YOUTH_ORGANISATION\" (1 record")),
        "{:?}",
        hys.warnings
    );
    assert_eq!(up.requests_to("/api/allFeedback?publicationId=200000"), 3 + 1);
    assert_eq!(up.requests_to("/api/allFeedback?publicationId=200010"), 0, "a publication without feedback");
    assert_eq!(up.requests_to("/api/download/"), 0, "attachments only when asked");

    // Nothing changed: the listing is read, no initiative asked again.
    let before = up.seen().len();
    let again = s.sync().await;
    assert_eq!(again.sources[0].failure, None);
    let asked: Vec<String> = up.seen()[before..].iter().map(|s| s.path_and_query.clone()).collect();
    assert!(asked.iter().all(|p| p.starts_with("/brpapi/searchInitiatives")), "{asked:?}");
    assert_eq!(asked.len(), 2);

    // An initiative opens for feedback and gets a response; another one's listing changes.
    {
        let mut portal = up.hys.lock().unwrap();
        let open = portal.initiative(20_005);
        open.open = true;
        open.publications[0].feedback.push(feedback_item(777_777, 200_050));
        portal.initiative(20_006).title = "Initiative 20006, renamed".into();
    }
    let before = up.seen().len();
    let third = s.sync().await;
    assert_eq!(third.sources[0].failure, None);
    assert_eq!(responses(&s.store).await, (150, 147 * 2 + 250 + 1), "the new response once, no other twice");
    assert_eq!(third.sources[0].counts.new, 1);
    let asked: Vec<String> = up.seen()[before..].iter().map(|s| s.path_and_query.clone()).collect();
    let groups: Vec<&String> = asked.iter().filter(|p| p.contains("groupInitiatives")).collect();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert!(asked.iter().any(|p| p.contains("publicationId=200050")));
    assert!(
        !asked.iter().any(|p| p.contains("publicationId=200060")),
        "a renamed initiative whose feedback count is the same is not read again"
    );
    let state = State::load(&s.options.archive).unwrap();
    assert!(state.hys.initiatives[&20_005].open);

    // A response taken down from an initiative open for feedback, an initiative gone from the
    // listing: both kept, marked no longer published.
    {
        let mut portal = up.hys.lock().unwrap();
        let open = portal.initiative(20_007);
        open.open = true;
        let gone = open.publications[0].feedback.remove(0);
        assert_eq!(gone["id"], 200_070_000);
        portal.initiatives.retain(|i| i.id != 20_149);
    }
    let fourth = s.sync().await;
    assert_eq!(fourth.sources[0].failure, None);
    assert_eq!(fourth.sources[0].withdrawn, 2, "{:?}", fourth.sources[0]);
    assert_eq!(responses(&s.store).await, (150, 147 * 2 + 250 + 1), "nothing deleted");
    let since = |kind, record: &'static str| {
        let store = &s.store;
        async move { store.withdrawn_since(kind, record).await.unwrap() }
    };
    assert_eq!(since(ListedKind::Responses, "200070000").await, Some(s.options.today));
    assert_eq!(since(ListedKind::Responses, "200070001").await, None);
    assert_eq!(since(ListedKind::Initiatives, "20149").await, Some(s.options.today));
}

#[tokio::test]
async fn the_older_api_and_its_hal_pages_are_read_too() {
    let up = Upstream::new();
    {
        let mut portal = up.hys.lock().unwrap();
        portal.add(30_000, 3, 120);
        portal.older_api = true;
    }
    let base = up.serve().await;
    let s = setup(&base, &[SourceId::HaveYourSay]).await;

    let report = s.sync().await;
    assert_eq!(report.sources[0].failure, None, "{:?}", report.sources[0]);
    assert_eq!(responses(&s.store).await, (3, 360));
    assert_eq!(up.requests_to("/brpapi/allFeedback?publicationId=300000"), 2);
}

#[tokio::test]
async fn attachments_are_archived_once_when_asked() {
    let up = Upstream::new();
    up.hys.lock().unwrap().add(40_000, 2, 6);
    up.fault("/api/download/090166e5p400000", Fault::Truncate);
    let base = up.serve().await;
    let mut s = setup(&base, &[SourceId::HaveYourSay]).await;
    s.options.attachments = true;

    let report = s.sync().await;
    assert_eq!(report.sources[0].failure, None, "{:?}", report.sources[0]);
    // Per initiative: the publication's document and three of its six responses'.
    assert_eq!(up.requests_to("/api/download/"), 2 * 4 + 1);
    let state = State::load(&s.options.archive).unwrap();
    assert_eq!(state.hys.documents.len(), 8);
    let index = std::fs::read_to_string(s.options.archive.join("index.jsonl")).unwrap();
    assert!(index.contains("/api/download/090166e5p400000"));

    // Asked again (an initiative open for feedback is read again): the attachments are not.
    up.hys.lock().unwrap().initiative(40_000).open = true;
    let before = up.requests_to("/api/download/");
    let again = s.sync().await;
    assert_eq!(again.sources[0].failure, None);
    assert_eq!(up.requests_to("/api/download/"), before);
    assert!(up.requests_to("/brpapi/groupInitiatives/40000") == 2);
}

#[tokio::test]
async fn a_sync_stopped_midway_is_finished_by_the_next_without_loss_or_doubles() {
    let up = Upstream::new();
    // 30 initiatives of 350 responses: 4 pages each, 5 answers an initiative, so the first
    // batch of 100 answers is imported after the 20th initiative.
    up.hys.lock().unwrap().add(50_000, 30, 350);
    up.fault("groupInitiatives/50025", Fault::Delay(Duration::from_secs(30)));
    let base = up.serve().await;
    let mut s = setup(&base, &[SourceId::HaveYourSay]).await;
    s.options.politeness.timeout = Duration::from_secs(60);

    // Stopped while it waits for the 26th initiative, as Ctrl-C would stop it.
    let stopped = tokio::select! {
        _ = s.sync() => false,
        _ = async {
            while up.requests_to("/brpapi/groupInitiatives/50025") == 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        } => true,
    };
    assert!(stopped);
    let (initiatives, kept) = responses(&s.store).await;
    assert_eq!((initiatives, kept), (20, 20 * 350), "the first batch was imported whole");

    let report = s.sync().await;
    assert_eq!(report.sources[0].failure, None, "{:?}", report.sources[0]);
    assert_eq!(responses(&s.store).await, (30, 30 * 350), "every response once");
    assert_eq!(up.requests_to("/brpapi/groupInitiatives/50003?"), 1, "an imported initiative is not asked again");
    assert_eq!(up.requests_to("/brpapi/groupInitiatives/50022?"), 2, "one fetched but not imported is");
}
