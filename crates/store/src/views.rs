//! What the site reads: records as pages show them, with their provenance and links.
//!
//! These are the stable shapes of the JSON API too, so field names change only with care.

use chrono::{NaiveDate, NaiveDateTime};
use lobbyscope_domain::{Document, Institution, MeetingId, Provenance, RegisterEntry, RegisterId, When};
use serde::{Serialize, Serializer};

use crate::{LinkMethod, OrgKey, Organisation, PersonKey, PositionItemView};

/// One register entry with where it was read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRegisterEntry {
    #[serde(flatten)]
    pub entry: RegisterEntry,
    pub provenance: Provenance,
}

/// The person on the institution's side of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostView {
    pub person_key: PersonKey,
    pub name: String,
    /// Title or capacity as published.
    pub role: Option<String>,
}

/// One organisation present at a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttendeeView {
    /// The organisation the mention was linked to, if any.
    pub org_key: Option<OrgKey>,
    /// The organisation's name, or the published name when unlinked.
    pub name: String,
    /// The name as the source published it, if it gave one.
    pub published_name: Option<String>,
    pub register_id: Option<RegisterId>,
    pub link_method: Option<LinkMethod>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeetingView {
    pub id: MeetingId,
    pub institution: Institution,
    pub date: NaiveDate,
    pub hosts: Vec<HostView>,
    pub cabinet: Option<String>,
    pub dg: Option<String>,
    pub dg_acronym: Option<String>,
    pub portfolio: Option<String>,
    pub location: Option<String>,
    pub subject: String,
    pub procedures: Vec<String>,
    pub attendees: Vec<AttendeeView>,
    pub attendees_raw: String,
    pub provenance: Provenance,
    /// Earlier versions that later imports corrected, newest first; read only for the meeting's
    /// own page (`None`, and absent from JSON, elsewhere).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<MeetingVersion>>,
}

/// What a meeting said before an import corrected it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeetingVersion {
    /// When the import that replaced this version ran (RFC 3339).
    pub replaced_at: String,
    /// The file whose import replaced it.
    pub replaced_by: String,
    pub date: NaiveDate,
    pub subject: String,
    pub hosts: Vec<VersionHost>,
    pub location: Option<String>,
    pub attendees_raw: String,
    /// Where this version was read.
    pub provenance: Provenance,
}

/// A host as an earlier version of a meeting named them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct VersionHost {
    pub name: String,
    pub role: Option<String>,
}

/// A response to a consultation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseView {
    pub id: u64,
    /// As published (Brussels time).
    #[serde(serialize_with = "moment")]
    pub date: Option<NaiveDateTime>,
    pub initiative_id: Option<u64>,
    pub initiative_title: Option<String>,
    pub publication_id: Option<u64>,
    pub reference_initiative: Option<String>,
    pub organization: Option<String>,
    pub org_key: Option<OrgKey>,
    pub register_id: Option<RegisterId>,
    pub user_type: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub text: String,
    pub attachments: Vec<Document>,
    pub provenance: Provenance,
}

/// One item of a lobbying-activity timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activity {
    Meeting(MeetingView),
    Response(ResponseView),
    /// Only on organisations' timelines.
    Position(PositionItemView),
}

impl Activity {
    pub fn date(&self) -> Option<When> {
        match self {
            Activity::Meeting(m) => Some(When::Day(m.date)),
            Activity::Response(r) => r.date.map(When::Moment),
            Activity::Position(p) => p.date,
        }
    }
}

/// Moments as the JSON API has always written them, `2021-05-31 10:00:00` (chrono's own form
/// has a `T`).
fn moment<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

/// Which activity to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    #[default]
    All,
    Meetings,
    Responses,
    Positions,
}

/// A filter and a page over a timeline. Bounds are the web layer's to check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActivityFilter {
    pub kind: ActivityKind,
    pub institution: Option<Institution>,
    pub year: Option<i32>,
    /// 0-based offset and page size.
    pub offset: u32,
    pub limit: u32,
}

/// How much activity of each kind a timeline holds, before the page cut.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ActivityCounts {
    pub commission_meetings: u64,
    pub parliament_meetings: u64,
    pub responses: u64,
}

impl ActivityCounts {
    pub fn total(&self) -> u64 {
        self.commission_meetings + self.parliament_meetings + self.responses
    }
}

/// Activity per calendar quarter, for the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarterCount {
    /// `2022-Q2`.
    pub quarter: String,
    pub meetings: u64,
    pub responses: u64,
}

/// A page of a timeline, with the counts of the whole filtered timeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ActivityPage {
    pub items: Vec<Activity>,
    /// Items matching the filter, across all pages.
    pub matching: u64,
    /// Counts per kind, of all the organisation's activity (filters not applied).
    pub counts: ActivityCounts,
    /// Position items shown on the timeline (filters not applied). Not activity of its own:
    /// they summarise the responses and register text counted above.
    pub positions: u64,
    /// Years with any activity, newest first.
    pub years: Vec<i32>,
    pub per_quarter: Vec<QuarterCount>,
}

