//! What a timeline's quarters say, the same for every backend: a backend reads the activity of
//! each quarter (kept at import) and the page's entries; the counts, the years and the chart are
//! worked out here.

use std::collections::BTreeMap;

use lobbyscope_domain::Institution;

use crate::{ActivityCounts, ActivityFilter, QuarterCount};

/// Activity in one quarter of a timeline, as a backend keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterActivity {
    /// `2022-Q2`, or empty for responses without a date.
    pub quarter: String,
    pub commission: u64,
    pub parliament: u64,
    pub responses: u64,
}

/// What a timeline's quarters say: its counts and chart (over the whole timeline), and how
/// many of its meetings and responses a filter's institution and year keep.
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
}

impl TimelineSummary {
    pub fn of(quarters: &[QuarterActivity], f: &ActivityFilter) -> TimelineSummary {
        let year = f.year.map(|y| format!("{y:04}"));
        let mut counts = ActivityCounts::default();
        let mut per_quarter: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let (mut meetings, mut responses) = (0, 0);
        for q in quarters {
            counts.commission_meetings += q.commission;
            counts.parliament_meetings += q.parliament;
            counts.responses += q.responses;
            if !q.quarter.is_empty() {
                let slot = per_quarter.entry(&q.quarter).or_default();
                slot.0 += q.commission + q.parliament;
                slot.1 += q.responses;
            }
            if year.as_deref().is_none_or(|y| q.quarter.starts_with(y)) {
                meetings += match f.institution {
                    None => q.commission + q.parliament,
                    Some(Institution::Commission) => q.commission,
                    Some(Institution::Parliament) => q.parliament,
                };
                responses += q.responses;
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
        TimelineSummary { counts, years, per_quarter, meetings, responses }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(quarter: &str, commission: u64, parliament: u64, responses: u64) -> QuarterActivity {
        QuarterActivity { quarter: quarter.into(), commission, parliament, responses }
    }

    #[test]
    fn quarters_give_counts_years_and_what_a_filter_keeps() {
        let quarters = [
            q("2021-Q4", 1, 0, 2),
            q("2022-Q1", 0, 3, 0),
            q("2022-Q2", 0, 0, 0),
            q("", 0, 0, 4),
            q("2022-Q3", 2, 1, 1),
        ];
        let all = TimelineSummary::of(&quarters, &ActivityFilter::default());
        assert_eq!(all.counts, ActivityCounts { commission_meetings: 3, parliament_meetings: 4, responses: 7 });
        assert_eq!(all.years, [2022, 2021]);
        let chart: Vec<(&str, u64, u64)> =
            all.per_quarter.iter().map(|c| (c.quarter.as_str(), c.meetings, c.responses)).collect();
        assert_eq!(chart, [("2021-Q4", 1, 2), ("2022-Q1", 3, 0), ("2022-Q3", 3, 1)], "no empty or undated quarter");
        assert_eq!((all.meetings, all.responses), (7, 7));

        let f = ActivityFilter { year: Some(2022), institution: Some(Institution::Parliament), ..Default::default() };
        let kept = TimelineSummary::of(&quarters, &f);
        assert_eq!(kept.counts, all.counts, "counts are the whole timeline's");
        assert_eq!((kept.meetings, kept.responses), (4, 1));
    }
}
