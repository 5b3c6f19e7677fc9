//! Commission meetings with interest representatives: the official XLSX (sheet `Export
//! Worksheet`, a "File generated on" row above the header, every cell a string) and the XML
//! variant with its double-encoded text.

use std::fmt::Write as _;
use std::io::Write as _;
use std::ops::Range;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use lobbyscope_domain::SourceKind;
use rand::RngExt;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};

use crate::mention::{self, spell};
use crate::text::{Slots, fill, pick};
use crate::vocab::{self, Lang};
use crate::world::{Cabinet, EcDataset, EcFormat, World};
use crate::{GenerateError, Options, Output, WrittenFile, io_error, rng, stream, written};

/// One meeting, each field as the XLSX cell shows it (lists joined by `,`).
struct Row<'a> {
    date: NaiveDate,
    cabinet: &'a Cabinet,
    hosts: Vec<&'a (String, &'static str)>,
    location: &'static str,
    /// (name, register ID as published, possibly empty or wrong-shaped)
    attendees: Vec<(String, String)>,
    subject: String,
}

impl Row<'_> {
    fn names(&self) -> String {
        self.hosts.iter().map(|h| h.0.as_str()).collect::<Vec<_>>().join(",")
    }

    fn titles(&self) -> String {
        self.hosts.iter().map(|h| h.1).collect::<Vec<_>>().join(",")
    }

    fn organisations(&self) -> String {
        self.attendees.iter().map(|a| a.0.as_str()).collect::<Vec<_>>().join(",")
    }

    fn register_ids(&self) -> String {
        self.attendees.iter().map(|a| a.1.as_str()).collect::<Vec<_>>().join(",")
    }
}

/// A register ID as a meeting cites it: nearly always right, sometimes absent, mistyped into a
/// shape no ID has, or well-formed but unknown to the register.
pub fn cited_id(id: &str, rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..1000) {
        0..10 => String::new(),
        10..25 => id.chars().skip(5).collect(),
        25..35 => format!("{}-{:02}", rng.random_range(10_000_000..99_999_999u64), rng.random_range(0..100)),
        _ => id.to_owned(),
    }
}

fn row<'a>(world: &World, ds: &'a EcDataset, date: NaiveDate, rng: &mut ChaCha8Rng) -> Row<'a> {
    let cabinet = &ds.cabinets[ds.pick.sample(rng)];
    let hosts = match rng.random_range(0..100) {
        0..72 => 1,
        72..94 => 2,
        94..99 => 3,
        _ => 4,
    };
    // The Commissioner (or Director-General) joins a quarter of the meetings; the rest are
    // held by the cabinet or the DG's staff.
    let mut chosen: Vec<&(String, &'static str)> = Vec::with_capacity(hosts);
    if rng.random_bool(0.25) {
        chosen.push(&cabinet.people[0]);
    }
    let staff = &cabinet.people[1..];
    let wanted = hosts.saturating_sub(chosen.len()).min(staff.len());
    chosen.extend(staff.sample(rng, wanted));
    if chosen.is_empty() {
        chosen.push(&cabinet.people[0]);
    }
    let attendees = match rng.random_range(0..1000) {
        0..870 => 1,
        870..930 => 2,
        930..950 => 3,
        950..990 => rng.random_range(4..9),
        _ => rng.random_range(9..16),
    };
    let attendees = (0..attendees)
        .map(|_| {
            if rng.random_bool(0.94) {
                let org = world.org(rng);
                (spell(org, mention::COMMISSION, rng), cited_id(&org.id, rng))
            } else {
                (world.unregistered(rng).name.clone(), String::new())
            }
        })
        .collect();
    let lang = if rng.random_bool(0.85) { Lang::En } else { Lang::ALL[rng.random_range(0..Lang::ALL.len())] };
    let procedure = world.procedures.choose(rng).map_or("", String::as_str);
    let slots = Slots { procedure, ..Slots::new(lang) };
    let mut subject = String::new();
    // The export keeps the stray spaces and line breaks typed into the subject.
    if rng.random_bool(0.15) {
        subject.push(' ');
    }
    fill(&mut subject, pick(rng, lang.vocab().subjects), &slots, rng);
    if rng.random_bool(0.1) {
        subject.push_str(". ");
        fill(&mut subject, pick(rng, lang.vocab().sentences), &slots, rng);
    }
    match rng.random_range(0..20) {
        0..3 => subject.push(' '),
        3 => subject.push_str("\r\n"),
        _ => {}
    }
    Row { date, cabinet, hosts: chosen, location: pick(rng, vocab::LOCATIONS), attendees, subject }
}

