//! `lobbyscope analyze`: position items with progress and a summary.

use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::ProgressBar;
use lobbyscope_analysis::run::Progress;
use lobbyscope_analysis::{Extractive, LlmConfig, LlmWriter, Outcome, RunOptions, RunReport, Writer};
use lobbyscope_store::{OrgKey, Store};

use crate::report::print_rows;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WriterKind {
    /// Picks the organisation's own sentences; needs no model.
    Extractive,
    /// An OpenAI-compatible chat-completions endpoint: LOBBYSCOPE_LLM_BASE_URL,
    /// LOBBYSCOPE_LLM_MODEL, LOBBYSCOPE_LLM_API_KEY (optional).
    Llm,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn organisations(&self, total: u64) {
        self.0.set_length(total);
    }
    fn organisation_done(&self) {
        self.0.inc(1);
    }
    fn item(&self, org: &OrgKey, group: &str, outcome: &Outcome) {
        if let Outcome::Pending { error } = outcome {
            self.0.suspend(|| println!("pending: {group} of {}: {error}", org.url_segment()));
        }
    }
    fn warning(&self, message: &str) {
        self.0.suspend(|| println!("warning: {message}"));
    }
}

struct Plain;

impl Progress for Plain {
    fn item(&self, org: &OrgKey, group: &str, outcome: &Outcome) {
        if let Outcome::Pending { error } = outcome {
            println!("pending: {group} of {}: {error}", org.url_segment());
        }
    }
    fn warning(&self, message: &str) {
        println!("warning: {message}");
    }
}

pub async fn run(
    store: &dyn Store,
    org: Option<String>,
    writer: WriterKind,
    attachments: Option<PathBuf>,
    quiet: bool,
) -> Result<RunReport> {
    let llm;
    let writer: &dyn Writer = match writer {
        WriterKind::Extractive => &Extractive,
        WriterKind::Llm => {
            let config = LlmConfig::from_env().context("the llm writer is configured by environment variables")?;
            llm = LlmWriter::new(config)?;
            &llm
        }
    };
    if let Some(dir) = &attachments
        && !dir.is_dir()
    {
        anyhow::bail!("--attachments {}: not a folder", dir.display());
    }
    // A key no organisation can have is as unknown as one no organisation has.
    let org = org
        .map(|key| OrgKey::from_url_segment(&key).ok_or(lobbyscope_analysis::AnalysisError::UnknownOrganisation(key)))
        .transpose()?;
    let options = RunOptions { org, attachments };
    // Position items follow links: an import killed before its linking pass owes one.
    let resumed = lobbyscope_ingest::finish_linking(store, "analyze", &crate::report::Plain).await?;
    crate::report::print_resumed_relink(resumed);
    let report = if quiet {
        lobbyscope_analysis::analyze(store, writer, &options, &Plain).await?
    } else {
        let bar = crate::report::ticking("{spinner} position items: {human_pos}/{human_len} organisations ({eta})");
        let report = lobbyscope_analysis::analyze(store, writer, &options, &Bar(bar.clone())).await?;
        bar.finish_and_clear();
        report
    };
    print_report(&report);
    Ok(report)
}

fn print_report(r: &RunReport) {
    let writer = match &r.model {
        Some(model) => format!("{} ({model})", r.writer),
        None => r.writer.clone(),
    };
    println!("Position items by the {writer} writer, for {} organisation(s):", r.organisations);
    let rows = [
        ("groups of sources", r.groups),
        ("  written and shown", r.written),
        ("  no position found", r.empty),
        ("  unchanged since the last run", r.cached),
        ("  pending (writer failed)", r.pending),
        ("  not attempted", r.not_attempted),
        ("sentences kept by the checker", r.sentences_kept),
        ("sentences dropped by the checker", r.sentences_dropped),
        ("attachment texts extracted", r.attachments_extracted),
    ];
    print_rows(&rows);
    if r.model.is_some() {
        print_rows(&[("tokens (prompt / completion)", format!("{} / {}", r.prompt_tokens, r.completion_tokens))]);
    }
    for e in &r.attachment_errors {
        println!("  attachment not read: {e}");
    }
    if let Some(why) = &r.stopped {
        println!("Stopped early: {why}");
    }
}
