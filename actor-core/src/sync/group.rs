//! `gevent.pool.Group`: processes managed together, and
//! `imap_unordered` over them.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::Stream;
use futures::future::BoxFuture;
use tokio::sync::mpsc;

use super::semaphore::Semaphore;
use super::waiters::{labelled, lock};
use crate::ctx::Ctx;
use crate::pid::{AnyPid, Pid};
use crate::process::IntoExitReason;
use crate::signal::ExitReason;
use crate::spawn::spawn;

/// A set of processes managed together: [`join`](Group::join) waits for
/// them all, [`kill`](Group::kill) ends them all, and
/// [`imap_unordered`](Group::imap_unordered) runs a function over items,
/// one process per item, yielding results as they complete.
///
/// A cheap handle: clone it to share it. Processes that end leave the
/// group by themselves.
///
/// # Examples
///
/// ```
/// use actor_core::sync::Group;
/// use actor_core::{Ctx, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let group = Group::new();
///     for _ in 0..3 {
///         group.spawn(|_: Ctx<()>| async { actor_core::yield_now().await });
///     }
///     group.join().await;
///     assert!(group.is_empty());
/// });
/// ```
#[derive(Clone, Default)]
pub struct Group {
    state: Arc<Mutex<Members>>,
}

#[derive(Default)]
struct Members {
    pids: Vec<AnyPid>,
    /// Length after the last sweep of ended members.
    swept: usize,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").field("len", &self.len()).finish()
    }
}

impl Group {
    /// An empty group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `body` as a new process (see [`spawn`](crate::spawn)) and adds
    /// it to the group.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`spawn`](crate::spawn).
    pub fn spawn<M, F, Fut>(&self, body: F) -> Pid<M>
    where
        M: Send + 'static,
        F: FnOnce(Ctx<M>) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExitReason,
    {
        let pid = spawn(body);
        self.add(&pid);
        pid
    }

    /// Adds a running process to the group.
    pub fn add(&self, pid: impl Into<AnyPid>) {
        let mut st = lock(&self.state);
        if st.pids.len() >= 2 * st.swept.max(16) {
            st.pids.retain(AnyPid::is_alive);
            st.swept = st.pids.len();
        }
        st.pids.push(pid.into());
    }

    /// The members still running, in the order they were added.
    pub fn members(&self) -> Vec<AnyPid> {
        let mut st = lock(&self.state);
        st.pids.retain(AnyPid::is_alive);
        st.swept = st.pids.len();
        st.pids.clone()
    }

    /// How many members are still running.
    pub fn len(&self) -> usize {
        self.members().len()
    }

    /// Whether no member is running.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every member has ended, including members added while
    /// waiting (gevent's `join`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn join(&self) {
        loop {
            let members = self.members();
            if members.is_empty() {
                return;
            }
            for p in members {
                p.wait().await;
            }
        }
    }

    /// Like [`join`](Group::join), but gives up after `timeout` (on the
    /// runtime's clock); `true` if every member ended in time.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Group;
    /// use actor_core::deterministic::{self, Config};
    /// use actor_core::Ctx;
    /// use std::time::Duration;
    ///
    /// let out = deterministic::run(Config::fifo(), async {
    ///     let group = Group::new();
    ///     group.spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
    ///     let joined = group.join_timeout(Duration::from_secs(1)).await;
    ///     group.kill().await;
    ///     joined
    /// });
    /// assert_eq!(out.result, Ok(false));
    /// ```
    pub async fn join_timeout(&self, timeout: Duration) -> bool {
        crate::timer::timeout(timeout, self.join()).await.is_ok()
    }

    /// Kills every member (see [`Pid::kill`]) and waits until they have
    /// all ended.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the kills are sent at the first poll.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Group;
    /// use actor_core::{Ctx, ExitReason, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let group = Group::new();
    ///     let p = group.spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
    ///     group.kill().await;
    ///     assert_eq!(p.wait().await, ExitReason::Killed);
    ///     assert!(group.is_empty());
    /// });
    /// ```
    pub async fn kill(&self) {
        loop {
            let members = self.members();
            if members.is_empty() {
                return;
            }
            for p in &members {
                p.kill();
            }
            for p in members {
                p.wait().await;
            }
        }
    }

    /// Runs `f` on every item, each in a process of its own in this group,
    /// and yields the results in the order they complete (gevent's
    /// `imap_unordered`). A process that ends without a result (it
    /// panicked, or was killed) yields its exit reason as an error.
    ///
    /// The items are taken from the iterator by a feeder process (also in
    /// this group), so the iterator may be long or endless. If the group is
    /// killed, items not yet started never run and the results end early.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Group;
    /// use actor_core::deterministic::{self, Config};
    /// use std::time::Duration;
    ///
    /// let out = deterministic::run(Config::fifo(), async {
    ///     let group = Group::new();
    ///     // The longer the sleep, the later the result.
    ///     let mut results = group.imap_unordered(
    ///         |n: u64| async move {
    ///             actor_core::sleep(Duration::from_secs(10 - n)).await;
    ///             n
    ///         },
    ///         [1, 5, 3],
    ///     );
    ///     let mut order = Vec::new();
    ///     while let Some(r) = results.next().await {
    ///         order.push(r.unwrap());
    ///     }
    ///     order
    /// });
    /// assert_eq!(out.result, Ok(vec![5, 3, 1]));
    /// ```
    pub fn imap_unordered<I, F, Fut>(&self, f: F, items: I) -> Unordered<Fut::Output>
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: Send + 'static,
    {
        imap(self, None, f, items)
    }
}

