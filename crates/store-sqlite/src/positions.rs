//! Position items: their inputs, the items with their verdicts, and the texts they cite.

use std::collections::HashMap;

use lobbyscope_domain::{Citation, Part, RegisterText, SourceRef, When};
use lobbyscope_store::{
    CheckedSentence, ItemStatus, NewPositionItem, OrgKey, PositionDetail, PositionInputs, PositionItemView,
    RegisterInput, ResponseInput, Result, SourceTextKind, SourceTextRecord, SourceView,
};
use lobbyscope_store_sql::map::{self, ItemRow, item_status, shown_sentences};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::cols::Cols;
use crate::read::{corrupt, push_in, responses_by_ids};
use crate::{bump_generation, db_err, keys};

pub(crate) async fn position_orgs(pool: &SqlitePool) -> Result<Vec<OrgKey>> {
    sqlx::query(
        "SELECT org_key FROM feedback WHERE org_key IS NOT NULL \
         UNION SELECT o.key FROM organisations o JOIN register_entries r ON r.register_id = o.register_id \
               WHERE r.goals IS NOT NULL OR r.eu_legislative_proposals IS NOT NULL \
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .map_err(db_err)?
    .iter()
    .map(|r| Cols::new(r, "feedback").org_key(0))
    .collect()
}

pub(crate) async fn position_inputs(
    pool: &SqlitePool,
    organisation: lobbyscope_store::Organisation,
) -> Result<PositionInputs> {
    let rows = sqlx::query(
        "SELECT f.id, f.date, f.text, f.attachments, f.content_hash, p.initiative_id, i.short_title \
         FROM feedback f LEFT JOIN publications p ON p.id = f.publication_id \
         LEFT JOIN initiatives i ON i.id = p.initiative_id \
         WHERE f.org_key = ? ORDER BY f.date, f.id",
    )
    .bind(keys::org_key(&organisation.key))
    .fetch_all(pool)
    .await
    .map_err(db_err)?;
    let mut responses = Vec::with_capacity(rows.len());
    for r in &rows {
        let c = Cols::new(r, "feedback");
        responses.push(ResponseInput {
            id: c.u64("id")?,
            date: c.moment_opt("date")?,
            initiative_id: c.u64_opt("initiative_id")?,
            initiative_title: c.get("short_title")?,
            text: c.get("text")?,
            attachments: c.json("attachments")?,
            content_hash: c.get("content_hash")?,
        });
    }

    let register = match &organisation.register_id {
        None => None,
        Some(id) => sqlx::query(
            "SELECT register_id, snapshot_date, last_update_date, goals, eu_legislative_proposals, content_hash \
             FROM register_entries WHERE register_id = ? ORDER BY snapshot_date DESC LIMIT 1",
        )
        .bind(id.as_str())
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(|r| {
            let c = Cols::new(&r, "register_entries");
            Ok(RegisterInput {
                register_id: c.register_id("register_id")?,
                snapshot_date: c.date("snapshot_date")?,
                last_update_date: c.date_opt("last_update_date")?,
                goals: c.get("goals")?,
                eu_legislative_proposals: c.get("eu_legislative_proposals")?,
                content_hash: c.get("content_hash")?,
            })
        })
        .transpose()?
        .filter(|r| r.goals.is_some() || r.eu_legislative_proposals.is_some()),
    };

    let attachment_texts = if responses.is_empty() {
        Vec::new()
    } else {
        let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM source_texts WHERE response_id IN ");
        push_in(&mut q, responses.iter().map(|r| r.id as i64));
        q.push(" ORDER BY id");
        q.build().fetch_all(pool).await.map_err(db_err)?.iter().map(source_text).collect::<Result<_>>()?
    };
    Ok(PositionInputs { organisation, responses, register, attachment_texts })
}

fn source_text(r: &SqliteRow) -> Result<SourceTextRecord> {
    map::source_text(&Cols::new(r, "source_texts"))
}

pub(crate) async fn save_source_text(pool: &SqlitePool, t: &SourceTextRecord) -> Result<()> {
    let mut tx = pool.begin_with(crate::BEGIN_WRITE).await.map_err(db_err)?;
    sqlx::query(
        "INSERT INTO source_texts (id, response_id, file, file_sha256, extractor, text, extracted_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET response_id = excluded.response_id, file = excluded.file, \
           file_sha256 = excluded.file_sha256, extractor = excluded.extractor, text = excluded.text, \
           extracted_at = excluded.extracted_at",
    )
    .bind(&t.id)
    .bind(t.response_id as i64)
    .bind(&t.file)
    .bind(&t.file_sha256)
    .bind(&t.extractor)
    .bind(&t.text)
    .bind(&t.extracted_at)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
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
    // Superseded: the same writer's earlier items for this organisation and group, written from
    // other inputs; and this item itself, when a pending one is being retried.
    sqlx::query(
        "DELETE FROM position_items WHERE id = ? OR (org_key = ? AND grp = ? AND writer = ? \
         AND coalesce(model, '') = coalesce(?, '') AND prompt_version = ?)",
    )
    .bind(&item.id)
    .bind(keys::org_key(&item.org_key))
    .bind(&item.group)
    .bind(&item.writer)
    .bind(&item.model)
    .bind(&item.prompt_version)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO position_items (id, org_key, grp, writer, model, prompt_version, status, error, headline, \
         date, written_at, prompt_tokens, completion_tokens, sources) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&item.id)
    .bind(keys::org_key(&item.org_key))
    .bind(&item.group)
    .bind(&item.writer)
    .bind(&item.model)
    .bind(&item.prompt_version)
    .bind(item.status.as_str())
    .bind(&item.error)
    .bind(&item.headline)
    .bind(crate::rows::date(&item.date))
    .bind(&item.written_at)
    .bind(item.prompt_tokens.map(|n| n as i64))
    .bind(item.completion_tokens.map(|n| n as i64))
    .bind(serde_json::to_string(&item.sources).expect("strings serialise"))
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;

    if !item.sentences.is_empty() {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO position_sentences (item_id, position, part, text, kept, reason, score) ",
        );
        q.push_values(item.sentences.iter().enumerate(), |mut b, (i, s)| {
            b.push_bind(&item.id)
                .push_bind(i as i64)
                .push_bind(s.part.as_str())
                .push_bind(&s.text)
                .push_bind(s.kept)
                .push_bind(&s.reason)
                .push_bind(s.score);
        });
        q.build().execute(&mut *tx).await.map_err(db_err)?;
    }
    let citations: Vec<(usize, usize, &Citation)> = item
        .sentences
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.citations.iter().enumerate().map(move |(j, c)| (i, j, c)))
        .collect();
    // Seven binds a row, well under SQLite's limit per statement.
    for chunk in citations.chunks(crate::MAX_BINDS / 7) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO position_citations (item_id, sentence, position, source, span_start, span_end, quote) ",
        );
        q.push_values(chunk, |mut b, (i, j, c)| {
            b.push_bind(&item.id)
                .push_bind(*i as i64)
                .push_bind(*j as i64)
                .push_bind(&c.source)
                .push_bind(c.start as i64)
                .push_bind(c.end as i64)
                .push_bind(&c.quote);
        });
        q.build().execute(&mut *tx).await.map_err(db_err)?;
    }

    // One item shown per organisation and group: the newest written one with a kept sentence.
    sqlx::query(
        "UPDATE position_items SET shown = CASE WHEN id = (\
             SELECT p.id FROM position_items p WHERE p.org_key = ?1 AND p.grp = ?2 AND p.status = 'written' \
             AND EXISTS (SELECT 1 FROM position_sentences s WHERE s.item_id = p.id AND s.kept = 1) \
             ORDER BY p.written_at DESC, p.id LIMIT 1) THEN 1 ELSE 0 END \
         WHERE org_key = ?1 AND grp = ?2",
    )
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
async fn sentences_of(pool: &SqlitePool, ids: &[String]) -> Result<HashMap<String, Vec<CheckedSentence>>> {
    let mut out: HashMap<String, Vec<CheckedSentence>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT item_id, part, text, kept, reason, score FROM position_sentences WHERE item_id IN ",
    );
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY item_id, position");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "position_sentences");
        out.entry(c.get(0)?).or_default().push(CheckedSentence {
            part: c.parse(1, |p| Part::parse(p).ok_or("unknown part"))?,
            text: c.get(2)?,
            citations: Vec::new(),
            kept: c.get(3)?,
            reason: c.get(4)?,
            score: c.get(5)?,
        });
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "SELECT item_id, sentence, source, span_start, span_end, quote FROM position_citations WHERE item_id IN ",
    );
    push_in(&mut q, ids.iter().cloned());
    q.push(" ORDER BY item_id, sentence, position");
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let c = Cols::new(&r, "position_citations");
        let sentence = c.index(1)?;
        let slot = out.get_mut(c.get::<&str>(0)?).and_then(|s| s.get_mut(sentence));
        let slot = slot.ok_or_else(|| corrupt("a citation of a sentence that is not stored"))?;
        slot.citations.push(Citation { source: c.get(2)?, start: c.index(3)?, end: c.index(4)?, quote: c.get(5)? });
    }
    Ok(out)
}