/// Calls `each` for every meeting of the segment, newest day first.
fn rows(
    world: &World,
    opts: &Options,
    dataset: usize,
    part: usize,
    days: Range<usize>,
    mut each: impl FnMut(Row<'_>) -> Result<(), GenerateError>,
) -> Result<u64, GenerateError> {
    let ds = &world.ec[dataset];
    let mut rng = rng(opts.seed, stream::COMMISSION, ((dataset as u64) << 32) | part as u64);
    let mut n = 0;
    for day in days.rev() {
        for _ in 0..ds.days.counts[day] {
            each(row(world, ds, ds.days.dates[day], &mut rng))?;
            n += 1;
        }
    }
    Ok(n)
}

pub fn write(
    world: &World,
    opts: &Options,
    dataset: usize,
    part: usize,
    parts: usize,
    days: Range<usize>,
    out: &Path,
) -> Result<WrittenFile, GenerateError> {
    let ds = &world.ec[dataset];
    let ext = match ds.format {
        EcFormat::Xlsx => "xlsx",
        EcFormat::Xml => "xml",
    };
    let name = match parts {
        1 => format!("commission/{}.{ext}", ds.name),
        _ => format!("commission/{}_part{}.{ext}", ds.name, part + 1),
    };
    match ds.format {
        EcFormat::Xlsx => write_xlsx(world, opts, dataset, part, days, out, &name),
        EcFormat::Xml => write_xml(world, opts, dataset, part, days, out, &name),
    }
}

fn write_xlsx(
    world: &World,
    opts: &Options,
    dataset: usize,
    part: usize,
    days: Range<usize>,
    out: &Path,
    name: &str,
) -> Result<WrittenFile, GenerateError> {
    let ds = &world.ec[dataset];
    let path = out.join(name);
    let failed = |source: XlsxError| GenerateError::Xlsx { path: path.clone(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    }
    let generated = opts.export_date;
    let mut workbook = Workbook::new();
    // Low-memory mode streams the rows to a temporary file and keeps only the shared strings,
    // which the real export uses for every cell.
    workbook.set_tempdir(out).map_err(failed)?;
    // A fixed creation time keeps the file byte-identical from one run to the next.
    let created = ExcelDateTime::from_ymd(generated.year() as u16, generated.month() as u8, generated.day() as u8)
        .map_err(failed)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let mut header: Vec<&str> = if ds.directors_general {
        vec!["Name of DG - full name", "Name of DG - acronym"]
    } else {
        vec!["Name of cabinet"]
    };
    header.extend(["Name of EC representative", "Title of EC representative"]);
    if ds.portfolio {
        header.push("Portfolio");
    }
    header.extend([
        "Date of meeting",
        "Location",
        "Name of interest representative",
        "Transparency register ID",
        "Subject of the meeting",
    ]);
    let sheet = workbook.add_worksheet_with_low_memory().map_err(failed)?;
    sheet.set_name("Export Worksheet").map_err(failed)?;
    sheet.write_string(0, 0, format!("File generated on : {generated}")).map_err(failed)?;
    for (col, text) in header.iter().enumerate() {
        sheet.write_string(1, col as u16, *text).map_err(failed)?;
    }
    let mut next_row = 2;
    let records = rows(world, opts, dataset, part, days, |m| {
        let mut cells: Vec<String> = if ds.directors_general {
            vec![m.cabinet.name.clone(), m.cabinet.dg_acronym.unwrap_or_default().to_owned()]
        } else {
            vec![m.cabinet.name.clone()]
        };
        cells.extend([m.names(), m.titles()]);
        if ds.portfolio {
            cells.push(m.cabinet.portfolio.unwrap_or_default().to_owned());
        }
        cells.extend([m.date.to_string(), m.location.to_owned(), m.organisations(), m.register_ids(), m.subject]);
        for (col, text) in cells.iter().enumerate() {
            sheet.write_string(next_row, col as u16, text).map_err(failed)?;
        }
        next_row += 1;
        Ok(())
    })?;
    // The real workbook's second sheet holds the query that made it.
    let sql = workbook.add_worksheet();
    sql.set_name("SQL").map_err(failed)?;
    sql.write_string(0, 0, "select * from V_MEETING_DGS").map_err(failed)?;
    workbook.save(&path).map_err(failed)?;
    written(name.into(), &path, SourceKind::CommissionMeetingsXlsx, records)
}

/// The export's double encoding: the text is entity-encoded once (`ö` → `&#246;`, `&` →
/// `&amp;`), and that result is escaped again as XML text (`&amp;#246;`, `&amp;amp;`).
fn push_double_encoded(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;amp;"),
            '<' => out.push_str("&amp;lt;"),
            '>' => out.push_str("&amp;gt;"),
            '"' => out.push_str("&amp;quot;"),
            '\'' => out.push_str("&amp;#39;"),
            c if c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "&amp;#{};", u32::from(c));
            }
        }
    }
}

