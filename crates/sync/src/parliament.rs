//! The European Parliament's MEP meetings, from its "search meetings" CSV export by date
//! windows.
//!
//! The export answers at most 1,000 rows a query, the newest, and drops the rest without a
//! word (FORMATS.md 2.1). So each window starts as a calendar month and is split in half, and
//! asked again, until it answers fewer than 1,000 rows; a single day that still answers 1,000
//! is kept with a warning, since no smaller window exists.

use std::path::PathBuf;

use chrono::{Datelike, Days, Months, NaiveDate};
use url::Url;

use std::collections::BTreeMap;

use lobbyscope_domain::SourceKind;
use lobbyscope_store::{ListedKind, Listing, Scope};

use crate::archive::Archive;
use crate::config::{Bases, SourceId};
use crate::http::{Client, Expect, Tally};
use crate::vocabulary::Unknown;
use crate::{SyncError, check};

/// The most rows the export answers for one query.
pub const ROW_CAP: u64 = 1000;

/// The export's columns, in its order.
pub use lobbyscope_sources::ep_meetings_csv::COLUMNS as HEADER;

/// The first day the export holds meetings for: the start of the ninth term.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, 7, 1).unwrap_or_default()
}

/// A date window, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    fn days(self) -> u64 {
        (self.to - self.from).num_days().max(0) as u64 + 1
    }

    /// The two halves, earlier first.
    fn halves(self) -> (Window, Window) {
        let first_end = self.from + Days::new(self.days() / 2 - 1);
        (Window { from: self.from, to: first_end }, Window { from: first_end + Days::new(1), to: self.to })
    }
}

/// Calendar months from `from` to `to`, the first and last cut to them.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<Window> {
    let mut windows = Vec::new();
    let mut start = from;
    while start <= to {
        let next_month =
            start.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).unwrap_or(to + Days::new(1));
        let end = (next_month - Days::new(1)).min(to);
        windows.push(Window { from: start, to: end });
        start = end + Days::new(1);
    }
    windows
}

/// The export's address for a window, its parameters as the official tool sends them.
pub fn window_url(bases: &Bases, window: Window) -> Url {
    let mut url = bases.url(SourceId::Parliament, "meps/en/search-meetings");
    url.query_pairs_mut()
        .append_pair("textualSearch", "")
        .append_pair("fromDate", &window.from.format("%d/%m/%Y").to_string())
        .append_pair("toDate", &window.to.format("%d/%m/%Y").to_string())
        .append_pair("exportFormat", "CSV");
    url
}

/// What fetching the windows gave.
#[derive(Debug, Default)]
pub struct Fetched {
    /// The archived answers to import, oldest window first.
    pub files: Vec<PathBuf>,
    /// Windows asked for, split ones included.
    pub windows: u64,
    pub rows: u64,
    pub warnings: Vec<String>,
    /// Each month asked whole, as a complete listing of its meetings; a month with a day at
    /// the export's cap is not complete and has none.
    pub listings: Vec<Listing>,
}

/// Fetches every window from `from` to `to` into the archive.
pub async fn fetch(
    client: &Client,
    bases: &Bases,
    archive: &Archive,
    from: NaiveDate,
    to: NaiveDate,
    tally: &Tally<'_>,
) -> Result<Fetched, SyncError> {
    let mut out = Fetched::default();
    let mut todo: Vec<Window> = months(from, to);
    todo.reverse();
    // Per month (its first day): what its answers list.
    let mut month: BTreeMap<NaiveDate, Month> = BTreeMap::new();
    let mut unknown = Unknown::default();
    while let Some(window) = todo.pop() {
        out.windows += 1;
        let url = window_url(bases, window);
        // The export is made on each request and carries no validators: asked afresh.
        let Some(answer) = client.get(&url, Expect::Csv, None, tally).await? else { continue };
        let (rows, warnings) = read_rows(&url, &answer.body)?;
        if rows >= ROW_CAP && window.days() > 1 {
            let (earlier, later) = window.halves();
            tracing::debug!(%url, rows, "window at the export's cap; split");
            todo.push(later);
            todo.push(earlier);
            continue;
        }
        let listed = month.entry(month_of(window.from)).or_default();
        if rows >= ROW_CAP {
            listed.capped = true;
            out.warnings.push(format!(
                "{}: the export answered {rows} rows for one day, its cap; rows past it may be missing",
                window.from
            ));
        }
        for w in warnings {
            if !out.warnings.contains(&w) {
                out.warnings.push(w);
            }
        }
        out.rows += rows;
        let path = archive.put(url.as_str(), &answer.body, answer.fetched_at, &answer.validators)?;
        if rows > 0 {
            let counted = check::parse(&path, &url, SourceKind::EpMeetingsCsv)?;
            listed.keys.extend(counted.keys);
            unknown.extend(counted.unknown);
            out.files.push(path);
        }
    }
    out.warnings.extend(unknown.warnings());
    for (first, listed) in month {
        if listed.capped {
            continue;
        }
        let last = first.checked_add_months(Months::new(1)).map_or(to, |next| next - Days::new(1)).min(to);
        let scope = Scope::ParliamentDays { from: first.max(from), to: last };
        out.listings.push(Listing { kind: ListedKind::Meetings, scope, present: listed.keys, as_of: to });
    }
    Ok(out)
}

