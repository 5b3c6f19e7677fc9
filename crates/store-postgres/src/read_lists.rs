//! The read side of the consultation pages, the home page and the organisations list.

use std::collections::HashMap;

use async_trait::async_trait;
use lobbyscope_domain::RegisterId;
use lobbyscope_store::{Activity, InitiativeView, OrgSort, OrganisationSummary, ResponsePage, Result};
use lobbyscope_store_sql::lists::{self, AFTER_COLUMNS, After, ListSource, Run, SEARCHED_NAMES};
use lobbyscope_store_sql::map::{self, SUMMARY_COLUMNS};
use lobbyscope_store_sql::pages::{
    INITIATIVE_COUNTS, INITIATIVE_PUBLICATIONS, LATEST_ACTIVITY, PUBLICATION_IDS, initiative_page_query, latest_entry,
    response_page,
};
use lobbyscope_store_sql::timeline::{Arms, EntryKind, assemble, ids_of, response_ids};
use lobbyscope_store_sql::{Cols, keys};
use sqlx::{AssertSqlSafe, PgPool, Postgres, QueryBuilder};

use crate::db_err;
use crate::read::{meetings_by_ids, responses_by_ids};

pub(crate) async fn initiative(pool: &PgPool, id: u64) -> Result<Option<InitiativeView>> {
    let Ok(id) = i64::try_from(id) else { return Ok(None) };
    let Some(r) =
        sqlx::query("SELECT * FROM initiatives WHERE id = $1").bind(id).fetch_optional(pool).await.map_err(db_err)?
    else {
        return Ok(None);
    };
    let mut view = map::initiative(&Cols::new(&r, "initiatives"))?;
    for p in &sqlx::query(INITIATIVE_PUBLICATIONS).bind(id).fetch_all(pool).await.map_err(db_err)? {
        view.publications.push(map::publication(&Cols::new(p, "publications"))?);
    }
    Ok(Some(view))
}

pub(crate) async fn initiative_responses(pool: &PgPool, id: u64, offset: u32, limit: u32) -> Result<ResponsePage> {
    let Ok(id) = i64::try_from(id) else { return Ok(ResponsePage::default()) };
    let publications: Vec<i64> = sqlx::query_scalar(PUBLICATION_IDS).bind(id).fetch_all(pool).await.map_err(db_err)?;
    let mut ids: Vec<i64> = Vec::new();
    if limit > 0 && !publications.is_empty() {
        let mut q = initiative_page_query::<Postgres>(&publications, offset, limit, Arms::Ordered);
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            ids.push(Cols::new(&r, "feedback").get(0)?);
        }
    }
    let items = responses_by_ids(pool, &ids).await?;
    let counts = sqlx::query(INITIATIVE_COUNTS).bind(id).fetch_all(pool).await.map_err(db_err)?;
    response_page(items, counts.iter().map(|r| Cols::new(r, "publication_counts")))
}

pub(crate) async fn latest_activity(pool: &PgPool, limit: u32) -> Result<Vec<Activity>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(LATEST_ACTIVITY).bind(i64::from(limit)).fetch_all(pool).await.map_err(db_err)?;
    let entries = rows.iter().map(|r| latest_entry(&Cols::new(r, "meetings"))).collect::<Result<Vec<_>>>()?;
    let meetings = meetings_by_ids(pool, &ids_of(&entries, EntryKind::Meeting)).await?;
    let responses = responses_by_ids(pool, &response_ids(&entries)).await?;
    Ok(assemble(&entries, meetings, responses, Vec::new()))
}

/// The list's and the search's questions.
pub(crate) struct Lists<'p>(pub(crate) &'p PgPool);

/// The keys a statement of the list selects, in its order.
async fn organisation_keys(pool: &PgPool, mut q: QueryBuilder<Postgres>) -> Result<Vec<String>> {
    q.build().fetch_all(pool).await.map_err(db_err)?.iter().map(|r| Cols::new(r, "organisations").get(0)).collect()
}

#[async_trait]
impl ListSource for Lists<'_> {
    async fn record_count(&self, name: &str) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT n FROM record_counts WHERE name = $1")
            .bind(name)
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?
            .unwrap_or(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn keys_among(&self, keys: &[String], sort: OrgSort) -> Result<Vec<String>> {
        organisation_keys(self.0, lists::among_query::<Postgres>(keys, sort)).await
    }

    async fn run_keys(
        &self,
        run: &Run,
        after: Option<(&After, usize)>,
        offset: u64,
        limit: u32,
    ) -> Result<Vec<String>> {
        organisation_keys(self.0, run.keys_query::<Postgres>(after, offset, limit)?).await
    }

    async fn after(&self, key: &str) -> Result<Option<After>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {AFTER_COLUMNS} FROM organisations WHERE key = $1")))
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
        let rows =
            sqlx::query(AssertSqlSafe(format!("SELECT {SUMMARY_COLUMNS} FROM organisations WHERE key = ANY($1)")))
                .bind(keys)
                .fetch_all(self.0)
                .await
                .map_err(db_err)?;
        let mut by_key: HashMap<String, OrganisationSummary> = HashMap::new();
        for r in &rows {
            let s = map::summary(&Cols::new(r, "organisations"))?;
            by_key.insert(keys::org_key(&s.organisation.key), s);
        }
        Ok(keys.iter().filter_map(|k| by_key.remove(k)).collect())
    }

    async fn register_keys(&self, id: &RegisterId) -> Result<Vec<String>> {
        sqlx::query_scalar("SELECT key FROM organisations WHERE register_id = $1")
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

pub(crate) async fn find_organisations(
    pool: &PgPool,
    query: &str,
    limit: u32,
) -> Result<Vec<lobbyscope_store::OrganisationHit>> {
    lobbyscope_store_sql::lists::find_organisations(&Lists(pool), query, limit).await
}
