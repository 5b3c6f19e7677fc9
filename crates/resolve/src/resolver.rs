//! One name to one register ID, or none, with the reason: the rules the linker applies to each
//! mention a source gave without an ID.
//!
//! Candidates come from the register (every snapshot's name; the name without a trailing
//! parenthesis; the parts of a name joined by " - " or " / "; the acronym and the short form in
//! the trailing parenthesis) and from aliases: names that sources published beside a register
//! ID, weighed by how often. Precision first: a name that could be two organisations is linked
//! to neither, and the weaker a rule, the more it asks of the evidence.
//!
//! The rules, strongest first:
//! 1. the folded name (case, accents, punctuation, trailing legal forms) is one registered name
//!    form; when several organisations share it, the legal form the name carries decides, or
//!    nothing does;
//! 2. a name that is one token, with no legal form taken off, is one registered acronym or
//!    short form, and no other organisation's name begins with it;
//! 3. the folded name is an alias that at least 90 % of its occurrences give with one ID;
//! 4. the name without spaces is one registered name without spaces ("Business Europe");
//! 5. the name's parts (around " - ", " / ", ":", parentheses, commas, "from") name one
//!    organisation between them by rules 1–4, and none names another;
//! 6. the name's words, function words aside, are those of one organisation's name form but
//!    for words that say which office or branch ("EU", "Europe", "Brussels", "International"),
//!    or are a shortening of it that holds a word few names have ("Greenpeace" for "Greenpeace
//!    European Unit"), and of no other organisation's;
//! 7. the folded name is one organisation's name form but for a few characters (a typo,
//!    mojibake), well ahead of any other organisation's.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use lobbyscope_domain::{RegisterId, fold_words, is_legal_form, strip_legal_forms};
use lobbyscope_store::{Alias, LinkMethod, RegisteredName};
use rapidfuzz::distance::{jaro_winkler, levenshtein};

/// What the resolver made of a name.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub register_id: Option<RegisterId>,
    pub method: LinkMethod,
    /// How sure: 1 for an exact match; below for weaker evidence.
    pub score: f64,
    /// The name form or part that matched, folded, when it was not the whole name.
    pub matched: Option<String>,
    /// For an alias: how many mentions gave the name beside this ID.
    pub evidence: u64,
}

impl Verdict {
    fn none(method: LinkMethod) -> Verdict {
        Verdict { register_id: None, method, score: 0.0, matched: None, evidence: 0 }
    }

    fn found(id: &RegisterId, method: LinkMethod, score: f64) -> Verdict {
        Verdict { register_id: Some(id.clone()), method, score, matched: None, evidence: 0 }
    }
}

/// Share of an alias's occurrences that must name one ID for the alias to count.
const ALIAS_AGREEMENT: f64 = 0.9;
/// The fewest characters an acronym or short form needs to be matched alone: two letters
/// name too many organisations ("GP").
const MIN_ACRONYM_CHARS: usize = 3;
/// From this length an acronym is a word of its own, written in any case ("Eurobat" for
/// "EUROBAT"); shorter ones must be written as acronyms ("Reset" is not "RESET").
const WORDLIKE_ACRONYM_CHARS: usize = 6;
/// Rule 6: the similarity a name needs to its best candidate, and how far ahead of the next
/// organisation's it must be.
const NEAR_THRESHOLD: f64 = 0.92;
const NEAR_MARGIN: f64 = 0.05;
/// Rule 7 allows this many edits, and one more for each so many characters.
const MAX_TYPO_EDITS: usize = 2;
const TYPO_CHARS_PER_EDIT: usize = 30;
/// Rule 6 looks only at candidates sharing a word that at most this many name forms have.
const NEAR_RARE_WORD: usize = 50;

/// Rule 6: a word fewer name forms than this hold may stand for the name alone.
const SHORTENING_RARE_WORD: usize = 3;

/// Words that say which office, branch or reach of an organisation is meant, not which
/// organisation: names that differ only by them name the same one (rule 6).
const BRANCH_WORDS: &[&str] = &[
    "brussels",
    "bruxelles",
    "brussel",
    "eu",
    "europe",
    "european",
    "europa",
    "global",
    "group",
    "international",
    "liaison",
    "office",
    "representation",
    "worldwide",
];

