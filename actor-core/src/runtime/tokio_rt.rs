//! The tokio side of the seam: the only module that calls `tokio::spawn`
//! and `tokio::time`.

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

pub(super) fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the OS refused to start tokio's worker threads")
}

pub(super) fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the OS refused to start tokio's IO driver")
}

/// Spawns on the current tokio runtime. Outside one, tokio panics with
/// "must be called from the context of a Tokio 1.x runtime" (checking
/// first would cost a reference count on the runtime handle per spawn).
pub(super) fn spawn<F>(fut: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    drop(tokio::spawn(fut));
}

/// The epoch of the tokio clock. tokio's `Instant` follows paused time in
/// tests, so durations measured from it do too.
static EPOCH: LazyLock<std::time::Instant> = LazyLock::new(std::time::Instant::now);

pub(super) fn now() -> Duration {
    let epoch = *EPOCH;
    tokio::time::Instant::now()
        .into_std()
        .saturating_duration_since(epoch)
}

pub(super) fn sleep_until(deadline: Duration) -> tokio::time::Sleep {
    match EPOCH.checked_add(deadline) {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)),
        // Past what an Instant can hold: as good as never. tokio caps its
        // own longest sleep the same way (about 30 years).
        None => tokio::time::sleep(Duration::from_secs(30 * 365 * 86_400)),
    }
}
