//! The one date parser of every source.
//!
//! The sources write dates in a few shapes: `2022-06-30` (meeting exports), ISO 8601 date-times
//! with or without an offset (`2018-10-25T20:00:00.071+00:00`, the register's `exportDate`), and
//! the Have Your Say portal's `2021/08/06 23:57:37`. One grammar reads them all, exactly (no
//! sign, no missing zero, no trailing text); each source then says which of them it accepts.

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

/// A date as a source wrote it, with the time of day and the offset when it gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Published {
    /// The date as written (local to `offset`, when one is given).
    pub date: NaiveDate,
    pub time: Option<NaiveTime>,
    pub offset: Option<FixedOffset>,
    /// Written `YYYY-MM-DD` (ISO 8601), not `YYYY/MM/DD`.
    pub iso: bool,
}

impl Published {
    /// `YYYY-MM-DD` or `YYYY/MM/DD`, optionally followed by `T` or a space and
    /// `HH:MM[:SS[.fraction]]`, optionally followed by `Z`, `±HH`, `±HHMM` or `±HH:MM`.
    /// Surrounding whitespace is ignored.
    pub(crate) fn parse(s: &str) -> Option<Published> {
        let b = s.trim().as_bytes();
        let (date, rest) = (b.get(..10)?, &b[10..]);
        let separator = date[4];
        if !matches!(separator, b'-' | b'/') || date[7] != separator {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(
            i32::try_from(digits(&date[0..4])?).ok()?,
            digits(&date[5..7])?,
            digits(&date[8..10])?,
        )?;
        let iso = separator == b'-';
        let (time, offset) = match rest {
            [] => (None, None),
            [b'T' | b' ', rest @ ..] => {
                let split = rest.iter().position(|&c| matches!(c, b'Z' | b'+' | b'-')).unwrap_or(rest.len());
                let (time, offset) = rest.split_at(split);
                (Some(time_of_day(time)?), offset_of(offset)?)
            }
            _ => return None,
        };
        Some(Published { date, time, offset, iso })
    }

    /// Strictly `YYYY-MM-DD`, the form the meeting exports publish.
    pub(crate) fn plain_date(s: &str) -> Option<NaiveDate> {
        Published::parse(s).filter(|p| p.iso && p.time.is_none()).map(|p| p.date)
    }

    /// The date and time, in UTC when an offset was given; midnight when no time was.
    pub(crate) fn date_time(&self) -> NaiveDateTime {
        let local = self.date.and_time(self.time.unwrap_or(NaiveTime::MIN));
        match self.offset {
            Some(offset) => local - offset,
            None => local,
        }
    }
}

/// A number written with 1 to 9 ASCII digits and nothing else.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fff` (`,` for `.` too); a leap second `:60` is kept.
fn time_of_day(b: &[u8]) -> Option<NaiveTime> {
    let two = |x: &[u8]| (x.len() == 2).then(|| digits(x)).flatten();
    let (hour, minute, second, fraction) = match b {
        [h0, h1, b':', m0, m1] => (two(&[*h0, *h1])?, two(&[*m0, *m1])?, 0, &[][..]),
        [h0, h1, b':', m0, m1, b':', s0, s1, fraction @ ..] => {
            (two(&[*h0, *h1])?, two(&[*m0, *m1])?, two(&[*s0, *s1])?, fraction)
        }
        _ => return None,
    };
    let nanos = match fraction {
        [] => 0,
        [b'.' | b',', rest @ ..] if !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) => {
            // Nanoseconds are the first nine digits; further ones are below what is kept.
            let kept = &rest[..rest.len().min(9)];
            digits(kept)? * 10u32.pow(9 - kept.len() as u32)
        }
        _ => return None,
    };
    // chrono writes a leap second as the 59th second with more than a second of nanoseconds.
    let (second, nanos) = if second == 60 { (59, nanos + 1_000_000_000) } else { (second, nanos) };
    NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)
}

