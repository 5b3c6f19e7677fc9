//! Small text clean-ups shared by the parsers.

/// Trims a published value and turns an empty one into `None`.
pub(crate) fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Trims and normalises line breaks (`\r\n`, lone `\r`) to `\n`; inner text is kept as is.
pub(crate) fn clean_multiline(s: &str) -> String {
    s.trim().replace("\r\n", "\n").replace('\r', "\n")
}

/// Like [`non_empty`], and a value that is only the word "null" is missing too: database
/// exports write it for an empty column (124 rows of the 2019-2024 Commission file have the portfolio "null").
pub(crate) fn non_null(s: &str) -> Option<String> {
    non_empty(s).filter(|v| !v.eq_ignore_ascii_case("null"))
}
