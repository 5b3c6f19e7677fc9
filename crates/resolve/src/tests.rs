use lobbyscope_store::{MentionGroup, MentionRef};

use super::*;

fn id(s: &str) -> RegisterId {
    RegisterId::parse(s).unwrap()
}

fn reg(register_id: &str, name: &str, acronym: Option<&str>, date: &str) -> RegisteredName {
    RegisteredName {
        register_id: id(register_id),
        name: name.into(),
        acronym: acronym.map(Into::into),
        snapshot_date: date.parse().unwrap(),
    }
}

fn group(meeting: &str, items: &[(Option<&str>, Option<&str>)]) -> MentionGroup {
    MentionGroup {
        mentions: items
            .iter()
            .enumerate()
            .map(|(i, (name, rid))| Mention {
                at: MentionRef::Attendee { meeting_id: meeting.into(), position: i as u32 },
                name: name.map(Into::into),
                register_id: rid.map(id),
            })
            .collect(),
    }
}

fn registry() -> Vec<RegisteredName> {
    vec![
        reg("953701819437-32", "Internet Society (ISOC)", None, "2018-10-25"),
        reg("3978240953-79", "BUSINESSEUROPE", None, "2018-10-25"),
        reg(
            "12345678901-11",
            "Council of European Employers of the Metal, Engineering and Technology-based Industries",
            Some("CEEMET"),
            "2018-10-25",
        ),
        reg("11111111111-11", "Acme SA", None, "2018-10-25"),
        reg("22222222222-22", "ACME GmbH", None, "2018-10-25"),
        reg("33333333333-33", "Old Name", None, "2017-01-01"),
        reg("33333333333-33", "New Name", None, "2018-10-25"),
    ]
}

fn methods(r: &Resolution) -> Vec<(String, LinkMethod)> {
    r.links.iter().map(|l| (l.org.url_segment(), l.method)).collect()
}

#[test]
fn internet_society_is_found_by_name_base_name_and_acronym() {
    let inputs = LinkInputs {
        registered: registry(),
        aliases: vec![],
        groups: vec![group(
            "m",
            &[(Some("Internet Society (ISOC)"), None), (Some("internet society"), None), (Some("ISOC"), None)],
        )],
    };
    let r = resolve(&inputs);
    assert_eq!(
        methods(&r),
        [
            ("953701819437-32".into(), LinkMethod::ExactName),
            ("953701819437-32".into(), LinkMethod::ExactName),
            ("953701819437-32".into(), LinkMethod::Acronym),
        ]
    );
}

#[test]
fn register_id_wins_over_name() {
    let inputs = LinkInputs {
        registered: registry(),
        aliases: vec![],
        groups: vec![group("m", &[(Some("BUSINESSEUROPE"), Some("953701819437-32"))])],
    };
    assert_eq!(methods(&resolve(&inputs)), [("953701819437-32".into(), LinkMethod::RegisterId)]);
}

#[test]
fn comma_split_pieces_are_rejoined_only_when_they_match() {
    let inputs = LinkInputs {
        registered: registry(),
        aliases: vec![],
        groups: vec![group(
            "m",
            &[
                (Some("BUSINESSEUROPE"), None),
                (Some("Council of European Employers of the Metal"), None),
                (Some("Engineering and Technology-based Industries"), None),
                (Some("Greenpeace"), None),
                (Some("Friends"), None),
            ],
        )],
    };
    let r = resolve(&inputs);
    assert_eq!(
        methods(&r),
        [
            ("3978240953-79".into(), LinkMethod::ExactName),
            ("12345678901-11".into(), LinkMethod::JoinedName),
            ("12345678901-11".into(), LinkMethod::JoinedName),
            ("n:greenpeace".into(), LinkMethod::Unmatched),
            ("n:friends".into(), LinkMethod::Unmatched),
        ]
    );
}

#[test]
fn a_name_of_several_registered_organisations_is_not_guessed() {
    let inputs =
        LinkInputs { registered: registry(), aliases: vec![], groups: vec![group("m", &[(Some("acme"), None)])] };
    let r = resolve(&inputs);
    assert_eq!(methods(&r), [("n:acme".into(), LinkMethod::Ambiguous)]);
    let acme = r.organisations.iter().find(|o| o.key.url_segment() == "n:acme").unwrap();
    assert_eq!(acme.register_id, None);
}

