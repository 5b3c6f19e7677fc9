//! The report of `bench corpus`: Markdown tables in the shape of BENCHMARKS.md's, or the same
//! figures as JSON. Every cell is a plain number under a header that names its unit, so that
//! the tables can be pasted and the figures read back by scripts.

use std::fmt::Write as _;

use indicatif::{HumanBytes, HumanCount};
use serde_json::{Value, json};

use super::child::Measured;
use super::corpus::{Outcome, WHOLE, per_second};
use super::{mb, mb_shown};

fn import_row(out: &mut String, label: &str, records: u64, m: &Measured) {
    let _ = writeln!(
        out,
        "| {label} | {} | {:.2} | {} | {} |",
        HumanCount(records),
        m.wall.as_secs_f64(),
        HumanCount(per_second(records, m)),
        mb_shown(m.peak_rss_kb)
    );
}

/// `200`, or each status with its count when they differ.
fn statuses(s: &std::collections::BTreeMap<u16, usize>) -> String {
    match s.len() {
        1 => s.keys().map(u16::to_string).collect(),
        _ => s.iter().map(|(code, n)| format!("{code} ×{n}")).collect::<Vec<_>>().join(", "),
    }
}

pub fn text(o: &Outcome) -> String {
    let mut out = String::new();
    let c = &o.manifest.options;
    let load = |l: Option<f64>| l.map_or_else(|| "?".to_owned(), |l| format!("{l:.2}"));
    let _ = writeln!(
        out,
        "Corpus: `generate {c}`, {} files, {}. Stores: {}. Load average {} at the start, {} at the end.\n",
        HumanCount(o.manifest.files as u64),
        HumanBytes(o.manifest.bytes),
        o.backend,
        load(o.load_average.0),
        load(o.load_average.1)
    );
    if o.backend != "SQLite" {
        let _ = writeln!(out, "Peak RSS is the lobbyscope process's: the database server's memory is not in it.\n");
    }
    let _ = writeln!(out, "| Import into a fresh store | Records | Wall (s) | Records/s | Peak RSS (MB) |");
    let _ = writeln!(out, "|---|---|---|---|---|");
    for run in &o.imports {
        let label = if run.store == WHOLE { "whole corpus".to_owned() } else { run.store.clone() };
        import_row(&mut out, &label, run.records, &run.measured);
        for floor in o.floors.iter().flatten().filter(|f| f.source == run.store) {
            import_row(
                &mut out,
                &format!("{} floor: `sqlite3 .import` of {}", floor.source, floor.what),
                floor.rows,
                &floor.measured,
            );
        }
    }
    if o.floors.is_none() {
        let _ = writeln!(out, "\nNo floor: `sqlite3` is not on the PATH.");
    }
    let _ = writeln!(
        out,
        "\n| Page (uncached, {} requests) | Path | p50 (ms) | p99 (ms) | First byte p50 (ms) | First byte p99 (ms) | Status | Bytes |",
        o.requests
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for p in &o.pages.pages {
        let _ = writeln!(
            out,
            "| {} | `{}` | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
            p.kind,
            p.path,
            p.p50_ms,
            p.p99_ms,
            p.ttfb_p50_ms,
            p.ttfb_p99_ms,
            statuses(&p.statuses),
            HumanCount(p.bytes)
        );
    }
    if !o.pages.missing.is_empty() {
        let _ = writeln!(out, "\nNothing in the data to ask for: {}.", o.pages.missing.join(", "));
    }
    let _ = writeln!(out, "\nServer peak RSS: {} MB.", mb(o.pages.server_peak_rss_kb));
    out
}

fn measured(m: &Measured, records: u64) -> Value {
    json!({
        "wall_s": m.wall.as_secs_f64(),
        "records_per_s": per_second(records, m),
        "peak_rss_mb": m.peak_rss_kb.map(mb),
    })
}

fn merged(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
}

pub fn json(o: &Outcome) -> Value {
    let imports: Vec<Value> = o
        .imports
        .iter()
        .map(|run| {
            merged(
                json!({
                    "store": run.store,
                    "db": run.db.shown(),
                    "records": run.records,
                    "stored": run.stored,
                    "stats": run.stats,
                }),
                measured(&run.measured, run.records),
            )
        })
        .collect();
    let floors = o.floors.as_ref().map(|floors| {
        floors
            .iter()
            .map(|f| merged(json!({"source": f.source, "what": f.what, "rows": f.rows}), measured(&f.measured, f.rows)))
            .collect::<Vec<_>>()
    });
    let pages: Vec<Value> = o
        .pages
        .pages
        .iter()
        .map(|p| {
            json!({
                "kind": p.kind,
                "path": p.path,
                "requests": p.requests,
                "p50_ms": p.p50_ms,
                "p99_ms": p.p99_ms,
                "ttfb_p50_ms": p.ttfb_p50_ms,
                "ttfb_p99_ms": p.ttfb_p99_ms,
                "statuses": p.statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
                "bytes": p.bytes,
            })
        })
        .collect();
    json!({
        "corpus": o.manifest,
        "backend": o.backend,
        "imports": imports,
        "floors": floors,
        "pages": pages,
        "pages_missing": o.pages.missing,
        "server_peak_rss_mb": mb(o.pages.server_peak_rss_kb),
        "load_average": [o.load_average.0, o.load_average.1],
    })
}
