//! How keys are laid into columns, and read back: the one place that knows. The forms are
//! those of the first schema, so that stores made before keys were typed read as they are.

use lobbyscope_domain::{FoldedName, OrgKey, RegisterId};

/// `953701819437-32`, or `n:` and the folded name with its words joined by `-`.
pub(crate) fn org_key(key: &OrgKey) -> String {
    match key {
        OrgKey::Registered(id) => id.as_str().to_owned(),
        OrgKey::Unregistered(name) => format!("n:{}", name.slug()),
    }
}

/// The inverse of [`org_key`]; any other text is refused, so that a key has one stored form.
pub(crate) fn parse_org_key(s: &str) -> Result<OrgKey, &'static str> {
    let key = match s.strip_prefix("n:") {
        Some(slug) => FoldedName::from_slug(slug).map(OrgKey::Unregistered),
        None => RegisterId::parse(s).filter(|id| id.as_str() == s).map(OrgKey::Registered),
    };
    key.ok_or("not an organisation key")
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
}
