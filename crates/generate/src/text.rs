//! Text made from the word lists: names of people and organisations, subjects, response texts.

use rand::RngExt;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;

use crate::vocab::{Lang, Vocab};

/// Picks one item of a list the vocabularies never leave empty.
pub fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items.choose(rng).copied().unwrap_or_default()
}

/// What the placeholders of a pattern stand for, beyond the language's own word lists.
#[derive(Clone, Copy)]
pub struct Slots<'a> {
    pub lang: Lang,
    /// `%o`: the organisation that speaks.
    pub org: &'a str,
    /// `%a`: the act under discussion.
    pub act: &'a str,
    /// `%r`: a procedure reference.
    pub procedure: &'a str,
}

impl<'a> Slots<'a> {
    pub fn new(lang: Lang) -> Slots<'a> {
        Slots { lang, org: "", act: "", procedure: "" }
    }
}

/// Appends `pattern` to `out` with its placeholders filled in.
pub fn fill(out: &mut String, pattern: &str, slots: &Slots<'_>, rng: &mut ChaCha8Rng) {
    let v = slots.lang.vocab();
    let mut rest = pattern;
    let mut topic = "";
    while let Some(at) = rest.find('%') {
        out.push_str(&rest[..at]);
        let code = rest.as_bytes().get(at + 1).copied();
        match code {
            // A second topic in one sentence is another topic.
            Some(b't' | b'u') => {
                let mut next = pick(rng, v.topics);
                while next == topic && v.topics.len() > 1 {
                    next = pick(rng, v.topics);
                }
                topic = next;
                out.push_str(next);
            }
            Some(b'T') => out.push_str(pick(rng, v.headings)),
            Some(b's') => out.push_str(pick(rng, v.sectors)),
            Some(b'p') => out.push_str(pick(rng, v.places)),
            Some(b'f') => out.push_str(pick(rng, v.family)),
            Some(b'g') => out.push_str(pick(rng, v.given)),
            Some(b'o') => out.push_str(slots.org),
            Some(b'a') if slots.act.is_empty() => out.push_str(pick(rng, v.headings)),
            Some(b'a') => out.push_str(slots.act),
            Some(b'r') => out.push_str(slots.procedure),
            Some(b'n') => push_number(out, rng.random_range(3..5000)),
            Some(b'y') => push_number(out, rng.random_range(1950..2021)),
            // Not a placeholder: a percent sign as written.
            _ => {
                out.push('%');
                rest = &rest[at + 1..];
                continue;
            }
        }
        rest = rest.get(at + 2..).unwrap_or_default();
    }
    out.push_str(rest);
}

fn push_number(out: &mut String, n: u32) {
    use std::fmt::Write;
    let _ = write!(out, "{n}");
}

/// A pattern filled in, as a new string.
pub fn filled(pattern: &str, slots: &Slots<'_>, rng: &mut ChaCha8Rng) -> String {
    let mut out = String::with_capacity(pattern.len() + 40);
    fill(&mut out, pattern, slots, rng);
    out
}

/// "Given Family", as the Commission writes its staff.
pub fn person(rng: &mut ChaCha8Rng, v: &Vocab) -> (String, String) {
    let given = pick(rng, v.given).to_owned();
    // Some people carry two family names, as in Spain or in double-barrelled names.
    let family = if rng.random_bool(0.1) {
        format!("{}-{}", pick(rng, v.family), pick(rng, v.family))
    } else {
        pick(rng, v.family).to_owned()
    };
    (given, family)
}

/// A text of about `target` characters (counted in bytes, which is close enough) made of the
/// language's sentences, in paragraphs, opened by the organisation when there is one.
pub fn prose(out: &mut String, target: usize, slots: &Slots<'_>, rng: &mut ChaCha8Rng) {
    let v = slots.lang.vocab();
    let start = out.len();
    if !slots.org.is_empty() {
        fill(out, pick(rng, v.openings), slots, rng);
    }
    // The sentences in a shuffled order, none twice before all have been used.
    let mut order: Vec<&str> = v.sentences.to_vec();
    order.shuffle(rng);
    let mut next = order.iter().cycle();
    let mut in_paragraph = 0;
    while out.len() - start < target {
        if out.len() > start {
            if in_paragraph >= rng.random_range(3..7) {
                out.push_str("\n\n");
                in_paragraph = 0;
            } else {
                out.push(' ');
            }
        }
        fill(out, next.next().copied().unwrap_or_default(), slots, rng);
        in_paragraph += 1;
    }
}

