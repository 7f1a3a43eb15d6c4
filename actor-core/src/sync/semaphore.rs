//! `gevent.lock.Semaphore`: a number of permits shared by tasks.

use std::sync::Arc;
use std::time::Duration;

use super::waiters::labelled;

/// A counting semaphore: [`acquire`](Semaphore::acquire) takes a permit,
/// waiting for one if none is free; dropping the [`Permit`] gives it back.
/// Waiters are served in arrival order.
///
/// A cheap handle: clone it to share it.
///
/// # Examples
///
/// ```
/// use actor_core::sync::Semaphore;
///
/// # actor_core::Runtime::tokio_current_thread().block_on(async {
/// let sem = Semaphore::new(2);
/// let a = sem.acquire().await;
/// let _b = sem.acquire().await;
/// assert!(sem.try_acquire().is_none());
/// drop(a);
/// assert_eq!(sem.available(), 1);
/// # });
/// ```
#[derive(Clone)]
pub struct Semaphore {
    inner: Arc<tokio::sync::Semaphore>,
}

/// A permit of a [`Semaphore`], given back when dropped. It can be moved
/// into another process (the permit is then held until that process ends).
pub struct Permit {
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Permit")
    }
}

impl std::fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semaphore")
            .field("available", &self.available())
            .finish()
    }
}

impl Semaphore {
    /// A semaphore with `permits` permits, at most [`Semaphore::MAX_PERMITS`]
    /// (more are taken as that many).
    pub fn new(permits: usize) -> Self {
        Semaphore {
            inner: Arc::new(tokio::sync::Semaphore::new(permits.min(Self::MAX_PERMITS))),
        }
    }

    /// The most permits a semaphore holds (tokio's limit, 2^61 - 1).
    pub const MAX_PERMITS: usize = tokio::sync::Semaphore::MAX_PERMITS;

    /// How many permits are free.
    pub fn available(&self) -> usize {
        self.inner.available_permits()
    }

    /// Adds `n` permits (gevent's `release` without a matching `acquire`),
    /// up to [`Semaphore::MAX_PERMITS`] in all.
    pub fn add_permits(&self, n: usize) {
        let room = Self::MAX_PERMITS - self.inner.available_permits();
        self.inner.add_permits(n.min(room));
    }

    /// Takes a permit, waiting for one to be free.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a waiter that is dropped loses its place in the line,
    /// and takes no permit.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Semaphore;
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let sem = Semaphore::new(1);
    ///     let permit = sem.acquire().await;
    ///     // Hand the permit to a process: it is given back when the process ends.
    ///     let p = spawn(move |_: Ctx<()>| async move { drop(permit) });
    ///     p.wait().await;
    ///     assert_eq!(sem.available(), 1);
    /// });
    /// ```
    pub async fn acquire(&self) -> Permit {
        self.acquire_as("semaphore acquire").await
    }

    /// [`acquire`](Semaphore::acquire), named `what` in the deadlock report.
    pub(crate) async fn acquire_as(&self, what: &'static str) -> Permit {
        let permit = labelled(what, self.inner.clone().acquire_owned())
            .await
            .expect("the semaphore is never closed");
        Permit { _permit: permit }
    }

    /// Takes a permit if one is free now.
    pub fn try_acquire(&self) -> Option<Permit> {
        self.inner
            .clone()
            .try_acquire_owned()
            .ok()
            .map(|p| Permit { _permit: p })
    }

    /// Takes a permit, waiting at most `timeout` (on the runtime's clock);
    /// `None` if none was free in time.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Semaphore;
    /// use actor_core::deterministic::{self, Config};
    /// use std::time::Duration;
    ///
    /// let out = deterministic::run(Config::fifo(), async {
    ///     let sem = Semaphore::new(1);
    ///     let _held = sem.acquire().await;
    ///     sem.acquire_timeout(Duration::from_secs(10)).await.is_some()
    /// });
    /// assert_eq!(out.result, Ok(false));
    /// assert_eq!(out.elapsed, Duration::from_secs(10));
    /// ```
    pub async fn acquire_timeout(&self, timeout: Duration) -> Option<Permit> {
        crate::timer::timeout(timeout, self.acquire()).await.ok()
    }
}
