//! Position items: their inputs, the items with their verdicts, and the texts they cite
//! (statements and row readers shared with the PostgreSQL store: lobbyscope-store-sql
//! `positions`).

use async_trait::async_trait;
use lobbyscope_domain::RegisterId;
use lobbyscope_store::{
    ItemStatus, NewPositionItem, OrgKey, PositionDetail, PositionInputs, PositionItemView, ResponseView, Result,
    SourceTextRecord, SourceView, StoredRegisterEntry,
};
use lobbyscope_store_sql::map::{self, item_status};
use lobbyscope_store_sql::positions::{
    self as shared, CITATION_COLUMNS, DELETE_SUPERSEDED, INSERT_ITEM, MARK_SHOWN, POSITION_ORGS, POSITION_REGISTER,
    POSITION_RESPONSES, SAVE_SOURCE_TEXT, SENTENCE_COLUMNS, Sentences, SourceReads,
};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::read::{push_in, responses_by_ids};
use lobbyscope_store_sql::rows::bind_vals;

use crate::write::insert_rows;
use crate::{bump_generation, db_err, keys};

pub(crate) async fn position_orgs(pool: &SqlitePool) -> Result<Vec<OrgKey>> {
    let rows = sqlx::query(POSITION_ORGS).fetch_all(pool).await.map_err(db_err)?;
    rows.iter().map(|r| Cols::new(r, "feedback").org_key(0)).collect()
}

pub(crate) async fn position_inputs(
    pool: &SqlitePool,
    organisation: lobbyscope_store::Organisation,
) -> Result<PositionInputs> {
    let rows =
        sqlx::query(POSITION_RESPONSES).bind(keys::org_key(&organisation.key)).fetch_all(pool).await.map_err(db_err)?;
    let responses =
        rows.iter().map(|r| shared::response_input(&Cols::new(r, "feedback"))).collect::<Result<Vec<_>>>()?;
    let register = match &organisation.register_id {
        None => None,
        Some(id) => {
            match sqlx::query(POSITION_REGISTER).bind(id.as_str()).fetch_optional(pool).await.map_err(db_err)? {
                Some(r) => shared::register_input(&Cols::new(&r, "register_entries"))?,
                None => None,
            }
        }
    };
    let attachment_texts = if responses.is_empty() {
        Vec::new()
    } else {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM source_texts WHERE response_id IN ");
        push_in(&mut q, responses.iter().map(|r| r.id as i64));
        q.push(" ORDER BY id");
        let rows = q.build().fetch_all(pool).await.map_err(db_err)?;
        rows.iter().map(|r| map::source_text(&Cols::new(r, "source_texts"))).collect::<Result<_>>()?
    };
    Ok(PositionInputs { organisation, responses, register, attachment_texts })
}

pub(crate) async fn save_source_text(pool: &SqlitePool, t: &SourceTextRecord) -> Result<()> {
    let mut tx = pool.begin_with(crate::BEGIN_WRITE).await.map_err(db_err)?;
    bind_vals(sqlx::query(SAVE_SOURCE_TEXT), shared::source_text_row(t)).execute(&mut *tx).await.map_err(db_err)?;
    bump_generation(&mut tx).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn position_status(pool: &SqlitePool, ids: &[String]) -> Result<Vec<(String, ItemStatus)>> {
    let mut out = Vec::new();
    // Bounded statements: a full run asks about thousands of items at once.
    for chunk in ids.chunks(10_000) {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT id, status FROM position_items WHERE id IN ");
        push_in(&mut q, chunk.iter().cloned());
        for r in q.build().fetch_all(pool).await.map_err(db_err)? {
            let c = Cols::new(&r, "position_items");
            out.push((c.get(0)?, c.parse(1, item_status)?));
        }
    }
    Ok(out)
}

pub(crate) async fn save_position_item(pool: &SqlitePool, item: &NewPositionItem) -> Result<()> {
    let mut tx = pool.begin_with(crate::BEGIN_WRITE).await.map_err(db_err)?;
    bind_vals(sqlx::query(DELETE_SUPERSEDED), shared::superseded_row(item)).execute(&mut *tx).await.map_err(db_err)?;
    bind_vals(sqlx::query(INSERT_ITEM), shared::item_row(item)).execute(&mut *tx).await.map_err(db_err)?;
    insert_rows(
        &mut tx,
        &format!("INSERT INTO position_sentences ({SENTENCE_COLUMNS}) "),
        shared::sentence_rows(item),
        "",
    )
    .await?;
    insert_rows(
        &mut tx,
        &format!("INSERT INTO position_citations ({CITATION_COLUMNS}) "),
        shared::citation_rows(item),
        "",
    )
    .await?;
    sqlx::query(MARK_SHOWN)
        .bind(keys::org_key(&item.org_key))
        .bind(&item.group)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    bump_generation(&mut tx).await?;
    tx.commit().await.map_err(db_err)
}

pub(crate) async fn retire_position_items(pool: &SqlitePool, org: &OrgKey, groups: &[String]) -> Result<u64> {
    let mut q = QueryBuilder::<Sqlite>::new("DELETE FROM position_items WHERE org_key = ");
    q.push_bind(keys::org_key(org));
    if !groups.is_empty() {
        q.push(" AND grp NOT IN ");
        push_in(&mut q, groups.iter().cloned());
    }
    // Called for every organisation of a run and almost always a no-op: no transaction of its
    // own unless something goes.
    let gone = q.build().execute(pool).await.map_err(db_err)?.rows_affected();
    if gone > 0 {
        let mut tx = pool.begin_with(crate::BEGIN_WRITE).await.map_err(db_err)?;
        bump_generation(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
    }
    Ok(gone)
}

/// Sentences of the items, with their citations, by item id, in order.
async fn sentences_of(pool: &SqlitePool, ids: &[String]) -> Result<Sentences> {
    let mut out = Sentences::default();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT item_id, part, text, kept, reason, score FROM position_sentences WHERE item_id IN ",
    );
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY item_id, position");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        out.add_sentence(&Cols::new(&r, "position_sentences"))?;
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT item_id, sentence, source, span_start, span_end, quote FROM position_citations WHERE item_id IN ",
    );
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY item_id, sentence, position");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        out.add_citation(&Cols::new(&r, "position_citations"))?;
    }
    Ok(out)
}

