//! The home page (search, latest activity, record counts), the organisations list and the
//! consultation initiative page, over the real demo data. Expected figures come from outside the
//! code under test: direct SQL on the store, the demo's JSON files, `Store::stats`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use common::{Reply, get, repo, store_with, visible_text};
use lobbyscope_store::Store;
use lobbyscope_store_sqlite::SqliteStore;
use serde_json::Value;

const ISOC: &str = "953701819437-32";

async fn demo() -> (tempfile::TempDir, SqliteStore, Router) {
    let (dir, store) = store_with(&[repo("demo")]).await;
    let app = lobbyscope_web::router(Arc::new(store.clone()));
    (dir, store, app)
}

fn json(reply: &Reply) -> Value {
    let kind = reply.headers.get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(kind.starts_with("application/json"), "{kind}: {}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

fn csv_records(body: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
    reader.records().map(|r| r.unwrap()).collect()
}

/// The `href`s of the first cell (`<th scope="row">`) of each body row of the first table after
/// `marker`.
fn row_links(html: &str, marker: &str) -> Vec<String> {
    let start = html.find(marker).unwrap_or_else(|| panic!("{marker} missing"));
    let table = &html[start..];
    let table = &table[..table.find("</table>").expect("a table")];
    table
        .split("<th scope=\"row\">")
        .skip(1)
        .map(|cell| {
            let at = cell.find("href=\"").map(|i| i + 6).expect("a link in the row header");
            cell[at..at + cell[at..].find('"').unwrap()].to_owned()
        })
        .collect()
}

/// Exactly one `<h1>`, and every table captioned.
fn assert_page_structure(uri: &str, html: &str) {
    assert_eq!(html.matches("<h1").count(), 1, "{uri}: one h1");
    assert_eq!(html.matches("<table").count(), html.matches("<caption>").count(), "{uri}: tables have captions");
    assert!(html.contains("<main id=\"main\">"), "{uri}");
}

fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[tokio::test]
async fn the_internet_society_is_found_by_acronym_name_and_register_id() {
    let (_dir, _store, app) = demo().await;

    let page = get(&app, "/?q=isoc").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_page_structure("/?q=isoc", &page.body);
    let links = row_links(&page.body, "<caption>Organisations matching");
    assert_eq!(links.first().map(String::as_str), Some("/org/953701819437-32"), "{links:?}");
    let text = visible_text(&page.body);
    assert!(text.contains("Internet Society (ISOC) 953701819437-32 1 3 4"), "name, register ID and counts: {text}");
    assert!(page.body.contains("value=\"isoc\""), "the search box keeps the query");

    // "Internet Society" is the Internet Society's name without its acronym: an exact match,
    // listed before "Internet Society Germany", which only starts with it.
    let page = get(&app, "/?q=Internet+Society").await;
    assert_eq!(page.status, 200);
    let links = row_links(&page.body, "<caption>Organisations matching");
    assert_eq!(links[0], "/org/953701819437-32", "{links:?}");
    assert!(links.iter().any(|l| l == "/org/n:internet-society-germany"), "{links:?}");
    let api = json(&get(&app, "/api?q=Internet%20Society").await);
    assert_eq!(api["query"], "Internet Society");
    assert_eq!(api["results"][0]["register_id"], ISOC);
    assert_eq!(api["results"][0]["match_kind"], "exact");
    assert_eq!(api["results"][0]["counts"]["commission_meetings"], 1);
    assert_eq!(api["results"][0]["counts"]["parliament_meetings"], 3);
    assert!(api["results"].as_array().unwrap().iter().skip(1).all(|r| r["match_kind"] != "exact"));

    // Case and accents do not matter.
    let api = json(&get(&app, "/api?q=INTERNET%20soci%C3%89ty").await);
    assert_eq!(api["results"][0]["register_id"], ISOC);

    // A register ID goes straight to the organisation; the API lists the one hit.
    let page = get(&app, "/?q=953701819437-32").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.headers["location"], "/org/953701819437-32");
    let api = json(&get(&app, "/api?q=+953701819437-32+").await);
    assert_eq!(api["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&api["results"][0]["key"], &api["results"][0]["match_kind"]),
        (&Value::from(ISOC), &Value::from("exact"))
    );

    let none = get(&app, "/?q=000000000000-00").await;
    assert_eq!(none.status, 200, "an unknown ID is no redirect");
    assert!(visible_text(&none.body).contains("No organisation matches “000000000000-00”."));
    let nothing = json(&get(&app, "/api").await);
    assert!(nothing["query"].is_null() && nothing["results"].is_null());
}

#[tokio::test]
async fn the_home_page_shows_the_record_counts_the_latest_activity_and_the_last_import() {
    let (_dir, store, app) = demo().await;
    let stats = store.stats().await.unwrap();
    let page = get(&app, "/").await;
    assert_eq!(page.status, 200);
    assert_page_structure("/", &page.body);
    let text = visible_text(&page.body);
    for (source, n) in [
        ("EU Transparency Register", stats.register_entries),
        ("European Commission meetings", stats.commission_meetings),
        ("European Parliament meetings", stats.parliament_meetings),
        ("Have Your Say initiatives", stats.initiatives),
        ("Have Your Say responses", stats.consultation_responses),
    ] {
        assert!(n > 0, "{source}: the demo has some");
        assert!(text.contains(&format!("{source} {} ", thousands(n))), "{source}: {n} in {text}");
    }
    assert!(text.contains(&format!(
        "{} organisations ({} with a register ID)",
        thousands(stats.organisations),
        thousands(stats.registered_organisations)
    )));
    // The last import, as the store recorded it.
    let last: String =
        sqlx::query_scalar("SELECT max(imported_at) FROM import_files").fetch_one(store.pool()).await.unwrap();
    assert_eq!(stats.last_import.as_deref(), Some(last.as_str()));
    assert!(page.body.contains(&format!("Last import: <time datetime=\"{last}\">")), "{text}");

    // The API gives the same figures.
    let api = json(&get(&app, "/api").await);
    assert_eq!(api["stats"], serde_json::to_value(&stats).unwrap());

    // Latest activity: the newest dated record in the store comes first (the Internet
    // Society's response of 21 May 2025).
    let newest: String = sqlx::query_scalar(
        "SELECT max(d) FROM (SELECT max(date) AS d FROM meetings UNION ALL SELECT max(date) FROM feedback)",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert!(newest.starts_with("2025-05-21"), "{newest}");
    let latest = &text[text.find("Latest activity").unwrap()..];
    assert!(
        latest.contains("Internet Society : Response to International Digital Strategy 21 May 2025"),
        "named by its author: {latest}"
    );
    assert_eq!(api["latest"][0]["kind"], "response");
    assert_eq!(api["latest"][0]["date"], newest);
    assert_eq!(api["latest"].as_array().unwrap().len(), 10);
    let dates: Vec<String> =
        api["latest"].as_array().unwrap().iter().map(|a| a["date"].as_str().unwrap()[..10].to_owned()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
}

/// Every organisation's activity, counted here in SQL of its own: the distinct meetings it
/// attended per institution, and its responses.
async fn activity_by_sql(store: &SqliteStore) -> Vec<(String, i64, i64, i64)> {
    let meetings: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT a.org_key, a.meeting_id || ' ' || m.institution FROM meeting_attendees a \
         JOIN meetings m ON m.id = a.meeting_id WHERE a.org_key IS NOT NULL",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    let responses: Vec<(String,)> =
        sqlx::query_as("SELECT org_key FROM feedback WHERE org_key IS NOT NULL").fetch_all(store.pool()).await.unwrap();
    let mut counts: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for (org, meeting) in meetings {
        let c = counts.entry(org).or_default();
        if meeting.ends_with(" commission") {
            c.0 += 1;
        } else {
            assert!(meeting.ends_with(" parliament"), "{meeting}");
            c.1 += 1;
        }
    }
    for (org,) in responses {
        counts.entry(org).or_default().2 += 1;
    }
    counts.into_iter().map(|(k, (c, p, r))| (k, c, p, r)).collect()
}

#[tokio::test]
async fn the_organisations_list_sorts_by_activity_and_downloads_as_sorted() {
    let (_dir, store, app) = demo().await;
    let mut by_total = activity_by_sql(&store).await;
    by_total.sort_by_key(|(_, c, p, r)| std::cmp::Reverse(c + p + r));
    let (top_key, c, p, r) = by_total[0].clone();
    assert!(c + p + r > by_total[1].1 + by_total[1].2 + by_total[1].3, "one organisation is ahead of the rest");
    let organisations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM organisations").fetch_one(store.pool()).await.unwrap();

    let page = get(&app, "/orgs").await;
    assert_eq!(page.status, 200);
    assert_page_structure("/orgs", &page.body);
    let links = row_links(&page.body, "<caption>Organisations by total activity");
    assert_eq!(links.len(), 50, "a page of 50");
    assert_eq!(links[0], format!("/org/{top_key}"));
    let text = visible_text(&page.body);
    assert!(text.contains(&format!("{} organisations, sorted by total activity, page 1 of", thousands(organisations))));
    let top_name: String = sqlx::query_scalar("SELECT name FROM organisations WHERE key = ?")
        .bind(&top_key)
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(
        text.contains(&format!("1 {top_name}")) && text.contains(&format!("{c} {p} {r} {}", c + p + r)),
        "{top_name}: {c} {p} {r} in {text}"
    );

    // The JSON twin, and its counts agree with the organisation's own page.
    let api = json(&get(&app, "/api/orgs").await);
    assert_eq!(api["total"], organisations);
    assert_eq!(api["rows"][0]["key"], top_key.as_str());
    assert_eq!(api["rows"][0]["total"], c + p + r);
    let org = json(&get(&app, &format!("/api/org/{top_key}")).await);
    assert_eq!(org["activity"]["counts"], api["rows"][0]["counts"]);
    let totals: Vec<i64> = api["rows"].as_array().unwrap().iter().map(|r| r["total"].as_i64().unwrap()).collect();
    assert!(totals.windows(2).all(|w| w[0] >= w[1]), "{totals:?}");

    // Other orders.
    let by_commission = json(&get(&app, "/api/orgs?sort=commission").await);
    let max_commission = activity_by_sql(&store).await.iter().map(|(_, c, _, _)| *c).max().unwrap();
    assert_eq!(by_commission["rows"][0]["counts"]["commission_meetings"], max_commission);
    let by_name = json(&get(&app, "/api/orgs?sort=name&page=2").await);
    let names: Vec<String> =
        by_name["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    let second = get(&app, "/orgs?page=2").await;
    assert!(visible_text(&second.body).contains(" 51 "), "ranks go on across pages");
    assert!(second.body.contains("rel=\"prev\" href=\"/orgs\""));

    // The CSV holds the whole list, in the same order.
    let csv = get(&app, "/orgs.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let rows = csv_records(&csv.body);
    assert_eq!(&rows[0][0], "rank");
    assert_eq!(rows.len() as i64 - 1, organisations, "one row per organisation");
    assert_eq!((&rows[1][0], &rows[1][8]), ("1", top_key.as_str()));
    assert_eq!(rows[1][7].parse::<i64>().unwrap(), c + p + r);
    // Streamed in pages of 500 read by keyset: the pages join up, each organisation once, in
    // the order of the list's pages.
    assert!(organisations > 500, "the demo's list fills more than one page of the stream");
    let ranks: Vec<String> = rows[1..].iter().map(|r| r[0].to_owned()).collect();
    assert_eq!(ranks, (1..=organisations).map(|n| n.to_string()).collect::<Vec<_>>());
    let keys: Vec<&str> = rows[1..].iter().map(|r| &r[8]).collect();
    let mut listed: Vec<String> = Vec::new();
    for page in 1.. {
        let page = json(&get(&app, &format!("/api/orgs?page={page}")).await);
        let Some(rows) = page["rows"].as_array().filter(|r| !r.is_empty()) else { break };
        listed.extend(rows.iter().map(|r| r["key"].as_str().unwrap().to_owned()));
    }
    assert_eq!(keys, listed, "the CSV lists the organisations as the pages do");
    let csv = get(&app, "/orgs.csv?sort=name").await;
    let rows = csv_records(&csv.body);
    assert_eq!(rows[1][1].to_lowercase(), by_name_first(&store).await);

    // Without a search index, a filter matches names as the home page does, and says so.
    let filtered = json(&get(&app, "/api/orgs?q=isoc").await);
    assert_eq!(filtered["q"], "isoc");
    assert_eq!(filtered["rows"][0]["register_id"], "953701819437-32");
    assert!(filtered["total"].as_u64().unwrap() < 10, "{filtered}");
    let page = visible_text(&get(&app, "/orgs?q=isoc").await.body);
    assert!(page.contains("This server has no search index"), "{page}");
}

async fn by_name_first(store: &SqliteStore) -> String {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM organisations").fetch_all(store.pool()).await.unwrap();
    names.into_iter().map(|n| n.to_lowercase()).min().unwrap()
}

/// The demo's responses to initiative 13017, read from its JSON files: the initiative's
/// publications, and the feedback pages' items to them.
fn demo_responses_to_13017() -> Vec<Value> {
    let dir = repo("demo/have_your_say");
    let initiative: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("initiative_13017.json")).unwrap()).unwrap();
    let publications: Vec<u64> =
        initiative["publications"].as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.file_name().unwrap().to_str().unwrap().starts_with("feedback_") {
            continue;
        }
        let page: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let items = page["content"].as_array().or_else(|| page["_embedded"]["feedbackV1"].as_array()).unwrap();
        for item in items {
            let publication = item["publicationId"].as_u64().or_else(|| item["publication_id"].as_u64()).unwrap();
            if publications.contains(&publication) {
                out.push(item.clone());
            }
        }
    }
    out
}

/// The rows of a counts table: label → count.
fn count_table(html: &str, caption: &str) -> BTreeMap<String, String> {
    let start = html.find(&format!("<caption>{caption}</caption>")).unwrap_or_else(|| panic!("{caption}"));
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    table
        .split("<tr>")
        .skip(2)
        .map(|row| {
            let text = visible_text(row);
            let (label, n) = text.rsplit_once(' ').unwrap();
            (label.to_owned(), n.to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_initiative_page_shows_publications_responses_and_counts() {
    let (_dir, _store, app) = demo().await;
    let expected = demo_responses_to_13017();
    assert_eq!(expected.len(), 1, "the demo holds the Internet Society's response only");

    let page = get(&app, "/initiative/13017").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_page_structure("/initiative/13017", &page.body);
    let text = visible_text(&page.body);
    assert!(text.contains("Declaration of Digital Principles – the ‘European way’ for the digital society"), "{text}");
    // The demo's initiative gives neither reference nor DG: shown as missing.
    assert!(text.contains("Reference Not given in the source"), "{text}");
    assert!(text.contains("Directorate-General Not given in the source"), "{text}");
    assert!(text.contains("Topics Digital economy and society"));
    assert!(page.body.contains(
        "href=\"https://ec.europa.eu/info/law/better-regulation/have-your-say/initiatives/13017_en\" rel=\"external\""
    ));
    // Both publications: the roadmap without a type, the public consultation with the portal's count.
    let publications = &text[text.find("Publications").unwrap()..text.find("Who responded").unwrap()];
    assert!(publications.contains("Type not given Date not given 1 imported here"), "{publications}");
    assert!(
        publications.contains(
            "Public consultation (OPC_LAUNCHED) Date not given 609 responses according to the portal · 0 imported here"
        ),
        "{publications}"
    );
    assert!(text.contains("Who responded Counts of the 1 response imported here;"), "{text}");

    // The Internet Society's response, linked to its organisation and to the full text.
    let responses = &text[text.find("Responses 1 response, newest first.").expect("the responses section")..];
    assert!(
        responses.contains("Internet Society 31 May 2021 · respondent type not given · country not given"),
        "{responses}"
    );
    assert!(responses.contains("To sustain the Internet’s value for our future"), "the excerpt: {responses}");
    assert!(page.body.contains("<a href=\"/org/953701819437-32\">Internet Society</a>"));
    let id = expected[0]["id"].as_u64().unwrap();
    assert!(page.body.contains(&format!("<a class=\"more\" href=\"/response/{id}\">Read full response</a>")));
    let full = get(&app, &format!("/response/{id}")).await;
    assert_eq!(full.status, 200);
    let published = expected[0]["feedback"].as_str().unwrap();
    let first_line = published.lines().next().unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(visible_text(&full.body).contains(&first_line), "the full response: {first_line}");

    // Counts by respondent type and by country, as the demo files give them (neither field is
    // in the demo's responses).
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_country: BTreeMap<String, usize> = BTreeMap::new();
    for r in &expected {
        *by_type.entry(r["userType"].as_str().unwrap_or("Not given").to_owned()).or_default() += 1;
        *by_country.entry(r["country"].as_str().unwrap_or("Not given").to_owned()).or_default() += 1;
    }
    let as_text = |m: BTreeMap<String, usize>| m.into_iter().map(|(k, v)| (k, v.to_string())).collect();
    assert_eq!(count_table(&page.body, "Responses by respondent type"), as_text(by_type));
    assert_eq!(count_table(&page.body, "Responses by country"), as_text(by_country));

    // The JSON twin.
    let api = json(&get(&app, "/api/initiative/13017").await);
    assert_eq!(api["initiative"]["id"], 13017);
    assert_eq!(api["initiative"]["publications"][1]["kind"], "OPC_LAUNCHED");
    assert_eq!(api["initiative"]["publications"][1]["total_feedback"], 609);
    assert!(api["initiative"]["reference"].is_null() && api["initiative"]["dg"].is_null());
    assert_eq!(api["responses"]["total"], 1);
    assert_eq!(api["responses"]["items"][0]["id"], id);
    assert_eq!(api["responses"]["by_user_type"], serde_json::json!([{ "value": null, "count": 1 }]));
    assert_eq!(
        api["official_url"],
        "https://ec.europa.eu/info/law/better-regulation/have-your-say/initiatives/13017_en"
    );

    // CSV and Atom of the responses.
    let csv = get(&app, "/initiative/13017/responses.csv").await;
    assert_eq!(csv.status, 200);
    let rows = csv_records(&csv.body);
    assert_eq!(rows.len(), 1 + expected.len());
    assert_eq!((&rows[1][1], &rows[1][6]), ("response", "Internet Society"));
    assert_eq!(&rows[1][11], format!("/response/{id}"));
    let atom = get(&app, "/initiative/13017/feed.atom").await;
    assert_eq!(atom.status, 200);
    assert!(atom.headers["content-type"].to_str().unwrap().starts_with("application/atom+xml"));
    assert_eq!(atom.body.matches("<entry>").count(), 1);
    assert!(atom.body.contains(&format!("urn:lobbyscope:response:{id}")));
}

#[tokio::test]
async fn unknown_initiatives_are_404_and_bad_parameters_400() {
    let (_dir, _store, app) = demo().await;
    for uri in [
        "/initiative/1",
        "/initiative/abc",
        "/initiative/+13017",
        "/initiative/1/responses.csv",
        "/initiative/1/feed.atom",
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, 404, "{uri}");
        assert!(r.body.contains("<h1>Not found</h1>"), "{uri}");
    }
    let api = get(&app, "/api/initiative/99999999999999999999999").await;
    assert_eq!(api.status, 404);
    assert!(json(&api)["message"].is_string());

    let long = "a".repeat(201);
    for (uri, needle) in [
        ("/orgs?sort=size".to_owned(), "sort=\"size\" is not valid"),
        ("/orgs?page=0".to_owned(), "page=\"0\" is not valid"),
        ("/orgs.csv?sort=biggest".to_owned(), "sort=\"biggest\""),
        (format!("/?q={long}"), "parameter q is not valid: expected at most 200 characters"),
        ("/initiative/13017?page=abc".to_owned(), "page=\"abc\""),
    ] {
        let r = get(&app, &uri).await;
        assert_eq!(r.status, 400, "{uri}");
        assert!(visible_text(&r.body).contains(needle), "{uri}: {}", visible_text(&r.body));
    }
    assert_eq!(get(&app, "/api?q=").await.status, 200, "an empty search is no search");
    for uri in ["/api/orgs?sort=size", "/api/initiative/13017?page=0"] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, 400, "{uri}");
        assert!(json(&r)["message"].as_str().unwrap().contains("is not valid"), "{uri}");
    }
    let r = get(&app, &format!("/api?q={long}")).await;
    assert_eq!(r.status, 400);
    assert!(json(&r)["message"].as_str().unwrap().contains("parameter q"));
    // 200 characters is allowed, however many bytes they take.
    let r = get(&app, &format!("/?q={}", "%C3%A9".repeat(200))).await;
    assert_eq!(r.status, 200);
}
