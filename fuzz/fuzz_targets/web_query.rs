//! The fuzz input as a query string, read as the site reads one (its `Params`) and through
//! every parameter reader of `crates/web/src/query.rs` (see `lobbyscope_web::fuzzing`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lobbyscope_fuzz::query(data);
});