fn item_row(r: &SqliteRow) -> Result<ItemRow> {
    map::item_row(&Cols::new(r, "position_items"))
}

/// Items as timelines show them, in the order of `ids`.
pub(crate) async fn positions_by_ids(pool: &SqlitePool, ids: &[String]) -> Result<Vec<PositionItemView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = QueryBuilder::<Sqlite>::new("SELECT * FROM position_items WHERE id IN ");
    push_in(&mut q, ids.iter().cloned());
    let mut items: HashMap<String, PositionItemView> = HashMap::new();
    for r in q.build().fetch_all(pool).await.map_err(db_err)? {
        let row = item_row(&r)?;
        items.insert(row.view.id.clone(), row.view);
    }
    let mut sentences = sentences_of(pool, ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| items.remove(id))
        .map(|mut item| {
            (item.sentences, item.dropped) = shown_sentences(&sentences.remove(&item.id).unwrap_or_default());
            item
        })
        .collect())
}

pub(crate) async fn position_item(pool: &SqlitePool, id: &str) -> Result<Option<PositionDetail>> {
    let Some(r) =
        sqlx::query("SELECT * FROM position_items WHERE id = ?").bind(id).fetch_optional(pool).await.map_err(db_err)?
    else {
        return Ok(None);
    };
    let mut row = item_row(&r)?;
    let verdicts = sentences_of(pool, &[id.to_owned()]).await?.remove(id).unwrap_or_default();
    (row.view.sentences, row.view.dropped) = shown_sentences(&verdicts);
    Ok(Some(PositionDetail {
        item: row.view,
        status: row.status,
        error: row.error,
        prompt_tokens: row.prompt_tokens,
        completion_tokens: row.completion_tokens,
        verdicts,
    }))
}

