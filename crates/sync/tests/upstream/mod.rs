//! A stand-in for the official hosts on 127.0.0.1: the register's export, the Commission's
//! four files, the Parliament's windowed CSV export (at most 1,000 rows a query, newest
//! first, as the real one) and the Have Your Say portal's JSON (a paged listing, initiatives,
//! feedback pages in the current or the older shape, attachments), built from the fixtures,
//! with faults injected on request.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]
#![allow(dead_code, reason = "each test binary uses its own part")]

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use lobbyscope_store::Store;
use lobbyscope_store_sqlite::SqliteStore;
use lobbyscope_sync::{Bases, Politeness, SourceId, SyncOptions, SyncReport, sync};

pub const CONTACT: &str = "newsroom@example.org";

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub store: SqliteStore,
    pub options: SyncOptions,
}

/// A fresh store and archive, the sources at `base`, and politeness fit for a test: no
/// spacing between requests, a one-second timeout, backoffs of milliseconds.
pub async fn setup(base: &str, sources: &[SourceId]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.sqlite")).await.unwrap();
    let mut politeness = Politeness::new(CONTACT).unwrap();
    politeness.interval = Duration::ZERO;
    politeness.hosts.clear();
    politeness.timeout = Duration::from_secs(1);
    politeness.initial_backoff = Duration::from_millis(10);
    politeness.max_backoff = Duration::from_secs(2);
    politeness.max_retries = 6;
    let options = SyncOptions {
        sources: sources.to_vec(),
        archive: dir.path().join("archive"),
        bases: Bases::all_at(base).unwrap(),
        politeness,
        parliament_since: day(2024, 1, 1),
        today: day(2024, 5, 31),
        attachments: false,
    };
    Setup { dir, store, options }
}

impl Setup {
    pub async fn sync(&self) -> SyncReport {
        sync(&self.store, &self.options, &lobbyscope_ingest::Quiet).await.unwrap()
    }

    /// What the store keeps of a source's health.
    pub async fn health(&self, source: SourceId) -> lobbyscope_store::SourceHealth {
        let all = self.store.source_health().await.unwrap();
        all.into_iter().find(|h| h.source == source).unwrap_or_else(|| panic!("{source} never synced"))
    }

    pub async fn ep_meetings(&self) -> i64 {
        self.store.stats().await.unwrap().parliament_meetings
    }
}

pub const EP_HEADER: &str =
    "title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id";

/// The Have Your Say portal's content.
#[derive(Default)]
pub struct Portal {
    pub initiatives: Vec<PortalInitiative>,
    /// Feedback answered on the older `brpapi/allFeedback` path, in the HAL shape; the current
    /// path answers 404.
    pub older_api: bool,
    /// Publications whose feedback the portal refuses to list (`bad_request`, as for OPCs run
    /// on EUSurvey).
    pub unlisted: Vec<u64>,
}

pub struct PortalInitiative {
    pub id: u64,
    pub title: String,
    pub open: bool,
    pub publications: Vec<PortalPublication>,
}

pub struct PortalPublication {
    pub id: u64,
    pub feedback: Vec<serde_json::Value>,
}

/// A feedback item in the portal's layout, after the real Equinet item of the fixture, with
/// its own id, organisation and, every other item, an attachment.
pub fn feedback_item(id: u64, publication: u64) -> serde_json::Value {
    let mut item = serde_json::json!({
        "id": id,
        "referenceInitiative": "COM(2021)206",
        "dateFeedback": "2021/08/06 23:57:37",
        "feedback": format!("Response {id} welcomes the proposal."),
        "language": "EN",
        "userType": "NGO",
        "country": "BEL",
        "companySize": "MICRO",
        "organization": format!("Organisation {}", id % 97),
        "trNumber": "718971811339-46",
        "status": "PUBLISHED",
        "attachments": [],
        "publicationId": publication,
    });
    if id.is_multiple_of(2) {
        item["attachments"] = serde_json::json!([{
            "id": id * 10,
            "fileName": format!("submission {id}.docx"),
            "ersFileName": format!("submission {id}.pdf"),
            "documentId": format!("090166e5{id:08x}"),
            "size": 80083,
        }]);
    }
    item
}

