//! What a copy between stores carries of each table (`lobbyscope_store::copy`), as both schemas
//! lay it out: the columns a copy reads and writes with their kinds, the key it pages by, and
//! what it leaves to the target's triggers and fold. Each backend's `copy.rs` builds its
//! statements from these lists; only these names are ever put into statements.

use lobbyscope_store::{CopyCursor, CopyPage, CopyRow, CopyTable, CopyValue, Result, StoreError};

use crate::cols::{Cols, RowRef};

/// How a column's values are read and bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Int,
    Real,
    /// INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL.
    Bool,
}

/// The columns of one table that a copy carries, its key first.
#[derive(Debug)]
pub struct TableColumns {
    pub table: CopyTable,
    pub columns: &'static [(&'static str, Kind)],
    /// How many of the first columns make the primary key, which pages follow.
    pub key: usize,
}

use Kind::{Bool, Int, Real, Text};

const PROVENANCE: [(&str, Kind); 5] =
    [("source", Text), ("file", Text), ("locator", Text), ("imported_at", Text), ("content_hash", Text)];

/// `columns` then the provenance columns every record table ends with.
const fn with_provenance<const N: usize, const M: usize>(
    columns: [(&'static str, Kind); N],
) -> [(&'static str, Kind); M] {
    let mut all = [("", Text); M];
    let mut i = 0;
    while i < N {
        all[i] = columns[i];
        i += 1;
    }
    while i < M {
        all[i] = PROVENANCE[i - N];
        i += 1;
    }
    all
}

const REGISTER_ENTRIES_COLUMNS: [(&str, Kind); 28] = with_provenance([
    ("register_id", Text),
    ("snapshot_date", Text),
    ("name", Text),
    ("acronym", Text),
    ("entity_form", Text),
    ("category", Text),
    ("head_office_country", Text),
    ("head_office_city", Text),
    ("website", Text),
    ("goals", Text),
    ("levels_of_interest", Text),
    ("fields_of_interest", Text),
    ("eu_legislative_proposals", Text),
    ("members", Int),
    ("fte", Real),
    ("ep_accredited", Int),
    ("costs_min", Int),
    ("costs_max", Int),
    ("costs_amount", Int),
    ("financial_year_start", Text),
    ("financial_year_end", Text),
    ("registration_date", Text),
    ("last_update_date", Text),
]);

const MEETINGS_COLUMNS: [(&str, Kind); 18] = with_provenance([
    ("id", Text),
    ("natural_key", Text),
    ("ordinal", Int),
    ("facets", Text),
    ("institution", Text),
    ("date", Text),
    ("cabinet", Text),
    ("dg", Text),
    ("dg_acronym", Text),
    ("portfolio", Text),
    ("location", Text),
    ("subject", Text),
    ("attendees_raw", Text),
]);

const MEETING_HISTORY_COLUMNS: [(&str, Kind); 14] = with_provenance([
    ("meeting_id", Text),
    ("version", Int),
    ("replaced_at", Text),
    ("replaced_by", Text),
    ("date", Text),
    ("subject", Text),
    ("hosts", Text),
    ("location", Text),
    ("attendees_raw", Text),
]);

const INITIATIVES_COLUMNS: [(&str, Kind); 17] = with_provenance([
    ("id", Int),
    ("reference", Text),
    ("short_title", Text),
    ("dg", Text),
    ("unit", Text),
    ("status", Text),
    ("foreseen_act_type", Text),
    ("stage", Text),
    ("receiving_feedback_status", Text),
    ("topics", Text),
    ("published_date", Text),
    ("modified_date", Text),
]);

const FEEDBACK_COLUMNS: [(&str, Kind); 21] = with_provenance([
    ("id", Int),
    ("publication_id", Int),
    ("reference_initiative", Text),
    ("date", Text),
    ("language", Text),
    ("user_type", Text),
    ("country", Text),
    ("company_size", Text),
    ("organization", Text),
    ("first_name", Text),
    ("surname", Text),
    ("register_id", Text),
    ("text", Text),
    ("attachments", Text),
    ("org_key", Text),
    ("link_method", Text),
]);

/// `columns` of `table`, whose first `key` make its primary key.
const fn table(table: CopyTable, columns: &'static [(&'static str, Kind)], key: usize) -> TableColumns {
    TableColumns { table, columns, key }
}

static IMPORT_FILES: TableColumns =
    table(CopyTable::ImportFiles, &[("sha256", Text), ("file", Text), ("source", Text), ("imported_at", Text)], 1);
static REGISTER_ENTRIES: TableColumns = table(CopyTable::RegisterEntries, &REGISTER_ENTRIES_COLUMNS, 2);
// Only what names the organisation: its counts and sort keys are the target's to work out.
static ORGANISATIONS: TableColumns =
    table(CopyTable::Organisations, &[("key", Text), ("register_id", Text), ("name", Text), ("acronym", Text)], 1);
static PEOPLE: TableColumns =
    table(CopyTable::People, &[("key", Text), ("kind", Text), ("name", Text), ("ep_id", Int)], 1);
static MEETINGS: TableColumns = table(CopyTable::Meetings, &MEETINGS_COLUMNS, 1);
static MEETING_HOSTS: TableColumns = table(
    CopyTable::MeetingHosts,
    &[("meeting_id", Text), ("position", Int), ("person_key", Text), ("name", Text), ("role", Text)],
    2,
);
static MEETING_PROCEDURES: TableColumns =
    table(CopyTable::MeetingProcedures, &[("meeting_id", Text), ("reference", Text)], 2);
static MEETING_ATTENDEES: TableColumns = table(
    CopyTable::MeetingAttendees,
    &[
        ("meeting_id", Text),
        ("position", Int),
        ("name", Text),
        ("register_id", Text),
        ("org_key", Text),
        ("link_method", Text),
    ],
    2,
);
static MEETING_HISTORY: TableColumns = table(CopyTable::MeetingHistory, &MEETING_HISTORY_COLUMNS, 2);
static INITIATIVES: TableColumns = table(CopyTable::Initiatives, &INITIATIVES_COLUMNS, 1);
static PUBLICATIONS: TableColumns = table(
    CopyTable::Publications,
    &[
        ("id", Int),
        ("initiative_id", Int),
        ("position", Int),
        ("kind", Text),
        ("reference", Text),
        ("total_feedback", Int),
        ("adoption_date", Text),
        ("attachments", Text),
    ],
    1,
);
static FEEDBACK: TableColumns = table(CopyTable::Feedback, &FEEDBACK_COLUMNS, 1);
// `shown` is the store's choice among an organisation's items, made when an item is saved (not
// by a trigger): copied as it is.
static POSITION_ITEMS: TableColumns = table(
    CopyTable::PositionItems,
    &[
        ("id", Text),
        ("org_key", Text),
        ("grp", Text),
        ("writer", Text),
        ("model", Text),
        ("prompt_version", Text),
        ("status", Text),
        ("error", Text),
        ("headline", Text),
        ("date", Text),
        ("written_at", Text),
        ("prompt_tokens", Int),
        ("completion_tokens", Int),
        ("sources", Text),
        ("shown", Int),
    ],
    1,
);
static POSITION_SENTENCES: TableColumns = table(
    CopyTable::PositionSentences,
    &[
        ("item_id", Text),
        ("position", Int),
        ("part", Text),
        ("text", Text),
        ("kept", Bool),
        ("reason", Text),
        ("score", Real),
    ],
    2,
);
static POSITION_CITATIONS: TableColumns = table(
    CopyTable::PositionCitations,
    &[
        ("item_id", Text),
        ("sentence", Int),
        ("position", Int),
        ("source", Text),
        ("span_start", Int),
        ("span_end", Int),
        ("quote", Text),
    ],
    3,
);
static SOURCE_TEXTS: TableColumns = table(
    CopyTable::SourceTexts,
    &[
        ("id", Text),
        ("response_id", Int),
        ("file", Text),
        ("file_sha256", Text),
        ("extractor", Text),
        ("text", Text),
        ("extracted_at", Text),
    ],
    1,
);
static SOURCE_HEALTH: TableColumns = table(
    CopyTable::SourceHealth,
    &[
        ("source", Text),
        ("last_attempt", Text),
        ("last_success", Text),
        ("last_error", Text),
        ("requests", Int),
        ("bytes", Int),
        ("records_seen", Int),
        ("records_new", Int),
        ("records_updated", Int),
        ("records_unchanged", Int),
        ("records_withdrawn", Int),
        ("took_ms", Int),
        ("warnings", Text),
    ],
    1,
);
static WITHDRAWALS: TableColumns =
    table(CopyTable::Withdrawals, &[("kind", Text), ("record", Text), ("since", Text)], 2);
static PENDING_WORK: TableColumns = table(CopyTable::PendingWork, &[("id", Int), ("relink", Int)], 1);

/// The columns of `table` a copy carries.
pub fn columns(table: CopyTable) -> &'static TableColumns {
    match table {
        CopyTable::ImportFiles => &IMPORT_FILES,
        CopyTable::RegisterEntries => &REGISTER_ENTRIES,
        CopyTable::Organisations => &ORGANISATIONS,
        CopyTable::People => &PEOPLE,
        CopyTable::Meetings => &MEETINGS,
        CopyTable::MeetingHosts => &MEETING_HOSTS,
        CopyTable::MeetingProcedures => &MEETING_PROCEDURES,
        CopyTable::MeetingAttendees => &MEETING_ATTENDEES,
        CopyTable::MeetingHistory => &MEETING_HISTORY,
        CopyTable::Initiatives => &INITIATIVES,
        CopyTable::Publications => &PUBLICATIONS,
        CopyTable::Feedback => &FEEDBACK,
        CopyTable::PositionItems => &POSITION_ITEMS,
        CopyTable::PositionSentences => &POSITION_SENTENCES,
        CopyTable::PositionCitations => &POSITION_CITATIONS,
        CopyTable::SourceTexts => &SOURCE_TEXTS,
        CopyTable::SourceHealth => &SOURCE_HEALTH,
        CopyTable::Withdrawals => &WITHDRAWALS,
        CopyTable::PendingWork => &PENDING_WORK,
    }
}

