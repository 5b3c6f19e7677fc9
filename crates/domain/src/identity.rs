//! Stable identities for meetings, which no source numbers.
//!
//! A meeting is known by its **natural key** (who hosted it and when: the MEP's id and the date
//! in Parliament; the cabinet or Directorate-General and the date in the Commission) and its
//! **ordinal** among the stored meetings sharing that key. The key leaves out everything a
//! correction upstream may change (subject, attendees, capacity, location), and everything a new
//! field in our model would add, so neither moves a meeting to a new identity or URL.
//!
//! Which stored meeting a newly read one is, when several share its key, is decided by
//! [`pair`]: an identical stored meeting first, else the stored one that differs from it in at
//! most one [`Facets`] facet (a corrected subject, an added attendee, a changed capacity), else
//! none: a new meeting with the next ordinal.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Institution, Meeting, fold_name, hex};

/// Hex digits of the natural key's digest kept in identities: 64 bits, ample for the few
/// hundred thousand keys the sources hold.
const KEY_HEX: usize = 16;

/// The natural key of a meeting, as a digest: equal for every version of the same meeting.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MeetingKey(String);

impl MeetingKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A key as stored; `None` when it is not a key's digest.
    pub fn parse(s: &str) -> Option<MeetingKey> {
        (s.len() == KEY_HEX && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            .then(|| MeetingKey(s.to_owned()))
    }
}

/// A meeting's identity: its natural key and its ordinal (from 1) among the meetings sharing
/// that key, written `{key}-{ordinal}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MeetingId {
    key: MeetingKey,
    ordinal: u32,
}

impl MeetingId {
    pub fn new(key: MeetingKey, ordinal: u32) -> MeetingId {
        MeetingId { key, ordinal }
    }

    /// Parses the written form; `None` for anything else (an old content-hash id, a typo).
    pub fn parse(s: &str) -> Option<MeetingId> {
        let (key, ordinal) = s.split_once('-')?;
        let ordinal = ordinal.parse().ok().filter(|n| *n > 0 && !ordinal.starts_with(['0', '+']))?;
        Some(MeetingId { key: MeetingKey::parse(key)?, ordinal })
    }

    pub fn key(&self) -> &MeetingKey {
        &self.key
    }

    pub fn ordinal(&self) -> u32 {
        self.ordinal
    }
}

impl fmt::Display for MeetingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.key.0, self.ordinal)
    }
}

impl TryFrom<String> for MeetingId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        MeetingId::parse(&s).ok_or_else(|| format!("not a meeting id: {s:?}"))
    }
}

impl From<MeetingId> for String {
    fn from(id: MeetingId) -> String {
        id.to_string()
    }
}

/// Short digests of the parts of a meeting a correction may change, compared to tell a
/// corrected meeting from a different one with the same natural key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Facets {
    pub subject: u32,
    pub attendees: u32,
    pub hosts: u32,
    pub location: u32,
}

impl Facets {
    /// How many facets two meetings share (0 to 4).
    pub fn shared_with(&self, other: &Facets) -> u32 {
        u32::from(self.subject == other.subject)
            + u32::from(self.attendees == other.attendees)
            + u32::from(self.hosts == other.hosts)
            + u32::from(self.location == other.location)
    }
}

/// The stored form: four groups of eight hex digits joined by `.`.
impl fmt::Display for Facets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}.{:08x}.{:08x}.{:08x}", self.subject, self.attendees, self.hosts, self.location)
    }
}

impl std::str::FromStr for Facets {
    type Err = String;
    fn from_str(s: &str) -> Result<Facets, String> {
        let bad = || format!("not meeting facets: {s:?}");
        let mut parts = s.split('.').map(|p| u32::from_str_radix(p, 16).map_err(|_| bad()));
        let mut next = || parts.next().unwrap_or_else(|| Err(bad()));
        let facets = Facets { subject: next()?, attendees: next()?, hosts: next()?, location: next()? };
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(facets)
    }
}

fn digest(parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().into()
}

