//! Entity resolution: which organisation does each mention in a meeting or a consultation
//! response refer to?
//!
//! The rules, in order, each recorded as the link's [`LinkMethod`]:
//! 1. the source gave a register ID: that organisation;
//! 2. the name, by the [`Resolver`]'s rules: a registered name form, acronym or short form, an
//!    alias learned from the names sources give beside IDs, the name's parts, a near name;
//! 3. adjacent name pieces of one list, re-joined with ", ", equal exactly one registered name
//!    (sources join lists with commas, and names contain commas), unless the piece alone was
//!    found by one of the strong rules (a name form, a short form, an alias);
//! 4. otherwise the mention is an unregistered organisation keyed by its folded name; a name
//!    that could be several registered organisations is marked ambiguous, never guessed.
//!
//! Pure and deterministic: the same inputs give the same links, whatever order files came in.

pub mod evaluate;
mod resolver;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

pub use lobbyscope_store::Alias;
pub use resolver::{Resolver, Verdict};

use chrono::NaiveDate;
use lobbyscope_domain::{FoldedName, RegisterId, fold_words, shown_acronym, strip_legal_forms};
use lobbyscope_store::{
    LinkInputs, LinkMethod, LinkedMention, Mention, MentionGroup, OrgKey, Organisation, RegisteredName,
};

/// Longer than any organisation's name (the register's longest are a few hundred characters):
/// text this long in a name field is something else, so no organisation is made up for it nor
/// shown under it; the text stays on its record. It also keeps every name and key within what
/// a database can index (a PostgreSQL b-tree entry holds about 2,700 bytes, and an unregistered
/// organisation's key is its folded name): a longer one made the import's commit fail.
pub const MAX_NAME_BYTES: usize = 1000;

/// Whether `name` is within [`MAX_NAME_BYTES`].
fn fits(name: &str) -> bool {
    name.len() <= MAX_NAME_BYTES
}

/// How many adjacent pieces may be re-joined into one name. Real names carry at most a few
/// commas; a bound keeps the search linear.
const MAX_JOINED_PIECES: usize = 6;

/// The links of every mention and the organisations they point at.
#[derive(Debug, Default)]
pub struct Resolution {
    pub links: Vec<LinkedMention>,
    pub organisations: Vec<Organisation>,
}

/// The key of an organisation with a register ID.
pub fn registered_key(id: &RegisterId) -> OrgKey {
    OrgKey::Registered(id.clone())
}

/// The key of an unregistered organisation: its folded name.
pub fn unregistered_key(folded: FoldedName) -> OrgKey {
    OrgKey::Unregistered(folded)
}

/// Links every mention in `inputs`: a full pass, whose organisation list holds every
/// registered organisation and every organisation a mention points at.
pub fn resolve(inputs: &LinkInputs) -> Resolution {
    Linker::new(&inputs.registered, &inputs.aliases).link(&inputs.groups, true)
}

/// The registered names and learned aliases, indexed for linking batches of mentions as they
/// are imported.
pub struct Linker {
    resolver: Resolver,
    /// Register ID → (snapshot date, name, acronym) of its newest register entry.
    latest: HashMap<RegisterId, (NaiveDate, String, Option<String>)>,
    /// Verdicts by name as published. Sources repeat names (an organisation answers many
    /// consultations, a lobbyist meets many MEPs), and a name the rules do not find costs
    /// microseconds of near-name comparisons each time; a verdict depends on the name alone.
    verdicts: Mutex<HashMap<String, Verdict>>,
}

/// Names whose verdicts a [`Linker`] keeps at most (tens of megabytes); past it, it starts
/// afresh.
const KEPT_VERDICTS: usize = 1 << 17;

impl Linker {
    pub fn new(registered: &[RegisteredName], aliases: &[Alias]) -> Linker {
        let mut latest: HashMap<RegisterId, (NaiveDate, String, Option<String>)> = HashMap::new();
        for r in registered {
            let newer = latest.get(&r.register_id).is_none_or(|(date, ..)| r.snapshot_date > *date);
            if newer {
                latest.insert(r.register_id.clone(), (r.snapshot_date, r.name.clone(), r.acronym.clone()));
            }
        }
        Linker { resolver: Resolver::new(registered, aliases), latest, verdicts: Mutex::default() }
    }

