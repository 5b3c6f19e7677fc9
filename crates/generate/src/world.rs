//! Everything the sources share, planned once before any file is written: the registered and
//! unregistered organisations, MEPs, Commission cabinets and DGs, procedures, consultations, and
//! how many records fall on each day. Only these directories are held in memory (tens of
//! thousands of small entries at the full EU size); the records themselves are made while
//! their file is written.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use lobbyscope_domain::fold_name;
use rand::RngExt;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::text::{Slots, brand, filled, initials, person, pick};
use crate::vocab::{self, COUNTRIES, Lang};
use crate::{Options, rng, stream};

/// A registered organisation as every snapshot and every mention knows it.
#[derive(Debug, Clone)]
pub struct Org {
    pub id: String,
    /// The name in the newest snapshot.
    pub name: String,
    /// The register's `acronym` element.
    pub acronym: Option<String>,
    pub lang: Lang,
    /// Index into [`vocab::COUNTRIES`].
    pub country: usize,
    /// Index into [`vocab::CATEGORIES`].
    pub category: usize,
    pub registered: NaiveDate,
}

impl Org {
    /// The Have Your Say respondent type an organisation of this category answers as.
    pub fn user_type(&self) -> &'static str {
        match self.category {
            0 | 3 | 6 => "COMPANY",
            1 => "BUSINESS_ASSOCIATION",
            2 => "NGO",
            4 => "TRADE_UNION",
            5 | 7 => "ACADEMIC_RESEARCH_INSTITTUTION",
            9 => "PUBLIC_AUTHORITY",
            _ => "OTHER",
        }
    }
}

/// An organisation the register does not list.
#[derive(Debug, Clone)]
pub struct Unregistered {
    pub name: String,
    pub lang: Lang,
    pub country: usize,
}

#[derive(Debug, Clone)]
pub struct Mep {
    pub id: u64,
    /// "SURNAME Given", as the EP export writes it.
    pub name: String,
    pub lang: Lang,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub chair: bool,
    /// Procedures the member follows as rapporteur or shadow.
    pub procedures: Vec<usize>,
}

/// A Commissioner's cabinet, or a Directorate-General.
#[derive(Debug, Clone)]
pub struct Cabinet {
    /// "Cabinet of Commissioner …", or the DG's full name.
    pub name: String,
    pub dg_acronym: Option<&'static str>,
    pub portfolio: Option<&'static str>,
    /// The people who meet, with their published titles; the first is the Commissioner or the
    /// Director-General.
    pub people: Vec<(String, &'static str)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcFormat {
    Xlsx,
    Xml,
}

/// One of the Commission's meeting files (`meetingscommissionrepresentatives1924`, …).
#[derive(Debug)]
pub struct EcDataset {
    pub name: &'static str,
    pub format: EcFormat,
    /// Commissioner files until 2024 have a `Portfolio` column.
    pub portfolio: bool,
    pub directors_general: bool,
    pub cabinets: Vec<Cabinet>,
    pub pick: Zipf,
    pub days: Calendar,
}

/// Working days of a period and how many records fall on each, newest day last.
#[derive(Debug, Default)]
pub struct Calendar {
    pub dates: Vec<NaiveDate>,
    pub counts: Vec<u32>,
}

impl Calendar {
    fn new(from: NaiveDate, to: NaiveDate, total: u64, rng: &mut ChaCha8Rng) -> Calendar {
        let dates: Vec<NaiveDate> = from
            .iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .collect();
        // Busy and quiet days, so that counts per day vary as they do in the real exports.
        let weights: Vec<f64> = dates.iter().map(|_| rng.random_range(0.2..1.8)).collect();
        let counts = apportion(total, &weights).into_iter().map(|c| c as u32).collect();
        Calendar { dates, counts }
    }

    /// Consecutive runs of days with about the same number of records each, as few as keep
    /// every run near `max` or below (a run ends on a whole day), newest run first, as ranges
    /// of day indices.
    pub fn segments(&self, max: u64) -> Vec<std::ops::Range<usize>> {
        let total: u64 = self.counts.iter().map(|&c| u64::from(c)).sum();
        if total == 0 {
            return Vec::new();
        }
        let target = total.div_ceil(total.div_ceil(max.max(1)));
        let mut out: Vec<std::ops::Range<usize>> = Vec::new();
        let mut end = self.dates.len();
        let mut rows = 0;
        for i in (0..self.dates.len()).rev() {
            rows += u64::from(self.counts[i]);
            if rows >= target {
                out.push(i..end);
                end = i;
                rows = 0;
            }
        }
        match out.last_mut() {
            // Leftover days without enough records for a file of their own join the oldest run.
            Some(oldest) if rows == 0 || rows < target / 2 => oldest.start = 0,
            _ if end > 0 => out.push(0..end),
            _ => {}
        }
        out
    }

