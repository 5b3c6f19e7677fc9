//! What the search index reads of a store (`Store::imported_through` to
//! `Store::person_documents`), the same on both backends: ids in pages of their primary key, and
//! organisations and people as documents, a page in two statements however many it holds. A
//! backend gives only its pool ([`Reader`]).
//!
//! Built to page through the EU's whole corpus: an id page is a range of the table's primary key
//! (only the conditions that apply are written, since `($1 IS NULL OR id > $1)` keeps the
//! planners from seeking), and a page of documents reads its organisations' or people's range of
//! the tables kept per key (`org_names`, `person_meetings`) and the figures kept on their rows,
//! never counting records.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use lobbyscope_domain::{MeetingId, OrgKey, PersonKey};
use lobbyscope_store::{
    Alias, AnalysedThrough, ImportedSince, OrganisationDocument, PersonDocument, Result, SourceTextRecord, StoreError,
};
use sqlx::QueryBuilder;

use crate::cols::{Cols, RowRef};
use crate::keys;
use crate::map::{self, SUMMARY_COLUMNS};

/// How a row is read.
pub type Read<T> = for<'r> fn(RowRef<'r>) -> Result<T>;

/// A statement's rows, each read by `read`.
#[async_trait]
pub trait Fetch: Sync {
    type DB: sqlx::Database;

    async fn fetch<T: Send>(&self, q: QueryBuilder<Self::DB>, read: Read<T>) -> Result<Vec<T>>;
}

/// A backend's pool for pages, with what its errors mean.
pub struct Reader<'p, DB: sqlx::Database> {
    pub pool: &'p sqlx::Pool<DB>,
    pub err: fn(sqlx::Error) -> StoreError,
}

#[async_trait]
impl<DB> Fetch for Reader<'_, DB>
where
    DB: sqlx::Database,
    DB::Arguments: sqlx::IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'r> &'r DB::Row: Into<RowRef<'r>>,
{
    type DB = DB;

    async fn fetch<T: Send>(&self, mut q: QueryBuilder<DB>, read: Read<T>) -> Result<Vec<T>> {
        let rows = q.build().fetch_all(self.pool).await.map_err(self.err)?;
        rows.iter().map(|r| read(r.into())).collect()
    }
}

/// The records whose ids are numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbered {
    Responses,
    Initiatives,
}

impl Numbered {
    fn table(self) -> &'static str {
        match self {
            Numbered::Responses => "feedback",
            Numbered::Initiatives => "initiatives",
        }
    }
}

/// ` WHERE ` before a statement's first condition, ` AND ` before the others.
#[derive(Default)]
struct Conditions(bool);

impl Conditions {
    fn next(&mut self) -> &'static str {
        if std::mem::replace(&mut self.0, true) { " AND " } else { " WHERE " }
    }
}

/// Where a page of documents lies in the stored keys: after `after` (from the first when
/// `None`) up to and including `last`, the page's last key.
struct KeyRange {
    after: Option<String>,
    last: String,
}

/// The reads of the search index over a backend's [`Fetch`].
pub struct Documents<F>(pub F);

