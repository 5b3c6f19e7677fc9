//! The official sources lobbyscope fetches, as the command line, the sync's state and the
//! health page name them.

use std::fmt;

/// The official sources a sync can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum SourceId {
    /// The Transparency Register's ODP XML export.
    #[serde(rename = "tr")]
    Register,
    /// The Commission's meetings files.
    #[serde(rename = "ec")]
    Commission,
    /// The European Parliament's MEP meetings export.
    #[serde(rename = "ep")]
    Parliament,
    /// The Have Your Say portal.
    #[serde(rename = "hys")]
    HaveYourSay,
}

impl SourceId {
    pub const ALL: [SourceId; 4] =
        [SourceId::Register, SourceId::Commission, SourceId::Parliament, SourceId::HaveYourSay];

    /// The short name the command line and the health page use.
    pub fn code(self) -> &'static str {
        match self {
            SourceId::Register => "tr",
            SourceId::Commission => "ec",
            SourceId::Parliament => "ep",
            SourceId::HaveYourSay => "hys",
        }
    }

    pub fn from_code(code: &str) -> Option<SourceId> {
        SourceId::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn title(self) -> &'static str {
        match self {
            SourceId::Register => "EU Transparency Register",
            SourceId::Commission => "European Commission meetings",
            SourceId::Parliament => "European Parliament MEP meetings",
            SourceId::HaveYourSay => "Have Your Say consultations",
        }
    }

    /// The official page where a reader finds the source as its publisher presents it: what
    /// the health page links to. Not the address a sync fetches from (the sync's
    /// `config::official_base`, which an operator may replace).
    pub fn official_page(self) -> &'static str {
        match self {
            SourceId::Register => "https://transparency-register.europa.eu/",
            SourceId::Commission => "https://ec.europa.eu/transparency-initiative/meetings",
            SourceId::Parliament => "https://www.europarl.europa.eu/meps/en/search-meetings",
            SourceId::HaveYourSay => "https://ec.europa.eu/info/law/better-regulation/have-your-say_en",
        }
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
