//! How a name search matches and orders organisations, the same for every backend: a backend
//! gives the names and acronyms it knows each organisation by and reads the organisations
//! found; which of them match, how well, and in what order is decided here.

use std::collections::HashMap;
use std::hash::Hash;

use lobbyscope_domain::{fold_name, fold_words, parenthetical_acronym};

use crate::{MatchKind, Organisation};

/// A search's words, folded as names are (case, accents and punctuation).
pub struct NameQuery {
    words: String,
    folded: String,
}

impl NameQuery {
    /// `None` when the query holds no word to match.
    pub fn new(query: &str) -> Option<NameQuery> {
        let words = fold_words(query);
        (!words.is_empty()).then(|| NameQuery { words, folded: fold_name(query) })
    }

    /// How `text` matches: all of it, its start, or somewhere inside, word by word; a name
    /// with its acronym in parentheses ("Internet Society (ISOC)") also matches as either.
    pub fn match_kind(&self, text: &str) -> Option<MatchKind> {
        let one = |text: &str| {
            let text_words = fold_words(text);
            if text_words == self.words || fold_name(text) == self.folded {
                Some(MatchKind::Exact)
            } else if text_words.starts_with(&self.words) {
                Some(MatchKind::Prefix)
            } else if text_words.contains(&self.words) {
                Some(MatchKind::Contains)
            } else {
                None
            }
        };
        let parts = parenthetical_acronym(text).map(|(base, acronym)| [base, acronym]);
        std::iter::once(text).chain(parts.into_iter().flatten()).filter_map(one).min()
    }

    /// Each organisation's best match among its names (`(key, name)` pairs), with the name
    /// that gave it (among equally good ones, the one that sorts first).
    pub fn best<K: Eq + Hash>(&self, names: impl IntoIterator<Item = (K, String)>) -> HashMap<K, (MatchKind, String)> {
        let mut best: HashMap<K, (MatchKind, String)> = HashMap::new();
        for (key, text) in names {
            let Some(kind) = self.match_kind(&text) else { continue };
            match best.get(&key) {
                Some((k, t)) if (*k, t) <= (kind, &text) => {}
                _ => {
                    best.insert(key, (kind, text));
                }
            }
        }
        best
    }
}

/// Search hits in the order pages show them: exact matches, then prefixes, then the rest, each
/// by folded name, then key; at most `limit`.
pub fn rank_hits(
    hits: impl IntoIterator<Item = (Organisation, MatchKind, String)>,
    limit: usize,
) -> Vec<(Organisation, MatchKind, String)> {
    let mut ranked: Vec<(MatchKind, String, (Organisation, MatchKind, String))> =
        hits.into_iter().map(|hit| (hit.1, fold_words(&hit.0.name), hit)).collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)).then_with(|| a.2.0.key.cmp(&b.2.0.key)));
    ranked.truncate(limit);
    ranked.into_iter().map(|(_, _, hit)| hit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whole_at_the_start_or_inside_and_by_their_parts() {
        let q = NameQuery::new("internet society").expect("words");
        assert_eq!(q.match_kind("Internet Society (ISOC)"), Some(MatchKind::Exact));
        assert_eq!(q.match_kind("INTERNET SOCIETY"), Some(MatchKind::Exact));
        assert_eq!(q.match_kind("Internet Society Europe"), Some(MatchKind::Prefix));
        assert_eq!(q.match_kind("The Internet Society Foundation"), Some(MatchKind::Contains));
        assert_eq!(q.match_kind("Society of the Internet"), None);
        assert_eq!(
            NameQuery::new("isoc").expect("a word").match_kind("Internet Society (ISOC)"),
            Some(MatchKind::Exact)
        );
        assert!(NameQuery::new(" - ").is_none());
    }

    #[test]
    fn each_organisation_keeps_its_best_name() {
        let q = NameQuery::new("isoc").expect("a word");
        let best = q.best([(1, "ISOC Europe".to_owned()), (1, "ISOC".to_owned()), (2, "Friends of ISOC".to_owned())]);
        assert_eq!(best[&1], (MatchKind::Exact, "ISOC".to_owned()));
        assert_eq!(best[&2], (MatchKind::Contains, "Friends of ISOC".to_owned()));
    }
}
