//! What a timeline's quarters say, the same for every backend: a backend reads the activity of
//! each quarter (kept at import) and the page's entries; the counts, the years and the chart are
//! worked out here.

use std::collections::BTreeMap;

use lobbyscope_domain::Institution;

use crate::{ActivityCounts, ActivityFilter, ActivityKind, QuarterCount};

/// Activity in one quarter of a timeline, as a backend keeps it. A quarter may come in several
/// rows (a backend reads position items apart); they add up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterActivity {
    /// `2022-Q2`, or empty for items without a date.
    pub quarter: String,
    pub commission: u64,
    pub parliament: u64,
    pub responses: u64,
    /// Position items shown on the timeline.
    pub positions: u64,
}

/// What a timeline's quarters say: its counts and chart (over the whole timeline), and how
/// many of its items a filter's institution and year keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineSummary {
    pub counts: ActivityCounts,
    /// The years with any activity, newest first.
    pub years: Vec<i32>,
    /// Meetings and responses per quarter with any, oldest first.
    pub per_quarter: Vec<QuarterCount>,
    /// Meetings the filter's institution and year keep.
    pub meetings: u64,
    /// Responses the filter's year keeps.
    pub responses: u64,
    /// Shown position items the filter's year keeps.
    pub positions: u64,
    /// Shown position items, filters not applied.
    pub all_positions: u64,
}

impl TimelineSummary {
    pub fn of(quarters: &[QuarterActivity], f: &ActivityFilter) -> TimelineSummary {
        let year = f.year.map(|y| format!("{y:04}"));
        let mut counts = ActivityCounts::default();
        let mut all_positions = 0;
        let mut per_quarter: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let (mut meetings, mut responses, mut positions) = (0, 0, 0);
        for q in quarters {
            counts.commission_meetings += q.commission;
            counts.parliament_meetings += q.parliament;
            counts.responses += q.responses;
            all_positions += q.positions;
            if !q.quarter.is_empty() {
                let slot = per_quarter.entry(&q.quarter).or_default();
                slot.0 += q.commission + q.parliament;
                slot.1 += q.responses;
            }
            if in_year(q, year.as_deref()) {
                meetings += institution_meetings(q, f.institution);
                responses += q.responses;
                positions += q.positions;
            }
        }
        // Quarters whose rows fell to zero (kept counts may) are no activity.
        let per_quarter: Vec<QuarterCount> = per_quarter
            .into_iter()
            .filter(|(_, (m, r))| m + r > 0)
            .map(|(quarter, (meetings, responses))| QuarterCount { quarter: quarter.to_owned(), meetings, responses })
            .collect();
        let mut years: Vec<i32> = per_quarter.iter().filter_map(|q| q.quarter.get(..4)?.parse().ok()).collect();
        years.dedup();
        years.reverse();
        TimelineSummary { counts, years, per_quarter, meetings, responses, positions, all_positions }
    }
}

fn in_year(q: &QuarterActivity, year: Option<&str>) -> bool {
    year.is_none_or(|y| q.quarter.starts_with(y))
}

fn institution_meetings(q: &QuarterActivity, institution: Option<Institution>) -> u64 {
    match institution {
        None => q.commission + q.parliament,
        Some(Institution::Commission) => q.commission,
        Some(Institution::Parliament) => q.parliament,
    }
}

/// Which kinds of item a timeline shows under a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    pub meetings: bool,
    pub responses: bool,
    pub positions: bool,
}

impl Wanted {
    /// An organisation's timeline: meetings, responses and position items.
    pub fn of(f: &ActivityFilter) -> Wanted {
        Wanted {
            meetings: matches!(f.kind, ActivityKind::All | ActivityKind::Meetings),
            // Responses go to the Commission.
            responses: matches!(f.kind, ActivityKind::All | ActivityKind::Responses)
                && f.institution.is_none_or(|i| i == Institution::Commission),
            // A position item may rest on register text, which is no institution's.
            positions: matches!(f.kind, ActivityKind::All | ActivityKind::Positions) && f.institution.is_none(),
        }
    }

    /// A timeline of meetings only (a person's, a procedure's).
    pub fn meetings_of(f: &ActivityFilter) -> Wanted {
        Wanted {
            meetings: matches!(f.kind, ActivityKind::All | ActivityKind::Meetings),
            responses: false,
            positions: false,
        }
    }

