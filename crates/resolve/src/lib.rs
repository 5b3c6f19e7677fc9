//! Entity resolution: which organisation does each mention in a meeting or a consultation
//! response refer to?
//!
//! The rules, in order, each recorded as the link's [`LinkMethod`]:
//! 1. the source gave a register ID: that organisation;
//! 2. the folded name equals exactly one registered name (a snapshot's name, or that name
//!    without its trailing "(ACRONYM)");
//! 3. the folded name equals exactly one registered acronym (the `acronym` element, or the
//!    trailing parenthesis of the name);
//! 4. adjacent name pieces of one list, re-joined with ", ", equal exactly one registered name
//!    (sources join lists with commas, and names contain commas);
//! 5. otherwise the mention is an unregistered organisation keyed by its folded name; a name
//!    shared by several registered organisations is marked ambiguous, never guessed.
//!
//! Pure and deterministic: the same inputs give the same links, whatever order files came in.

use std::collections::{BTreeMap, HashMap, HashSet};

use lobbyscope_domain::{fold_name, parenthetical_acronym, RegisterId};
use lobbyscope_store::{
    LinkInputs, LinkMethod, LinkedMention, Mention, OrgKey, Organisation, RegisteredName,
};

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
    OrgKey(id.as_str().to_owned())
}

/// The key of an unregistered organisation: `n:` and its folded name, words joined by `-`,
/// so that it reads well in a URL.
pub fn unregistered_key(folded: &str) -> OrgKey {
    OrgKey(format!("n:{}", folded.replace(' ', "-")))
}

/// Folded names (and acronyms) to the register IDs that carry them.
#[derive(Default)]
struct NameIndex {
    names: HashMap<String, HashSet<RegisterId>>,
    acronyms: HashMap<String, HashSet<RegisterId>>,
}

enum Lookup<'a> {
    One(&'a RegisterId, LinkMethod),
    Ambiguous,
    None,
}

impl NameIndex {
    fn build(registered: &[RegisteredName]) -> NameIndex {
        let mut index = NameIndex::default();
        let add = |map: &mut HashMap<String, HashSet<RegisterId>>, name: &str, id: &RegisterId| {
            let folded = fold_name(name);
            if !folded.is_empty() {
                map.entry(folded).or_default().insert(id.clone());
            }
        };
        for r in registered {
            add(&mut index.names, &r.name, &r.register_id);
            if let Some((base, acronym)) = parenthetical_acronym(&r.name) {
                add(&mut index.names, base, &r.register_id);
                add(&mut index.acronyms, acronym, &r.register_id);
            }
            if let Some(acronym) = &r.acronym {
                add(&mut index.acronyms, acronym, &r.register_id);
            }
        }
        index
    }

    fn lookup(&self, folded: &str) -> Lookup<'_> {
        for (map, method) in [(&self.names, LinkMethod::ExactName), (&self.acronyms, LinkMethod::Acronym)] {
            if let Some(ids) = map.get(folded) {
                return match ids.len() {
                    1 => Lookup::One(ids.iter().next().unwrap(), method),
                    _ => Lookup::Ambiguous,
                };
            }
        }
        Lookup::None
    }
}

/// Links every mention in `inputs`.
pub fn resolve(inputs: &LinkInputs) -> Resolution {
    let index = NameIndex::build(&inputs.registered);
    let mut orgs = OrgCollector::new(&inputs.registered);
    let mut links = Vec::new();

    for group in &inputs.groups {
        let mentions = &group.mentions;
        let mut i = 0;
        while i < mentions.len() {
            let m = &mentions[i];
            if let Some(id) = &m.register_id {
                orgs.saw_registered(id, m.name.as_deref());
                links.push(link(m, registered_key(id), LinkMethod::RegisterId));
                i += 1;
                continue;
            }
            if let Some(end) = joined_match(&index, mentions, i) {
                let joined = join_names(&mentions[i..end]);
                let Lookup::One(id, _) = index.lookup(&fold_name(&joined)) else { unreachable!() };
                orgs.saw_registered(id, Some(&joined));
                for piece in &mentions[i..end] {
                    links.push(link(piece, registered_key(id), LinkMethod::JoinedName));
                }
                i = end;
                continue;
            }
            let Some(name) = m.name.as_deref() else {
                i += 1;
                continue;
            };
            let folded = fold_name(name);
            if folded.is_empty() {
                // Punctuation only: nothing to name an organisation by. The raw text stays on
                // the item; no organisation is made up for it.
                i += 1;
                continue;
            }
            match index.lookup(&folded) {
                Lookup::One(id, method) => {
                    orgs.saw_registered(id, Some(name));
                    links.push(link(m, registered_key(id), method));
                }
                Lookup::Ambiguous => {
                    links.push(link(m, orgs.saw_unregistered(&folded, name), LinkMethod::Ambiguous));
                }
                Lookup::None => {
                    links.push(link(m, orgs.saw_unregistered(&folded, name), LinkMethod::Unmatched));
                }
            }
            i += 1;
        }
    }
    Resolution { links, organisations: orgs.finish() }
}

