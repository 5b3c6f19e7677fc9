//! How much work one file may ask for.
//!
//! Every parser streams, so a large file costs time in proportion to its size and little memory;
//! what these limits stop is a *small* file asking for a lot: a compressed stream that inflates
//! without end, a spreadsheet whose few bytes claim a billion cells, markup nested a million
//! deep, one row or one value the size of the file. Each default sits far above the real
//! exports (the figures are given with each), so no official file comes near one.
//!
//! Hitting a limit ends the file with [`SourceError::TooLarge`], which says what was found,
//! where, which limit it passed and how to raise it: each limit can be set in code
//! ([`crate::parse_with`], [`crate::open_path_with`]) or, for the entry points that take no
//! [`Limits`] ([`crate::parse`], [`crate::open_path`]), by an environment variable named after it
//! (`LOBBYSCOPE_LIMIT_XML_DEPTH` for [`Limits::xml_depth`]), so that an importer run from the
//! command line can accept a file the defaults refuse.

use std::fmt;
use std::io::{self, Read};

pub(crate) use lobbyscope_domain::thousands;

use crate::SourceError;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// What a limit counts, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Bytes,
    Ratio,
    Rows,
    Columns,
    Levels,
}

macro_rules! limits {
    ($($(#[doc = $doc:expr])+ $field:ident / $variant:ident: $unit:ident = $default:expr,)+) => {
        /// The limits a file is read under; see the [module](self) for what they are for.
        /// [`Limits::default`] suits every official export.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Limits {
            $($(#[doc = $doc])+ pub $field: u64,)+
        }

        impl Default for Limits {
            fn default() -> Self {
                Limits { $($field: $default,)+ }
            }
        }

        /// One of the [`Limits`], named in the error that reports it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Limit {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Limit {
            pub const ALL: &[Limit] = &[$(Limit::$variant,)+];

            /// The field's name in [`Limits`].
            pub fn name(self) -> &'static str {
                match self {
                    $(Limit::$variant => stringify!($field),)+
                }
            }

            fn unit(self) -> Unit {
                match self {
                    $(Limit::$variant => Unit::$unit,)+
                }
            }
        }

        impl Limits {
            /// The value of one limit.
            pub fn get(&self, limit: Limit) -> u64 {
                match limit {
                    $(Limit::$variant => self.$field,)+
                }
            }

            fn get_mut(&mut self, limit: Limit) -> &mut u64 {
                match limit {
                    $(Limit::$variant => &mut self.$field,)+
                }
            }
        }
    };
}

limits! {
    /// What a gzip file may inflate to. The parsers stream, so this bounds time, not memory.
    /// Real: the register export, 117 MB.
    decompressed_bytes / DecompressedBytes: Bytes = 4 * GIB,
    /// How many times its compressed size a gzip file, or an XLSX workbook's parts together, may
    /// inflate to; checked only past 1 MiB of output, so small files that compress well are never
    /// refused. Real: 4 (register), 3.4 (EP CSV), 6 (Commission XLSX); a zip bomb: about 1,000.
    compression_ratio / CompressionRatio: Ratio = 100,
    /// The size of an XLSX file, which is read into memory whole (a zip archive is read from its
    /// end). Real: 1 MB for 12,482 meetings.
    xlsx_bytes / XlsxBytes: Bytes = 16 * MIB,
    /// What all the parts of an XLSX workbook may inflate to together. The sheet is read as a
    /// stream, but the XLSX reader holds the shared strings, relationships and workbook whole,
    /// at up to five times their size. Real: 6.3 MB, of which the sheet is 4.5 MB.
    xlsx_inflated_bytes / XlsxInflatedBytes: Bytes = 64 * MIB,
    /// What a workbook's `styles.xml` may inflate to: the XLSX reader expands each style about
    /// thirty-fold. Real: 3 KB.
    xlsx_styles_bytes / XlsxStylesBytes: Bytes = MIB,
    /// All the text the rows of a sheet yield together. A cell holds a shared string by
    /// reference, so a small workbook could repeat one long string in every row. Real: 6 MB.
    xlsx_text_bytes / XlsxTextBytes: Bytes = 128 * MIB,
    /// The rows a sheet may declare or use; Excel's own maximum. Real: 12,484.
    sheet_rows / SheetRows: Rows = 1_048_576,
    /// The columns a sheet may declare or use (Excel allows 16,384). Real: 11.
    sheet_columns / SheetColumns: Columns = 1024,
    /// How deep XML elements may nest. Real: 8 (register), 4 (Commission XML).
    xml_depth / XmlDepth: Levels = 256,
    /// The longest text of one XML element, and the longest piece of markup (a tag, a comment).
    /// Real: 22 KB (an organisation's goals).
    xml_text_bytes / XmlTextBytes: Bytes = 8 * MIB,
    /// The size of one record's element (`interestRepresentative`, `meeting`) with everything in
    /// it. Real: 34 KB.
    xml_record_bytes / XmlRecordBytes: Bytes = 16 * MIB,
    /// The longest field of a CSV row. Real: 3.7 KB.
    csv_field_bytes / CsvFieldBytes: Bytes = MIB,
    /// The longest CSV row, line breaks inside quoted fields included; this is also what stops
    /// a quote left open from reading the rest of the file into one field. Real: 3.8 KB.
    csv_row_bytes / CsvRowBytes: Bytes = 4 * MIB,
    /// The size of a Have Your Say JSON page, which is read whole; its parsed tree can take up
    /// to 130 times that for a page of tiny objects (this default: under 400 MB). Real: a few
    /// KB, and at most about 1 MB for 100 responses of 4,000 characters.
    json_bytes / JsonBytes: Bytes = 3 * MIB,
}

/// Output below this is never refused for its compression ratio.
const RATIO_GRACE: u64 = MIB;

impl Limits {
    /// The defaults, with each limit whose environment variable is set
    /// ([`Limit::env_var`]) taken from it.
    pub fn from_env() -> Result<Limits, SourceError> {
        Limits::from_vars(|var| std::env::var_os(var))
    }

    /// The defaults, with each limit `var` gives a value for (by its variable's name) taken
    /// from it.
    pub fn from_vars(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<Limits, SourceError> {
        let mut limits = Limits::default();
        for &limit in Limit::ALL {
            let name = limit.env_var();
            let Some(value) = var(&name) else { continue };
            let text = value.to_string_lossy();
            let parsed = text.trim().parse::<u64>().ok().filter(|&n| n > 0);
            *limits.get_mut(limit) = parsed
                .ok_or_else(|| SourceError::Settings(format!("{name}='{text}' is not a whole number above 0")))?;
        }
        Ok(limits)
    }

    /// The most `compressed` bytes may inflate to under `absolute` and the compression ratio,
    /// and which of the two sets it.
    pub(crate) fn inflation_cap(&self, absolute: Limit, compressed: u64) -> (u64, Limit) {
        let by_ratio = compressed.saturating_mul(self.compression_ratio).max(RATIO_GRACE);
        let absolute_cap = self.get(absolute);
        if by_ratio < absolute_cap { (by_ratio, Limit::CompressionRatio) } else { (absolute_cap, absolute) }
    }
}

impl Limit {
    /// The environment variable that sets this limit for [`Limits::from_env`].
    pub fn env_var(self) -> String {
        format!("LOBBYSCOPE_LIMIT_{}", self.name().to_ascii_uppercase())
    }

    /// A value of this limit in words: "8 MiB", "256 levels".
    pub fn show(self, value: u64) -> String {
        match self.unit() {
            Unit::Bytes => bytes(value),
            Unit::Ratio => format!("{value} to 1"),
            Unit::Rows => format!("{} rows", thousands(value)),
            Unit::Columns => format!("{} columns", thousands(value)),
            Unit::Levels => format!("{} levels", thousands(value)),
        }
    }
}

/// A byte count in words: a whole number of KiB, MiB or GiB as such, else the digits.
pub(crate) fn bytes(n: u64) -> String {
    for (size, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if n >= size && n.is_multiple_of(size) {
            return format!("{} {name}", n / size);
        }
    }
    format!("{} bytes", thousands(n))
}

/// A limit a file went past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitExceeded {
    pub limit: Limit,
    /// The limit's value when it was hit.
    pub value: u64,
    /// What went past it, in words ("a field of 1,500,000 bytes").
    pub found: String,
    /// Where in the file ("line 12", "row 7 of sheet 'Export Worksheet'").
    pub at: String,
}

impl LimitExceeded {
    pub(crate) fn new(limits: &Limits, limit: Limit, found: impl Into<String>, at: impl Into<String>) -> Self {
        LimitExceeded { limit, value: limits.get(limit), found: found.into(), at: at.into() }
    }

    /// Puts `place` (what a parser knows: a line, a record) before what the reader that hit the
    /// limit knew (a byte offset, a path).
    pub(crate) fn within(mut self, place: impl fmt::Display) -> Self {
        self.at = if self.at.is_empty() { place.to_string() } else { format!("{place}, {}", self.at) };
        self
    }
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "over a limit at {}: {}, more than the {} limit of {} allows (to accept the file, set {} higher)",
            self.at,
            self.found,
            self.limit.name(),
            self.limit.show(self.value),
            self.limit.env_var()
        )
    }
}

