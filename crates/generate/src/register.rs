//! The Transparency Register ODP XML export (`ListOfIRPublicDetail`), one dated snapshot a file.
//!
//! Snapshot 0 is the newest; snapshot `k` is exported `k` quarters earlier and lists only the
//! organisations registered by then, some under an older spelling of their name and all with
//! that snapshot's figures. What an organisation says about itself (goals, address, website)
//! comes from its own stream, so it reads the same in every snapshot.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use chrono::{Datelike, Days, NaiveDate};
use lobbyscope_domain::SourceKind;
use quick_xml::escape::escape;
use rand::RngExt;
use rand::seq::IndexedRandom;

use crate::mention::{Spellings, legal_form, spell};
use crate::text::{Slots, fill, log_uniform, pick, prose};
use crate::vocab::{self, COUNTRIES};
use crate::world::{Org, World};
use crate::{GenerateError, Options, Output, WrittenFile, io_error, rng, stream};

const NAMESPACE: &str = "http://intragate.ec.europa.eu/transparencyregister/odp";

/// Cost brackets of the register's closed financial year.
const BRACKETS: &[(u64, u64)] = &[
    (0, 9_999),
    (10_000, 24_999),
    (25_000, 49_999),
    (50_000, 99_999),
    (100_000, 199_999),
    (200_000, 299_999),
    (300_000, 399_999),
    (500_000, 599_999),
    (800_000, 899_999),
    (1_000_000, 1_249_999),
    (2_000_000, 2_249_999),
    (6_000_000, 6_499_999),
];

/// Entity forms of organisations whose name carries none.
const ENTITY_FORMS: &[&str] =
    &["AISBL", "ASBL", "GmbH", "e.V.", "S.A.", "Foundation", "Association", "Ltd", "SAS", "sp. z o.o.", "Stichting"];

pub fn snapshot_date(opts: &Options, snapshot: u32) -> NaiveDate {
    opts.export_date.checked_sub_days(Days::new(91 * u64::from(snapshot))).unwrap_or(opts.export_date)
}

pub fn write(world: &World, opts: &Options, snapshot: u32, out: &Path) -> Result<WrittenFile, GenerateError> {
    let date = snapshot_date(opts, snapshot);
    // The download's own name: `ODP_DD-MM-YYYY.xml`.
    let name = format!("register/ODP_{}.xml", date.format("%d-%m-%Y"));
    let mut file = Output::create(out, name)?;
    let listed: Vec<(usize, &Org)> = world.orgs.iter().enumerate().filter(|(_, o)| o.registered <= date).collect();
    let mut head = String::new();
    let _ = write!(
        head,
        "<?xml version='1.1' encoding='UTF-8'?>\n<ListOfIRPublicDetail xmlns=\"{NAMESPACE}\">\n\
         <metaData xmlns=\"\"><exportDate>{}T20:00:00.{:03}+00:00</exportDate><numberOfIR>{}</numberOfIR></metaData>\n\
         <resultList xmlns=\"\">\n",
        date,
        snapshot * 7 % 1000,
        listed.len()
    );
    file.writer.write_all(head.as_bytes()).map_err(io_error(&file.path))?;
    let mut record = String::with_capacity(16 * 1024);
    for &(index, org) in &listed {
        record.clear();
        entry(&mut record, org, opts.seed, index as u64, snapshot, date);
        file.writer.write_all(record.as_bytes()).map_err(io_error(&file.path))?;
    }
    file.writer.write_all(b"</resultList>\n</ListOfIRPublicDetail>\n").map_err(io_error(&file.path))?;
    file.finish(SourceKind::RegisterXml, listed.len() as u64)
}

/// Appends `<name>text</name>`, escaped.
fn element(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>{}</{name}>", escape(text));
}