fn element(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>");
    push_double_encoded(out, text);
    let _ = write!(out, "</{name}>");
}

fn write_xml(
    world: &World,
    opts: &Options,
    dataset: usize,
    part: usize,
    days: Range<usize>,
    out: &Path,
    name: &str,
) -> Result<WrittenFile, GenerateError> {
    let ds = &world.ec[dataset];
    let mut file = Output::create(out, name)?;
    file.writer.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<meetings>\n").map_err(io_error(&file.path))?;
    let mut text = String::with_capacity(4096);
    let records = rows(world, opts, dataset, part, days, |m| {
        text.clear();
        text.push_str("  <meeting>\n");
        let date = m.date.to_string();
        let mut fields = vec![("date", date.as_str())];
        if ds.directors_general {
            fields.extend([("dgacronym", m.cabinet.dg_acronym.unwrap_or_default()), ("dgname", &m.cabinet.name)]);
        } else {
            fields.push(("cabinet", &m.cabinet.name));
        }
        fields.extend([("location", m.location), ("subject", &m.subject)]);
        for (name, value) in fields {
            text.push_str("    ");
            element(&mut text, name, value);
            text.push('\n');
        }
        for (name, title) in &m.hosts {
            text.push_str("    <representative>");
            element(&mut text, "name", name);
            element(&mut text, "title", title);
            text.push_str("</representative>\n");
        }
        for (name, id) in &m.attendees {
            text.push_str("    <entity>");
            element(&mut text, "name", name);
            element(&mut text, "id", id);
            text.push_str("</entity>\n");
        }
        text.push_str("  </meeting>\n");
        file.writer.write_all(text.as_bytes()).map_err(io_error(&file.path))
    })?;
    file.writer.write_all(b"</meetings>\n").map_err(io_error(&file.path))?;
    file.finish(SourceKind::CommissionMeetingsXml, records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_encoded_twice() {
        let mut out = String::new();
        push_double_encoded(&mut out, "Tyre & Rubber d'Automobiles Europé");
        assert_eq!(out, "Tyre &amp;amp; Rubber d&amp;#39;Automobiles Europ&amp;#233;");
    }
}