/// Function words of the EU languages NLTK lists, folded as names are.
static FUNCTION_WORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    ["da", "de", "en", "es", "fi", "fr", "hu", "it", "nl", "pt", "ro", "sl", "sv"]
        .into_iter()
        .filter_map(stop_words::lookup)
        .flatten()
        .map(|w| fold_words(w))
        .filter(|w| !w.is_empty() && !w.contains(' '))
        .collect()
});

/// The words of a folded name that say which organisation it is: function words and legal
/// forms aside, unless `all` (a name written in capitals, whose every word may be the brand's:
/// "FREE NOW").
fn content_words(core: &str, all: bool) -> BTreeSet<&str> {
    core.split(' ').filter(|w| (all || !FUNCTION_WORDS.contains(*w)) && !is_legal_form(w)).collect()
}

/// The ID that at least [`ALIAS_AGREEMENT`] of an alias's occurrences give, with that share
/// and those occurrences.
fn agreeing(per_id: &HashMap<RegisterId, u64>) -> Option<(&RegisterId, f64, u64)> {
    let total: u64 = per_id.values().sum();
    let (id, &n) = per_id.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))?;
    let share = n as f64 / total as f64;
    (share >= ALIAS_AGREEMENT).then_some((id, share, n))
}

/// A registered name form: the organisation and the legal form it was written with.
#[derive(Debug, Clone)]
struct Form {
    id: RegisterId,
    legal: String,
}

/// The register's names and the learned aliases, folded and indexed.
#[derive(Default)]
pub struct Resolver {
    /// Folded name form (legal forms off) → the organisations with it.
    names: HashMap<String, Vec<Form>>,
    /// The same, spaces removed.
    compact: HashMap<String, HashSet<RegisterId>>,
    /// Folded acronym or short form → the organisations with it, each with whether it is
    /// written as an acronym proper (two capitals or more: "RESET", not "Scania").
    acronyms: HashMap<String, Vec<(RegisterId, bool)>>,
    /// First word of a name form → the organisations whose name begins with it.
    first_words: HashMap<String, HashSet<RegisterId>>,
    /// What rules 6 and 7 compare names with: name forms, short forms of several words and
    /// agreeing aliases, each with the organisations it names.
    pool: HashMap<String, BTreeSet<RegisterId>>,
    /// Word → the keys of `pool` that hold it.
    words: HashMap<String, Vec<String>>,
    /// Folded alias → occurrences per ID.
    aliases: HashMap<String, HashMap<RegisterId, u64>>,
    registered: HashSet<RegisterId>,
}

enum Found<'a> {
    One(&'a RegisterId),
    Several,
    Nothing,
}

fn one<'a>(mut ids: impl Iterator<Item = &'a RegisterId>) -> Found<'a> {
    let Some(first) = ids.next() else { return Found::Nothing };
    if ids.all(|id| id == first) { Found::One(first) } else { Found::Several }
}

/// A folded name split into what identifies it and its trailing legal forms; a leading "the"
/// says nothing either ("Equinet - the European Network of Equality Bodies").
fn split_legal(words: &str) -> (&str, &str) {
    let stripped = strip_legal_forms(words);
    let legal = words[stripped.len()..].trim_start();
    (stripped.strip_prefix("the ").unwrap_or(stripped), legal)
}

/// The content of a trailing parenthesis and the name before it: "Volvo AB (Volvo)",
/// "QUALCOMM Inc. (QCOM (NASDAQ))".
fn trailing_parenthesis(name: &str) -> Option<(&str, &str)> {
    let inner = name.trim_end().strip_suffix(')')?;
    let mut depth = 0usize;
    let open = inner.char_indices().rev().find_map(|(i, c)| match c {
        ')' => {
            depth += 1;
            None
        }
        '(' if depth == 0 => Some(i),
        '(' => {
            depth -= 1;
            None
        }
        _ => None,
    })?;
    let base = inner[..open].trim_end();
    let short = inner[open + 1..].trim();
    (!base.is_empty() && !short.is_empty()).then_some((base, short))
}

