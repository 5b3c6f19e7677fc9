//! The extractive writer: the embedded default that needs no model. It writes nothing of its
//! own: every sentence is a verbatim stretch of one passage (possibly shortened at clause
//! boundaries) and cites that passage, so the checker can always confirm it.
//!
//! Sources whose id starts with `initiative:` (the initiative's title) or `organisation:` (the
//! organisation's name) are context for the headline only; sentences come from the others.

use lobbyscope_domain::When;
use serde::Serialize;

use crate::group::is_context;
use crate::passage::{Part, Passage, Sentence, SourceText, addresses_the_writer, split_passages};

/// What the extractive writer proposes for one position item, before the checker sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtractiveDraft {
    pub headline: String,
    pub date: Option<When>,
    pub sentences: Vec<Sentence>,
    /// All passages of the sources, numbered as `split_passages` numbers them; the sentences
    /// cite these numbers.
    pub passages: Vec<Passage>,
}

const MAX_MESSAGE: usize = 3;
const MAX_WHY: usize = 2;
const MAX_IMPACT: usize = 2;
/// Longer sentences are shortened at clause boundaries: a position item is read at a glance.
const MAX_WORDS: usize = 60;
/// Shorter passages are headings, greetings or "see attached file", not positions.
const MIN_WORDS: usize = 5;
/// Below this cue weight a passage does not state that part at all; centrality alone never
/// makes a sentence a Message, so a central but neutral sentence is not passed off as an ask.
const MIN_CUE: f64 = 1.0;
/// A Message needs more than one weak cue ("need to", "support") unless the organisation
/// speaks in its own voice: "Journalists need to …" describes, "we need to …" asks.
const MIN_MESSAGE_CUE: f64 = 1.5;
/// An Impact needs a consequence, not a topic: one weak cue ("cost", "impact") names a subject
/// ("a tool that estimates the economic cost of shutdowns"), not what would follow.
const MIN_IMPACT_CUE: f64 = 2.0;
/// Passages that must be cut to fit lose this much: a whole sentence reads better.
const CUT_PENALTY: f64 = 1.0;
const HEADLINE_WORDS: usize = 14;

/// Cue phrases with weights. A trailing `*` matches any word starting with the stem.
const MESSAGE_CUES: &[(&str, f64)] = &[
    ("we urge", 3.0),
    ("urge*", 2.0),
    ("recommend*", 2.0),
    ("call on", 2.0),
    ("calls on", 2.0),
    ("call for", 2.0),
    ("calls for", 2.0),
    ("should", 1.5),
    ("must", 1.5),
    ("support*", 1.0),
    ("oppose*", 2.0),
    ("reject*", 2.0),
    ("ask*", 1.5),
    ("suggest*", 2.0),
    ("encourage*", 2.0),
    ("we need to", 2.0),
    ("need to", 1.0),
    ("our main message", 3.0),
    ("it is vital that", 2.5),
    ("it is essential that", 2.5),
    ("it is critical that", 2.5),
    ("it is important that", 2.5),
    ("propose*", 1.0),
    ("welcome*", 1.0),
    ("we believe", 1.5),
    ("insist*", 2.0),
    ("request*", 1.5),
    ("advocate*", 2.0),
];

const WHY_CUES: &[(&str, f64)] = &[
    ("because", 2.0),
    ("in order to", 2.0),
    ("this ensures", 2.5),
    ("ensur*", 1.0),
    ("to protect", 1.5),
    ("protect*", 1.0),
    ("essential", 1.5),
    ("vital", 1.5),
    ("crucial", 1.5),
    ("critical", 1.5),
    ("necessary", 1.5),
    ("so that", 1.5),
    ("since", 1.0),
    ("due to", 1.5),
    ("important", 1.0),
    ("benefit*", 1.0),
    ("enable*", 1.0),
    ("help*", 0.5),
];

const IMPACT_CUES: &[(&str, f64)] = &[
    ("would", 2.0),
    ("will lead to", 3.0),
    ("lead* to", 2.0),
    ("result* in", 2.0),
    ("at risk", 2.5),
    ("risk*", 2.0),
    ("harm*", 2.0),
    ("cost*", 1.5),
    ("los*", 1.5),
    ("impact*", 1.0),
    ("weaken*", 2.0),
    ("threat*", 1.5),
    ("could", 1.0),
    ("jeopardi*", 2.0),
    ("undermin*", 2.0),
    ("damag*", 2.0),
    ("fragment*", 2.0),
    ("burden*", 1.5),
    ("consequence*", 2.0),
    ("disrupt*", 2.0),
    ("degrad*", 1.5),
];

