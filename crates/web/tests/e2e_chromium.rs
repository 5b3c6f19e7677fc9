//! End to end in a real browser: the site on a loopback port over the demo data (with the
//! position items of `common::demo_with_positions`), Debian's headless Chromium driven through
//! chromedriver (WebDriver), as a reader would use it.
//!
//! Needs `chromium` and `chromium-driver` (Debian; `.ci/run` installs them). Without
//! `chromedriver` the test fails when `CI=true` and is skipped with a note otherwise.
//! Screenshots are saved under `target/e2e/`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{ISOC, demo_with_positions, get};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The Internet Society's newest response (21 May 2025), the first "Read full response" link.
const RESPONSE: &str = "900000021";

/// chromedriver and every browser process it starts, ended when dropped: also when a check
/// panics, so no browser outlives the test.
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver leads its own process group (see `start_driver`), which holds the
        // browsers it launched: the whole group goes, by its id.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|dir| Path::new(dir).join(program)).find(|p| p.is_file())
}

/// The workspace's target folder: the test binary is `target/debug/deps/e2e_chromium-…`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).expect("target/<profile>/deps/<binary>").to_path_buf()
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_driver(program: &Path, log: &Path) -> (Driver, u16) {
    use std::os::unix::process::CommandExt;
    let port = free_port();
    let log_file = std::fs::File::create(log).unwrap();
    let child = Command::new(program)
        .arg(format!("--port={port}"))
        .arg(format!("--log-path={}", log.display()))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let driver = Driver { child };
    // Ready when it accepts connections.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen on port {port}; see {}", log.display());
        std::thread::sleep(Duration::from_millis(50));
    }
    (driver, port)
}

fn capabilities(profile: &Path) -> fantoccini::wd::Capabilities {
    let mut args = vec![
        "--headless".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--no-first-run".to_owned(),
        "--window-size=1280,1000".to_owned(),
    ];
    args.push(format!("--user-data-dir={}", profile.display()));
    let mut options = json!({ "args": args });
    if let Some(binary) = on_path("chromium") {
        options["binary"] = json!(binary);
    }
    let caps = json!({ "browserName": "chrome", "goog:chromeOptions": options });
    caps.as_object().unwrap().clone()
}

/// Collapsed whitespace, for comparing text across line breaks.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let dir = target_dir().join("e2e");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, png).unwrap();
    println!("screenshot: {}", path.display());
    path
}

