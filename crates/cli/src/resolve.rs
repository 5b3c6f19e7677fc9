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

/// Why the resolver answered as it did, in words: the link's reason as pages give it, with the
/// evidence behind it.
fn reason(v: &Verdict) -> String {
    let matched = v.matched.as_deref().unwrap_or("");
    match v.method {
        LinkMethod::Alias if v.evidence == 1 => format!("{}, once", v.method.reason()),
        LinkMethod::Alias => format!("{}, {} times", v.method.reason(), v.evidence),
        LinkMethod::PartOfName | LinkMethod::Similar => format!("{} ({matched})", v.method.reason()),
        method => method.reason().to_owned(),
    }
}