/// Tables of both schemas a copy does not carry: what the target's triggers and fold keep from
/// the records (`org_*`, `person_meetings`, `procedure_meetings`, `publication_counts`,
/// `record_counts`, `register_snapshots`), what is empty between transactions (`agg_*`), what
/// each store keeps of itself (`data_generation`, which every write moves on; `deferred_indexes`;
/// the lock's holder) and the migrations' bookkeeping.
pub const NOT_COPIED: [&str; 14] = [
    "org_meetings",
    "org_quarters",
    "org_names",
    "person_meetings",
    "procedure_meetings",
    "publication_counts",
    "record_counts",
    "register_snapshots",
    "agg_log",
    "agg_meetings",
    "data_generation",
    "deferred_indexes",
    "import_lock_holder",
    "_sqlx_migrations",
];

/// Columns of copied tables that the target works out itself: the organisations list's counts
/// and sort keys (the fold and triggers), and the quarters generated from dates.
pub const DERIVED_COLUMNS: [(&str, &[&str]); 3] = [
    ("organisations", &["commission", "parliament", "responses", "total", "sort_name"]),
    ("meetings", &["quarter"]),
    ("feedback", &["quarter"]),
];

/// What of a schema (each table with its columns) the lists above do not account for: a table
/// or column that is neither copied nor known to be worked out again, or a copied one the
/// schema lacks. Empty when a copy carries everything it must; a backend's test reads its
/// schema and checks, so that a new migration cannot leave a column behind.
pub fn unaccounted(schema: &[(String, Vec<String>)]) -> Vec<String> {
    let mut missing = Vec::new();
    for (name, present) in schema {
        if NOT_COPIED.contains(&name.as_str()) {
            continue;
        }
        let Some(copied) = CopyTable::ALL.into_iter().find(|t| t.name() == name) else {
            missing.push(format!("table {name}"));
            continue;
        };
        let derived = DERIVED_COLUMNS.iter().find(|(t, _)| *t == name).map_or(&[][..], |(_, c)| c);
        let carried = columns(copied).columns;
        for column in present {
            if !carried.iter().any(|(c, _)| c == column) && !derived.contains(&column.as_str()) {
                missing.push(format!("{name}.{column}"));
            }
        }
        for (column, _) in carried {
            if !present.iter().any(|c| c == column) {
                missing.push(format!("{name}.{column} (copied, but not in the schema)"));
            }
        }
    }
    for table in CopyTable::ALL {
        if !schema.iter().any(|(name, _)| name == table.name()) {
            missing.push(format!("table {table} (copied, but not in the schema)"));
        }
    }
    missing
}