impl std::error::Error for LimitExceeded {}

/// The limit a reader's error carries, when a [`Capped`] reader (or another of this crate's
/// readers) stopped for one.
pub(crate) fn limit_of(e: &io::Error) -> Option<&LimitExceeded> {
    e.get_ref()?.downcast_ref::<LimitExceeded>()
}

pub(crate) fn limit_error(exceeded: LimitExceeded) -> io::Error {
    io::Error::other(exceeded)
}

/// A reader that fails once more than its cap has come out of it: what keeps an inflating
/// reader (a gzip stream, a part of an XLSX archive) or a file read whole from growing without
/// bound. The error it fails with carries `over`, which [`SourceError`] turns back into
/// [`SourceError::TooLarge`].
pub(crate) struct Capped<R> {
    inner: R,
    cap: u64,
    left: u64,
    over: LimitExceeded,
}

impl<R> Capped<R> {
    pub(crate) fn new(inner: R, cap: u64, over: LimitExceeded) -> Self {
        Capped { inner, cap, left: cap, over }
    }

    /// The bytes read through so far.
    pub(crate) fn taken(&self) -> u64 {
        self.cap - self.left
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // One byte more than allowed is asked for, so that a stream ending exactly at the cap
        // is accepted and one going past it is caught without reading further.
        let want = buf.len().min(usize::try_from(self.left.saturating_add(1)).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n as u64 > self.left {
            self.left = 0;
            return Err(limit_error(self.over.clone()));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Reads `input` whole, failing with `over` past `cap` bytes.
pub(crate) fn read_whole(input: impl Read, cap: u64, over: LimitExceeded) -> Result<Vec<u8>, SourceError> {
    let mut bytes = Vec::new();
    Capped::new(input, cap, over).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_words() {
        assert_eq!(bytes(4 * GIB), "4 GiB");
        assert_eq!(bytes(MIB), "1 MiB");
        assert_eq!(bytes(1_500_000), "1,500,000 bytes");
        assert_eq!(bytes(999), "999 bytes");
        assert_eq!(thousands(1_048_576), "1,048,576");
        assert_eq!(Limit::SheetRows.show(1_048_576), "1,048,576 rows");
        assert_eq!(Limit::CompressionRatio.show(100), "100 to 1");
        assert_eq!(Limit::XmlDepth.env_var(), "LOBBYSCOPE_LIMIT_XML_DEPTH");
    }

    #[test]
    fn a_capped_reader_accepts_its_cap_and_fails_past_it() {
        let over = LimitExceeded::new(&Limits::default(), Limit::JsonBytes, "too much", "byte 10");
        let mut out = Vec::new();
        assert_eq!(Capped::new(&[7u8; 10][..], 10, over.clone()).read_to_end(&mut out).unwrap(), 10);
        let e = Capped::new(&[7u8; 11][..], 10, over.clone()).read_to_end(&mut out).unwrap_err();
        assert_eq!(limit_of(&e), Some(&over));
    }

    #[test]
    fn limits_are_read_from_variables_named_after_them() {
        let vars = |v: &str| match v {
            "LOBBYSCOPE_LIMIT_XML_DEPTH" => Some("1000".into()),
            "LOBBYSCOPE_LIMIT_CSV_ROW_BYTES" => Some(" 8388608 ".into()),
            _ => None,
        };
        let limits = Limits::from_vars(vars).unwrap();
        assert_eq!((limits.xml_depth, limits.csv_row_bytes), (1000, 8 * MIB));
        assert_eq!(Limits { xml_depth: 256, csv_row_bytes: 4 * MIB, ..limits }, Limits::default());
        for bad in ["", "0", "-1", "8M", "lots"] {
            let e = Limits::from_vars(|v| (v == "LOBBYSCOPE_LIMIT_JSON_BYTES").then(|| bad.into())).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("invalid setting: LOBBYSCOPE_LIMIT_JSON_BYTES='{bad}' is not a whole number above 0")
            );
        }
    }

    #[test]
    fn the_ratio_binds_only_past_its_grace() {
        let limits = Limits::default();
        assert_eq!(limits.inflation_cap(Limit::DecompressedBytes, 100), (MIB, Limit::CompressionRatio));
        assert_eq!(limits.inflation_cap(Limit::DecompressedBytes, 10 * MIB), (1000 * MIB, Limit::CompressionRatio));
        assert_eq!(limits.inflation_cap(Limit::DecompressedBytes, GIB), (4 * GIB, Limit::DecompressedBytes));
    }
}
