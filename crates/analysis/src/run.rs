//! `lobbyscope analyze`: writes, checks and stores the position items of every organisation (or
//! one), one item at a time so that an interrupted run loses nothing already written.
//!
//! Items are looked up by their cache key first: unchanged inputs are never drafted again, and
//! items left pending by a failed endpoint are retried (an unusable answer is not a failure of
//! the endpoint: it is final for its inputs, see `WriteError::is_transient`). When the endpoint keeps failing the
//! run stops early rather than wait out every remaining item; a rerun resumes.

use std::path::PathBuf;

use futures_util::StreamExt;
use futures_util::stream;
use lobbyscope_domain::{Citation, parenthetical_acronym};
use lobbyscope_store::{
    CheckedSentence, ItemStatus, NewPositionItem, OrgKey, PositionInputs, SourceTextRecord, Store, StoreError,
};

use crate::attachments;
use crate::checker::{check_for, check_item_for};
use crate::group::{Group, groups, is_context};
use crate::passage::{Part, Passage, Sentence, addresses_the_writer, split_passages};
use crate::writer::{Assignment, Writer};

/// Consecutive failed drafts after which a run stops: the endpoint is down, not one item bad.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 5;
/// Organisations whose groups are drafted together, bounding memory on a full run.
const ORGS_PER_ROUND: usize = 200;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Only this organisation.
    pub org: Option<OrgKey>,
    /// A folder holding responses' attachments (see [`crate::attachments::find_local`]).
    pub attachments: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no organisation {0} in the store")]
    UnknownOrganisation(String),
}

/// What became of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Its item for these inputs was stored already (written or empty).
    Cached,
    Written {
        kept: usize,
        dropped: usize,
    },
    /// No position stated, or nothing survived the checker.
    Empty {
        dropped: usize,
    },
    /// The writer failed; the item stays pending for the next run.
    Pending {
        error: String,
    },
}

pub trait Progress: Send + Sync {
    fn organisations(&self, _total: u64) {}
    fn organisation_done(&self) {}
    fn item(&self, _org: &OrgKey, _group: &str, _outcome: &Outcome) {}
    /// Something worth telling the operator that does not stop the run.
    fn warning(&self, _message: &str) {}
}

pub struct Quiet;
impl Progress for Quiet {}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    pub writer: String,
    pub model: Option<String>,
    pub organisations: u64,
    pub groups: u64,
    pub cached: u64,
    pub written: u64,
    pub empty: u64,
    pub pending: u64,
    /// Groups not attempted because the run stopped early.
    pub not_attempted: u64,
    pub sentences_kept: u64,
    pub sentences_dropped: u64,
    pub attachments_extracted: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Why the run stopped before the end, if it did.
    pub stopped: Option<String>,
    /// The first errors of pending items, as `group: error`.
    pub errors: Vec<String>,
    /// Attachments found but not readable, as `file: error`.
    pub attachment_errors: Vec<String>,
}

impl RunReport {
    /// Whether a rerun has work left: pending items or groups not attempted.
    pub fn incomplete(&self) -> bool {
        self.pending > 0 || self.not_attempted > 0
    }
}

struct Job {
    org: OrgKey,
    names: Vec<String>,
    group: Group,
    id: String,
}

