//! `lobbyscope generate`: what the generator wrote, per source.

use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{HumanBytes, HumanCount, HumanDuration};
use lobbyscope_domain::SourceKind;
use lobbyscope_generate::{Options, Report, generate};

pub fn run(out: &Path, opts: &Options) -> Result<Report> {
    println!(
        "Generating {} organisations, {} EP and {} Commission meetings, {} consultation responses (seed {}) into {}",
        HumanCount(u64::from(opts.orgs)),
        HumanCount(opts.ep),
        HumanCount(opts.ec),
        HumanCount(opts.responses),
        opts.seed,
        out.display()
    );
    let report = generate(out, opts).with_context(|| format!("cannot generate into {}", out.display()))?;
    println!("{:<38} {:>7} {:>11} {:>10}", "source", "files", "records", "size");
    let sources = [
        (SourceKind::RegisterXml, "register snapshots (ODP XML)"),
        (SourceKind::CommissionMeetingsXlsx, "Commission meetings (XLSX)"),
        (SourceKind::CommissionMeetingsXml, "Commission meetings (XML)"),
        (SourceKind::EpMeetingsCsv, "EP MEP meetings (CSV)"),
        (SourceKind::HysInitiative, "Have Your Say initiatives (JSON)"),
        (SourceKind::HysFeedback, "Have Your Say responses (JSON pages)"),
    ];
    for (source, label) in sources {
        let files: Vec<_> = report.files.iter().filter(|f| f.source == source).collect();
        let bytes: u64 = files.iter().map(|f| f.bytes).sum();
        let records = report.records(&[source]);
        println!(
            "{label:<38} {:>7} {:>11} {:>10}",
            files.len(),
            HumanCount(records).to_string(),
            HumanBytes(bytes).to_string()
        );
    }
    for file in report.files.iter().filter(|f| !matches!(f.source, SourceKind::HysInitiative | SourceKind::HysFeedback))
    {
        println!("  {} ({} records, {})", file.path.display(), HumanCount(file.records), HumanBytes(file.bytes));
    }
    println!(
        "Wrote {} files, {}, in {} ({:.1} s). Synthetic data, the same bytes for the same options.",
        report.files.len(),
        HumanBytes(report.bytes()),
        HumanDuration(report.elapsed),
        report.elapsed.as_secs_f64()
    );
    Ok(report)
}
