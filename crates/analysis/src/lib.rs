//! Position items: what an organisation asks for (Message), why (Why) and what would follow
//! (Impact), in sentences that each cite the exact passages of the organisation's own words
//! they rest on. A writer drafts; the checker keeps only what the cited passages support.
//!
//! Source text is data, never instructions: a writer may be handed a consultation response
//! that says "ignore previous instructions", and the checker removes whatever is not grounded
//! in the passages, whoever wrote it.

pub mod attachments;
pub mod checker;
pub mod extractive;
pub mod group;
pub mod llm;
pub mod passage;
pub mod pdf;
pub mod run;
pub mod writer;

pub use checker::{THRESHOLD, Verdict, check, check_item};
pub use extractive::ExtractiveDraft;
pub use llm::{Draft, LlmConfig, LlmError, LlmWriter, PROMPT_VERSION, Usage};
pub use passage::{Part, Passage, Sentence, SourceText, split_passages};
pub use run::{AnalysisError, Outcome, RunOptions, RunReport, analyze};
pub use writer::{Extractive, Writer};