/// Writes the position items of `options.org`, or of every organisation with texts of its own.
pub async fn analyze(
    store: &dyn Store,
    writer: &dyn Writer,
    options: &RunOptions,
    progress: &dyn Progress,
) -> Result<RunReport, AnalysisError> {
    let orgs = match &options.org {
        Some(org) => {
            if store.organisation(org).await?.is_none() {
                return Err(AnalysisError::UnknownOrganisation(org.url_segment()));
            }
            vec![org.clone()]
        }
        None => store.position_orgs().await?,
    };
    let mut report = RunReport {
        writer: writer.name().to_string(),
        model: writer.model().map(str::to_string),
        organisations: orgs.len() as u64,
        ..RunReport::default()
    };
    progress.organisations(orgs.len() as u64);
    let mut failures_in_a_row = 0u32;
    for round in orgs.chunks(ORGS_PER_ROUND) {
        let mut jobs = Vec::new();
        for org in round {
            let Some(mut inputs) = store.position_inputs(org).await? else { continue };
            if let Some(dir) = &options.attachments {
                extract_attachments(store, &mut inputs, dir, &mut report, progress).await?;
            }
            let names = own_names(&inputs.organisation);
            let org_groups = groups(&inputs);
            report.groups += org_groups.len() as u64;
            let keys: Vec<String> = org_groups.iter().map(|g| g.key.clone()).collect();
            store.retire_position_items(org, &keys).await?;
            let ids: Vec<String> = org_groups.iter().map(|g| g.item_id(org, writer)).collect();
            let done: Vec<String> = store
                .position_status(&ids)
                .await?
                .into_iter()
                .filter(|(_, status)| *status != ItemStatus::Pending)
                .map(|(id, _)| id)
                .collect();
            for (group, id) in org_groups.into_iter().zip(ids) {
                if done.contains(&id) {
                    report.cached += 1;
                    progress.item(org, &group.key, &Outcome::Cached);
                } else {
                    jobs.push(Job { org: org.clone(), names: names.clone(), group, id });
                }
            }
            progress.organisation_done();
        }
        if report.stopped.is_some() {
            report.not_attempted += jobs.len() as u64;
            continue;
        }

        let mut drafted = stream::iter(jobs.iter().map(|job| async move { (job, write_item(writer, job).await) }))
            .buffer_unordered(writer.concurrency().max(1));
        let mut attempted = 0u64;
        while let Some((job, item)) = drafted.next().await {
            attempted += 1;
            store.save_position_item(&item).await?;
            let kept = item.sentences.iter().filter(|s| s.kept).count();
            let dropped = item.sentences.len() - kept;
            report.prompt_tokens += item.prompt_tokens.unwrap_or(0);
            report.completion_tokens += item.completion_tokens.unwrap_or(0);
            report.sentences_kept += kept as u64;
            report.sentences_dropped += dropped as u64;
            let outcome = match item.status {
                ItemStatus::Written => {
                    report.written += 1;
                    failures_in_a_row = 0;
                    Outcome::Written { kept, dropped }
                }
                ItemStatus::Empty => {
                    report.empty += 1;
                    failures_in_a_row = 0;
                    Outcome::Empty { dropped }
                }
                ItemStatus::Pending => {
                    report.pending += 1;
                    failures_in_a_row += 1;
                    let error = item.error.clone().unwrap_or_default();
                    if report.errors.len() < 10 {
                        report.errors.push(format!("{} of {}: {error}", job.group.key, job.org.url_segment()));
                    }
                    Outcome::Pending { error }
                }
            };
            progress.item(&job.org, &job.group.key, &outcome);
            if failures_in_a_row >= MAX_CONSECUTIVE_FAILURES {
                report.stopped = Some(format!(
                    "the writer failed {MAX_CONSECUTIVE_FAILURES} times in a row (last: {}); rerun to resume",
                    item.error.as_deref().unwrap_or("unknown error")
                ));
                break;
            }
        }
        report.not_attempted += jobs.len() as u64 - attempted;
    }
    Ok(report)
}

/// How the organisation names itself, short name first ("Internet Society" for "Internet
/// Society (ISOC)"): headlines use the first, the checker accepts all of them as the author.
fn own_names(org: &lobbyscope_store::Organisation) -> Vec<String> {
    let mut names = Vec::new();
    if let Some((base, acronym)) = parenthetical_acronym(&org.name) {
        names.push(base.to_string());
        names.push(acronym.to_string());
    }
    names.push(org.name.clone());
    names.extend(org.acronym.clone());
    names.dedup();
    names
}

