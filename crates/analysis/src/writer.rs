//! The one interface both writers share, so that the pipeline, the cache and the checker treat
//! them alike.

use async_trait::async_trait;

use crate::extractive;
use crate::llm::{Draft, LlmError, LlmWriter, PROMPT_VERSION, Usage};
use crate::passage::{Passage, SourceText};

/// Version of the extractive writer's rules, part of its items' cache keys like a prompt
/// version: changing the cues or limits must not reuse items written by the old rules.
pub const EXTRACTIVE_VERSION: &str = "extractive-2";

/// What one group of sources is, as a writer is handed it.
#[derive(Debug, Clone, Copy)]
pub struct Assignment<'a> {
    /// The organisation's name.
    pub organisation: &'a str,
    /// What the sources answer, e.g. the consultation's title; context, not citable.
    pub topic: Option<&'a str>,
    /// Every source, context ones (`organisation:`, `initiative:`) included.
    pub sources: &'a [SourceText],
    /// The passages a sentence may cite, numbered as [`crate::split_passages`] numbers all the
    /// sources; context passages and passages addressing the writer are left out, so citing
    /// one cites nothing.
    pub citable: &'a [Passage],
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Llm(#[from] LlmError),
}

impl WriteError {
    /// Whether another run may succeed: an endpoint that is down, slow, refusing or
    /// misconfigured may recover; a model that answered with unusable JSON at temperature 0
    /// will answer the same again, so that item is final for its inputs.
    pub fn is_transient(&self) -> bool {
        match self {
            WriteError::Llm(e) => !matches!(e, LlmError::Malformed { .. } | LlmError::Truncated),
        }
    }
}

/// Drafts a position item; the checker decides what of it is shown.
#[async_trait]
pub trait Writer: Send + Sync {
    /// `extractive` or `llm`, as pages name the writer.
    fn name(&self) -> &'static str;
    fn model(&self) -> Option<&str>;
    fn prompt_version(&self) -> &str;
    /// How many groups are worth drafting at once.
    fn concurrency(&self) -> usize;
    /// `Ok(None)` when the sources state no position.
    async fn draft(&self, assignment: Assignment<'_>) -> Result<Option<Draft>, WriteError>;
}

/// The extractive writer (see [`crate::extractive`]): no model, nothing to wait for.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extractive;

#[async_trait]
impl Writer for Extractive {
    fn name(&self) -> &'static str {
        "extractive"
    }

    fn model(&self) -> Option<&str> {
        None
    }

    fn prompt_version(&self) -> &str {
        EXTRACTIVE_VERSION
    }

    fn concurrency(&self) -> usize {
        1
    }

    async fn draft(&self, assignment: Assignment<'_>) -> Result<Option<Draft>, WriteError> {
        // Its headline is the context's words or a cut sentence, never a claim of its own:
        // pages get the group's neutral headline instead.
        Ok(extractive::write(assignment.sources).map(|d| Draft {
            headline: String::new(),
            sentences: d.sentences,
            usage: Usage::default(),
        }))
    }
}

#[async_trait]
impl Writer for LlmWriter {
    fn name(&self) -> &'static str {
        "llm"
    }

    fn model(&self) -> Option<&str> {
        Some(&self.config().model)
    }

    fn prompt_version(&self) -> &str {
        PROMPT_VERSION
    }

    fn concurrency(&self) -> usize {
        self.config().concurrency
    }

    async fn draft(&self, assignment: Assignment<'_>) -> Result<Option<Draft>, WriteError> {
        if assignment.citable.is_empty() {
            return Ok(None);
        }
        let draft = LlmWriter::draft(self, assignment.organisation, assignment.topic, assignment.citable).await?;
        Ok(Some(draft))
    }
}