    /// How many items the filter keeps.
    pub fn matching(&self, summary: &TimelineSummary) -> u64 {
        u64::from(self.meetings) * summary.meetings
            + u64::from(self.responses) * summary.responses
            + u64::from(self.positions) * summary.positions
    }

    fn in_quarter(&self, q: &QuarterActivity, f: &ActivityFilter) -> u64 {
        u64::from(self.meetings) * institution_meetings(q, f.institution)
            + u64::from(self.responses) * q.responses
            + u64::from(self.positions) * q.positions
    }
}

/// Where a timeline's page starts, found from its quarters, so that a deep page's statement
/// steps through the entries of one quarter at most rather than every entry before the page.
/// The page is then the entries the seek keeps, from `offset - skipped`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seek {
    /// Entries dated before `date`, the first day after the quarter the page starts in, which
    /// `skipped` entries precede.
    Before { date: String, skipped: u64 },
    /// Entries without a date, which come last, after `skipped` dated ones.
    Undated { skipped: u64 },
}

impl Seek {
    /// The seek for the page `f` asks of a timeline with `quarters`, if one skips anything.
    /// A page that runs from dated entries into undated ones is read from the start: the seek
    /// for it would need both.
    pub fn of(quarters: &[QuarterActivity], f: &ActivityFilter, wanted: Wanted) -> Option<Seek> {
        let year = f.year.map(|y| format!("{y:04}"));
        let mut kept: BTreeMap<&str, u64> = BTreeMap::new();
        for q in quarters.iter().filter(|q| in_year(q, year.as_deref())) {
            *kept.entry(&q.quarter).or_default() += wanted.in_quarter(q, f);
        }
        let undated = kept.remove("").unwrap_or(0);
        let dated: u64 = kept.values().sum();
        let (offset, end) = (u64::from(f.offset), u64::from(f.offset) + u64::from(f.limit));
        if offset >= dated {
            return (dated > 0 && undated > 0).then_some(Seek::Undated { skipped: dated });
        }
        if end > dated && undated > 0 {
            return None;
        }
        let mut skipped = 0;
        for (quarter, n) in kept.iter().rev() {
            if skipped + n > offset {
                if skipped == 0 {
                    return None;
                }
                return Some(Seek::Before { date: after_quarter(quarter)?, skipped });
            }
            skipped += n;
        }
        None
    }

    pub fn skipped(&self) -> u64 {
        match self {
            Seek::Before { skipped, .. } | Seek::Undated { skipped } => *skipped,
        }
    }
}

