//! What the property tests share: their proptest configuration.

use proptest::test_runner::Config;

/// At least 256 cases per property (`PROPTEST_CASES` sets another count),
/// failures saved under `proptest-regressions/` and replayed first on the
/// next run, and shrinking bounded to a minute so that a failure in CI
/// reports promptly.
pub(crate) fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        max_shrink_time: 60_000,
        ..Config::default()
    }
}
