//! `gevent.pool.Pool`: a group that bounds how many processes run at once.

use std::future::Future;
use std::time::Duration;

use super::group::{Group, Unordered, imap};
use super::semaphore::Semaphore;
use crate::ctx::Ctx;
use crate::pid::{AnyPid, Pid};
use crate::process::IntoExitReason;

/// A [`Group`] that runs at most `size` processes at once:
/// [`spawn`](Pool::spawn) waits for a free slot, and a slot frees when its
/// process ends (for any reason).
///
/// A cheap handle: clone it to share it.
///
/// # Examples
///
/// ```
/// use actor_core::sync::Pool;
/// use actor_core::deterministic::{self, Config};
/// use std::time::Duration;
///
/// let out = deterministic::run(Config::fifo(), async {
///     let pool = Pool::new(2);
///     // Six jobs of one second each, two at a time: three seconds.
///     let mut done = pool.imap_unordered(
///         |n: u32| async move { actor_core::sleep(Duration::from_secs(1)).await; n },
///         0..6,
///     );
///     let mut count = 0;
///     while let Some(r) = done.next().await {
///         r.unwrap();
///         count += 1;
///     }
///     (count, actor_core::now())
/// });
/// assert_eq!(out.result, Ok((6, Duration::from_secs(3))));
/// ```
#[derive(Clone, Debug)]
pub struct Pool {
    group: Group,
    slots: Semaphore,
    size: usize,
}

impl Pool {
    /// A pool running at most `size` processes at once (at least 1, at
    /// most [`Semaphore::MAX_PERMITS`]).
    pub fn new(size: usize) -> Self {
        let size = size.clamp(1, Semaphore::MAX_PERMITS);
        Pool {
            group: Group::new(),
            slots: Semaphore::new(size),
            size,
        }
    }

    /// The most processes that run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// How many more processes could start now.
    pub fn free_count(&self) -> usize {
        self.slots.available()
    }

    /// Waits for a free slot, then spawns `body` as a new process in the
    /// pool. The slot frees when the process ends.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`spawn`](crate::spawn).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if dropped while waiting for a slot, nothing is spawned.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Pool;
    /// use actor_core::{Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pool = Pool::new(1);
    ///     let first = pool.spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await }).await;
    ///     assert_eq!(pool.free_count(), 0);
    ///     first.send(()).await.unwrap();
    ///     // Waits until `first` has ended and freed its slot.
    ///     let second = pool.spawn(|_: Ctx<()>| async {}).await;
    ///     assert!(!first.is_alive());
    ///     pool.join().await;
    ///     assert!(!second.is_alive());
    /// });
    /// ```
    pub async fn spawn<M, F, Fut>(&self, body: F) -> Pid<M>
    where
        M: Send + 'static,
        F: FnOnce(Ctx<M>) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExitReason,
    {
        let permit = self.slots.acquire_as("pool slot").await;
        self.group.spawn(move |ctx| {
            let fut = body(ctx);
            async move {
                let _permit = permit;
                fut.await
            }
        })
    }

    /// Adds a running process to the pool's group without taking a slot
    /// (gevent's `Pool.add` waits for one; here use [`spawn`](Pool::spawn)
    /// for that).
    pub fn add(&self, pid: impl Into<AnyPid>) {
        self.group.add(pid);
    }

    /// The members still running.
    pub fn members(&self) -> Vec<AnyPid> {
        self.group.members()
    }

    /// How many members are still running.
    pub fn len(&self) -> usize {
        self.group.len()
    }

    /// Whether no member is running.
    pub fn is_empty(&self) -> bool {
        self.group.is_empty()
    }

    /// Waits until every member has ended; see [`Group::join`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn join(&self) {
        self.group.join().await
    }

    /// Like [`join`](Pool::join) with a time limit; see [`Group::join_timeout`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn join_timeout(&self, timeout: Duration) -> bool {
        self.group.join_timeout(timeout).await
    }

    /// Kills every member and waits until they have ended; see [`Group::kill`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn kill(&self) {
        self.group.kill().await
    }

    /// Runs `f` on every item, each in a process of its own, at most
    /// [`size`](Pool::size) at once, and yields the results in the order
    /// they complete; see [`Group::imap_unordered`].
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`spawn`](crate::spawn).
    pub fn imap_unordered<I, F, Fut>(&self, f: F, items: I) -> Unordered<Fut::Output>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        imap(&self.group, Some(self.slots.clone()), f, items)
    }
}
