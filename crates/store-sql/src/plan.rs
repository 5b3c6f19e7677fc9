//! What writing a batch does, decided the same way on every backend once the stored versions
//! are read: which records are new, which replace a stored version, which are already there,
//! and which identity each meeting gets (`lobbyscope_domain::identity`).

use std::collections::HashMap;
use std::hash::Hash;

use async_trait::async_trait;
use lobbyscope_domain::{
    Candidate, Facets, Feedback, Initiative, Meeting, MeetingId, MeetingKey, Pairing, Provenance, Record,
    RegisterEntry, pair,
};
use lobbyscope_store::{
    ImportFile, MentionLink, Organisation, Outcome, Result, Stamped, StoreError, WholeFile, WriteCounts,
};

use crate::Cols;
use crate::map::corrupt;

/// What a stored version is found again by: a batch's records are sorted by it against the
/// stored ones, and a replaced version is deleted by it.
pub trait StoredKey: Sized + Eq + Hash + Clone {
    /// Reads the key from a stored row whose column 0 is the content hash and whose key
    /// columns follow it.
    fn read(c: &Cols<'_>) -> Result<Self>;
}

/// Initiatives and responses: their portal id.
impl StoredKey for i64 {
    fn read(c: &Cols<'_>) -> Result<Self> {
        c.get(1)
    }
}

/// Register entries: the register ID and the snapshot's date, as stored.
impl StoredKey for (String, String) {
    fn read(c: &Cols<'_>) -> Result<Self> {
        Ok((c.get(1)?, c.get(2)?))
    }
}

/// The stored content hash of each key in `rows` (content hash, then the key's columns).
pub fn stored_hashes<'r, K: StoredKey>(rows: impl IntoIterator<Item = Cols<'r>>) -> Result<HashMap<K, String>> {
    rows.into_iter().map(|c| Ok((K::read(&c)?, c.get(0)?))).collect()
}

/// Which records of a batch are new, which replace a stored version, which are already there.
pub struct Plan<'a, K, T> {
    pub insert: Vec<(&'a Provenance, T)>,
    /// Keys of stored versions to delete before inserting their replacement.
    pub replace: Vec<K>,
    /// Versions a later record of the same batch replaced before they were stored: what they
    /// pointed at may be left with nothing, as if they had been stored and replaced.
    pub superseded: Vec<T>,
    /// What became of each item, in the items' order.
    pub outcomes: Vec<Outcome>,
}