    /// The resolver's verdict on `name`, kept for the next time the name comes.
    fn verdict(&self, name: &str) -> Verdict {
        // A poisoned lock only loses the kept verdicts: they are made again.
        if let Some(kept) = self.verdicts.lock().ok().and_then(|kept| kept.get(name).cloned()) {
            return kept;
        }
        let verdict = self.resolver.resolve(name);
        if let Ok(mut kept) = self.verdicts.lock() {
            if kept.len() >= KEPT_VERDICTS {
                kept.clear();
            }
            kept.insert(name.to_owned(), verdict.clone());
        }
        verdict
    }

    /// Links `groups`. The organisations returned are those the links point at, plus every
    /// registered organisation when `all_registered`.
    pub fn link(&self, groups: &[MentionGroup], all_registered: bool) -> Resolution {
        let mut orgs = OrgCollector::new(&self.latest, all_registered);
        let links = self.link_into(groups, &mut orgs);
        Resolution { links, organisations: orgs.finish() }
    }

    /// A full pass over mentions given page by page: the same links and organisations as
    /// [`resolve`] over all of them at once, with only the organisations held in memory.
    pub fn pass(&self) -> Pass<'_> {
        Pass { linker: self, orgs: OrgCollector::new(&self.latest, true) }
    }

    /// The newest registered name of `id`, if the register holds it.
    pub fn registered_name(&self, id: &RegisterId) -> Option<&str> {
        self.latest.get(id).map(|(_, name, _)| name.as_str())
    }

    /// The resolver behind the links, for a name on its own (`lobbyscope resolve`).
    pub fn resolver(&self) -> &Resolver {
        &self.resolver
    }

    fn link_into(&self, groups: &[MentionGroup], orgs: &mut OrgCollector<'_>) -> Vec<LinkedMention> {
        let resolver = &self.resolver;
        let mut links = Vec::new();
        for group in groups {
            let mentions = &group.mentions;
            // Each name is folded once; re-joined names reuse these folds.
            let words: Vec<Option<String>> = mentions
                .iter()
                .map(|m| m.name.as_deref().filter(|_| m.register_id.is_none()).map(fold_words))
                .collect();
            let mut i = 0;
            while i < mentions.len() {
                let m = &mentions[i];
                if let Some(id) = &m.register_id {
                    orgs.saw_registered(id, m.name.as_deref());
                    links.push(link(m, registered_key(id), LinkMethod::RegisterId));
                    i += 1;
                    continue;
                }
                let (Some(name), Some(folded)) = (m.name.as_deref(), words[i].as_deref()) else {
                    i += 1;
                    continue;
                };
                let folded = strip_legal_forms(folded);
                let Some(folded) =
                    FoldedName::parse(folded).filter(|f| !f.is_empty() && fits(f.as_str()) && fits(name))
                else {
                    // Punctuation only, or far too long: nothing to name an organisation by. The
                    // raw text stays on the item; no organisation is made up for it.
                    i += 1;
                    continue;
                };
                let verdict = self.verdict(name);
                let strong = matches!(verdict.method, LinkMethod::ExactName | LinkMethod::Acronym | LinkMethod::Alias);
                if !(strong && verdict.register_id.is_some())
                    && let Some((end, id)) = joined_match(resolver, &words[i..])
                {
                    let joined =
                        mentions[i..i + end].iter().filter_map(|m| m.name.as_deref()).collect::<Vec<_>>().join(", ");
                    orgs.saw_registered(id, Some(&joined));
                    for piece in &mentions[i..i + end] {
                        links.push(link(piece, registered_key(id), LinkMethod::JoinedName));
                    }
                    i += end;
                    continue;
                }
                let (org, method) = match &verdict.register_id {
                    Some(id) => {
                        orgs.saw_registered(id, Some(name));
                        (registered_key(id), verdict.method)
                    }
                    None => (orgs.saw_unregistered(&folded, name), verdict.method),
                };
                links.push(link(m, org, method));
                i += 1;
            }
        }
        links
    }
}