const STOPWORDS: &[&str] = &[
    "the", "and", "for", "that", "this", "with", "are", "was", "were", "from", "its", "their", "they", "them", "our",
    "has", "have", "had", "not", "but", "all", "any", "can", "will", "would", "which", "who", "whom", "what", "when",
    "where", "how", "also", "into", "onto", "such", "than", "then", "there", "these", "those", "been", "being", "both",
    "each", "more", "most", "other", "some", "only", "own", "same", "very", "should", "must", "could", "may", "might",
    "shall", "about", "between", "while", "through", "your", "you", "his", "her", "she", "him", "it's", "out", "one",
];

/// A word of a passage with its code-point span in the passage's quote.
#[derive(Debug, Clone)]
struct Token {
    start: usize,
    end: usize,
    lower: String,
}

#[derive(Debug)]
struct Candidate<'a> {
    passage: &'a Passage,
    chars: Vec<char>,
    tokens: Vec<Token>,
    /// Where the usable text starts in the quote, after a glued-on heading or bullet label.
    body_start: usize,
    centrality: f64,
}

/// Picks the sentences of a position item from the sources. Returns `None` when the sources
/// state no position (no sentence carries a Message cue), e.g. a response that only says
/// "see attached file".
pub fn write(sources: &[SourceText]) -> Option<ExtractiveDraft> {
    let passages = split_passages(sources);
    let organisation = context_text(sources, "organisation:");
    let title = context_text(sources, "initiative:");

    let mut candidates: Vec<Candidate<'_>> =
        passages.iter().filter(|p| !is_context(&p.source)).filter_map(candidate).collect();
    if candidates.is_empty() {
        return None;
    }
    compute_centrality(&mut candidates);

    let org_words: Vec<String> =
        organisation.as_deref().map(|o| tokens(o).into_iter().map(|t| t.lower).collect()).unwrap_or_default();

    let scored: Vec<[Option<Scored>; 3]> = candidates
        .iter()
        .map(|c| {
            // Positions are stated in the first person or in the organisation's own name;
            // a sentence describing someone else's view is weaker evidence of an ask.
            let own_voice = speaks_for_itself(&c.tokens[..], &org_words);
            let m = score(c, MESSAGE_CUES).filter(|s| own_voice || s.cue >= MIN_MESSAGE_CUE).map(|mut s| {
                if own_voice {
                    s.total += 0.5;
                }
                s
            });
            [m, score(c, WHY_CUES), score(c, IMPACT_CUES).filter(|s| s.cue >= MIN_IMPACT_CUE)]
        })
        .collect();

    // Each passage goes to the part its cues speak for most, so an ask with a reason in it
    // stays an ask; Message wins ties, then Why.
    let mut chosen: [Vec<usize>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let limits = [MAX_MESSAGE, MAX_WHY, MAX_IMPACT];
    let mut best_part: Vec<Option<usize>> = vec![None; candidates.len()];
    for (i, parts) in scored.iter().enumerate() {
        let mut best: Option<(usize, f64)> = None;
        for (k, s) in parts.iter().enumerate() {
            if let Some(s) = s
                && best.is_none_or(|(_, w)| s.cue > w)
            {
                best = Some((k, s.cue));
            }
        }
        best_part[i] = best.map(|(k, _)| k);
    }
    let mut used = vec![false; candidates.len()];
    for k in 0..3 {
        let pool: Vec<usize> = (0..candidates.len()).filter(|&i| best_part[i] == Some(k)).collect();
        chosen[k] = take_best(&pool, &scored, k, limits[k], &mut used, &candidates);
    }
    if chosen[0].is_empty() {
        return None;
    }
    // A part left empty by the assignment borrows the best unused passage that has its cues.
    for k in 1..3 {
        if chosen[k].is_empty() {
            let pool: Vec<usize> = (0..candidates.len()).collect();
            chosen[k] = take_best(&pool, &scored, k, limits[k], &mut used, &candidates);
        }
    }

    let parts = [Part::Message, Part::Why, Part::Impact];
    let mut sentences = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        let mut picked = chosen[k].clone();
        picked.sort_by_key(|&i| candidates[i].passage.number);
        for i in picked {
            let c = &candidates[i];
            let cue_at = scored[i][k].as_ref().map_or(c.body_start, |s| s.cue_at);
            let text = trimmed_text(c, cue_at);
            // Never claim a passage says what it does not: the text must be verbatim.
            if text.is_empty() || !c.passage.quote.contains(&text) {
                continue;
            }
            sentences.push(Sentence { part: *part, text, citations: vec![c.passage.number] });
        }
    }
    let first_message = sentences.iter().find(|s| s.part == Part::Message)?;

    let headline = match (organisation, title) {
        (Some(org), Some(title)) => format!("{org} on {title}"),
        (None, Some(title)) => title,
        (_, None) => shorten_headline(&first_message.text),
    };
    let date = sources.iter().filter(|s| !is_context(&s.id)).filter_map(|s| s.date).max();

    Some(ExtractiveDraft { headline, date, sentences, passages })
}

