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
//! 6. the words are nearly those of one organisation's name form (typos, a word more or
//!    less), well ahead of any other organisation's.

use std::collections::{BTreeSet, HashMap, HashSet};

use lobbyscope_domain::{RegisterId, fold_words, is_legal_form, strip_legal_forms};
use lobbyscope_store::{LinkMethod, RegisteredName};

/// A name a source published beside a register ID, and how many times it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub name: String,
    pub register_id: RegisterId,
    pub occurrences: u64,
}

/// What the resolver made of a name.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub register_id: Option<RegisterId>,
    pub method: LinkMethod,
    /// How sure: 1 for an exact match; below for weaker evidence.
    pub score: f64,
    /// The name form or part that matched, folded, when it was not the whole name.
    pub matched: Option<String>,
}

impl Verdict {
    fn none(method: LinkMethod) -> Verdict {
        Verdict { register_id: None, method, score: 0.0, matched: None }
    }

    fn found(id: &RegisterId, method: LinkMethod, score: f64) -> Verdict {
        Verdict { register_id: Some(id.clone()), method, score, matched: None }
    }
}

/// Share of an alias's occurrences that must name one ID for the alias to count.
const ALIAS_AGREEMENT: f64 = 0.9;
/// The fewest characters an acronym or short form needs to be matched alone: two letters
/// name too many organisations ("GP").
const MIN_ACRONYM_CHARS: usize = 3;
/// Rule 6: the similarity a name needs to its best candidate, and how far ahead of the next
/// organisation's it must be.
const NEAR_THRESHOLD: f64 = 0.92;
const NEAR_MARGIN: f64 = 0.05;
/// Rule 6 looks only at candidates sharing a word that at most this many name forms have.
const NEAR_RARE_WORD: usize = 50;

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
    /// Word → the name forms (keys of `names`) that hold it, for rule 6.
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

/// A folded name split into what identifies it and its trailing legal forms.
fn split_legal(words: &str) -> (&str, &str) {
    let core = strip_legal_forms(words);
    (core, words[core.len()..].trim_start())
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

/// The parts of a name that may each be a name: around dashes, slashes, colons, parentheses,
/// commas and "from" ("Jane Doe from Transparency International").
fn parts(name: &str) -> Vec<&str> {
    let mut out = vec![name];
    for sep in [" - ", " – ", " — ", " / ", ": ", "(", ")", ", ", " from ", " From "] {
        out = out.iter().flat_map(|p| p.split(sep)).collect();
    }
    out.into_iter().map(str::trim).filter(|p| !p.is_empty() && p.len() < name.trim().len()).collect()
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
            let folded = strip_legal_forms(&fold_words(&a.name)).to_owned();
            if !folded.is_empty() && !is_legal_form(&folded) {
                *r.aliases.entry(folded).or_default().entry(a.register_id.clone()).or_default() += a.occurrences;
            }
        }
        for (key, forms) in &r.names {
            for word in key.split(' ').collect::<BTreeSet<_>>() {
                r.words.entry(word.to_owned()).or_default().push(key.clone());
            }
            if let Some(first) = key.split(' ').next() {
                r.first_words.entry(first.to_owned()).or_default().extend(forms.iter().map(|f| f.id.clone()));
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
        let folded = fold_words(acronym);
        if folded.chars().filter(char::is_ascii_alphanumeric).count() >= MIN_ACRONYM_CHARS && !is_legal_form(&folded) {
            let proper = acronym.chars().filter(|c| c.is_uppercase()).count() >= 2;
            let entries = self.acronyms.entry(folded).or_default();
            if !entries.iter().any(|(known, p)| known == id && *p == proper) {
                entries.push((id.clone(), proper));
            }
        }
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
        let as_short = |proper: bool| acronyms && (several_words || (legal.is_empty() && (!proper || looks_short(name))));
        let short: Vec<&RegisterId> = self
            .acronyms
            .get(core)
            .map(|entries| entries.iter().filter(|(_, proper)| as_short(*proper)).map(|(id, _)| id).collect())
            .unwrap_or_default();
        if let Some(forms) = self.names.get(core) {
            match one(forms.iter().map(|f| &f.id)) {
                // "ESB" is one organisation's name and another's acronym.
                Found::One(id) if short.iter().any(|other| *other != id) => return Verdict::none(LinkMethod::Ambiguous),
                Found::One(id) => return Verdict::found(id, LinkMethod::ExactName, 1.0),
                Found::Several if !legal.is_empty() => {
                    // Sister entities ("Stora Enso AB", "Stora Enso Oyj"): the legal form tells.
                    if let Found::One(id) = one(forms.iter().filter(|f| f.legal == legal).map(|f| &f.id)) {
                        return Verdict::found(id, LinkMethod::ExactName, 1.0);
                    }
                    return Verdict::none(LinkMethod::Ambiguous);
                }
                _ => return Verdict::none(LinkMethod::Ambiguous),
            }
        }
        match one(short.iter().copied()) {
            Found::One(id) => {
                // "WWF" is the acronym of one office and the first word of many.
                let others = !several_words
                    && self.first_words.get(core).is_some_and(|named| named.iter().any(|n| n != id));
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
            let total: u64 = per_id.values().sum();
            let best = per_id.iter().max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)));
            if let Some((id, &n)) = best {
                let share = n as f64 / total as f64;
                if share >= ALIAS_AGREEMENT {
                    return Verdict::found(id, LinkMethod::Alias, share);
                }
                return Verdict::none(LinkMethod::Ambiguous);
            }
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
        let mut found: Option<(RegisterId, String)> = None;
        for part in parts(name) {
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
            Some((id, part)) => {
                Verdict { register_id: Some(id), method: LinkMethod::PartOfName, score: 0.9, matched: Some(part) }
            }
            None => Verdict::none(LinkMethod::Unmatched),
        }
    }

    /// Rule 6: the name forms sharing a rare word with the name, by similarity of the folded
    /// strings.
    fn near(&self, name: &str) -> Verdict {
        let words = fold_words(name);
        let (core, _) = split_legal(&words);
        let mut candidates: BTreeSet<&str> = BTreeSet::new();
        for word in core.split(' ') {
            if let Some(forms) = self.words.get(word).filter(|f| f.len() <= NEAR_RARE_WORD) {
                candidates.extend(forms.iter().map(String::as_str));
            }
        }
        let mut best: HashMap<&RegisterId, (f64, &str)> = HashMap::new();
        for form in candidates {
            let score = strsim::jaro_winkler(core, form).min(strsim::normalized_levenshtein(core, form) + 0.05);
            for f in &self.names[form] {
                let slot = best.entry(&f.id).or_insert((0.0, form));
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
                Verdict {
                    register_id: Some((*id).clone()),
                    method: LinkMethod::Similar,
                    score: *score,
                    matched: Some((*form).to_owned()),
                }
            }
            [(_, (score, _)), ..] if *score >= NEAR_THRESHOLD => Verdict::none(LinkMethod::Ambiguous),
            _ => Verdict::none(LinkMethod::Unmatched),
        }
    }
}
