//! Pages uncached: a child `lobbyscope serve` on a loopback port, every kind of page asked for
//! again and again, each time with a parameter it has not seen (`nocache=N`), so that the page
//! cache never answers and every request renders (pages ignore parameters they do not know).
//! Which organisation, person, procedure and consultation to ask for is worked out from the
//! data: the busiest of each, and their deepest pages up to those of the earlier runs.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::child;
use super::survey::Survey;
use super::{ms, percentile};
use crate::db::{Connections, Db};

/// The list's orders, as `?sort=` takes them.
const SORTS: [&str; 5] = ["activity", "name", "commission", "parliament", "responses"];

/// The deep pages BENCHMARKS.md has measured at the EU's size, where each page still exists;
/// at a smaller size the last page instead.
const ORGS_DEEP: u64 = 1000;
const API_ORGS_DEEP: u64 = 800;
const ORG_DEEP: u64 = 200;
const MEP_DEEP: u64 = 100;
const INITIATIVE_DEEP: u64 = 2000;

/// One request's answer.
struct Answer {
    status: u16,
    ttfb: Duration,
    total: Duration,
    body_bytes: u64,
    body: Vec<u8>,
}

/// A page asked for: the kind of page it stands for, and its address.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: String,
    pub path: String,
}

/// The figures of one kind of page.
#[derive(Debug, Clone)]
pub struct PageFigures {
    pub kind: String,
    pub path: String,
    pub requests: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub ttfb_p50_ms: f64,
    pub ttfb_p99_ms: f64,
    /// Requests per status code.
    pub statuses: BTreeMap<u16, usize>,
    /// The largest body.
    pub bytes: u64,
}

pub struct PagesRun {
    pub pages: Vec<PageFigures>,
    /// Kinds of page the data gave nothing to ask for (no procedure cited, …).
    pub missing: Vec<String>,
    pub server_peak_rss_kb: u64,
}

/// A child `serve` of `db` on a free loopback port.
struct Server {
    child: Option<Child>,
    addr: SocketAddr,
}