/// The parts of a name that may each be a name: around dashes, slashes, colons, parentheses
/// and commas.
fn parts(name: &str) -> Vec<&str> {
    let mut out = vec![name];
    for sep in [" - ", " – ", " — ", " / ", " | ", ": ", "(", ")", ", "] {
        out = out.iter().flat_map(|p| p.split(sep)).collect();
    }
    out.into_iter().map(str::trim).filter(|p| !p.is_empty() && p.len() < name.trim().len()).collect()
}

/// What follows a person or a body within an organisation: "Jane Doe from Transparency
/// International", "Jane Doe of the European Movement", "Board members of the Deutscher
/// Bundesjugendring".
fn after_person(name: &str) -> Option<&str> {
    [" from the ", " from ", " From ", " of the ", " of "]
        .iter()
        .find_map(|sep| name.split_once(sep).map(|(_, org)| org.trim()))
        .filter(|org| !org.is_empty())
}

/// Whether the name, as published, is written like an acronym or short form: one token with two
/// capitals or more, or with no lower-case letter.
fn looks_short(name: &str) -> bool {
    let t = name.trim();
    !t.contains(char::is_whitespace)
        && t.chars().filter(|c| c.is_alphanumeric()).count() >= MIN_ACRONYM_CHARS
        && (t.chars().filter(|c| c.is_uppercase()).count() >= 2 || !t.chars().any(char::is_lowercase))
}

impl Resolver {
    pub fn new(registered: &[RegisteredName], aliases: &[Alias]) -> Resolver {
        let mut r = Resolver::default();
        for n in registered {
            r.registered.insert(n.register_id.clone());
            r.add_name(&n.name, &n.register_id);
            if let Some((base, short)) = trailing_parenthesis(&n.name) {
                r.add_name(base, &n.register_id);
                r.add_acronym(short, &n.register_id);
            }
            if let Some(acronym) = &n.acronym {
                r.add_acronym(acronym, &n.register_id);
            }
        }
        for a in aliases {
            // As a registered name, also without its trailing parenthesis: "NGVA Europe (NGVA
            // Europe)".
            let base = trailing_parenthesis(&a.name).map(|(base, _)| base);
            for name in std::iter::once(a.name.as_str()).chain(base) {
                let folded = split_legal(&fold_words(name)).0.to_owned();
                if !folded.is_empty() && !is_legal_form(&folded) {
                    *r.aliases.entry(folded).or_default().entry(a.register_id.clone()).or_default() += a.occurrences;
                }
            }
        }
        for (key, forms) in &r.names {
            r.pool.entry(key.clone()).or_default().extend(forms.iter().map(|f| f.id.clone()));
            if let Some(first) = key.split(' ').next() {
                r.first_words.entry(first.to_owned()).or_default().extend(forms.iter().map(|f| f.id.clone()));
            }
        }
        for (key, entries) in r.acronyms.iter().filter(|(key, _)| key.contains(' ')) {
            r.pool.entry(key.clone()).or_default().extend(entries.iter().map(|(id, _)| id.clone()));
        }
        for (key, per_id) in &r.aliases {
            if let Some((id, ..)) = agreeing(per_id) {
                r.pool.entry(key.clone()).or_default().insert(id.clone());
            }
        }
        for key in r.pool.keys() {
            for word in key.split(' ').collect::<BTreeSet<_>>() {
                r.words.entry(word.to_owned()).or_default().push(key.clone());
            }
        }
        r
    }

    /// A registered name form, and its parts of two words or more as forms of their own ("WWF -
    /// UK" is not the name "WWF", nor "International Council of Shopping Centers/Europe LLC" the
    /// name "Europe").
    fn add_name(&mut self, name: &str, id: &RegisterId) {
        self.add_form(name, id);
        for sep in [" - ", " – ", "/", " | "] {
            if name.contains(sep) {
                for part in name.split(sep) {
                    if split_legal(&fold_words(part)).0.contains(' ') {
                        self.add_form(part, id);
                    }
                }
            }
        }
    }