/// The first day after a quarter (`2022-Q2` gives `2022-07-01`), as dates are stored: ISO
/// text, which both of their forms ('2022-06-30', '2022-06-30 10:00:00') compare by.
fn after_quarter(quarter: &str) -> Option<String> {
    let (year, n) = quarter.split_once("-Q")?;
    let (year, n): (i32, u32) = (year.parse().ok()?, n.parse().ok()?);
    let next = chrono::NaiveDate::from_ymd_opt(year, 3 * n.checked_sub(1)? + 1, 1)?
        .checked_add_months(chrono::Months::new(3))?;
    Some(next.format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(quarter: &str, commission: u64, parliament: u64, responses: u64) -> QuarterActivity {
        QuarterActivity { quarter: quarter.into(), commission, parliament, responses, positions: 0 }
    }

    fn positions(quarter: &str, n: u64) -> QuarterActivity {
        QuarterActivity { positions: n, ..q(quarter, 0, 0, 0) }
    }

    #[test]
    fn quarters_give_counts_years_and_what_a_filter_keeps() {
        let quarters = [
            q("2021-Q4", 1, 0, 2),
            q("2022-Q1", 0, 3, 0),
            q("2022-Q2", 0, 0, 0),
            q("", 0, 0, 4),
            q("2022-Q3", 2, 1, 1),
            positions("2022-Q3", 2),
            positions("2019-Q1", 1),
        ];
        let all = TimelineSummary::of(&quarters, &ActivityFilter::default());
        assert_eq!(all.counts, ActivityCounts { commission_meetings: 3, parliament_meetings: 4, responses: 7 });
        assert_eq!(all.years, [2022, 2021], "position items are not activity of their own");
        let chart: Vec<(&str, u64, u64)> =
            all.per_quarter.iter().map(|c| (c.quarter.as_str(), c.meetings, c.responses)).collect();
        assert_eq!(chart, [("2021-Q4", 1, 2), ("2022-Q1", 3, 0), ("2022-Q3", 3, 1)], "no empty or undated quarter");
        assert_eq!((all.meetings, all.responses, all.positions, all.all_positions), (7, 7, 3, 3));

        let f = ActivityFilter { year: Some(2022), institution: Some(Institution::Parliament), ..Default::default() };
        let kept = TimelineSummary::of(&quarters, &f);
        assert_eq!(kept.counts, all.counts, "counts are the whole timeline's");
        assert_eq!((kept.meetings, kept.responses, kept.positions, kept.all_positions), (4, 1, 2, 3));
        assert_eq!(Wanted::of(&f).matching(&kept), 4, "the Parliament's meetings only");
    }

    fn page(offset: u32, limit: u32) -> ActivityFilter {
        ActivityFilter { offset, limit, ..Default::default() }
    }

    fn before(date: &str, skipped: u64) -> Option<Seek> {
        Some(Seek::Before { date: date.into(), skipped })
    }

    #[test]
    fn a_deep_page_seeks_the_quarter_it_starts_in() {
        // Newest first: 2022-Q4 holds 3 entries, 2022-Q1 4 (one a position item), 2021-Q4 2, then 2 undated.
        let quarters = [
            q("2021-Q4", 1, 0, 1),
            q("2022-Q1", 0, 3, 0),
            positions("2022-Q1", 1),
            q("2022-Q4", 3, 0, 0),
            q("", 0, 0, 2),
        ];
        let all = |offset, limit| Seek::of(&quarters, &page(offset, limit), Wanted::of(&page(offset, limit)));
        assert_eq!(all(0, 2), None, "the first quarter: nothing to skip");
        assert_eq!(all(2, 2), None, "still the newest quarter");
        assert_eq!(all(3, 2), before("2022-04-01", 3), "2022-Q1 starts after 3");
        assert_eq!(all(6, 1), before("2022-04-01", 3));
        assert_eq!(all(7, 2), before("2022-01-01", 7), "2021-Q4 starts after 7, and the page ends in it");
        assert_eq!(all(8, 2), None, "a page from the dated entries into the undated ones");
        assert_eq!(all(9, 2), Some(Seek::Undated { skipped: 9 }));
        assert_eq!(all(10, 2), Some(Seek::Undated { skipped: 9 }));

        let commission =
            ActivityFilter { institution: Some(Institution::Commission), offset: 3, limit: 2, ..Default::default() };
        let w = Wanted::of(&commission);
        assert!(!w.positions && w.responses, "{w:?}");
        // Kept: 2022-Q4 3, 2022-Q1 0, 2021-Q4 2, undated 2.
        assert_eq!(Seek::of(&quarters, &commission, w), before("2022-01-01", 3), "an empty quarter is stepped over");

        let year = ActivityFilter { year: Some(2021), offset: 1, limit: 1, ..Default::default() };
        assert_eq!(
            Seek::of(&quarters, &year, Wanted::of(&year)),
            None,
            "the year's first quarter; the undated are out"
        );
        let meetings = ActivityFilter { offset: 3, limit: 10, ..Default::default() };
        assert_eq!(
            Seek::of(&quarters, &meetings, Wanted::meetings_of(&meetings)),
            before("2022-04-01", 3),
            "a meetings timeline counts its meetings only, and has no undated entries"
        );
    }

    #[test]
    fn the_day_after_a_quarter() {
        assert_eq!(after_quarter("2022-Q2").as_deref(), Some("2022-07-01"));
        assert_eq!(after_quarter("2022-Q4").as_deref(), Some("2023-01-01"));
        assert_eq!(after_quarter("2022-Q1").as_deref(), Some("2022-04-01"));
        for bad in ["", "2022", "2022-Q0", "2022-Q5", "x-Q1"] {
            assert_eq!(after_quarter(bad), None, "{bad}");
        }
    }
}
