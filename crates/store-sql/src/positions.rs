//! Position items on either backend: the statements both run as they are (`$n` parameters),
//! the rows an item writes, and how its sentences and the texts it cites are read back.

use std::collections::HashMap;

use async_trait::async_trait;
use lobbyscope_domain::{Citation, Part, RegisterId, RegisterText, SourceRef, When};
use lobbyscope_store::{
    CheckedSentence, NewPositionItem, OrgKey, PositionDetail, PositionItemView, RegisterInput, ResponseInput,
    ResponseView, Result, SourceTextKind, SourceTextRecord, SourceView, StoredRegisterEntry,
};

use crate::cols::Cols;
use crate::map::{ItemRow, corrupt, shown_sentences};
use crate::rows::{RowVals, Val};

/// Organisations with any text of their own: a response, or register goals or proposals.
pub const POSITION_ORGS: &str = "SELECT org_key FROM feedback WHERE org_key IS NOT NULL \
     UNION SELECT o.key FROM organisations o JOIN register_entries r ON r.register_id = o.register_id \
           WHERE r.goals IS NOT NULL OR r.eu_legislative_proposals IS NOT NULL \
     ORDER BY 1";

/// An organisation's responses, oldest first (parameter: its key); read by [`response_input`].
pub const POSITION_RESPONSES: &str = "SELECT f.id, f.date, f.text, f.attachments, f.content_hash, p.initiative_id, \
     i.short_title FROM feedback f LEFT JOIN publications p ON p.id = f.publication_id \
     LEFT JOIN initiatives i ON i.id = p.initiative_id WHERE f.org_key = $1 ORDER BY f.date, f.id";

/// An organisation's newest register entry (parameter: its register ID); read by
/// [`register_input`].
pub const POSITION_REGISTER: &str = "SELECT register_id, snapshot_date, last_update_date, goals, \
     eu_legislative_proposals, content_hash FROM register_entries WHERE register_id = $1 \
     ORDER BY snapshot_date DESC LIMIT 1";

pub fn response_input(c: &Cols) -> Result<ResponseInput> {
    Ok(ResponseInput {
        id: c.u64("id")?,
        date: c.moment_opt("date")?,
        initiative_id: c.u64_opt("initiative_id")?,
        initiative_title: c.get("short_title")?,
        text: c.get("text")?,
        attachments: c.json("attachments")?,
        content_hash: c.get("content_hash")?,
    })
}

/// The register's words for position items; `None` when it has none.
pub fn register_input(c: &Cols) -> Result<Option<RegisterInput>> {
    let input = RegisterInput {
        register_id: c.register_id("register_id")?,
        snapshot_date: c.date("snapshot_date")?,
        last_update_date: c.date_opt("last_update_date")?,
        goals: c.get("goals")?,
        eu_legislative_proposals: c.get("eu_legislative_proposals")?,
        content_hash: c.get("content_hash")?,
    };
    Ok(Some(input).filter(|r| r.goals.is_some() || r.eu_legislative_proposals.is_some()))
}

/// Keeps an attachment's text, replacing an earlier one with the same id.
pub const SAVE_SOURCE_TEXT: &str = "INSERT INTO source_texts (id, response_id, file, file_sha256, extractor, text, \
     extracted_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (id) DO UPDATE SET response_id = excluded.response_id, file = excluded.file, \
       file_sha256 = excluded.file_sha256, extractor = excluded.extractor, text = excluded.text, \
       extracted_at = excluded.extracted_at";

pub fn source_text_row(t: &SourceTextRecord) -> RowVals {
    vec![
        Val::from(t.id.clone()),
        Val::from(t.response_id as i64),
        Val::from(t.file.clone()),
        Val::from(t.file_sha256.clone()),
        Val::from(t.extractor.clone()),
        Val::from(t.text.clone()),
        Val::from(t.extracted_at.clone()),
    ]
}

