//! What writing a batch does, decided the same way on every backend once the stored versions
//! are read: which records are new, which replace a stored version, which are already there,
//! and which identity each meeting gets (`lobbyscope_domain::identity`).

use std::collections::HashMap;

use async_trait::async_trait;
use lobbyscope_domain::{
    Candidate, Facets, Feedback, Initiative, Meeting, MeetingId, MeetingKey, Pairing, Provenance, Record,
    RegisterEntry, pair,
};
use lobbyscope_store::{MentionLink, Organisation, Result, Stamped, WriteCounts};

use crate::map::corrupt;

/// Which records of a batch are new, which replace a stored version, which are already there.
pub struct Plan<'a, T> {
    pub insert: Vec<(&'a Provenance, T)>,
    /// Keys of stored versions to delete before inserting their replacement.
    pub replace: Vec<String>,
    pub counts: WriteCounts,
}

/// Sorts `items` (key, provenance, record) against `stored` (key → content hash of the stored
/// version). A record repeated within the batch counts once, and its last version wins.
pub fn sort_batch<'a, T>(items: Vec<(String, &'a Provenance, T)>, stored: &HashMap<String, String>) -> Plan<'a, T> {
    let mut plan = Plan { insert: Vec::new(), replace: Vec::new(), counts: WriteCounts::default() };
    // Position in `insert` of each key seen in this batch.
    let mut pending: HashMap<String, usize> = HashMap::new();
    for (key, prov, record) in items {
        if let Some(&at) = pending.get(&key) {
            if plan.insert[at].0.content_hash == prov.content_hash {
                plan.counts.unchanged += 1;
            } else {
                plan.insert[at] = (prov, record);
                plan.counts.updated += 1;
            }
            continue;
        }
        match stored.get(&key) {
            Some(hash) if *hash == prov.content_hash => plan.counts.unchanged += 1,
            Some(_) => {
                plan.counts.updated += 1;
                plan.replace.push(key.clone());
                pending.insert(key, plan.insert.len());
                plan.insert.push((prov, record));
            }
            None => {
                plan.counts.new += 1;
                pending.insert(key, plan.insert.len());
                plan.insert.push((prov, record));
            }
        }
    }
    plan
}

/// The stored meetings of each natural key a file's meetings have, with the ones the file
/// added or matched so far: rows sharing a key in different batches see each other.
#[derive(Default)]
pub struct Buckets(HashMap<MeetingKey, Vec<Candidate>>);

/// The meetings of a batch to insert (their index in the batch, with their identity), the ids
/// of stored versions they correct, and the counts.
pub struct MeetingPlan {
    pub insert: Vec<(usize, MeetingId)>,
    pub replaced: Vec<String>,
    pub counts: WriteCounts,
}

impl Buckets {
    /// The keys of `keys` not loaded yet, sorted and once each; they count as loaded from now
    /// on, so the caller loads their stored meetings with [`Buckets::add_stored`].
    pub fn to_load<'k>(&mut self, keys: &[&'k MeetingKey]) -> Vec<&'k MeetingKey> {
        let mut missing: Vec<&MeetingKey> = keys.iter().copied().filter(|k| !self.0.contains_key(*k)).collect();
        missing.sort();
        missing.dedup();
        for k in &missing {
            self.0.insert((*k).clone(), Vec::new());
        }
        missing
    }

    pub fn add_stored(&mut self, key: MeetingKey, candidate: Candidate) {
        self.0.entry(key).or_default().push(candidate);
    }

    /// Gives each meeting of a batch (its provenance, natural key and facets, keys loaded) its
    /// identity: identical ones first, over the whole batch, so that a correction in the same
    /// batch cannot take an identity an exact copy would have kept; then corrections, then new
    /// ordinals.
    pub fn assign(&mut self, items: &[(&Provenance, &MeetingKey, &Facets)]) -> Result<MeetingPlan> {
        let mut counts = WriteCounts::default();
        let mut decided = vec![false; items.len()];
        for (i, (p, key, _)) in items.iter().enumerate() {
            let bucket = self.0.get_mut(*key).ok_or_else(|| corrupt("meetings: natural key not loaded"))?;
            if let Some(c) = bucket.iter_mut().find(|c| c.content_hash == p.content_hash) {
                c.claimed = true;
                counts.unchanged += 1;
                decided[i] = true;
            }
        }
        let mut insert = Vec::new();
        let mut replaced = Vec::new();
        for (i, (p, key, facets)) in items.iter().enumerate() {
            if decided[i] {
                continue;
            }
            let bucket = self.0.get_mut(*key).ok_or_else(|| corrupt("meetings: natural key not loaded"))?;
            let ordinal = match pair(&p.content_hash, facets, bucket) {
                Pairing::Same(_) => {
                    counts.unchanged += 1;
                    continue;
                }
                Pairing::Corrects(ordinal) => {
                    let c = bucket
                        .iter_mut()
                        .find(|c| c.ordinal == ordinal)
                        .ok_or_else(|| corrupt("meetings: paired with an unknown ordinal"))?;
                    (c.claimed, c.content_hash, c.facets) = (true, p.content_hash.clone(), **facets);
                    counts.updated += 1;
                    replaced.push(MeetingId::new((*key).clone(), ordinal).to_string());
                    ordinal
                }
                Pairing::New => {
                    let ordinal = bucket.iter().map(|c| c.ordinal).max().unwrap_or(0) + 1;
                    bucket.push(Candidate {
                        ordinal,
                        content_hash: p.content_hash.clone(),
                        facets: **facets,
                        claimed: true,
                    });
                    counts.new += 1;
                    ordinal
                }
            };
            insert.push((i, MeetingId::new((*key).clone(), ordinal)));
        }
        Ok(MeetingPlan { insert, replaced, counts })
    }
}