/// Waits until the browser shows a page whose path starts with `path`.
async fn wait_for_path(client: &Client, path: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = client.current_url().await.map_err(|err| format!("current url: {err}"))?;
        if url.path().starts_with(path) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the click led to {url}, not {path}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The browser's steps. Errors come back as text, so the session is closed either way.
async fn browse(client: &Client, base: &str, full_text: &str) -> Result<(), String> {
    macro_rules! check {
        ($cond:expr, $($msg:tt)+) => {
            if !$cond {
                return Err(format!($($msg)+));
            }
        };
    }
    let e = |what: &'static str| move |err: fantoccini::error::CmdError| format!("{what}: {err}");

    client.goto(&format!("{base}/org/{ISOC}")).await.map_err(e("open the organisation page"))?;
    let title = client.title().await.map_err(e("title"))?;
    check!(title == "Internet Society (ISOC) · lobbyscope", "page title {title:?}");
    // The stylesheet loaded under the strict CSP (a blocked one has no rules).
    let rules = client
        .execute("return Array.from(document.styleSheets).reduce((n, s) => n + s.cssRules.length, 0);", vec![])
        .await
        .map_err(e("count CSS rules"))?;
    check!(rules.as_u64().unwrap_or(0) > 10, "the stylesheet did not load: {rules} rules");

    // The timeline is there and visible, with the Canenbley meeting.
    let items = client.find_all(Locator::Css(".timeline article.item")).await.map_err(e("timeline items"))?;
    check!(items.len() == 10, "{} timeline items, expected the Internet Society's 8 and 2 position items", items.len());
    let meeting = client
        .find(Locator::XPath("//div[@class='timeline']/article[contains(., 'Christiane Canenbley')]"))
        .await
        .map_err(e("the Canenbley meeting"))?;
    check!(meeting.is_displayed().await.map_err(e("displayed"))?, "the Canenbley meeting is not displayed");
    let text = words(&meeting.text().await.map_err(e("meeting text"))?);
    let expected = "Meeting with Christiane Canenbley (Cabinet of Executive Vice-President Margrethe Vestager), \
                    Werner Stengg (Cabinet of Executive Vice-President Margrethe Vestager)";
    check!(text.contains(expected), "meeting text: {text}");
    check!(text.contains("30 Jun 2022 · Broadband Cost Reduction Directive."), "meeting text: {text}");
    screenshot(client, "org_page.png").await;

    // A position item's first footnote opens its passage, highlighted, in the response.
    let note = client.find(Locator::Css("article.item-position sup.fn a")).await.map_err(e("a footnote"))?;
    check!(note.is_displayed().await.map_err(e("displayed"))?, "the footnote is not displayed");
    let article = client.find(Locator::Css("article.item-position")).await.map_err(e("a position item"))?;
    let at = serde_json::to_value(&article).map_err(|err| format!("the item as an argument: {err}"))?;
    client.execute("arguments[0].scrollIntoView();", vec![at]).await.map_err(e("scroll to the item"))?;
    screenshot(client, "position_item.png").await;
    let quote = note.attr("title").await.map_err(e("footnote title"))?.unwrap_or_default();
    check!(!quote.is_empty(), "the footnote names no passage");
    note.click().await.map_err(e("click the footnote"))?;
    wait_for_path(client, "/source/response:").await?;
    let mark = client.find(Locator::Css("mark#passage")).await.map_err(e("the highlighted passage"))?;
    check!(mark.is_displayed().await.map_err(e("displayed"))?, "the passage is not displayed");
    let marked = mark.text().await.map_err(e("passage text"))?;
    check!(words(&marked) == words(&quote), "marked {marked:?}, cited {quote:?}");
    screenshot(client, "source_passage.png").await;
    client.back().await.map_err(e("back to the organisation page"))?;
    wait_for_path(client, &format!("/org/{ISOC}")).await?;

    // "Read full response", clicked like a reader would.
    let more = client.find(Locator::LinkText("Read full response")).await.map_err(e("Read full response"))?;
    check!(more.is_displayed().await.map_err(e("displayed"))?, "Read full response is not displayed");
    more.click().await.map_err(e("click Read full response"))?;
    wait_for_path(client, &format!("/response/{RESPONSE}")).await?;
    let heading = client.find(Locator::Css("h1")).await.map_err(e("h1"))?.text().await.map_err(e("h1 text"))?;
    check!(heading == "Response to International Digital Strategy", "response heading {heading:?}");
    let section = client.find(Locator::Css("section.response-text")).await.map_err(e("response text"))?;
    check!(section.is_displayed().await.map_err(e("displayed"))?, "the response text is not displayed");
    let shown = words(&section.text().await.map_err(e("response text"))?);
    check!(shown == words(full_text), "the page does not show the full text:\n{shown}\n---\n{full_text}");
    screenshot(client, "response_page.png").await;

    // On a phone-sized window the page fits its width (no sideways scrolling).
    client.goto(&format!("{base}/org/{ISOC}")).await.map_err(e("open the organisation page again"))?;
    client.set_window_size(390, 844).await.map_err(e("phone-sized window"))?;
    let overflow = client
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
        .await
        .map_err(e("measure width"))?;
    screenshot(client, "org_page_phone.png").await;
    check!(overflow.as_i64() == Some(0), "the page is {overflow} px wider than a 390 px phone screen");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_opens_the_internet_society_and_reads_a_full_response_in_chromium() {
    let Some(chromedriver) = on_path("chromedriver") else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "chromedriver is not installed: the end-to-end test needs Debian's chromium and chromium-driver (.ci/run installs them)"
            );
        }
        eprintln!("NOTE: e2e_chromium skipped: chromedriver not found (apt-get install chromium chromium-driver)");
        return;
    };

    // The site on a loopback port, over the demo data.
    let (_data, store) = demo_with_positions().await;
    let app = lobbyscope_web::router(Arc::new(store));
    let api = get(&app, &format!("/api/response/{RESPONSE}")).await;
    assert_eq!(api.status, 200);
    let full_text = serde_json::from_str::<Value>(&api.body).unwrap()["text"].as_str().unwrap().to_owned();
    assert!(full_text.chars().count() > 2000, "a long response, cut on the organisation page");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let out = target_dir().join("e2e");
    std::fs::create_dir_all(&out).unwrap();
    let (driver, port) = start_driver(&chromedriver, &out.join("chromedriver.log"));
    let profile = tempfile::tempdir().unwrap();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = tokio::time::timeout(
        Duration::from_secs(60),
        ClientBuilder::new(connector)
            .capabilities(capabilities(profile.path()))
            .connect(&format!("http://127.0.0.1:{port}")),
    )
    .await
    .expect("Chromium started within 60 s")
    .unwrap_or_else(|e| panic!("no browser session: {e}; see {}", out.join("chromedriver.log").display()));

    let result = tokio::time::timeout(Duration::from_secs(120), browse(&client, &base, &full_text))
        .await
        .unwrap_or_else(|_| Err("the browser steps took over 120 s".into()));
    let _ = client.close().await;
    drop(driver);
    server.abort();
    if let Err(message) = result {
        panic!("{message}");
    }
}
