//! Name folding for exact-match linking of organisation names across sources.
//!
//! The folded form is a matching key, never shown to users. It must be conservative: two
//! different organisations folding to the same key is a wrong link, which is worse than a
//! missed one.

/// Legal-form words removed from the end of a name. Only forms that say nothing about which
/// organisation is meant; kept short on purpose, since each entry widens what matches.
const LEGAL_FORMS: &[&str] = &[
    "a s", "ab", "ag", "aisbl", "asbl", "bv", "bvba", "co", "corp", "corporation", "e v", "ev", "gmbh",
    "inc", "incorporated", "ivzw", "kg", "llc", "llp", "ltd", "limited", "nv", "oy", "oyj", "plc",
    "s a", "sa", "s a s", "sas", "s p a", "spa", "s r l", "srl", "sprl", "scrl", "vzw", "se",
];

/// Folds a name for matching: accents and case folded, punctuation dropped, whitespace
/// collapsed, trailing legal-form suffixes stripped. Returns an empty string for a name that is
/// nothing but punctuation or legal forms.
pub fn fold_name(name: &str) -> String {
    let ascii = deunicode::deunicode(name).to_lowercase();
    let mut cleaned = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        // "&" and "+" carry meaning ("S&D", "R+V"); spell them so they survive.
        match c {
            '&' => cleaned.push_str(" and "),
            '+' => cleaned.push_str(" plus "),
            c if c.is_ascii_alphanumeric() => cleaned.push(c),
            // An apostrophe joins ("l'Europe" -> "leurope") rather than splits.
            '\'' => {}
            _ => cleaned.push(' '),
        }
    }
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    loop {
        let before = words.len();
        for form in LEGAL_FORMS {
            let n = form.split(' ').count();
            if words.len() > n && words[words.len() - n..].join(" ") == *form {
                words.truncate(words.len() - n);
                break;
            }
        }
        if words.len() == before {
            break;
        }
    }
    words.join(" ")
}

/// The acronym a name carries in a trailing parenthesis, as in "Internet Society (ISOC)", and
/// the name without it. Only a short single token counts, so "(Belgium)" or "(in liquidation)"
/// are not taken for acronyms.
pub fn parenthetical_acronym(name: &str) -> Option<(&str, &str)> {
    let trimmed = name.trim_end();
    let inner = trimmed.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let acronym = inner[open + 1..].trim();
    let base = inner[..open].trim_end();
    let looks_like_acronym = (2..=12).contains(&acronym.chars().count())
        && !acronym.contains(' ')
        && acronym.chars().filter(|c| c.is_uppercase()).count() >= 2;
    (looks_like_acronym && !base.is_empty()).then_some((base, acronym))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_accents_punctuation_and_legal_forms() {
        assert_eq!(fold_name("Internet Society (ISOC)"), "internet society isoc");
        assert_eq!(fold_name("  BUSINESSEUROPE "), "businesseurope");
        assert_eq!(fold_name("Société Générale S.A."), "societe generale");
        assert_eq!(fold_name("Verband der Chemischen Industrie e.V."), "verband der chemischen industrie");
        assert_eq!(fold_name("Siemens AG"), fold_name("SIEMENS"));
        assert_eq!(fold_name("S&D"), "s and d");
        assert_eq!(fold_name("Ørsted A/S"), "orsted");
        assert_eq!(fold_name("GmbH"), "gmbh", "a name that is only a legal form keeps it");
        assert_eq!(fold_name("..."), "");
    }

    #[test]
    fn acronym_only_from_a_short_upper_case_parenthesis() {
        assert_eq!(parenthetical_acronym("Internet Society (ISOC)"), Some(("Internet Society", "ISOC")));
        assert_eq!(parenthetical_acronym("Foo (Belgium)"), None);
        assert_eq!(parenthetical_acronym("Foo (in liquidation)"), None);
        assert_eq!(parenthetical_acronym("(ISOC)"), None);
        assert_eq!(parenthetical_acronym("Internet Society"), None);
    }
}