#[derive(Debug, Clone)]
struct Scored {
    cue: f64,
    total: f64,
    /// Code-point offset in the quote of the strongest cue, around which a long passage is cut.
    cue_at: usize,
}

fn context_text(sources: &[SourceText], prefix: &str) -> Option<String> {
    sources
        .iter()
        .find(|s| s.id.starts_with(prefix))
        .and_then(|s| s.text.lines().map(str::trim).find(|l| !l.is_empty()))
        .map(str::to_string)
}

fn candidate(p: &Passage) -> Option<Candidate<'_>> {
    if addresses_the_writer(&p.quote) {
        return None;
    }
    let chars: Vec<char> = p.quote.chars().collect();
    let toks = tokens(&p.quote);
    let body_start = body_start(&chars, &toks);
    let body_words = toks.iter().filter(|t| t.start >= body_start).count();
    if body_words < MIN_WORDS {
        return None;
    }
    Some(Candidate { passage: p, chars, tokens: toks, body_start, centrality: 0.0 })
}

/// Words of a text: runs of alphanumerics (an apostrophe inside a word is kept, so "it's"
/// stays one word), lower-cased, with their code-point spans.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_alphanumeric() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || (matches!(chars[i], '\'' | '’') && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())))
            {
                i += 1;
            }
            let lower: String = chars[start..i].iter().collect::<String>().to_lowercase().replace('’', "'");
            out.push(Token { start, end: i, lower });
        } else {
            i += 1;
        }
    }
    out
}

/// Portal texts lose their line breaks, so a section heading runs into the next sentence
/// ("Internet Shutdowns We offer …") and a bullet keeps its label ("• Protection from
/// attackers: There are …"). The sentence proper starts after them.
fn body_start(chars: &[char], toks: &[Token]) -> usize {
    let first_non_space = chars.iter().position(|c| !c.is_whitespace()).unwrap_or(0);
    if matches!(chars.get(first_non_space), Some('•' | '·' | '▪' | '*' | '-' | '–')) {
        // A label ends at a colon within its first few words.
        for t in toks.iter().take(8) {
            if chars.get(t.end) == Some(&':') {
                return toks.iter().find(|n| n.start > t.end).map_or(first_non_space, |n| n.start);
            }
        }
        return toks.first().map_or(first_non_space, |t| t.start);
    }
    for (i, t) in toks.iter().enumerate().take(8).skip(1) {
        if !is_starter(&chars[t.start..t.end]) {
            continue;
        }
        // A capitalised starter with no punctuation before it marks a glued-on heading.
        let before = chars[toks[i - 1].end..t.start].iter().collect::<String>();
        if before.chars().all(|c| c.is_whitespace() || c == '+' || c.is_alphanumeric()) {
            return t.start;
        }
    }
    first_non_space
}

