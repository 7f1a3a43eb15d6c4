//! Sending into a mailbox and receiving from it: plain, with a timeout, and
//! selectively.
//!
//! A mailbox is one queue behind the process's lock. The receiver moves
//! what is queued into its own buffer in one step (unbounded mailboxes), so
//! a busy receiver takes the lock once per batch, not once per message.
//! Selective receive leaves the messages it skips in that buffer, in order.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::{SendError, TrySendError};
use crate::pid::Pid;
use crate::process::{Ctx, Inner};
use crate::runtime;
use crate::signal::MonitorRef;

/// What a mailbox holds: a message, or a `Down` already converted into
/// the process's message type but still known by its monitor, so that
/// [`Ctx::demonitor_flush`] can take it back.
pub(crate) enum Item<M> {
    Msg(M),
    Down(Box<(MonitorRef, M)>),
}

impl<M> Item<M> {
    fn msg(&self) -> &M {
        match self {
            Item::Msg(m) => m,
            Item::Down(d) => &d.1,
        }
    }

    fn into_msg(self) -> M {
        match self {
            Item::Msg(m) => m,
            Item::Down(d) => d.1,
        }
    }
}

/// A receive buffer whose capacity is above this, and four times what it
/// holds, is given back after a burst.
const SHRINK_ABOVE: usize = 1024;

/// A sender parked on a full bounded mailbox: its ticket in the waiting
/// list (lowest first). Room wakes the first ticket only; a send that is
/// cancelled removes its ticket, or, if it had been woken, passes the
/// wakeup on to the next, so that abandoned sends leave nothing behind and
/// strand no one.
struct Parked<'a, M: Send + 'static> {
    inner: &'a Inner<M>,
    ticket: Option<u64>,
}

impl<M: Send + 'static> Drop for Parked<'_, M> {
    fn drop(&mut self) {
        let Some(t) = self.ticket else { return };
        let (mine, next) = {
            let mut st = self.inner.lock();
            let Some(ext) = st.ext.as_mut() else { return };
            match ext.send_waiters.remove(&t) {
                Some(w) => (Some(w), None),
                None => (None, ext.send_waiters.pop_first().map(|(_, w)| w)),
            }
        };
        drop(mine);
        if let Some(w) = next {
            w.wake();
        }
    }
}

impl<M: Send + 'static> Inner<M> {
    fn bounded(&self) -> bool {
        self.capacity != u32::MAX
    }

    /// Queues `m` if the process is alive and, if bounded, has room.
    /// With `parked`, a full mailbox registers the waker under the
    /// sender's ticket, to be woken when room appears.
    fn push(
        &self,
        m: M,
        parked: Option<(&mut Option<u64>, &std::task::Waker)>,
    ) -> Result<(), TrySendError<M>> {
        let mut st = self.lock();
        if !st.alive {
            return Err(TrySendError::Closed(m));
        }
        if self.bounded()
            && st.queue.len() + st.ext.as_ref().map_or(0, |e| e.held) >= self.capacity as usize
        {
            if let Some((ticket, w)) = parked {
                let ext = st.ext();
                // A sender woken before keeps its ticket, and its place.
                let t = *ticket.get_or_insert_with(|| {
                    ext.next_ticket += 1;
                    ext.next_ticket
                });
                ext.send_waiters.insert(t, w.clone());
            }
            return Err(TrySendError::Full(m));
        }
        st.queue.push_back(Item::Msg(m));
        if st.waiting {
            st.waiting = false;
            if let Some(w) = &st.waker {
                w.wake_by_ref();
            }
        }
        Ok(())
    }
}

