//! The one HTTP client every source is fetched with.
//!
//! Polite: a User-Agent with a contact, at most one request a second per host unless told
//! otherwise (and the Parliament's 500 per 5 minutes), conditional requests where the server
//! gave validators. Robust: timeouts, retries on timeouts, transport errors, 5xx and 429 with
//! exponential backoff and jitter (a `Retry-After` is honoured), and a 200 is checked against
//! what was asked for, because the sources answer some failures with a 200: an HTML page where
//! a CSV or XML was asked for, a JSON error object, a body cut short.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::config::{Politeness, SourceId};
use crate::run::Watch;

/// What a request asks for, so that an answer of another kind is told apart from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Csv,
    Xml,
    Json,
    Xlsx,
    /// An attachment: any bytes but an HTML page; a PDF must reach its end marker.
    Document,
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Expect::Csv => "CSV",
            Expect::Xml => "XML",
            Expect::Json => "JSON",
            Expect::Xlsx => "an XLSX workbook",
            Expect::Document => "a document",
        })
    }
}

/// What a server said about a body, for asking next time whether it changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A body read into memory.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub url: Url,
    pub body: Vec<u8>,
    pub validators: Validators,
    pub fetched_at: DateTime<Utc>,
}

/// A body written to a file as it came.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub url: Url,
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub validators: Validators,
    pub fetched_at: DateTime<Utc>,
}

/// Requests made and bytes received, per source, told to whoever watches after each request.
#[derive(Default)]
pub struct Tally<'a> {
    requests: AtomicU64,
    bytes: AtomicU64,
    retries: AtomicU64,
    watch: Option<(&'a dyn Watch, SourceId)>,
}

impl<'a> Tally<'a> {
    pub fn watched(watch: &'a dyn Watch, source: SourceId) -> Tally<'a> {
        Tally { watch: Some((watch, source)), ..Tally::default() }
    }

    fn tell(&self) {
        if let Some((watch, source)) = self.watch {
            watch.fetched(source, self.requests(), self.bytes());
        }
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
}

/// Why a request failed, after its retries.
#[derive(Debug, thiserror::Error)]
#[error("{url}: {problem} ({attempts} attempt{s})", s = if *attempts == 1 { "" } else { "s" })]
pub struct FetchError {
    pub url: String,
    pub attempts: u32,
    pub problem: Problem,
}

#[derive(Debug)]
pub enum Problem {
    Timeout(Duration),
    /// The connection failed or broke, or the body ended before its announced length.
    Transport(String),
    Status {
        status: u16,
        excerpt: String,
    },
    /// A 200 that is not what was asked for: an HTML page, a body cut short, another format.
    NotWhatWasAsked {
        expected: Expect,
        found: String,
    },
    /// A JSON error object: the server's own answer, not retried.
    ErrorObject(String),
    RetryAfterTooLong(Duration),
    TooLarge(u64),
    Io(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Timeout(t) => write!(f, "no complete answer within {} s", t.as_secs_f64()),
            Problem::Transport(e) => write!(f, "transport error: {e}"),
            Problem::Status { status, excerpt } if excerpt.is_empty() => write!(f, "HTTP {status}"),
            Problem::Status { status, excerpt } => write!(f, "HTTP {status}: {excerpt}"),
            Problem::NotWhatWasAsked { expected, found } => write!(f, "answered 200 with {found}, not {expected}"),
            Problem::ErrorObject(e) => write!(f, "answered with an error object: {e}"),
            Problem::RetryAfterTooLong(t) => {
                write!(f, "asked to wait {} s before retrying, longer than the sync waits", t.as_secs())
            }
            Problem::TooLarge(limit) => write!(f, "the answer is larger than {limit} bytes"),
            Problem::Io(e) => write!(f, "writing the answer: {e}"),
        }
    }
}

/// One attempt's outcome.
enum Attempt<T> {
    Done(T),
    NotModified,
    Retry { problem: Problem, retry_after: Option<Duration> },
    Fail(Problem),
}

/// The one client; cheap to share by reference. Its rate limits are per host, whichever
/// source asks (the register, the Commission and Have Your Say share `ec.europa.eu`).
pub struct Client {
    http: reqwest::Client,
    politeness: Politeness,
    limiter: Limiter,
}

impl Client {
    pub fn new(politeness: Politeness) -> Result<Client, crate::SyncError> {
        // reqwest is built without a TLS provider of its own (its default is aws-lc-rs).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(politeness.user_agent.clone())
            .timeout(politeness.timeout)
            .connect_timeout(politeness.timeout)
            .build()
            .map_err(|e| crate::SyncError::Config(format!("the HTTP client: {e}")))?;
        let limiter = Limiter::new(&politeness);
        Ok(Client { http, politeness, limiter })
    }

