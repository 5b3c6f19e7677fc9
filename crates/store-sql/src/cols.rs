//! Reading rows back: every value is read with `try_get` through [`Cols`], so that a row the code
//! cannot read is a [`StoreError::Row`] naming its table and column, never a panic.
//!
//! One reader for both backends: a value is read as a type both SQLite and PostgreSQL decode
//! (text, `i64`, `f64`, `bool` and their `Option`s), so that what a row means is written once.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use lobbyscope_domain::{MeetingId, OrgKey, PersonKey, RegisterId, When};
use lobbyscope_store::{Result, StoreError};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Column, Postgres, Row, Sqlite};

/// A row of either backend.
#[derive(Clone, Copy)]
pub enum RowRef<'r> {
    Sqlite(&'r SqliteRow),
    Postgres(&'r PgRow),
}

impl<'r> From<&'r SqliteRow> for RowRef<'r> {
    fn from(r: &'r SqliteRow) -> Self {
        RowRef::Sqlite(r)
    }
}

impl<'r> From<&'r PgRow> for RowRef<'r> {
    fn from(r: &'r PgRow) -> Self {
        RowRef::Postgres(r)
    }
}

/// A column of a row, by name or by position.
pub trait Col: sqlx::ColumnIndex<SqliteRow> + sqlx::ColumnIndex<PgRow> + Copy {
    /// The column's name, for the error message: positions are resolved through the row.
    fn name(self, row: RowRef) -> String;
}

impl Col for &str {
    fn name(self, _: RowRef) -> String {
        self.to_owned()
    }
}

impl Col for usize {
    fn name(self, row: RowRef) -> String {
        let name = match row {
            RowRef::Sqlite(r) => r.columns().get(self).map(|c| c.name().to_owned()),
            RowRef::Postgres(r) => r.columns().get(self).map(|c| c.name().to_owned()),
        };
        name.unwrap_or_else(|| format!("#{self}"))
    }
}

/// A value both backends decode.
pub trait Value<'r>:
    sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite> + sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>
{
}

impl<'r, T> Value<'r> for T where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite> + sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>
{
}

/// One row of `table` (for a join, the table the row is mostly about).
pub struct Cols<'r> {
    row: RowRef<'r>,
    table: &'static str,
}

