//! When a record was published: a day (meetings, register entries) or a moment (consultation
//! responses, published to the second).

use std::cmp::Ordering;
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    Day(NaiveDate),
    Moment(NaiveDateTime),
}

impl When {
    pub fn day(self) -> NaiveDate {
        match self {
            When::Day(d) => d,
            When::Moment(t) => t.date(),
        }
    }

    /// The moment, a day counting from its start.
    pub fn moment(self) -> NaiveDateTime {
        match self {
            When::Day(d) => d.and_time(NaiveTime::MIN),
            When::Moment(t) => t,
        }
    }
}

/// In time; a day before a moment at its very start, so that the order is total.
impl Ord for When {
    fn cmp(&self, other: &When) -> Ordering {
        let key = |w: &When| (w.moment(), matches!(w, When::Moment(_)));
        key(self).cmp(&key(other))
    }
}

impl PartialOrd for When {
    fn partial_cmp(&self, other: &When) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `2022-06-30`, or `2021-05-31 10:00:00`: the forms pages and the JSON API have always shown.
impl fmt::Display for When {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            When::Day(d) => d.fmt(f),
            When::Moment(t) => t.fmt(f),
        }
    }
}

impl Serialize for When {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl From<NaiveDate> for When {
    fn from(d: NaiveDate) -> When {
        When::Day(d)
    }
}

impl From<NaiveDateTime> for When {
    fn from(t: NaiveDateTime) -> When {
        When::Moment(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_moments_order_in_time_and_print_as_before() {
        let day: When = "2021-05-31".parse::<NaiveDate>().unwrap().into();
        let morning: When = day.day().and_hms_opt(10, 0, 0).unwrap().into();
        let midnight: When = day.moment().into();
        let next: When = "2021-06-01".parse::<NaiveDate>().unwrap().into();
        assert!(day < midnight && midnight < morning && morning < next);
        assert_eq!((day.to_string(), morning.to_string()), ("2021-05-31".into(), "2021-05-31 10:00:00".into()));
        assert_eq!(serde_json::to_string(&morning).unwrap(), r#""2021-05-31 10:00:00""#);
    }
}
