//! What the parsers' fuzz targets (`fuzz/`) do with an input, here so that the regression test
//! on stable (`tests/fuzz_regressions.rs`) replays exactly it. Not part of the API.
//!
//! A target may return any error; it must never panic, loop or allocate without bound.

use std::io::Cursor;

use lobbyscope_domain::SourceKind;

use crate::{Limits, detect, parse_with};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// Limits far below the defaults, so that an input the fuzzer grows spends its time in the
/// parser's logic, not in allocations the defaults would allow; each still far above what the
/// fuzzer's inputs (64 KiB at most) need for their records.
pub fn limits() -> Limits {
    Limits {
        decompressed_bytes: 4 * MIB,
        compression_ratio: 100,
        xlsx_bytes: MIB,
        xlsx_inflated_bytes: 4 * MIB,
        xlsx_styles_bytes: 256 * KIB,
        xlsx_text_bytes: 4 * MIB,
        sheet_rows: 10_000,
        sheet_columns: 64,
        xml_depth: 64,
        xml_text_bytes: 256 * KIB,
        xml_record_bytes: MIB,
        csv_field_bytes: 64 * KIB,
        csv_row_bytes: 256 * KIB,
        json_bytes: MIB,
    }
}

/// `data` as a file of `kind`: recognised by [`detect`] (whatever it says), then parsed under
/// `limits` with every record and rejection read to the end. An error ends the stream: nothing
/// may follow it (an assertion, for the fuzzer to find).
pub fn parse_all(kind: SourceKind, data: &[u8], limits: &Limits) {
    let _ = detect(data);
    let Ok(mut items) = parse_with(kind, Box::new(Cursor::new(data.to_vec())), limits) else { return };
    while let Some(item) = items.next() {
        if let Err(e) = item {
            let _ = e.to_string();
            assert!(items.next().is_none(), "an item after the error {e}");
            return;
        }
    }
}