#[derive(Default)]
struct Month {
    keys: Vec<String>,
    /// A day answered the export's cap: rows may be missing.
    capped: bool,
}

fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The rows of an answer, after checking its header: a column the parser needs that is
/// missing is a changed format; columns added or moved are warnings.
pub fn read_rows(url: &Url, body: &[u8]) -> Result<(u64, Vec<String>), SyncError> {
    let body = body.strip_prefix("\u{feff}".as_bytes()).unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((0, Vec::new()));
    }
    let changed = |reason: String| SyncError::FormatChanged { url: url.to_string(), reason };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| changed(format!("the header cannot be read: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let missing: Vec<&str> = HEADER.iter().copied().filter(|h| !header.iter().any(|c| c == h)).collect();
    if !missing.is_empty() {
        return Err(changed(format!("the header lacks {} (it is: {})", missing.join(", "), header.join(","))));
    }
    let mut warnings = Vec::new();
    let extra: Vec<&str> = header.iter().map(String::as_str).filter(|c| !HEADER.contains(c)).collect();
    if !extra.is_empty() {
        warnings.push(format!("the EP export has columns this version does not read: {}", extra.join(", ")));
    } else if header.iter().map(String::as_str).ne(HEADER) {
        warnings.push(format!("the EP export's columns are in another order: {}", header.join(",")));
    }
    let mut rows = 0;
    for record in reader.records() {
        record.map_err(|e| changed(format!("not CSV the export writes: {e}")))?;
        rows += 1;
    }
    Ok((rows, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn months_cover_the_range_without_gaps() {
        let w = months(day(2024, 1, 15), day(2024, 3, 2));
        assert_eq!(
            w,
            vec![
                Window { from: day(2024, 1, 15), to: day(2024, 1, 31) },
                Window { from: day(2024, 2, 1), to: day(2024, 2, 29) },
                Window { from: day(2024, 3, 1), to: day(2024, 3, 2) },
            ]
        );
        assert!(months(day(2024, 3, 3), day(2024, 3, 2)).is_empty());
    }

    #[test]
    fn halves_split_without_overlap() {
        let (a, b) = Window { from: day(2024, 2, 1), to: day(2024, 2, 29) }.halves();
        assert_eq!(
            (a.from, a.to, b.from, b.to),
            (day(2024, 2, 1), day(2024, 2, 14), day(2024, 2, 15), day(2024, 2, 29))
        );
        let (a, b) = Window { from: day(2024, 2, 1), to: day(2024, 2, 2) }.halves();
        assert_eq!((a.days(), b.days()), (1, 1));
    }

    #[test]
    fn the_url_carries_the_official_parameters() {
        let bases = Bases::all_at("http://127.0.0.1:8080").unwrap();
        let url = window_url(&bases, Window { from: day(2024, 9, 1), to: day(2024, 9, 30) });
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/meps/en/search-meetings?textualSearch=&fromDate=01%2F09%2F2024&toDate=30%2F09%2F2024&exportFormat=CSV"
        );
    }

    #[test]
    fn a_header_without_a_needed_column_is_a_changed_format() {
        let url = Url::parse("http://x/").unwrap();
        let good = "\u{feff}title,member_id,member_name,meeting_date,member_capacity,procedure_reference,attendees,lobbyist_id\n\
                    \"A, b\",1,X Y,2024-09-06,Member,,Org,\n";
        assert_eq!(read_rows(&url, good.as_bytes()).unwrap(), (1, vec![]));
        let renamed = good.replace("meeting_date", "date");
        let err = read_rows(&url, renamed.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("the format changed") && err.contains("meeting_date"), "{err}");
        let added = good.replace("lobbyist_id\n", "lobbyist_id,location\n");
        let (_, warnings) = read_rows(&url, added.as_bytes()).unwrap();
        assert!(warnings[0].contains("location"), "{warnings:?}");
        assert_eq!(read_rows(&url, b"").unwrap(), (0, vec![]));
    }
}