/// Nothing, `Z`, `±HH`, `±HHMM` or `±HH:MM`: `Some(None)` for nothing, `None` when malformed.
fn offset_of(b: &[u8]) -> Option<Option<FixedOffset>> {
    let (sign, hours, minutes) = match b {
        [] => return Some(None),
        [b'Z'] => return Some(FixedOffset::east_opt(0)),
        [sign @ (b'+' | b'-'), h0, h1] => (*sign, [*h0, *h1], [b'0', b'0']),
        [sign @ (b'+' | b'-'), h0, h1, m0, m1] | [sign @ (b'+' | b'-'), h0, h1, b':', m0, m1] => {
            (*sign, [*h0, *h1], [*m0, *m1])
        }
        _ => return None,
    };
    let (hours, minutes) = (digits(&hours).filter(|h| *h <= 23)?, digits(&minutes).filter(|m| *m <= 59)?);
    let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
    let seconds = if sign == b'-' { -seconds } else { seconds };
    Some(FixedOffset::east_opt(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn every_published_shape_is_read() {
        for (text, utc) in [
            ("2018-10-25", "2018-10-25 00:00:00"),
            (" 2018-10-25 ", "2018-10-25 00:00:00"),
            ("2021/08/06", "2021-08-06 00:00:00"),
            ("2021/08/06 23:57:37", "2021-08-06 23:57:37"),
            ("2021-08-06 23:57:37", "2021-08-06 23:57:37"),
            ("2021-08-06T23:57:37", "2021-08-06 23:57:37"),
            ("2021-08-06T23:57:37.5", "2021-08-06 23:57:37.5"),
            ("2021/08/06 23:57:37.123", "2021-08-06 23:57:37.123"),
            ("2018-10-25T20:00", "2018-10-25 20:00:00"),
            ("2018-10-25 20:00:00,5", "2018-10-25 20:00:00.5"),
            ("2018-10-25T20:00:00Z", "2018-10-25 20:00:00"),
            ("2018-10-25T20:00:00.071+00:00", "2018-10-25 20:00:00.071"),
            ("2018-10-25T20:00:00+0200", "2018-10-25 18:00:00"),
            ("2018-10-25T20:00:00-05", "2018-10-26 01:00:00"),
            ("2021-08-06T23:57:37.123456789123", "2021-08-06 23:57:37.123456789"),
        ] {
            let p = Published::parse(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(p.date_time(), at(utc), "{text}");
        }
    }

    #[test]
    fn the_date_is_taken_as_written_whatever_the_offset() {
        let p = Published::parse("2018-10-25T23:00:00-05:00").unwrap();
        assert_eq!((p.date, p.iso), (date("2018-10-25"), true));
        assert_eq!(p.date_time(), at("2018-10-26 04:00:00"));
        assert!(!Published::parse("2021/08/06").unwrap().iso);
    }

    #[test]
    fn a_leap_second_is_kept() {
        let p = Published::parse("2016-12-31T23:59:60Z").unwrap();
        assert_eq!(p.date, date("2016-12-31"));
        assert_eq!(p.time.map(|t| t.format("%H:%M:%S").to_string()).as_deref(), Some("23:59:60"));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "25/10/2018",
            "30/06/2022",
            "20220630",
            "2018-13-01",
            "2018-02-30",
            "2018-1-05",
            "2022-6-30",
            "+2022-06-30",
            "2018/10-25",
            "2018-10-25T",
            "2018-10-25T20",
            "2018-10-25T24:00",
            "2018-10-25T20:61:00",
            "2018-10-25T20:00:61",
            "2018-10-25T20:00:00.",
            "2018-10-25T20:00:00+2:00",
            "2018-10-25T20:00:00+24:00",
            "2018-10-25x",
            "2018-10-25T20:00:00 Z",
            "2018-10-25Z",
            "２018-10-25",
            "2022-06-30 10:00:00 extra",
        ] {
            assert_eq!(Published::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn plain_dates_are_exactly_yyyy_mm_dd() {
        assert_eq!(Published::plain_date(" 2022-06-30 "), Some(date("2022-06-30")));
        for bad in ["2022/06/30", "2022-06-30 10:00", "2022-06-30T00:00:00", "2022-02-30"] {
            assert_eq!(Published::plain_date(bad), None, "{bad}");
        }
    }
}