/// An organisation with its register history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrganisationView {
    #[serde(flatten)]
    pub organisation: Organisation,
    /// Register entries, newest snapshot first.
    pub register: Vec<StoredRegisterEntry>,
    /// Names under which sources mentioned it, other than its register name.
    pub published_names: Vec<String>,
}

// --- people and procedures ---

/// Which side of the institutions a person hosted meetings for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// A Member of the European Parliament.
    Mep,
    /// A Commissioner, a cabinet member or a Commission official.
    Commission,
}

/// A value as published beside a person's meetings, and in how many of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonFacet {
    pub label: String,
    pub meetings: u64,
}

/// A person who hosted meetings, with what the sources said about them. Facets list the most
/// frequent first; values a source left empty are not listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonView {
    pub key: PersonKey,
    pub kind: PersonKind,
    /// The name as first stored (the EP writes "SURNAME Given").
    pub name: String,
    pub ep_id: Option<u64>,
    /// Other spellings of the name in the sources.
    pub published_names: Vec<String>,
    /// Titles (officials) or capacities (MEPs), as published.
    pub roles: Vec<PersonFacet>,
    pub cabinets: Vec<PersonFacet>,
    pub dgs: Vec<PersonFacet>,
    pub portfolios: Vec<PersonFacet>,
}

// --- consultations, home page and lists ---

/// One stage of a consultation initiative, with its documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublicationView {
    pub id: u64,
    /// `IMPACT_ASSESS_INCEP`, `OPC_LAUNCHED`, `PROP_REG`, … as published.
    pub kind: Option<String>,
    pub reference: Option<String>,
    /// The number of responses the portal reported for this stage.
    pub total_feedback: Option<u64>,
    #[serde(serialize_with = "moment")]
    pub adoption_date: Option<NaiveDateTime>,
    pub attachments: Vec<Document>,
    /// Responses to this stage held in the store (may be fewer than `total_feedback`).
    pub stored_responses: u64,
}

/// A Have Your Say initiative with its publications.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InitiativeView {
    pub id: u64,
    pub reference: Option<String>,
    pub short_title: String,
    pub dg: Option<String>,
    pub unit: Option<String>,
    pub status: Option<String>,
    pub foreseen_act_type: Option<String>,
    pub stage: Option<String>,
    pub receiving_feedback_status: Option<String>,
    pub topics: Vec<String>,
    #[serde(serialize_with = "moment")]
    pub published_date: Option<NaiveDateTime>,
    #[serde(serialize_with = "moment")]
    pub modified_date: Option<NaiveDateTime>,
    /// In published order.
    pub publications: Vec<PublicationView>,
    pub provenance: Provenance,
}

/// How many items share a value; `value` is `None` for items where the source gave none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueCount {
    pub value: Option<String>,
    pub count: u64,
}

/// A page of an initiative's responses, with counts over all of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResponsePage {
    /// Newest first.
    pub items: Vec<ResponseView>,
    /// Responses to the initiative held in the store, across all pages.
    pub total: u64,
    /// Counts by respondent type (`user_type` as published), largest first.
    pub by_user_type: Vec<ValueCount>,
    /// Counts by country (as published), largest first.
    pub by_country: Vec<ValueCount>,
}

/// How well a search matched, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The whole name, acronym, a register name or the register ID.
    Exact,
    /// The start of one of them.
    Prefix,
    /// Somewhere inside one of them.
    Contains,
}

/// An organisation with how much activity each source records for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationSummary {
    #[serde(flatten)]
    pub organisation: Organisation,
    pub counts: ActivityCounts,
    /// The sum of the counts.
    pub total: u64,
}

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationHit {
    #[serde(flatten)]
    pub summary: OrganisationSummary,
    pub match_kind: MatchKind,
    /// The name or ID that matched: the organisation's name, its acronym, a register name, or
    /// its register ID.
    pub matched: String,
}

/// The order of the organisations list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgSort {
    /// Most activity of all kinds first.
    #[default]
    Activity,
    Name,
    Commission,
    Parliament,
    Responses,
}

impl OrgSort {
    pub const ALL: [OrgSort; 5] =
        [OrgSort::Activity, OrgSort::Name, OrgSort::Commission, OrgSort::Parliament, OrgSort::Responses];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgSort::Activity => "activity",
            OrgSort::Name => "name",
            OrgSort::Commission => "commission",
            OrgSort::Parliament => "parliament",
            OrgSort::Responses => "responses",
        }
    }

    pub fn parse(s: &str) -> Option<OrgSort> {
        OrgSort::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A page of the organisations list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrganisationList {
    pub rows: Vec<OrganisationSummary>,
    /// Organisations in the list, across all pages.
    pub total: u64,
}

// --- end consultations, home page and lists ---