fn link(m: &Mention, org: OrgKey, method: LinkMethod) -> LinkedMention {
    LinkedMention { at: m.at.clone(), org, method }
}

fn join_names(pieces: &[Mention]) -> String {
    pieces.iter().filter_map(|m| m.name.as_deref()).collect::<Vec<_>>().join(", ")
}

/// The end of the longest run of at least two name-only pieces from `start` whose re-joined
/// name matches exactly one registered name, if the piece alone does not already match.
fn joined_match(index: &NameIndex, mentions: &[Mention], start: usize) -> Option<usize> {
    let name_only = |m: &Mention| m.register_id.is_none() && m.name.is_some();
    if !name_only(&mentions[start]) {
        return None;
    }
    if let Lookup::One(..) = index.lookup(&fold_name(mentions[start].name.as_deref()?)) {
        return None;
    }
    let run = mentions[start..].iter().take(MAX_JOINED_PIECES).take_while(|m| name_only(m)).count();
    (2..=run).rev().find(|&len| {
        let joined = join_names(&mentions[start..start + len]);
        matches!(index.lookup(&fold_name(&joined)), Lookup::One(_, LinkMethod::ExactName))
    })
    .map(|len| start + len)
}

/// Gathers the organisations the links point at, with the name each is best shown under.
struct OrgCollector {
    /// Register ID → (snapshot date, name, acronym) of its newest register entry.
    latest: HashMap<RegisterId, (String, String, Option<String>)>,
    registered: BTreeMap<RegisterId, Option<String>>,
    unregistered: BTreeMap<OrgKey, String>,
}

impl OrgCollector {
    fn new(registered: &[RegisteredName]) -> Self {
        let mut latest: HashMap<RegisterId, (String, String, Option<String>)> = HashMap::new();
        for r in registered {
            let newer = latest.get(&r.register_id).is_none_or(|(date, ..)| r.snapshot_date > *date);
            if newer {
                latest.insert(r.register_id.clone(), (r.snapshot_date.clone(), r.name.clone(), r.acronym.clone()));
            }
        }
        let registered = latest.keys().map(|id| (id.clone(), None)).collect();
        OrgCollector { latest, registered, unregistered: BTreeMap::new() }
    }

    /// The first published name is kept for an organisation the register does not list.
    fn saw_registered(&mut self, id: &RegisterId, published: Option<&str>) {
        let entry = self.registered.entry(id.clone()).or_default();
        if entry.is_none() {
            *entry = published.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        }
    }

    fn saw_unregistered(&mut self, folded: &str, published: &str) -> OrgKey {
        let key = unregistered_key(folded);
        self.unregistered.entry(key.clone()).or_insert_with(|| published.trim().to_owned());
        key
    }

    fn finish(self) -> Vec<Organisation> {
        let mut out = Vec::with_capacity(self.registered.len() + self.unregistered.len());
        for (id, published) in self.registered {
            let (name, acronym) = match self.latest.get(&id) {
                Some((_, name, acronym)) => {
                    let acronym = acronym.clone().or_else(|| parenthetical_acronym(name).map(|(_, a)| a.to_owned()));
                    (name.clone(), acronym)
                }
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
