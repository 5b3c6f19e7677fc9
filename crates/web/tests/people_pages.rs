//! The MEP, Commission official and procedure pages, over the real demo data and over a small
//! hand-made EP export that cites procedures (the demo's EP copy has no procedure references).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a broken expectation fails the test"
)]

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::{Reply, demo_app, get, repo, store_with, visible_text};

/// The demo's EP rows of one MEP, read straight from the gzipped CSV (not through lobbyscope's
/// parser), identical rows counted once as the store counts them.
fn demo_ep_rows(member_id: &str) -> HashSet<Vec<String>> {
    let path = repo("demo/ep_meetings/search-meetings_2019-06_2022-02_relaid.csv.gz");
    let out = std::process::Command::new("gzip").arg("-dc").arg(&path).output().expect("gzip runs");
    assert!(out.status.success(), "gzip -dc {}", path.display());
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} column"));
    let id = col("member_id");
    reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| &r[id] == member_id)
        .map(|r| r.iter().map(str::to_owned).collect())
        .collect()
}

fn ep_column(name: &str) -> usize {
    ["title", "member_id", "member_name", "meeting_date", "member_capacity"].iter().position(|c| *c == name).unwrap()
}

fn json(reply: &Reply) -> serde_json::Value {
    assert!(
        reply.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/json"),
        "{}",
        reply.body
    );
    serde_json::from_str(&reply.body).unwrap()
}

/// The records of a CSV download, header first.
fn csv_records(body: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body.as_bytes());
    reader.records().map(|r| r.unwrap()).collect()
}

fn h1_count(html: &str) -> usize {
    html.matches("<h1").count()
}

#[tokio::test]
async fn patrick_breyers_page_lists_his_meetings_with_capacity_and_organisations() {
    let rows = demo_ep_rows("197431");
    let total = rows.len();
    assert_eq!(total, 55, "the demo file's count, as counted outside lobbyscope");
    let in_2020 = rows.iter().filter(|r| r[ep_column("meeting_date")].starts_with("2020-")).count();
    let shadow = rows.iter().filter(|r| r[ep_column("member_capacity")] == "Shadow rapporteur").count();

    let (_dir, app) = demo_app().await;
    let page = get(&app, "/mep/197431").await;
    assert_eq!(page.status, 200);
    assert_eq!(h1_count(&page.body), 1);
    let text = visible_text(&page.body);
    assert!(text.contains("Patrick Breyer Member of the European Parliament"), "{text}");
    assert!(page.body.contains("href=\"https://www.europarl.europa.eu/meps/en/197431/home\""));
    assert!(text.contains(&format!("{total} meetings with interest representatives")), "{text}");
    assert!(text.contains(&format!("{total} of {total} meetings, page 1 of 3.")), "{text}");
    assert!(text.contains(&format!("Shadow rapporteur ({shadow} meetings)")), "{text}");
    assert_eq!(page.body.matches("<article class=\"item item-meeting\" id=").count(), 25);
    assert!(page.body.contains("<a rel=\"next\" href=\"/mep/197431?page=2\">Older</a>"));
    assert!(!page.body.contains("href=\"/mep/197431\""), "his own name is not a link to the page it is on");

    let last = get(&app, "/mep/197431?page=3").await;
    assert_eq!(last.body.matches("<article class=\"item item-meeting\" id=").count(), total - 50);
    assert!(last.body.contains("<a rel=\"prev\" href=\"/mep/197431?page=2\">Newer</a>"));

    let year = get(&app, "/mep/197431?year=2020").await;
    let text = visible_text(&year.body);
    assert!(text.contains(&format!("{in_2020} of {total} meetings.")), "{text}");
    assert!(
        text.contains(
            "Meeting with Patrick Breyer (Member of the European Parliament, Shadow rapporteur) and \
             Internet Society (ISOC) 10 Nov 2020 · e-Privacy Derogation"
        ),
        "{text}"
    );
    assert!(year.body.contains("<a href=\"/org/953701819437-32\">Internet Society (ISOC)</a>"));
    assert!(year.body.contains("<option value=\"2020\" selected>2020</option>"));
    assert!(year.body.contains("href=\"/mep/197431/activity.csv?year=2020\""));
    // Each meeting links its source: the official page and the imported record.
    assert!(year.body.contains(
        "<a href=\"https://www.europarl.europa.eu/meps/en/197431/home\" rel=\"external\">European Parliament meetings export (CSV)</a>"
    ));
    assert!(year.body.contains(">search-meetings_2019-06_2022-02_relaid.csv.gz, line "));
    assert!(year.body.contains("href=\"/meeting/"));
}

