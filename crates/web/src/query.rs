//! Query-string parameters: parsed by hand so that every bad value gets a message that names
//! it, and bounded so that no request can ask for unbounded work.

use axum::extract::{FromRequestParts, RawQuery};
use axum::http::request::Parts;
use lobbyscope_domain::Institution;
use lobbyscope_store::{ActivityFilter, ActivityKind};

use crate::WebError;

pub const PAGE_SIZE: u32 = 25;
const MAX_PAGE: u32 = 10_000;
/// The most rows a CSV download or a feed holds.
pub const MAX_EXPORT: u32 = 10_000;

/// The `key=value` pairs of the query string, decoded.
pub struct Params(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state).await.expect("infallible");
        Params::from_query(&raw.unwrap_or_default())
    }
}

impl Params {
    /// The pairs of a query string (without its `?`), as a request's are read.
    pub fn from_query(raw: &str) -> Result<Params, WebError> {
        if raw.len() > 2048 {
            return Err(WebError::BadRequest("The query string is too long.".into()));
        }
        Ok(Params(serde_urlencoded_pairs(raw)?))
    }
}

fn serde_urlencoded_pairs(raw: &str) -> Result<Vec<(String, String)>, WebError> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(k)?, decode(v)?))
        })
        .collect()
}

fn decode(s: &str) -> Result<String, WebError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                out.push(byte.ok_or_else(|| WebError::BadRequest("The query string is not well encoded.".into()))?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| WebError::BadRequest("The query string is not valid UTF-8.".into()))
}

impl Params {
    /// A parameter's value: the last one given, empty meaning absent.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    /// The timeline filter: `kind`, `institution`, `year`, `page`.
    pub fn activity_filter(&self) -> Result<ActivityFilter, WebError> {
        let bad = |name: &str, value: &str, expected: &str| {
            WebError::BadRequest(format!("The parameter {name}={value:?} is not valid: expected {expected}."))
        };
        let kind = match self.get("kind") {
            None | Some("all") => ActivityKind::All,
            Some("meetings") => ActivityKind::Meetings,
            Some("responses") => ActivityKind::Responses,
            Some("positions") => ActivityKind::Positions,
            Some(v) => return Err(bad("kind", v, "all, meetings, responses or positions")),
        };
        let institution = match self.get("institution") {
            None | Some("all") => None,
            Some("commission") => Some(Institution::Commission),
            Some("parliament") => Some(Institution::Parliament),
            Some(v) => return Err(bad("institution", v, "all, commission or parliament")),
        };
        let year = match self.get("year") {
            None | Some("all") => None,
            Some(v) => match v.parse::<i32>() {
                Ok(y) if (1990..=2100).contains(&y) => Some(y),
                _ => return Err(bad("year", v, "a year between 1990 and 2100")),
            },
        };
        let page = self.page()?;
        Ok(ActivityFilter { kind, institution, year, offset: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE })
    }

    /// `start` and `end`: a span of a text of `len` code points, as citations give it. Both or
    /// neither; a span that does not fit the text is refused rather than clamped, since a
    /// highlighted passage that is not the one cited would mislead.
    pub fn span(&self, len: usize) -> Result<Option<(usize, usize)>, WebError> {
        let (start, end) = match (self.get("start"), self.get("end")) {
            (None, None) => return Ok(None),
            (Some(s), Some(e)) => (s, e),
            _ => {
                return Err(WebError::BadRequest(
                    "The parameters start and end go together: give both or neither.".into(),
                ));
            }
        };
        let number = |name: &str, v: &str| {
            v.parse::<usize>().map_err(|_| {
                WebError::BadRequest(format!("The parameter {name}={v:?} is not valid: expected a whole number."))
            })
        };
        let (start, end) = (number("start", start)?, number("end", end)?);
        if start >= end || end > len {
            return Err(WebError::BadRequest(format!(
                "The span start={start}, end={end} is not valid: expected start < end ≤ {len}, the length of the text \
                 in characters."
            )));
        }
        Ok(Some((start, end)))
    }

    /// `page`, 1-based.
    pub fn page(&self) -> Result<u32, WebError> {
        match self.get("page") {
            None => Ok(1),
            Some(v) => match v.parse::<u32>() {
                Ok(p) if (1..=MAX_PAGE).contains(&p) => Ok(p),
                _ => Err(WebError::BadRequest(format!(
                    "The parameter page={v:?} is not valid: expected a whole number from 1 to {MAX_PAGE}."
                ))),
            },
        }
    }
}

/// The query string of a filter, for links that keep it (paging, CSV, feeds).
pub fn filter_query(f: &ActivityFilter, page: Option<u32>) -> String {
    let mut parts = Vec::new();
    match f.kind {
        ActivityKind::All => {}
        ActivityKind::Meetings => parts.push("kind=meetings".to_owned()),
        ActivityKind::Responses => parts.push("kind=responses".to_owned()),
        ActivityKind::Positions => parts.push("kind=positions".to_owned()),
    }
    if let Some(i) = f.institution {
        parts.push(format!("institution={}", i.as_str()));
    }
    if let Some(y) = f.year {
        parts.push(format!("year={y}"));
    }
    if let Some(p) = page.filter(|&p| p > 1) {
        parts.push(format!("page={p}"));
    }
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params(serde_urlencoded_pairs(q).unwrap())
    }

    #[test]
    fn filters_parse_and_round_trip() {
        let f = params("kind=meetings&institution=parliament&year=2021&page=3").activity_filter().unwrap();
        assert_eq!(f.kind, ActivityKind::Meetings);
        assert_eq!(f.institution, Some(Institution::Parliament));
        assert_eq!(f.year, Some(2021));
        assert_eq!(f.offset, 2 * PAGE_SIZE);
        assert_eq!(filter_query(&f, Some(3)), "?kind=meetings&institution=parliament&year=2021&page=3");
        assert_eq!(filter_query(&params("").activity_filter().unwrap(), Some(1)), "");
    }

    #[test]
    fn bad_values_are_named() {
        for (q, needle) in [
            ("kind=everything", "kind"),
            ("year=12", "year"),
            ("year=abc", "year"),
            ("page=0", "page"),
            ("page=99999999999", "page"),
            ("institution=council", "institution"),
            ("kind=position", "positions"),
        ] {
            match params(q).activity_filter() {
                Err(WebError::BadRequest(m)) => assert!(m.contains(needle), "{q}: {m}"),
                other => panic!("{q}: {other:?}"),
            }
        }
        assert!(matches!(serde_urlencoded_pairs("a=%zz"), Err(WebError::BadRequest(_))));
        assert_eq!(params("kind=positions").activity_filter().unwrap().kind, ActivityKind::Positions);
        assert!(matches!(serde_urlencoded_pairs("a=%ff"), Err(WebError::BadRequest(_))));
    }

    #[test]
    fn spans_fit_the_text() {
        assert_eq!(params("").span(10).unwrap(), None);
        assert_eq!(params("start=0&end=10").span(10).unwrap(), Some((0, 10)));
        for q in
            ["start=3", "end=3", "start=a&end=3", "start=-1&end=3", "start=3&end=3", "start=4&end=3", "start=0&end=11"]
        {
            assert!(matches!(params(q).span(10), Err(WebError::BadRequest(_))), "{q}");
        }
    }
}
