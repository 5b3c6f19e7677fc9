//! Statements and row readers of the consultation pages and the home page that both backends
//! run as they are (`$n` parameters, which SQLite reads by position too; sums cast so that
//! both return `i64`).

use std::collections::HashMap;

use lobbyscope_store::{ResponsePage, ResponseView, Result};
use sqlx::QueryBuilder;

use crate::cols::Cols;
use crate::map::value_counts;
use crate::timeline::{Arms, Entry, EntryKind};

/// An initiative's publications (parameter: the initiative's id), each with the responses kept
/// for it (`stored`), in their order; read by `map::publication`.
pub const INITIATIVE_PUBLICATIONS: &str = "SELECT p.id, p.kind, p.reference, p.total_feedback, p.adoption_date, \
     p.attachments, (SELECT CAST(coalesce(sum(c.responses), 0) AS BIGINT) FROM publication_counts c \
       WHERE c.publication_id = p.id) AS stored \
     FROM publications p WHERE p.initiative_id = $1 ORDER BY p.position, p.id";

/// The ids of an initiative's publications (parameter: the initiative's id).
pub const PUBLICATION_IDS: &str = "SELECT id FROM publications WHERE initiative_id = $1 ORDER BY id";

/// Responses to an initiative by respondent type and country, kept per publication, where ''
/// stands for a value the source did not give (parameter: the initiative's id).
pub const INITIATIVE_COUNTS: &str = "SELECT user_type, country, CAST(sum(responses) AS BIGINT) FROM publication_counts \
     WHERE publication_id IN (SELECT id FROM publications WHERE initiative_id = $1) AND responses > 0 \
     GROUP BY user_type, country";

/// A page of the responses to `publications`: each publication's responses newest first by
/// index, merged by one compound statement, so that a deep page steps through index entries
/// and only the page comes back. Rows: `id, date`.
pub fn initiative_page_query<DB: sqlx::Database>(
    publications: &[i64],
    offset: u32,
    limit: u32,
    arms: Arms,
) -> QueryBuilder<DB>
where
    i64: for<'t> sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    let mut q = QueryBuilder::<DB>::new("");
    for (i, publication) in publications.iter().enumerate() {
        if i > 0 {
            q.push(" UNION ALL ");
        }
        if arms == Arms::Ordered {
            q.push("SELECT * FROM (");
        }
        q.push("SELECT id, date FROM feedback WHERE publication_id = ").push_bind(*publication);
        if arms == Arms::Ordered {
            q.push(format!(" ORDER BY date DESC NULLS LAST, id DESC) AS arm{i}"));
        }
    }
    // Responses without a date sort last, on every database.
    q.push(" ORDER BY date DESC NULLS LAST, id DESC LIMIT ")
        .push_bind(i64::from(limit))
        .push(" OFFSET ")
        .push_bind(i64::from(offset));
    q
}

/// A page of responses with the counts of [`INITIATIVE_COUNTS`]' rows.
pub fn response_page<'r>(items: Vec<ResponseView>, counts: impl IntoIterator<Item = Cols<'r>>) -> Result<ResponsePage> {
    let mut by_user_type: HashMap<Option<String>, u64> = HashMap::new();
    let mut by_country: HashMap<Option<String>, u64> = HashMap::new();
    for c in counts {
        let given = |v: String| Some(v).filter(|v| !v.is_empty());
        let n = c.u64(2)?;
        *by_user_type.entry(given(c.get(0)?)).or_default() += n;
        *by_country.entry(given(c.get(1)?)).or_default() += n;
    }
    let total = by_user_type.values().sum();
    Ok(ResponsePage { items, total, by_user_type: value_counts(by_user_type), by_country: value_counts(by_country) })
}

/// The newest meetings and responses of all (parameter: how many), as timeline entries: each
/// side is cut first, so that the date indexes do the work. Kinds are numbered as timelines
/// number them (responses 1, meetings 2).
pub const LATEST_ACTIVITY: &str = "SELECT kind, id FROM ( \
       SELECT kind, id, date FROM (SELECT CAST(2 AS BIGINT) AS kind, id, date FROM meetings \
         ORDER BY date DESC, id LIMIT $1) AS m \
       UNION ALL \
       SELECT kind, id, date FROM (SELECT CAST(1 AS BIGINT) AS kind, CAST(id AS TEXT) AS id, date FROM feedback \
         WHERE date IS NOT NULL ORDER BY date DESC, id LIMIT $1) AS f \
     ) AS u ORDER BY date DESC, kind, id LIMIT $1";

/// A row of [`LATEST_ACTIVITY`].
pub fn latest_entry(c: &Cols) -> Result<Entry> {
    Ok(Entry { kind: EntryKind::of(c.get(0)?), id: c.get(1)? })
}