impl TableColumns {
    /// The column list, for SELECT and INSERT: `a, b, c`.
    pub fn list(&self) -> String {
        self.columns.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
    }

    /// The key's columns, in order.
    pub fn key_columns(&self) -> &'static [(&'static str, Kind)] {
        &self.columns[..self.key]
    }

    /// The head of a multi-row INSERT of rows in column order (both dialects).
    pub fn insert_head(&self) -> String {
        format!("INSERT INTO {} ({}) ", self.table.name(), self.list())
    }

    /// What follows the rows: nothing, or for a state table, replacing the stored row (both
    /// dialects).
    pub fn insert_tail(&self) -> String {
        if !self.table.is_state() {
            return String::new();
        }
        let key: Vec<&str> = self.key_columns().iter().map(|(c, _)| *c).collect();
        let set: Vec<String> = self.columns[self.key..].iter().map(|(c, _)| format!("{c} = excluded.{c}")).collect();
        format!(" ON CONFLICT ({}) DO UPDATE SET {}", key.join(", "), set.join(", "))
    }

    /// A row of this table as read by a SELECT of [`TableColumns::list`], on either backend.
    pub fn read<'r>(&self, row: impl Into<RowRef<'r>>) -> Result<CopyRow> {
        let c = Cols::new(row, self.table.name());
        self.columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| {
                Ok(match kind {
                    Text => CopyValue::Text(c.get(i)?),
                    Int => CopyValue::Int(c.get(i)?),
                    Real => CopyValue::Real(c.get(i)?),
                    Bool => CopyValue::Bool(c.get(i)?),
                })
            })
            .collect()
    }

    /// A page of `rows` read with `limit`: a full page has a next one (which may be empty).
    pub fn page(&self, rows: Vec<CopyRow>, limit: usize) -> CopyPage {
        let next = match rows.last() {
            Some(last) if rows.len() >= limit => Some(self.cursor(last)),
            _ => None,
        };
        CopyPage { rows, next }
    }

    /// Where the page after `row` starts.
    pub fn cursor(&self, row: &[CopyValue]) -> CopyCursor {
        CopyCursor::new(self.table, row.iter().take(self.key).cloned().collect())
    }

    /// The key values of `after`, checked to be a key of this table.
    pub fn after<'a>(&self, after: &'a CopyCursor) -> Result<&'a [CopyValue]> {
        let key = after.key();
        if after.table() != self.table || !fits(key, self.key_columns()) {
            return Err(StoreError::Corrupt(format!(
                "a copy cursor of {} ({key:?}) cannot page {}",
                after.table(),
                self.table
            )));
        }
        Ok(key)
    }

    /// Checks that every row has this table's columns, each value of its column's kind: a row
    /// of another table, or one whose values are out of order, is refused before anything of it
    /// is written (SQLite would store a text in an integer column).
    pub fn check(&self, rows: &[CopyRow]) -> Result<()> {
        match rows.iter().position(|row| !fits(row, self.columns)) {
            None => Ok(()),
            Some(i) => Err(StoreError::Corrupt(format!(
                "row {i} of a copy of {} does not have its columns ({}): {:?}",
                self.table,
                self.list(),
                rows[i]
            ))),
        }
    }
}