/// What an item supersedes: the same writer's items for the organisation and group written
/// from other inputs, and the item itself when a pending one is being retried.
pub const DELETE_SUPERSEDED: &str = "DELETE FROM position_items WHERE id = $1 OR (org_key = $2 AND grp = $3 \
     AND writer = $4 AND coalesce(model, '') = coalesce($5, '') AND prompt_version = $6)";

pub fn superseded_row(item: &NewPositionItem) -> RowVals {
    vec![
        Val::from(item.id.clone()),
        Val::from(crate::keys::org_key(&item.org_key)),
        Val::from(item.group.clone()),
        Val::from(item.writer.clone()),
        Val::from(item.model.clone()),
        Val::from(item.prompt_version.clone()),
    ]
}

pub const INSERT_ITEM: &str = "INSERT INTO position_items (id, org_key, grp, writer, model, prompt_version, status, \
     error, headline, date, written_at, prompt_tokens, completion_tokens, sources) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

pub fn item_row(item: &NewPositionItem) -> RowVals {
    vec![
        Val::from(item.id.clone()),
        Val::from(crate::keys::org_key(&item.org_key)),
        Val::from(item.group.clone()),
        Val::from(item.writer.clone()),
        Val::from(item.model.clone()),
        Val::from(item.prompt_version.clone()),
        Val::from(item.status.as_str()),
        Val::from(item.error.clone()),
        Val::from(item.headline.clone()),
        Val::from(crate::rows::date(&item.date)),
        Val::from(item.written_at.clone()),
        Val::from(item.prompt_tokens.map(|n| n as i64)),
        Val::from(item.completion_tokens.map(|n| n as i64)),
        Val::from(crate::rows::json(&item.sources)),
    ]
}

pub const SENTENCE_COLUMNS: &str = "item_id, position, part, text, kept, reason, score";

pub fn sentence_rows(item: &NewPositionItem) -> Vec<RowVals> {
    item.sentences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            vec![
                Val::from(item.id.clone()),
                Val::from(i as i64),
                Val::from(s.part.as_str()),
                Val::from(s.text.clone()),
                Val::from(s.kept),
                Val::from(s.reason.clone()),
                Val::from(Some(s.score)),
            ]
        })
        .collect()
}

pub const CITATION_COLUMNS: &str = "item_id, sentence, position, source, span_start, span_end, quote";

pub fn citation_rows(item: &NewPositionItem) -> Vec<RowVals> {
    let mut rows = Vec::new();
    for (i, s) in item.sentences.iter().enumerate() {
        for (j, c) in s.citations.iter().enumerate() {
            rows.push(vec![
                Val::from(item.id.clone()),
                Val::from(i as i64),
                Val::from(j as i64),
                Val::from(c.source.clone()),
                Val::from(c.start as i64),
                Val::from(c.end as i64),
                Val::from(c.quote.clone()),
            ]);
        }
    }
    rows
}

/// One item shown per organisation and group (parameters: key, group): the newest written one
/// with a kept sentence.
pub const MARK_SHOWN: &str = "UPDATE position_items SET shown = CASE WHEN id = (\
         SELECT p.id FROM position_items p WHERE p.org_key = $1 AND p.grp = $2 AND p.status = 'written' \
         AND EXISTS (SELECT 1 FROM position_sentences s WHERE s.item_id = p.id AND s.kept) \
         ORDER BY p.written_at DESC, p.id LIMIT 1) THEN 1 ELSE 0 END \
     WHERE org_key = $1 AND grp = $2";

/// Sentences of items, by item id, in order: from rows of `item_id, part, text, kept, reason,
/// score` ordered by item and position, then citations from rows of `item_id, sentence,
/// source, span_start, span_end, quote` ordered by item, sentence and position.
#[derive(Default)]
pub struct Sentences(pub HashMap<String, Vec<CheckedSentence>>);

impl Sentences {
    pub fn add_sentence(&mut self, c: &Cols) -> Result<()> {
        self.0.entry(c.get(0)?).or_default().push(CheckedSentence {
            part: c.parse(1, |p| Part::parse(p).ok_or("unknown part"))?,
            text: c.get(2)?,
            citations: Vec::new(),
            kept: c.get(3)?,
            reason: c.get(4)?,
            score: c.get(5)?,
        });
        Ok(())
    }