impl<F: Fetch> Documents<F>
where
    String: for<'t> sqlx::Encode<'t, F::DB> + sqlx::Type<F::DB>,
    i64: for<'t> sqlx::Encode<'t, F::DB> + sqlx::Type<F::DB>,
{
    /// The newest `imported_at` of `import_files` (which its index holds).
    pub async fn imported_through(&self) -> Result<Option<ImportedSince>> {
        let q = QueryBuilder::new("SELECT max(imported_at) AS imported_at FROM import_files");
        let newest = self.0.fetch(q, |r| Cols::new(r, "import_files").rfc3339_opt("imported_at")).await?;
        Ok(newest.into_iter().flatten().next().map(ImportedSince))
    }

    pub async fn meeting_ids(
        &self,
        since: Option<ImportedSince>,
        after: Option<&MeetingId>,
        limit: u32,
    ) -> Result<Vec<MeetingId>> {
        let q = ids_query("meetings", since, after.map(ToString::to_string), limit);
        self.0.fetch(q, |r| Cols::new(r, "meetings").meeting_id("id")).await
    }

    /// Ids are stored as `i64`: none follows one past it.
    pub async fn numbered_ids(
        &self,
        records: Numbered,
        since: Option<ImportedSince>,
        after: Option<u64>,
        limit: u32,
    ) -> Result<Vec<u64>> {
        let after = after.map(|id| i64::try_from(id).unwrap_or(i64::MAX));
        let read: Read<u64> = match records {
            Numbered::Responses => |r| Cols::new(r, "feedback").u64("id"),
            Numbered::Initiatives => |r| Cols::new(r, "initiatives").u64("id"),
        };
        self.0.fetch(ids_query(records.table(), since, after, limit), read).await
    }

    pub async fn organisation_documents(
        &self,
        after: Option<&OrgKey>,
        limit: u32,
    ) -> Result<Vec<OrganisationDocument>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let after = after.map(keys::org_key);
        // The page first, so that the newest entry is looked up for its organisations only.
        let mut q = QueryBuilder::new(format!(
            "SELECT o.*, r.goals, r.head_office_country, r.category FROM (SELECT {SUMMARY_COLUMNS} FROM organisations"
        ));
        if let Some(after) = &after {
            q.push(" WHERE key > ").push_bind(after.clone());
        }
        q.push(" ORDER BY key LIMIT ").push_bind(i64::from(limit)).push(
            ") AS o LEFT JOIN register_entries r ON r.register_id = o.register_id AND r.snapshot_date = \
             (SELECT max(s.snapshot_date) FROM register_entries s WHERE s.register_id = o.register_id) \
             ORDER BY o.key",
        );
        let mut docs = self.0.fetch(q, organisation_document).await?;
        let Some(last) = docs.last().map(|d| keys::org_key(&d.organisation.key)) else { return Ok(docs) };
        let names = self.0.fetch(organisation_names_query(&KeyRange { after, last }), organisation_names).await?;
        let mut by_key: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (key, names) in names {
            by_key.entry(key).or_default().extend(names.into_iter().flatten());
        }
        for doc in &mut docs {
            let o = &doc.organisation;
            let names = by_key.remove(&keys::org_key(&o.key)).unwrap_or_default();
            doc.names = names.into_iter().filter(|n| *n != o.name && Some(n) != o.acronym.as_ref()).collect();
        }
        Ok(docs)
    }

    pub async fn person_documents(&self, after: Option<&PersonKey>, limit: u32) -> Result<Vec<PersonDocument>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let after = after.map(keys::person_key);
        let mut q = QueryBuilder::new("SELECT key, kind, name, ep_id FROM people");
        if let Some(after) = &after {
            q.push(" WHERE key > ").push_bind(after.clone());
        }
        q.push(" ORDER BY key LIMIT ").push_bind(i64::from(limit));
        let people = self.0.fetch(q, |r| map::person(&Cols::new(r, "people"))).await?;
        let Some(last) = people.last().map(|p| keys::person_key(&p.key)) else { return Ok(Vec::new()) };
        let facets = self.0.fetch(person_facets_query(&KeyRange { after, last }), person_facet).await?;
        let mut by_key: HashMap<String, Facets> = HashMap::new();
        for (key, facet) in facets {
            let seen = by_key.entry(key).or_default();
            match facet {
                Facet::Role(label, meetings) => seen.roles.push((label, meetings)),
                Facet::Name(name) => seen.names.push(name),
                Facet::Meetings(n) => seen.meetings = n,
            }
        }
        Ok(people
            .into_iter()
            .map(|p| {
                let mut seen = by_key.remove(&keys::person_key(&p.key)).unwrap_or_default();
                // As a person's page lists them: the most meetings first, then by label.
                seen.roles.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                seen.names.retain(|n| *n != p.name);
                seen.names.sort();
                PersonDocument {
                    key: p.key,
                    kind: p.kind,
                    name: p.name,
                    names: seen.names,
                    roles: seen.roles.into_iter().map(|(label, _)| label).collect(),
                    meetings: seen.meetings,
                }
            })
            .collect())
    }

    pub async fn analysed_through(&self) -> Result<AnalysedThrough> {
        let q = QueryBuilder::new(
            "SELECT (SELECT count(*) FROM position_items WHERE shown = 1) AS items_shown, \
             (SELECT max(written_at) FROM position_items) AS items_written, \
             (SELECT count(*) FROM source_texts) AS texts, \
             (SELECT max(extracted_at) FROM source_texts) AS texts_extracted",
        );
        let read: Read<AnalysedThrough> = |r| {
            let c = Cols::new(r, "position_items");
            Ok(AnalysedThrough {
                items_shown: c.u64("items_shown")?,
                items_written: c.get("items_written")?,
                texts: c.u64("texts")?,
                texts_extracted: c.get("texts_extracted")?,
            })
        };
        Ok(self.0.fetch(q, read).await?.into_iter().next().unwrap_or_default())
    }

    /// `Store::published_aliases`: a scan of the mentions that carry an ID, grouped.
    pub async fn published_aliases(&self) -> Result<Vec<Alias>> {
        // The sum cast back: PostgreSQL sums counts as numeric.
        let q = QueryBuilder::new(
            "SELECT name, register_id, CAST(sum(n) AS BIGINT) FROM ( \
               SELECT name, register_id, count(*) AS n FROM meeting_attendees \
               WHERE register_id IS NOT NULL AND name IS NOT NULL GROUP BY name, register_id \
               UNION ALL SELECT organization, register_id, count(*) FROM feedback \
               WHERE register_id IS NOT NULL AND organization IS NOT NULL GROUP BY organization, register_id \
             ) AS given GROUP BY name, register_id",
        );
        self.0
            .fetch(q, |r| {
                let c = Cols::new(r, "meeting_attendees");
                Ok(Alias { name: c.get(0)?, register_id: c.register_id(1)?, occurrences: c.u64(2)? })
            })
            .await
    }

    pub async fn position_ids(&self, after: Option<&str>, limit: u32) -> Result<Vec<String>> {
        let mut q = QueryBuilder::new("SELECT id FROM position_items WHERE shown = 1");
        if let Some(after) = after {
            q.push(" AND id > ").push_bind(after.to_owned());
        }
        q.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
        self.0.fetch(q, |r| Cols::new(r, "position_items").get("id")).await
    }

    pub async fn text_response_ids(&self, since: Option<&str>, after: Option<u64>, limit: u32) -> Result<Vec<u64>> {
        let mut q = QueryBuilder::new("SELECT DISTINCT response_id FROM source_texts");
        let mut conditions = Conditions::default();
        if let Some(after) = after {
            q.push(conditions.next()).push("response_id > ").push_bind(i64::try_from(after).unwrap_or(i64::MAX));
        }
        if let Some(since) = since {
            q.push(conditions.next()).push("extracted_at >= ").push_bind(since.to_owned());
        }
        q.push(" ORDER BY response_id LIMIT ").push_bind(i64::from(limit));
        self.0.fetch(q, |r| Cols::new(r, "source_texts").u64("response_id")).await
    }

    pub async fn attachment_texts(&self, ids: &[u64]) -> Result<Vec<SourceTextRecord>> {
        // An id past `i64` is none stored.
        let ids: Vec<i64> = ids.iter().filter_map(|id| i64::try_from(*id).ok()).collect();
        let mut texts = Vec::new();
        for chunk in ids.chunks(IDS_AT_ONCE) {
            let mut q = QueryBuilder::new("SELECT * FROM source_texts WHERE response_id IN (");
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            q.push(") ORDER BY response_id, id");
            texts.extend(self.0.fetch(q, |r| map::source_text(&Cols::new(r, "source_texts"))).await?);
        }
        Ok(texts)
    }
}