/// Whether `values` are one of each column's kind, in order.
fn fits(values: &[CopyValue], columns: &[(&str, Kind)]) -> bool {
    values.len() == columns.len()
        && values.iter().zip(columns).all(|(v, (_, kind))| {
            matches!(
                (v, kind),
                (CopyValue::Text(_), Text)
                    | (CopyValue::Int(_), Int)
                    | (CopyValue::Real(_), Real)
                    | (CopyValue::Bool(_), Bool)
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::SOURCE_HEALTH_COLUMNS;
    use crate::positions::{CITATION_COLUMNS, SENTENCE_COLUMNS};
    use crate::rows::{
        ATTENDEE_COLUMNS, FEEDBACK_COLUMNS, HOST_COLUMNS, INITIATIVE_COLUMNS, MEETING_COLUMNS, ORGANISATION_COLUMNS,
        PEOPLE_COLUMNS, PROCEDURE_COLUMNS, PUBLICATION_COLUMNS, REGISTER_COLUMNS,
    };

    #[test]
    fn a_copy_carries_every_column_the_writers_write() {
        for (table, written) in [
            (CopyTable::RegisterEntries, REGISTER_COLUMNS),
            (CopyTable::Organisations, ORGANISATION_COLUMNS),
            (CopyTable::People, PEOPLE_COLUMNS),
            (CopyTable::Meetings, MEETING_COLUMNS),
            (CopyTable::MeetingHosts, HOST_COLUMNS),
            (CopyTable::MeetingProcedures, PROCEDURE_COLUMNS),
            (CopyTable::MeetingAttendees, ATTENDEE_COLUMNS),
            (CopyTable::Initiatives, INITIATIVE_COLUMNS),
            (CopyTable::Publications, PUBLICATION_COLUMNS),
            (CopyTable::Feedback, FEEDBACK_COLUMNS),
            (CopyTable::PositionSentences, SENTENCE_COLUMNS),
            (CopyTable::PositionCitations, CITATION_COLUMNS),
            (CopyTable::SourceHealth, SOURCE_HEALTH_COLUMNS),
        ] {
            let written: Vec<&str> = written.split(',').map(str::trim).collect();
            assert_eq!(columns(table).list(), written.join(", "), "{table}");
        }
        for table in CopyTable::ALL {
            let t = columns(table);
            assert_eq!(t.table, table);
            assert!(t.key >= 1 && t.key <= t.columns.len(), "{table}");
        }
    }

    #[test]
    fn a_state_table_replaces_the_stored_row() {
        assert_eq!(columns(CopyTable::Meetings).insert_tail(), "");
        assert_eq!(
            columns(CopyTable::PendingWork).insert_tail(),
            " ON CONFLICT (id) DO UPDATE SET relink = excluded.relink"
        );
        assert_eq!(columns(CopyTable::PendingWork).insert_head(), "INSERT INTO pending_work (id, relink) ");
    }

    #[test]
    fn rows_and_cursors_must_fit_their_table() {
        let t = columns(CopyTable::MeetingProcedures);
        let row = vec![CopyValue::from("m-1"), CopyValue::from("2020/0259(COD)")];
        assert!(t.check(std::slice::from_ref(&row)).is_ok());
        assert!(t.check(&[vec![CopyValue::from("m-1")]]).is_err(), "a column short");
        assert!(t.check(&[vec![CopyValue::from("m-1"), CopyValue::from(3_i64)]]).is_err(), "a kind wrong");
        let cursor = t.cursor(&row);
        assert_eq!(t.after(&cursor).expect("its own"), &row[..]);
        assert!(columns(CopyTable::Meetings).after(&cursor).is_err(), "another table's cursor");
        let hosts = columns(CopyTable::MeetingHosts);
        let wrong = CopyCursor::new(CopyTable::MeetingHosts, vec![CopyValue::from("m-1"), CopyValue::from("x")]);
        assert!(hosts.after(&wrong).is_err());
    }

    #[test]
    fn a_schema_with_a_column_nobody_copies_is_reported() {
        let schema = |extra: Option<(&str, &str)>| -> Vec<(String, Vec<String>)> {
            let mut tables: Vec<(String, Vec<String>)> = CopyTable::ALL
                .into_iter()
                .map(|t| (t.name().to_owned(), columns(t).columns.iter().map(|(c, _)| (*c).to_owned()).collect()))
                .collect();
            tables.push(("org_names".into(), vec!["org_key".into()]));
            tables[2].1.push("sort_name".into());
            if let Some((table, column)) = extra {
                match tables.iter_mut().find(|(t, _)| t == table) {
                    Some((_, cols)) => cols.push(column.into()),
                    None => tables.push((table.into(), vec![column.into()])),
                }
            }
            tables
        };
        assert_eq!(unaccounted(&schema(None)), Vec::<String>::new());
        assert_eq!(unaccounted(&schema(Some(("meetings", "mood")))), ["meetings.mood"]);
        assert_eq!(unaccounted(&schema(Some(("lobby_votes", "id")))), ["table lobby_votes"]);
        let mut without = schema(None);
        without.retain(|(t, _)| t != "source_texts");
        assert_eq!(unaccounted(&without), ["table source_texts (copied, but not in the schema)"]);
    }
}
