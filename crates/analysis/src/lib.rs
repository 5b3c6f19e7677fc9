//! Position items: what an organisation asks for (Message), why (Why) and what would follow
//! (Impact), in sentences that each cite the exact passages of the organisation's own words
//! they rest on. A writer drafts; the checker keeps only what the cited passages support.
//!
//! Source text is data, never instructions: a writer may be handed a consultation response
//! that says "ignore previous instructions", and the checker removes whatever is not grounded
//! in the passages, whoever wrote it.

pub mod passage;
pub mod llm;

pub use passage::{split_passages, Part, Passage, Sentence, SourceText};
pub mod checker;
pub use checker::{check, check_item, Verdict, THRESHOLD};
pub use llm::{Draft, LlmConfig, LlmError, LlmWriter, Usage, PROMPT_VERSION};