/// A record with the links of its organisation mentions.
pub type WithLinks<'a, T> = (&'a T, &'a [Option<MentionLink>]);

/// What a backend's writer does with each kind of record of a batch.
#[async_trait]
pub trait RecordWriter: Send {
    async fn write_register(&mut self, items: Vec<(&Provenance, &RegisterEntry)>) -> Result<WriteCounts>;
    async fn write_meetings(&mut self, items: Vec<(&Provenance, WithLinks<'_, Meeting>)>) -> Result<WriteCounts>;
    async fn write_initiatives(&mut self, items: Vec<(&Provenance, &Initiative)>) -> Result<WriteCounts>;
    async fn write_feedback(&mut self, items: Vec<(&Provenance, WithLinks<'_, Feedback>)>) -> Result<WriteCounts>;
    /// The organisations a batch's links point at (`FileWriter::write`).
    async fn write_organisations(&mut self, organisations: &[Organisation]) -> Result<()>;
}

/// Writes a batch kind by kind, register entries first (a file holds one kind, but the order
/// is what linking expects should one ever hold several), then the organisations its links
/// point at.
pub async fn write_batch(
    w: &mut (impl RecordWriter + ?Sized),
    batch: &[Stamped],
    organisations: &[Organisation],
) -> Result<WriteCounts> {
    let (mut register, mut meetings, mut initiatives, mut feedback) = (vec![], vec![], vec![], vec![]);
    for s in batch {
        match &s.record {
            Record::Register(r) => register.push((&s.prov, r)),
            Record::Meeting(m) => meetings.push((&s.prov, (m, s.links.as_slice()))),
            Record::Initiative(i) => initiatives.push((&s.prov, i)),
            Record::Feedback(f) => feedback.push((&s.prov, (f, s.links.as_slice()))),
        }
    }
    let mut counts = WriteCounts::default();
    if !register.is_empty() {
        counts += w.write_register(register).await?;
    }
    if !meetings.is_empty() {
        counts += w.write_meetings(meetings).await?;
    }
    if !initiatives.is_empty() {
        counts += w.write_initiatives(initiatives).await?;
    }
    if !feedback.is_empty() {
        counts += w.write_feedback(feedback).await?;
    }
    w.write_organisations(organisations).await?;
    Ok(counts)
}

/// What a transaction has written of each organisation: an upper bound of its stored name.
/// Files of one import session name the same organisations over and over (a busy one in
/// thousands of them); a name that does not sort before the bound cannot change the stored row
/// (`lobbyscope-resolve`: the name that sorts first wins), so it is not sent again.
#[derive(Default)]
pub struct WrittenOrgs(HashMap<String, String>);

impl WrittenOrgs {
    /// Of `organisations` (published names), those that may still change what is stored, once
    /// per key; they count as written from now on.
    pub fn to_write<'o>(&mut self, organisations: &'o [Organisation]) -> Vec<&'o Organisation> {
        let mut out: Vec<&Organisation> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::new();
        for o in organisations {
            let key = crate::keys::org_key(&o.key);
            if self.0.get(&key).is_some_and(|bound| *bound <= o.name) {
                continue;
            }
            match at.get(&key) {
                Some(&i) if out[i].name <= o.name => {}
                Some(&i) => out[i] = o,
                None => {
                    at.insert(key, out.len());
                    out.push(o);
                }
            }
        }
        for o in &out {
            self.0.insert(crate::keys::org_key(&o.key), o.name.clone());
        }
        out
    }

    /// An organisation written under its register name, which replaces whatever was stored.
    pub fn registered(&mut self, o: &Organisation) {
        self.0.insert(crate::keys::org_key(&o.key), o.name.clone());
    }
}

#[cfg(test)]
mod tests {
    use lobbyscope_domain::{FoldedName, OrgKey, RegisterId};
    use lobbyscope_store::Organisation;

    use super::WrittenOrgs;

    fn org(key: &str, name: &str) -> Organisation {
        let key = match RegisterId::parse(key) {
            Some(id) => OrgKey::Registered(id),
            None => OrgKey::Unregistered(FoldedName::parse(key).unwrap()),
        };
        Organisation { key, register_id: None, name: name.into(), acronym: None }
    }

    fn names(orgs: Vec<&Organisation>) -> Vec<&str> {
        orgs.into_iter().map(|o| o.name.as_str()).collect()
    }

    #[test]
    fn an_organisation_is_sent_again_only_under_a_name_that_sorts_first() {
        let mut written = WrittenOrgs::default();
        let first = [org("acme", "Acme SA"), org("acme", "ACME"), org("beta", "Beta")];
        assert_eq!(names(written.to_write(&first)), ["ACME", "Beta"], "once per key, the first-sorting name");
        assert!(written.to_write(&[org("acme", "Acme SA"), org("beta", "Beta")]).is_empty());
        assert_eq!(names(written.to_write(&[org("acme", "ACM")])), ["ACM"], "sorts before what was written");
        // The register's name replaces what was stored, so a published name before it may
        // change the row again.
        written.registered(&org("953701819437-32", "Internet Society"));
        assert_eq!(names(written.to_write(&[org("953701819437-32", "ISOC")])), ["ISOC"]);
        assert!(written.to_write(&[org("953701819437-32", "Internet Society")]).is_empty());
    }
}
