//! The organisation page and the record pages over the real demo data.

mod common;

use common::{demo_app, get, visible_text};

#[tokio::test]
async fn the_internet_society_page_shows_its_meetings_in_the_example_form() {
    let (_dir, app) = demo_app().await;
    let page = get(&app, "/org/953701819437-32").await;
    assert_eq!(page.status, 200);
    let text = visible_text(&page.body);
    assert!(text.contains(
        "Meeting with Christiane Canenbley (Cabinet of Executive Vice-President Margrethe Vestager), \
         Werner Stengg (Cabinet of Executive Vice-President Margrethe Vestager) 30 Jun 2022 · Broadband Cost Reduction Directive."
    ), "{text}");
    // An EP meeting: capacity, and the other organisation present, linked.
    assert!(text.contains(
        "Meeting with Rasmus Andresen (Member of the European Parliament, Rapporteur) and European Internet Services Providers Association (EuroISPA)"
    ), "{text}");
    // Met under a name without an ID, linked through the name match.
    assert!(text.contains("Meeting with Patrick Breyer (Member of the European Parliament, Shadow rapporteur) 10 Nov 2020 · e-Privacy Derogation"), "{text}");
    assert!(text.contains("Response to International Digital Strategy 21 May 2025"), "{text}");
    assert!(page.body.contains("href=\"/response/"), "Read full response links to the response");
    assert!(page.body.contains("Read full response"));
    // Newest first.
    let at = |needle: &str| text.find(needle).unwrap_or_else(|| panic!("{needle} missing"));
    assert!(at("21 May 2025") < at("30 Jun 2022") && at("30 Jun 2022") < at("10 Nov 2020"));
}

#[tokio::test]
async fn unknown_ids_and_bad_parameters_get_proper_pages() {
    let (_dir, app) = demo_app().await;
    let missing = get(&app, "/org/000000000000-00").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<h1>Not found</h1>"));
    let bad = get(&app, "/org/953701819437-32?year=banana").await;
    assert_eq!(bad.status, 400);
    assert!(visible_text(&bad.body).contains("year=\"banana\" is not valid"));
    let api_bad = get(&app, "/api/org/953701819437-32?page=0").await;
    assert_eq!(api_bad.status, 400);
    assert!(api_bad.body.starts_with('{'), "the API answers errors in JSON: {}", api_bad.body);
    // Only the one address form of a key is an address.
    for not_a_key in
        ["/org/n:", "/org/n:Internet-Society-Germany", "/org/n:internet%20society%20germany", "/org/%20953701819437-32"]
    {
        assert_eq!(get(&app, not_a_key).await.status, 404, "{not_a_key}");
    }
    let unregistered = get(&app, "/api/org/n:internet-society-germany").await;
    assert_eq!(unregistered.status, 200);
    assert!(unregistered.body.contains(r#""key":"n:internet-society-germany""#), "{}", unregistered.body);
    assert_eq!(get(&app, "/no/such/page").await.status, 404);
    assert_eq!(get(&app, "/meeting/not-a-meeting").await.status, 404);
    assert_eq!(get(&app, "/response/99999999999999999999999").await.status, 404);
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let (_dir, app) = demo_app().await;
    for uri in ["/org/953701819437-32", "/api/org/953701819437-32", "/no/such/page"] {
        let r = get(&app, uri).await;
        let csp = r.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{uri}: {csp}");
        assert_eq!(r.headers.get("x-content-type-options").unwrap(), "nosniff", "{uri}");
    }
}

#[tokio::test]
async fn the_header_says_how_the_register_entry_changed_across_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(common::repo("fixtures/register/handmade_namespace_reset.xml")).unwrap();
    let id = original.split("<identificationCode>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let name = original.split("<originalName>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let export = original.split("<exportDate>").nth(1).unwrap().split('<').next().unwrap().to_owned();
    let later = original
        .replacen(&format!("<originalName>{name}<"), "<originalName>Renamed Org<", 1)
        .replace(&format!("<exportDate>{export}<"), "<exportDate>2030-01-01T00:00:00<");
    std::fs::write(dir.path().join("later.xml"), later).unwrap();
    let (_db, store) = common::store_with(&[
        common::repo("fixtures/register/handmade_namespace_reset.xml"),
        dir.path().join("later.xml"),
    ])
    .await;
    let app = lobbyscope_web::router(std::sync::Arc::new(store));
    let page = get(&app, &format!("/org/{id}")).await;
    assert_eq!(page.status, 200);
    let text = visible_text(&page.body);
    assert!(page.body.contains("<h1>Renamed Org</h1>"), "the newest name heads the page");
    assert!(text.contains("Changes across register snapshots"), "{text}");
    assert!(text.contains(&format!("1 Jan 2030: name {name} → Renamed Org")), "{text}");
    assert!(text.contains("snapshot of 1 Jan 2030"), "{text}");
}
