//! The server at its edges, on a real loopback socket (`lobbyscope_web::serve`): slow and idle
//! clients are dropped, a busy server says so (503, Retry-After) instead of queueing without
//! end, a slow answer is cut (504), oversized requests are refused by the router, every error
//! carries the site's security headers and speaks JSON under `/api`, every export revalidates,
//! and every answer names its request.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::{get, repo, store_with};
use lobbyscope_domain::MeetingId;
use lobbyscope_store::*;
use lobbyscope_web::{Limits, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};

/// Far longer than any bound under test: an assertion that something happens "before this"
/// holds on a loaded machine too, and says nothing about how fast.
const DEADLINE: Duration = Duration::from_secs(20);

/// A server on a free loopback port, stopped (and awaited) when dropped out of [`Server::stop`].
struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(store: Arc<dyn Store>, options: ServerOptions) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            lobbyscope_web::serve(listener, store, &options, async {
                let _ = stopped.await;
            })
            .await
        });
        Server { addr, stop: Some(stop), done }
    }

    /// One request on a connection of its own, sent as `head` (the request line and header
    /// lines, without the blank line that ends them) and read to the end.
    async fn send(&self, head: &str) -> Answer {
        self.send_with(head, "").await
    }

    /// The same with a body after the head.
    async fn send_with(&self, head: &str, body: &str) -> Answer {
        let mut conn = TcpStream::connect(self.addr).await.unwrap();
        conn.write_all(format!("{head}\r\nConnection: close\r\n\r\n{body}").as_bytes()).await.unwrap();
        let mut raw = Vec::new();
        tokio::time::timeout(DEADLINE, conn.read_to_end(&mut raw)).await.expect("an answer").unwrap();
        Answer::parse(&raw)
    }

    async fn get(&self, target: &str) -> Answer {
        self.send(&format!("GET {target} HTTP/1.1\r\nHost: test")).await
    }

    /// Stops it as Ctrl-C would, and waits for `serve` to return.
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let done = tokio::time::timeout(DEADLINE, &mut self.done).await;
        done.expect("serve returns after the shutdown signal").unwrap().unwrap();
    }
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn parse(raw: &[u8]) -> Answer {
        let text = String::from_utf8_lossy(raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no head in {text:?}"));
        let mut lines = head.split("\r\n");
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            .collect();
        Answer { status, headers, body: body.to_owned() }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The headers every answer of the site carries.
    fn assert_secured(&self, what: &str) {
        let csp = self.header("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP"));
        assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
        assert_eq!(self.header("x-content-type-options"), Some("nosniff"), "{what}");
        assert_eq!(self.header("x-frame-options"), Some("DENY"), "{what}");
        assert_eq!(self.header("referrer-policy"), Some("no-referrer"), "{what}");
        assert!(self.header("x-request-id").is_some_and(|id| !id.is_empty()), "{what}: no request id");
    }

    /// An error under `/api`: `{"error": …, "message": …}` as JSON.
    fn assert_json_error(&self, what: &str) {
        assert_eq!(self.header("content-type"), Some("application/json"), "{what}: {}", self.body);
        let v: serde_json::Value = serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(v["error"].is_string() && v["message"].is_string(), "{what}: {v}");
    }
}

fn options(limits: Limits) -> ServerOptions {
    ServerOptions { header_timeout: Duration::from_secs(1), limits, ..ServerOptions::default() }
}