/// Items as timelines show them, in the order of `ids`.
pub(crate) async fn positions_by_ids(pool: &SqlitePool, ids: &[String]) -> Result<Vec<PositionItemView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM position_items WHERE id IN ");
    push_in(&mut q, ids.iter().cloned());
    let rows = q.build().fetch_all(pool).await.map_err(db_err)?;
    let rows = rows.iter().map(|r| map::item_row(&Cols::new(r, "position_items"))).collect::<Result<Vec<_>>>()?;
    Ok(shared::items_in_order(ids, rows, sentences_of(pool, ids).await?))
}

pub(crate) async fn position_item(pool: &SqlitePool, id: &str) -> Result<Option<PositionDetail>> {
    let Some(r) =
        sqlx::query("SELECT * FROM position_items WHERE id = ?").bind(id).fetch_optional(pool).await.map_err(db_err)?
    else {
        return Ok(None);
    };
    let row = map::item_row(&Cols::new(&r, "position_items"))?;
    Ok(Some(shared::detail(row, sentences_of(pool, &[id.to_owned()]).await?)))
}

struct Reads<'p>(&'p SqlitePool);

#[async_trait]
impl SourceReads for Reads<'_> {
    async fn response(&self, id: u64) -> Result<Option<ResponseView>> {
        let Ok(id) = i64::try_from(id) else { return Ok(None) };
        Ok(responses_by_ids(self.0, &[id]).await?.pop())
    }

    async fn source_text(&self, id: &str) -> Result<Option<SourceTextRecord>> {
        let row = sqlx::query("SELECT * FROM source_texts WHERE id = ?")
            .bind(id)
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?;
        row.map(|r| map::source_text(&Cols::new(&r, "source_texts"))).transpose()
    }

    async fn register_entry(&self, id: &RegisterId, snapshot: &str) -> Result<Option<StoredRegisterEntry>> {
        let row = sqlx::query("SELECT * FROM register_entries WHERE register_id = ? AND snapshot_date = ?")
            .bind(id.as_str())
            .bind(snapshot)
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?;
        row.map(|r| map::register_entry(&Cols::new(&r, "register_entries"))).transpose()
    }

    async fn key_of_register_id(&self, id: &RegisterId) -> Result<Option<OrgKey>> {
        let row = sqlx::query("SELECT key FROM organisations WHERE register_id = ?")
            .bind(id.as_str())
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?;
        row.map(|r| Cols::new(&r, "organisations").org_key(0)).transpose()
    }

    async fn org_name(&self, key: &OrgKey) -> Result<Option<String>> {
        let row = sqlx::query("SELECT name FROM organisations WHERE key = ?")
            .bind(keys::org_key(key))
            .fetch_optional(self.0)
            .await
            .map_err(db_err)?;
        row.map(|r| Cols::new(&r, "organisations").get(0)).transpose()
    }
}

pub(crate) async fn source(pool: &SqlitePool, id: &str) -> Result<Option<SourceView>> {
    shared::source(&Reads(pool), id).await
}