#[tokio::test]
async fn patrick_breyers_json_csv_and_feed_hold_the_same_meetings() {
    let total = demo_ep_rows("197431").len();
    let (_dir, app) = demo_app().await;

    let api = get(&app, "/api/mep/197431").await;
    assert_eq!(api.status, 200);
    let v = json(&api);
    assert_eq!(v["key"], "mep:197431");
    assert_eq!(v["kind"], "mep");
    assert_eq!(v["name"], "BREYER Patrick");
    assert_eq!(v["display_name"], "Patrick Breyer");
    assert_eq!(v["ep_id"], 197431);
    assert_eq!(v["official_url"], "https://www.europarl.europa.eu/meps/en/197431/home");
    assert_eq!(v["activity"]["matching"], total);
    assert_eq!(v["activity"]["counts"]["parliament_meetings"], total);
    assert_eq!(v["activity"]["counts"]["responses"], 0);
    assert_eq!(v["activity"]["items"].as_array().unwrap().len(), 25);
    let roles: u64 = v["roles"].as_array().unwrap().iter().map(|r| r["meetings"].as_u64().unwrap()).sum();
    assert_eq!(roles as usize, total, "every demo row has a capacity");
    let year = json(&get(&app, "/api/mep/197431?year=2020&page=1").await);
    let item = year["activity"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["date"] == "2020-11-10")
        .expect("the 10 Nov 2020 meeting");
    assert_eq!(item["kind"], "meeting");
    assert_eq!(item["subject"], "e-Privacy Derogation");
    assert_eq!(item["hosts"][0]["role"], "Shadow rapporteur");
    assert_eq!(item["attendees"][0]["org_key"], "953701819437-32");

    let csv = get(&app, "/mep/197431/activity.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.headers.get("content-type").unwrap(), "text/csv; charset=utf-8");
    assert!(
        csv.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("lobbyscope-mep-197431-activity.csv")
    );
    let records = csv_records(&csv.body);
    assert_eq!(&records[0][0], "date");
    assert_eq!(&records[0][11], "record_url");
    assert_eq!(records.len() - 1, total, "one row per meeting");
    let urls: HashSet<&str> = records[1..].iter().map(|r| r.get(11).unwrap()).collect();
    assert_eq!(urls.len(), total, "each row a different meeting");
    let row = records.iter().find(|r| &r[0] == "2020-11-10").expect("the 10 Nov 2020 row");
    assert_eq!(
        (&row[1], &row[2], &row[4], &row[6]),
        ("meeting", "parliament", "e-Privacy Derogation", "Internet Society (ISOC)")
    );
    let in_2020 = csv_records(&get(&app, "/mep/197431/activity.csv?year=2020").await.body).len() - 1;
    assert_eq!(in_2020, year["activity"]["matching"].as_u64().unwrap() as usize, "the CSV is filtered as the page");

    let feed = get(&app, "/mep/197431/feed.atom").await;
    assert_eq!(feed.status, 200);
    assert_eq!(feed.headers.get("content-type").unwrap(), "application/atom+xml; charset=utf-8");
    assert!(feed.body.contains("<title>Meetings: Patrick Breyer</title>"));
    assert_eq!(feed.body.matches("<entry>").count(), total.min(50));
}

#[tokio::test]
async fn christiane_canenbleys_page_shows_her_title_cabinet_and_meetings() {
    // 65 rows of the demo XLSX name her in "Name of EC representative", all distinct (counted
    // with openpyxl); the Rust tests have no XLSX reader of their own to recount them.
    let total = 65;
    let (_dir, app) = demo_app().await;
    let page = get(&app, "/official/christiane-canenbley").await;
    assert_eq!(page.status, 200);
    assert_eq!(h1_count(&page.body), 1);
    let text = visible_text(&page.body);
    assert!(text.contains("Christiane Canenbley European Commission"), "{text}");
    assert!(text.contains(&format!("Title Cabinet member ({total} meetings)")), "{text}");
    assert!(
        text.contains(&format!("Cabinet Cabinet of Executive Vice-President Margrethe Vestager ({total} meetings)")),
        "{text}"
    );
    assert!(text.contains(&format!("Portfolio Europe Fit for Digital Age ({total} meetings)")), "{text}");
    assert!(text.contains(&format!("{total} of {total} meetings, page 1 of 3.")), "{text}");

    let year = get(&app, "/official/christiane-canenbley?year=2022").await;
    let text = visible_text(&year.body);
    assert!(
        text.contains(
            "Meeting with Christiane Canenbley (Cabinet of Executive Vice-President Margrethe Vestager), \
             Werner Stengg (Cabinet of Executive Vice-President Margrethe Vestager) and Internet Society (ISOC) \
             30 Jun 2022 · Broadband Cost Reduction Directive."
        ),
        "{text}"
    );
    assert!(year.body.contains("<a href=\"/official/werner-stengg\">Werner Stengg</a>"), "co-hosts link their page");
    assert!(text.contains("meetingscommissionrepresentatives1924_generated-2023-06-13.xlsx, row 3116"), "{text}");

    let v = json(&get(&app, "/api/official/christiane-canenbley").await);
    assert_eq!(v["kind"], "commission");
    assert_eq!(v["display_name"], "Christiane Canenbley");
    assert_eq!(v["official_url"], serde_json::Value::Null);
    assert_eq!(v["roles"], serde_json::json!([{ "label": "Cabinet member", "meetings": total }]));
    assert_eq!(v["activity"]["counts"]["commission_meetings"], total);

    // One who moved between cabinets: both are listed, with their counts.
    let moved = visible_text(&get(&app, "/official/agnieszka-drzewoska").await.body);
    assert!(moved.contains("Cabinet of Commissioner Mairead Mcguinness (64 meetings)"), "{moved}");
    assert!(moved.contains("Cabinet of Commissioner Phil Hogan (15 meetings)"), "{moved}");

    let csv = csv_records(&get(&app, "/official/christiane-canenbley/activity.csv").await.body);
    assert_eq!(csv.len() - 1, total);
    let feed = get(&app, "/official/christiane-canenbley/feed.atom").await;
    assert_eq!(feed.body.matches("<entry>").count(), 50);
}

#[tokio::test]
async fn unknown_people_get_404s_and_bad_values_400s() {
    let (_dir, app) = demo_app().await;
    for uri in [
        "/mep/1",
        "/mep/abc",
        "/mep/0197431",
        "/mep/1/activity.csv",
        "/mep/1/feed.atom",
        "/official/nobody-at-all",
        "/official/Christiane-Canenbley",
        "/official/christiane--canenbley",
        "/official/christiane%20canenbley",
        "/official/nobody-at-all/feed.atom",
    ] {
        let r = get(&app, uri).await;
        assert_eq!(r.status, 404, "{uri}");
        assert!(r.body.contains("<h1>Not found</h1>"), "{uri}: {}", r.body);
    }
    let api = get(&app, "/api/mep/1").await;
    assert_eq!(api.status, 404);
    assert_eq!(json(&api)["error"], "Not found");
    assert_eq!(get(&app, "/api/official/nobody-at-all").await.status, 404);

    let bad = get(&app, "/mep/197431?year=banana").await;
    assert_eq!(bad.status, 400);
    assert!(visible_text(&bad.body).contains("year=\"banana\" is not valid"));
    assert_eq!(get(&app, "/official/christiane-canenbley?page=0").await.status, 400);
    assert_eq!(get(&app, "/mep/197431/activity.csv?institution=council").await.status, 400);
    let api_bad = get(&app, "/api/official/christiane-canenbley?kind=everything").await;
    assert_eq!(api_bad.status, 400);
    assert!(json(&api_bad)["message"].as_str().unwrap().contains("kind"));

    for uri in ["/procedure/2022/155(COD)", "/procedure/2022/0155(cod)", "/procedure/nonsense", "/procedure/2022/0155"]
    {
        let r = get(&app, uri).await;
        assert_eq!(r.status, 400, "{uri}");
        assert!(visible_text(&r.body).contains("expected the form 2022/0155(COD)"), "{uri}: {}", r.body);
    }
    assert_eq!(get(&app, "/procedure/2022/0155(COD)?year=1700").await.status, 400);
    let api_bad = get(&app, "/api/procedure/2022-0155-COD").await;
    assert_eq!(api_bad.status, 400);
    assert_eq!(json(&api_bad)["error"], "Bad request");

    // A page of a person, past its end, is an empty page rather than an error.
    let past = get(&app, "/mep/197431?page=9").await;
    assert_eq!(past.status, 200);
    assert!(visible_text(&past.body).contains("No meeting matches these filters."));

    for uri in ["/mep/197431", "/api/mep/197431", "/official/christiane-canenbley", "/procedure/2022/0155(COD)"] {
        let r = get(&app, uri).await;
        let csp = r.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("default-src 'none'"), "{uri}: {csp}");
    }
}