/// Whether the server closes `conn` (a read gives 0 bytes, or the connection is reset) before
/// [`DEADLINE`], reading and dropping whatever answers come first.
async fn closed(conn: &mut TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(DEADLINE, async {
        loop {
            match conn.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn slow_and_idle_clients_are_dropped() {
    let (_dir, store) = store_with(&[repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv")]).await;
    let server = Server::start(Arc::new(store), options(Limits::default())).await;

    // Half a request line, then nothing.
    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET /orgs HTT").await.unwrap();
    // The whole request line and a header, but never the blank line that ends the head.
    let mut unfinished = TcpStream::connect(server.addr).await.unwrap();
    unfinished.write_all(b"GET /orgs HTTP/1.1\r\nHost: test\r\n").await.unwrap();
    // Connected, and silent.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    // One answer, then the keep-alive connection left idle.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    let mut first = [0u8; 512];
    let n = idle.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"), "the idle connection was answered");

    for (what, conn) in
        [("half", &mut half), ("unfinished", &mut unfinished), ("silent", &mut silent), ("idle", &mut idle)]
    {
        assert!(closed(conn).await, "{what}: the connection is still open after {DEADLINE:?}");
    }
    // Meanwhile the server answers everyone else.
    assert_eq!(server.get("/healthz").await.status, 200);
    server.stop().await;
}

#[tokio::test]
async fn connections_past_the_cap_wait_until_a_place_is_free() {
    let (_dir, store) = store_with(&[repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv")]).await;
    // Idle connections are kept for the whole test: only closing one frees its place.
    let options = ServerOptions { max_connections: 1, header_timeout: DEADLINE * 3, ..options(Limits::default()) };
    let server = Server::start(Arc::new(store), options).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n";

    let mut holder = TcpStream::connect(server.addr).await.unwrap();
    holder.write_all(request).await.unwrap();
    let mut buf = [0u8; 512];
    let n = holder.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "the first connection is served");

    // The kernel completes the second connection, but the server does not take it up.
    let mut waiting = TcpStream::connect(server.addr).await.unwrap();
    waiting.write_all(request).await.unwrap();
    let early = tokio::time::timeout(Duration::from_millis(500), waiting.read(&mut buf)).await;
    assert!(early.is_err(), "a connection past the cap was answered: {early:?}");

    drop(holder);
    let n = tokio::time::timeout(DEADLINE, waiting.read(&mut buf)).await.expect("served once a place is free").unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"), "the waiting connection is served");
    drop(waiting);
    server.stop().await;
}

#[tokio::test]
async fn a_busy_server_says_so_and_a_slow_answer_is_cut() {
    let (_dir, store) = store_with(&[repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv")]).await;
    let store = Held::new(store);
    let limits = Limits {
        request_timeout: Duration::from_secs(3),
        max_expensive: 1,
        expensive_wait: Duration::from_millis(100),
    };
    let server = Arc::new(Server::start(store.clone(), options(limits)).await);
    let kept = server.get("/orgs").await;
    assert_eq!(kept.status, 200, "{}", kept.body);
    let tag = kept.header("etag").expect("an ETag").to_owned();

    // A search that takes its turn and keeps it: the store holds it.
    let held = tokio::spawn({
        let server = server.clone();
        async move { server.get("/?q=hold").await }
    });
    tokio::time::timeout(DEADLINE, store.entered.notified()).await.expect("the held search reaches the store");

    // Every other request whose work grows with the data waits its short while, then is told
    // to come back.
    for target in ["/?q=other", "/orgs?sort=name", "/orgs.csv", "/api/orgs?page=2"] {
        let busy = server.get(target).await;
        assert_eq!(busy.status, 503, "{target}: {}", busy.body);
        assert_eq!(busy.header("retry-after"), Some("1"), "{target}");
        busy.assert_secured(target);
        if target.starts_with("/api/") {
            busy.assert_json_error(target);
        } else {
            assert!(busy.body.contains("The server is busy"), "{target}: {}", busy.body);
        }
    }
    // What the page cache holds, a revalidation, a record's page and the probes take no turn.
    assert_eq!(server.get("/orgs").await.status, 200);
    let revalidated = server.send(&format!("GET /orgs HTTP/1.1\r\nHost: test\r\nIf-None-Match: {tag}")).await;
    assert_eq!(revalidated.status, 304);
    assert_eq!(server.get("/about/checking").await.status, 200);
    assert_eq!(server.get("/readyz").await.status, 200);

    // The held search runs out of time: a 504 with the site's headers, and its turn comes free.
    let cut = tokio::time::timeout(DEADLINE, held).await.expect("the held search ends").unwrap();
    assert_eq!(cut.status, 504, "{}", cut.body);
    cut.assert_secured("504");
    assert!(cut.body.contains("took too long"), "{}", cut.body);
    assert_eq!(server.get("/orgs?sort=name").await.status, 200, "the turn came free");
    // The same under /api, in JSON.
    let cut = server.get("/api?q=hold").await;
    assert_eq!(cut.status, 504, "{}", cut.body);
    cut.assert_json_error("/api 504");

    Arc::into_inner(server).expect("the only server").stop().await;
}

#[tokio::test]
async fn every_error_carries_the_security_headers_and_speaks_json_under_api() {
    let (_dir, store) = store_with(&[repo("fixtures/ep_meetings/search-meetings_subset_relaid.csv")]).await;
    let server = Server::start(Held::new(store), options(Limits::default())).await;
    let long_uri = format!("/orgs?q={}", "a".repeat(lobbyscope_web::MAX_URI));
    let long_api_uri = format!("/api/orgs?q={}", "a".repeat(lobbyscope_web::MAX_URI));
    // Heads larger than the router allows, but within hyper's buffer: the router answers.
    let big_headers: String = (0..5).map(|i| format!("\r\nX-Big-{i}: {}", "b".repeat(8 << 10))).collect();
    let many_headers: String = (0..lobbyscope_web::MAX_HEADERS + 10).map(|i| format!("\r\nX-Many-{i}: x")).collect();
    let cases = [
        ("GET /no/such/page HTTP/1.1\r\nHost: test".to_owned(), 404, false),
        ("GET /api/no/such/thing HTTP/1.1\r\nHost: test".to_owned(), 404, true),
        ("GET /org/000000000000-00 HTTP/1.1\r\nHost: test".to_owned(), 404, false),
        ("GET /api/org/000000000000-00 HTTP/1.1\r\nHost: test".to_owned(), 404, true),
        ("GET /api/orgs?page=0 HTTP/1.1\r\nHost: test".to_owned(), 400, true),
        ("GET /orgs?page=0 HTTP/1.1\r\nHost: test".to_owned(), 400, false),
        ("DELETE /orgs HTTP/1.1\r\nHost: test".to_owned(), 405, false),
        ("DELETE /api/orgs HTTP/1.1\r\nHost: test".to_owned(), 405, true),
        ("POST /orgs HTTP/1.1\r\nHost: test\r\nContent-Length: 5".to_owned(), 413, false),
        (format!("GET {long_uri} HTTP/1.1\r\nHost: test"), 414, false),
        (format!("GET {long_api_uri} HTTP/1.1\r\nHost: test"), 414, true),
        (format!("GET /orgs HTTP/1.1\r\nHost: test{big_headers}"), 431, false),
        (format!("GET /api/orgs HTTP/1.1\r\nHost: test{many_headers}"), 431, true),
        // A store that fails in a way no handler expected.
        ("GET /?q=panic HTTP/1.1\r\nHost: test".to_owned(), 500, false),
        ("GET /api?q=panic HTTP/1.1\r\nHost: test".to_owned(), 500, true),
        // A statement the database stopped at its statement timeout.
        ("GET /?q=slow HTTP/1.1\r\nHost: test".to_owned(), 504, false),
        ("GET /api?q=slow HTTP/1.1\r\nHost: test".to_owned(), 504, true),
        // A database that cannot be reached.
        ("GET /?q=unreachable HTTP/1.1\r\nHost: test".to_owned(), 503, false),
        ("GET /api?q=unreachable HTTP/1.1\r\nHost: test".to_owned(), 503, true),
    ];
    for (request, status, api) in &cases {
        let what = request.lines().next().unwrap_or_default().chars().take(60).collect::<String>();
        let body = if request.starts_with("POST") { "hello" } else { "" };
        let answer = server.send_with(request, body).await;
        assert_eq!(answer.status, *status, "{what}: {}", answer.body);
        answer.assert_secured(&what);
        if *api {
            answer.assert_json_error(&what);
        } else {
            assert!(answer.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{what}");
            assert!(answer.body.contains("<h1>"), "{what}: the site's error page: {}", answer.body);
        }
        if *status == 503 {
            assert_eq!(answer.header("retry-after"), Some("5"), "{what}");
        }
        if *status == 405 {
            assert!(answer.header("allow").is_some_and(|a| a.contains("GET")), "{what}: Allow stays");
        }
    }

    // Past hyper's own buffer, hyper answers before any of the site's code runs: a bare 431,
    // with no body to protect (the one answer the router cannot reach; see `server`).
    let huge: String = (0..10).map(|i| format!("\r\nX-Huge-{i}: {}", "h".repeat(8 << 10))).collect();
    let bare = server.send(&format!("GET /orgs HTTP/1.1\r\nHost: test{huge}")).await;
    assert_eq!(bare.status, 431);
    assert!(bare.body.is_empty(), "{:?} {:?}", bare.headers, bare.body);
    server.stop().await;
}

#[tokio::test]
async fn every_export_revalidates_and_every_answer_names_its_request() {
    let (_dir, store) = store_with(&[repo("demo")]).await;
    let app = lobbyscope_web::router(Arc::new(store));
    for path in [
        "/orgs.csv",
        "/orgs.csv?sort=name",
        "/org/953701819437-32/activity.csv",
        "/org/953701819437-32/activity.csv?kind=meetings",
        "/org/953701819437-32/feed.atom",
        "/api/org/953701819437-32",
        "/mep/197431/activity.csv",
        "/mep/197431/feed.atom",
        "/official/christiane-canenbley/activity.csv",
        "/official/christiane-canenbley/feed.atom",
        "/procedure/2022/0155(COD)/activity.csv",
        "/procedure/2022/0155(COD)/feed.atom",
        "/initiative/13017/responses.csv",
        "/initiative/13017/feed.atom",
        "/api/orgs",
    ] {
        let first = get(&app, path).await;
        assert_eq!(first.status, 200, "{path}: {}", first.body);
        let tag = first.headers.get("etag").unwrap_or_else(|| panic!("{path}: no ETag")).clone();
        let again = axum::http::Request::get(path)
            .header("if-none-match", tag.clone())
            .body(axum::body::Body::empty())
            .unwrap();
        let again = tower::ServiceExt::oneshot(app.clone(), again).await.unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers().get("etag"), Some(&tag), "{path}");
    }

    // The request id a proxy gave is sent back; else one is made.
    let given = axum::http::Request::get("/orgs").header("x-request-id", "proxy-42").body(axum::body::Body::empty());
    let answer = tower::ServiceExt::oneshot(app.clone(), given.unwrap()).await.unwrap();
    assert_eq!(answer.headers()["x-request-id"], "proxy-42");
    let made = get(&app, "/no/such/page").await;
    let id = made.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_ne!(get(&app, "/no/such/page").await.headers["x-request-id"], id.as_str(), "one per request");
}

// ---------------------------------------------------------------------------------------------

/// The demo's store, except that a search for "hold" waits until its request is dropped and a
/// search for "panic" panics, one for "slow" ends as the database's statement timeout ends one,
/// and one for "unreachable" as a lost database does: a slow page, a broken one, a stopped one
/// and one without its database, on demand.
struct Held {
    inner: Arc<dyn Store>,
    entered: Notify,
}

impl Held {
    fn new(store: impl Store + 'static) -> Arc<Held> {
        Arc::new(Held { inner: Arc::new(store), entered: Notify::new() })
    }
}

#[async_trait]
impl Store for Held {
    async fn find_organisations(&self, query: &str, limit: u32) -> Result<Vec<OrganisationHit>> {
        match query {
            "hold" => {
                self.entered.notify_one();
                std::future::pending().await
            }
            "panic" => panic!("a store that fails as nothing expects"),
            "slow" => Err(StoreError::TooSlow("canceling statement due to statement timeout".into())),
            "unreachable" => Err(StoreError::Unavailable("pool timed out while waiting for an open connection".into())),
            _ => self.inner.find_organisations(query, limit).await,
        }
    }

    async fn begin(&self, file: &ImportFile) -> Result<Box<dyn FileWriter>> {
        self.inner.begin(file).await
    }
    async fn begin_session(&self) -> Result<Box<dyn ImportSession>> {
        self.inner.begin_session().await
    }
    async fn published_aliases(&self) -> Result<Vec<lobbyscope_store::Alias>> {
        self.inner.published_aliases().await
    }
    async fn registered_names(&self) -> Result<Vec<RegisteredName>> {
        self.inner.registered_names().await
    }
    async fn begin_relink(&self) -> Result<Box<dyn Relinker>> {
        self.inner.begin_relink().await
    }
    async fn relink_pending(&self) -> Result<bool> {
        self.inner.relink_pending().await
    }
    async fn begin_bulk_load(&self) -> Result<bool> {
        self.inner.begin_bulk_load().await
    }
    async fn end_bulk_load(&self) -> Result<bool> {
        self.inner.end_bulk_load().await
    }
    async fn try_lock_for_import(&self, me: &LockHolder) -> Result<LockAttempt> {
        self.inner.try_lock_for_import(me).await
    }
    async fn lock_for_import(&self, me: &LockHolder) -> Result<ImportGuard> {
        self.inner.lock_for_import(me).await
    }
    async fn stats(&self) -> Result<Stats> {
        self.inner.stats().await
    }
    async fn organisation(&self, key: &OrgKey) -> Result<Option<Organisation>> {
        self.inner.organisation(key).await
    }
    async fn organisation_view(&self, key: &OrgKey) -> Result<Option<OrganisationView>> {
        self.inner.organisation_view(key).await
    }
    async fn organisation_activity(&self, key: &OrgKey, filter: &ActivityFilter) -> Result<ActivityPage> {
        self.inner.organisation_activity(key, filter).await
    }
    async fn meeting(&self, id: &MeetingId) -> Result<Option<MeetingView>> {
        self.inner.meeting(id).await
    }
    async fn response(&self, id: u64) -> Result<Option<ResponseView>> {
        self.inner.response(id).await
    }
    async fn person(&self, key: &PersonKey) -> Result<Option<PersonView>> {
        self.inner.person(key).await
    }
    async fn person_activity(&self, key: &PersonKey, filter: &ActivityFilter) -> Result<ActivityPage> {
        self.inner.person_activity(key, filter).await
    }
    async fn procedure_activity(&self, reference: &str, filter: &ActivityFilter) -> Result<ActivityPage> {
        self.inner.procedure_activity(reference, filter).await
    }
    async fn imported_through(&self) -> Result<Option<ImportedSince>> {
        self.inner.imported_through().await
    }
    async fn meeting_ids(
        &self,
        since: Option<ImportedSince>,
        after: Option<&MeetingId>,
        limit: u32,
    ) -> Result<Vec<MeetingId>> {
        self.inner.meeting_ids(since, after, limit).await
    }
    async fn response_ids(&self, since: Option<ImportedSince>, after: Option<u64>, limit: u32) -> Result<Vec<u64>> {
        self.inner.response_ids(since, after, limit).await
    }
    async fn initiative_ids(&self, since: Option<ImportedSince>, after: Option<u64>, limit: u32) -> Result<Vec<u64>> {
        self.inner.initiative_ids(since, after, limit).await
    }
    async fn meetings(&self, ids: &[MeetingId]) -> Result<Vec<MeetingView>> {
        self.inner.meetings(ids).await
    }
    async fn responses(&self, ids: &[u64]) -> Result<Vec<ResponseView>> {
        self.inner.responses(ids).await
    }
    async fn organisation_documents(&self, after: Option<&OrgKey>, limit: u32) -> Result<Vec<OrganisationDocument>> {
        self.inner.organisation_documents(after, limit).await
    }
    async fn person_documents(&self, after: Option<&PersonKey>, limit: u32) -> Result<Vec<PersonDocument>> {
        self.inner.person_documents(after, limit).await
    }
    async fn analysed_through(&self) -> Result<lobbyscope_store::AnalysedThrough> {
        self.inner.analysed_through().await
    }
    async fn position_ids(&self, after: Option<&str>, limit: u32) -> Result<Vec<String>> {
        self.inner.position_ids(after, limit).await
    }
    async fn positions(&self, ids: &[String]) -> Result<Vec<PositionItemView>> {
        self.inner.positions(ids).await
    }
    async fn text_response_ids(&self, since: Option<&str>, after: Option<u64>, limit: u32) -> Result<Vec<u64>> {
        self.inner.text_response_ids(since, after, limit).await
    }
    async fn attachment_texts(&self, ids: &[u64]) -> Result<Vec<SourceTextRecord>> {
        self.inner.attachment_texts(ids).await
    }
    async fn initiative(&self, id: u64) -> Result<Option<InitiativeView>> {
        self.inner.initiative(id).await
    }
    async fn initiative_responses(&self, id: u64, offset: u32, limit: u32) -> Result<ResponsePage> {
        self.inner.initiative_responses(id, offset, limit).await
    }
    async fn latest_activity(&self, limit: u32) -> Result<Vec<Activity>> {
        self.inner.latest_activity(limit).await
    }
    async fn organisations_list(&self, sort: OrgSort, offset: u32, limit: u32) -> Result<OrganisationList> {
        self.inner.organisations_list(sort, offset, limit).await
    }
    async fn organisations_among(
        &self,
        keys: &[OrgKey],
        sort: OrgSort,
        offset: u32,
        limit: u32,
    ) -> Result<OrganisationList> {
        self.inner.organisations_among(keys, sort, offset, limit).await
    }
    async fn organisations_after(&self, sort: OrgSort, after: &OrgKey, limit: u32) -> Result<OrganisationList> {
        self.inner.organisations_after(sort, after, limit).await
    }
    async fn position_orgs(&self) -> Result<Vec<OrgKey>> {
        self.inner.position_orgs().await
    }
    async fn position_inputs(&self, org: &OrgKey) -> Result<Option<PositionInputs>> {
        self.inner.position_inputs(org).await
    }
    async fn save_source_text(&self, text: &SourceTextRecord) -> Result<()> {
        self.inner.save_source_text(text).await
    }
    async fn position_status(&self, ids: &[String]) -> Result<Vec<(String, ItemStatus)>> {
        self.inner.position_status(ids).await
    }
    async fn save_position_item(&self, item: &NewPositionItem) -> Result<()> {
        self.inner.save_position_item(item).await
    }
    async fn retire_position_items(&self, org: &OrgKey, groups: &[String]) -> Result<u64> {
        self.inner.retire_position_items(org, groups).await
    }
    async fn position_item(&self, id: &str) -> Result<Option<PositionDetail>> {
        self.inner.position_item(id).await
    }
    async fn source(&self, id: &str) -> Result<Option<SourceView>> {
        self.inner.source(id).await
    }
    async fn data_generation(&self) -> Result<i64> {
        self.inner.data_generation().await
    }
    async fn save_source_health(&self, health: &lobbyscope_store::SourceHealth) -> Result<()> {
        self.inner.save_source_health(health).await
    }
    async fn source_health(&self) -> Result<Vec<lobbyscope_store::SourceHealth>> {
        self.inner.source_health().await
    }
    async fn mark_listing(&self, listing: &lobbyscope_store::Listing) -> Result<lobbyscope_store::ListingMarks> {
        self.inner.mark_listing(listing).await
    }
    async fn withdrawn_since(
        &self,
        kind: lobbyscope_store::ListedKind,
        record: &str,
    ) -> Result<Option<chrono::NaiveDate>> {
        self.inner.withdrawn_since(kind, record).await
    }
    async fn copy_out(&self, table: CopyTable, after: Option<&CopyCursor>, limit: usize) -> Result<CopyPage> {
        self.inner.copy_out(table, after, limit).await
    }
    async fn copy_count(&self, table: CopyTable) -> Result<u64> {
        self.inner.copy_count(table).await
    }
    async fn begin_copy_in(&self) -> Result<Box<dyn CopyWriter>> {
        self.inner.begin_copy_in().await
    }
}