    #[cfg(test)]
    pub fn total(&self, days: std::ops::Range<usize>) -> u64 {
        self.counts[days].iter().map(|&c| u64::from(c)).sum()
    }
}

/// A consultation with its publications and how many responses each gets.
#[derive(Debug)]
pub struct Initiative {
    pub id: u64,
    pub title: String,
    pub reference: String,
    pub dg: &'static str,
    /// A field of interest, as the portal lists topics.
    pub topic: &'static str,
    pub published: NaiveDate,
    pub publications: Vec<PlannedPublication>,
}

#[derive(Debug)]
pub struct PlannedPublication {
    pub id: u64,
    pub kind: &'static str,
    pub reference: Option<String>,
    pub opened: NaiveDate,
    pub responses: u64,
    /// The id of its first response; the others follow one by one.
    pub first_response: u64,
}

/// Picks indices with Zipf–Mandelbrot weights `1 / (rank + offset)` over a shuffled order, so
/// that a few items are heavy and the heavy ones are not always the first.
#[derive(Debug)]
pub struct Zipf {
    index: WeightedIndex<f64>,
    order: Vec<u32>,
}

impl Zipf {
    fn new(n: usize, offset: f64, rng: &mut ChaCha8Rng) -> Zipf {
        let weights = (0..n.max(1)).map(|r| 1.0 / (r as f64 + offset));
        #[allow(clippy::expect_used, reason = "weights are positive and finite, so this cannot fail")]
        let index = WeightedIndex::new(weights).expect("positive finite weights");
        let mut order: Vec<u32> = (0..n.max(1) as u32).collect();
        order.shuffle(rng);
        Zipf { index, order }
    }

    pub fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        self.order[self.index.sample(rng)] as usize
    }
}

