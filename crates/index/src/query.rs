//! A query as people type it, turned into the index's query.
//!
//! The grammar is tantivy's (words, `"phrases"`, `"phrase prefix"*`, `word*`, `AND`, `OR`,
//! `NOT`, `-word`, `+word`, parentheses), but its fields, ranges, sets and regular expressions
//! are not offered: a word before a colon is searched as a word, and anything else the site
//! does not understand is said so. Each word is looked for in every searched field, cut as that
//! field cuts its text (folded, or stemmed in a language), and matches if any field has it; a
//! quoted word or phrase, and a prefix, only among the exact words; words without an operator
//! must all match.

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, DisjunctionMaxQuery, EmptyQuery, FuzzyTermQuery, Occur, PhrasePrefixQuery,
    PhraseQuery, Query, TermQuery,
};
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use crate::schema::{Fields, neutral_analyzer, stem_tokenizer};

/// How much more a word in an organisation's or person's name counts than one in a text.
const NAME_BOOST: f32 = 2.0;

/// The most words and phrases a query may hold: each costs a lookup in every field.
pub const MAX_TERMS: usize = 32;

/// A query read: what to run, and what of it could not be read as written.
pub struct Parsed {
    pub query: Box<dyn Query>,
    /// Plain-language notes on parts of the query that were read otherwise than written or
    /// left out; empty when it was read as written.
    pub notes: Vec<String>,
    /// Whether the query holds any word at all.
    pub matches_anything: bool,
}

/// Cuts query text as each searched field cuts its documents' text.
pub struct QueryReader {
    fields: Vec<(Field, TextAnalyzer, FieldUse)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FieldUse {
    /// The folded fields: prefixes are looked for here.
    Exact,
    Name,
    /// A language's stemmed field: a prefix of a word has no stem.
    Stemmed,
}

impl QueryReader {
    pub fn new(fields: &Fields, analyzer: impl Fn(&str) -> Option<TextAnalyzer>) -> QueryReader {
        let mut out =
            vec![(fields.text, neutral_analyzer(), FieldUse::Exact), (fields.name, neutral_analyzer(), FieldUse::Name)];
        for (language, field) in &fields.stemmed {
            if let Some(a) = analyzer(&stem_tokenizer(*language)) {
                out.push((*field, a, FieldUse::Stemmed));
            }
        }
        QueryReader { fields: out }
    }

    /// Reads `text`; never fails: what cannot be read is noted, and the rest is searched.
    pub fn parse(&mut self, text: &str) -> Parsed {
        let mut notes = Vec::new();
        let ast = match query_grammar::parse_query(text) {
            Ok(ast) => ast,
            Err(_) => {
                let (ast, errors) = query_grammar::parse_query_lenient(text);
                if !errors.is_empty() {
                    notes.push(
                        "Part of the query could not be read as written (an unclosed quote or bracket, or an \
                         operator with nothing beside it), so it was searched as plain words."
                            .to_owned(),
                    );
                }
                ast
            }
        };
        let mut terms = 0;
        let mut words = false;
        let query = self.ast(&ast, &mut notes, &mut terms, &mut words);
        if terms > MAX_TERMS {
            notes.push(format!("Only the first {MAX_TERMS} words and phrases of the query were searched."));
        }
        notes.dedup();
        Parsed { query: query.unwrap_or_else(|| Box::new(EmptyQuery)), notes, matches_anything: words }
    }

    fn ast(
        &mut self,
        ast: &UserInputAst,
        notes: &mut Vec<String>,
        terms: &mut usize,
        words: &mut bool,
    ) -> Option<Box<dyn Query>> {
        match ast {
            UserInputAst::Leaf(leaf) => self.leaf(leaf, notes, terms, words),
            UserInputAst::Boost(inner, boost) => {
                let inner = self.ast(inner, notes, terms, words)?;
                Some(Box::new(BoostQuery::new(inner, boost.into_inner() as f32)))
            }
            UserInputAst::Clause(clauses) => {
                let mut parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (occur, sub) in clauses {
                    let Some(q) = self.ast(sub, notes, terms, words) else { continue };
                    parts.push((occur.map(occur_of).unwrap_or(Occur::Must), q));
                }
                if parts.is_empty() {
                    return None;
                }
                // Only exclusions: everything but what they exclude.
                if parts.iter().all(|(o, _)| *o == Occur::MustNot) {
                    parts.push((Occur::Must, Box::new(AllQuery)));
                }
                Some(Box::new(BooleanQuery::new(parts)))
            }
        }
    }

