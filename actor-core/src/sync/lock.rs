//! `gevent.lock`'s `Lock` (a semaphore of one): mutual exclusion between
//! tasks, with no data inside.

use std::time::Duration;

use super::semaphore::{Permit, Semaphore};

/// A lock (a semaphore of one permit): at most one holder at a time;
/// waiters are served in arrival order. It guards no data: it orders
/// steps, such as a read-then-write conversation with another process.
/// To guard data, keep the data in a process.
///
/// A cheap handle: clone it to share it.
///
/// # Examples
///
/// ```
/// use actor_core::sync::Lock;
///
/// # actor_core::Runtime::tokio_current_thread().block_on(async {
/// let lock = Lock::new();
/// let guard = lock.lock().await;
/// assert!(lock.is_locked());
/// assert!(lock.try_lock().is_none());
/// drop(guard);
/// assert!(lock.try_lock().is_some());
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct Lock {
    sem: Semaphore,
}

/// Holds a [`Lock`]; dropping it unlocks.
#[derive(Debug)]
pub struct LockGuard {
    _permit: Permit,
}

impl Default for Lock {
    fn default() -> Self {
        Self::new()
    }
}

impl Lock {
    /// A new, unlocked lock.
    pub fn new() -> Self {
        Lock {
            sem: Semaphore::new(1),
        }
    }

    /// Whether someone holds the lock.
    pub fn is_locked(&self) -> bool {
        self.sem.available() == 0
    }

    /// Takes the lock, waiting for it to be free.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Lock;
    ///
    /// # actor_core::Runtime::tokio_current_thread().block_on(async {
    /// let lock = Lock::new();
    /// {
    ///     let _held = lock.lock().await;
    ///     assert!(lock.is_locked());
    /// }
    /// assert!(!lock.is_locked());
    /// # });
    /// ```
    pub async fn lock(&self) -> LockGuard {
        LockGuard {
            _permit: self.sem.acquire_as("lock").await,
        }
    }

    /// Takes the lock if it is free now.
    pub fn try_lock(&self) -> Option<LockGuard> {
        self.sem.try_acquire().map(|p| LockGuard { _permit: p })
    }

    /// Takes the lock, waiting at most `timeout` (on the runtime's clock);
    /// `None` if it stayed taken.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Lock;
    /// use actor_core::deterministic::{self, Config};
    /// use std::time::Duration;
    ///
    /// let out = deterministic::run(Config::fifo(), async {
    ///     let lock = Lock::new();
    ///     let _held = lock.lock().await;
    ///     lock.lock_timeout(Duration::from_millis(250)).await.is_some()
    /// });
    /// assert_eq!(out.result, Ok(false));
    /// ```
    pub async fn lock_timeout(&self, timeout: Duration) -> Option<LockGuard> {
        crate::timer::timeout(timeout, self.lock()).await.ok()
    }
}
