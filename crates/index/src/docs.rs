//! What each record is in the index: its words, its facets, its date and weight.

use chrono::{Datelike, NaiveDate};
use lobbyscope_domain::{Institution, OrgKey, PersonKey, When};
use lobbyscope_store::{
    InitiativeView, MeetingView, OrganisationDocument, PersonDocument, PersonKind, PositionItemView, ResponseView,
    SourceTextRecord,
};
use tantivy::TantivyDocument;
use tantivy::schema::Facet;

use crate::lang::{Detect, Language};
use crate::schema::{Fields, facet};

/// The kinds of document the index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    Organisation,
    Person,
    Meeting,
    Response,
    Initiative,
    Position,
}

impl DocKind {
    pub const ALL: [DocKind; 6] = [
        DocKind::Organisation,
        DocKind::Person,
        DocKind::Meeting,
        DocKind::Response,
        DocKind::Initiative,
        DocKind::Position,
    ];

    /// The facet value and the `kind` field's term.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Organisation => "organisation",
            DocKind::Person => "person",
            DocKind::Meeting => "meeting",
            DocKind::Response => "response",
            DocKind::Initiative => "initiative",
            DocKind::Position => "position",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A record found: its kind and its id in the form `Hit` reads back.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DocId {
    Organisation(OrgKey),
    Person(PersonKey),
    Meeting(lobbyscope_domain::MeetingId),
    Response(u64),
    Initiative(u64),
    /// A position item, by its id.
    Position(String),
}

impl DocId {
    pub fn kind(&self) -> DocKind {
        match self {
            DocId::Organisation(_) => DocKind::Organisation,
            DocId::Person(_) => DocKind::Person,
            DocId::Meeting(_) => DocKind::Meeting,
            DocId::Response(_) => DocKind::Response,
            DocId::Initiative(_) => DocKind::Initiative,
            DocId::Position(_) => DocKind::Position,
        }
    }

    /// The id as the index stores it, readable by [`DocId::read`].
    pub fn stored(&self) -> String {
        match self {
            DocId::Organisation(k) => k.url_segment(),
            DocId::Person(k) => k.api_form(),
            DocId::Meeting(id) => id.to_string(),
            DocId::Response(id) | DocId::Initiative(id) => id.to_string(),
            DocId::Position(id) => id.clone(),
        }
    }

    pub fn read(kind: DocKind, stored: &str) -> Option<DocId> {
        Some(match kind {
            DocKind::Organisation => DocId::Organisation(OrgKey::from_url_segment(stored)?),
            DocKind::Person => DocId::Person(PersonKey::from_api_form(stored)?),
            DocKind::Meeting => DocId::Meeting(lobbyscope_domain::MeetingId::parse(stored)?),
            DocKind::Response => DocId::Response(stored.parse().ok()?),
            DocKind::Initiative => DocId::Initiative(stored.parse().ok()?),
            DocKind::Position => DocId::Position(Some(stored).filter(|s| !s.is_empty())?.to_owned()),
        })
    }

    /// The term an update replaces the document by.
    pub fn uid(&self) -> String {
        format!("{} {}", self.kind().as_str(), self.stored())
    }
}

/// The facets' roots, in the order pages show them.
pub const FACETS: [&str; 7] = ["kind", "institution", "year", "country", "respondent", "capacity", "language"];

/// The most text of one record the index holds: far more than any consultation response or
/// meeting the sources publish (the portal caps responses at a few thousand characters), so
/// only a pathological record is cut, and the index's memory and size stay bounded whatever a
/// file holds.
pub const MAX_TEXT_BYTES: usize = 256 << 10;

/// A record as the index sees it, before it is laid into the index's fields: what the search
/// benchmark also gives SQLite FTS5, so that both search the same text.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatDoc {
    pub id: DocId,
    pub title: String,
    /// Organisation and person names, also in `text`.
    pub names: Vec<String>,
    /// Every searched text, its pieces apart (no phrase runs from one into the next).
    pub text: String,
    /// Besides `kind`: `(root, value)` of `FACETS`.
    pub facets: Vec<(&'static str, String)>,
    pub language: Option<Language>,
    pub date: Option<NaiveDate>,
    pub weight: u64,
}

impl FlatDoc {
    fn new(id: DocId, title: &str) -> FlatDoc {
        FlatDoc {
            id,
            title: title.to_owned(),
            names: Vec::new(),
            text: String::new(),
            facets: Vec::new(),
            language: None,
            date: None,
            weight: 0,
        }
    }

