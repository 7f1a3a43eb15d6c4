//! The rendezvous channel (`stackless.channel`).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::waiters::lock;
use crate::error::ChannelClosed;
use crate::runtime;

/// A rendezvous channel, as in Stackless: a send waits for a receiver and
/// a receive waits for a sender; nothing is buffered.
///
/// On a handoff to a waiting receiver, the receiver runs next and the
/// sender goes to the back of the run queue (as if it had called
/// [`yield_now`](crate::yield_now)). A receive that finds a sender waiting
/// takes its value and goes on at once; the sender is woken. On the
/// deterministic runtime in [`Config::fifo`](crate::deterministic::Config::fifo)
/// mode this is exactly Stackless's order; in seeded mode "next" is one of
/// the seeded choices, and on tokio it is a plain wake-up.
///
/// The channel is a cheap handle: clone it to share it. Both ends use the
/// same handle, as in Stackless.
///
/// # Examples
///
/// The seed's example, on the deterministic runtime in FIFO mode:
///
/// ```
/// use actor_core::deterministic::{self, Config};
/// use actor_core::sync::Channel;
/// use actor_core::{spawn, Ctx};
/// use std::sync::{Arc, Mutex};
///
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let say = { let log = log.clone(); move |s: &str| log.lock().unwrap().push(s.to_string()) };
/// deterministic::run(Config::fifo(), async move {
///     let ch: Channel<String> = Channel::new();
///     let (c, s) = (ch.clone(), say.clone());
///     let r = spawn(move |_: Ctx<()>| async move {
///         s("receiver started");
///         s(&c.recv().await.unwrap());
///         s("receiver finished");
///     });
///     let (c, s) = (ch.clone(), say.clone());
///     let w = spawn(move |_: Ctx<()>| async move {
///         s("sender started");
///         c.send("hello".to_string()).await.unwrap();
///         s("sender finished");
///     });
///     let s = say.clone();
///     let a = spawn(move |_: Ctx<()>| async move { s("another") });
///     for p in [r, w, a] { p.wait().await; }
/// }).result.unwrap();
/// assert_eq!(*log.lock().unwrap(), [
///     "receiver started", "sender started", "hello", "receiver finished",
///     "another", "sender finished",
/// ]);
/// ```
pub struct Channel<T> {
    state: Arc<Mutex<State<T>>>,
}

impl<T> Clone for Channel<T> {
    fn clone(&self) -> Self {
        Channel {
            state: self.state.clone(),
        }
    }
}

impl<T> std::fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Channel")
            .field("senders_waiting", &st.senders.len())
            .field("receivers_waiting", &st.receivers.len())
            .field("closed", &st.closed)
            .finish()
    }
}

impl<T> Default for Channel<T> {
    fn default() -> Self {
        Self::new()
    }
}

struct State<T> {
    /// Parked receivers, each with an empty slot.
    receivers: VecDeque<SlotRef<T>>,
    /// Parked senders, each with its value in its slot.
    senders: VecDeque<SlotRef<T>>,
    closed: bool,
}

/// Where one parked task and its counterpart meet.
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    /// The parked receiver's task, to make it run next on a handoff.
    token: Option<usize>,
    /// The handoff (or the close) happened.
    done: bool,
}

type SlotRef<T> = Arc<Mutex<Slot<T>>>;

fn slot<T>(value: Option<T>, cx: &Context<'_>, token: Option<usize>) -> SlotRef<T> {
    Arc::new(Mutex::new(Slot {
        value,
        waker: Some(cx.waker().clone()),
        token,
        done: false,
    }))
}

/// Parks, or updates the waker of, a slot that is not done yet.
fn repark<T>(s: &mut Slot<T>, cx: &Context<'_>) {
    if !s.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
        s.waker = Some(cx.waker().clone());
    }
}

impl<T> Channel<T> {
    /// A new, open channel with nobody waiting.
    pub fn new() -> Self {
        Channel {
            state: Arc::new(Mutex::new(State {
                receivers: VecDeque::new(),
                senders: VecDeque::new(),
                closed: false,
            })),
        }
    }

    /// Sends `value`, waiting until a receiver takes it.
    ///
    /// If a receiver is waiting, the value is handed to it, the receiver
    /// is made to run next and this task goes to the back of the run
    /// queue; otherwise this task waits for a receiver.
    ///
    /// # Errors
    ///
    /// [`ChannelClosed`] with the value if the channel is closed (before
    /// or while waiting).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe. A receiver takes a waiting sender's value at once,
    /// before the sender runs again, so a send dropped while waiting may
    /// already have delivered its value; if no receiver came, the value is
    /// dropped unsent. Dropped after the handoff (while yielding), the
    /// value was sent.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Channel;
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let ch = Channel::new();
    ///     let rx = ch.clone();
    ///     let p = spawn(move |_: Ctx<()>| async move {
    ///         assert_eq!(rx.recv().await, Ok(7));
    ///     });
    ///     ch.send(7).await.unwrap();
    ///     assert!(p.wait().await.is_normal());
    /// });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), ChannelClosed<T>> {
        SendFut {
            ch: self,
            value: Some(value),
            slot: None,
            handed: false,
        }
        .await
    }

    /// Receives a value, waiting until a sender offers one.
    ///
    /// # Errors
    ///
    /// [`ChannelClosed`] if the channel is closed and no value is left.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a value handed to a receive that is dropped before it
    /// completes goes to the next receive instead.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Channel;
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let ch = Channel::new();
    ///     let tx = ch.clone();
    ///     spawn(move |_: Ctx<()>| async move { tx.send("hi").await.unwrap() });
    ///     assert_eq!(ch.recv().await, Ok("hi"));
    /// });
    /// ```
    pub async fn recv(&self) -> Result<T, ChannelClosed> {
        RecvFut {
            ch: self,
            slot: None,
        }
        .await
    }

    /// Closes the channel: every waiting receive fails with
    /// [`ChannelClosed`], every waiting send fails and gives its value
    /// back, and so do all later sends and receives.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Channel;
    ///
    /// let ch: Channel<u8> = Channel::new();
    /// ch.close();
    /// assert!(ch.is_closed());
    /// ```
    pub fn close(&self) {
        let parked: Vec<_> = {
            let mut guard = lock(&self.state);
            let st = &mut *guard;
            st.closed = true;
            st.receivers.drain(..).chain(st.senders.drain(..)).collect()
        };
        for s in parked {
            let mut s = lock(&s);
            s.done = true;
            if let Some(w) = s.waker.take() {
                w.wake();
            }
        }
    }

    /// Whether [`close`](Channel::close) was called.
    pub fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    /// Stackless's `balance`: how many senders wait (positive) or how many
    /// receivers wait (negative).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Channel;
    /// use actor_core::{spawn, yield_now, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let ch = Channel::new();
    ///     let tx = ch.clone();
    ///     spawn(move |_: Ctx<()>| async move { tx.send(1).await.unwrap() });
    ///     while ch.balance() == 0 { yield_now().await; }
    ///     assert_eq!(ch.balance(), 1);
    ///     assert_eq!(ch.recv().await, Ok(1));
    ///     assert_eq!(ch.balance(), 0);
    /// });
    /// ```
    pub fn balance(&self) -> isize {
        let st = lock(&self.state);
        st.senders.len() as isize - st.receivers.len() as isize
    }
}

