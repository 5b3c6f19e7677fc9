//! European Parliament MEP meetings, as the "search meetings" CSV export: a UTF-8 BOM, CRLF
//! line ends, RFC 4180 quoting, and the export's eight columns in their published order.

use std::io::Write as _;
use std::ops::Range;
use std::path::Path;

use lobbyscope_domain::SourceKind;
use rand::RngExt;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::commission::cited_id;
use crate::mention::{self, spell};
use crate::text::{Slots, fill, pick};
use crate::vocab::Lang;
use crate::world::{Mep, World};
use crate::{GenerateError, Options, Output, WrittenFile, io_error, rng, stream};

const HEADER: [&str; 8] = [
    "title",
    "member_id",
    "member_name",
    "meeting_date",
    "member_capacity",
    "procedure_reference",
    "attendees",
    "lobbyist_id",
];

pub fn write(world: &World, opts: &Options, days: Range<usize>, out: &Path) -> Result<WrittenFile, GenerateError> {
    let cal = &world.ep_days;
    let (first, last) = (cal.dates[days.start], cal.dates[days.end - 1]);
    let mut file = Output::create(out, format!("parliament/search-meetings_{first}_{last}.csv"))?;
    let failed = |path: &Path| {
        let path = path.to_owned();
        move |source| GenerateError::Csv { path, source }
    };
    file.writer.write_all("\u{feff}".as_bytes()).map_err(io_error(&file.path))?;
    let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut file.writer);
    csv.write_record(HEADER).map_err(failed(&file.path))?;
    let mut rng = rng(opts.seed, stream::PARLIAMENT, days.start as u64);
    let mut records = 0;
    for day in days.rev() {
        let date = cal.dates[day];
        let mut left = cal.counts[day];
        while left > 0 {
            let mep = active_mep(world, date, &mut rng);
            // An MEP often meets several organisations on one day.
            let group = match rng.random_range(0..100) {
                0..80 => 1,
                80..94 => 2,
                94..98 => 3,
                _ => rng.random_range(4..7),
            }
            .min(left);
            for _ in 0..group {
                let row = row(world, mep, &mut rng);
                csv.write_record([
                    row.title.as_str(),
                    &mep.id.to_string(),
                    &mep.name,
                    &date.to_string(),
                    row.capacity,
                    &row.procedures,
                    &row.attendees,
                    &row.lobbyist_ids,
                ])
                .map_err(failed(&file.path))?;
            }
            left -= group;
            records += u64::from(group);
        }
    }
    csv.flush().map_err(io_error(&file.path))?;
    drop(csv);
    file.finish(SourceKind::EpMeetingsCsv, records)
}

/// An MEP in office on `date`, the busy ones more often.
fn active_mep<'a>(world: &'a World, date: chrono::NaiveDate, rng: &mut ChaCha8Rng) -> &'a Mep {
    let mut mep = &world.meps[world.mep_pick.sample(rng)];
    for _ in 0..30 {
        if mep.from <= date && date <= mep.to {
            break;
        }
        mep = &world.meps[world.mep_pick.sample(rng)];
    }
    mep
}

struct Row {
    title: String,
    capacity: &'static str,
    procedures: String,
    attendees: String,
    lobbyist_ids: String,
}

fn row(world: &World, mep: &Mep, rng: &mut ChaCha8Rng) -> Row {
    let capacity = if mep.chair && rng.random_bool(0.3) {
        "Committee chair"
    } else {
        match rng.random_range(0..100) {
            0..66 => "Member",
            66..83 => "Rapporteur",
            _ => "Shadow rapporteur",
        }
    };
    let followed = |rng: &mut ChaCha8Rng| {
        mep.procedures.choose(rng).and_then(|&p| world.procedures.get(p)).map_or("", String::as_str)
    };
    let procedure_share = if capacity.ends_with("apporteur") { 0.85 } else { 0.1 };
    let mut procedures = String::new();
    if rng.random_bool(procedure_share) {
        let first = followed(rng);
        procedures.push_str(first);
        let second = followed(rng);
        if second != first && rng.random_bool(0.05) {
            procedures.push_str(", ");
            procedures.push_str(second);
        }
    }
    let lang = if rng.random_bool(0.55) { mep.lang } else { Lang::En };
    let slots = Slots { procedure: followed(rng), ..Slots::new(lang) };
    // MEPs' titles are shorter than the Commission's subjects: often just the file's name.
    let pattern = if rng.random_bool(0.5) { "%T" } else { pick(rng, lang.vocab().subjects) };
    let mut title = String::new();
    fill(&mut title, pattern, &slots, rng);

    let n = match rng.random_range(0..100) {
        0..76 => 1,
        76..88 => 2,
        88..94 => 3,
        _ => rng.random_range(4..9),
    };
    let mut names = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    let mut all_registered = true;
    let embed = rng.random_bool(0.04);
    for _ in 0..n {
        if rng.random_bool(0.58) {
            let org = world.org(rng);
            let name = spell(org, mention::PARLIAMENT, rng);
            // A few offices type the register ID into the attendees list itself.
            names.push(if embed { format!("{name} ({})", org.id) } else { name });
            ids.push(cited_id(&org.id, rng));
        } else {
            names.push(world.unregistered(rng).name.clone());
            all_registered = false;
        }
    }
    let lobbyist_ids = if all_registered && !embed && rng.random_bool(0.45) { ids.join("|") } else { String::new() };
    Row { title, capacity, procedures, attendees: names.join(", "), lobbyist_ids }
}