#[tokio::test]
async fn a_procedure_no_demo_meeting_cites_gets_a_page_saying_so() {
    let (_dir, app) = demo_app().await;
    let page = get(&app, "/procedure/2022/0155(COD)").await;
    assert_eq!(page.status, 200);
    assert_eq!(h1_count(&page.body), 1);
    let text = visible_text(&page.body);
    assert!(text.contains("Procedure 2022/0155(COD)"), "{text}");
    assert!(text.contains("No meeting in the imported records cites this procedure."), "{text}");
    assert!(page.body.contains("<meta name=\"robots\" content=\"noindex\">"));
    assert!(page.body.contains("ficheprocedure.do?reference=2022/0155(COD)"), "links the official file");
    let v = json(&get(&app, "/api/procedure/2022/0155(COD)").await);
    assert_eq!(v["reference"], "2022/0155(COD)");
    assert_eq!(v["activity"]["matching"], 0);
    assert_eq!(v["activity"]["items"], serde_json::json!([]));
    let csv = csv_records(&get(&app, "/procedure/2022/0155(COD)/activity.csv").await.body);
    assert_eq!(csv.len(), 1, "the header alone");
}

/// An EP export in the official layout with procedure references, one row with hostile text.
const EP_CSV: &str = "\
title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id
e-Privacy Derogation,197431,BREYER Patrick,2020-11-10,Shadow rapporteur,2020/0259(COD),Internet Society (ISOC),953701819437-32
Hydrogen and gas markets,197448,ANDRESEN Rasmus,2021-05-20,Rapporteur,\"2020/0360(COD), 2020/0259(COD)\",Vattenfall,12955024114-93
\"Chat control <script>alert(1)</script>\",197431,BREYER Patrick,2021-06-01,Member,2020/0259(COD),<b>Evil</b> & Co,
Budget,197431,BREYER Patrick,2021-07-01,Member,,European Digital Rights (EDRi),16311905144-06
";

