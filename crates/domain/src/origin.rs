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
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