    fn leaf(
        &mut self,
        leaf: &UserInputLeaf,
        notes: &mut Vec<String>,
        terms: &mut usize,
        words: &mut bool,
    ) -> Option<Box<dyn Query>> {
        match leaf {
            UserInputLeaf::Literal(literal) => {
                *terms += 1;
                if *terms > MAX_TERMS {
                    return None;
                }
                let q = self.literal(literal)?;
                *words = true;
                Some(q)
            }
            UserInputLeaf::All => {
                *words = true;
                Some(Box::new(AllQuery))
            }
            UserInputLeaf::Range { .. }
            | UserInputLeaf::Set { .. }
            | UserInputLeaf::Exists { .. }
            | UserInputLeaf::Regex { .. } => {
                notes.push(
                    "Ranges, sets, field names and patterns are not searches this site offers; that part of the \
                     query was left out. Use the filters for kinds, years and countries."
                        .to_owned(),
                );
                None
            }
        }
    }

    /// A word or phrase in every field; `field:word` is read as the two words.
    fn literal(&mut self, literal: &UserInputLiteral) -> Option<Box<dyn Query>> {
        let mut phrase = literal.phrase.clone();
        if let Some(field) = &literal.field_name {
            phrase = format!("{field} {phrase}");
        }
        // `word*`: the grammar keeps the star in the word.
        let mut prefix = literal.prefix;
        if literal.delimiter == Delimiter::None
            && !prefix
            && let Some(stripped) = phrase.strip_suffix('*').filter(|s| !s.contains('*') && !s.is_empty())
        {
            phrase = stripped.to_owned();
            prefix = true;
        }
        let quoted = literal.delimiter != Delimiter::None;
        let mut per_field: Vec<Box<dyn Query>> = Vec::new();
        for (field, analyzer, usage) in &mut self.fields {
            // A prefix of a word has no stem, and a quoted word or phrase asks for the words as
            // written: both are looked for among the exact words only (which also spares the
            // position checks of a phrase in every language's field).
            if *usage == FieldUse::Stemmed && (prefix || quoted) {
                continue;
            }
            let tokens = tokens(analyzer, *field, &phrase);
            if tokens.is_empty() {
                continue;
            }
            let q: Box<dyn Query> = match (tokens.len(), prefix) {
                (1, false) => Box::new(TermQuery::new(tokens[0].1.clone(), IndexRecordOption::WithFreqs)),
                (1, true) => Box::new(FuzzyTermQuery::new_prefix(tokens[0].1.clone(), 0, false)),
                (_, false) if quoted => {
                    let mut q = PhraseQuery::new_with_offset(tokens);
                    q.set_slop(literal.slop);
                    Box::new(q)
                }
                (_, true) => Box::new(PhrasePrefixQuery::new_with_offset(tokens)),
                // Unquoted text the field cuts into several words ("e-privacy", "COM(2020)825"):
                // all of them, together.
                (_, false) => Box::new(PhraseQuery::new_with_offset(tokens)),
            };
            per_field.push(if *usage == FieldUse::Name { Box::new(BoostQuery::new(q, NAME_BOOST)) } else { q });
        }
        if per_field.is_empty() {
            return None;
        }
        Some(Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, 0.1)))
    }
}

fn occur_of(o: query_grammar::Occur) -> Occur {
    match o {
        query_grammar::Occur::Should => Occur::Should,
        query_grammar::Occur::Must => Occur::Must,
        query_grammar::Occur::MustNot => Occur::MustNot,
    }
}

/// The terms `analyzer` cuts `text` into, with their positions.
fn tokens(analyzer: &mut TextAnalyzer, field: Field, text: &str) -> Vec<(usize, Term)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push((t.position, Term::from_field_text(field, &t.text)));
    }
    out
}