    /// GETs `url` into memory. `None`: not modified since `known`.
    pub async fn get(
        &self,
        url: &Url,
        expect: Expect,
        known: Option<&Validators>,
        tally: &Tally<'_>,
    ) -> Result<Option<Fetched>, FetchError> {
        let mut sink = Sink::memory(self.politeness.max_body_bytes);
        let done = self.fetch(url, expect, known, tally, &mut sink).await?;
        Ok(done.map(|(validators, fetched_at)| Fetched {
            url: url.clone(),
            body: sink.into_memory(),
            validators,
            fetched_at,
        }))
    }

    /// GETs `url` into the file `to` as the body comes, without holding it in memory.
    pub async fn download(
        &self,
        url: &Url,
        expect: Expect,
        known: Option<&Validators>,
        to: &Path,
        tally: &Tally<'_>,
    ) -> Result<Option<Downloaded>, FetchError> {
        let file = std::fs::File::create(to).map_err(|e| FetchError {
            url: url.to_string(),
            attempts: 0,
            problem: Problem::Io(format!("{}: {e}", to.display())),
        })?;
        let mut sink = Sink::file(file);
        let done = self.fetch(url, expect, known, tally, &mut sink).await?;
        Ok(done.map(|(validators, fetched_at)| Downloaded {
            url: url.clone(),
            path: to.to_owned(),
            bytes: sink.len,
            sha256: sink.sha256(),
            validators,
            fetched_at,
        }))
    }

    async fn fetch(
        &self,
        url: &Url,
        expect: Expect,
        known: Option<&Validators>,
        tally: &Tally<'_>,
        sink: &mut Sink,
    ) -> Result<Option<(Validators, DateTime<Utc>)>, FetchError> {
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            self.limiter.wait_turn(url.host_str().unwrap_or_default()).await;
            tally.requests.fetch_add(1, Ordering::Relaxed);
            let fail = |problem| FetchError { url: url.to_string(), attempts, problem };
            let attempt = self.attempt(url, expect, known, tally, sink).await;
            tally.tell();
            let (problem, retry_after) = match attempt {
                Attempt::Done(validators) => return Ok(Some((validators, Utc::now()))),
                Attempt::NotModified => return Ok(None),
                Attempt::Fail(problem) => return Err(fail(problem)),
                Attempt::Retry { problem, retry_after } => (problem, retry_after),
            };
            if attempts > self.politeness.max_retries {
                return Err(fail(problem));
            }
            let wait = match retry_after {
                Some(wait) if wait > self.politeness.max_backoff => {
                    return Err(fail(Problem::RetryAfterTooLong(wait)));
                }
                Some(wait) => wait,
                None => self.backoff(attempts - 1),
            };
            tracing::warn!(%url, attempt = attempts, wait = ?wait, "{problem}; trying again");
            tally.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(wait).await;
        }
    }

    /// The wait before retry `retry` (0-based) when the server named none: doubled each time
    /// up to the maximum, then a random part of its second half taken off, so that clients
    /// that failed together do not come back together.
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX);
        let full = self.politeness.initial_backoff.saturating_mul(factor).min(self.politeness.max_backoff);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }

    async fn attempt(
        &self,
        url: &Url,
        expect: Expect,
        known: Option<&Validators>,
        tally: &Tally<'_>,
        sink: &mut Sink,
    ) -> Attempt<Validators> {
        if let Err(e) = sink.restart() {
            return Attempt::Fail(Problem::Io(e.to_string()));
        }
        let mut request = self.http.get(url.clone());
        if let Some(known) = known {
            if let Some(etag) = &known.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(date) = &known.last_modified {
                request = request.header(IF_MODIFIED_SINCE, date);
            }
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(e) => return self.transport(e),
        };
        let status = response.status();
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let retry_after = header(RETRY_AFTER).and_then(|v| parse_retry_after(&v, SystemTime::now()));
        let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
        let validators = Validators { etag: header(ETAG), last_modified: header(LAST_MODIFIED) };
        if status == StatusCode::NOT_MODIFIED && known.is_some_and(|k| !k.is_empty()) {
            return Attempt::NotModified;
        }
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    tally.bytes.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    if let Err(problem) = sink.write(&chunk) {
                        return Attempt::Fail(problem);
                    }
                }
                Ok(None) => break,
                Err(e) => return self.transport(e),
            }
        }
        if !status.is_success() {
            let problem = Problem::Status { status: status.as_u16(), excerpt: excerpt(sink.head()) };
            return if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                Attempt::Retry { problem, retry_after }
            } else {
                Attempt::Fail(problem)
            };
        }
        match check(expect, &content_type, sink) {
            Ok(()) => Attempt::Done(validators),
            Err(Checked::Retry(found)) => {
                Attempt::Retry { problem: Problem::NotWhatWasAsked { expected: expect, found }, retry_after }
            }
            Err(Checked::Fail(problem)) => Attempt::Fail(problem),
        }
    }

    fn transport(&self, e: reqwest::Error) -> Attempt<Validators> {
        let problem = if e.is_timeout() {
            Problem::Timeout(self.politeness.timeout)
        } else {
            // The source chain says what broke ("connection refused", "end of file before
            // message length reached"); reqwest's own message is only "error sending request".
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            Problem::Transport(text)
        };
        Attempt::Retry { problem, retry_after: None }
    }
}