fn digest32(parts: &[&str]) -> u32 {
    let d = digest(parts);
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

/// A list of folded values in a stable order, so that reordering a cell is no change.
fn folded_set<'a>(values: impl Iterator<Item = String> + 'a) -> Vec<String> {
    let mut v: Vec<String> = values.collect();
    v.sort();
    v.dedup();
    v
}

impl Meeting {
    /// The natural key (see the module documentation). Parliament: the MEP's EP id (or folded
    /// name when the source gave no id) and the date. Commission: the cabinet, else the
    /// Directorate-General, else the folded hosts, and the date.
    pub fn natural_key(&self) -> MeetingKey {
        let date = self.date.to_string();
        let hosts = || folded_set(self.hosts.iter().map(|h| fold_name(&h.name))).join("|");
        let d = match self.institution {
            Institution::Parliament => {
                let who = match self.hosts.iter().find_map(|h| h.ep_id) {
                    Some(id) => format!("ep:{id}"),
                    None => format!("name:{}", hosts()),
                };
                digest(&["parliament", &who, &date])
            }
            Institution::Commission => {
                let unit = match (&self.cabinet, &self.dg, &self.dg_acronym) {
                    (Some(cabinet), _, _) => format!("cabinet:{}", fold_name(cabinet)),
                    (None, Some(dg), _) => format!("dg:{}", fold_name(dg)),
                    (None, None, Some(acronym)) => format!("dg:{}", fold_name(acronym)),
                    (None, None, None) => format!("hosts:{}", hosts()),
                };
                digest(&["commission", &unit, &date])
            }
        };
        MeetingKey(hex(&d)[..KEY_HEX].to_owned())
    }

    /// The parts a correction may change, folded so that case, accents, spacing and order
    /// within a cell are no change.
    pub fn facets(&self) -> Facets {
        let attendees = folded_set(self.attendees.iter().map(|a| {
            let name = a.name.as_deref().map(fold_name).unwrap_or_default();
            let id = a.register_id.as_ref().map(|r| r.as_str()).unwrap_or_default();
            format!("{name}#{id}")
        }));
        let hosts = folded_set(
            self.hosts
                .iter()
                .map(|h| format!("{}#{}", fold_name(&h.name), h.role.as_deref().map(fold_name).unwrap_or_default())),
        );
        Facets {
            subject: digest32(&[&fold_name(&self.subject)]),
            attendees: digest32(&attendees.iter().map(String::as_str).collect::<Vec<_>>()),
            hosts: digest32(&hosts.iter().map(String::as_str).collect::<Vec<_>>()),
            location: digest32(&[&self.location.as_deref().map(fold_name).unwrap_or_default()]),
        }
    }
}

/// A stored meeting with the same natural key, as [`pair`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub ordinal: u32,
    pub content_hash: String,
    pub facets: Facets,
    /// Already matched by another meeting of the file being imported.
    pub claimed: bool,
}

/// What a newly read meeting is, among the stored meetings sharing its natural key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    /// Identical to a stored meeting (or to one read earlier from the same file).
    Same(u32),
    /// A corrected version of a stored meeting: differs from it in at most one facet.
    Corrects(u32),
    /// None of them: a new meeting.
    New,
}

/// Facets a stored meeting must share with a new version of it: all but one.
pub const FACETS_TO_PAIR: u32 = 3;