/// A full linking pass under way (see [`Linker::pass`]).
pub struct Pass<'a> {
    linker: &'a Linker,
    orgs: OrgCollector<'a>,
}

impl Pass<'_> {
    /// Links one page of mention groups.
    pub fn link(&mut self, groups: &[MentionGroup]) -> Vec<LinkedMention> {
        self.linker.link_into(groups, &mut self.orgs)
    }

    /// Every registered organisation and every organisation the pages' links point at.
    pub fn finish(self) -> Vec<Organisation> {
        self.orgs.finish()
    }
}

fn link(m: &Mention, org: OrgKey, method: LinkMethod) -> LinkedMention {
    LinkedMention { at: m.at.clone(), org, method }
}

/// The longest run of at least two adjacent name-only pieces at the start of `words` whose
/// re-joined name equals exactly one registered name: its length and that organisation.
fn joined_match<'a>(resolver: &'a Resolver, words: &[Option<String>]) -> Option<(usize, &'a RegisterId)> {
    let run = words.iter().take(MAX_JOINED_PIECES).take_while(|w| w.is_some()).count();
    (2..=run).rev().find_map(|len| {
        let joined = words[..len].iter().flatten().map(String::as_str).collect::<Vec<_>>().join(" ");
        resolver.registered_name(&joined).map(|id| (len, id))
    })
}

/// Gathers the organisations the links point at, with the name each is best shown under: the
/// newest register name, or else the published name that sorts first, so that the choice does
/// not depend on the order mentions are met in (batches linked at import agree with a full pass).
struct OrgCollector<'a> {
    latest: &'a HashMap<RegisterId, (NaiveDate, String, Option<String>)>,
    registered: BTreeMap<RegisterId, Option<String>>,
    unregistered: BTreeMap<OrgKey, String>,
}

fn keep_first_sorted(slot: &mut String, candidate: &str) {
    if candidate < slot.as_str() {
        *slot = candidate.to_owned();
    }
}

impl<'a> OrgCollector<'a> {
    fn new(latest: &'a HashMap<RegisterId, (NaiveDate, String, Option<String>)>, all_registered: bool) -> Self {
        let registered =
            if all_registered { latest.keys().map(|id| (id.clone(), None)).collect() } else { BTreeMap::new() };
        OrgCollector { latest, registered, unregistered: BTreeMap::new() }
    }

    fn saw_registered(&mut self, id: &RegisterId, published: Option<&str>) {
        let published = published.map(str::trim).filter(|n| !n.is_empty() && fits(n));
        match (self.registered.entry(id.clone()).or_default(), published) {
            (slot @ None, Some(name)) => *slot = Some(name.to_owned()),
            (Some(kept), Some(name)) => keep_first_sorted(kept, name),
            _ => {}
        }
    }

    fn saw_unregistered(&mut self, folded: &FoldedName, published: &str) -> OrgKey {
        let key = unregistered_key(folded.clone());
        let published = published.trim();
        match self.unregistered.get_mut(&key) {
            Some(kept) => keep_first_sorted(kept, published),
            None => {
                self.unregistered.insert(key.clone(), published.to_owned());
            }
        }
        key
    }

    fn finish(self) -> Vec<Organisation> {
        let mut out = Vec::with_capacity(self.registered.len() + self.unregistered.len());
        for (id, published) in self.registered {
            let (name, acronym) = match self.latest.get(&id) {
                Some((_, name, acronym)) => (name.clone(), shown_acronym(name, acronym.as_deref())),
                // Known only by ID from a meeting or response: show the published name, or
                // the ID itself when the source gave none.
                None => (published.unwrap_or_else(|| id.as_str().to_owned()), None),
            };
            out.push(Organisation { key: registered_key(&id), register_id: Some(id), name, acronym });
        }
        for (key, name) in self.unregistered {
            out.push(Organisation { key, register_id: None, name, acronym: None });
        }
        out
    }
}

#[cfg(test)]
mod tests;
