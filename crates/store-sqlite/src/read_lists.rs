//! The read side of the consultation pages, the home page and the organisations list.
//!
//! Counts come from the aggregates kept at import (migration 0007, `stats`); searching still
//! folds names (case and accents) as it reads them.

use std::collections::HashMap;

use async_trait::async_trait;
use lobbyscope_domain::RegisterId;
use lobbyscope_store::{
    Activity, InitiativeView, OrgSort, Organisation, OrganisationHit, OrganisationList, OrganisationSummary,
    ResponsePage, Result,
};
use lobbyscope_store_sql::lists::{self, AFTER_COLUMNS, After, ListSource, Run, SEARCHED_NAMES};
use lobbyscope_store_sql::map::{self, SUMMARY_COLUMNS};
use lobbyscope_store_sql::pages::{
    INITIATIVE_COUNTS, INITIATIVE_PUBLICATIONS, LATEST_ACTIVITY, PUBLICATION_IDS, initiative_page_query, latest_entry,
    response_page,
};
use lobbyscope_store_sql::timeline::{Arms, EntryKind, assemble, ids_of, response_ids};
use sqlx::sqlite::SqliteRow;
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::read::{meetings_by_ids, push_in, responses_by_ids};
use crate::{db_err, keys};

/// An `organisations` row (columns `key, register_id, name, acronym`, by name).
pub(crate) fn organisation(r: &SqliteRow) -> Result<Organisation> {
    map::organisation(&Cols::new(r, "organisations"))
}

fn summary(r: &SqliteRow) -> Result<OrganisationSummary> {
    map::summary(&Cols::new(r, "organisations"))
}

pub(crate) async fn initiative(pool: &SqlitePool, id: u64) -> Result<Option<InitiativeView>> {
    let Ok(id) = i64::try_from(id) else { return Ok(None) };
    let Some(r) =
        sqlx::query("SELECT * FROM initiatives WHERE id = ?").bind(id).fetch_optional(pool).await.map_err(db_err)?
    else {
        return Ok(None);
    };
    let mut view = map::initiative(&Cols::new(&r, "initiatives"))?;
    for p in &sqlx::query(INITIATIVE_PUBLICATIONS).bind(id).fetch_all(pool).await.map_err(db_err)? {
        view.publications.push(map::publication(&Cols::new(p, "publications"))?);
    }
    Ok(Some(view))
}

pub(crate) async fn initiative_responses(pool: &SqlitePool, id: u64, offset: u32, limit: u32) -> Result<ResponsePage> {
    let Ok(id) = i64::try_from(id) else { return Ok(ResponsePage::default()) };
    let publications: Vec<i64> = sqlx::query_scalar(PUBLICATION_IDS).bind(id).fetch_all(pool).await.map_err(db_err)?;
    let mut ids: Vec<i64> = Vec::new();
    if limit > 0 && !publications.is_empty() {
        let mut q = initiative_page_query::<Sqlite>(&publications, offset, limit, Arms::Plain);
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            ids.push(Cols::new(&r, "feedback").get(0)?);
        }
    }
    let items = responses_by_ids(pool, &ids).await?;
    let counts = sqlx::query(INITIATIVE_COUNTS).bind(id).fetch_all(pool).await.map_err(db_err)?;
    response_page(items, counts.iter().map(|r| Cols::new(r, "publication_counts")))
}

pub(crate) async fn find_organisations(pool: &SqlitePool, query: &str, limit: u32) -> Result<Vec<OrganisationHit>> {
    lists::find_organisations(&Lists(pool), query, limit).await
}

pub(crate) async fn latest_activity(pool: &SqlitePool, limit: u32) -> Result<Vec<Activity>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(LATEST_ACTIVITY).bind(i64::from(limit)).fetch_all(pool).await.map_err(db_err)?;
    let entries = rows.iter().map(|r| latest_entry(&Cols::new(r, "meetings"))).collect::<Result<Vec<_>>>()?;
    let meetings = meetings_by_ids(pool, &ids_of(&entries, EntryKind::Meeting)).await?;
    let responses = responses_by_ids(pool, &response_ids(&entries)).await?;
    Ok(assemble(&entries, meetings, responses, Vec::new()))
}

/// The list's questions, answered from the read pool.
struct Lists<'p>(&'p SqlitePool);

/// The keys a statement of the list selects, in its order.
async fn organisation_keys(pool: &SqlitePool, mut q: QueryBuilder<Sqlite>) -> Result<Vec<String>> {
    q.build().fetch_all(pool).await.map_err(db_err)?.iter().map(|r| Cols::new(r, "organisations").get(0)).collect()
}

#[async_trait]
impl ListSource for Lists<'_> {
    /// From the counts of migrations 0007 and 0008.
    async fn record_count(&self, name: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT n FROM record_counts WHERE name = ?")
            .bind(name)
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?
            .unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn keys_among(&self, keys: &[String], sort: OrgSort) -> Result<Vec<String>> {
        organisation_keys(self.0, lists::among_query::<Sqlite>(keys, sort)).await
    }

    async fn run_keys(
        &self,
        run: &Run,
        after: Option<(&After, usize)>,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<String>> {
        organisation_keys(self.0, run.keys_query::<Sqlite>(after, offset, limit)?).await
    }

    async fn after(&self, key: &str) -> Result<Option<After>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {AFTER_COLUMNS} FROM organisations WHERE key = ?")))
            .bind(key)
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?
            .map(|r| After::read(&Cols::new(&r, "organisations")))
            .transpose()
    }

    async fn summaries(&self, keys: &[String]) -> Result<Vec<OrganisationSummary>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut by_key: HashMap<String, OrganisationSummary> = HashMap::new();
        // A broad search asks for more organisations than one statement may bind.
        for chunk in keys.chunks(crate::MAX_BINDS) {
            let mut q =
                QueryBuilder::<Sqlite>::new(format!("SELECT {SUMMARY_COLUMNS} FROM organisations WHERE key IN "));
            push_in(&mut q, chunk.iter().cloned());
            for r in q.build().fetch_all(self.0).await.map_err(db_err)? {
                let s = summary(&r)?;
                by_key.insert(keys::org_key(&s.organisation.key), s);
            }
        }
        Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
    }

    async fn register_keys(&self, id: &RegisterId) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT key FROM organisations WHERE register_id = ?")
            .bind(id.as_str())
            .fetch_all(self.0)
            .await
            .map_err(db_err)
    }

    async fn searched_names(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(SEARCHED_NAMES).fetch_all(self.0).await.map_err(db_err)?;
        rows.iter()
            .map(|r| {
                let c = Cols::new(r, "organisations");
                Ok((c.get(0)?, c.get(1)?))
            })
            .collect()
    }
}

pub(crate) async fn organisations_list(
    pool: &SqlitePool,
    sort: OrgSort,
    offset: u32,
    limit: u32,
) -> Result<OrganisationList> {
    lists::organisations_list(&Lists(pool), sort, offset, limit).await
}

pub(crate) async fn organisations_after(
    pool: &SqlitePool,
    sort: OrgSort,
    after: &str,
    limit: u32,
) -> Result<OrganisationList> {
    lists::organisations_after(&Lists(pool), sort, after, limit).await
}

pub(crate) async fn organisations_among(
    pool: &SqlitePool,
    keys: &[lobbyscope_store::OrgKey],
    sort: OrgSort,
    offset: u32,
    limit: u32,
) -> Result<OrganisationList> {
    lists::organisations_among(&Lists(pool), keys, sort, offset, limit).await
}