enum Checked {
    Retry(String),
    Fail(Problem),
}

/// Whether a 200's body is what `expect` asked for.
fn check(expect: Expect, content_type: &str, sink: &Sink) -> Result<(), Checked> {
    let head = sink.head();
    let start = trim_start(head);
    let lower: Vec<u8> = start.iter().take(64).map(u8::to_ascii_lowercase).collect();
    let html = content_type.to_ascii_lowercase().contains("text/html")
        || lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html");
    if html {
        return Err(Checked::Retry(format!("an HTML page ({})", excerpt(head))));
    }
    // The EP export of a window without meetings may well be empty.
    if sink.len == 0 && expect != Expect::Csv {
        return Err(Checked::Retry("an empty body".into()));
    }
    match expect {
        Expect::Csv => Ok(()),
        Expect::Xml => {
            if !start.starts_with(b"<") {
                return Err(Checked::Retry(format!("something else ({})", excerpt(head))));
            }
            if !trim_end(sink.tail()).ends_with(b">") {
                return Err(Checked::Retry("XML cut short (it does not end with a closing tag)".into()));
            }
            Ok(())
        }
        Expect::Xlsx => {
            if !head.starts_with(b"PK\x03\x04") {
                return Err(Checked::Retry(format!("something else ({})", excerpt(head))));
            }
            // A zip ends with its central directory's end record.
            if !sink.tail().windows(4).any(|w| w == b"PK\x05\x06") {
                return Err(Checked::Retry("a workbook cut short (no end of its zip directory)".into()));
            }
            Ok(())
        }
        Expect::Document => {
            if head.starts_with(b"%PDF") && !sink.tail().windows(5).any(|w| w == b"%%EOF") {
                return Err(Checked::Retry("a PDF cut short (no end marker)".into()));
            }
            Ok(())
        }
        Expect::Json => {
            let value: serde_json::Value = match serde_json::from_slice(sink.whole().unwrap_or(head)) {
                Ok(value) => value,
                Err(e) if e.is_eof() => return Err(Checked::Retry("JSON cut short".into())),
                Err(e) => return Err(Checked::Retry(format!("something that is not JSON ({e})"))),
            };
            match error_object(&value) {
                Some(error) => Err(Checked::Fail(Problem::ErrorObject(error))),
                None => Ok(()),
            }
        }
    }
}

/// An object that says it is an error: one with an `error` or `errors` member, or whose
/// `code`, `status`, `errorCode` or `message` is a string naming an error (Have Your Say
/// answers `general_error` and `bad_request` this way, FORMATS.md 4.1).
fn error_object(value: &serde_json::Value) -> Option<String> {
    let object = value.as_object()?;
    if object.contains_key("error") || object.contains_key("errors") {
        return Some(excerpt(value.to_string().as_bytes()));
    }
    ["code", "status", "errorCode", "message"].iter().find_map(|key| {
        let text = object.get(*key)?.as_str()?;
        let lower = text.to_ascii_lowercase();
        (lower.contains("error") || lower == "bad_request").then(|| excerpt(value.to_string().as_bytes()))
    })
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let n = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[n..]
}

fn trim_end(bytes: &[u8]) -> &[u8] {
    let n = bytes.iter().rev().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[..bytes.len() - n]
}

/// The start of a body as text, on one line, for messages.
fn excerpt(bytes: &[u8]) -> String {
    const CHARS: usize = 120;
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(CHARS * 4)]);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(CHARS).collect();
    if one_line.chars().nth(CHARS).is_some() {
        out.push('…');
    }
    out
}

/// `Retry-After` as seconds or as an HTTP date (RFC 9110 10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or_default())
}

