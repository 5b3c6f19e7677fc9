//! `lobbyscope bench`: figures for BENCHMARKS.md.
//!
//! `bench FILE…` ([`files`]) times parsing and importing single files in this process;
//! `bench corpus` ([`corpus`]) runs the whole benchmark at the EU's size: a generated corpus,
//! each source and then everything imported by child processes, the `sqlite3 .import` floor,
//! and every kind of page uncached against a child `serve`; `bench search` ([`search`]) the
//! search index beside SQLite FTS5 on a store's documents.

mod child;
pub mod corpus;
mod files;
mod floor;
mod pages;
mod report;
pub mod search;
mod stores;
mod survey;

use std::time::Duration;

pub use files::run as files;

/// The nearest-rank percentile of sorted `times`: the smallest value with at least `p` % of
/// them at or below it, as `tools/bench_pages.sh` computed it (the median of 5 is the 3rd, the
/// p99 of 100 the 99th), so figures stay comparable with the earlier ones in BENCHMARKS.md.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted.get(rank - 1).or(sorted.last()).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Kilobytes (as the kernel counts memory) in whole megabytes, rounded.
fn mb(kb: u64) -> u64 {
    (kb + 512) / 1024
}

/// A peak RSS in megabytes as the report shows it: `—` when it could not be seen.
fn mb_shown(kb: Option<u64>) -> String {
    kb.map_or_else(|| "—".to_owned(), |kb| mb(kb).to_string())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::percentile;

    #[test]
    fn percentiles_are_nearest_rank() {
        let times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&times, 50), Duration::from_millis(50));
        assert_eq!(percentile(&times, 99), Duration::from_millis(99));
        assert_eq!(percentile(&times[..5], 50), Duration::from_millis(3));
        assert_eq!(percentile(&times[..3], 99), Duration::from_millis(3));
        assert_eq!(percentile(&times[..1], 50), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50), Duration::ZERO);
    }
}
