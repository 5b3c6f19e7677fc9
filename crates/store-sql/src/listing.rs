//! The statements that mark what a complete listing no longer holds (`Store::mark_listing`),
//! the same for both backends but for how a parameter and a bound list of text are written.

use lobbyscope_store::{ListedKind, Result, Scope, StoreError};

/// How one backend writes parameter `n` (from 1) and a subquery over a bound list of text.
pub struct Dialect {
    pub param: fn(usize) -> String,
    pub list: fn(&str) -> String,
}

/// A scope's bound values, in the order its statements name them after their own.
#[derive(Debug, Clone, PartialEq)]
pub enum ScopeValue<'a> {
    Texts(&'a [String]),
    Date(chrono::NaiveDate),
    Id(u64),
}

/// The two statements and the scope's values. `mark` binds the kind, the day, the present
/// keys, then the scope's values; `unmark` the kind, the present keys, then the scope's.
pub struct ListingSql<'a> {
    pub mark: String,
    pub unmark: String,
    pub scope: Vec<ScopeValue<'a>>,
}

/// A scope that does not fit the kind (a publication's initiatives) is an error.
pub fn statements<'a>(kind: ListedKind, scope: &'a Scope, d: &Dialect) -> Result<ListingSql<'a>> {
    lay_out(kind, scope, d)
        .ok_or_else(|| StoreError::Database(format!("a listing of {} cannot have the scope {scope:?}", kind.as_str())))
}

fn lay_out<'a>(kind: ListedKind, scope: &'a Scope, d: &Dialect) -> Option<ListingSql<'a>> {
    // What is listed: the table, the record the mark names, the key the listing gives.
    let (table, record, key) = match kind {
        ListedKind::Meetings => ("meetings t", "t.id", "t.natural_key"),
        ListedKind::Responses => ("feedback t", "CAST(t.id AS TEXT)", "CAST(t.id AS TEXT)"),
        ListedKind::Initiatives => ("initiatives t", "CAST(t.id AS TEXT)", "CAST(t.id AS TEXT)"),
        ListedKind::Registrations => ("(SELECT DISTINCT register_id AS id FROM register_entries) t", "t.id", "t.id"),
    };
    // The scope's condition, its parameters numbered from `first`.
    let condition = |first: usize| -> Option<String> {
        Some(match (kind, scope) {
            (_, Scope::Everything) => "1 = 1".to_owned(),
            (ListedKind::Meetings | ListedKind::Responses | ListedKind::Initiatives, Scope::Files(_)) => {
                format!("t.file IN ({})", (d.list)(&(d.param)(first)))
            }
            (ListedKind::Meetings, Scope::ParliamentDays { .. }) => {
                format!(
                    "t.institution = 'parliament' AND t.date BETWEEN {} AND {}",
                    (d.param)(first),
                    (d.param)(first + 1)
                )
            }
            (ListedKind::Responses, Scope::Publication(_)) => format!("t.publication_id = {}", (d.param)(first)),
            _ => return None,
        })
    };
    let values = match scope {
        Scope::Files(files) => vec![ScopeValue::Texts(files)],
        Scope::ParliamentDays { from, to } => vec![ScopeValue::Date(*from), ScopeValue::Date(*to)],
        Scope::Publication(id) => vec![ScopeValue::Id(*id)],
        Scope::Everything => Vec::new(),
    };
    let p = d.param;
    let mark = format!(
        "INSERT INTO withdrawals (kind, record, since) SELECT {}, {record}, {} FROM {table} \
         WHERE {} AND {key} NOT IN ({}) ON CONFLICT (kind, record) DO NOTHING",
        p(1),
        p(2),
        condition(4)?,
        (d.list)(&p(3)),
    );
    let unmark = format!(
        "DELETE FROM withdrawals WHERE kind = {} AND record IN \
         (SELECT {record} FROM {table} WHERE {} AND {key} IN ({}))",
        p(1),
        condition(3)?,
        (d.list)(&p(2)),
    );
    Some(ListingSql { mark, unmark, scope: values })
}

/// Reads `withdrawals (since)`: the day a record was found gone. One that is not a day is an
/// error naming the row.
pub const SINCE: &str = "SELECT since FROM withdrawals WHERE kind = $1 AND record = $2";

pub fn since(kind: ListedKind, record: &str, stored: Option<String>) -> Result<Option<chrono::NaiveDate>> {
    stored
        .map(|s| {
            s.parse().map_err(|e| StoreError::Row {
                table: "withdrawals",
                column: format!("since ({} {record})", kind.as_str()),
                reason: format!("{s:?} is not a day: {e}"),
            })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQLITE: Dialect =
        Dialect { param: |n| format!("?{n}"), list: |p| format!("SELECT value FROM json_each({p})") };

    #[test]
    fn statements_number_their_parameters_and_refuse_a_scope_that_does_not_fit() {
        let days = Scope::ParliamentDays {
            from: chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default(),
            to: chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default(),
        };
        let sql = statements(ListedKind::Meetings, &days, &SQLITE).ok().map(|s| (s.mark, s.unmark, s.scope.len()));
        let (mark, unmark, values) = sql.unwrap_or_default();
        assert!(
            mark.contains("BETWEEN ?4 AND ?5") && mark.contains("NOT IN (SELECT value FROM json_each(?3))"),
            "{mark}"
        );
        assert!(
            unmark.contains("BETWEEN ?3 AND ?4") && unmark.contains("IN (SELECT value FROM json_each(?2))"),
            "{unmark}"
        );
        assert_eq!(values, 2);
        assert!(statements(ListedKind::Initiatives, &Scope::Publication(1), &SQLITE).is_err());
        assert!(statements(ListedKind::Registrations, &Scope::Files(Vec::new()), &SQLITE).is_err());
    }
}