async fn org_name(pool: &SqlitePool, key: Option<&OrgKey>) -> Result<Option<String>> {
    let Some(key) = key else { return Ok(None) };
    sqlx::query("SELECT name FROM organisations WHERE key = ?")
        .bind(keys::org_key(key))
        .fetch_optional(pool)
        .await
        .map_err(db_err)?
        .map(|r| Cols::new(&r, "organisations").get(0))
        .transpose()
}

pub(crate) async fn source(pool: &SqlitePool, id: &str) -> Result<Option<SourceView>> {
    let Some(reference) = SourceRef::parse(id) else { return Ok(None) };
    match reference {
        SourceRef::Response(response) => {
            let Some(r) = responses_by_ids(pool, &[response as i64]).await?.pop() else { return Ok(None) };
            let organisation = org_name(pool, r.org_key.as_ref()).await?.or(r.organization);
            Ok(Some(SourceView {
                id: id.to_owned(),
                kind: SourceTextKind::Response,
                org_key: r.org_key,
                organisation,
                date: r.date.map(When::Moment),
                title: r.initiative_title,
                text: r.text,
                provenance: r.provenance,
                extracted: None,
            }))
        }
        SourceRef::Attachment { response, .. } => {
            let Some(text) = sqlx::query("SELECT * FROM source_texts WHERE id = ?")
                .bind(id)
                .fetch_optional(pool)
                .await
                .map_err(db_err)?
                .map(|r| source_text(&r))
                .transpose()?
            else {
                return Ok(None);
            };
            let Some(r) = responses_by_ids(pool, &[response as i64]).await?.pop() else { return Ok(None) };
            let organisation = org_name(pool, r.org_key.as_ref()).await?.or(r.organization);
            Ok(Some(SourceView {
                id: id.to_owned(),
                kind: SourceTextKind::Attachment,
                org_key: r.org_key,
                organisation,
                date: r.date.map(When::Moment),
                title: Some(text.file.clone()),
                text: text.text.clone(),
                provenance: r.provenance,
                extracted: Some(text),
            }))
        }
        SourceRef::Register { id: register_id, snapshot, field } => {
            let Some(row) = sqlx::query("SELECT * FROM register_entries WHERE register_id = ? AND snapshot_date = ?")
                .bind(register_id.as_str())
                .bind(snapshot.to_string())
                .fetch_optional(pool)
                .await
                .map_err(db_err)?
            else {
                return Ok(None);
            };
            let stored = map::register_entry(&Cols::new(&row, "register_entries"))?;
            let (kind, text) = match field {
                RegisterText::Goals => (SourceTextKind::RegisterGoals, stored.entry.goals.clone()),
                RegisterText::Proposals => {
                    (SourceTextKind::RegisterProposals, stored.entry.eu_legislative_proposals.clone())
                }
            };
            let Some(text) = text else { return Ok(None) };
            let org_key = sqlx::query("SELECT key FROM organisations WHERE register_id = ?")
                .bind(register_id.as_str())
                .fetch_optional(pool)
                .await
                .map_err(db_err)?
                .map(|r| Cols::new(&r, "organisations").org_key(0))
                .transpose()?;
            Ok(Some(SourceView {
                id: id.to_owned(),
                kind,
                organisation: org_name(pool, org_key.as_ref()).await?.or(Some(stored.entry.name.clone())),
                org_key,
                date: Some(When::Day(stored.entry.last_update_date.unwrap_or(stored.entry.snapshot_date))),
                title: None,
                text,
                provenance: stored.provenance,
                extracted: None,
            }))
        }
    }
}
