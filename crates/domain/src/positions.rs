//! Position items' shared vocabulary: the texts they are written from, the parts of an item and
//! the citations that tie each sentence to an exact span of a source text.

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::RegisterId;

/// The part of a position item a sentence belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Message,
    Why,
    Impact,
}

impl Part {
    pub const ALL: [Part; 3] = [Part::Message, Part::Why, Part::Impact];

    pub fn as_str(self) -> &'static str {
        match self {
            Part::Message => "message",
            Part::Why => "why",
            Part::Impact => "impact",
        }
    }

    pub fn parse(s: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// As the page heads it: "Message", "Why", "Impact".
    pub fn label(self) -> &'static str {
        match self {
            Part::Message => "Message",
            Part::Why => "Why",
            Part::Impact => "Impact",
        }
    }
}

/// An exact span of a source text. Offsets count Unicode code points (not bytes) so that anyone
/// can check `quote == text.chars().skip(start).take(end - start)` against `/api/source/{source}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Citation {
    /// A [`SourceRef`] in its text form.
    pub source: String,
    pub start: usize,
    pub end: usize,
    pub quote: String,
}

/// Which field of a register entry a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterText {
    Goals,
    /// "EU legislative proposals/policies" the organisation follows.
    Proposals,
}

impl RegisterText {
    pub fn as_str(self) -> &'static str {
        match self {
            RegisterText::Goals => "goals",
            RegisterText::Proposals => "proposals",
        }
    }
}

/// A text an organisation wrote that position items may cite. Its text form is the `source` of
/// a [`Citation`] and the `{ID}` of `/api/source/{ID}`:
/// - `response:2665651`: a consultation response's text;
/// - `attachment:2665651:090166e5…`: the text of a response's attachment (the part after the
///   response id is the attachment's document id, or its position `#1` when it has none);
/// - `register:953701819437-32:2018-10-25:goals` (or `:proposals`): a register entry's field in
///   the snapshot of that date.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SourceRef {
    Response(u64),
    Attachment { response: u64, document: String },
    Register { id: RegisterId, snapshot: NaiveDate, field: RegisterText },
}

impl SourceRef {
    pub fn parse(s: &str) -> Option<SourceRef> {
        // Only the canonical form parses, so that one source has one id.
        let number =
            |s: &str| (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten();
        let (kind, rest) = s.split_once(':')?;
        match kind {
            "response" => number(rest).map(SourceRef::Response),
            "attachment" => {
                let (response, document) = rest.split_once(':')?;
                let document = document.to_string();
                let plausible =
                    !document.is_empty() && document.chars().all(|c| c.is_ascii_alphanumeric() || "#-_.".contains(c));
                plausible.then_some(SourceRef::Attachment { response: number(response)?, document })
            }
            "register" => {
                let mut parts = rest.split(':');
                let raw = parts.next()?;
                let id = RegisterId::parse(raw).filter(|id| id.as_str() == raw)?;
                let snapshot = parts.next()?.parse().ok()?;
                let field = match parts.next()? {
                    "goals" => RegisterText::Goals,
                    "proposals" => RegisterText::Proposals,
                    _ => return None,
                };
                parts.next().is_none().then_some(SourceRef::Register { id, snapshot, field })
            }
            _ => None,
        }
    }
}

impl fmt::Display for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceRef::Response(id) => write!(f, "response:{id}"),
            SourceRef::Attachment { response, document } => write!(f, "attachment:{response}:{document}"),
            SourceRef::Register { id, snapshot, field } => {
                write!(f, "register:{}:{snapshot}:{}", id.as_str(), field.as_str())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_refs_round_trip() {
        for s in [
            "response:2665651",
            "attachment:2665651:090166e5a1b2c3d4",
            "attachment:7:#1",
            "register:953701819437-32:2018-10-25:goals",
            "register:953701819437-32:2018-10-25:proposals",
        ] {
            let parsed = SourceRef::parse(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(parsed.to_string(), s);
        }
    }

    #[test]
    fn malformed_source_refs_are_refused() {
        for s in [
            "",
            "response:",
            "response:-1",
            "response:12x",
            "response:+12",
            "register: 953701819437-32:2018-10-25:goals",
            "attachment:12",
            "attachment:12:",
            "attachment:12:../../etc/passwd",
            "register:953701819437-32:2018-10-25",
            "register:953701819437-32:2018-10-25:costs",
            "register:953701819437-32:2018-13-25:goals",
            "register:nope:2018-10-25:goals",
            "register:953701819437-32:2018-10-25:goals:x",
            "organisation:953701819437-32",
        ] {
            assert_eq!(SourceRef::parse(s), None, "{s}");
        }
    }
}