    /// Text searched by word, up to [`MAX_TEXT_BYTES`] in all.
    fn words(&mut self, text: &str) {
        let room = MAX_TEXT_BYTES.saturating_sub(self.text.len() + 3);
        let mut text = text.trim();
        if text.is_empty() || room == 0 {
            return;
        }
        if text.len() > room {
            let mut end = room;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text = &text[..end];
        }
        if !self.text.is_empty() {
            // A full stop and a line break: no phrase runs across two pieces.
            self.text.push_str(" .\n");
        }
        self.text.push_str(text);
    }

    fn name(&mut self, name: &str) {
        self.names.push(name.to_owned());
        self.words(name);
    }

    fn facet(&mut self, root: &'static str, value: &str) {
        let value = value.trim();
        if !value.is_empty() {
            self.facets.push((root, value.to_owned()));
        }
    }

    fn date(&mut self, date: Option<NaiveDate>) {
        self.date = date;
        if let Some(date) = date {
            self.facet("year", &date.year().to_string());
        }
    }

    /// The document in the index's fields.
    pub(crate) fn to_tantivy(&self, fields: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.uid, self.id.uid());
        doc.add_text(fields.kind, self.id.kind().as_str());
        doc.add_text(fields.id, self.id.stored());
        doc.add_text(fields.title, &self.title);
        doc.add_facet(fields.facets, facet("kind", self.id.kind().as_str()));
        for (root, value) in &self.facets {
            doc.add_facet(fields.facets, facet(root, value));
        }
        for name in &self.names {
            doc.add_text(fields.name, name);
        }
        if let Some(date) = self.date {
            doc.add_i64(fields.date, i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE);
        }
        doc.add_u64(fields.weight, self.weight);
        if let Some(language) = self.language {
            doc.add_facet(fields.facets, facet("language", language.code()));
            if let Some(field) = fields.stemmed_field(language) {
                doc.add_text(field, &self.text);
            }
        }
        doc.add_text(fields.text, &self.text);
        doc
    }
}

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// Builds documents; holds the language detector, which is costly to make.
#[derive(Default)]
pub struct Builder {
    detect: Detect,
}

impl Builder {
    pub fn organisation(&self, o: &OrganisationDocument) -> FlatDoc {
        let org = &o.organisation;
        let mut doc = FlatDoc::new(DocId::Organisation(org.key.clone()), &org.name);
        doc.name(&org.name);
        if let Some(acronym) = &org.acronym {
            doc.name(acronym);
        }
        for name in &o.names {
            doc.name(name);
        }
        if let Some(id) = &org.register_id {
            doc.words(id.as_str());
        }
        if let Some(category) = &o.category {
            doc.words(category);
        }
        let language = o.goals.as_deref().and_then(|g| self.detect.language(g));
        if let Some(goals) = &o.goals {
            doc.words(goals);
        }
        if let Some(country) = &o.country {
            doc.facet("country", country);
        }
        doc.weight = o.counts.total();
        doc.language = language;
        doc
    }

    pub fn person(&self, p: &PersonDocument) -> FlatDoc {
        let mut doc = FlatDoc::new(DocId::Person(p.key.clone()), &p.name);
        doc.name(&p.name);
        for name in &p.names {
            doc.name(name);
        }
        for role in &p.roles {
            doc.words(role);
        }
        doc.facet(
            "institution",
            match p.kind {
                PersonKind::Mep => institution_label(Institution::Parliament),
                PersonKind::Commission => institution_label(Institution::Commission),
            },
        );
        doc.weight = p.meetings;
        // Names and titles are no language's prose: no language.
        doc
    }

