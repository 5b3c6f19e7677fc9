use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::{ProcedureRef, RegisterId, content_hash_and_size};

// ---------------------------------------------------------------------------------------------
// Transparency Register

/// One organisation's entry in one dated register snapshot. History is the series of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterEntry {
    pub register_id: RegisterId,
    /// The snapshot's `exportDate`: which state of the register this entry describes.
    pub snapshot_date: NaiveDate,
    pub name: String,
    pub acronym: Option<String>,
    pub entity_form: Option<String>,
    pub category: Option<String>,
    pub head_office_country: Option<String>,
    pub head_office_city: Option<String>,
    pub website: Option<String>,
    pub goals: Option<String>,
    pub levels_of_interest: Vec<String>,
    pub fields_of_interest: Vec<String>,
    pub eu_legislative_proposals: Option<String>,
    /// Persons involved in the register's activities.
    pub members: Option<u32>,
    pub fte: Option<f64>,
    /// Persons accredited for access to the European Parliament.
    pub ep_accredited: Option<u32>,
    /// Declared costs for the closed financial year.
    pub costs: Option<Costs>,
    pub financial_year_start: Option<NaiveDate>,
    pub financial_year_end: Option<NaiveDate>,
    pub registration_date: Option<NaiveDate>,
    pub last_update_date: Option<NaiveDate>,
}

/// Declared lobbying costs: a bracket, or an exact amount, in euro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Costs {
    Range { min: u64, max: u64 },
    Amount { amount: u64 },
}

// ---------------------------------------------------------------------------------------------
// Meetings

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Institution {
    Commission,
    Parliament,
}

impl Institution {
    pub fn as_str(self) -> &'static str {
        match self {
            Institution::Commission => "commission",
            Institution::Parliament => "parliament",
        }
    }
}

/// The person on the institution's side of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Host {
    pub name: String,
    /// Commission title ("Cabinet member", "Commissioner") or MEP capacity ("Rapporteur",
    /// "Shadow rapporteur", "Committee chair", "Member"), exactly as published.
    pub role: Option<String>,
    /// The EP's numeric MEP id; absent for Commission staff.
    pub ep_id: Option<u64>,
}

/// One organisation present at a meeting, as the source listed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    /// The published name, when it can be told apart from its neighbours.
    pub name: Option<String>,
    pub register_id: Option<RegisterId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub institution: Institution,
    pub date: NaiveDate,
    pub hosts: Vec<Host>,
    /// "Cabinet of Commissioner …" for Commissioner and cabinet meetings.
    pub cabinet: Option<String>,
    /// Directorate-General, full name, for meetings of Directors-General.
    pub dg: Option<String>,
    pub dg_acronym: Option<String>,
    pub portfolio: Option<String>,
    pub location: Option<String>,
    /// The published subject, trimmed, line breaks normalised to `\n`.
    pub subject: String,
    pub procedures: Vec<ProcedureRef>,
    pub attendees: Vec<Attendee>,
    /// The attendee cell as published, names and all.
    pub attendees_raw: String,
}

// ---------------------------------------------------------------------------------------------
// Have Your Say consultations

/// A Better Regulation initiative with its publications (stages).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Initiative {
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
    pub published_date: Option<NaiveDateTime>,
    pub modified_date: Option<NaiveDateTime>,
    pub publications: Vec<Publication>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Publication {
    pub id: u64,
    /// `IMPACT_ASSESS_INCEP`, `OPC_LAUNCHED`, `PROP_REG`, … kept verbatim.
    pub kind: Option<String>,
    pub reference: Option<String>,
    pub total_feedback: Option<u64>,
    pub adoption_date: Option<NaiveDateTime>,
    pub attachments: Vec<Document>,
}

/// A document attached to a publication or a feedback item; download it at
/// `https://ec.europa.eu/info/law/better-regulation/api/download/{document_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub id: Option<u64>,
    pub document_id: Option<String>,
    pub file_name: Option<String>,
    pub ers_file_name: Option<String>,
    pub title: Option<String>,
    pub language: Option<String>,
    pub pages: Option<u64>,
    pub size: Option<u64>,
    pub pdf_size: Option<u64>,
}

/// One response to a consultation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub id: u64,
    pub publication_id: Option<u64>,
    pub reference_initiative: Option<String>,
    pub date: Option<NaiveDateTime>,
    pub language: Option<String>,
    /// `NGO`, `COMPANY`, … kept verbatim, misspellings included (`ACADEMIC_RESEARCH_INSTITTUTION`).
    pub user_type: Option<String>,
    /// ISO 3166-1 alpha-3, as published.
    pub country: Option<String>,
    pub company_size: Option<String>,
    pub organization: Option<String>,
    pub first_name: Option<String>,
    pub surname: Option<String>,
    pub register_id: Option<RegisterId>,
    pub text: String,
    pub attachments: Vec<Document>,
}

// ---------------------------------------------------------------------------------------------
// Everything a parser can yield

/// One record of any source, as a parser yields it.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Register(RegisterEntry),
    Meeting(Meeting),
    Initiative(Initiative),
    Feedback(Feedback),
}

impl Record {
    /// [`content_hash`](crate::content_hash) of the record inside.
    pub fn content_hash(&self) -> String {
        self.content_hash_and_size().0
    }

    /// [`content_hash_and_size`] of the record inside.
    pub fn content_hash_and_size(&self) -> (String, usize) {
        match self {
            Record::Register(r) => content_hash_and_size(r),
            Record::Meeting(m) => content_hash_and_size(m),
            Record::Initiative(i) => content_hash_and_size(i),
            Record::Feedback(f) => content_hash_and_size(f),
        }
    }
}