#[tokio::test]
async fn a_procedure_page_lists_every_meeting_citing_it() {
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("ep_with_procedures.csv");
    std::fs::write(&csv_path, EP_CSV).unwrap();
    // The DG fixture: a Commission meeting whose subject cites 2020/0360(COD).
    let (_store_dir, store) = store_with(&[csv_path, repo("fixtures/ec_meetings/dg_meetings.xlsx")]).await;
    let app = lobbyscope_web::router(Arc::new(store));

    let page = get(&app, "/procedure/2020/0259(COD)").await;
    assert_eq!(page.status, 200);
    assert_eq!(h1_count(&page.body), 1);
    assert!(!page.body.contains("noindex"));
    let text = visible_text(&page.body);
    assert!(text.contains("3 meetings cite this procedure: 0 with the Commission · 3 with MEPs"), "{text}");
    assert!(text.contains("3 of 3 meetings."), "{text}");
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing: {text}"));
    // Newest first; each with its MEP, capacity and organisations.
    assert!(at("1 Jun 2021") < at("20 May 2021") && at("20 May 2021") < at("10 Nov 2020"));
    assert!(
        text.contains(
            "Meeting with Rasmus Andresen (Member of the European Parliament, Rapporteur) and Vattenfall 20 May 2021 · \
         Hydrogen and gas markets Procedure: 2020/0259(COD), 2020/0360(COD)"
        ),
        "{text}"
    );
    assert!(page.body.contains("<a href=\"/mep/197448\">Rasmus Andresen</a>"));
    assert!(page.body.contains("<a href=\"/org/12955024114-93\">Vattenfall</a>"));
    assert!(page.body.contains("<a href=\"/procedure/2020/0360(COD)\">2020/0360(COD)</a>"), "other procedures link");
    assert!(!page.body.contains("href=\"/procedure/2020/0259(COD)\""), "the page's own procedure is not a link");
    assert!(!text.contains("Budget"), "a meeting citing no procedure is not listed");
    // Source text is escaped.
    assert!(text.contains("Chat control <script>alert(1)</script>"), "{text}");
    assert!(text.contains("<b>Evil</b> & Co"), "{text}");
    assert!(!page.body.contains("<script>") && !page.body.contains("<b>Evil"));

    let commission = get(&app, "/procedure/2020/0259(COD)?institution=commission").await;
    assert!(visible_text(&commission.body).contains("0 of 3 meetings. "));
    assert!(visible_text(&commission.body).contains("No meeting matches these filters."));
    assert!(commission.body.contains("<option value=\"commission\" selected>"));
    let year = get(&app, "/procedure/2020/0259(COD)?year=2021").await;
    assert!(visible_text(&year.body).contains("2 of 3 meetings."));
    // The reference percent-encoded, as some clients send it, is the same page.
    let encoded = get(&app, "/procedure/2020%2F0259%28COD%29").await;
    assert_eq!(encoded.status, 200);
    assert!(visible_text(&encoded.body).contains("3 of 3 meetings."));

    // Both institutions: the EP meeting and the Directorate-General's meeting.
    let both = get(&app, "/procedure/2020/0360(COD)").await;
    let text = visible_text(&both.body);
    assert!(text.contains("2 meetings cite this procedure: 1 with the Commission · 1 with MEPs"), "{text}");
    assert!(
        text.contains(
            "Meeting with John Example (Director-General, Directorate-General for Energy), Anna Example \
         (Deputy Director-General, Directorate-General for Energy) and Vattenfall and ENGIE 1 Apr 2021 · \
         Hydrogen strategy 2020/0360(COD)"
        ),
        "{text}"
    );
    assert!(both.body.contains("<a href=\"/official/john-example\">John Example</a>"));

    let v = json(&get(&app, "/api/procedure/2020/0259(COD)?year=2021").await);
    assert_eq!(v["reference"], "2020/0259(COD)");
    assert_eq!(v["activity"]["matching"], 2);
    assert_eq!(v["activity"]["counts"]["parliament_meetings"], 3);
    for item in v["activity"]["items"].as_array().unwrap() {
        assert!(item["procedures"].as_array().unwrap().contains(&serde_json::json!("2020/0259(COD)")));
    }

    let csv = get(&app, "/procedure/2020/0259(COD)/activity.csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("lobbyscope-procedure-2020-0259COD-activity.csv")
    );
    let records = csv_records(&csv.body);
    assert_eq!(records.len() - 1, 3, "one row per meeting");
    assert!(records[1..].iter().all(|r| r[7].contains("2020/0259(COD)")), "{records:?}");
    assert_eq!(csv_records(&get(&app, "/procedure/2020/0259(COD)/activity.csv?year=2020").await.body).len() - 1, 1);

    let feed = get(&app, "/procedure/2020/0259(COD)/feed.atom").await;
    assert_eq!(feed.headers.get("content-type").unwrap(), "application/atom+xml; charset=utf-8");
    assert!(feed.body.contains("<title>Meetings citing procedure 2020/0259(COD)</title>"));
    assert_eq!(feed.body.matches("<entry>").count(), 3);
    assert!(!feed.body.contains("<script>"));

    // A Director-General's page: title and DG, as published.
    let official = visible_text(&get(&app, "/official/jane-example").await.body);
    assert!(official.contains("Title Director-General (1 meeting)"), "{official}");
    assert!(official.contains("Directorate-General Directorate-General for Competition (1 meeting)"), "{official}");
    // The MEP's page in this store: his three meetings, capacities counted.
    let mep = visible_text(&get(&app, "/mep/197431").await.body);
    assert!(mep.contains("3 of 3 meetings."), "{mep}");
    assert!(mep.contains("Member (2 meetings)") && mep.contains("Shadow rapporteur (1 meeting)"), "{mep}");
}