impl Server {
    fn start(db: &Db, connections: &Connections, log: &Path) -> Result<Server> {
        let mut cmd = child::lobbyscope(db, connections)?;
        // Port 0: the kernel picks a free port and `serve` prints it, so no port is guessed.
        cmd.args(["serve", "--addr", "127.0.0.1:0"]);
        let file = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(file);
        let mut child = cmd.spawn().context("cannot start lobbyscope serve")?;
        let stdout = child.stdout.take().context("serve's output is piped")?;
        // From here on, dropping the server on an error stops the child.
        let mut server = Server { child: Some(child), addr: SocketAddr::from(([127, 0, 0, 1], 0)) };
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first)?;
        // Read on, so that a later line finds a reader (a closed pipe would fail serve's print).
        std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
        let addr = first
            .split_once("http://")
            .and_then(|(_, rest)| rest.split_once('/'))
            .and_then(|(addr, _)| addr.parse::<SocketAddr>().ok());
        let Some(addr) = addr.filter(|a| a.ip().is_loopback()) else {
            bail!(
                "lobbyscope serve did not start (it said {first:?}); the end of {}:\n{}",
                log.display(),
                child::tail(log)
            );
        };
        server.addr = addr;
        server.ready()?;
        Ok(server)
    }

    /// Waits until the store answers (`/readyz`), as a load balancer would.
    fn ready(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match get(self.addr, "/readyz", false) {
                Ok(a) if a.status == 200 => return Ok(()),
                _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
                Ok(a) => bail!("the server is not ready after a minute (/readyz: {})", a.status),
                Err(e) => return Err(e.context("the server does not answer")),
            }
        }
    }

    /// Stops the server; its peak RSS, read while it still runs.
    fn stop(mut self) -> Result<u64> {
        let mut child = self.child.take().context("the server runs")?;
        let peak = child::peak_rss_kb(child.id()).context("cannot read the server's peak RSS")?;
        // Nothing of it is kept: a kill is as good as a graceful stop.
        child.kill()?;
        child.wait()?;
        Ok(peak)
    }

    /// A page that must exist, as JSON.
    fn json(&self, path: &str) -> Result<serde_json::Value> {
        let answer = get(self.addr, path, true)?;
        if answer.status != 200 {
            bail!("{path} answered {}: {}", answer.status, String::from_utf8_lossy(&answer.body));
        }
        serde_json::from_slice(&answer.body).with_context(|| format!("{path} is not JSON"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // On an error half-way, no server is left running behind.
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Serves `db` and measures every kind of page `requests` times.
pub fn run(db: &Db, connections: &Connections, survey: &Survey, requests: usize, log: &Path) -> Result<PagesRun> {
    let server = Server::start(db, connections, log)?;
    let (targets, missing) = targets(&server, survey)?;
    let mut pages = Vec::new();
    for target in targets {
        let page = measure(server.addr, &target, requests)?;
        eprintln!("  {}: p50 {:.1} ms, p99 {:.1} ms", page.kind, page.p50_ms, page.p99_ms);
        pages.push(page);
    }
    let server_peak_rss_kb = server.stop()?;
    Ok(PagesRun { pages, missing, server_peak_rss_kb })
}

/// The pages to ask for, chosen from the data; and the kinds it had nothing for.
fn targets(server: &Server, survey: &Survey) -> Result<(Vec<Target>, Vec<String>)> {
    let mut out = vec![Target { kind: "home".into(), path: "/".into() }];
    let mut missing = Vec::new();
    let lists: Vec<(&str, serde_json::Value)> =
        SORTS.iter().map(|s| Ok((*s, server.json(&format!("/api/orgs?sort={s}"))?))).collect::<Result<_>>()?;
    for (sort, _) in &lists {
        out.push(Target { kind: format!("orgs page 1 ({sort})"), path: format!("/orgs?sort={sort}") });
    }
    for (sort, list) in &lists {
        let page = deep(ORGS_DEEP, number(list, "/pages")?);
        out.push(Target { kind: format!("orgs deep page ({sort})"), path: format!("/orgs?sort={sort}&page={page}") });
    }
    let responses = &lists.iter().find(|(s, _)| *s == "responses").context("the responses order is listed")?.1;
    out.push(Target {
        kind: "api orgs deep page (responses)".into(),
        path: format!("/api/orgs?sort=responses&page={}", deep(API_ORGS_DEEP, number(responses, "/pages")?)),
    });
    let by_activity = &lists.iter().find(|(s, _)| *s == "activity").context("the activity order is listed")?.1;
    let busiest = by_activity.pointer("/rows/0/key").and_then(|k| k.as_str()).map(str::to_owned);
    let mut csv = vec![Target { kind: "orgs.csv".into(), path: "/orgs.csv".into() }];
    match busiest {
        Some(key) => {
            let org = format!("/org/{key}");
            let view = server.json(&format!("/api{org}"))?;
            let pages = timeline_pages(&view)?;
            out.push(Target { kind: "org (busiest)".into(), path: org.clone() });
            out.push(Target { kind: "org deep page".into(), path: format!("{org}?page={}", deep(ORG_DEEP, pages)) });
            match busiest_year(&view) {
                Some(year) => out.push(Target { kind: "org year filter".into(), path: format!("{org}?year={year}") }),
                None => missing.push("org year filter".into()),
            }
            out.push(Target { kind: "api org".into(), path: format!("/api{org}") });
            csv.push(Target { kind: "org activity.csv".into(), path: format!("{org}/activity.csv") });
        }
        None => missing.extend(
            ["org (busiest)", "org deep page", "org year filter", "api org", "org activity.csv"].map(String::from),
        ),
    }
    match &survey.mep {
        Some((mep, _)) => {
            let pages = timeline_pages(&server.json(&format!("/api{mep}"))?)?;
            out.push(Target { kind: "mep (most meetings)".into(), path: mep.clone() });
            out.push(Target { kind: "mep deep page".into(), path: format!("{mep}?page={}", deep(MEP_DEEP, pages)) });
            csv.push(Target { kind: "mep activity.csv".into(), path: format!("{mep}/activity.csv") });
        }
        None => missing.extend(["mep (most meetings)", "mep deep page", "mep activity.csv"].map(String::from)),
    }
    match &survey.official {
        Some((official, _)) => out.push(Target { kind: "official (most meetings)".into(), path: official.clone() }),
        None => missing.push("official (most meetings)".into()),
    }
    match &survey.procedure {
        Some((procedure, _)) => out.push(Target { kind: "procedure (most meetings)".into(), path: procedure.clone() }),
        None => missing.push("procedure (most meetings)".into()),
    }
    match survey.initiative {
        Some((id, _)) => {
            let initiative = format!("/initiative/{id}");
            let pages = number(&server.json(&format!("/api{initiative}"))?, "/pages")?;
            out.push(Target { kind: "initiative (most responses)".into(), path: initiative.clone() });
            out.push(Target {
                kind: "initiative deep page".into(),
                path: format!("{initiative}?page={}", deep(INITIATIVE_DEEP, pages)),
            });
            csv.push(Target { kind: "initiative responses.csv".into(), path: format!("{initiative}/responses.csv") });
        }
        None => missing.extend(
            ["initiative (most responses)", "initiative deep page", "initiative responses.csv"].map(String::from),
        ),
    }
    out.extend(csv);
    Ok((out, missing))
}

/// Page `target`, or the last page when there are fewer.
fn deep(target: u64, pages: u64) -> u64 {
    target.min(pages).max(1)
}

fn number(json: &serde_json::Value, pointer: &str) -> Result<u64> {
    json.pointer(pointer)
        .and_then(|v| v.as_u64())
        .with_context(|| format!("no number at {pointer} in the API's answer"))
}

/// Pages of a timeline's JSON twin (`activity.matching` items of 25).
fn timeline_pages(view: &serde_json::Value) -> Result<u64> {
    Ok(number(view, "/activity/matching")?.div_ceil(u64::from(lobbyscope_web::PAGE_SIZE)).max(1))
}

/// The year with the most activity on an organisation's timeline (the newest on a tie).
fn busiest_year(view: &serde_json::Value) -> Option<String> {
    let mut years: BTreeMap<String, u64> = BTreeMap::new();
    for q in view.pointer("/activity/per_quarter")?.as_array()? {
        let year = q.get("quarter")?.as_str()?.get(..4)?.to_owned();
        let n = q.get("meetings")?.as_u64()? + q.get("responses")?.as_u64()?;
        *years.entry(year).or_default() += n;
    }
    // The last of the largest, in year order.
    years.into_iter().max_by_key(|(_, n)| *n).map(|(y, _)| y)
}

fn measure(addr: SocketAddr, target: &Target, requests: usize) -> Result<PageFigures> {
    let sep = if target.path.contains('?') { '&' } else { '?' };
    let (mut totals, mut ttfbs) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
    let mut statuses = BTreeMap::new();
    let mut bytes = 0;
    for i in 0..requests {
        let answer = get(addr, &format!("{}{sep}nocache={i}", target.path), false)?;
        totals.push(answer.total);
        ttfbs.push(answer.ttfb);
        *statuses.entry(answer.status).or_default() += 1;
        bytes = bytes.max(answer.body_bytes);
    }
    if statuses.keys().any(|&s| s != 200) {
        tracing::warn!(path = %target.path, ?statuses, "a page did not answer 200");
    }
    totals.sort();
    ttfbs.sort();
    Ok(PageFigures {
        kind: target.kind.clone(),
        path: target.path.clone(),
        requests,
        p50_ms: ms(percentile(&totals, 50)),
        p99_ms: ms(percentile(&totals, 99)),
        ttfb_p50_ms: ms(percentile(&ttfbs, 50)),
        ttfb_p99_ms: ms(percentile(&ttfbs, 99)),
        statuses,
        bytes,
    })
}

/// One GET on a new connection, as `curl` makes it: the time to the answer's first byte and to
/// its last. HTTP/1.0, so that the server ends a streamed body by closing the connection rather
/// than in chunks, and the body's bytes are the bytes read after the head.
fn get(addr: SocketAddr, path: &str, keep_body: bool) -> Result<Answer> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).with_context(|| format!("cannot connect to {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(300)))?;
    stream.set_nodelay(true)?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\nUser-Agent: lobbyscope-bench\r\n\r\n")?;
    let mut buf = vec![0; 64 * 1024];
    let mut head = Vec::new();
    let mut body = Vec::new();
    let mut body_bytes = 0u64;
    let mut ttfb = None;
    let mut in_body = false;
    loop {
        let n = stream.read(&mut buf).with_context(|| format!("{path}: reading the answer"))?;
        if n == 0 {
            break;
        }
        ttfb.get_or_insert_with(|| started.elapsed());
        let chunk = &buf[..n];
        if in_body {
            body_bytes += n as u64;
            if keep_body {
                body.extend_from_slice(chunk);
            }
            continue;
        }
        head.extend_from_slice(chunk);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = head.split_off(end + 4);
            body_bytes += rest.len() as u64;
            if keep_body {
                body = rest;
            }
            in_body = true;
        }
    }
    let total = started.elapsed();
    let status = std::str::from_utf8(&head)
        .ok()
        .and_then(|h| h.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("{path}: no HTTP status in the answer"))?;
    Ok(Answer { status, ttfb: ttfb.unwrap_or(total), total, body_bytes, body })
}

#[cfg(test)]
mod tests {
    use super::{busiest_year, deep};

    #[test]
    fn deep_pages_stay_within_the_pages_there_are() {
        assert_eq!(deep(200, 386), 200);
        assert_eq!(deep(200, 3), 3);
        assert_eq!(deep(200, 0), 1);
    }

    #[test]
    fn the_busiest_year_counts_both_kinds() {
        let view = serde_json::json!({"activity": {"per_quarter": [
            {"quarter": "2023-Q1", "meetings": 2, "responses": 1},
            {"quarter": "2024-Q2", "meetings": 1, "responses": 1},
            {"quarter": "2024-Q3", "meetings": 0, "responses": 1},
            {"quarter": "2025-Q1", "meetings": 1, "responses": 0},
        ]}});
        assert_eq!(busiest_year(&view).as_deref(), Some("2024"));
    }
}