/// Splits `total` in proportion to `weights`, largest remainders first, so the parts add up.
fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total.saturating_sub(parts.iter().sum());
    let mut by_remainder: Vec<usize> = (0..parts.len()).collect();
    by_remainder
        .sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for &i in by_remainder.iter().cycle() {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

pub struct World {
    pub export_date: NaiveDate,
    pub orgs: Vec<Org>,
    pub org_pick: Zipf,
    pub unregistered: Vec<Unregistered>,
    pub unregistered_pick: Zipf,
    pub meps: Vec<Mep>,
    pub mep_pick: Zipf,
    pub procedures: Vec<String>,
    pub ec: Vec<EcDataset>,
    pub ep_days: Calendar,
    pub initiatives: Vec<Initiative>,
}

/// Streams of the planning stage; each job of the writing stage has its own (see `stream`).
const PLAN: u64 = 1;

impl World {
    pub fn plan(opts: &Options) -> World {
        let mut rng = rng(opts.seed, stream::PLAN, PLAN);
        let export_date = opts.export_date;
        let mut names = HashSet::new();
        let orgs = make_orgs(opts.orgs as usize, export_date, &mut names, &mut rng);
        let unregistered = (0..(opts.orgs as usize / 2).max(50))
            .map(|_| {
                let (country, lang) = country(&mut rng);
                let name = unique_name(rng.random_range(0..10), lang, &mut names, &mut rng);
                Unregistered { name, lang, country }
            })
            .collect();
        // Offsets chosen so that at the full size the heaviest organisation has hundreds of
        // meetings and the busiest MEP well over five hundred, as in the real exports.
        let org_pick = Zipf::new(orgs.len(), 12.0, &mut rng);
        let unregistered_pick = Zipf::new(opts.orgs as usize / 2, 8.0, &mut rng);
        let procedures = make_procedures((opts.ep / 250).clamp(20, 900) as usize, &mut rng);
        let meps = make_meps((opts.ep / 100).clamp(20, 750) as usize, procedures.len(), export_date, &mut rng);
        let mep_pick = Zipf::new(meps.len(), 25.0, &mut rng);
        let ec = make_ec(opts.ec, export_date, &mut rng);
        // A small corpus covers the last weeks only, so that an MEP still meets several
        // organisations on one day, as at full size.
        let weeks = (opts.ep / 25).max(1);
        let recent = export_date.checked_sub_days(Days::new(weeks * 7)).unwrap_or(export_date);
        let ep_start = NaiveDate::from_ymd_opt(2019, 7, 2).unwrap_or(export_date).max(recent);
        let ep_days = Calendar::new(ep_start, export_date, opts.ep, &mut rng);
        let initiatives = make_initiatives(opts.responses, export_date, &mut rng);
        World {
            export_date,
            orgs,
            org_pick,
            unregistered,
            unregistered_pick,
            meps,
            mep_pick,
            procedures,
            ec,
            ep_days,
            initiatives,
        }
    }

    pub fn org(&self, rng: &mut ChaCha8Rng) -> &Org {
        &self.orgs[self.org_pick.sample(rng)]
    }

    pub fn unregistered(&self, rng: &mut ChaCha8Rng) -> &Unregistered {
        &self.unregistered[self.unregistered_pick.sample(rng) % self.unregistered.len()]
    }
}

fn country(rng: &mut ChaCha8Rng) -> (usize, Lang) {
    // Belgium and Germany lead the register; the rest share the remainder.
    let i = if rng.random_bool(0.35) { rng.random_range(0..3) } else { rng.random_range(0..COUNTRIES.len()) };
    (i, COUNTRIES[i].2)
}

/// A name no other organisation folds to. `kind` < 5 makes a company, else an association.
fn unique_name(kind: u32, lang: Lang, taken: &mut HashSet<String>, rng: &mut ChaCha8Rng) -> String {
    let v = lang.vocab();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let name = if kind < 5 || attempt > 7 {
            let mut name = brand(rng);
            if rng.random_bool(0.5) {
                name.push(' ');
                name.push_str(pick(rng, vocab::EN.sectors));
            }
            match rng.random_range(0..10) {
                0..4 => {}
                // A legal form after a comma, as in "Banco Santander, S.A.".
                4 => name = format!("{name}, {}", pick(rng, v.legal_forms)),
                _ => name = format!("{name} {}", pick(rng, v.legal_forms)),
            }
            if rng.random_bool(0.04) { name.to_uppercase() } else { name }
        } else {
            let mut name = filled(pick(rng, v.org_patterns), &Slots::new(lang), rng);
            if attempt > 3 {
                name = format!("{name} {}", pick(rng, v.places));
            }
            name
        };
        if taken.insert(fold_name(&name)) {
            return name;
        }
    }
}

fn make_orgs(n: usize, export_date: NaiveDate, taken: &mut HashSet<String>, rng: &mut ChaCha8Rng) -> Vec<Org> {
    let mut ids = HashSet::with_capacity(n);
    let first_day = NaiveDate::from_ymd_opt(2008, 6, 23).unwrap_or(export_date);
    let span = (export_date - first_day).num_days().max(1) as u64;
    (0..n)
        .map(|_| {
            let (country, lang) = country(rng);
            let category = rng.random_range(0..vocab::CATEGORIES.len());
            let company = matches!(category, 0 | 3 | 6);
            let mut name = unique_name(if company { 0 } else { 9 }, lang, taken, rng);
            let mut acronym = None;
            if !company
                && rng.random_bool(0.6)
                && let Some(acr) = initials(&name)
            {
                // Some register their acronym in the name itself: "Internet Society (ISOC)".
                if rng.random_bool(0.3) {
                    name = format!("{name} ({acr})");
                } else {
                    acronym = Some(acr);
                }
            }
            let id = loop {
                // First-part lengths as in the real register: mostly 12 digits, some 11, few
                // shorter; leading zeros included.
                let digits = match rng.random_range(0..1000) {
                    0..770 => 12,
                    770..960 => 11,
                    960..990 => 10,
                    990..998 => 9,
                    _ => 8,
                };
                let mut id: String = (0..digits).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect();
                id.push('-');
                id.push_str(&format!("{:02}", rng.random_range(0..100)));
                if ids.insert(id.clone()) {
                    break id;
                }
            };
            let registered = first_day + Days::new(rng.random_range(0..span));
            Org { id, name, acronym, lang, country, category, registered }
        })
        .collect()
}