/// A length drawn between `min` and `max` so that each doubling is about as likely: many short
/// texts, a long tail of long ones.
pub fn log_uniform(rng: &mut ChaCha8Rng, min: usize, max: usize) -> usize {
    let (lo, hi) = ((min.max(1) as f64).ln(), (max.max(min + 1) as f64).ln());
    rng.random_range(lo..hi).exp() as usize
}

/// Syllables for made-up brand names ("Novarix", "Telbrion"): enough of them that tens of
/// thousands of companies get distinct names.
const ONSETS: &[&str] = &[
    "No", "Tel", "Ver", "Ax", "Bri", "Cal", "Dor", "El", "Fen", "Gra", "Hel", "Ist", "Jur", "Kor", "Lum", "Mar", "Nor",
    "Or", "Pra", "Quan", "Ros", "Sil", "Tor", "Ul", "Val", "Wes", "Xen", "Zel", "Ark", "Bel", "Cor", "Dyn",
];
const MIDDLES: &[&str] =
    &["va", "ra", "le", "bri", "ti", "mo", "ne", "sa", "do", "ri", "ka", "lu", "ve", "to", "", "", "", "ga", "mi"];
const CODAS: &[&str] =
    &["rix", "on", "tis", "ex", "ia", "ora", "ent", "is", "ar", "um", "ax", "ens", "ic", "o", "as", "ec", "ium", "et"];

/// A made-up brand name.
pub fn brand(rng: &mut ChaCha8Rng) -> String {
    let mut s = String::with_capacity(12);
    s.push_str(pick(rng, ONSETS));
    s.push_str(pick(rng, MIDDLES));
    s.push_str(pick(rng, CODAS));
    s
}

/// Words that never start an acronym letter.
const SMALL_WORDS: &[&str] = &[
    "of", "for", "the", "and", "de", "des", "du", "la", "le", "et", "der", "die", "das", "und", "y", "e", "di", "del",
    "i", "w", "z", "&", "pour", "les",
];

/// The initials of a name's significant words, when they make a usable acronym (2 to 8
/// letters).
pub fn initials(name: &str) -> Option<String> {
    let letters: String = name
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty() && !SMALL_WORDS.contains(&w.to_lowercase().as_str()))
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_alphabetic())
        .flat_map(char::to_uppercase)
        .collect();
    (2..=8).contains(&letters.chars().count()).then_some(letters)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn placeholders_are_all_filled_and_other_text_is_kept() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let slots = Slots { lang: Lang::De, org: "Bundesverband X", act: "COM(2021)206", procedure: "2022/0155(COD)" };
        let out = filled("%o: %a, %r, 100 % sicher, %t.", &slots, &mut rng);
        assert!(out.starts_with("Bundesverband X: COM(2021)206, 2022/0155(COD), 100 % sicher, "), "{out}");
        assert!(!out.contains("%t"), "{out}");
    }

    #[test]
    fn prose_reaches_its_length_in_paragraphs() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut out = String::new();
        prose(&mut out, 3000, &Slots { org: "Acme", ..Slots::new(Lang::Fr) }, &mut rng);
        assert!(out.len() >= 3000 && out.len() < 3400, "{}", out.len());
        assert!(out.starts_with("Acme") || out.contains(" Acme"), "{out}");
        assert!(out.contains("\n\n"));
    }

    #[test]
    fn initials_skip_small_words() {
        assert_eq!(initials("Association of European Steel Producers").as_deref(), Some("AESP"));
        assert_eq!(initials("Fédération française des industries chimiques").as_deref(), Some("FFIC"));
        assert_eq!(initials("Novarix"), None);
    }
}
