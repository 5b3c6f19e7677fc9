//! The Have Your Say portal (FORMATS.md 4): the initiatives' listing (`searchInitiatives`,
//! paged), each initiative with its publications (`groupInitiatives/{id}`), every
//! publication's feedback pages (`api/allFeedback`, either page shape), and, when asked, the
//! attachments (`api/download/{documentId}`), kept in the archive by their content.
//!
//! Incremental: an initiative is asked again when its listing entry changed, when it was still
//! taking feedback when last asked, or when it was last asked longer ago than
//! [`REWALK_DAYS`] (feedback is published after moderation, sometimes late). Of an initiative
//! asked again, a publication's feedback pages are read again only when its feedback count
//! changed or it was open. Attachments already archived are not fetched again.
//!
//! Resumable: what was fetched is imported, and noted in the state, initiative by initiative
//! in batches of about [`BATCH_FILES`] answers, so a sync killed midway starts the next time
//! after the last batch it imported; what the import already holds is read again as unchanged.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use chrono::{DateTime, Days, NaiveDate, Utc};
use lobbyscope_domain::SourceKind;
use lobbyscope_store::{ListedKind, Listing, Scope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use crate::archive::Archive;
use crate::config::{Bases, SourceId};
use crate::http::{Client, Expect, FetchError, Problem, Tally};
use crate::run::{Committer, Remember};
use crate::vocabulary::Unknown;
use crate::{SyncError, check};

/// Items a listing or feedback page is asked for (the portal's own tools ask for 100).
pub const PAGE_SIZE: u32 = 100;
/// An initiative not asked for this long is asked again, whatever its listing says.
pub const REWALK_DAYS: u64 = 30;
/// Answers imported together; the state is saved after each batch.
pub const BATCH_FILES: usize = 100;
/// A listing with fewer than this share of the initiatives the last one held is refused:
/// the portal is known to answer short listings while it is being updated.
pub const LEAST_SHARE: f64 = 0.5;

/// What a sync remembers of Have Your Say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HysState {
    #[serde(default)]
    pub initiatives: BTreeMap<u64, InitiativeMark>,
    /// Attachments archived: the portal's document id → the SHA-256 of the bytes it served.
    #[serde(default)]
    pub documents: BTreeMap<String, String>,
}

/// One initiative as it was last fetched and imported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitiativeMark {
    /// The SHA-256 of its listing entry.
    pub listed: String,
    /// It was taking feedback.
    pub open: bool,
    pub fetched: DateTime<Utc>,
    /// Publication id → the feedback count whose pages were read.
    #[serde(default)]
    pub publications: BTreeMap<u64, u64>,
}

pub fn search_url(bases: &Bases, page: u64) -> Url {
    let mut url = bases.url(SourceId::HaveYourSay, "brpapi/searchInitiatives");
    url.query_pairs_mut()
        .append_pair("page", &page.to_string())
        .append_pair("size", &PAGE_SIZE.to_string())
        .append_pair("language", "EN");
    url
}

pub fn initiative_url(bases: &Bases, id: u64) -> Url {
    let mut url = bases.url(SourceId::HaveYourSay, &format!("brpapi/groupInitiatives/{id}"));
    url.query_pairs_mut().append_pair("language", "EN");
    url
}

/// A feedback page; `older` is the `brpapi` endpoint earlier API generations answered on.
pub fn feedback_url(bases: &Bases, publication: u64, page: u64, older: bool) -> Url {
    let path = if older { "brpapi/allFeedback" } else { "api/allFeedback" };
    let mut url = bases.url(SourceId::HaveYourSay, path);
    url.query_pairs_mut()
        .append_pair("publicationId", &publication.to_string())
        .append_pair("page", &page.to_string())
        .append_pair("size", &PAGE_SIZE.to_string());
    url
}

pub fn download_url(bases: &Bases, document: &str) -> Url {
    let mut url = bases.url(SourceId::HaveYourSay, "api/download");
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.push(document);
    }
    url
}

/// What the sync of Have Your Say saw.
#[derive(Debug, Default)]
pub struct Fetched {
    pub initiatives_listed: u64,
    pub initiatives_fetched: u64,
    pub feedback_seen: u64,
    pub documents_fetched: u64,
    pub warnings: Vec<String>,
}