#[test]
fn organisations_take_the_newest_register_name_or_the_published_one() {
    let inputs = LinkInputs {
        registered: registry(),
        aliases: vec![],
        groups: vec![group(
            "m",
            &[
                (Some("Unlisted Org"), Some("99999999999-99")),
                (None, Some("88888888888-88")),
                (Some("  Some NGO "), None),
            ],
        )],
    };
    let r = resolve(&inputs);
    let name = |k: &str| r.organisations.iter().find(|o| o.key.url_segment() == k).map(|o| o.name.clone());
    assert_eq!(name("33333333333-33").as_deref(), Some("New Name"));
    assert_eq!(name("99999999999-99").as_deref(), Some("Unlisted Org"));
    assert_eq!(name("88888888888-88").as_deref(), Some("88888888888-88"));
    assert_eq!(name("n:some-ngo").as_deref(), Some("Some NGO"));
    assert_eq!(name("953701819437-32").as_deref(), Some("Internet Society (ISOC)"));
    let isoc = r.organisations.iter().find(|o| o.key.url_segment() == "953701819437-32").unwrap();
    assert_eq!(isoc.acronym.as_deref(), Some("ISOC"));
}

#[test]
fn punctuation_only_names_make_no_organisation() {
    let inputs = LinkInputs { registered: vec![], aliases: vec![], groups: vec![group("m", &[(Some(" - "), None)])] };
    let r = resolve(&inputs);
    assert!(r.links.is_empty());
    assert!(r.organisations.is_empty());
}

#[test]
fn a_name_longer_than_any_organisation_s_makes_none_and_names_none() {
    let long = "word ".repeat(MAX_NAME_BYTES / 5 + 1);
    let inputs = LinkInputs {
        registered: registry(),
        aliases: vec![],
        groups: vec![group("m", &[(Some(&long), None), (Some(&long), Some("3978240953-79")), (Some("Zeta"), None)])],
    };
    let r = resolve(&inputs);
    // The registered one is still linked by its ID, under its register name; Zeta as ever.
    assert_eq!(
        methods(&r),
        [("3978240953-79".into(), LinkMethod::RegisterId), ("n:zeta".into(), LinkMethod::Unmatched)]
    );
    let unregistered: Vec<&str> =
        r.organisations.iter().filter(|o| o.register_id.is_none()).map(|o| o.name.as_str()).collect();
    assert_eq!(unregistered, ["Zeta"]);
    assert!(r.organisations.iter().all(|o| o.name.len() < MAX_NAME_BYTES), "no organisation is named by the long text");
    // Just within the bound, a name is a name.
    let within = "w".repeat(MAX_NAME_BYTES);
    let inputs = LinkInputs { registered: vec![], aliases: vec![], groups: vec![group("m", &[(Some(&within), None)])] };
    assert_eq!(resolve(&inputs).organisations.len(), 1);
}

#[test]
fn resolution_does_not_depend_on_registry_order() {
    let mut reversed = registry();
    reversed.reverse();
    let groups = vec![group("m", &[(Some("Internet Society"), None), (Some("New Name"), None)])];
    let a = resolve(&LinkInputs { registered: registry(), aliases: vec![], groups: groups.clone() });
    let b = resolve(&LinkInputs { registered: reversed, aliases: vec![], groups });
    assert_eq!(a.links, b.links);
    assert_eq!(a.organisations, b.organisations);
}

#[test]
fn a_long_name_sharing_most_of_its_text_with_another_is_not_it() {
    let tail = " <script>alert(1)</script> \"><img src=x onerror=alert(1)> a long shared payload of words";
    let registered = [reg("11111111111-11", &format!("xss-name{tail}"), None, "2018-10-25")];
    let resolver = Resolver::new(&registered, &[]);
    assert_eq!(resolver.resolve(&format!("xss-fb-unregistered{tail}")).register_id, None);
    assert_eq!(resolver.resolve(&format!("xss-nmae{tail}")).method, LinkMethod::Similar, "a typo still is");
}