impl Portal {
    /// Initiatives `first..first + n`, each with one publication of `per` feedback items.
    pub fn add(&mut self, first: u64, n: u64, per: u64) {
        for id in first..first + n {
            let publication = id * 10;
            let feedback = (0..per).map(|k| feedback_item(publication * 1000 + k, publication)).collect();
            self.initiatives.push(PortalInitiative {
                id,
                title: format!("Initiative {id}"),
                open: false,
                publications: vec![PortalPublication { id: publication, feedback }],
            });
        }
    }

    pub fn initiative(&mut self, id: u64) -> &mut PortalInitiative {
        self.initiatives.iter_mut().find(|i| i.id == id).unwrap()
    }

    fn listed(i: &PortalInitiative) -> serde_json::Value {
        serde_json::json!({
            "id": i.id,
            "shortTitle": i.title,
            "initiativeStatus": "ADOPTED",
            "receivingFeedbackStatus": if i.open { "OPEN" } else { "CLOSED" },
        })
    }

    fn search(&self, page: usize, size: usize) -> serde_json::Value {
        let content: Vec<_> = self.initiatives.iter().skip(page * size).take(size).map(Portal::listed).collect();
        let total = self.initiatives.len();
        serde_json::json!({"initiativeResultDtoPage": {
            "content": content, "totalElements": total, "totalPages": total.div_ceil(size),
        }})
    }

    fn group(&self, id: u64) -> Option<serde_json::Value> {
        let i = self.initiatives.iter().find(|i| i.id == id)?;
        let mut value = Portal::listed(i);
        value["dg"] = "CNECT".into();
        value["publications"] = i
            .publications
            .iter()
            .map(|p| {
                serde_json::json!({
                    "id": p.id, "type": "PROP_REG", "reference": "COM(2021)206",
                    "totalFeedback": p.feedback.len(),
                    "attachments": [{"documentId": format!("090166e5p{}", p.id), "filename": "proposal.pdf"}],
                })
            })
            .collect();
        Some(value)
    }

    fn feedback(&self, publication: u64, page: usize, size: usize, hal: bool) -> Option<serde_json::Value> {
        let p = self.initiatives.iter().flat_map(|i| &i.publications).find(|p| p.id == publication)?;
        let content: Vec<_> = p.feedback.iter().skip(page * size).take(size).cloned().collect();
        let total = p.feedback.len();
        let pages = total.div_ceil(size);
        Some(if hal {
            serde_json::json!({"_embedded": {"feedback": content},
                "page": {"size": size, "totalElements": total, "totalPages": pages, "number": page}})
        } else {
            serde_json::json!({"content": content, "totalElements": total, "totalPages": pages,
                "last": page + 1 >= pages, "number": page, "size": size})
        })
    }
}

/// One way to answer badly, once.
#[derive(Debug, Clone)]
pub enum Fault {
    Status(u16),
    /// 429 with `Retry-After` in seconds.
    TooMany(u64),
    /// A 200 with the portal's maintenance page.
    Html,
    /// No answer for this long (past the client's timeout).
    Delay(Duration),
    /// The right headers, a `Content-Length` of the whole body, and half of it.
    Truncate,
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub path_and_query: String,
    pub user_agent: String,
    pub if_none_match: Option<String>,
}

#[derive(Default)]
pub struct Upstream {
    /// The Parliament's meetings: (date, CSV line).
    pub ep_rows: Mutex<Vec<(NaiveDate, String)>>,
    pub ep_header: Mutex<String>,
    pub register: Mutex<Vec<u8>>,
    pub commission: Mutex<HashMap<String, Vec<u8>>>,
    /// The same files in the XML layout (those there is a fixture for).
    pub commission_xml: Mutex<HashMap<String, Vec<u8>>>,
    pub hys: Mutex<Portal>,
    /// Faults to apply to the next requests whose path and query contain the key.
    pub faults: Mutex<VecDeque<(String, Fault)>>,
    pub seen: Mutex<Vec<Seen>>,
}