/// Where HAL feedback pages keep their items, by API generation.
const FEEDBACK_KEYS: [&str; 2] = ["feedback", "feedbackV1"];

/// A listing or feedback page, as far as paging it needs: its items and whether more follow.
#[derive(Debug, Default)]
struct Page {
    items: Vec<Value>,
    more: bool,
}

/// Reads a page in either shape: Spring (`content`, `last`, `totalPages`, under `spring`, a
/// JSON pointer, "" for the top) or HAL (`_embedded.<one of hal>`, `page.totalPages`).
fn page(url: &Url, body: &[u8], number: u64, spring: &str, hal: &[&str]) -> Result<Page, SyncError> {
    let changed = |reason: String| SyncError::FormatChanged { url: url.to_string(), reason };
    let mut value: Value = serde_json::from_slice(body).map_err(|e| changed(format!("not JSON: {e}")))?;
    if !value.is_object() {
        return Err(changed("not a JSON object".into()));
    }
    let (items, total_pages, last) = if let Some(items) = value.pointer_mut(&format!("{spring}/content")) {
        let items = items.take();
        let field = |name: &str| value.pointer(&format!("{spring}/{name}")).cloned();
        (items, field("totalPages"), field("last"))
    } else if value.get("_embedded").is_some() || value.get("page").is_some() {
        // A HAL page without `_embedded` holds nothing.
        let key = hal.iter().map(|k| format!("/_embedded/{k}")).find(|at| value.pointer(at).is_some());
        let items = key.and_then(|at| value.pointer_mut(&at).map(Value::take));
        (items.unwrap_or(Value::Array(Vec::new())), value.pointer("/page/totalPages").cloned(), None)
    } else {
        let keys: Vec<&str> = value.as_object().into_iter().flat_map(|o| o.keys()).map(String::as_str).collect();
        return Err(changed(format!("a page of neither known shape (keys: {})", keys.join(", "))));
    };
    let Value::Array(items) = items else { return Err(changed("its items are not a list".into())) };
    let more = match (last.and_then(|v| v.as_bool()), total_pages.as_ref().and_then(number_of)) {
        (Some(last), _) => !last,
        (None, Some(total)) => number + 1 < total,
        // No paging said: a page shorter than asked for is the last.
        (None, None) => items.len() as u64 >= u64::from(PAGE_SIZE),
    };
    Ok(Page { more: more && !items.is_empty(), items })
}

/// A number the portal writes as a number or as text.
fn number_of(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

fn sha256_of(value: &Value) -> String {
    lobbyscope_domain::hex(&Sha256::digest(value.to_string().as_bytes()))
}

/// Whether an initiative object says it is taking feedback.
fn open(value: &Value) -> bool {
    value.get("receivingFeedbackStatus").and_then(Value::as_str).is_some_and(|s| s.eq_ignore_ascii_case("OPEN"))
}

/// The `documentId`s of a list of attachments.
fn documents(attachments: Option<&Value>) -> impl Iterator<Item = String> + '_ {
    attachments
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| a.get("documentId").and_then(Value::as_str))
        .filter(|d| !d.trim().is_empty())
        .map(str::to_owned)
}

/// One listed initiative.
struct Listed {
    id: u64,
    fingerprint: String,
    open: bool,
}

/// Whether an initiative listed as `listed` must be asked for again.
fn stale(listed: &Listed, known: Option<&InitiativeMark>, now: DateTime<Utc>) -> bool {
    let Some(known) = known else { return true };
    let rewalk = known.fetched.checked_add_days(Days::new(REWALK_DAYS)).is_none_or(|due| due <= now);
    known.listed != listed.fingerprint || known.open || listed.open || rewalk
}

/// What the source's turn has to carry between its requests.
struct Walk<'c, 'a, 't> {
    client: &'c Client,
    bases: &'c Bases,
    archive: &'c Archive,
    tally: &'c Tally<'t>,
    committer: &'c mut Committer<'a>,
    attachments: bool,
    today: NaiveDate,
    /// New values seen in the responses, told once at the end.
    unknown: Unknown,
    out: Fetched,
    files: Vec<PathBuf>,
    remember: Vec<Remember>,
    /// Attachments archived by this sync, noted in the state only as their batch commits.
    documents_fetched: HashSet<String>,
}

