//! The stable keys of organisations and people, typed.
//!
//! A key is what it is made of (a register ID, a folded name), never a string with a prefix:
//! how a backend lays a key into a column is that backend's business, and the address form
//! (`/org/953701819437-32`, `/org/n:internet-society-germany`) is made in one place,
//! [`OrgKey::url_segment`], and read back by [`OrgKey::from_url_segment`].

use serde::{Serialize, Serializer};

use crate::{Host, Institution, RegisterId, fold_name};

/// A name folded for matching ([`fold_name`]): lower-case ASCII letters and digits, in words
/// separated by single spaces. Empty for a name that is nothing but punctuation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FoldedName(String);

impl FoldedName {
    /// Folds `name`.
    pub fn fold(name: &str) -> FoldedName {
        FoldedName(fold_name(name))
    }

    /// A name already in folded form; `None` for anything else.
    pub fn parse(folded: &str) -> Option<FoldedName> {
        let word = |w: &str| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        (folded.is_empty() || folded.split(' ').all(word)).then(|| FoldedName(folded.to_owned()))
    }

    /// The words joined by `-` (`internet-society-germany`), as addresses carry them.
    pub fn slug(&self) -> String {
        self.0.replace(' ', "-")
    }

    /// The inverse of [`FoldedName::slug`]; `None` for an empty slug or one that no folded name
    /// gives (capitals, `--`, a `-` at either end, other characters).
    pub fn from_slug(slug: &str) -> Option<FoldedName> {
        (!slug.is_empty() && !slug.contains(' ')).then(|| FoldedName::parse(&slug.replace('-', " "))).flatten()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An organisation's stable key: its register ID, or, for an organisation the register does
/// not list, its folded name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgKey {
    Registered(RegisterId),
    Unregistered(FoldedName),
}

impl OrgKey {
    pub fn register_id(&self) -> Option<&RegisterId> {
        match self {
            OrgKey::Registered(id) => Some(id),
            OrgKey::Unregistered(_) => None,
        }
    }

    /// The key as the last segment of the organisation's address, `/org/{segment}`: the
    /// register ID (`953701819437-32`), or `n:` and the folded name's slug
    /// (`n:internet-society-germany`). The JSON API writes keys the same way.
    pub fn url_segment(&self) -> String {
        match self {
            OrgKey::Registered(id) => id.as_str().to_owned(),
            OrgKey::Unregistered(name) => format!("n:{}", name.slug()),
        }
    }

    /// The inverse of [`OrgKey::url_segment`]; `None` for any other text, so that one
    /// organisation has one address.
    pub fn from_url_segment(segment: &str) -> Option<OrgKey> {
        match segment.strip_prefix("n:") {
            Some(slug) => FoldedName::from_slug(slug).map(OrgKey::Unregistered),
            None => RegisterId::parse(segment).filter(|id| id.as_str() == segment).map(OrgKey::Registered),
        }
    }
}

impl Serialize for OrgKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.url_segment())
    }
}

/// A person who hosted meetings: a Member of the European Parliament by their EP id (by folded
/// name when the source gave none), or someone of the Commission by folded name (the Commission
/// publishes no ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonKey {
    Mep(u64),
    MepByName(FoldedName),
    Commission(FoldedName),
}

impl PersonKey {
    /// The key of a meeting's host.
    pub fn of(institution: Institution, host: &Host) -> PersonKey {
        match (institution, host.ep_id) {
            (Institution::Parliament, Some(id)) => PersonKey::Mep(id),
            (Institution::Parliament, None) => PersonKey::MepByName(FoldedName::fold(&host.name)),
            (Institution::Commission, _) => PersonKey::Commission(FoldedName::fold(&host.name)),
        }
    }
}

/// The JSON API's form of a person key since its first version: `mep:197431`,
/// `mep-name:patrick breyer`, `ec:christiane canenbley`. Pages are at `/mep/{id}` and
/// `/official/{slug}` (the web crate makes those).
impl Serialize for PersonKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.api_form())
    }
}

impl PersonKey {
    /// `mep:197431`, `mep-name:patrick breyer`, `ec:christiane canenbley`: the JSON API's form
    /// (and the search index's).
    pub fn api_form(&self) -> String {
        match self {
            PersonKey::Mep(id) => format!("mep:{id}"),
            PersonKey::MepByName(name) => format!("mep-name:{}", name.as_str()),
            PersonKey::Commission(name) => format!("ec:{}", name.as_str()),
        }
    }

    /// The inverse of [`PersonKey::api_form`], strictly: `None` for anything it does not make.
    pub fn from_api_form(s: &str) -> Option<PersonKey> {
        if let Some(id) = s.strip_prefix("mep:") {
            id.parse().ok().filter(|n: &u64| n.to_string() == id).map(PersonKey::Mep)
        } else if let Some(name) = s.strip_prefix("mep-name:") {
            FoldedName::parse(name).map(PersonKey::MepByName)
        } else {
            s.strip_prefix("ec:").and_then(FoldedName::parse).map(PersonKey::Commission)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_names_are_checked_and_slugs_round_trip() {
        let name = FoldedName::fold("Internet Society Germany e.V.");
        assert_eq!((name.as_str(), name.slug().as_str()), ("internet society germany", "internet-society-germany"));
        assert_eq!(FoldedName::from_slug(&name.slug()), Some(name.clone()));
        assert_eq!(FoldedName::parse(name.as_str()), Some(name));
        assert!(FoldedName::fold("...").is_empty());
        for bad in ["Internet Society", "internet  society", " internet", "internet ", "société", "a-b"] {
            assert_eq!(FoldedName::parse(bad), None, "{bad:?}");
        }
        for bad in ["", "-a", "a-", "a--b", "A-b", "a b", "a%20b", "é"] {
            assert_eq!(FoldedName::from_slug(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn person_keys_come_from_hosts() {
        let host = |name: &str, ep_id| Host { name: name.into(), role: None, ep_id };
        let mep = PersonKey::of(Institution::Parliament, &host("BREYER Patrick", Some(197431)));
        assert_eq!(mep, PersonKey::Mep(197431));
        let unnumbered = PersonKey::of(Institution::Parliament, &host("BREYER Patrick", None));
        assert_eq!(unnumbered, PersonKey::MepByName(FoldedName::fold("breyer patrick")));
        let official = PersonKey::of(Institution::Commission, &host("Christiane Canenbley", Some(1)));
        assert_eq!(official, PersonKey::Commission(FoldedName::fold("Christiane Canenbley")));
        let json: Vec<String> = [mep, unnumbered, official].iter().map(|k| serde_json::to_string(k).unwrap()).collect();
        assert_eq!(json, [r#""mep:197431""#, r#""mep-name:breyer patrick""#, r#""ec:christiane canenbley""#]);
    }

    #[test]
    fn org_keys_round_trip_their_url_segments() {
        for segment in ["953701819437-32", "000005130904-53", "n:internet-society-germany", "n:ngo"] {
            let key = OrgKey::from_url_segment(segment).unwrap_or_else(|| panic!("{segment}"));
            assert_eq!(key.url_segment(), segment);
            assert_eq!(serde_json::to_value(&key).unwrap(), segment);
        }
        let isoc = OrgKey::from_url_segment("953701819437-32").unwrap();
        assert_eq!(isoc.register_id().map(RegisterId::as_str), Some("953701819437-32"));
        for bad in ["", "n:", "n:Some-NGO", "n:some ngo", "n:-ngo", " 953701819437-32", "953701819437-3", "x:ngo"] {
            assert_eq!(OrgKey::from_url_segment(bad), None, "{bad:?}");
        }
    }
}
