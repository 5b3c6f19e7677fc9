//! Name folding for exact-match linking of organisation names across sources.
//!
//! The folded form is a matching key, never shown to users. It must be conservative: two
//! different organisations folding to the same key is a wrong link, which is worse than a
//! missed one.

/// Legal-form words removed from the end of a name. Only forms that say nothing about which
/// organisation is meant; kept short on purpose, since each entry widens what matches.
const LEGAL_FORMS: &[&str] = &[
    "a s",
    "ab",
    "ag",
    "aisbl",
    "asbl",
    "bv",
    "bvba",
    "co",
    "corp",
    "corporation",
    "e v",
    "ev",
    "gmbh",
    "inc",
    "incorporated",
    "ivzw",
    "kg",
    "llc",
    "llp",
    "ltd",
    "limited",
    "nv",
    "oy",
    "oyj",
    "plc",
    "s a",
    "sa",
    "s a s",
    "sas",
    "s p a",
    "spa",
    "s r l",
    "srl",
    "sprl",
    "scrl",
    "vzw",
    "se",
];

/// Whether a [`fold_words`] result is nothing but a legal form ("inc", "e v"): no name.
pub fn is_legal_form(folded: &str) -> bool {
    LEGAL_FORMS.contains(&folded)
}

/// The acronym an organisation is shown with: the register's `acronym`, else the trailing
/// parenthesis of its name ("Internet Society (ISOC)" → "ISOC").
pub fn shown_acronym(name: &str, acronym: Option<&str>) -> Option<String> {
    acronym.map(str::to_owned).or_else(|| parenthetical_acronym(name).map(|(_, a)| a.to_owned()))
}

/// Folds a name for matching: accents and case folded, punctuation dropped, whitespace
/// collapsed, trailing legal-form suffixes stripped. Returns an empty string for a name that is
/// nothing but punctuation.
pub fn fold_name(name: &str) -> String {
    strip_legal_forms(&fold_words(name)).to_owned()
}

/// [`fold_name`] without the legal-form stripping: lower-case ASCII words separated by single
/// spaces. Folding is word-local, so the folds of comma-joined pieces are the pieces' folds
/// joined by a space, which lets the linker try re-joined names without folding them again.
pub fn fold_words(name: &str) -> String {
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
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Strips trailing legal forms from a [`fold_words`] result, keeping at least one word.
pub fn strip_legal_forms(mut folded: &str) -> &str {
    'again: loop {
        for form in LEGAL_FORMS {
            if let Some(rest) = folded.strip_suffix(form).and_then(|r| r.strip_suffix(' ')) {
                folded = rest;
                continue 'again;
            }
        }
        return folded;
    }
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
        assert_eq!(fold_name("Acme S.A. GmbH"), "acme", "stacked legal forms all go");
        assert_eq!(fold_name("Casa"), "casa", "a word ending like a legal form is not cut");
        assert_eq!(fold_name("..."), "");
    }

    #[test]
    fn folding_joined_pieces_equals_folding_their_words_joined() {
        let pieces = ["Société des auteurs", "compositeurs et éditeurs de musique (SACEM)"];
        let words: Vec<String> = pieces.iter().map(|p| fold_words(p)).collect();
        assert_eq!(strip_legal_forms(&words.join(" ")), fold_name(&pieces.join(", ")));
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