fn compute_centrality(candidates: &mut [Candidate<'_>]) {
    use std::collections::HashMap;
    let content: Vec<Vec<String>> = candidates
        .iter()
        .map(|c| {
            c.tokens
                .iter()
                .filter(|t| t.start >= c.body_start)
                .map(|t| t.lower.clone())
                .filter(|w| is_content(w))
                .collect()
        })
        .collect();
    // In how many passages each word occurs, so a passage's own repetitions do not count.
    let mut df: HashMap<&str, usize> = HashMap::new();
    for words in &content {
        let mut seen: Vec<&str> = words.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for w in seen {
            *df.entry(w).or_default() += 1;
        }
    }
    for (c, words) in candidates.iter_mut().zip(&content) {
        if words.is_empty() {
            continue;
        }
        let shared = words.iter().filter(|w| df.get(w.as_str()).copied().unwrap_or(0) > 1).count();
        c.centrality = shared as f64 / words.len() as f64;
    }
}

fn is_content(w: &str) -> bool {
    w.chars().count() >= 3 && !STOPWORDS.contains(&w)
}

fn speaks_for_itself(toks: &[Token], org_words: &[String]) -> bool {
    if toks.iter().any(|t| matches!(t.lower.as_str(), "we" | "our" | "us")) {
        return true;
    }
    !org_words.is_empty()
        && toks
            .windows(org_words.len())
            .any(|w| w.iter().zip(org_words).all(|(t, o)| t.lower.trim_end_matches("'s") == o.trim_end_matches("'s")))
}

/// Sums the weights of the distinct cues found in the passage body; `None` below `MIN_CUE`.
fn score(c: &Candidate<'_>, cues: &[(&str, f64)]) -> Option<Scored> {
    let body: Vec<&Token> = c.tokens.iter().filter(|t| t.start >= c.body_start).collect();
    let mut cue = 0.0;
    let mut strongest: Option<(f64, usize)> = None;
    for (phrase, weight) in cues {
        let words: Vec<&str> = phrase.split(' ').collect();
        let Some(at) = find_phrase(&body, &words) else { continue };
        cue += weight;
        if strongest.is_none_or(|(w, _)| *weight > w) {
            strongest = Some((*weight, body[at].start));
        }
    }
    if cue < MIN_CUE {
        return None;
    }
    // Many cues in one sentence are not many times the evidence.
    let cue = cue.min(4.0);
    let penalty = if word_count(&c.chars, c.body_start, c.chars.len()) > MAX_WORDS { CUT_PENALTY } else { 0.0 };
    Some(Scored { cue, total: cue + c.centrality - penalty, cue_at: strongest.map_or(c.body_start, |(_, at)| at) })
}

fn find_phrase(body: &[&Token], words: &[&str]) -> Option<usize> {
    if words.is_empty() || body.len() < words.len() {
        return None;
    }
    (0..=body.len() - words.len()).find(|&i| {
        words.iter().enumerate().all(|(j, w)| match w.strip_suffix('*') {
            Some(stem) => body[i + j].lower.starts_with(stem),
            None => body[i + j].lower == *w,
        })
    })
}

fn take_best(
    pool: &[usize],
    scored: &[[Option<Scored>; 3]],
    part: usize,
    limit: usize,
    used: &mut [bool],
    candidates: &[Candidate<'_>],
) -> Vec<usize> {
    let mut ranked: Vec<(usize, f64)> =
        pool.iter().filter(|&&i| !used[i]).filter_map(|&i| scored[i][part].as_ref().map(|s| (i, s.total))).collect();
    // Higher score first; ties go to the earlier passage, so the result never depends on
    // anything but the input.
    ranked
        .sort_by(|a, b| b.1.total_cmp(&a.1).then(candidates[a.0].passage.number.cmp(&candidates[b.0].passage.number)));
    let mut out = Vec::new();
    let mut texts: Vec<&str> = Vec::new();
    for (i, _) in ranked {
        if out.len() == limit {
            break;
        }
        // The same sentence published twice (two sources) is said once.
        let quote = candidates[i].passage.quote.as_str();
        if texts.contains(&quote) {
            continue;
        }
        used[i] = true;
        texts.push(quote);
        out.push(i);
    }
    out
}

/// The passage body, or for a long one the run of whole clauses around the cue that fits in
/// `MAX_WORDS`; always a contiguous stretch of the quote.
fn trimmed_text(c: &Candidate<'_>, cue_at: usize) -> String {
    let chars = &c.chars;
    // A sentence glued on after a lost line break ("… found here: https://… Our main message
    // is …") starts at its own first word when the cue lies in it.
    let start = c
        .tokens
        .iter()
        .filter(|t| t.start > c.body_start && t.start <= cue_at && is_starter(&chars[t.start..t.end]))
        .filter(|t| {
            let before = chars[..t.start].iter().rev().find(|ch| !ch.is_whitespace());
            t.start > 0
                && chars[t.start - 1].is_whitespace()
                && !matches!(before, Some('.' | ',' | ';' | ':' | '!' | '?' | '(' | '“' | '"'))
        })
        .map(|t| t.start)
        .next_back()
        .unwrap_or(c.body_start);
    let end = chars.len();
    let words_in = |s: usize, e: usize| word_count(chars, s, e);
    if words_in(start, end) <= MAX_WORDS {
        return clean(&chars[start..end]);
    }
    // Clause boundaries: after , ; : or around a spaced dash, and before a sentence that a
    // lost line break glued to the previous text ("… networking/ Our main message …").
    let mut bounds = vec![start];
    for i in start..end {
        let next_space = chars.get(i + 1).is_some_and(|c| c.is_whitespace());
        let prev_space = i > 0 && chars[i - 1].is_whitespace();
        if (matches!(chars[i], ',' | ';' | ':') && next_space)
            || (matches!(chars[i], '—' | '–') && prev_space && next_space)
        {
            bounds.push(i + 1);
        }
        if i > start && prev_space && c.tokens.iter().any(|t| t.start == i && is_starter(&chars[t.start..t.end])) {
            bounds.push(i);
        }
    }
    bounds.push(end);
    bounds.dedup();
    let clauses: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let k = clauses.iter().position(|&(s, e)| cue_at >= s && cue_at < e).unwrap_or(0);
    let (mut lo, mut hi) = (k, k);
    if words_in(clauses[k].0, clauses[k].1) > MAX_WORDS {
        // One clause too long on its own: a window of words starting a little before the cue.
        let words = word_spans(chars, start, end);
        let cue_word = words.iter().position(|&(_, e)| e > cue_at).unwrap_or(0);
        let first = cue_word.saturating_sub(10);
        let last = (first + MAX_WORDS).min(words.len()).saturating_sub(1);
        return match (words.get(first), words.get(last)) {
            (Some(&(s, _)), Some(&(_, e))) if s < e => clean(&chars[s..e]),
            _ => String::new(),
        };
    }
    loop {
        let mut grew = false;
        // The object of an ask usually follows its verb, so grow to the right first.
        if hi + 1 < clauses.len() && words_in(clauses[lo].0, clauses[hi + 1].1) <= MAX_WORDS {
            hi += 1;
            grew = true;
        }
        if lo > 0 && words_in(clauses[lo - 1].0, clauses[hi].1) <= MAX_WORDS {
            lo -= 1;
            grew = true;
        }
        if !grew {
            break;
        }
    }
    clean(&chars[clauses[lo].0..clauses[hi].1])
}

/// Whitespace-separated words in `chars[s..e]`, as code-point spans; what a reader counts.
fn word_spans(chars: &[char], s: usize, e: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = s;
    while i < e {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let w = i;
        while i < e && !chars[i].is_whitespace() {
            i += 1;
        }
        out.push((w, i));
    }
    out
}

fn word_count(chars: &[char], s: usize, e: usize) -> usize {
    word_spans(chars, s, e.min(chars.len())).len()
}

const STARTERS: &[&str] = &["The", "We", "Our", "This", "These", "It", "Several", "Only"];

fn is_starter(word: &[char]) -> bool {
    STARTERS.contains(&word.iter().collect::<String>().as_str())
}

/// Drops surrounding whitespace and the clause punctuation a cut leaves at either end.
fn clean(chars: &[char]) -> String {
    let dangling = |c: &char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '—' | '–' | '•');
    let s = chars.iter().position(|c| !dangling(c)).unwrap_or(chars.len());
    let e = chars.iter().rposition(|c| !dangling(c)).map_or(s, |e| e + 1);
    chars[s..e.max(s)].iter().collect()
}

/// A headline from a Message sentence: its first clause if short enough, else its first words.
fn shorten_headline(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let toks = tokens(text);
    let strip_end = |s: &str| {
        s.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '.' | ',' | ';' | ':' | '!' | '?')).to_string()
    };
    if toks.len() <= HEADLINE_WORDS {
        return strip_end(text);
    }
    if let Some(comma) = chars.iter().position(|&c| matches!(c, ',' | ';' | ':')) {
        let n = toks.iter().filter(|t| t.end <= comma).count();
        if (4..=HEADLINE_WORDS).contains(&n) {
            return strip_end(&chars[..comma].iter().collect::<String>());
        }
    }
    let last = toks[HEADLINE_WORDS - 3].end;
    format!("{}…", strip_end(&chars[..last].iter().collect::<String>()))
}
