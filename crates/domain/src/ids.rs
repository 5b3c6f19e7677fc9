use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

static REGISTER_ID: LazyLock<Regex> =
    LazyLock::new(|| fixed_pattern(r"(?:^|[^0-9])([0-9]{8,12}-[0-9]{2})(?:$|[^0-9])"));
static PROCEDURE_REF: LazyLock<Regex> = LazyLock::new(|| fixed_pattern(r"\b([0-9]{4}/[0-9]{4}\([A-Z]{3}\))"));

/// A regular expression written in the program, never taken from input: for a `LazyLock`.
///
/// Panics on a malformed pattern, which the first test to use it shows.
#[allow(clippy::expect_used, reason = "the pattern is the program's own, not data")]
pub fn fixed_pattern(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a valid fixed pattern")
}

/// A Transparency Register identification code, `\d{8,12}-\d{2}`.
///
/// Always a string: the leading zeros of `000005130904-53` are part of the identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegisterId(String);

impl RegisterId {
    /// Parses a value that should be exactly one ID (surrounding whitespace allowed).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let (digits, check) = s.split_once('-')?;
        let ok = (8..=12).contains(&digits.len())
            && check.len() == 2
            && digits.bytes().all(|b| b.is_ascii_digit())
            && check.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| RegisterId(s.to_owned()))
    }

    /// Every ID inside free text, in order of appearance, duplicates removed.
    ///
    /// Used where the separator between IDs is undocumented (EP `lobbyist_id`) or where IDs are
    /// joined by commas (Commission meetings).
    pub fn find_all(text: &str) -> Vec<RegisterId> {
        let mut out: Vec<RegisterId> = Vec::new();
        // A field may list tens of thousands of IDs: a set keeps the removal of repeats linear.
        let mut seen = std::collections::HashSet::new();
        // The regex consumes one delimiter on each side, so adjacent IDs joined by a single
        // character would be skipped; scanning from the end of each ID (not the match) avoids it.
        let mut at = 0;
        while let Some(c) = REGISTER_ID.captures_at(text, at) {
            let Some(m) = c.get(1) else { break };
            if seen.insert(m.as_str()) {
                out.push(RegisterId(m.as_str().to_owned()));
            }
            at = m.end();
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RegisterId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegisterId::parse(&s).ok_or_else(|| format!("not a Transparency Register ID: {s:?}"))
    }
}

impl From<RegisterId> for String {
    fn from(id: RegisterId) -> String {
        id.0
    }
}

impl fmt::Display for RegisterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A legislative procedure reference such as `2022/0155(COD)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProcedureRef(String);

impl ProcedureRef {
    pub fn find_all(text: &str) -> Vec<ProcedureRef> {
        let mut out: Vec<ProcedureRef> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for c in PROCEDURE_REF.captures_iter(text) {
            let Some(m) = c.get(1) else { continue };
            if seen.insert(m.as_str()) {
                out.push(ProcedureRef(m.as_str().to_owned()));
            }
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProcedureRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_id_keeps_leading_zeros_and_rejects_wrong_shapes() {
        assert_eq!(RegisterId::parse(" 000005130904-53 ").unwrap().as_str(), "000005130904-53");
        for bad in ["1234567-12", "1234567890123-12", "12345678-1", "12345678-123", "abcdefgh-12", ""] {
            assert!(RegisterId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn find_all_handles_any_separator_and_ignores_longer_numbers() {
        let ids = RegisterId::find_all("54437813115-56|953701819437-32, 54437813115-56;0649790813-47");
        let ids: Vec<_> = ids.iter().map(RegisterId::as_str).collect();
        assert_eq!(ids, ["54437813115-56", "953701819437-32", "0649790813-47"]);
        assert!(RegisterId::find_all("tel 1234567890123-45").is_empty());
        assert!(RegisterId::find_all("12345678-123").is_empty());
        let adjacent = RegisterId::find_all("91408765797-03,0649790813-47");
        assert_eq!(adjacent.len(), 2);
        // 50,000 distinct IDs and each again: all found once, in order (a quadratic removal of
        // repeats took seconds on such a field).
        let many: Vec<String> = (0..50_000).map(|i| format!("{:011}-{:02}", i, i % 100)).collect();
        let text = format!("{} {}", many.join(" "), many.join(","));
        let found = RegisterId::find_all(&text);
        assert_eq!(found.len(), many.len());
        assert!(found.iter().zip(&many).all(|(f, m)| f.as_str() == m));
    }

    #[test]
    fn procedure_refs() {
        let r = ProcedureRef::find_all("2022/0155(COD), 2021/0106(COD) and 2022/0155(COD)");
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].as_str(), "2022/0155(COD)");
        assert!(ProcedureRef::find_all("2022/155(COD)").is_empty());
    }
}