/// What a worker of `imap_unordered` reports.
enum Outcome<R> {
    Done(R),
    /// The worker ended without a result; its reason is in its exit.
    Failed(AnyPid),
}

/// Reports a worker's result, or (when dropped without one, as a killed
/// or panicking worker's state is) its failure.
struct Reporter<R> {
    tx: Option<mpsc::UnboundedSender<Outcome<R>>>,
    me: AnyPid,
}

impl<R> Reporter<R> {
    fn done(mut self, r: R) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Outcome::Done(r));
        }
    }
}

impl<R> Drop for Reporter<R> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Outcome::Failed(self.me.clone()));
        }
    }
}

pub(crate) fn imap<I, F, Fut>(
    group: &Group,
    limit: Option<Semaphore>,
    f: F,
    items: I,
) -> Unordered<Fut::Output>
where
    I: IntoIterator,
    I::IntoIter: Send + 'static,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let f = Arc::new(f);
    let items = items.into_iter();
    let members = group.clone();
    group.spawn(move |_: Ctx<()>| async move {
        for item in items {
            let permit = match &limit {
                Some(sem) => Some(sem.acquire_as("pool slot").await),
                None => None,
            };
            let (f, tx) = (f.clone(), tx.clone());
            members.spawn(move |ctx: Ctx<()>| {
                let reporter = Reporter {
                    tx: Some(tx),
                    me: AnyPid::from(ctx.pid()),
                };
                async move {
                    let _permit = permit;
                    let r = f(item).await;
                    reporter.done(r);
                    drop(ctx);
                }
            });
        }
    });
    Unordered { rx, failed: None }
}

/// The results of [`Group::imap_unordered`] and [`Pool::imap_unordered`]
/// in the order they complete: `Ok(result)`, or `Err(exit reason)` for an
/// item whose process ended without one. Read them with
/// [`next`](Unordered::next), or as a [`Stream`].
///
/// [`Pool::imap_unordered`]: super::Pool::imap_unordered
pub struct Unordered<R> {
    rx: mpsc::UnboundedReceiver<Outcome<R>>,
    failed: Option<BoxFuture<'static, ExitReason>>,
}

impl<R> std::fmt::Debug for Unordered<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Unordered(..)")
    }
}

impl<R: Send + 'static> Unordered<R> {
    /// The next result to complete; `None` once every item has been
    /// handled.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Group;
    /// use actor_core::Runtime;
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let mut squares = Group::new().imap_unordered(|n: u32| async move { n * n }, 1..=3);
    ///     let mut sum = 0;
    ///     while let Some(r) = squares.next().await {
    ///         sum += r.unwrap();
    ///     }
    ///     assert_eq!(sum, 14);
    /// });
    /// ```
    pub async fn next(&mut self) -> Option<Result<R, ExitReason>> {
        labelled(
            "imap_unordered result",
            std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)),
        )
        .await
    }
}

impl<R: Send + 'static> Stream for Unordered<R> {
    type Item = Result<R, ExitReason>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(wait) = &mut self.failed {
                let reason = std::task::ready!(wait.as_mut().poll(cx));
                self.failed = None;
                return Poll::Ready(Some(Err(reason)));
            }
            match std::task::ready!(self.rx.poll_recv(cx)) {
                None => return Poll::Ready(None),
                Some(Outcome::Done(r)) => return Poll::Ready(Some(Ok(r))),
                Some(Outcome::Failed(pid)) => {
                    self.failed = Some(Box::pin(async move { pid.wait().await }));
                }
            }
        }
    }
}
