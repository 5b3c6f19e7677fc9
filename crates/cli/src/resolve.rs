//! `lobbyscope resolve`: names on standard input, each resolved by the linker that import and
//! sync use, against the store given by `--db`.

use std::io::{BufRead, Write};

use anyhow::{Context, Result};
use lobbyscope_resolve::Verdict;
use lobbyscope_store::{LinkMethod, Store};

pub async fn run(store: &dyn Store, json: bool) -> Result<()> {
    let linker = lobbyscope_ingest::load_linker(store).await.context("reading the register and the aliases")?;
    let stdin = std::io::stdin().lock();
    let mut out = std::io::stdout().lock();
    for (i, line) in stdin.lines().enumerate() {
        let line = line.with_context(|| format!("standard input, line {}", i + 1))?;
        let name = line.trim();
        if name.is_empty() {
            continue;
        }
        let verdict = linker.resolver().resolve(name);
        let registered = verdict.register_id.as_ref().and_then(|id| linker.registered_name(id));
        let reason = reason(&verdict);
        if json {
            let row = serde_json::json!({
                "name": name,
                "register_id": verdict.register_id.as_ref().map(|id| id.as_str()),
                "registered_name": registered,
                "score": verdict.score,
                "method": verdict.method.as_str(),
                "reason": reason,
            });
            writeln!(out, "{row}")?;
        } else {
            let id = verdict.register_id.as_ref().map_or("", |id| id.as_str());
            writeln!(out, "{name}\t{id}\t{}\t{:.2}\t{reason}", registered.unwrap_or(""), verdict.score)?;
        }
    }
    Ok(())
}

/// Why the resolver answered as it did, in words.
fn reason(v: &Verdict) -> String {
    let matched = v.matched.as_deref().unwrap_or("");
    match v.method {
        LinkMethod::ExactName => "a registered name".into(),
        LinkMethod::Acronym => "a registered acronym or short form".into(),
        LinkMethod::Alias if v.evidence == 1 => "given once beside this register ID by a source".into(),
        LinkMethod::Alias => format!("given beside this register ID {} times by the sources", v.evidence),
        LinkMethod::PartOfName => format!("part of the name is a registered name ({matched})"),
        LinkMethod::Similar => format!("nearly a registered name ({matched})"),
        LinkMethod::Ambiguous => "could be several registered organisations: not linked".into(),
        LinkMethod::Unmatched | LinkMethod::RegisterId | LinkMethod::JoinedName => {
            "no registered name or alias matches".into()
        }
    }
}
