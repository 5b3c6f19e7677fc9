//! The fuzz input as a file's bytes, parsed as `SourceKind::CommissionMeetingsXlsx` through
//! `lobbyscope_sources::parse_with`, every item read to the end (see `lobbyscope_fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use lobbyscope_domain::SourceKind;

fuzz_target!(|data: &[u8]| {
    lobbyscope_fuzz::parse_all(SourceKind::CommissionMeetingsXlsx, data);
});
