//! What the actor-io tests share.

use std::future::Future;
use std::time::Duration;

use actor_core::ExitReason;

/// Waits (at most `limit`) for a process to end (`ended` is its `wait()`),
/// and asserts it ended normally: a test body that ran in a process passed
/// all its assertions.
pub(crate) async fn ends_normally(ended: impl Future<Output = ExitReason>, limit: Duration) {
    let reason = actor_core::timeout(limit, ended)
        .await
        .expect("the process ends in time");
    assert!(reason.is_normal(), "{reason}");
}

/// Whether an OS process with this id exists at all (a zombie counts, so
/// `false` means killed and reaped).
#[allow(dead_code, reason = "each test file uses the helpers it needs")]
pub(crate) fn exists(os_pid: u32) -> bool {
    let Some(pid) = rustix::process::Pid::from_raw(os_pid as i32) else {
        return false;
    };
    rustix::process::test_kill_process(pid).is_ok()
}
