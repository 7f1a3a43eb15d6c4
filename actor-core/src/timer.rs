//! Time, on the runtime's clock (virtual on the deterministic runtime):
//! sleeping, timeouts, yielding, and timers that send messages.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{AbortHandle, Abortable};
use pin_project_lite::pin_project;

use crate::error::Elapsed;
use crate::pid::Pid;
use crate::runtime::{self, deterministic::DetSleep};

pin_project! {
    /// A future that completes at a point in time; see [`sleep`].
    pub struct Sleep {
        #[pin]
        inner: SleepInner,
    }
}

pin_project! {
    #[project = SleepProj]
    enum SleepInner {
        Tokio { #[pin] sleep: tokio::time::Sleep },
        Det { sleep: DetSleep },
        Never,
    }
}

impl Sleep {
    pub(crate) fn tokio(sleep: tokio::time::Sleep) -> Self {
        Sleep {
            inner: SleepInner::Tokio { sleep },
        }
    }
    pub(crate) fn det(sleep: DetSleep) -> Self {
        Sleep {
            inner: SleepInner::Det { sleep },
        }
    }
}

impl std::fmt::Debug for Sleep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sleep")
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.project().inner.project() {
            SleepProj::Tokio { sleep } => sleep.poll(cx),
            SleepProj::Det { sleep } => sleep.poll(cx),
            SleepProj::Never => Poll::Pending,
        }
    }
}

/// The runtime's clock: time since the runtime's epoch. On the
/// deterministic runtime it is virtual time since the start of the run;
/// on tokio it follows tokio's clock (paused time included).
pub fn now() -> Duration {
    runtime::now()
}

/// A timeout that never expires (Erlang's `infinity`): [`sleep`],
/// [`timeout`], [`Pid::call`] and the receives with a timeout given this
/// duration wait without arming a timer.
pub const INFINITY: Duration = Duration::MAX;

/// Waits for `duration` on the runtime's clock; [`INFINITY`] waits forever.
///
/// # Examples
///
/// ```
/// use actor_core::deterministic::{self, Config};
/// use std::time::Duration;
///
/// let out = deterministic::run(Config::fifo(), async {
///     actor_core::sleep(Duration::from_secs(86_400)).await;
///     actor_core::now()
/// });
/// assert_eq!(out.result.unwrap(), Duration::from_secs(86_400));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    if duration == INFINITY {
        return Sleep {
            inner: SleepInner::Never,
        };
    }
    runtime::sleep_until(runtime::now().saturating_add(duration))
}

/// Waits until the runtime's clock reads `deadline` (see [`now`]).
pub fn sleep_until(deadline: Duration) -> Sleep {
    runtime::sleep_until(deadline)
}

pin_project! {
    /// A future with a time limit; see [`timeout`].
    #[derive(Debug)]
    pub struct Timeout<F> {
        #[pin]
        fut: F,
        #[pin]
        sleep: Sleep,
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.fut.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        this.sleep.poll(cx).map(|()| Err(Elapsed))
    }
}

/// Runs `fut` with a time limit (gevent's `Timeout`): its output, or
/// [`Elapsed`] if `duration` passes first (the future is then dropped).
///
/// # Examples
///
/// ```
/// use actor_core::{timeout, sleep, Elapsed, Runtime};
/// use std::time::Duration;
///
/// Runtime::tokio_current_thread().block_on(async {
///     let slow = timeout(Duration::from_millis(1), sleep(Duration::from_secs(10))).await;
///     assert_eq!(slow, Err(Elapsed));
///     assert_eq!(timeout(Duration::from_secs(1), async { 5 }).await, Ok(5));
/// });
/// ```
pub fn timeout<F: Future>(duration: Duration, fut: F) -> Timeout<F> {
    Timeout {
        fut,
        sleep: sleep(duration),
    }
}

/// Lets other tasks run, then continues: this task goes to the back of the
/// run queue (`stackless.schedule()`).
///
/// # Examples
///
/// ```
/// # actor_core::Runtime::tokio_current_thread().block_on(async {
/// actor_core::yield_now().await;
/// # });
/// ```
pub async fn yield_now() {
    runtime::yield_now().await
}

/// A running timer from [`send_after`] or [`send_interval`]. Dropping it
/// does not cancel it; [`cancel`](Timer::cancel) does.
#[derive(Debug, Clone)]
pub struct Timer {
    abort: AbortHandle,
}

impl Timer {
    /// Cancels the timer: no message is sent after this returns.
    pub fn cancel(&self) {
        self.abort.abort();
    }

    /// Whether the timer was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.abort.is_aborted()
    }
}

fn start<F: Future<Output = ()> + Send + 'static>(fut: F) -> Timer {
    let (abort, reg) = AbortHandle::new_pair();
    runtime::spawn_task(async move {
        let _ = Abortable::new(fut, reg).await;
    });
    Timer { abort }
}

/// Sends `msg` to `pid` after `delay` (Erlang's `send_after`). If the
/// process has ended by then, the message is dropped.
///
/// # Examples
///
/// ```
/// use actor_core::{send_after, spawn, Ctx, Runtime};
/// use std::time::Duration;
///
/// Runtime::tokio_current_thread().block_on(async {
///     let pid = spawn(|mut ctx: Ctx<&str>| async move {
///         assert_eq!(ctx.recv().await, "tick");
///     });
///     send_after(&pid, "tick", Duration::from_millis(1));
///     assert!(pid.wait().await.is_normal());
/// });
/// ```
pub fn send_after<M: Send + 'static>(pid: &Pid<M>, msg: M, delay: Duration) -> Timer {
    let pid = pid.clone();
    start(async move {
        sleep(delay).await;
        let _ = pid.send(msg).await;
    })
}

/// Sends `make()` to `pid` every `period`, without drift, until cancelled or
/// until the process ends.
///
/// # Examples
///
/// ```
/// use actor_core::{send_interval, spawn, Ctx, Runtime};
/// use std::time::Duration;
///
/// Runtime::tokio_current_thread().block_on(async {
///     let pid = spawn(|mut ctx: Ctx<u32>| async move {
///         for _ in 0..3 {
///             ctx.recv().await;
///         }
///     });
///     let timer = send_interval(&pid, Duration::from_millis(1), || 1);
///     assert!(pid.wait().await.is_normal());
///     timer.cancel();
/// });
/// ```
pub fn send_interval<M: Send + 'static>(
    pid: &Pid<M>,
    period: Duration,
    mut make: impl FnMut() -> M + Send + 'static,
) -> Timer {
    let pid = pid.clone();
    start(async move {
        let mut next = runtime::now();
        loop {
            next += period;
            sleep_until(next).await;
            if pid.send(make()).await.is_err() {
                break;
            }
        }
    })
}