/// Sorts `items` (key, provenance, record) against `stored` (key → content hash of the stored
/// version). A record repeated within the batch is stored once, its last version: the earlier
/// one counts as stored and then replaced (or left as it was, if the same), exactly as if each
/// had come in a write of its own.
pub fn sort_batch<'a, K: StoredKey, T>(
    items: Vec<(K, &'a Provenance, T)>,
    stored: &HashMap<K, String>,
) -> Plan<'a, K, T> {
    let mut plan = Plan {
        insert: Vec::new(),
        replace: Vec::new(),
        superseded: Vec::new(),
        outcomes: Vec::with_capacity(items.len()),
    };
    // Position in `insert` of each key seen in this batch.
    let mut pending: HashMap<K, usize> = HashMap::new();
    for (key, prov, record) in items {
        if let Some(&at) = pending.get(&key) {
            if plan.insert[at].0.content_hash == prov.content_hash {
                plan.outcomes.push(Outcome::Unchanged);
            } else {
                let (_, earlier) = std::mem::replace(&mut plan.insert[at], (prov, record));
                plan.superseded.push(earlier);
                plan.outcomes.push(Outcome::Updated);
            }
            continue;
        }
        match stored.get(&key) {
            Some(hash) if *hash == prov.content_hash => plan.outcomes.push(Outcome::Unchanged),
            Some(_) => {
                plan.outcomes.push(Outcome::Updated);
                plan.replace.push(key.clone());
                pending.insert(key, plan.insert.len());
                plan.insert.push((prov, record));
            }
            None => {
                plan.outcomes.push(Outcome::New);
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
/// of stored versions they correct, and what became of each, in the batch's order.
pub struct MeetingPlan {
    pub insert: Vec<(usize, MeetingId)>,
    pub replaced: Vec<String>,
    pub outcomes: Vec<Outcome>,
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
        let mut outcomes = vec![Outcome::Unchanged; items.len()];
        let mut decided = vec![false; items.len()];
        for (i, (p, key, _)) in items.iter().enumerate() {
            let bucket = self.0.get_mut(*key).ok_or_else(|| corrupt("meetings: natural key not loaded"))?;
            if let Some(c) = bucket.iter_mut().find(|c| c.content_hash == p.content_hash) {
                c.claimed = true;
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
                Pairing::Same(_) => continue,
                Pairing::Corrects(ordinal) => {
                    let c = bucket
                        .iter_mut()
                        .find(|c| c.ordinal == ordinal)
                        .ok_or_else(|| corrupt("meetings: paired with an unknown ordinal"))?;
                    (c.claimed, c.content_hash, c.facets) = (true, p.content_hash.clone(), **facets);
                    outcomes[i] = Outcome::Updated;
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
                    outcomes[i] = Outcome::New;
                    ordinal
                }
            };
            insert.push((i, MeetingId::new((*key).clone(), ordinal)));
        }
        Ok(MeetingPlan { insert, replaced, outcomes })
    }
}

/// A record with the links of its organisation mentions.
pub type WithLinks<'a, T> = (&'a T, &'a [Option<MentionLink>]);

/// What a backend's writer does with each kind of record of a batch. Each says what became of
/// every item, in the items' order.
#[async_trait]
pub trait RecordWriter: Send {
    async fn write_register(&mut self, items: Vec<(&Provenance, &RegisterEntry)>) -> Result<Vec<Outcome>>;
    async fn write_meetings(&mut self, items: Vec<(&Provenance, WithLinks<'_, Meeting>)>) -> Result<Vec<Outcome>>;
    async fn write_initiatives(&mut self, items: Vec<(&Provenance, &Initiative)>) -> Result<Vec<Outcome>>;
    async fn write_feedback(&mut self, items: Vec<(&Provenance, WithLinks<'_, Feedback>)>) -> Result<Vec<Outcome>>;
    /// The organisations a batch's links point at (`FileWriter::write`).
    async fn write_organisations(&mut self, organisations: &[Organisation]) -> Result<()>;
}

/// The records of one batch of a file, and the organisations their links point at.
pub type Batch<'a> = (&'a [Stamped], &'a [Organisation]);

/// Writes the batches of one or more files (see [`groups`]) kind by kind, register entries
/// first (a file holds one kind, but the order is what linking expects should one ever hold
/// several), then the organisations their links point at; the counts of each batch.
pub async fn write_batch(w: &mut (impl RecordWriter + ?Sized), batches: &[Batch<'_>]) -> Result<Vec<WriteCounts>> {
    let (mut register, mut meetings, mut initiatives, mut feedback) = (vec![], vec![], vec![], vec![]);
    // The batch each item of each kind came from.
    let mut from: [Vec<usize>; 4] = Default::default();
    for (b, (records, _)) in batches.iter().enumerate() {
        for s in *records {
            match &s.record {
                Record::Register(r) => (register.push((&s.prov, r)), from[0].push(b)),
                Record::Meeting(m) => (meetings.push((&s.prov, (m, s.links.as_slice()))), from[1].push(b)),
                Record::Initiative(i) => (initiatives.push((&s.prov, i)), from[2].push(b)),
                Record::Feedback(f) => (feedback.push((&s.prov, (f, s.links.as_slice()))), from[3].push(b)),
            };
        }
    }
    let mut outcomes: [Vec<Outcome>; 4] = Default::default();
    if !register.is_empty() {
        outcomes[0] = w.write_register(register).await?;
    }
    if !meetings.is_empty() {
        outcomes[1] = w.write_meetings(meetings).await?;
    }
    if !initiatives.is_empty() {
        outcomes[2] = w.write_initiatives(initiatives).await?;
    }
    if !feedback.is_empty() {
        outcomes[3] = w.write_feedback(feedback).await?;
    }
    let mut counts = vec![WriteCounts::default(); batches.len()];
    for (from, outcomes) in from.iter().zip(&outcomes) {
        if from.len() != outcomes.len() {
            return Err(corrupt("a writer gave a different number of outcomes than it was given records"));
        }
        for (b, outcome) in from.iter().zip(outcomes) {
            counts[*b].count(*outcome);
        }
    }
    let organisations: Vec<Organisation> = batches.iter().flat_map(|(_, o)| o.iter().cloned()).collect();
    w.write_organisations(&organisations).await?;
    Ok(counts)
}

/// What an import session's transaction does for [`write_files`]: a savepoint around each
/// attempt, and the writing of one run of [`groups`].
#[async_trait]
pub trait SessionWriter: Send {
    /// Runs `sql` (a savepoint statement, the same in every backend's SQL).
    async fn execute(&mut self, sql: &'static str) -> Result<()>;
    /// Writes `files`, which [`groups`] put in one run; their counts.
    async fn write_run(&mut self, files: &[WholeFile<'_>]) -> Result<Vec<WriteCounts>>;
    /// What is kept in memory of what the transaction wrote is to be forgotten: the part
    /// written since the last savepoint was undone.
    fn forget_written(&mut self);
}

/// [`ImportSession::write_files`](lobbyscope_store::ImportSession::write_files) for any
/// backend: each run of [`groups`] behind a savepoint; a run the database refuses is undone and
/// its files written again one by one, so that only the file at fault is left out.
pub async fn write_files(w: &mut impl SessionWriter, files: &[WholeFile<'_>]) -> Result<Vec<Result<WriteCounts>>> {
    let mut outcomes = Vec::with_capacity(files.len());
    for run in groups(files) {
        let run = &files[run];
        match attempt(w, run).await {
            Ok(counts) => outcomes.extend(counts.into_iter().map(Ok)),
            Err(StoreError::Refused(why)) if run.len() == 1 => outcomes.push(Err(StoreError::Refused(why))),
            Err(StoreError::Refused(_)) => {
                for file in run {
                    match attempt(w, std::slice::from_ref(file)).await {
                        Ok(counts) => outcomes.extend(counts.into_iter().map(Ok)),
                        Err(e @ StoreError::Refused(_)) => outcomes.push(Err(e)),
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(outcomes)
}

async fn attempt(w: &mut impl SessionWriter, run: &[WholeFile<'_>]) -> Result<Vec<WriteCounts>> {
    w.execute("SAVEPOINT file").await?;
    match w.write_run(run).await {
        Ok(counts) => {
            w.execute("RELEASE SAVEPOINT file").await?;
            Ok(counts)
        }
        Err(e) => {
            w.execute("ROLLBACK TO SAVEPOINT file").await?;
            w.execute("RELEASE SAVEPOINT file").await?;
            w.forget_written();
            Err(e)
        }
    }
}

/// When and by which file (named like provenance: the file, not the importing machine's
/// folders) stored meetings were replaced. Meetings are written one file at a time
/// ([`groups`]), so that is the writer's one file.
pub fn replacing_file(files: &[ImportFile]) -> Result<(&str, String)> {
    let [file] = files else { return Err(corrupt("meetings written for several files at once")) };
    let path = std::path::Path::new(&file.file);
    let name = path.file_name().map_or(file.file.clone(), |n| n.to_string_lossy().into_owned());
    Ok((&file.imported_at, name))
}

/// Consecutive runs of `files` that one [`write_batch`] may write together, with the same
/// result as writing them one after the other: runs of files holding consultation responses
/// only. A response is found by its own id, so a later file's version of it simply replaces
/// an earlier one's ([`sort_batch`]); meetings are matched to stored ones by natural key and
/// facets over a whole batch, and an initiative's publications go to the first initiative
/// that lists them, so files of those are written one by one.
pub fn groups(files: &[WholeFile<'_>]) -> Vec<std::ops::Range<usize>> {
    let responses_only = |f: &WholeFile<'_>| f.records.iter().all(|s| matches!(s.record, Record::Feedback(_)));
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    // Whether the last run holds responses only, so that the next such file may join it.
    let mut joinable = false;
    for (i, f) in files.iter().enumerate() {
        let only = responses_only(f);
        match out.last_mut() {
            Some(run) if joinable && only => run.end = i + 1,
            _ => {
                out.push(i..i + 1);
                joinable = only;
            }
        }
    }
    out
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
    fn files_of_responses_only_are_written_together_and_others_alone() {
        use lobbyscope_domain::{Record, SourceKind};
        use lobbyscope_store::{ImportFile, WholeFile};
        use lobbyscope_store_contract::{commission_meeting, feedback, stamp};

        let response = stamp(Record::Feedback(feedback("A response.")), SourceKind::HysFeedback, 1);
        let meeting = stamp(Record::Meeting(commission_meeting()), SourceKind::CommissionMeetingsXlsx, 2);
        let (responses, mixed) = ([response.clone(), response.clone()], [response, meeting]);
        let file = ImportFile {
            file: "f".into(),
            source: SourceKind::HysFeedback,
            sha256: "s".into(),
            imported_at: "2026-12-06T00:00:00Z".into(),
        };
        let whole = |records| WholeFile { file: &file, records, organisations: &[] };
        let files = [&responses[..], &[], &responses, &mixed, &responses, &mixed, &mixed, &responses].map(whole);
        assert_eq!(super::groups(&files), [0..3, 3..4, 4..5, 5..6, 6..7, 7..8]);
        assert!(super::groups(&[]).is_empty());
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
