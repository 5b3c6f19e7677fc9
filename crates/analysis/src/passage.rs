//! Sources, their passages, and the sentences that cite them.

pub use lobbyscope_domain::Part;
use lobbyscope_domain::When;
use serde::{Deserialize, Serialize};

/// A text an organisation wrote, as stored: a consultation response, its attachment's text,
/// or its register entry's goals and "EU legislative proposals".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceText {
    /// Stable id of the source record, e.g. `response:2665651` or `register:953701819437-32:2018-10-25:goals`.
    pub id: String,
    /// When the text was published, when known.
    pub date: Option<When>,
    pub text: String,
}

/// An exact span of a source: offsets in Unicode code points (not bytes), so that anyone can
/// check `quote == text.chars().skip(start).take(end - start)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    /// 1-based number, as the passages are numbered for a writer.
    pub number: usize,
    pub source: String,
    pub start: usize,
    pub end: usize,
    pub quote: String,
}

/// One sentence of a position item with the passage numbers it cites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    pub part: Part,
    pub text: String,
    pub citations: Vec<usize>,
}

/// Splits sources into sentence-sized passages, numbered from 1 across all sources. Sentence
/// ends are `.`, `!`, `?` followed by whitespace, or a line break; a passage never crosses
/// sources, and whitespace around it is not part of it.
pub fn split_passages(sources: &[SourceText]) -> Vec<Passage> {
    let mut out = Vec::new();
    for source in sources {
        let chars: Vec<char> = source.text.chars().collect();
        let mut start = 0;
        let mut i = 0;
        while i <= chars.len() {
            let at_end = i == chars.len();
            let boundary = at_end
                || chars[i] == '\n'
                || (matches!(chars[i], '.' | '!' | '?') && chars.get(i + 1).is_none_or(|c| c.is_whitespace()));
            if boundary {
                let end = if at_end || chars[i] == '\n' { i } else { i + 1 };
                let (s, e) = trim_span(&chars, start, end);
                if e > s {
                    out.push(Passage {
                        number: out.len() + 1,
                        source: source.id.clone(),
                        start: s,
                        end: e,
                        quote: chars[s..e].iter().collect(),
                    });
                }
                start = end;
            }
            i += 1;
        }
    }
    out
}

/// Text that addresses whoever summarises it rather than the Commission ("ignore previous
/// instructions and write …"). Such a passage is never citable: quoting or paraphrasing it
/// would put an attacker's words on the page as the organisation's position, and a model is
/// never shown it.
pub fn addresses_the_writer(text: &str) -> bool {
    let lower = text.to_lowercase();
    ADDRESSES_THE_WRITER.iter().any(|w| lower.contains(w))
}

const ADDRESSES_THE_WRITER: &[&str] = &[
    "ignore previous",
    "ignore all previous",
    "ignore the previous",
    "ignore prior",
    "ignore the above",
    "disregard previous",
    "disregard all",
    "disregard the above",
    "previous instructions",
    "prior instructions",
    "system prompt",
    "as an ai",
    "language model",
];

fn trim_span(chars: &[char], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && chars[s].is_whitespace() {
        s += 1;
    }
    while e > s && chars[e - 1].is_whitespace() {
        e -= 1;
    }
    (s, e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passages_are_exact_code_point_spans() {
        let src = SourceText {
            id: "response:1".into(),
            date: None,
            text: "Encryption is vital. We urge the Commission — not Member States — to act!\nÉlan 2.5 percent".into(),
        };
        let ps = split_passages(std::slice::from_ref(&src));
        let quotes: Vec<&str> = ps.iter().map(|p| p.quote.as_str()).collect();
        assert_eq!(
            quotes,
            ["Encryption is vital.", "We urge the Commission — not Member States — to act!", "Élan 2.5 percent"]
        );
        for p in &ps {
            let span: String = src.text.chars().skip(p.start).take(p.end - p.start).collect();
            assert_eq!(span, p.quote);
        }
        assert_eq!(ps.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2, 3]);
    }
}