/// Whether a failed request is the portal's answer about this one item (it has no such
/// initiative, or does not list this publication's feedback: some OPC questionnaires run on
/// EUSurvey answer `bad_request`), which a sync notes and goes past, rather than trouble
/// with the portal, which fails the source.
fn about_the_item(e: &FetchError) -> bool {
    match &e.problem {
        Problem::Status { status, .. } => (400..500).contains(status) && *status != 429,
        Problem::ErrorObject(_) => true,
        _ => false,
    }
}

/// Syncs Have Your Say into the store through `committer`, batch by batch.
pub(crate) async fn fetch(
    client: &Client,
    bases: &Bases,
    archive: &Archive,
    tally: &Tally<'_>,
    committer: &mut Committer<'_>,
    attachments: bool,
    today: NaiveDate,
) -> Result<Fetched, SyncError> {
    let mut walk = Walk {
        client,
        bases,
        archive,
        tally,
        committer,
        attachments,
        today,
        unknown: Unknown::default(),
        out: Fetched::default(),
        files: Vec::new(),
        remember: Vec::new(),
        documents_fetched: HashSet::new(),
    };
    let listed = walk.listing().await?;
    let now = Utc::now();
    for initiative in &listed {
        let known = walk.committer.state().hys.initiatives.get(&initiative.id).cloned();
        if !stale(initiative, known.as_ref(), now) {
            continue;
        }
        walk.initiative(initiative, known.as_ref()).await?;
        if walk.files.len() >= BATCH_FILES {
            walk.commit().await?;
        }
    }
    // The whole listing was read: initiatives it no longer holds are no longer published.
    let present = listed.iter().map(|l| l.id.to_string()).collect();
    let listing = Listing { kind: ListedKind::Initiatives, scope: Scope::Everything, present, as_of: today };
    walk.remember.push(Remember::Listing(listing));
    walk.commit().await?;
    let warnings = walk.unknown.warnings();
    walk.out.warnings.extend(warnings);
    walk.out.documents_fetched = walk.documents_fetched.len() as u64;
    Ok(walk.out)
}

