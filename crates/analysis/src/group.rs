//! Which sources make one position item: each consultation response with its attachments'
//! text, and the register's goals with the EU proposals the organisation follows.

use lobbyscope_domain::{RegisterText, SourceRef, When, content_hash};
use lobbyscope_store::{OrgKey, PositionInputs};
use serde::Serialize;

use crate::passage::SourceText;
use crate::writer::Writer;

/// The sources of one position item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// `response:<id>` or `register:<register id>`: one shown item per organisation and key.
    pub key: String,
    /// The date the item carries: the response's, or the register entry's last update.
    pub date: Option<When>,
    /// What the sources answer (the consultation's title), when known.
    pub topic: Option<String>,
    /// Context first (`organisation:`, `initiative:`), then the citable texts.
    pub sources: Vec<SourceText>,
}

/// Sources that give a writer context but are never cited: the organisation's name and the
/// consultation's title are not the organisation's position.
pub fn is_context(id: &str) -> bool {
    id.starts_with("organisation:") || id.starts_with("initiative:")
}

impl Group {
    pub fn citable_ids(&self) -> Vec<String> {
        self.sources.iter().filter(|s| !is_context(&s.id)).map(|s| s.id.clone()).collect()
    }

    /// The item's cache key: everything that could change what the writer produces. Source
    /// texts are hashed one by one, so a changed response, attachment or title gives a new key.
    pub fn item_id(&self, org: &OrgKey, writer: &dyn Writer) -> String {
        #[derive(Serialize)]
        struct Key<'a> {
            org: &'a str,
            group: &'a str,
            writer: &'a str,
            model: Option<&'a str>,
            prompt_version: &'a str,
            sources: Vec<(&'a str, String)>,
        }
        // The address form, which is what keys were before they were typed: item ids stay.
        let org = org.url_segment();
        let key = Key {
            org: &org,
            group: &self.key,
            writer: writer.name(),
            model: writer.model(),
            prompt_version: writer.prompt_version(),
            sources: self.sources.iter().map(|s| (s.id.as_str(), content_hash(&s.text))).collect(),
        };
        content_hash(&key)[..32].to_string()
    }

    /// A headline that claims nothing: used when the writer's own headline is not supported by
    /// the passages its item cites.
    pub fn neutral_headline(&self, organisation: &str) -> String {
        match (&self.topic, self.key.starts_with("register:")) {
            (Some(topic), _) => format!("{organisation} on {topic}"),
            (None, true) => format!("{organisation}: goals and interests, as registered"),
            (None, false) => format!("{organisation}: response to a consultation"),
        }
    }
}

/// One group per response with any text (its own or an attachment's), oldest first, then one
/// for the register text when there is any.
pub fn groups(inputs: &PositionInputs) -> Vec<Group> {
    let org = &inputs.organisation;
    let context =
        SourceText { id: format!("organisation:{}", org.key.url_segment()), date: None, text: org.name.clone() };
    let mut out = Vec::new();
    for r in &inputs.responses {
        let mut sources = vec![context.clone()];
        if let Some(title) = &r.initiative_title {
            let id = r
                .initiative_id
                .map_or_else(|| format!("initiative:of-response-{}", r.id), |i| format!("initiative:{i}"));
            sources.push(SourceText { id, date: None, text: title.clone() });
        }
        let date = r.date.map(When::Moment);
        let own = [SourceText { id: SourceRef::Response(r.id).to_string(), date, text: r.text.clone() }];
        let attached = inputs.attachment_texts.iter().filter(|t| t.response_id == r.id).map(|t| SourceText {
            id: t.id.clone(),
            date,
            text: t.text.clone(),
        });
        let texts: Vec<SourceText> = own.into_iter().chain(attached).filter(|s| !s.text.trim().is_empty()).collect();
        if texts.is_empty() {
            continue;
        }
        sources.extend(texts);
        out.push(Group {
            key: SourceRef::Response(r.id).to_string(),
            date,
            topic: r.initiative_title.clone(),
            sources,
        });
    }
    if let Some(reg) = &inputs.register {
        let (id, snapshot) = (&reg.register_id, reg.snapshot_date);
        let date = When::Day(reg.last_update_date.unwrap_or(snapshot));
        let mut sources = vec![context];
        for (field, text) in
            [(RegisterText::Goals, &reg.goals), (RegisterText::Proposals, &reg.eu_legislative_proposals)]
        {
            if let Some(text) = text.as_ref().filter(|t| !t.trim().is_empty()) {
                let id = SourceRef::Register { id: id.clone(), snapshot, field }.to_string();
                sources.push(SourceText { id, date: Some(date), text: text.clone() });
            }
        }
        if sources.len() > 1 {
            out.push(Group { key: format!("register:{}", id.as_str()), date: Some(date), topic: None, sources });
        }
    }
    out
}
