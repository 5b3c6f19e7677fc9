//! The index's fields and how their text is cut into words.
//!
//! Every document's words go into `text`, folded (lower case, accents off) and never stemmed,
//! so an exact word is always found; a document whose language is known and has a stemmer also
//! goes, stemmed, into that language's own field (`text_fr`, …), so "banques" finds "banque" in
//! French texts without stemming German ones by French rules. Organisation and person names
//! also go into `name`, which name suggestions search and every search weighs higher.

use std::borrow::Cow;

use frostem::Algorithm;
use tantivy::Index;
use tantivy::schema::{
    FAST, Facet, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token, TokenFilter, TokenStream,
    Tokenizer,
};

use crate::lang::{self, Language};

/// Bump when documents change shape: an index of another version is rebuilt.
pub const VERSION: u32 = 2;

/// Words longer than this are not indexed (base64, URLs run together).
const LONGEST_WORD: usize = 60;

const NEUTRAL: &str = "neutral";

/// The index's fields.
#[derive(Clone)]
pub struct Fields {
    pub schema: Schema,
    /// Which document this is: its kind and id (`meeting 3f…-1`); what updates replace by.
    pub uid: Field,
    /// `organisation`, `person`, `meeting`, `response`, `initiative`.
    pub kind: Field,
    /// The record's id as its kind writes it (a register ID or `n:…`, `mep:…`, a meeting id, …).
    pub id: Field,
    /// A short title to show without asking the store (suggestions).
    pub title: Field,
    pub text: Field,
    pub name: Field,
    /// One per stemmed language, in the order of `lang::ALL` (languages without a stemmer
    /// have none).
    pub stemmed: Vec<(Language, Field)>,
    /// `/kind/…`, `/institution/…`, `/year/…`, `/country/…`, `/respondent/…`, `/capacity/…`,
    /// `/language/…`.
    pub facets: Field,
    /// Days since 1970-01-01 (0 for undated records), for sorting by date.
    pub date: Field,
    /// How active an organisation or person is (meetings and responses); 0 for records.
    pub weight: Field,
}

impl Fields {
    pub(crate) fn new() -> Fields {
        let mut b = Schema::builder();
        let uid = b.add_text_field("uid", STRING);
        let kind = b.add_text_field("kind", STRING | STORED);
        let id = b.add_text_field("id", STORED);
        let title = b.add_text_field("title", STORED);
        let text = b.add_text_field("text", text_options(NEUTRAL, IndexRecordOption::WithFreqsAndPositions));
        let name = b.add_text_field("name", text_options(NEUTRAL, IndexRecordOption::WithFreqsAndPositions));
        let stemmed = lang::ALL
            .into_iter()
            .filter(|l| l.stemmer().is_some())
            .map(|l| {
                let options = text_options(&stem_tokenizer(l), IndexRecordOption::WithFreqsAndPositions);
                (l, b.add_text_field(&format!("text_{}", l.code()), options))
            })
            .collect();
        let facets = b.add_facet_field("facets", FacetOptions::default());
        let date = b.add_i64_field("date", FAST | INDEXED);
        let weight = b.add_u64_field("weight", FAST);
        Fields { schema: b.build(), uid, kind, id, title, text, name, stemmed, facets, date, weight }
    }

    /// The stemmed field of a language, if it has a stemmer.
    pub fn stemmed_field(&self, language: Language) -> Option<Field> {
        self.stemmed.iter().find(|(l, _)| *l == language).map(|(_, f)| *f)
    }
}

fn text_options(tokenizer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(record))
}

/// The name a language's stemming analyzer is registered under.
pub(crate) fn stem_tokenizer(language: Language) -> String {
    format!("stem_{}", language.code())
}

/// Registers the analyzers the fields name; an index opened or created must have them.
pub fn register_tokenizers(index: &Index) {
    let manager = index.tokenizers();
    manager.register(NEUTRAL, neutral_analyzer());
    for l in lang::ALL {
        if let Some(algorithm) = l.stemmer() {
            let analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(RemoveLongFilter::limit(LONGEST_WORD))
                .filter(LowerCaser)
                .filter(Stem(algorithm))
                .build();
            manager.register(&stem_tokenizer(l), analyzer);
        }
    }
}

/// Words as they are, lower case, accents folded to ASCII where they fold.
pub fn neutral_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(LONGEST_WORD))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// A facet value: its root and the value as published (slashes in it are escaped by `Facet`).
pub fn facet(root: &str, value: &str) -> Facet {
    Facet::from_path([root, value])
}

// tantivy's own stemmer filter knows fewer languages than the Snowball crate it uses (no
// Czech, Estonian, Irish, Lithuanian or Polish), so the filter is ours, over the same crate.
#[derive(Clone)]
struct Stem(Algorithm);

impl TokenFilter for Stem {
    type Tokenizer<T: Tokenizer> = StemTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> StemTokenizer<T> {
        StemTokenizer { algorithm: self.0, inner }
    }
}

#[derive(Clone)]
struct StemTokenizer<T> {
    algorithm: Algorithm,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for StemTokenizer<T> {
    type TokenStream<'a> = StemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemStream { tail: self.inner.token_stream(text), stemmer: frostem::Stemmer::new(self.algorithm) }
    }
}

struct StemStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
}

impl<T: TokenStream> TokenStream for StemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        // A borrowed stem may still be shorter than the word: only the word itself is kept as is.
        let stemmed = match self.stemmer.stem(&token.text) {
            Cow::Owned(stem) => Some(stem),
            Cow::Borrowed(stem) if stem.len() != token.text.len() => Some(stem.to_owned()),
            Cow::Borrowed(_) => None,
        };
        if let Some(stem) = stemmed {
            token.text = stem;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}
