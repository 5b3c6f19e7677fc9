//! The EU's 24 official languages: telling which one a text is in, and the stemmer each has.
//!
//! A text is stemmed in its own language only, into that language's field, beside the
//! language-neutral field every text goes into; so a query finds a word's other forms in texts
//! of that language, and the exact word in any.

use frostem::Algorithm;
use whatlang::{Detector, Lang};

/// One of the EU's official languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Bulgarian,
    Croatian,
    Czech,
    Danish,
    Dutch,
    English,
    Estonian,
    Finnish,
    French,
    German,
    Greek,
    Hungarian,
    Irish,
    Italian,
    Latvian,
    Lithuanian,
    Maltese,
    Polish,
    Portuguese,
    Romanian,
    Slovak,
    Slovenian,
    Spanish,
    Swedish,
}

use Language::*;

/// Every official language, in the order of their codes' table below.
pub const ALL: [Language; 24] = [
    Bulgarian, Croatian, Czech, Danish, Dutch, English, Estonian, Finnish, French, German, Greek, Hungarian, Irish,
    Italian, Latvian, Lithuanian, Maltese, Polish, Portuguese, Romanian, Slovak, Slovenian, Spanish, Swedish,
];

impl Language {
    /// The ISO 639-1 code, lower case: what the facet shows and the portal writes (upper case).
    pub fn code(self) -> &'static str {
        match self {
            Bulgarian => "bg",
            Croatian => "hr",
            Czech => "cs",
            Danish => "da",
            Dutch => "nl",
            English => "en",
            Estonian => "et",
            Finnish => "fi",
            French => "fr",
            German => "de",
            Greek => "el",
            Hungarian => "hu",
            Irish => "ga",
            Italian => "it",
            Latvian => "lv",
            Lithuanian => "lt",
            Maltese => "mt",
            Polish => "pl",
            Portuguese => "pt",
            Romanian => "ro",
            Slovak => "sk",
            Slovenian => "sl",
            Spanish => "es",
            Swedish => "sv",
        }
    }

    /// The language's name in English, for the facet's label.
    pub fn name(self) -> &'static str {
        match self {
            Bulgarian => "Bulgarian",
            Croatian => "Croatian",
            Czech => "Czech",
            Danish => "Danish",
            Dutch => "Dutch",
            English => "English",
            Estonian => "Estonian",
            Finnish => "Finnish",
            French => "French",
            German => "German",
            Greek => "Greek",
            Hungarian => "Hungarian",
            Irish => "Irish",
            Italian => "Italian",
            Latvian => "Latvian",
            Lithuanian => "Lithuanian",
            Maltese => "Maltese",
            Polish => "Polish",
            Portuguese => "Portuguese",
            Romanian => "Romanian",
            Slovak => "Slovak",
            Slovenian => "Slovenian",
            Spanish => "Spanish",
            Swedish => "Swedish",
        }
    }

    /// A language from its ISO 639-1 code in either case (`FR`, as Have Your Say writes it).
    pub fn from_code(code: &str) -> Option<Language> {
        let code = code.trim();
        ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(code))
    }

    /// The Snowball stemmer for the language, where one exists: 18 of the 24. Bulgarian,
    /// Croatian, Latvian, Maltese, Slovak and Slovenian have none, and their texts are found by
    /// their exact words only.
    pub fn stemmer(self) -> Option<Algorithm> {
        Some(match self {
            Czech => Algorithm::Czech,
            Danish => Algorithm::Danish,
            Dutch => Algorithm::Dutch,
            English => Algorithm::English,
            Estonian => Algorithm::Estonian,
            Finnish => Algorithm::Finnish,
            French => Algorithm::French,
            German => Algorithm::German,
            Greek => Algorithm::Greek,
            Hungarian => Algorithm::Hungarian,
            Irish => Algorithm::Irish,
            Italian => Algorithm::Italian,
            Lithuanian => Algorithm::Lithuanian,
            Polish => Algorithm::Polish,
            Portuguese => Algorithm::Portuguese,
            Romanian => Algorithm::Romanian,
            Spanish => Algorithm::Spanish,
            Swedish => Algorithm::Swedish,
            Bulgarian | Croatian | Latvian | Maltese | Slovak | Slovenian => return None,
        })
    }

    fn from_whatlang(lang: Lang) -> Option<Language> {
        Some(match lang {
            Lang::Bul => Bulgarian,
            Lang::Hrv => Croatian,
            Lang::Ces => Czech,
            Lang::Dan => Danish,
            Lang::Nld => Dutch,
            Lang::Eng => English,
            Lang::Est => Estonian,
            Lang::Fin => Finnish,
            Lang::Fra => French,
            Lang::Deu => German,
            Lang::Ell => Greek,
            Lang::Hun => Hungarian,
            Lang::Ita => Italian,
            Lang::Lav => Latvian,
            Lang::Lit => Lithuanian,
            Lang::Pol => Polish,
            Lang::Por => Portuguese,
            Lang::Ron => Romanian,
            Lang::Slk => Slovak,
            Lang::Slv => Slovenian,
            Lang::Spa => Spanish,
            Lang::Swe => Swedish,
            _ => return None,
        })
    }
}

/// The fewest letters a text needs for its language to be told: a subject of three words is
/// too short for trigrams to say much.
const MIN_DETECT_CHARS: usize = 24;

/// Tells which official language a text is in, among those whatlang knows (all but Irish and
/// Maltese); `None` for a text too short or too mixed to say.
pub struct Detect {
    detector: Detector,
}

impl Default for Detect {
    fn default() -> Self {
        let allowed = ALL.iter().flat_map(|l| whatlang_of(*l)).collect();
        Detect { detector: Detector::with_allowlist(allowed) }
    }
}

fn whatlang_of(language: Language) -> Option<Lang> {
    whatlang::Lang::all().iter().copied().find(|w| Language::from_whatlang(*w) == Some(language))
}

impl Detect {
    pub fn language(&self, text: &str) -> Option<Language> {
        // Trigram statistics need letters, not the length of a URL or a list of numbers.
        if text.chars().filter(|c| c.is_alphabetic()).take(MIN_DETECT_CHARS).count() < MIN_DETECT_CHARS {
            return None;
        }
        let info = self.detector.detect(text)?;
        if !info.is_reliable() {
            return None;
        }
        Language::from_whatlang(info.lang())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_in_either_case() {
        for l in ALL {
            assert_eq!(Language::from_code(l.code()), Some(l));
            assert_eq!(Language::from_code(&l.code().to_uppercase()), Some(l));
        }
        assert_eq!(Language::from_code("xx"), None);
    }

    #[test]
    fn texts_are_told_apart() {
        let detect = Detect::default();
        let fr = "La Commission européenne propose de renforcer la protection des données personnelles des citoyens.";
        let de = "Die Europäische Kommission schlägt vor, den Schutz personenbezogener Daten der Bürger zu stärken.";
        let en = "The European Commission proposes to strengthen the protection of citizens' personal data.";
        assert_eq!(detect.language(fr), Some(French));
        assert_eq!(detect.language(de), Some(German));
        assert_eq!(detect.language(en), Some(English));
        assert_eq!(detect.language("Meeting on 5G"), None);
    }

    #[test]
    fn eighteen_languages_stem() {
        assert_eq!(ALL.iter().filter(|l| l.stemmer().is_some()).count(), 18);
        // Every language whatlang knows maps back to the same language.
        for l in ALL {
            if let Some(w) = whatlang_of(l) {
                assert_eq!(Language::from_whatlang(w), Some(l));
            }
        }
    }
}