/// Where a body goes as it comes: memory (bounded) or a file; either way its first and last
/// bytes are kept for the checks.
struct Sink {
    to: SinkTo,
    len: u64,
    head: Vec<u8>,
    /// The last bytes, and up to as many more before them (drained in one go).
    tail: Vec<u8>,
    hash: Sha256,
}

enum SinkTo {
    Memory { body: Vec<u8>, limit: u64 },
    File(std::fs::File),
}

const HEAD_BYTES: usize = 4096;
/// A zip's end record is 22 bytes, after a comment of up to 64 KiB; workbooks have none.
const TAIL_BYTES: usize = 1024;

impl Sink {
    fn memory(limit: u64) -> Sink {
        Sink::new(SinkTo::Memory { body: Vec::new(), limit })
    }

    fn file(file: std::fs::File) -> Sink {
        Sink::new(SinkTo::File(file))
    }

    fn new(to: SinkTo) -> Sink {
        Sink { to, len: 0, head: Vec::new(), tail: Vec::new(), hash: Sha256::new() }
    }

    fn restart(&mut self) -> std::io::Result<()> {
        self.len = 0;
        self.head.clear();
        self.tail.clear();
        self.hash = Sha256::new();
        match &mut self.to {
            SinkTo::Memory { body, .. } => body.clear(),
            SinkTo::File(file) => {
                file.set_len(0)?;
                file.rewind()?;
            }
        }
        Ok(())
    }

    fn write(&mut self, chunk: &[u8]) -> Result<(), Problem> {
        match &mut self.to {
            SinkTo::Memory { body, limit } => {
                if body.len() as u64 + chunk.len() as u64 > *limit {
                    return Err(Problem::TooLarge(*limit));
                }
                body.extend_from_slice(chunk);
            }
            SinkTo::File(file) => file.write_all(chunk).map_err(|e| Problem::Io(e.to_string()))?,
        }
        self.len += chunk.len() as u64;
        self.hash.update(chunk);
        let room = HEAD_BYTES.saturating_sub(self.head.len());
        self.head.extend_from_slice(&chunk[..room.min(chunk.len())]);
        self.tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL_BYTES)..]);
        if self.tail.len() > 2 * TAIL_BYTES {
            self.tail.drain(..self.tail.len() - TAIL_BYTES);
        }
        Ok(())
    }

    fn head(&self) -> &[u8] {
        &self.head
    }

    fn tail(&self) -> &[u8] {
        &self.tail[self.tail.len().saturating_sub(TAIL_BYTES)..]
    }

    fn whole(&self) -> Option<&[u8]> {
        match &self.to {
            SinkTo::Memory { body, .. } => Some(body),
            SinkTo::File(_) => None,
        }
    }

    fn sha256(&self) -> String {
        lobbyscope_domain::hex(&self.hash.clone().finalize())
    }

    fn into_memory(self) -> Vec<u8> {
        match self.to {
            SinkTo::Memory { body, .. } => body,
            SinkTo::File(_) => Vec::new(),
        }
    }
}