struct SendFut<'a, T> {
    ch: &'a Channel<T>,
    value: Option<T>,
    slot: Option<SlotRef<T>>,
    /// Handed to a receiver; yielding once before completing.
    handed: bool,
}

impl<T> Unpin for SendFut<'_, T> {}

impl<T> Future for SendFut<'_, T> {
    type Output = Result<(), ChannelClosed<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if self.handed {
            return Poll::Ready(Ok(()));
        }
        if let Some(parked) = &self.slot {
            let mut s = lock(parked);
            if !s.done {
                repark(&mut s, cx);
                drop(s);
                runtime::waiting_on("channel send");
                return Poll::Pending;
            }
            let out = match s.value.take() {
                None => Ok(()),
                Some(v) => Err(ChannelClosed(v)),
            };
            drop(s);
            self.slot = None;
            return Poll::Ready(out);
        }
        let value = self.value.take().expect("polled after completion");
        let mut st = lock(&self.ch.state);
        if st.closed {
            return Poll::Ready(Err(ChannelClosed(value)));
        }
        if let Some(receiver) = st.receivers.pop_front() {
            // Filled before the state lock is released: a receiver dropped
            // meanwhile (on another thread) finds its value and passes it on.
            let (waker, token) = {
                let mut r = lock(&receiver);
                r.value = Some(value);
                r.done = true;
                (r.waker.take(), r.token)
            };
            drop(st);
            if let Some(w) = waker {
                runtime::wake_first(token, w);
            }
            // The sender goes to the back of the run queue.
            self.handed = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let parked = slot(Some(value), cx, None);
        st.senders.push_back(parked.clone());
        drop(st);
        self.slot = Some(parked);
        runtime::waiting_on("channel send");
        Poll::Pending
    }
}

impl<T> Drop for SendFut<'_, T> {
    fn drop(&mut self) {
        if let Some(parked) = self.slot.take() {
            let mut st = lock(&self.ch.state);
            st.senders.retain(|s| !Arc::ptr_eq(s, &parked));
        }
    }
}

struct RecvFut<'a, T> {
    ch: &'a Channel<T>,
    slot: Option<SlotRef<T>>,
}

impl<T> Future for RecvFut<'_, T> {
    type Output = Result<T, ChannelClosed>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(parked) = &self.slot {
            let mut s = lock(parked);
            if !s.done {
                repark(&mut s, cx);
                drop(s);
                runtime::waiting_on("channel receive");
                return Poll::Pending;
            }
            let out = s.value.take().ok_or(ChannelClosed(()));
            drop(s);
            self.slot = None;
            return Poll::Ready(out);
        }
        let mut st = lock(&self.ch.state);
        if let Some(sender) = st.senders.pop_front() {
            drop(st);
            let mut s = lock(&sender);
            let value = s.value.take().expect("a parked sender holds its value");
            s.done = true;
            if let Some(w) = s.waker.take() {
                w.wake();
            }
            return Poll::Ready(Ok(value));
        }
        if st.closed {
            return Poll::Ready(Err(ChannelClosed(())));
        }
        let parked = slot(None, cx, runtime::task_token());
        st.receivers.push_back(parked.clone());
        drop(st);
        self.slot = Some(parked);
        runtime::waiting_on("channel receive");
        Poll::Pending
    }
}

impl<T> Drop for RecvFut<'_, T> {
    fn drop(&mut self) {
        let Some(parked) = self.slot.take() else {
            return;
        };
        let mut st = lock(&self.ch.state);
        st.receivers.retain(|s| !Arc::ptr_eq(s, &parked));
        let handed = lock(&parked).value.take();
        let Some(value) = handed else { return };
        // Handed over but never taken: the next receive gets it.
        if let Some(next) = st.receivers.pop_front() {
            // Filled under the state lock, as a send does.
            let waker = {
                let mut r = lock(&next);
                r.value = Some(value);
                r.done = true;
                r.waker.take()
            };
            drop(st);
            if let Some(w) = waker {
                w.wake();
            }
        } else {
            st.senders.push_front(Arc::new(Mutex::new(Slot {
                value: Some(value),
                waker: None,
                token: None,
                done: false,
            })));
        }
    }
}