/// Decides which stored meeting `content_hash` / `facets` is. Exact matches win, claimed or
/// not (an exact duplicate within a file is one meeting); a correction pairs only with an
/// unclaimed candidate, the one sharing the most facets, the lowest ordinal on a tie.
pub fn pair(content_hash: &str, facets: &Facets, candidates: &[Candidate]) -> Pairing {
    if let Some(c) = candidates.iter().find(|c| c.content_hash == content_hash) {
        return Pairing::Same(c.ordinal);
    }
    candidates
        .iter()
        .filter(|c| !c.claimed)
        .map(|c| (c.facets.shared_with(facets), c.ordinal))
        .filter(|(shared, _)| *shared >= FACETS_TO_PAIR)
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
        .map_or(Pairing::New, |(_, ordinal)| Pairing::Corrects(ordinal))
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::{Attendee, Host, RegisterId};

    fn ep_meeting() -> Meeting {
        Meeting {
            institution: Institution::Parliament,
            date: NaiveDate::from_ymd_opt(2024, 9, 6).expect("date"),
            hosts: vec![Host {
                name: "NOVAKOV Andrey".into(),
                role: Some("Shadow rapporteur".into()),
                ep_id: Some(107212),
            }],
            cabinet: None,
            dg: None,
            dg_acronym: None,
            portfolio: None,
            location: None,
            subject: "CLP Regulation".into(),
            procedures: vec![],
            attendees: vec![Attendee {
                name: Some("International Fragrance Association".into()),
                register_id: RegisterId::parse("14130436110-87"),
            }],
            attendees_raw: "International Fragrance Association".into(),
        }
    }

    fn candidate(m: &Meeting, ordinal: u32) -> Candidate {
        Candidate { ordinal, content_hash: crate::content_hash(m), facets: m.facets(), claimed: false }
    }

    #[test]
    fn the_natural_key_ignores_what_corrections_change() {
        let m = ep_meeting();
        let mut corrected = m.clone();
        corrected.subject = "CLP Regulation (revision)".into();
        corrected.attendees.push(Attendee { name: Some("Cosmetics Europe".into()), register_id: None });
        corrected.hosts[0].role = Some("Rapporteur".into());
        corrected.procedures = crate::ProcedureRef::find_all("2022/0432(COD)");
        assert_eq!(m.natural_key(), corrected.natural_key());
        let mut other_day = m.clone();
        other_day.date = NaiveDate::from_ymd_opt(2024, 9, 7).expect("date");
        assert_ne!(m.natural_key(), other_day.natural_key());
        let mut other_mep = m.clone();
        other_mep.hosts[0].ep_id = Some(1);
        assert_ne!(m.natural_key(), other_mep.natural_key());
    }

    #[test]
    fn one_changed_facet_pairs_two_do_not() {
        let stored = ep_meeting();
        let candidates = [candidate(&stored, 1)];
        let mut subject = stored.clone();
        subject.subject = "CLP Regulation — hazard classes".into();
        assert_eq!(pair(&crate::content_hash(&subject), &subject.facets(), &candidates), Pairing::Corrects(1));
        let mut both = subject.clone();
        both.hosts[0].role = Some("Rapporteur".into());
        assert_eq!(pair(&crate::content_hash(&both), &both.facets(), &candidates), Pairing::New);
        assert_eq!(pair(&crate::content_hash(&stored), &stored.facets(), &candidates), Pairing::Same(1));
    }

    #[test]
    fn a_claimed_candidate_is_not_paired_again_but_still_matches_exactly() {
        let stored = ep_meeting();
        let mut claimed = candidate(&stored, 1);
        claimed.claimed = true;
        let mut other = stored.clone();
        other.subject = "Another subject".into();
        assert_eq!(pair(&crate::content_hash(&other), &other.facets(), std::slice::from_ref(&claimed)), Pairing::New);
        assert_eq!(pair(&crate::content_hash(&stored), &stored.facets(), &[claimed]), Pairing::Same(1));
    }

    #[test]
    fn the_closest_candidate_wins() {
        let a = ep_meeting();
        let mut b = a.clone();
        b.subject = "Fragrance allergens".into();
        let mut new = b.clone();
        new.location = Some("Brussels".into());
        let candidates = [candidate(&a, 1), candidate(&b, 2)];
        assert_eq!(pair(&crate::content_hash(&new), &new.facets(), &candidates), Pairing::Corrects(2));
    }

    #[test]
    fn ids_and_facets_round_trip_their_written_forms() {
        let id = MeetingId::new(ep_meeting().natural_key(), 12);
        assert_eq!(MeetingId::parse(&id.to_string()), Some(id.clone()));
        for bad in ["", "abc-1", "0123456789abcdef-0", "0123456789abcdef-01", "0123456789ABCDEF-1", "0123456789abcdef"]
        {
            assert_eq!(MeetingId::parse(bad), None, "{bad}");
        }
        let f = ep_meeting().facets();
        assert_eq!(f.to_string().parse::<Facets>(), Ok(f));
        assert!("1.2.3".parse::<Facets>().is_err());
    }
}