impl Walk<'_, '_, '_> {
    async fn get(&mut self, url: &Url, expect: Expect) -> Result<crate::http::Fetched, FetchError> {
        // The portal gives no validators: every answer is asked afresh.
        let answer = self.client.get(url, expect, None, self.tally).await?;
        answer.ok_or_else(|| FetchError {
            url: url.to_string(),
            attempts: 1,
            problem: Problem::Status { status: 304, excerpt: "not modified, though nothing was asked".into() },
        })
    }

    fn keep(&self, answer: &crate::http::Fetched) -> Result<PathBuf, SyncError> {
        self.archive.put(answer.url.as_str(), &answer.body, answer.fetched_at, &answer.validators)
    }

    fn warn(&mut self, warning: String) {
        tracing::warn!("{warning}");
        self.out.warnings.push(warning);
    }

    /// Every initiative the paged listing holds, in its order, each once.
    async fn listing(&mut self) -> Result<Vec<Listed>, SyncError> {
        let mut listed: Vec<Listed> = Vec::new();
        let mut seen = HashSet::new();
        for number in 0.. {
            let url = search_url(self.bases, number);
            let answer = self.get(&url, Expect::Json).await?;
            self.keep(&answer)?;
            let page = page(&url, &answer.body, number, "/initiativeResultDtoPage", &["initiativeResultDtoes"])?;
            for item in &page.items {
                match item.get("id").and_then(number_of) {
                    Some(id) if seen.insert(id) => {
                        listed.push(Listed { id, fingerprint: sha256_of(item), open: open(item) })
                    }
                    Some(_) => {}
                    None => self.warn(format!("{url}: an initiative without an id is left out")),
                }
            }
            if !page.more {
                break;
            }
        }
        self.out.initiatives_listed = listed.len() as u64;
        let last = self.committer.state().hys.initiatives.len();
        if last > 0 && (listed.len() as f64) < last as f64 * LEAST_SHARE {
            return Err(SyncError::Implausible {
                url: search_url(self.bases, 0).to_string(),
                reason: format!(
                    "the listing holds {} initiatives, against {last} the last sync imported; not synced",
                    listed.len()
                ),
            });
        }
        Ok(listed)
    }

    /// One initiative, its publications' feedback and, when asked, the attachments.
    async fn initiative(&mut self, listed: &Listed, known: Option<&InitiativeMark>) -> Result<(), SyncError> {
        let url = initiative_url(self.bases, listed.id);
        let answer = match self.get(&url, Expect::Json).await {
            Ok(answer) => answer,
            Err(e) if about_the_item(&e) => {
                self.warn(format!("initiative {}: not fetched: {e}", listed.id));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let path = self.keep(&answer)?;
        check::parse(&path, &url, SourceKind::HysInitiative)?.require_records(&url)?;
        self.files.push(path);
        self.out.initiatives_fetched += 1;
        let value: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| SyncError::FormatChanged { url: url.to_string(), reason: e.to_string() })?;
        let was_open = known.is_some_and(|k| k.open);
        let mut mark = InitiativeMark {
            listed: listed.fingerprint.clone(),
            open: open(&value) || listed.open,
            fetched: answer.fetched_at,
            publications: BTreeMap::new(),
        };
        let mut wanted: Vec<String> = Vec::new();
        for publication in value.get("publications").and_then(Value::as_array).into_iter().flatten() {
            let Some(id) = publication.get("id").and_then(number_of) else { continue };
            wanted.extend(documents(publication.get("attachments")));
            let total = publication.get("totalFeedback").and_then(number_of);
            let read_before = known.and_then(|k| k.publications.get(&id)).copied();
            if total == Some(0) || (!was_open && total.is_some() && read_before == total) {
                mark.publications.insert(id, total.unwrap_or(0));
                continue;
            }
            if let Some(read) = self.feedback(id, &mut wanted).await? {
                mark.publications.insert(id, total.unwrap_or(read));
            }
        }
        if self.attachments {
            self.documents(wanted).await?;
        }
        self.remember.push(Remember::HysInitiative(listed.id, mark));
        Ok(())
    }

    /// Every feedback page of a publication; `None` when the portal does not list them.
    async fn feedback(&mut self, publication: u64, wanted: &mut Vec<String>) -> Result<Option<u64>, SyncError> {
        let mut older = false;
        let mut read = 0;
        let mut present: Vec<String> = Vec::new();
        for number in 0.. {
            let url = feedback_url(self.bases, publication, number, older);
            let answer = match self.get(&url, Expect::Json).await {
                // An API generation that answers on the older path only.
                Err(e) if number == 0 && !older && matches!(e.problem, Problem::Status { status: 404, .. }) => {
                    older = true;
                    self.get(&feedback_url(self.bases, publication, number, older), Expect::Json).await
                }
                other => other,
            };
            let answer = match answer {
                Ok(answer) => answer,
                Err(e) if about_the_item(&e) => {
                    self.warn(format!("publication {publication}: its feedback is not listed: {e}"));
                    return Ok(None);
                }
                Err(e) => return Err(e.into()),
            };
            let url = answer.url.clone();
            let page = page(&url, &answer.body, number, "", &FEEDBACK_KEYS)?;
            let path = self.keep(&answer)?;
            if !page.items.is_empty() {
                let counted = check::parse(&path, &url, SourceKind::HysFeedback)?;
                present.extend(counted.keys);
                self.unknown.extend(counted.unknown);
                self.files.push(path);
            }
            read += page.items.len() as u64;
            for item in &page.items {
                wanted.extend(documents(item.get("attachments")));
            }
            if !page.more {
                break;
            }
        }
        self.out.feedback_seen += read;
        // Every page was read: the publication's responses it no longer lists are no longer
        // published.
        let scope = Scope::Publication(publication);
        let listing = Listing { kind: ListedKind::Responses, scope, present, as_of: self.today };
        self.remember.push(Remember::Listing(listing));
        Ok(Some(read))
    }

    /// The attachments not archived yet.
    async fn documents(&mut self, wanted: Vec<String>) -> Result<(), SyncError> {
        for document in wanted {
            if self.committer.state().hys.documents.contains_key(&document)
                || self.documents_fetched.contains(&document)
            {
                continue;
            }
            let url = download_url(self.bases, &document);
            let answer = match self.get(&url, Expect::Document).await {
                Ok(answer) => answer,
                Err(e) if about_the_item(&e) => {
                    self.warn(format!("attachment {document}: not fetched: {e}"));
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            self.keep(&answer)?;
            let sha = lobbyscope_domain::hex(&Sha256::digest(&answer.body));
            self.documents_fetched.insert(document.clone());
            self.remember.push(Remember::HysDocument(document, sha));
        }
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), SyncError> {
        let files = std::mem::take(&mut self.files);
        let remember = std::mem::take(&mut self.remember);
        self.committer.commit(files, remember).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://127.0.0.1/api/allFeedback").unwrap()
    }

    fn feedback_page(json: &str, number: u64) -> Page {
        page(&url(), json.as_bytes(), number, "", &FEEDBACK_KEYS).unwrap()
    }

    #[test]
    fn pages_of_either_shape_say_whether_more_follow() {
        let spring = r#"{"content":[{"id":1},{"id":2}],"totalPages":3,"last":false,"number":0}"#;
        let p = feedback_page(spring, 0);
        assert_eq!((p.items.len(), p.more), (2, true));
        let spring_last = r#"{"content":[{"id":1}],"totalPages":3,"last":true}"#;
        assert!(!feedback_page(spring_last, 2).more);
        let hal = r#"{"_embedded":{"feedbackV1":[{"id":"7"}]},"page":{"totalPages":2,"number":0}}"#;
        let p = feedback_page(hal, 0);
        assert_eq!((p.items.len(), p.more), (1, true));
        assert!(!feedback_page(hal, 1).more);
        assert!(!feedback_page(r#"{"page":{"size":100,"totalElements":0,"totalPages":0}}"#, 0).more);
        // An empty page ends the walk whatever its paging says.
        assert!(!feedback_page(r#"{"content":[],"last":false}"#, 0).more);
        let search = r#"{"initiativeResultDtoPage":{"content":[{"id":13017}],"totalPages":"2"}}"#;
        let p = page(&url(), search.as_bytes(), 0, "/initiativeResultDtoPage", &["initiativeResultDtoes"]).unwrap();
        assert_eq!((p.items.len(), p.more), (1, true));
        let err = page(&url(), br#"{"results":[]}"#, 0, "", &FEEDBACK_KEYS).unwrap_err().to_string();
        assert!(err.contains("the format changed") && err.contains("results"), "{err}");
    }

    #[test]
    fn an_initiative_is_asked_again_when_it_changed_was_open_or_is_due() {
        let now = Utc::now();
        let listed = Listed { id: 1, fingerprint: "a".into(), open: false };
        let mark = InitiativeMark { listed: "a".into(), open: false, fetched: now, publications: BTreeMap::new() };
        assert!(stale(&listed, None, now));
        assert!(!stale(&listed, Some(&mark), now));
        assert!(stale(&Listed { fingerprint: "b".into(), ..listed }, Some(&mark), now));
        let listed = Listed { id: 1, fingerprint: "a".into(), open: false };
        assert!(stale(&listed, Some(&InitiativeMark { open: true, ..mark.clone() }), now));
        let long_ago = now - chrono::Duration::days(REWALK_DAYS as i64 + 1);
        assert!(stale(&listed, Some(&InitiativeMark { fetched: long_ago, ..mark }), now));
    }

    #[test]
    fn addresses_are_the_portals() {
        let bases = Bases::all_at("http://127.0.0.1:9/").unwrap();
        assert_eq!(
            search_url(&bases, 2).as_str(),
            "http://127.0.0.1:9/brpapi/searchInitiatives?page=2&size=100&language=EN"
        );
        assert_eq!(
            initiative_url(&bases, 12527).as_str(),
            "http://127.0.0.1:9/brpapi/groupInitiatives/12527?language=EN"
        );
        assert_eq!(
            feedback_url(&bases, 14488, 0, false).as_str(),
            "http://127.0.0.1:9/api/allFeedback?publicationId=14488&page=0&size=100"
        );
        assert_eq!(
            feedback_url(&bases, 14488, 1, true).as_str(),
            "http://127.0.0.1:9/brpapi/allFeedback?publicationId=14488&page=1&size=100"
        );
        assert_eq!(
            download_url(&bases, "090166e5e1cd1796").as_str(),
            "http://127.0.0.1:9/api/download/090166e5e1cd1796"
        );
    }
}
