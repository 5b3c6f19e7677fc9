//! How keys are laid into columns, and read back: the one place that knows. The forms are
//! those of the first schema, so that stores made before keys were typed read as they are.

use lobbyscope_domain::{FoldedName, OrgKey, PersonKey, RegisterId};

/// `953701819437-32`, or `n:` and the folded name with its words joined by `-`.
pub fn org_key(key: &OrgKey) -> String {
    match key {
        OrgKey::Registered(id) => id.as_str().to_owned(),
        OrgKey::Unregistered(name) => format!("n:{}", name.slug()),
    }
}

/// The inverse of [`org_key`]; any other text is refused, so that a key has one stored form.
pub fn parse_org_key(s: &str) -> Result<OrgKey, &'static str> {
    let key = match s.strip_prefix("n:") {
        Some(slug) => FoldedName::from_slug(slug).map(OrgKey::Unregistered),
        None => RegisterId::parse(s).filter(|id| id.as_str() == s).map(OrgKey::Registered),
    };
    key.ok_or("not an organisation key")
}

/// `mep:<EP id>`, `mep-name:<folded name>` or `ec:<folded name>` (names with their spaces):
/// the JSON API's form, kept in the domain.
pub fn person_key(key: &PersonKey) -> String {
    key.api_form()
}

/// The inverse of [`person_key`].
pub fn parse_person_key(s: &str) -> Result<PersonKey, &'static str> {
    PersonKey::from_api_form(s).ok_or("not a person key")
}

/// `people.kind`: which side of the institutions a person is on.
pub fn person_kind(key: &PersonKey) -> &'static str {
    match key {
        PersonKey::Mep(_) | PersonKey::MepByName(_) => "mep",
        PersonKey::Commission(_) => "commission",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_keys_keep_their_first_stored_form() {
        for stored in ["953701819437-32", "n:internet-society-germany"] {
            let key = parse_org_key(stored).unwrap();
            assert_eq!(org_key(&key), stored);
        }
        for bad in ["", "n:", "n:some ngo", "953701819437-32 ", "mep:1"] {
            assert!(parse_org_key(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn person_keys_keep_their_first_stored_form() {
        for stored in ["mep:197431", "mep-name:breyer patrick", "ec:christiane canenbley", "ec:"] {
            let key = parse_person_key(stored).unwrap();
            assert_eq!(person_key(&key), stored);
        }
        for bad in ["", "mep:", "mep:0197431", "mep:-1", "ec:Christiane", "ec:christiane-canenbley", "953701819437-32"]
        {
            assert!(parse_person_key(bad).is_err(), "{bad:?}");
        }
    }
}
