//! The values some fields are known to take (FORMATS.md). A record with another one is
//! imported as it is, and the sync says so: the source may have added a kind of participant or
//! capacity the pages do not name well yet, or changed how it writes one.

use std::collections::BTreeMap;

use lobbyscope_domain::{Institution, Record};

/// MEP capacities in the Parliament's export (`member_capacity`).
const EP_CAPACITIES: [&str; 4] = ["Member", "Rapporteur", "Shadow rapporteur", "Committee chair"];

/// Titles of the Commissioners' and their cabinets' representatives.
const EC_TITLES: [&str; 6] = [
    "Cabinet member",
    "Commissioner",
    "Executive Vice-President",
    "Vice-President",
    "President",
    "High Representative",
];

/// Respondent types of Have Your Say (the misspelling is the portal's own).
const HYS_USER_TYPES: [&str; 11] = [
    "COMPANY",
    "NGO",
    "BUSINESS_ASSOCIATION",
    "OTHER",
    "ACADEMIC_RESEARCH_INSTITTUTION",
    "TRADE_UNION",
    "EU_CITIZEN",
    "NON_EU_CITIZEN",
    "PUBLIC_AUTHORITY",
    "CONSUMER_ORGANISATION",
    "ENVIRONMENTAL_ORGANISATION",
];

/// Values not known, by field and value, with how many records hold them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unknown(BTreeMap<(&'static str, String), u64>);

impl Unknown {
    /// Notes the values of `record` that are not known.
    pub fn check(&mut self, record: &Record) {
        match record {
            Record::Meeting(m) => {
                for host in &m.hosts {
                    let Some(role) = host.role.as_deref().map(str::trim).filter(|r| !r.is_empty()) else { continue };
                    match m.institution {
                        // "Rapporteur for opinion" and the like are the capacities they extend.
                        Institution::Parliament if !EP_CAPACITIES.iter().any(|c| role.starts_with(c)) => {
                            self.note("MEP capacity", role);
                        }
                        // The Directors-General's files name many titles; the cabinets' few.
                        Institution::Commission if m.cabinet.is_some() && !EC_TITLES.contains(&role) => {
                            self.note("Commission title", role);
                        }
                        _ => {}
                    }
                }
            }
            Record::Feedback(f) => {
                if let Some(t) = f.user_type.as_deref().filter(|t| !HYS_USER_TYPES.contains(t)) {
                    self.note("respondent type", t);
                }
            }
            Record::Register(_) | Record::Initiative(_) => {}
        }
    }

    fn note(&mut self, field: &'static str, value: &str) {
        *self.0.entry((field, value.to_owned())).or_default() += 1;
    }

    pub fn extend(&mut self, other: Unknown) {
        for (key, n) in other.0 {
            *self.0.entry(key).or_default() += n;
        }
    }

    /// One warning a value, for the health page.
    pub fn warnings(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|((field, value), n)| {
                let records = if *n == 1 { "1 record".to_owned() } else { format!("{n} records") };
                format!("a {field} this version does not know: {value:?} ({records}; imported as written)")
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lobbyscope_domain::{Feedback, Host, Meeting};

    fn ep(role: &str) -> Record {
        Record::Meeting(Meeting {
            institution: Institution::Parliament,
            date: chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default(),
            hosts: vec![Host { name: "X".into(), role: Some(role.into()), ep_id: Some(1) }],
            cabinet: None,
            dg: None,
            dg_acronym: None,
            portfolio: None,
            location: None,
            subject: String::new(),
            procedures: vec![],
            attendees: vec![],
            attendees_raw: String::new(),
        })
    }

    #[test]
    fn known_values_pass_and_others_are_counted_once_each() {
        let mut unknown = Unknown::default();
        for role in ["Rapporteur", "Shadow rapporteur for opinion", "Member", "Vice-Chair", "Vice-Chair"] {
            unknown.check(&ep(role));
        }
        let feedback = |t: &str| {
            Record::Feedback(Feedback {
                id: 1,
                publication_id: None,
                reference_initiative: None,
                date: None,
                language: None,
                user_type: Some(t.into()),
                country: None,
                company_size: None,
                organization: None,
                first_name: None,
                surname: None,
                register_id: None,
                text: String::new(),
                attachments: vec![],
            })
        };
        unknown.check(&feedback("ACADEMIC_RESEARCH_INSTITTUTION"));
        unknown.check(&feedback("FUTURE_USER_TYPE"));
        assert_eq!(
            unknown.warnings(),
            vec![
                "a MEP capacity this version does not know: \"Vice-Chair\" (2 records; imported as written)",
                "a respondent type this version does not know: \"FUTURE_USER_TYPE\" (1 record; imported as written)",
            ]
        );
    }
}
