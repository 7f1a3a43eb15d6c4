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

/// Keeps the panics a test causes on purpose (with the message `boom`)
/// out of its output, so that a failure's report is readable.
#[allow(dead_code)] // Not every test file panics on purpose.
pub(crate) fn quiet_boom() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"boom") {
                default(info);
            }
        }));
    });
}
