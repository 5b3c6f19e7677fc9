//! How a meeting or a response spells an organisation's name: as registered, in capitals, by
//! acronym, with a different legal form, or loosely enough that no exact match can link it.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::text::pick;
use crate::world::Org;

/// How often each spelling is used, in per mille, in this order: exact, upper case, lower case,
/// acronym, "Name (ACR)", legal form added or dropped; the rest is loose.
#[derive(Debug, Clone, Copy)]
pub struct Spellings(pub [u32; 6]);

/// The Commission writes the register's names, nearly always as registered.
pub const COMMISSION: Spellings = Spellings([880, 20, 0, 30, 10, 40]);
/// MEPs' offices type names as they like.
pub const PARLIAMENT: Spellings = Spellings([440, 80, 40, 130, 60, 100]);
/// Respondents type their own name.
pub const CONSULTATION: Spellings = Spellings([560, 60, 30, 80, 40, 130]);

/// Legal forms added to a name that has none; each is one the linker's folding ignores.
const ADDED_FORMS: &[&str] = &["GmbH", "e.V.", "AISBL", "ASBL", "S.A.", "Ltd", "SE", "AG"];

/// Legal forms recognised at the end of a registered name, longest first.
const KNOWN_FORMS: &[&str] = &[
    "GmbH & Co. KG",
    "sp. z o.o.",
    "Soc. Coop.",
    "S.p.A.",
    "S.A.U.",
    "S.r.l.",
    "Limited",
    "SARL",
    "AISBL",
    "ASBL",
    "GmbH",
    "S.A.",
    "S.L.",
    "Inc.",
    "e.V.",
    "sp.j.",
    "LLP",
    "SAS",
    "plc",
    "Ltd",
    "AG",
    "SE",
];

/// The legal form a name ends with, if it is one of the common ones.
pub fn legal_form(name: &str) -> Option<&'static str> {
    KNOWN_FORMS.iter().copied().find(|f| name.strip_suffix(f).is_some_and(|rest| rest.ends_with(' ')))
}

pub fn spell(org: &Org, how: Spellings, rng: &mut ChaCha8Rng) -> String {
    let mut roll = rng.random_range(0..1000);
    let mut choice = 6;
    for (i, share) in how.0.iter().enumerate() {
        if roll < *share {
            choice = i;
            break;
        }
        roll -= share;
    }
    let acronym = org.acronym.as_deref().or_else(|| lobbyscope_domain::parenthetical_acronym(&org.name).map(|p| p.1));
    match (choice, acronym) {
        (0, _) => org.name.clone(),
        (1, _) => org.name.to_uppercase(),
        (2, _) => org.name.to_lowercase(),
        (3, Some(acronym)) => acronym.to_owned(),
        (4, Some(acronym)) if !org.name.ends_with(')') => format!("{} ({acronym})", org.name),
        (5, _) => match legal_form(&org.name) {
            Some(form) => org.name[..org.name.len() - form.len()].trim_end_matches([' ', ',']).to_owned(),
            None => format!("{} {}", org.name, pick(rng, ADDED_FORMS)),
        },
        (3 | 4, None) => org.name.clone(),
        _ => loose(&org.name, rng),
    }
}

/// A spelling that folds differently from every registered one.
fn loose(name: &str, rng: &mut ChaCha8Rng) -> String {
    match rng.random_range(0..4) {
        0 => format!("The {name}"),
        1 => format!("{name} Brussels office"),
        2 if name.contains("European") => name.replace("European", "Europ."),
        2 if name.contains("Association") => name.replace("Association", "Assoc."),
        _ => format!("{name} EU"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use lobbyscope_domain::fold_name;
    use rand::SeedableRng;

    use super::*;
    use crate::vocab::Lang;

    fn org(name: &str, acronym: Option<&str>) -> Org {
        Org {
            id: "123456789012-34".into(),
            name: name.into(),
            acronym: acronym.map(str::to_owned),
            lang: Lang::En,
            country: 0,
            category: 1,
            registered: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
        }
    }

    #[test]
    fn every_spelling_but_the_loose_one_folds_to_a_registered_name_or_acronym() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for o in [org("Novarix Steel GmbH", None), org("European Steel Association", Some("ESA"))] {
            let keys = [Some(fold_name(&o.name)), o.acronym.as_deref().map(fold_name)];
            for i in 0..6 {
                let mut shares = [0; 6];
                shares[i] = 1000;
                let spelled = spell(&o, Spellings(shares), &mut rng);
                if i != 4 {
                    assert!(keys.contains(&Some(fold_name(&spelled))), "{i}: {spelled}");
                }
            }
            let loose = spell(&o, Spellings([0; 6]), &mut rng);
            assert!(!keys.contains(&Some(fold_name(&loose))), "{loose}");
        }
    }
}