/// Ids bound in one statement: well under either backend's limit.
const IDS_AT_ONCE: usize = 1000;

/// Ids of `table` after `after`, imported at or after `since`, in the order of the key.
fn ids_query<DB, K>(table: &'static str, since: Option<ImportedSince>, after: Option<K>, limit: u32) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    K: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut q = QueryBuilder::new(format!("SELECT id FROM {table}"));
    let mut conditions = Conditions::default();
    if let Some(after) = after {
        q.push(conditions.next()).push("id > ").push_bind(after);
    }
    if let Some(since) = since {
        q.push(conditions.next()).push("imported_at >= ").push_bind(since.stamp());
    }
    q.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
    q
}

/// Restricts `column` to `range`, after a condition.
fn push_range<DB>(q: &mut QueryBuilder<DB>, column: &str, range: &KeyRange)
where
    DB: sqlx::Database,
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    q.push(format!(" AND {column} <= ")).push_bind(range.last.clone());
    if let Some(after) = &range.after {
        q.push(format!(" AND {column} > ")).push_bind(after.clone());
    }
}

/// A row of the page of organisations: [`SUMMARY_COLUMNS`] and the newest register entry's.
fn organisation_document(r: RowRef) -> Result<OrganisationDocument> {
    let summary = map::summary(&Cols::new(r, "organisations"))?;
    let entry = Cols::new(r, "register_entries");
    Ok(OrganisationDocument {
        organisation: summary.organisation,
        names: Vec::new(),
        goals: entry.get("goals")?,
        country: entry.get("head_office_country")?,
        category: entry.get("category")?,
        counts: summary.counts,
    })
}