pub fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_end(&mut out).unwrap();
    out
}

impl Upstream {
    /// The register's 30-organisation real subset (its `numberOfIR` made to match), the
    /// Commission fixtures as the four files, and no Parliament meetings yet.
    pub fn new() -> Arc<Upstream> {
        let register = String::from_utf8(gunzip(&repo().join("fixtures/register/ODP_2018-10_relaid_subset30.xml.gz")))
            .unwrap()
            .replace("<numberOfIR>11836</numberOfIR>", "<numberOfIR>30</numberOfIR>");
        let ec = |name: &str| std::fs::read(repo().join("fixtures/ec_meetings").join(name)).unwrap();
        let commission = HashMap::from([
            ("meetingscommissionrepresentatives1419".to_owned(), ec("bad_rows.xlsx")),
            ("meetingscommissionrepresentatives1924".to_owned(), ec("date_cells.xlsx")),
            ("meetingscommissionrepresentatives2429".to_owned(), ec("commission_2429_no_portfolio.xlsx")),
            ("meetingsdirectorgenerals".to_owned(), ec("dg_meetings.xlsx")),
        ]);
        let commission_xml = HashMap::from([
            ("meetingscommissionrepresentatives1924".to_owned(), ec("meetings_real_rows.xml")),
            ("meetingsdirectorgenerals".to_owned(), ec("meetings_dg.xml")),
        ]);
        Arc::new(Upstream {
            commission_xml: Mutex::new(commission_xml),
            ep_header: Mutex::new(EP_HEADER.to_owned()),
            register: Mutex::new(register.into_bytes()),
            commission: Mutex::new(commission),
            ..Upstream::default()
        })
    }

    /// `n` distinct meetings on `day`, made from the real fixture's rows (titles numbered so
    /// that no two are the same meeting).
    pub fn add_ep_meetings(&self, day: NaiveDate, n: usize) {
        let fixture = std::fs::read(repo().join("fixtures/ep_meetings/search-meetings_subset_relaid.csv")).unwrap();
        let mut reader = csv::Reader::from_reader(&fixture[..]);
        let real: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let mut rows = self.ep_rows.lock().unwrap();
        for i in 0..n {
            let r = &real[(rows.len() + i) % real.len()];
            let title = format!("{} #{}-{}", &r[0], day, rows.len() + i);
            let date = day.format("%Y-%m-%d").to_string();
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record([title.as_str(), &r[1], &r[2], &date, &r[4], &r[5], &r[6], &r[7]]).unwrap();
            let line = String::from_utf8(w.into_inner().unwrap()).unwrap();
            rows.push((day, line));
        }
    }

    pub fn fault(&self, key: &str, fault: Fault) {
        self.faults.lock().unwrap().push_back((key.to_owned(), fault));
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn requests_to(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path_and_query.starts_with(path)).count()
    }

    /// Serves on 127.0.0.1 until the test ends; returns the base URL.
    pub async fn serve(self: &Arc<Self>) -> String {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(answer).with_state(Arc::clone(self));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }
}