/// Per-host turns: at most one request per `interval`, and within each host's own windows.
struct Limiter {
    interval: Duration,
    windows: HashMap<String, (u32, Duration)>,
    hosts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Limiter {
    fn new(politeness: &Politeness) -> Limiter {
        Limiter {
            interval: politeness.interval,
            windows: politeness.hosts.iter().map(|h| (h.host.clone(), (h.requests.max(1), h.per))).collect(),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until `host` may be asked again, and takes that turn.
    async fn wait_turn(&self, host: &str) {
        loop {
            let wait = {
                let mut hosts = self.hosts.lock().await;
                let sent = hosts.entry(host.to_owned()).or_default();
                let now = Instant::now();
                let mut earliest = sent.back().map_or(now, |last| *last + self.interval);
                if let Some(&(requests, per)) = self.windows.get(host) {
                    while sent.front().is_some_and(|first| *first + per <= now) {
                        sent.pop_front();
                    }
                    if sent.len() >= requests as usize
                        && let Some(first) = sent.get(sent.len() - requests as usize)
                    {
                        earliest = earliest.max(*first + per);
                    }
                }
                if earliest <= now {
                    sent.push_back(now);
                    // Only the last is needed for the interval; windows keep what they count.
                    let keep = self.windows.get(host).map_or(1, |(requests, _)| *requests as usize);
                    while sent.len() > keep {
                        sent.pop_front();
                    }
                    return;
                }
                earliest - now
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostLimit;

    fn politeness(interval: Duration, hosts: Vec<HostLimit>) -> Politeness {
        let mut p = Politeness::new("test@example.org").unwrap();
        p.interval = interval;
        p.hosts = hosts;
        p
    }

    #[tokio::test(start_paused = true)]
    async fn one_request_a_second_per_host_by_default() {
        let limiter = Limiter::new(&politeness(Duration::from_secs(1), vec![]));
        let start = Instant::now();
        for _ in 0..3 {
            limiter.wait_turn("ec.europa.eu").await;
        }
        // Another host does not wait for this one's turns.
        limiter.wait_turn("www.europarl.europa.eu").await;
        assert_eq!(start.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_host_window_holds_its_count() {
        let window = HostLimit { host: "ep".into(), requests: 3, per: Duration::from_secs(60) };
        let limiter = Limiter::new(&politeness(Duration::ZERO, vec![window]));
        let start = Instant::now();
        for _ in 0..3 {
            limiter.wait_turn("ep").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        limiter.wait_turn("ep").await;
        assert_eq!(start.elapsed(), Duration::from_secs(60), "the fourth waits for the first to leave the window");
        for _ in 0..2 {
            limiter.wait_turn("ep").await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        limiter.wait_turn("ep").await;
        assert_eq!(start.elapsed(), Duration::from_secs(120));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_784_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(90)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_maximum() {
        let mut p = politeness(Duration::ZERO, vec![]);
        p.initial_backoff = Duration::from_secs(2);
        p.max_backoff = Duration::from_secs(10);
        let client = Client::new(p).unwrap();
        for _ in 0..50 {
            let first = client.backoff(0);
            assert!(first >= Duration::from_secs(1) && first <= Duration::from_secs(2), "{first:?}");
            let third = client.backoff(2);
            assert!(third >= Duration::from_secs(4) && third <= Duration::from_secs(8), "{third:?}");
            let capped = client.backoff(20);
            assert!(capped >= Duration::from_secs(5) && capped <= Duration::from_secs(10), "{capped:?}");
        }
    }

    fn sink_of(body: &[u8]) -> Sink {
        let mut sink = Sink::memory(1 << 20);
        sink.write(body).unwrap();
        sink
    }

    fn verdict(expect: Expect, content_type: &str, body: &[u8]) -> String {
        match check(expect, content_type, &sink_of(body)) {
            Ok(()) => "ok".into(),
            Err(Checked::Retry(found)) => format!("retry: {found}"),
            Err(Checked::Fail(problem)) => format!("fail: {problem}"),
        }
    }

    #[test]
    fn a_200_is_checked_against_what_was_asked() {
        assert_eq!(verdict(Expect::Csv, "text/csv", b"\xef\xbb\xbftitle,member_id\n"), "ok");
        assert!(verdict(Expect::Csv, "text/html; charset=utf-8", b"title").starts_with("retry: an HTML page"));
        assert!(
            verdict(Expect::Csv, "", b"\n <!DOCTYPE HTML><p>Service unavailable").starts_with("retry: an HTML page")
        );
        assert_eq!(verdict(Expect::Xml, "application/xml", b"<?xml version='1.1'?><a></a>\n"), "ok");
        assert!(verdict(Expect::Xml, "application/xml", b"<?xml version='1.1'?><a><b>Equi").contains("cut short"));
        assert!(verdict(Expect::Xlsx, "", b"PK\x03\x04....").contains("cut short"));
        assert_eq!(verdict(Expect::Xlsx, "", b"PK\x03\x04....PK\x05\x06\0\0"), "ok");
        assert!(verdict(Expect::Xlsx, "", b"Not found").starts_with("retry: something else"));
        assert_eq!(verdict(Expect::Json, "application/json", br#"{"content":[],"last":true}"#), "ok");
        assert!(verdict(Expect::Json, "application/json", br#"{"content":[{"id":1"#).contains("JSON cut short"));
        assert!(verdict(Expect::Json, "application/json", br#"{"code":"general_error"}"#).starts_with("fail: "));
        assert!(verdict(Expect::Json, "application/json", br#"{"error":"bad_request"}"#).starts_with("fail: "));
        assert!(verdict(Expect::Json, "application/json", b"").contains("empty"));
        assert_eq!(verdict(Expect::Document, "application/pdf", b"%PDF-1.7\n...\n%%EOF\n"), "ok");
        assert!(verdict(Expect::Document, "application/pdf", b"%PDF-1.7\n...").contains("cut short"));
        assert!(verdict(Expect::Document, "text/html", b"%PDF-1.7").starts_with("retry: an HTML page"));
    }
}
