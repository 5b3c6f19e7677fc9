//! How well names resolve, measured on names whose register ID a source gave: the ID is
//! hidden, the name resolved against the register and the aliases learned from the *other*
//! sources, and the answer compared with the ID.
//!
//! Precision and recall are over the names whose ID is in the register. The others are counted
//! apart: with an older register than the meetings (the developers' data: a 2018 snapshot,
//! meetings of 2019–2023) most are organisations that registered again under a new ID while
//! the register still holds the old one under the same name, and against the current register
//! they would resolve like the rest.

use std::collections::BTreeMap;

use lobbyscope_domain::RegisterId;
use lobbyscope_store::{Alias, RegisteredName};

use crate::Resolver;

/// A name a source published beside a register ID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Labelled {
    /// Which source published it: its aliases are not used to resolve its own names.
    pub source: String,
    pub name: String,
    pub register_id: RegisterId,
}

/// The answers for one source's labelled names (or all of them pooled).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    /// Labelled names (occurrences, not distinct names).
    pub names: u64,
    /// Of them, those whose ID is in the register.
    pub resolvable: u64,
    /// Names whose ID is not in the register, and of them those linked to some organisation.
    pub outside: u64,
    pub outside_linked: u64,
    /// Names linked to some organisation.
    pub linked: u64,
    /// Names linked to the ID the source gave.
    pub correct: u64,
    /// Wrong links: the name, the ID given, the ID linked, with how often each occurred.
    pub wrong: BTreeMap<(String, RegisterId, RegisterId), u64>,
    /// Resolvable names left unlinked, with how often each occurred.
    pub missed: BTreeMap<(String, RegisterId), u64>,
}

impl Scores {
    /// Correct links among links made; 1 when none was made.
    pub fn precision(&self) -> f64 {
        if self.linked == 0 { 1.0 } else { self.correct as f64 / self.linked as f64 }
    }

    /// Correct links among the names that could be linked; 1 when there were none.
    pub fn recall(&self) -> f64 {
        if self.resolvable == 0 { 1.0 } else { self.correct as f64 / self.resolvable as f64 }
    }

    fn add(&mut self, other: &Scores) {
        self.names += other.names;
        self.resolvable += other.resolvable;
        self.outside += other.outside;
        self.outside_linked += other.outside_linked;
        self.linked += other.linked;
        self.correct += other.correct;
        for (k, n) in &other.wrong {
            *self.wrong.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &other.missed {
            *self.missed.entry(k.clone()).or_default() += n;
        }
    }
}

/// The scores per source, and pooled under the key `"pooled"`.
pub fn evaluate(registered: &[RegisteredName], labelled: &[Labelled]) -> BTreeMap<String, Scores> {
    let mut by_source: BTreeMap<&str, Vec<&Labelled>> = BTreeMap::new();
    for l in labelled {
        by_source.entry(&l.source).or_default().push(l);
    }
    let mut out = BTreeMap::new();
    let mut pooled = Scores::default();
    for (source, own) in &by_source {
        let aliases = learned_aliases(labelled.iter().filter(|l| l.source != *source));
        let resolver = Resolver::new(registered, &aliases);
        let mut scores = Scores::default();
        // Each distinct name once, with how often it occurred: resolving is deterministic.
        for Alias { name, register_id: given, occurrences: n } in learned_aliases(own.iter().copied()) {
            let (name, given) = (name.as_str(), &given);
            scores.names += n;
            let verdict = resolver.resolve(name).register_id;
            if !resolver.knows(given) {
                scores.outside += n;
                if verdict.is_some() {
                    scores.outside_linked += n;
                }
                continue;
            }
            scores.resolvable += n;
            match verdict {
                Some(got) if &got == given => {
                    scores.linked += n;
                    scores.correct += n;
                }
                Some(got) => {
                    scores.linked += n;
                    *scores.wrong.entry((name.to_owned(), given.clone(), got)).or_default() += n;
                }
                None => *scores.missed.entry((name.to_owned(), given.clone())).or_default() += n,
            }
        }
        pooled.add(&scores);
        out.insert((*source).to_owned(), scores);
    }
    out.insert("pooled".to_owned(), pooled);
    out
}

/// The aliases the labelled names teach: each distinct (name, ID) with how often it occurred.
pub fn learned_aliases<'a>(labelled: impl Iterator<Item = &'a Labelled>) -> Vec<Alias> {
    let mut counts: BTreeMap<(&str, &RegisterId), u64> = BTreeMap::new();
    for l in labelled {
        *counts.entry((&l.name, &l.register_id)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((name, id), occurrences)| Alias { name: name.to_owned(), register_id: id.clone(), occurrences })
        .collect()
}
