//! One pass over the corpus as the sources parse it: who hosts the most meetings, which
//! procedure and which consultation draw the most, for the pages to ask for; and the responses
//! as one CSV file, for the `sqlite3 .import` floor of the Have Your Say import.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use lobbyscope_domain::{Feedback, Institution, PersonKey, Record, SourceKind};
use lobbyscope_sources::Parsed;

/// The busiest of each kind, with how many records it has.
#[derive(Debug, Default)]
pub struct Survey {
    /// `/mep/…`: most meetings.
    pub mep: Option<(String, u64)>,
    /// `/official/…`: most meetings.
    pub official: Option<(String, u64)>,
    /// `/procedure/…`: most meetings citing it.
    pub procedure: Option<(String, u64)>,
    /// An initiative's id: most responses.
    pub initiative: Option<(u64, u64)>,
    /// Responses read (and written to the CSV, if one was asked for).
    pub responses: u64,
}

#[derive(Default)]
struct Counts {
    meps: HashMap<String, u64>,
    officials: HashMap<String, u64>,
    procedures: HashMap<String, u64>,
    per_publication: HashMap<u64, u64>,
    initiative_of: HashMap<u64, u64>,
}

/// Reads every file under `corpus`; writes the responses to `responses_csv` if given.
pub fn run(corpus: &Path, responses_csv: Option<&Path>) -> Result<Survey> {
    let mut out = match responses_csv {
        Some(path) => {
            let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::with_capacity(256 * 1024, file);
            csv_row(&mut out, FEEDBACK_COLUMNS.iter().map(|c| c.to_string()))?;
            Some(out)
        }
        None => None,
    };
    let mut counts = Counts::default();
    let mut responses = 0;
    for path in files(corpus)? {
        let opened = lobbyscope_sources::open_path(&path).with_context(|| format!("cannot read {}", path.display()))?;
        // Nothing asked of the register here, and it is the slowest to parse.
        if opened.kind == SourceKind::RegisterXml {
            continue;
        }
        for item in lobbyscope_sources::parse(opened.kind, opened.input)? {
            let Parsed::Record(sourced) = item.with_context(|| format!("cannot parse {}", path.display()))? else {
                continue;
            };
            match sourced.record {
                Record::Meeting(m) => {
                    for host in &m.hosts {
                        let key = PersonKey::of(m.institution, host);
                        let Some(href) = lobbyscope_web::format::person_href(&key) else { continue };
                        let tally = match m.institution {
                            Institution::Parliament => &mut counts.meps,
                            Institution::Commission => &mut counts.officials,
                        };
                        *tally.entry(href).or_default() += 1;
                    }
                    for procedure in &m.procedures {
                        *counts.procedures.entry(format!("/procedure/{procedure}")).or_default() += 1;
                    }
                }
                Record::Initiative(i) => {
                    counts.initiative_of.extend(i.publications.iter().map(|p| (p.id, i.id)));
                }
                Record::Feedback(f) => {
                    if let Some(publication) = f.publication_id {
                        *counts.per_publication.entry(publication).or_default() += 1;
                    }
                    if let Some(out) = &mut out {
                        csv_row(out, feedback_fields(&f)?)?;
                    }
                    responses += 1;
                }
                Record::Register(_) => {}
            }
        }
    }
    if let (Some(mut out), Some(path)) = (out, responses_csv) {
        out.flush().with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut per_initiative: HashMap<u64, u64> = HashMap::new();
    for (publication, n) in counts.per_publication {
        if let Some(&initiative) = counts.initiative_of.get(&publication) {
            *per_initiative.entry(initiative).or_default() += n;
        }
    }
    Ok(Survey {
        mep: busiest(counts.meps),
        official: busiest(counts.officials),
        procedure: busiest(counts.procedures),
        initiative: busiest(per_initiative),
        responses,
    })
}

/// The key with the highest count; the smallest such key on a tie, so that a corpus always
/// gives the same pages.
fn busiest<K: Ord>(counts: HashMap<K, u64>) -> Option<(K, u64)> {
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
}

/// Every file under `dir`, in path order.
fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                out.push(path);
            }
        }
    }
    if out.is_empty() {
        bail!("{} holds no files", dir.display());
    }
    out.sort();
    Ok(out)
}

const FEEDBACK_COLUMNS: [&str; 14] = [
    "id",
    "publication_id",
    "reference_initiative",
    "date",
    "language",
    "user_type",
    "country",
    "company_size",
    "organization",
    "first_name",
    "surname",
    "register_id",
    "text",
    "attachments",
];

/// A response as the floor's table holds it: every field, the attachments as their JSON.
fn feedback_fields(f: &Feedback) -> Result<impl Iterator<Item = String>> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let fields = [
        f.id.to_string(),
        opt(f.publication_id.map(|p| p.to_string())),
        opt(f.reference_initiative.clone()),
        opt(f.date.map(|d| d.to_string())),
        opt(f.language.clone()),
        opt(f.user_type.clone()),
        opt(f.country.clone()),
        opt(f.company_size.clone()),
        opt(f.organization.clone()),
        opt(f.first_name.clone()),
        opt(f.surname.clone()),
        opt(f.register_id.as_ref().map(|r| r.to_string())),
        f.text.clone(),
        serde_json::to_string(&f.attachments)?,
    ];
    Ok(fields.into_iter())
}

/// One RFC 4180 row, every field quoted, which `sqlite3 .import --csv` reads back exactly.
fn csv_row(out: &mut impl Write, fields: impl Iterator<Item = String>) -> Result<()> {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write!(out, "\"{}\"", field.replace('"', "\"\""))?;
    }
    out.write_all(b"\r\n")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::{busiest, csv_row};

    #[test]
    fn the_busiest_is_the_first_of_the_most() {
        let counts = HashMap::from([("b", 3), ("a", 3), ("c", 1)]);
        assert_eq!(busiest(counts), Some(("a", 3)));
        assert_eq!(busiest(HashMap::<u64, u64>::new()), None);
    }

    #[test]
    fn csv_fields_are_quoted() {
        let mut out = Vec::new();
        csv_row(&mut out, ["1".to_string(), "say \"no\",\nthen".to_string()].into_iter()).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "\"1\",\"say \"\"no\"\",\nthen\"\r\n");
    }
}
