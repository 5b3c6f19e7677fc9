//! Have Your Say: one `groupInitiatives` object per consultation and its publications' feedback
//! in the current API's Spring pages (`{"content":[…],"totalElements":…}`), a folder per
//! initiative. A page is made, written and dropped before the next.

use std::ops::Range;
use std::path::Path;

use chrono::{Days, NaiveDate};
use lobbyscope_domain::SourceKind;
use rand::RngExt;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::commission::cited_id;
use crate::mention::{self, spell};
use crate::text::{Slots, log_uniform, person, prose};
use crate::vocab::{self, COUNTRIES, Lang};
use crate::world::{Initiative, PlannedPublication, World};
use crate::{GenerateError, Options, Output, WrittenFile, rng, stream};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InitiativeJson<'a> {
    id: u64,
    reference: &'a str,
    short_title: &'a str,
    dg: &'a str,
    unit: String,
    committee: Option<&'a str>,
    expert_group: Option<&'a str>,
    dossier_summary: String,
    published_date: String,
    modified_date: String,
    initiative_status: &'a str,
    foreseen_act_type: &'a str,
    receiving_feedback_status: &'a str,
    stage: &'a str,
    is_major: bool,
    is_evaluation: bool,
    is_grouped_cfe: bool,
    topics: Vec<Topic<'a>>,
    publications: Vec<PublicationJson<'a>>,
}

#[derive(Serialize)]
struct Topic<'a> {
    code: String,
    label: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PublicationJson<'a> {
    id: u64,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    total_feedback: u64,
    published_date: String,
    attachments: Vec<Attachment>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    content: &'a [FeedbackJson],
    total_elements: u64,
    total_pages: u64,
    last: bool,
    first: bool,
    number: u64,
    size: u32,
    number_of_elements: usize,
    empty: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FeedbackJson {
    id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference_initiative: Option<String>,
    date_feedback: String,
    feedback: String,
    language: &'static str,
    user_type: &'static str,
    country: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    company_size: Option<&'static str>,
    first_name: String,
    surname: String,
    organization: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tr_number: Option<String>,
    status: &'static str,
    publication: &'static str,
    attachments: Vec<Attachment>,
    publication_id: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attachment {
    id: u64,
    file_name: String,
    ers_file_name: String,
    pages: Option<u32>,
    document_id: String,
    size: u64,
    pdf_size: u64,
}

fn attachment(stem: &str, rng: &mut ChaCha8Rng) -> Attachment {
    let ext = if rng.random_bool(0.6) { "pdf" } else { "docx" };
    let size = rng.random_range(20_000..4_000_000);
    Attachment {
        id: rng.random_range(20_000_000..40_000_000),
        file_name: format!("{stem}.{ext}"),
        ers_file_name: format!("{stem}.pdf"),
        pages: rng.random_bool(0.5).then(|| rng.random_range(1..60)),
        document_id: format!("090166e5{:08x}", rng.random::<u32>()),
        size,
        pdf_size: size + rng.random_range(0..500_000),
    }
}

fn portal_time(date: NaiveDate, rng: &mut ChaCha8Rng) -> String {
    format!(
        "{} {:02}:{:02}:{:02}",
        date.format("%Y/%m/%d"),
        rng.random_range(0..24),
        rng.random_range(0..60),
        rng.random_range(0..60)
    )
}

fn save_json(
    out: &Path,
    relative: String,
    value: &impl Serialize,
    source: SourceKind,
    records: u64,
) -> Result<WrittenFile, GenerateError> {
    let mut file = Output::create(out, relative)?;
    serde_json::to_writer(&mut file.writer, value)
        .map_err(|source| GenerateError::Json { path: file.path.clone(), source })?;
    file.finish(source, records)
}

pub fn write(
    world: &World,
    opts: &Options,
    initiatives: Range<usize>,
    out: &Path,
) -> Result<Vec<WrittenFile>, GenerateError> {
    let mut files = Vec::new();
    for i in initiatives {
        let initiative = &world.initiatives[i];
        let mut rng = rng(opts.seed, stream::CONSULTATION, i as u64);
        let folder = format!("have_your_say/{}", initiative.id);
        let json = initiative_json(initiative, world.export_date, &mut rng);
        files.push(save_json(
            out,
            format!("{folder}/initiative_{}.json", initiative.id),
            &json,
            SourceKind::HysInitiative,
            1,
        )?);
        for publication in &initiative.publications {
            let size = opts.page_size.max(1);
            let pages = publication.responses.div_ceil(u64::from(size)).max(1);
            let mut content = Vec::with_capacity(size as usize);
            for number in 0..pages {
                content.clear();
                let first = number * u64::from(size);
                for id in first..(first + u64::from(size)).min(publication.responses) {
                    content.push(response(world, initiative, publication, publication.first_response + id, &mut rng));
                }
                let page = Page {
                    content: &content,
                    total_elements: publication.responses,
                    total_pages: publication.responses.div_ceil(u64::from(size)),
                    last: number + 1 == pages,
                    first: number == 0,
                    number,
                    size,
                    number_of_elements: content.len(),
                    empty: content.is_empty(),
                };
                let name = format!("{folder}/feedback_{}_{number:04}.json", publication.id);
                files.push(save_json(out, name, &page, SourceKind::HysFeedback, content.len() as u64)?);
            }
        }
    }
    Ok(files)
}

fn initiative_json<'a>(initiative: &'a Initiative, export_date: NaiveDate, rng: &mut ChaCha8Rng) -> InitiativeJson<'a> {
    let mut summary = String::new();
    prose(&mut summary, log_uniform(rng, 200, 900), &Slots::new(Lang::En), rng);
    let last = initiative.publications.last();
    let open = last.is_some_and(|p| p.opened.checked_add_days(Days::new(84)).is_some_and(|end| end >= export_date));
    let publications = initiative
        .publications
        .iter()
        .map(|p| PublicationJson {
            id: p.id,
            kind: p.kind,
            reference: p.reference.as_deref(),
            total_feedback: p.responses,
            published_date: portal_time(p.opened, rng),
            attachments: if p.kind.starts_with("PROP") {
                vec![attachment(&format!("{}_proposal", p.reference.as_deref().unwrap_or("COM")), rng)]
            } else {
                Vec::new()
            },
        })
        .collect();
    InitiativeJson {
        id: initiative.id,
        reference: &initiative.reference,
        short_title: &initiative.title,
        dg: initiative.dg,
        unit: format!("{}.{}.{}", initiative.dg, char::from(b'A' + rng.random_range(0..6u8)), rng.random_range(1..6)),
        committee: None,
        expert_group: None,
        dossier_summary: summary,
        published_date: portal_time(initiative.published, rng),
        modified_date: portal_time(last.map_or(initiative.published, |p| p.opened), rng),
        initiative_status: if open { "OPEN" } else { "ADOPTED" },
        foreseen_act_type: last.map_or("PROP_REG", |p| if p.kind.starts_with("PROP") { p.kind } else { "PROP_REG" }),
        receiving_feedback_status: if open { "OPEN" } else { "CLOSED" },
        stage: if open { "PLANNING_WORKFLOW" } else { "ADOPTION_WORKFLOW" },
        is_major: rng.random_bool(0.3),
        is_evaluation: initiative.title.contains("evaluation") || initiative.title.contains("Fitness"),
        is_grouped_cfe: false,
        topics: vec![Topic { code: initiative.dg.to_owned(), label: initiative.topic }],
        publications,
    }
}