/// Extracts the text of the organisation's attachments found in `dir`, unless the same file's
/// text is stored already, and adds it to the inputs.
async fn extract_attachments(
    store: &dyn Store,
    inputs: &mut PositionInputs,
    dir: &std::path::Path,
    report: &mut RunReport,
    progress: &dyn Progress,
) -> Result<(), StoreError> {
    for r in &inputs.responses {
        for (i, doc) in r.attachments.iter().enumerate() {
            let Some(path) = attachments::find_local(dir, r.id, doc) else { continue };
            let id = attachments::source_id(r.id, i, doc);
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            // Blocking work (reading, pdftotext) off the async threads.
            let extracted = tokio::task::spawn_blocking(move || attachments::extract(&path))
                .await
                .map_err(|e| StoreError::Database(format!("attachment extraction panicked: {e}")))?;
            match extracted {
                Ok((text, extractor, sha)) => {
                    let known = inputs.attachment_texts.iter().any(|t| t.id == id && t.file_sha256 == sha);
                    if known {
                        continue;
                    }
                    let record = SourceTextRecord {
                        id: id.clone(),
                        response_id: r.id,
                        file,
                        file_sha256: sha,
                        extractor: extractor.to_string(),
                        text,
                        extracted_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    };
                    store.save_source_text(&record).await?;
                    inputs.attachment_texts.retain(|t| t.id != id);
                    inputs.attachment_texts.push(record);
                    report.attachments_extracted += 1;
                }
                Err(error) => {
                    let message = format!("response {} attachment {file}: {error}", r.id);
                    progress.warning(&message);
                    if report.attachment_errors.len() < 10 {
                        report.attachment_errors.push(message);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Drafts and checks one item. Never fails: a writer error becomes a pending item.
async fn write_item(writer: &dyn Writer, job: &Job) -> NewPositionItem {
    let passages = split_passages(&job.group.sources);
    let citable: Vec<Passage> =
        passages.into_iter().filter(|p| !is_context(&p.source) && !addresses_the_writer(&p.quote)).collect();
    let assignment = Assignment {
        organisation: &job.names[0],
        topic: job.group.topic.as_deref(),
        sources: &job.group.sources,
        citable: &citable,
    };
    let mut item = NewPositionItem {
        id: job.id.clone(),
        org_key: job.org.clone(),
        group: job.group.key.clone(),
        writer: writer.name().to_string(),
        model: writer.model().map(str::to_string),
        prompt_version: writer.prompt_version().to_string(),
        status: ItemStatus::Empty,
        error: None,
        headline: None,
        date: job.group.date,
        written_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        prompt_tokens: None,
        completion_tokens: None,
        sources: job.group.citable_ids(),
        sentences: Vec::new(),
    };
    let draft = match writer.draft(assignment).await {
        Ok(Some(draft)) => draft,
        Ok(None) => return item,
        Err(error) => {
            if error.is_transient() {
                item.status = ItemStatus::Pending;
            }
            item.error = Some(error.to_string());
            return item;
        }
    };
    if writer.model().is_some() {
        item.prompt_tokens = Some(draft.usage.prompt_tokens);
        item.completion_tokens = Some(draft.usage.completion_tokens);
    }
    let author: Vec<&str> = job.names.iter().map(String::as_str).collect();
    let checked = check_item_for(&draft.sentences, &citable, &author);
    item.sentences = checked
        .into_iter()
        .map(|(sentence, verdict)| CheckedSentence {
            part: sentence.part,
            citations: citations(&sentence, &citable),
            text: sentence.text,
            kept: verdict.kept,
            reason: verdict.reason,
            score: verdict.score,
        })
        .collect();
    if item.sentences.iter().any(|s| s.kept) {
        item.status = ItemStatus::Written;
        item.headline = Some(headline(&draft.headline, &item.sentences, &citable, &author, job));
    }
    item
}

/// The spans a sentence cites, in its order, without repeats; numbers of no citable passage
/// cite nothing.
fn citations(sentence: &Sentence, citable: &[Passage]) -> Vec<Citation> {
    let mut out: Vec<Citation> = Vec::new();
    for n in &sentence.citations {
        if let Some(p) = citable.iter().find(|p| p.number == *n) {
            let c = Citation { source: p.source.clone(), start: p.start, end: p.end, quote: p.quote.clone() };
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// The writer's headline when the passages its kept sentences cite support it, as every
/// sentence must be; otherwise a headline that claims nothing.
fn headline(proposed: &str, sentences: &[CheckedSentence], citable: &[Passage], author: &[&str], job: &Job) -> String {
    let cited: Vec<usize> = citable
        .iter()
        .filter(|p| {
            sentences
                .iter()
                .filter(|s| s.kept)
                .flat_map(|s| &s.citations)
                .any(|c| c.source == p.source && c.start == p.start)
        })
        .map(|p| p.number)
        .collect();
    let as_sentence = Sentence { part: Part::Message, text: proposed.trim().to_string(), citations: cited };
    if !as_sentence.text.is_empty() && check_for(&as_sentence, citable, author).kept {
        as_sentence.text
    } else {
        job.group.neutral_headline(&job.names[0])
    }
}