    pub fn meeting(&self, m: &MeetingView) -> FlatDoc {
        let mut doc = FlatDoc::new(DocId::Meeting(m.id.clone()), &m.subject);
        doc.words(&m.subject);
        for host in &m.hosts {
            doc.words(&host.name);
            if let Some(role) = &host.role {
                doc.words(role);
                if m.institution == Institution::Parliament {
                    doc.facet("capacity", role);
                }
            }
        }
        for a in &m.attendees {
            doc.words(&a.name);
            if let Some(published) = a.published_name.as_ref().filter(|p| **p != a.name) {
                doc.words(published);
            }
            if let Some(id) = &a.register_id {
                doc.words(id.as_str());
            }
        }
        for piece in [&m.cabinet, &m.dg, &m.dg_acronym, &m.portfolio, &m.location].into_iter().flatten() {
            doc.words(piece);
        }
        for p in &m.procedures {
            doc.words(p);
        }
        doc.facet("institution", institution_label(m.institution));
        doc.date(Some(m.date));
        doc.language = self.detect.language(&m.subject);
        doc
    }

    /// A response with the texts extracted from its attachments (`texts`, its own only).
    pub fn response(&self, r: &ResponseView, texts: &[SourceTextRecord]) -> FlatDoc {
        let title = r.organization.clone().or_else(|| r.initiative_title.clone()).unwrap_or_default();
        let mut doc = FlatDoc::new(DocId::Response(r.id), &title);
        doc.words(&r.text);
        if let Some(org) = &r.organization {
            doc.words(org);
        }
        if let Some(title) = &r.initiative_title {
            doc.words(title);
        }
        for a in &r.attachments {
            for piece in [&a.title, &a.file_name].into_iter().flatten() {
                doc.words(piece);
            }
        }
        // After the response's own words, so that a long attachment is what the size bound
        // cuts. An attachment is taken to be in the response's language: its exact words are
        // found whatever it is in.
        for t in texts {
            doc.words(&t.text);
        }
        if let Some(t) = &r.user_type {
            doc.facet("respondent", t);
        }
        if let Some(c) = &r.country {
            doc.facet("country", c);
        }
        doc.facet("institution", institution_label(Institution::Commission));
        doc.date(r.date.map(|d| d.date()));
        // The portal says which language a response was written in; the text is asked only when
        // it does not.
        let language = r.language.as_deref().and_then(Language::from_code).or_else(|| self.detect.language(&r.text));
        doc.language = language;
        doc
    }

    pub fn initiative(&self, i: &InitiativeView) -> FlatDoc {
        let mut doc = FlatDoc::new(DocId::Initiative(i.id), &i.short_title);
        doc.words(&i.short_title);
        for piece in [&i.reference, &i.dg, &i.foreseen_act_type].into_iter().flatten() {
            doc.words(piece);
        }
        for t in &i.topics {
            doc.words(t);
        }
        doc.facet("institution", institution_label(Institution::Commission));
        doc.date(i.published_date.map(|d| d.date()));
        doc.language = self.detect.language(&i.short_title);
        doc
    }

    /// A position item: its headline and the sentences pages show (what the checker kept).
    pub fn position(&self, p: &PositionItemView) -> FlatDoc {
        let mut doc = FlatDoc::new(DocId::Position(p.id.clone()), &p.headline);
        doc.words(&p.headline);
        for s in &p.sentences {
            doc.words(&s.text);
        }
        doc.date(p.date.map(When::day));
        doc.language = self.detect.language(&doc.text);
        doc
    }
}

/// The institution facet's values.
fn institution_label(i: Institution) -> &'static str {
    match i {
        Institution::Commission => "European Commission",
        Institution::Parliament => "European Parliament",
    }
}

/// A facet's value as shown: the last part of its path.
pub(crate) fn facet_value(f: &Facet) -> String {
    f.to_path().last().map(|s| (*s).to_owned()).unwrap_or_default()
}