impl<M: Send + 'static> Pid<M> {
    /// Sends a message. On the default, unbounded mailbox this never waits;
    /// on a bounded one it waits for room.
    ///
    /// Messages from one sender to one receiver arrive in the order sent.
    /// Success means the process was alive when the message was queued, not
    /// that it will handle it (as in Erlang).
    ///
    /// # Errors
    ///
    /// [`SendError`] with the message if the process has exited.
    ///
    /// # Cancel safety
    ///
    /// If dropped while waiting for room, the message is dropped unsent.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    /// use std::sync::Arc;
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     // Broadcast a large value by Arc: one copy, many readers.
    ///     let big: Arc<Vec<u8>> = Arc::new(vec![0; 1 << 20]);
    ///     let readers: Vec<_> = (0..3)
    ///         .map(|_| spawn(|mut ctx: Ctx<Arc<Vec<u8>>>| async move {
    ///             assert_eq!(ctx.recv().await.len(), 1 << 20);
    ///         }))
    ///         .collect();
    ///     for r in &readers {
    ///         r.send(big.clone()).await.unwrap();
    ///     }
    ///     for r in &readers {
    ///         r.wait().await;
    ///     }
    ///     assert_eq!(Arc::strong_count(&big), 1);
    /// });
    /// ```
    pub async fn send(&self, m: M) -> Result<(), SendError<M>> {
        if !self.inner.bounded() {
            return runtime::deliver(&self.inner, m).map_err(SendError);
        }
        let mut slot = Some(m);
        let mut parked = Parked {
            inner: &self.inner,
            ticket: None,
        };
        poll_fn(|cx| {
            let m = slot.take().expect("polled after completion");
            match self.inner.push(m, Some((&mut parked.ticket, cx.waker()))) {
                Ok(()) => {
                    parked.ticket = None;
                    runtime::trace_send(self.inner.id, true);
                    Poll::Ready(Ok(()))
                }
                Err(TrySendError::Closed(m)) => {
                    parked.ticket = None;
                    Poll::Ready(Err(SendError(m)))
                }
                Err(TrySendError::Full(m)) => {
                    slot = Some(m);
                    runtime::waiting_on("send (mailbox full)");
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Sends without waiting: the way to send from synchronous code.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if a bounded mailbox has no room,
    /// [`TrySendError::Closed`] if the process has exited; both give the
    /// message back.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime, TrySendError};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|_ctx: Ctx<&str>| async {});
    ///     pid.wait().await;
    ///     assert!(matches!(pid.try_send("late"), Err(TrySendError::Closed("late"))));
    /// });
    /// ```
    pub fn try_send(&self, m: M) -> Result<(), TrySendError<M>> {
        if !self.inner.bounded() {
            return runtime::deliver(&self.inner, m).map_err(TrySendError::Closed);
        }
        let r = self.inner.push(m, None);
        if r.is_ok() {
            runtime::trace_send(self.inner.id, true);
        }
        r
    }
}

/// Unbounded delivery, called by the runtime seam (at once, or later when
/// the deterministic runtime holds the message in flight).
pub(crate) fn push_unbounded<M: Send + 'static>(inner: &Inner<M>, m: M) -> Result<(), M> {
    inner.push(m, None).map_err(TrySendError::into_inner)
}

impl<M: Send + 'static> Ctx<M> {
    /// Frees room in a bounded mailbox after a message left it, and wakes
    /// the first sender waiting for room (see [`Parked`]).
    fn taken(&mut self) {
        if self.inner.bounded() {
            let first = {
                let mut st = self.inner.lock();
                let ext = st.ext();
                ext.held -= 1;
                ext.send_waiters.pop_first().map(|(_, w)| w)
            };
            if let Some(w) = first {
                w.wake();
            }
        }
        runtime::trace_receive(self.inner.id);
    }

    /// Moves what is queued into the local buffer; `false` (and the waker
    /// registered) if nothing is.
    fn refill(&mut self, cx: &mut Context<'_>) -> bool {
        let mut st = self.inner.lock();
        if st.queue.is_empty() {
            // Drained: a burst's buffers are given back before parking.
            if st.queue.capacity() > SHRINK_ABOVE {
                st.queue = VecDeque::new();
            }
            if self.local.is_empty() && self.local.capacity() > SHRINK_ABOVE {
                self.local = VecDeque::new();
            }
            st.waiting = true;
            if !st.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                st.waker = Some(cx.waker().clone());
            }
            return false;
        }
        Self::take_queued(self.inner.bounded(), &mut self.local, &mut st);
        true
    }

    /// Moves the shared queue into the local buffer, in one step when the
    /// buffer is empty. A buffer left large by a burst is not handed back
    /// to the shared queue but freed (amortised: only after a burst).
    fn take_queued(
        bounded: bool,
        local: &mut VecDeque<Item<M>>,
        st: &mut crate::process::State<M>,
    ) {
        let n = st.queue.len();
        if bounded {
            st.ext().held += n;
        }
        if local.is_empty() {
            std::mem::swap(&mut st.queue, local);
            if st.queue.capacity() > SHRINK_ABOVE.max(4 * n) {
                st.queue = VecDeque::new();
            }
        } else {
            local.append(&mut st.queue);
        }
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<M> {
        loop {
            if let Some(m) = self.local.pop_front() {
                self.taken();
                return Poll::Ready(m.into_msg());
            }
            if !self.refill(cx) {
                runtime::waiting_on("receive");
                return Poll::Pending;
            }
        }
    }

    fn poll_recv_match(
        &mut self,
        cx: &mut Context<'_>,
        scanned: &mut usize,
        pred: &mut impl FnMut(&M) -> bool,
    ) -> Poll<M> {
        loop {
            while *scanned < self.local.len() {
                if pred(self.local[*scanned].msg()) {
                    let m = self.local.remove(*scanned).expect("index is in range");
                    self.taken();
                    return Poll::Ready(m.into_msg());
                }
                *scanned += 1;
            }
            if !self.refill(cx) {
                runtime::waiting_on("selective receive");
                return Poll::Pending;
            }
        }
    }

    /// Receives the next message, waiting for one.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a message is taken only when the future completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let summer = spawn(|mut ctx: Ctx<u64>| async move {
    ///         let mut sum = 0;
    ///         loop {
    ///             match ctx.recv().await {
    ///                 0 => break assert_eq!(sum, 6),
    ///                 n => sum += n,
    ///             }
    ///         }
    ///     });
    ///     for n in [1, 2, 3, 0] {
    ///         summer.send(n).await.unwrap();
    ///     }
    ///     assert!(summer.wait().await.is_normal());
    /// });
    /// ```
    pub async fn recv(&mut self) -> M {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Takes the next message if one is queued, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|mut ctx: Ctx<u8>| async move {
    ///         assert_eq!(ctx.try_recv(), None);
    ///         ctx.pid().send(5).await.unwrap();
    ///         assert_eq!(ctx.try_recv(), Some(5));
    ///     });
    ///     assert!(pid.wait().await.is_normal());
    /// });
    /// ```
    pub fn try_recv(&mut self) -> Option<M> {
        if self.local.is_empty() {
            let mut st = self.inner.lock();
            if st.queue.is_empty() {
                return None;
            }
            Self::take_queued(self.inner.bounded(), &mut self.local, &mut st);
        }
        let m = self.local.pop_front()?;
        self.taken();
        Some(m.into_msg())
    }

    /// Receives the next message, or `None` after `timeout` (Erlang's
    /// `after`). Time is the runtime's: virtual on the deterministic runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    /// use std::time::Duration;
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|mut ctx: Ctx<()>| async move {
    ///         assert_eq!(ctx.recv_timeout(Duration::from_millis(5)).await, None);
    ///     });
    ///     assert!(pid.wait().await.is_normal());
    /// });
    /// ```
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Option<M> {
        crate::timer::timeout(timeout, self.recv()).await.ok()
    }

    /// Selective receive: takes the first queued message for which `pred`
    /// is true, waiting until one arrives. The messages it skips stay
    /// queued, in order, for later receives.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum Msg { Low(u8), High(u8) }
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|mut ctx: Ctx<Msg>| async move {
    ///         let first = ctx.recv_match(|m| matches!(m, Msg::High(_))).await;
    ///         assert_eq!(first, Msg::High(9));
    ///         assert_eq!(ctx.recv().await, Msg::Low(1));
    ///         assert_eq!(ctx.recv().await, Msg::Low(2));
    ///     });
    ///     for m in [Msg::Low(1), Msg::Low(2), Msg::High(9)] {
    ///         pid.send(m).await.unwrap();
    ///     }
    ///     assert!(pid.wait().await.is_normal());
    /// });
    /// ```
    pub async fn recv_match(&mut self, mut pred: impl FnMut(&M) -> bool) -> M {
        let mut scanned = 0;
        poll_fn(|cx| self.poll_recv_match(cx, &mut scanned, &mut pred)).await
    }

    /// Selective receive with a timeout: the first matching message, or
    /// `None` after `timeout`; nothing is taken on a timeout.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn recv_match_timeout(
        &mut self,
        pred: impl FnMut(&M) -> bool,
        timeout: Duration,
    ) -> Option<M> {
        crate::timer::timeout(timeout, self.recv_match(pred))
            .await
            .ok()
    }

    /// How many messages wait in the mailbox, including those skipped by
    /// selective receives.
    pub fn queued(&self) -> usize {
        self.local.len() + self.inner.lock().queue.len()
    }
}