fn make_procedures(n: usize, rng: &mut ChaCha8Rng) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let r = format!(
            "{}/{:04}({})",
            rng.random_range(2018..2027),
            rng.random_range(1..460),
            pick(rng, vocab::PROCEDURE_TYPES)
        );
        if seen.insert(r.clone()) {
            out.push(r);
        }
    }
    out
}

fn make_meps(n: usize, procedures: usize, export_date: NaiveDate, rng: &mut ChaCha8Rng) -> Vec<Mep> {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(export_date);
    let (term9, switch) = (date(2019, 7, 2), date(2024, 7, 16));
    let mut ids = HashSet::new();
    (0..n)
        .map(|i| {
            let lang = Lang::ALL[rng.random_range(0..Lang::ALL.len())];
            let (given, family) = person(rng, lang.vocab());
            let id = loop {
                let id = rng.random_range(1000..262_000);
                if ids.insert(id) {
                    break id;
                }
            };
            let (from, to) = match rng.random_range(0..10) {
                0..3 => (term9, switch.pred_opt().unwrap_or(switch)),
                3..6 => (switch, export_date),
                _ => (term9, export_date),
            };
            let procedures = (0..rng.random_range(1..6)).map(|_| rng.random_range(0..procedures)).collect();
            Mep {
                id,
                name: format!("{} {given}", family.to_uppercase()),
                lang,
                from,
                to,
                chair: i % 25 == 0,
                procedures,
            }
        })
        .collect()
}

/// A Commission official from any Member State: "Given Family".
fn official(rng: &mut ChaCha8Rng) -> String {
    let lang = Lang::ALL[rng.random_range(0..Lang::ALL.len())];
    let (given, family) = person(rng, lang.vocab());
    format!("{given} {family}")
}

fn make_cabinets(directors_general: bool, rng: &mut ChaCha8Rng) -> Vec<Cabinet> {
    if directors_general {
        return vocab::DGS
            .iter()
            .map(|&(acronym, full)| {
                let mut people = Vec::new();
                for title in ["Director-General", "Deputy Director-General", "Director", "Director", "Head of Unit"] {
                    people.push((official(rng), title));
                }
                Cabinet { name: full.to_owned(), dg_acronym: Some(acronym), portfolio: None, people }
            })
            .collect();
    }
    let mut portfolios: Vec<&'static str> = vocab::PORTFOLIOS.to_vec();
    portfolios.shuffle(rng);
    portfolios
        .into_iter()
        .enumerate()
        .map(|(i, portfolio)| {
            let title = match i {
                0 => "President",
                1..4 => "Executive Vice-President",
                4 => "High Representative",
                5..8 => "Vice-President",
                _ => "Commissioner",
            };
            let principal = official(rng);
            let name = format!("Cabinet of {title} {principal}");
            let mut people = vec![(principal, title)];
            for _ in 0..rng.random_range(5..9) {
                people.push((official(rng), "Cabinet member"));
            }
            Cabinet { name, dg_acronym: None, portfolio: Some(portfolio), people }
        })
        .collect()
}

fn make_ec(total: u64, export_date: NaiveDate, rng: &mut ChaCha8Rng) -> Vec<EcDataset> {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(export_date);
    // (file, format, has portfolio, DG file, from, to, share of all meetings)
    let specs = [
        (
            "meetingscommissionrepresentatives1419",
            EcFormat::Xml,
            true,
            false,
            date(2014, 11, 1),
            date(2019, 11, 30),
            25.0,
        ),
        (
            "meetingscommissionrepresentatives1924",
            EcFormat::Xlsx,
            true,
            false,
            date(2019, 12, 1),
            date(2024, 11, 30),
            35.0,
        ),
        ("meetingscommissionrepresentatives2429", EcFormat::Xlsx, false, false, date(2024, 12, 1), export_date, 15.0),
        ("meetingsdirectorgenerals", EcFormat::Xml, false, true, date(2014, 11, 1), export_date, 25.0),
    ];
    let shares = apportion(total, &specs.map(|s| s.6));
    specs
        .into_iter()
        .zip(shares)
        .map(|((name, format, portfolio, directors_general, from, to, _), rows)| {
            let cabinets = make_cabinets(directors_general, rng);
            let pick = Zipf::new(cabinets.len(), 3.0, rng);
            let days = Calendar::new(from, to.min(export_date), rows, rng);
            EcDataset { name, format, portfolio, directors_general, cabinets, pick, days }
        })
        .collect()
}

