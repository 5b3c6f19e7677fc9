//! What each record is in the index: its words, its facets, its date and weight.

use chrono::{Datelike, NaiveDate};
use lobbyscope_domain::{Institution, OrgKey, PersonKey};
use lobbyscope_store::{InitiativeView, MeetingView, OrganisationDocument, PersonDocument, PersonKind, ResponseView};
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
}

impl DocKind {
    pub const ALL: [DocKind; 5] =
        [DocKind::Organisation, DocKind::Person, DocKind::Meeting, DocKind::Response, DocKind::Initiative];

    /// The facet value and the `kind` field's term.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Organisation => "organisation",
            DocKind::Person => "person",
            DocKind::Meeting => "meeting",
            DocKind::Response => "response",
            DocKind::Initiative => "initiative",
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
}

impl DocId {
    pub fn kind(&self) -> DocKind {
        match self {
            DocId::Organisation(_) => DocKind::Organisation,
            DocId::Person(_) => DocKind::Person,
            DocId::Meeting(_) => DocKind::Meeting,
            DocId::Response(_) => DocKind::Response,
            DocId::Initiative(_) => DocKind::Initiative,
        }
    }

    /// The id as the index stores it, readable by [`DocId::read`].
    pub fn stored(&self) -> String {
        match self {
            DocId::Organisation(k) => k.url_segment(),
            DocId::Person(k) => k.api_form(),
            DocId::Meeting(id) => id.to_string(),
            DocId::Response(id) | DocId::Initiative(id) => id.to_string(),
        }
    }

    pub fn read(kind: DocKind, stored: &str) -> Option<DocId> {
        Some(match kind {
            DocKind::Organisation => DocId::Organisation(OrgKey::from_url_segment(stored)?),
            DocKind::Person => DocId::Person(PersonKey::from_api_form(stored)?),
            DocKind::Meeting => DocId::Meeting(lobbyscope_domain::MeetingId::parse(stored)?),
            DocKind::Response => DocId::Response(stored.parse().ok()?),
            DocKind::Initiative => DocId::Initiative(stored.parse().ok()?),
        })
    }

    /// The term an update replaces the document by.
    pub fn uid(&self) -> String {
        format!("{} {}", self.kind().as_str(), self.stored())
    }
}

/// The facets' roots, in the order pages show them.
pub const FACETS: [&str; 7] = ["kind", "institution", "year", "country", "respondent", "capacity", "language"];

/// Builds documents; holds the language detector, which is costly to make.
pub struct Builder<'f> {
    fields: &'f Fields,
    detect: Detect,
}

/// A document being filled.
struct Doc<'f> {
    fields: &'f Fields,
    doc: TantivyDocument,
    words: String,
}

impl<'f> Doc<'f> {
    fn new(fields: &'f Fields, id: &DocId, title: &str) -> Doc<'f> {
        let mut doc = TantivyDocument::default();
        doc.add_text(fields.uid, id.uid());
        doc.add_text(fields.kind, id.kind().as_str());
        doc.add_text(fields.id, id.stored());
        doc.add_text(fields.title, title);
        doc.add_facet(fields.facets, facet("kind", id.kind().as_str()));
        Doc { fields, doc, words: String::new() }
    }

    /// Text searched by word; pieces are kept apart so a phrase cannot run across two of them.
    fn words(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        if !self.words.is_empty() {
            // A full stop and a line break: no phrase runs across two fields' texts.
            self.words.push_str(" .\n");
        }
        self.words.push_str(text);
    }

    fn name(&mut self, name: &str) {
        self.doc.add_text(self.fields.name, name);
        self.words(name);
    }

    fn facet(&mut self, root: &str, value: &str) {
        let value = value.trim();
        if !value.is_empty() {
            self.doc.add_facet(self.fields.facets, facet(root, value));
        }
    }

    fn date(&mut self, date: Option<NaiveDate>) {
        if let Some(date) = date {
            self.doc.add_i64(self.fields.date, i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE);
            self.facet("year", &date.year().to_string());
        }
    }

    fn finish(mut self, language: Option<Language>) -> TantivyDocument {
        if let Some(language) = language {
            self.doc.add_facet(self.fields.facets, facet("language", language.code()));
            if let Some(field) = self.fields.stemmed_field(language) {
                self.doc.add_text(field, &self.words);
            }
        }
        self.doc.add_text(self.fields.text, &self.words);
        self.doc
    }
}

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

impl<'f> Builder<'f> {
    pub fn new(fields: &'f Fields) -> Builder<'f> {
        Builder { fields, detect: Detect::default() }
    }

    pub fn organisation(&self, o: &OrganisationDocument) -> TantivyDocument {
        let org = &o.organisation;
        let mut doc = Doc::new(self.fields, &DocId::Organisation(org.key.clone()), &org.name);
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
        doc.doc.add_u64(self.fields.weight, o.counts.total());
        doc.finish(language)
    }

    pub fn person(&self, p: &PersonDocument) -> TantivyDocument {
        let mut doc = Doc::new(self.fields, &DocId::Person(p.key.clone()), &p.name);
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
        doc.doc.add_u64(self.fields.weight, p.meetings);
        // Names and titles are no language's prose.
        doc.finish(None)
    }

    pub fn meeting(&self, m: &MeetingView) -> TantivyDocument {
        let mut doc = Doc::new(self.fields, &DocId::Meeting(m.id.clone()), &m.subject);
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
        doc.finish(self.detect.language(&m.subject))
    }

    pub fn response(&self, r: &ResponseView) -> TantivyDocument {
        let title = r.organization.clone().or_else(|| r.initiative_title.clone()).unwrap_or_default();
        let mut doc = Doc::new(self.fields, &DocId::Response(r.id), &title);
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
        doc.finish(language)
    }

    pub fn initiative(&self, i: &InitiativeView) -> TantivyDocument {
        let mut doc = Doc::new(self.fields, &DocId::Initiative(i.id), &i.short_title);
        doc.words(&i.short_title);
        for piece in [&i.reference, &i.dg, &i.foreseen_act_type].into_iter().flatten() {
            doc.words(piece);
        }
        for t in &i.topics {
            doc.words(t);
        }
        doc.facet("institution", institution_label(Institution::Commission));
        doc.date(i.published_date.map(|d| d.date()));
        doc.finish(self.detect.language(&i.short_title))
    }
}

/// The institution facet's values.
pub fn institution_label(i: Institution) -> &'static str {
    match i {
        Institution::Commission => "European Commission",
        Institution::Parliament => "European Parliament",
    }
}

/// A facet's value as shown: the last part of its path.
pub fn facet_value(f: &Facet) -> String {
    f.to_path().last().map(|s| (*s).to_owned()).unwrap_or_default()
}

/// The date field's day back as a date.
pub fn day(days: i64) -> Option<NaiveDate> {
    i32::try_from(days + UNIX_EPOCH_DAYS_FROM_CE).ok().and_then(NaiveDate::from_num_days_from_ce_opt)
}