async fn answer(State(up): State<Arc<Upstream>>, request: Request) -> Response {
    let path_and_query = request.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default();
    let headers = request.headers();
    let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
    let if_none_match = text(header::IF_NONE_MATCH);
    up.seen.lock().unwrap().push(Seen {
        path_and_query: path_and_query.clone(),
        user_agent: text(header::USER_AGENT).unwrap_or_default(),
        if_none_match: if_none_match.clone(),
    });
    let fault = {
        let mut faults = up.faults.lock().unwrap();
        let at = faults.iter().position(|(key, _)| path_and_query.contains(key.as_str()));
        at.and_then(|i| faults.remove(i)).map(|(_, f)| f)
    };
    match fault {
        Some(Fault::Status(code)) => return (StatusCode::from_u16(code).unwrap(), "upstream trouble").into_response(),
        Some(Fault::TooMany(seconds)) => {
            return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, seconds.to_string())], "slow down")
                .into_response();
        }
        Some(Fault::Html) => {
            return (
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>",
            )
                .into_response();
        }
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Truncate) | None => {}
    }
    let (content_type, body, etag) = match route(&up, &path_and_query) {
        Some(found) => found,
        None => return (StatusCode::NOT_FOUND, "no such page").into_response(),
    };
    if let Some(etag) = &etag
        && if_none_match.as_deref() == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(etag) = etag {
        headers.insert(header::ETAG, HeaderValue::from_str(&etag).unwrap());
    }
    if matches!(fault, Some(Fault::Truncate)) {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        let half = body[..body.len() / 2].to_vec();
        let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(half)]);
        return (headers, Body::from_stream(stream)).into_response();
    }
    (headers, body).into_response()
}

/// The answer to a path: content type, body, ETag.
fn route(up: &Upstream, path_and_query: &str) -> Option<(&'static str, Vec<u8>, Option<String>)> {
    let url = url::Url::parse(&format!("http://x{path_and_query}")).ok()?;
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    match url.path() {
        "/public/files/ODP/download/XML/latest" => {
            let body = up.register.lock().unwrap().clone();
            let etag = format!("\"{}\"", body.len());
            Some(("application/xml", body, Some(etag)))
        }
        "/data/meetings/dataxlsx" => {
            let body = up.commission.lock().unwrap().get(query.get("name")?)?.clone();
            let etag = format!("\"{}\"", body.len());
            Some(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body, Some(etag)))
        }
        "/data/meetings/dataxml" => {
            let body = up.commission_xml.lock().unwrap().get(query.get("name")?)?.clone();
            Some(("application/xml", body, None))
        }
        "/meps/en/search-meetings" => {
            let day = |key: &str| NaiveDate::parse_from_str(query.get(key)?, "%d/%m/%Y").ok();
            let (from, to) = (day("fromDate")?, day("toDate")?);
            if query.get("exportFormat").map(String::as_str) != Some("CSV") {
                return None;
            }
            let mut rows: Vec<(NaiveDate, String)> =
                up.ep_rows.lock().unwrap().iter().filter(|(d, _)| *d >= from && *d <= to).cloned().collect();
            rows.sort_by_key(|r| std::cmp::Reverse(r.0));
            rows.truncate(1000);
            let mut body = format!("\u{feff}{}\n", up.ep_header.lock().unwrap());
            for (_, line) in rows {
                body.push_str(&line);
            }
            Some(("text/csv; charset=utf-8", body.into_bytes(), None))
        }
        path => hys(up, path, &query),
    }
}

fn hys(up: &Upstream, path: &str, query: &HashMap<String, String>) -> Option<(&'static str, Vec<u8>, Option<String>)> {
    let portal = up.hys.lock().unwrap();
    let number = |key: &str| query.get(key)?.parse::<usize>().ok();
    let json = |v: serde_json::Value| Some(("application/json", v.to_string().into_bytes(), None));
    if path == "/brpapi/searchInitiatives" {
        return json(portal.search(number("page")?, number("size")?));
    }
    if let Some(id) = path.strip_prefix("/brpapi/groupInitiatives/") {
        return json(portal.group(id.parse().ok()?)?);
    }
    if path == "/api/allFeedback" || path == "/brpapi/allFeedback" {
        let older = path.starts_with("/brpapi");
        if older != portal.older_api {
            return None;
        }
        let publication = number("publicationId")? as u64;
        if portal.unlisted.contains(&publication) {
            return json(serde_json::json!({"code": "bad_request", "message": "bad_request"}));
        }
        return json(portal.feedback(publication, number("page")?, number("size")?, older)?);
    }
    if let Some(document) = path.strip_prefix("/api/download/") {
        let body = format!("%PDF-1.4\n% document {document}\n%%EOF\n");
        return Some(("application/pdf", body.into_bytes(), None));
    }
    None
}
