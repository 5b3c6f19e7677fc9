//! Records a source no longer publishes. A sync that has read a complete listing (a register
//! export, one of the Commission's files, a month of the Parliament's export, every feedback
//! page of a publication, the portal's list of initiatives) says what it holds now; what the
//! listing held before and holds no longer is kept, and marked "no longer published since" the
//! day of that sync, never deleted. A record that comes back loses its mark.

use chrono::NaiveDate;
use serde::Serialize;

/// What a listing lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ListedKind {
    /// Meetings, by natural key ([`lobbyscope_domain::MeetingKey`]): a meeting is gone only
    /// when no meeting of its key is listed, since which of several same-day meetings of one
    /// host is which cannot be told without one.
    Meetings,
    /// Consultation responses, by feedback id.
    Responses,
    /// Initiatives, by id.
    Initiatives,
    /// Register entries, by register ID: an organisation gone from the register.
    Registrations,
}

impl ListedKind {
    /// The name the marks are kept under.
    pub fn as_str(self) -> &'static str {
        match self {
            ListedKind::Meetings => "meeting",
            ListedKind::Responses => "response",
            ListedKind::Initiatives => "initiative",
            ListedKind::Registrations => "registration",
        }
    }
}

/// Which stored records a listing is the whole of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Those imported from files of these names (the file their provenance names): a
    /// listing's earlier versions (one of the Commission's files, as the sync's archive names
    /// them by their content).
    Files(Vec<String>),
    /// The Parliament's meetings on these days, both included (a month of its export).
    ParliamentDays { from: NaiveDate, to: NaiveDate },
    /// A publication's responses.
    Publication(u64),
    /// Every record of the kind (the register, the portal's initiatives).
    Everything,
}

/// A complete listing, as a sync read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub kind: ListedKind,
    pub scope: Scope,
    /// The keys it holds now (see [`ListedKind`]).
    pub present: Vec<String>,
    /// The day of the sync that read it.
    pub as_of: NaiveDate,
}

/// What marking a listing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ListingMarks {
    /// Records marked "no longer published" now.
    pub withdrawn: u64,
    /// Marked records listed again, their mark removed.
    pub returned: u64,
}