    fn add_form(&mut self, name: &str, id: &RegisterId) {
        let words = fold_words(name);
        let (core, legal) = split_legal(&words);
        if core.is_empty() || is_legal_form(core) {
            return;
        }
        let forms = self.names.entry(core.to_owned()).or_default();
        if !forms.iter().any(|f| &f.id == id && f.legal == legal) {
            forms.push(Form { id: id.clone(), legal: legal.to_owned() });
        }
        self.compact.entry(core.replace(' ', "")).or_default().insert(id.clone());
    }

    fn add_acronym(&mut self, acronym: &str, id: &RegisterId) {
        let folded = strip_legal_forms(&fold_words(acronym)).to_owned();
        if folded.chars().filter(char::is_ascii_alphanumeric).count() >= MIN_ACRONYM_CHARS && !is_legal_form(&folded) {
            let proper = acronym.chars().filter(|c| c.is_uppercase()).count() >= 2
                && folded.chars().filter(char::is_ascii_alphanumeric).count() < WORDLIKE_ACRONYM_CHARS;
            let entries = self.acronyms.entry(folded).or_default();
            if !entries.iter().any(|(known, p)| known == id && *p == proper) {
                entries.push((id.clone(), proper));
            }
        }
    }

    /// The one organisation whose registered name form is `words` ([`fold_words`] of a name).
    pub fn registered_name(&self, words: &str) -> Option<&RegisterId> {
        let (core, legal) = split_legal(words);
        match self.name_form(core, legal) {
            Found::One(id) => Some(id),
            _ => None,
        }
    }