/// Every name the page's organisations are known by (their own too): published for them, and
/// every name and acronym of their register entries. Rows: `key, name, acronym`.
fn organisation_names_query<DB>(range: &KeyRange) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut q = QueryBuilder::new(
        "SELECT org_key AS key, name, CAST(NULL AS TEXT) AS acronym FROM org_names WHERE mentions > 0",
    );
    push_range(&mut q, "org_key", range);
    // Snapshots repeat their names: the database keeps each once.
    q.push(
        " UNION SELECT o.key, r.name, r.acronym FROM organisations o \
         JOIN register_entries r ON r.register_id = o.register_id WHERE true",
    );
    push_range(&mut q, "o.key", range);
    q
}

/// A row of [`organisation_names_query`]: the key and its names.
fn organisation_names(r: RowRef) -> Result<(String, [Option<String>; 2])> {
    let c = Cols::new(r, "org_names");
    Ok((c.get(0)?, [c.get(1)?, c.get(2)?]))
}

/// What the page's people's rows of `person_meetings` say, per person: each role with its
/// meetings, each spelling of the name, and how many meetings (each once, however many times
/// the person is listed in it). Rows: `person_key, facet, label, meetings`.
fn person_facets_query<DB>(range: &KeyRange) -> QueryBuilder<DB>
where
    DB: sqlx::Database,
    String: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let arms = [
        ("'role'", "role", "role IS NOT NULL", ", role"),
        ("'name'", "name", "true", ", name"),
        ("'meetings'", "''", "true", ""),
    ];
    let mut q = QueryBuilder::new("");
    for (i, (facet, label, condition, group)) in arms.into_iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ");
        }
        q.push(format!(
            "SELECT person_key, {facet} AS facet, {label} AS label, count(DISTINCT meeting_id) AS meetings \
             FROM person_meetings WHERE {condition}"
        ));
        push_range(&mut q, "person_key", range);
        q.push(format!(" GROUP BY person_key{group}"));
    }
    q
}

/// A row of [`person_facets_query`].
enum Facet {
    Role(String, u64),
    Name(String),
    Meetings(u64),
}

fn person_facet(r: RowRef) -> Result<(String, Facet)> {
    let c = Cols::new(r, "person_meetings");
    let meetings = c.u64(3)?;
    let facet = match c.get::<&str>(1)? {
        "role" => Facet::Role(c.get(2)?, meetings),
        "name" => Facet::Name(c.get(2)?),
        _ => Facet::Meetings(meetings),
    };
    Ok((c.get(0)?, facet))
}

/// A person's facets as they are gathered.
#[derive(Default)]
struct Facets {
    roles: Vec<(String, u64)>,
    names: Vec<String>,
    meetings: u64,
}