/// Initiative titles (the portal writes them in English).
const INITIATIVE_TITLES: &[&str] = &[
    "%T – revision of the EU rules",
    "%T – evaluation",
    "%T – new legislative framework",
    "Declaration on %t",
    "%T – simplification package",
    "Fitness check of %t",
    "%T (review)",
];

const DG_CODES: &[&str] = &["CNECT", "ENER", "ENV", "GROW", "SANTE", "TRADE", "AGRI", "CLIMA", "FISMA", "MOVE", "JUST"];

fn make_initiatives(responses: u64, export_date: NaiveDate, rng: &mut ChaCha8Rng) -> Vec<Initiative> {
    if responses == 0 {
        return Vec::new();
    }
    let n = (responses / 500).clamp(3, 5000) as usize;
    let pick_initiative = Zipf::new(n, 5.0, rng);
    // Deterministic shares rather than draws: the counts add up to `responses` exactly.
    let mut weights = vec![0.0; n];
    for r in 0..n {
        weights[pick_initiative.order[r] as usize] = 1.0 / (r as f64 + 5.0);
    }
    let counts = apportion(responses, &weights);
    let first = NaiveDate::from_ymd_opt(2016, 1, 4).unwrap_or(export_date);
    let span = (export_date - first).num_days().max(200) as u64 - 120;
    let mut next_publication = 20_000;
    let mut next_response = 2_000_000;
    counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| {
            let topic = pick(rng, vocab::INTERESTS);
            let title = filled(pick(rng, INITIATIVE_TITLES), &Slots::new(Lang::En), rng);
            let published = first + Days::new(rng.random_range(0..span));
            let year = published.year();
            let kinds: &[(&str, f64)] = match rng.random_range(0..4) {
                0 => &[("OPC_LAUNCHED", 1.0)],
                1 => &[("IMPACT_ASSESS_INCEP", 0.4), ("OPC_LAUNCHED", 0.6)],
                2 => &[("CFE_IMPACT_ASSESS", 0.3), ("PROP_REG", 0.7)],
                _ => &[("IMPACT_ASSESS_INCEP", 0.25), ("OPC_LAUNCHED", 0.5), ("PROP_DIR", 0.25)],
            };
            let split = apportion(count, &kinds.iter().map(|k| k.1).collect::<Vec<_>>());
            let publications = kinds
                .iter()
                .zip(split)
                .enumerate()
                .map(|(stage, (&(kind, _), responses))| {
                    let reference =
                        kind.starts_with("PROP").then(|| format!("COM({}){}", year + 1, rng.random_range(1..900)));
                    let publication = PlannedPublication {
                        id: next_publication,
                        kind,
                        reference,
                        opened: published + Days::new(40 * stage as u64),
                        responses,
                        first_response: next_response,
                    };
                    next_publication += 1;
                    next_response += responses;
                    publication
                })
                .collect();
            Initiative {
                id: 12_000 + i as u64 * 3,
                title,
                reference: format!("Ares({year}){}", rng.random_range(1_000_000..9_999_999)),
                dg: pick(rng, DG_CODES),
                topic,
                published,
                publications,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_adds_up_and_follows_the_weights() {
        let parts = apportion(10, &[1.0, 1.0, 2.0]);
        assert_eq!(parts.iter().sum::<u64>(), 10);
        assert!(parts[2] >= 4 && parts[2] <= 6, "{parts:?}");
        assert_eq!(apportion(7, &[]), Vec::<u64>::new());
    }

    #[test]
    fn segments_cover_every_day_once_newest_first() {
        let mut rng = rng(1, stream::PLAN, 0);
        let from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let days = Calendar::new(from, NaiveDate::from_ymd_opt(2020, 12, 31).unwrap(), 5000, &mut rng);
        let segments = days.segments(1000);
        assert!(segments.len() >= 5, "{segments:?}");
        assert_eq!(segments.last().unwrap().start, 0);
        assert_eq!(segments[0].end, days.dates.len());
        assert_eq!(segments.iter().map(|s| days.total(s.clone())).sum::<u64>(), 5000);
        assert!(segments.windows(2).all(|w| w[1].end == w[0].start));
    }
}