fn entry(out: &mut String, org: &Org, seed: u64, index: u64, snapshot: u32, date: NaiveDate) {
    // What the organisation says of itself: the same in every snapshot.
    let mut own = rng(seed, stream::REGISTER_ORG, index);
    // This snapshot's figures and the changes since.
    let mut now = rng(seed, stream::REGISTER, (u64::from(snapshot) << 32) | index);
    let v = org.lang.vocab();
    let (country, _, _) = COUNTRIES[org.country];
    let renamed_in = own.random_bool(0.1).then(|| own.random_range(1..9u32));
    let name = match renamed_in {
        // Before its renaming, the organisation was listed under another spelling.
        Some(r) if snapshot >= r => spell(org, Spellings([0, 0, 0, 0, 0, 1000]), &mut own),
        _ => org.name.clone(),
    };

    out.push_str("<interestRepresentative>");
    element(out, "identificationCode", &org.id);
    let _ = write!(
        out,
        "<registrationDate>{}T{:02}:00:00.000+00:00</registrationDate>",
        org.registered,
        own.random_range(7..19)
    );
    let updated = date.checked_sub_days(Days::new(now.random_range(0..400))).unwrap_or(date).max(org.registered);
    let zone = if now.random_bool(0.5) { "Z" } else { "+02:00" };
    let _ = write!(
        out,
        "<lastUpdateDate>{updated}T{:02}:{:02}:00{zone}</lastUpdateDate>",
        now.random_range(0..24),
        now.random_range(0..60)
    );
    out.push_str("<name>");
    element(out, "originalName", &name);
    out.push_str("</name>");
    if let Some(acronym) = &org.acronym {
        element(out, "acronym", acronym);
    }
    let form = legal_form(&org.name).unwrap_or_else(|| pick(&mut own, ENTITY_FORMS));
    element(out, "entityForm", form);
    let host: String = org.name.chars().filter(char::is_ascii_alphanumeric).take(24).collect::<String>().to_lowercase();
    let _ = write!(
        out,
        "<webSiteURL>https://www.{host}.{}</webSiteURL>",
        ["eu", "org", "com", "de", "fr", "it", "pl", "es"].choose(&mut own).copied().unwrap_or("eu")
    );
    element(out, "registrationCategory", vocab::CATEGORIES[org.category]);
    out.push_str("<headOffice>");
    let mut street = String::new();
    fill(&mut street, "%f ", &Slots::new(org.lang), &mut own);
    let _ = write!(street, "{}", own.random_range(1..250));
    element(out, "address", &street);
    let _ = write!(out, "<postCode>{}</postCode>", own.random_range(1000..99999));
    element(out, "city", pick(&mut own, v.places));
    element(out, "country", country);
    let _ = write!(
        out,
        "<phone>+{} {}</phone></headOffice>",
        own.random_range(30..49),
        own.random_range(1_000_000..99_999_999)
    );
    if own.random_bool(0.3) {
        let _ = write!(
            out,
            "<EUOffice><address>Rue de la Loi {}</address><postCode>1040</postCode><city>Brussels</city><country>BELGIUM</country></EUOffice>",
            own.random_range(1..250)
        );
    } else {
        out.push_str("<EUOffice></EUOffice>");
    }

    let slots = Slots { org: &name, ..Slots::new(org.lang) };
    let mut goals = String::new();
    prose(&mut goals, log_uniform(&mut own, 200, 5000), &slots, &mut own);
    out.push_str("<goals>");
    out.push_str(&escape(&goals));
    if own.random_bool(0.01) {
        // The export holds references to characters XML 1.0 forbids.
        out.push_str(" &#x1F;&#11;");
    }
    out.push_str("</goals>");
    out.push_str("<levelsOfInterest>");
    let levels = own.random_range(1..4);
    for level in vocab::LEVELS.sample(&mut own, levels) {
        element(out, "levelOfInterest", level);
    }
    out.push_str("</levelsOfInterest>");
    element(out, "interestRepresented", "Promotes their own interests or the collective interests of their members");
    let mut proposals = String::new();
    for i in 0..now.random_range(0..5) {
        if i > 0 {
            proposals.push('\n');
        }
        fill(&mut proposals, "- %T", &slots, &mut now);
    }
    if !proposals.is_empty() {
        element(out, "EULegislativeProposals", &proposals);
    }
    let mut activities = String::new();
    fill(&mut activities, "%T; %T", &slots, &mut own);
    element(out, "communicationActivities", &activities);
    let members = now.random_range(1..60u32);
    let fte = f64::from(members) * now.random_range(0.1..1.0);
    let fte = format!("{:.2}", fte);
    // Some entries write the FTE with a decimal comma.
    let fte = if now.random_bool(0.3) { fte.replace('.', ",") } else { fte };
    let _ = write!(out, "<members><members>{members}</members><membersFTE>{fte}</membersFTE></members>");
    let _ = write!(out, "<EPAccreditedNumber>{}</EPAccreditedNumber>", now.random_range(0..members.min(8)));
    out.push_str("<interests>");
    let interests = own.random_range(1..7);
    for interest in vocab::INTERESTS.sample(&mut own, interests) {
        out.push_str("<interest>");
        element(out, "name", interest);
        out.push_str("</interest>");
    }
    out.push_str("</interests>");
    let year = date.year() - 1;
    let _ = write!(
        out,
        "<financialData><newOrganisation>false</newOrganisation><closedYear type=\"closedYearFinancialInformation\">\
         <startDate>{year}-01-01T00:00:00.000+01:00</startDate><endDate>{year}-12-31T00:00:00.000+01:00</endDate>"
    );
    if now.random_bool(0.8) {
        let (min, max) = BRACKETS.choose(&mut now).copied().unwrap_or((0, 9_999));
        let _ = write!(out, "<costs><range><min>{min}</min><max>{max}</max></range></costs>");
    } else {
        let _ = write!(
            out,
            "<costs type=\"absolute\"><absoluteCost>{}</absoluteCost></costs>",
            now.random_range(1_000..5_000_000)
        );
    }
    out.push_str("</closedYear></financialData></interestRepresentative>\n");
}
