//! What every fuzz target runs, kept in the crates it tests (`lobbyscope_sources::fuzzing`,
//! `lobbyscope_web::fuzzing`) so that their regression tests on stable replay exactly it; each
//! target is one line.

use lobbyscope_domain::SourceKind;
pub use lobbyscope_web::fuzzing::query;

/// `data` as a file of `kind`, under the fuzz targets' low limits.
pub fn parse_all(kind: SourceKind, data: &[u8]) {
    lobbyscope_sources::fuzzing::parse_all(kind, data, &lobbyscope_sources::fuzzing::limits());
}