impl<'r> Cols<'r> {
    pub fn new(row: impl Into<RowRef<'r>>, table: &'static str) -> Cols<'r> {
        Cols { row: row.into(), table }
    }

    /// The error for a value of `column` that was read but cannot be used.
    fn bad(&self, column: impl Col, reason: impl std::fmt::Display) -> StoreError {
        StoreError::Row { table: self.table, column: column.name(self.row), reason: reason.to_string() }
    }

    pub fn get<T: Value<'r>>(&self, column: impl Col) -> Result<T> {
        let read = match self.row {
            RowRef::Sqlite(r) => r.try_get(column),
            RowRef::Postgres(r) => r.try_get(column),
        };
        read.map_err(|e| {
            let reason = match e {
                // sqlx names the column by its position; the error names it by name, so only the
                // cause is kept.
                sqlx::Error::ColumnDecode { source, .. } => source.to_string(),
                other => other.to_string(),
            };
            self.bad(column, reason)
        })
    }

    /// A value made from the column's text by `parse`, which says why it cannot.
    pub fn parse<T, E: std::fmt::Display>(
        &self,
        column: impl Col,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T> {
        let text: &str = self.get(column)?;
        parse(text).map_err(|e| self.bad(column, format!("{text:?}: {e}")))
    }

    /// [`Cols::parse`] of a column that may be NULL.
    pub fn parse_opt<T, E: std::fmt::Display>(
        &self,
        column: impl Col,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>> {
        let text: Option<&str> = self.get(column)?;
        text.map(|t| parse(t).map_err(|e| self.bad(column, format!("{t:?}: {e}")))).transpose()
    }

    /// A count, an id or an amount: never negative.
    pub fn u64(&self, column: impl Col) -> Result<u64> {
        let n: i64 = self.get(column)?;
        u64::try_from(n).map_err(|_| self.bad(column, format!("{n} is negative")))
    }

    pub fn u64_opt(&self, column: impl Col) -> Result<Option<u64>> {
        let n: Option<i64> = self.get(column)?;
        n.map(|n| u64::try_from(n).map_err(|_| self.bad(column, format!("{n} is negative")))).transpose()
    }

    pub fn u32(&self, column: impl Col) -> Result<u32> {
        let n: i64 = self.get(column)?;
        u32::try_from(n).map_err(|_| self.bad(column, format!("{n} is out of range")))
    }

    pub fn u32_opt(&self, column: impl Col) -> Result<Option<u32>> {
        let n: Option<i64> = self.get(column)?;
        n.map(|n| u32::try_from(n).map_err(|_| self.bad(column, format!("{n} is out of range")))).transpose()
    }

    /// A position in a list (a sentence, a citation).
    pub fn index(&self, column: impl Col) -> Result<usize> {
        let n: i64 = self.get(column)?;
        usize::try_from(n).map_err(|_| self.bad(column, format!("{n} is out of range")))
    }

    /// Dates are stored as ISO 8601 text (`2022-06-30`).
    pub fn date(&self, column: impl Col) -> Result<NaiveDate> {
        self.parse(column, str::parse::<NaiveDate>)
    }

    pub fn date_opt(&self, column: impl Col) -> Result<Option<NaiveDate>> {
        self.parse_opt(column, str::parse::<NaiveDate>)
    }

    /// Moments are stored `2021-05-31 10:00:00` (chrono's `Display`, as `rows::date` writes them).
    pub fn moment_opt(&self, column: impl Col) -> Result<Option<NaiveDateTime>> {
        self.parse_opt(column, parse_moment)
    }

    /// A moment stored as RFC 3339 text (`2026-12-07T11:44:35Z`, as `rows::rfc3339` writes it),
    /// in UTC.
    pub fn rfc3339_opt(&self, column: impl Col) -> Result<Option<DateTime<Utc>>> {
        self.parse_opt(column, |s| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)))
    }

    /// A day or a moment, by its stored form.
    pub fn when_opt(&self, column: impl Col) -> Result<Option<When>> {
        self.parse_opt(column, |s| match s.len() {
            10 => s.parse::<NaiveDate>().map(When::Day),
            _ => parse_moment(s).map(When::Moment),
        })
    }

    pub fn register_id(&self, column: impl Col) -> Result<RegisterId> {
        self.parse(column, parse_register_id)
    }

    pub fn register_id_opt(&self, column: impl Col) -> Result<Option<RegisterId>> {
        self.parse_opt(column, parse_register_id)
    }

    pub fn org_key(&self, column: impl Col) -> Result<OrgKey> {
        self.parse(column, crate::keys::parse_org_key)
    }

    pub fn org_key_opt(&self, column: impl Col) -> Result<Option<OrgKey>> {
        self.parse_opt(column, crate::keys::parse_org_key)
    }

    pub fn meeting_id(&self, column: impl Col) -> Result<MeetingId> {
        self.parse(column, |s| MeetingId::parse(s).ok_or("not a meeting id"))
    }

    pub fn person_key(&self, column: impl Col) -> Result<PersonKey> {
        self.parse(column, crate::keys::parse_person_key)
    }

    /// A JSON value (lists, documents, locators).
    pub fn json<T: serde::de::DeserializeOwned>(&self, column: impl Col) -> Result<T> {
        self.parse(column, |s| serde_json::from_str::<T>(s))
    }
}

fn parse_moment(s: &str) -> Result<NaiveDateTime, chrono::ParseError> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
}

/// Only the exact stored form: a register ID with spaces around it would be another key.
fn parse_register_id(s: &str) -> Result<RegisterId, &'static str> {
    RegisterId::parse(s).filter(|id| id.as_str() == s).ok_or("not a register ID")
}
