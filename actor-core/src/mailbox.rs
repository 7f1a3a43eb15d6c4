//! Sending into a mailbox and receiving from it: plain, with a timeout, and
//! selectively.
//!
//! A mailbox is one queue behind the process's lock. The receiver moves
//! what is queued into its own buffer in one step (unbounded mailboxes), so
//! a busy receiver takes the lock once per batch, not once per message.
//! Selective receive leaves the messages it skips in that buffer, in order.

use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::{SendError, TrySendError};
use crate::pid::Pid;
use crate::process::{Ctx, Inner};
use crate::runtime;

impl<M: Send + 'static> Inner<M> {
    fn bounded(&self) -> bool {
        self.capacity != u32::MAX
    }

    /// Queues `m` if the process is alive and, if bounded, has room.
    /// With `waker`, a full mailbox registers it to be woken when room
    /// appears.
    fn push(&self, m: M, waker: Option<&std::task::Waker>) -> Result<(), TrySendError<M>> {
        let mut st = self.lock();
        if !st.alive {
            return Err(TrySendError::Closed(m));
        }
        if self.bounded()
            && st.queue.len() + st.ext.as_ref().map_or(0, |e| e.held) >= self.capacity as usize
        {
            if let Some(w) = waker {
                st.ext().send_waiters.push_back(w.clone());
            }
            return Err(TrySendError::Full(m));
        }
        st.queue.push_back(m);
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
        poll_fn(|cx| {
            let m = slot.take().expect("polled after completion");
            match self.inner.push(m, Some(cx.waker())) {
                Ok(()) => {
                    runtime::trace_send(self.inner.id, true);
                    Poll::Ready(Ok(()))
                }
                Err(TrySendError::Closed(m)) => Poll::Ready(Err(SendError(m))),
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
    /// every sender waiting for room: one takes it, the others wait again.
    /// (Waking one would be lost on a sender that has given up waiting.)
    fn taken(&mut self) {
        if self.inner.bounded() {
            let waiters = {
                let mut st = self.inner.lock();
                let ext = st.ext();
                ext.held -= 1;
                std::mem::take(&mut ext.send_waiters)
            };
            waiters.into_iter().for_each(std::task::Waker::wake);
        }
        runtime::trace_receive(self.inner.id);
    }

    /// Moves what is queued into the local buffer; `false` (and the waker
    /// registered) if nothing is.
    fn refill(&mut self, cx: &mut Context<'_>) -> bool {
        let mut st = self.inner.lock();
        if st.queue.is_empty() {
            st.waiting = true;
            if !st.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                st.waker = Some(cx.waker().clone());
            }
            return false;
        }
        if self.inner.bounded() {
            let n = st.queue.len();
            st.ext().held += n;
        }
        if self.local.is_empty() {
            std::mem::swap(&mut st.queue, &mut self.local);
        } else {
            self.local.append(&mut st.queue);
        }
        true
    }

    fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<M> {
        loop {
            if let Some(m) = self.local.pop_front() {
                self.taken();
                return Poll::Ready(m);
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
                if pred(&self.local[*scanned]) {
                    let m = self.local.remove(*scanned).expect("index is in range");
                    self.taken();
                    return Poll::Ready(m);
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
            let n = st.queue.len();
            if self.inner.bounded() {
                st.ext().held += n;
            }
            std::mem::swap(&mut st.queue, &mut self.local);
        }
        let m = self.local.pop_front()?;
        self.taken();
        Some(m)
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
