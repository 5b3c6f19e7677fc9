//! The data the linker reads and writes through the store.

use lobbyscope_domain::{OrgKey, RegisterId};
use serde::Serialize;

/// A name under which the register lists an organisation, from one snapshot entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredName {
    pub register_id: RegisterId,
    pub name: String,
    pub acronym: Option<String>,
    /// The snapshot the name is from; the newest names an organisation.
    pub snapshot_date: chrono::NaiveDate,
}

/// A name a source published beside a register ID, and how many times it did: evidence of the
/// names an organisation goes by (the resolver's learned aliases).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub name: String,
    pub register_id: RegisterId,
    pub occurrences: u64,
}

/// Which stored item mentions an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MentionRef {
    Attendee { meeting_id: String, position: u32 },
    Feedback { id: u64 },
}

/// An organisation as one source item names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub at: MentionRef,
    pub name: Option<String>,
    pub register_id: Option<RegisterId>,
}

/// The mentions of one item (one meeting's attendees, or one response), in published order:
/// neighbours matter, since a name with commas may have been split into pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MentionGroup {
    pub mentions: Vec<Mention>,
}

#[derive(Debug, Clone, Default)]
pub struct LinkInputs {
    pub registered: Vec<RegisteredName>,
    pub aliases: Vec<Alias>,
    pub groups: Vec<MentionGroup>,
}

/// How a mention was linked to an organisation, so every link can be explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkMethod {
    /// The source gave the register ID.
    RegisterId,
    /// The name, folded, equals exactly one registered name.
    ExactName,
    /// The name, folded, equals exactly one registered acronym.
    Acronym,
    /// Adjacent pieces of a comma-split list, re-joined, equal exactly one registered name.
    JoinedName,
    /// The name, folded, is one that sources published beside this organisation's register ID.
    Alias,
    /// A part of the name (around a dash, a slash, a parenthesis, "from") is one of this
    /// organisation's names, and no part names another.
    PartOfName,
    /// The name is nearly one of this organisation's names (a typo, a word more or less), well
    /// ahead of any other's.
    Similar,
    /// The folded name equals names of several registered organisations; not guessed.
    Ambiguous,
    /// No registered name matched: an unregistered organisation.
    Unmatched,
}

impl LinkMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkMethod::RegisterId => "register_id",
            LinkMethod::ExactName => "exact_name",
            LinkMethod::Acronym => "acronym",
            LinkMethod::JoinedName => "joined_name",
            LinkMethod::Alias => "alias",
            LinkMethod::PartOfName => "part_of_name",
            LinkMethod::Similar => "similar",
            LinkMethod::Ambiguous => "ambiguous",
            LinkMethod::Unmatched => "unmatched",
        }
    }

    /// Why a mention was linked so, in words a page shows beside it.
    pub fn reason(self) -> &'static str {
        match self {
            LinkMethod::RegisterId => "the source gave the register ID",
            LinkMethod::ExactName => "a registered name",
            LinkMethod::Acronym => "a registered acronym or short form",
            LinkMethod::JoinedName => "pieces of the published list, joined again, are a registered name",
            LinkMethod::Alias => "a name the sources gave beside this register ID",
            LinkMethod::PartOfName => "part of the name is a registered name",
            LinkMethod::Similar => "nearly a registered name",
            LinkMethod::Ambiguous => "could be several registered organisations: not linked",
            LinkMethod::Unmatched => "no registered name matches: not in the register",
        }
    }

    pub fn parse(s: &str) -> Option<LinkMethod> {
        [
            LinkMethod::RegisterId,
            LinkMethod::ExactName,
            LinkMethod::Acronym,
            LinkMethod::JoinedName,
            LinkMethod::Alias,
            LinkMethod::PartOfName,
            LinkMethod::Similar,
            LinkMethod::Ambiguous,
            LinkMethod::Unmatched,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// The linker's verdict on one mention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedMention {
    pub at: MentionRef,
    pub org: OrgKey,
    pub method: LinkMethod,
}

/// An organisation as the site lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub key: OrgKey,
    pub register_id: Option<RegisterId>,
    pub name: String,
    pub acronym: Option<String>,
}