    pub fn add_citation(&mut self, c: &Cols) -> Result<()> {
        let sentence = c.index(1)?;
        let slot = self.0.get_mut(c.get::<&str>(0)?).and_then(|s| s.get_mut(sentence));
        let slot = slot.ok_or_else(|| corrupt("a citation of a sentence that is not stored"))?;
        slot.citations.push(Citation { source: c.get(2)?, start: c.index(3)?, end: c.index(4)?, quote: c.get(5)? });
        Ok(())
    }
}

/// What [`source`] reads of a backend.
#[async_trait]
pub trait SourceReads: Sync {
    async fn response(&self, id: u64) -> Result<Option<ResponseView>>;
    async fn source_text(&self, id: &str) -> Result<Option<SourceTextRecord>>;
    async fn register_entry(&self, id: &RegisterId, snapshot: &str) -> Result<Option<StoredRegisterEntry>>;
    async fn key_of_register_id(&self, id: &RegisterId) -> Result<Option<OrgKey>>;
    async fn org_name(&self, key: &OrgKey) -> Result<Option<String>>;
}

async fn name_of(src: &impl SourceReads, key: Option<&OrgKey>) -> Result<Option<String>> {
    match key {
        Some(key) => src.org_name(key).await,
        None => Ok(None),
    }
}

/// A text position items may cite, by its `SourceRef` text form.
pub async fn source(src: &impl SourceReads, id: &str) -> Result<Option<SourceView>> {
    let Some(reference) = SourceRef::parse(id) else { return Ok(None) };
    match reference {
        SourceRef::Response(response) => {
            let Some(r) = src.response(response).await? else { return Ok(None) };
            let organisation = name_of(src, r.org_key.as_ref()).await?.or(r.organization);
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
            let Some(text) = src.source_text(id).await? else { return Ok(None) };
            let Some(r) = src.response(response).await? else { return Ok(None) };
            let organisation = name_of(src, r.org_key.as_ref()).await?.or(r.organization);
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
            let Some(stored) = src.register_entry(&register_id, &snapshot.to_string()).await? else { return Ok(None) };
            let (kind, text) = match field {
                RegisterText::Goals => (SourceTextKind::RegisterGoals, stored.entry.goals.clone()),
                RegisterText::Proposals => {
                    (SourceTextKind::RegisterProposals, stored.entry.eu_legislative_proposals.clone())
                }
            };
            let Some(text) = text else { return Ok(None) };
            let org_key = src.key_of_register_id(&register_id).await?;
            Ok(Some(SourceView {
                id: id.to_owned(),
                kind,
                organisation: name_of(src, org_key.as_ref()).await?.or(Some(stored.entry.name.clone())),
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

/// Items as timelines show them, in the order of `ids`, from their rows and sentences.
pub fn items_in_order(ids: &[String], rows: Vec<ItemRow>, mut sentences: Sentences) -> Vec<PositionItemView> {
    let mut items: HashMap<String, PositionItemView> = rows.into_iter().map(|r| (r.view.id.clone(), r.view)).collect();
    ids.iter()
        .filter_map(|id| items.remove(id))
        .map(|mut item| {
            (item.sentences, item.dropped) = shown_sentences(&sentences.0.remove(&item.id).unwrap_or_default());
            item
        })
        .collect()
}

/// One item with every verdict, shown or not.
pub fn detail(mut row: ItemRow, mut sentences: Sentences) -> PositionDetail {
    let verdicts = sentences.0.remove(&row.view.id).unwrap_or_default();
    (row.view.sentences, row.view.dropped) = shown_sentences(&verdicts);
    PositionDetail {
        item: row.view,
        status: row.status,
        error: row.error,
        prompt_tokens: row.prompt_tokens,
        completion_tokens: row.completion_tokens,
        verdicts,
    }
}