/// EU countries for citizens, as ISO 3166 alpha-3 codes.
const EU_COUNTRIES: &[&str] = &[
    "BEL", "DEU", "FRA", "ESP", "ITA", "POL", "AUT", "NLD", "IRL", "SWE", "DNK", "LUX", "PRT", "CZE", "FIN", "GRC",
    "HUN", "ROU", "BGR", "HRV", "SVK", "SVN", "LTU", "LVA", "EST", "CYP", "MLT",
];

fn response(
    world: &World,
    initiative: &Initiative,
    publication: &PlannedPublication,
    id: u64,
    rng: &mut ChaCha8Rng,
) -> FeedbackJson {
    let roll = rng.random_range(0..100);
    let (mut lang, organization, tr_number, user_type, country, company_size) = match roll {
        0..45 => {
            let org = world.org(rng);
            let tr = match rng.random_range(0..100) {
                0..80 => Some(cited_id(&org.id, rng)),
                80..86 => Some(String::new()),
                86..94 => None,
                // Typed without its dash, or with the register's own words around it.
                _ => Some(org.id.replace('-', "")),
            };
            let size = (org.user_type() == "COMPANY").then(|| *vocab::COMPANY_SIZES.choose(rng).unwrap_or(&"MICRO"));
            (org.lang, spell(org, mention::CONSULTATION, rng), tr, org.user_type(), COUNTRIES[org.country].1, size)
        }
        45..62 => {
            let org = world.unregistered(rng);
            let user_type = *vocab::USER_TYPES.choose(rng).unwrap_or(&"OTHER");
            (org.lang, org.name.clone(), None, user_type, COUNTRIES[org.country].1, Some("MICRO"))
        }
        62..95 => {
            let lang = Lang::ALL[rng.random_range(0..Lang::ALL.len())];
            (lang, String::new(), None, "EU_CITIZEN", *EU_COUNTRIES.choose(rng).unwrap_or(&"BEL"), None)
        }
        _ => (Lang::En, String::new(), None, "NON_EU_CITIZEN", "USA", None),
    };
    if rng.random_bool(0.4) {
        lang = Lang::En;
    }
    let anonymous = rng.random_bool(0.35);
    let (first_name, surname) = if anonymous { Default::default() } else { person(rng, lang.vocab()) };
    let is_org = !organization.is_empty();
    let attachments = if is_org && rng.random_bool(0.35) {
        (0..rng.random_range(1..3))
            .map(|k| attachment(&format!("{} position paper {}", organization, k + 1), rng))
            .collect()
    } else {
        Vec::new()
    };
    let mut feedback = String::new();
    // Some responses are only an attachment.
    if attachments.is_empty() || rng.random_bool(0.9) {
        let target = if is_org { log_uniform(rng, 150, 6000) } else { log_uniform(rng, 40, 1500) };
        let slots = Slots {
            org: &organization,
            act: publication.reference.as_deref().unwrap_or(&initiative.title),
            ..Slots::new(lang)
        };
        prose(&mut feedback, target, &slots, rng);
    }
    let day = publication.opened.checked_add_days(Days::new(rng.random_range(0..84))).unwrap_or(publication.opened);
    FeedbackJson {
        id,
        reference_initiative: Some(publication.reference.clone().unwrap_or_else(|| initiative.reference.clone())),
        date_feedback: portal_time(day, rng),
        feedback,
        language: lang.code(),
        user_type,
        country,
        company_size,
        first_name,
        surname,
        organization,
        tr_number,
        status: "PUBLISHED",
        publication: if anonymous { "ANONYMOUS" } else { "WITHINFO" },
        attachments,
        publication_id: publication.id,
    }
}