    /// The organisation whose registered name form is `core`: the only one, or among sister
    /// entities ("Stora Enso AB", "Stora Enso Oyj") the one the legal form `legal` tells.
    fn name_form(&self, core: &str, legal: &str) -> Found<'_> {
        let Some(forms) = self.names.get(core) else { return Found::Nothing };
        match one(forms.iter().map(|f| &f.id)) {
            Found::Several if !legal.is_empty() => {
                match one(forms.iter().filter(|f| f.legal == legal).map(|f| &f.id)) {
                    Found::One(id) => Found::One(id),
                    _ => Found::Several,
                }
            }
            found => found,
        }
    }

    /// Whether `name` given beside `id` is evidence this resolver holds already: a registered
    /// name form of that organisation, or an alias that names it. Otherwise the pair teaches the
    /// linker something, and links made without it may change.
    pub fn knows_pair(&self, name: &str, id: &RegisterId) -> bool {
        let words = fold_words(name);
        if self.registered_name(&words) == Some(id) {
            return true;
        }
        let (core, _) = split_legal(&words);
        self.aliases.get(core).and_then(agreeing).is_some_and(|(known, ..)| known == id)
    }

    /// Whether `id` is in the register this resolver was built from.
    pub fn knows(&self, id: &RegisterId) -> bool {
        self.registered.contains(id)
    }

    /// The organisation `name` refers to, if the evidence names exactly one.
    pub fn resolve(&self, name: &str) -> Verdict {
        let verdict = self.whole(name, true);
        if verdict.register_id.is_some() || verdict.method == LinkMethod::Ambiguous {
            return verdict;
        }
        let by_parts = self.by_parts(name);
        if by_parts.register_id.is_some() || by_parts.method == LinkMethod::Ambiguous {
            return by_parts;
        }
        self.near(name)
    }

    /// Rules 1–4 on the name taken whole; `acronyms` says whether rule 2 applies (not to the
    /// parts of a name: "– ETS" at the end of an Italian name is its legal form).
    fn whole(&self, name: &str, acronyms: bool) -> Verdict {
        let words = fold_words(name);
        let (core, legal) = split_legal(&words);
        if core.is_empty() || is_legal_form(core) {
            return Verdict::none(LinkMethod::Unmatched);
        }
        // One token is matched as a short form only as published: "RWE AG" is a company, not
        // whatever "RWE" abbreviates, and "Reset" is a word, not "RESET". Short forms of several
        // words ("CAN Europe") say enough by themselves.
        let several_words = core.contains(' ');
        let as_short =
            |proper: bool| acronyms && (several_words || (legal.is_empty() && (!proper || looks_short(name))));
        let short: Vec<&RegisterId> = self
            .acronyms
            .get(core)
            .map(|entries| entries.iter().filter(|(_, proper)| as_short(*proper)).map(|(id, _)| id).collect())
            .unwrap_or_default();
        match self.name_form(core, legal) {
            // "ESB" is one organisation's name and another's acronym.
            Found::One(id) if short.iter().any(|other| *other != id) => return Verdict::none(LinkMethod::Ambiguous),
            Found::One(id) => return Verdict::found(id, LinkMethod::ExactName, 1.0),
            Found::Several => return Verdict::none(LinkMethod::Ambiguous),
            Found::Nothing => {}
        }
        match one(short.iter().copied()) {
            Found::One(id) => {
                // "WWF" is the acronym of one office and the first word of many.
                let others =
                    !several_words && self.first_words.get(core).is_some_and(|named| named.iter().any(|n| n != id));
                return if others {
                    Verdict::none(LinkMethod::Ambiguous)
                } else {
                    Verdict::found(id, LinkMethod::Acronym, 0.95)
                };
            }
            Found::Several => return Verdict::none(LinkMethod::Ambiguous),
            Found::Nothing => {}
        }
        if let Some(per_id) = self.aliases.get(core) {
            return match agreeing(per_id) {
                Some((id, share, n)) => Verdict { evidence: n, ..Verdict::found(id, LinkMethod::Alias, share) },
                None => Verdict::none(LinkMethod::Ambiguous),
            };
        }
        if let Some(ids) = self.compact.get(&core.replace(' ', "")) {
            return match one(ids.iter()) {
                Found::One(id) => Verdict::found(id, LinkMethod::ExactName, 0.97),
                _ => Verdict::none(LinkMethod::Ambiguous),
            };
        }
        Verdict::none(LinkMethod::Unmatched)
    }

    /// Rule 5.
    fn by_parts(&self, name: &str) -> Verdict {
        let pieces = parts(name);
        let verdict = self.among(&pieces);
        if verdict.register_id.is_some() || verdict.method == LinkMethod::Ambiguous {
            return verdict;
        }
        let orgs: Vec<&str> = std::iter::once(name).chain(pieces).filter_map(after_person).collect();
        self.among(&orgs)
    }

    /// The one organisation `pieces` name between them by rules 1–4, if no piece names another.
    fn among(&self, pieces: &[&str]) -> Verdict {
        let mut found: Option<(RegisterId, String)> = None;
        for part in pieces.iter().copied() {
            let v = self.whole(part, false);
            match v.register_id {
                Some(id) => match &found {
                    Some((kept, _)) if *kept != id => return Verdict::none(LinkMethod::Ambiguous),
                    Some(_) => {}
                    None => found = Some((id, fold_words(part))),
                },
                None if v.method == LinkMethod::Ambiguous => return Verdict::none(LinkMethod::Ambiguous),
                None => {}
            }
        }
        match found {
            Some((id, part)) => Verdict { matched: Some(part), ..Verdict::found(&id, LinkMethod::PartOfName, 0.9) },
            None => Verdict::none(LinkMethod::Unmatched),
        }
    }

    /// Whether `asked`, a subset of `known`, may stand for it: it holds a word few name forms
    /// have, and at least half of what `known` says beyond its branch words ("SGI Europe" does
    /// not stand for "SGI Europe Buddhist Association", nor "GP" for "GlobalPlatform GP").
    fn shortens(&self, asked: &BTreeSet<&str>, known: &BTreeSet<&str>) -> bool {
        let telling = |words: &BTreeSet<&str>| words.iter().filter(|w| !BRANCH_WORDS.contains(*w)).count();
        let letters: usize = asked.iter().filter(|w| !BRANCH_WORDS.contains(*w)).map(|w| w.len()).sum();
        letters > MIN_ACRONYM_CHARS
            && 2 * telling(asked) >= telling(known)
            && asked.iter().any(|w| {
                !BRANCH_WORDS.contains(w) && self.words.get(*w).is_some_and(|f| f.len() <= SHORTENING_RARE_WORD)
            })
    }

    /// The name forms sharing a word that few name forms hold with `core`.
    fn candidates(&self, core: &str, rare: usize) -> BTreeSet<&str> {
        let mut out = BTreeSet::new();
        for word in core.split(' ') {
            if let Some(forms) = self.words.get(word).filter(|f| f.len() <= rare) {
                out.extend(forms.iter().map(String::as_str));
            }
        }
        out
    }

    /// Rules 6 and 7.
    fn near(&self, name: &str) -> Verdict {
        let words = fold_words(name);
        let (core, _) = split_legal(&words);
        let candidates = self.candidates(core, NEAR_RARE_WORD);
        let asked = content_words(core, !name.chars().any(char::is_lowercase));
        if asked.iter().all(|w| BRANCH_WORDS.contains(w)) {
            return Verdict::none(LinkMethod::Unmatched);
        }
        // "Oxfam", "Croix Rouge": how several organisations' names begin.
        let begun: BTreeSet<&RegisterId> = candidates
            .iter()
            .filter(|form| form.strip_prefix(core).is_some_and(|rest| rest.is_empty() || rest.starts_with(' ')))
            .flat_map(|form| &self.pool[*form])
            .collect();
        if begun.len() > 1 {
            return Verdict::none(LinkMethod::Ambiguous);
        }
        // Rule 6.
        let mut same: BTreeSet<&RegisterId> = BTreeSet::new();
        let mut matched = None;
        for form in &candidates {
            let known = content_words(form, false);
            let branch_only = asked.symmetric_difference(&known).all(|w| BRANCH_WORDS.contains(w));
            let shortening = asked.is_subset(&known) && self.shortens(&asked, &known);
            if branch_only || shortening {
                same.extend(&self.pool[*form]);
                matched.get_or_insert(*form);
            }
        }
        let mut same = same.into_iter();
        match (same.next(), same.next()) {
            (Some(id), None) => {
                return Verdict { matched: matched.map(str::to_owned), ..Verdict::found(id, LinkMethod::Similar, 0.9) };
            }
            (Some(_), Some(_)) => return Verdict::none(LinkMethod::Ambiguous),
            _ => {}
        }
        // Rule 7.
        let mut best: HashMap<&RegisterId, (f64, &str)> = HashMap::new();
        for form in candidates {
            // A typo or a few mangled characters, not a long name sharing most of its words.
            // Bounded: most candidates are far off, and the bit-parallel count gives up early.
            let most = MAX_TYPO_EDITS + core.len().max(form.len()) / TYPO_CHARS_PER_EDIT;
            let args = levenshtein::Args::default().score_cutoff(most);
            if levenshtein::distance_with_args(core.chars(), form.chars(), &args).is_none() {
                continue;
            }
            let score = jaro_winkler::similarity(core.chars(), form.chars());
            for id in &self.pool[form] {
                let slot = best.entry(id).or_insert((0.0, form));
                if score > slot.0 {
                    *slot = (score, form);
                }
            }
        }
        let mut ranked: Vec<(&RegisterId, (f64, &str))> = best.into_iter().collect();
        ranked.sort_by(|a, b| b.1.0.total_cmp(&a.1.0).then_with(|| a.0.cmp(b.0)));
        match ranked.as_slice() {
            [(id, (score, form)), rest @ ..]
                if *score >= NEAR_THRESHOLD && rest.first().is_none_or(|(_, (s, _))| *s <= score - NEAR_MARGIN) =>
            {
                Verdict { matched: Some((*form).to_owned()), ..Verdict::found(id, LinkMethod::Similar, *score) }
            }
            [(_, (score, _)), ..] if *score >= NEAR_THRESHOLD => Verdict::none(LinkMethod::Ambiguous),
            _ => Verdict::none(LinkMethod::Unmatched),
        }
    }
}
