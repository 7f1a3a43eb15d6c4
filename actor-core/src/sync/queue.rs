//! `gevent.queue.Queue`: a first-in first-out queue shared by any number
//! of producers and consumers, bounded or not.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::waiters::{WaitList, lock, wait_on};
use crate::error::QueueFull;

/// A first-in first-out queue for any number of producers and consumers.
/// Unbounded ([`Queue::new`]) or bounded ([`Queue::bounded`]): on a bounded
/// queue [`put`](Queue::put) waits for room. Waiting getters and putters
/// are woken in arrival order; a newcomer may still take an item (or the
/// room) before a woken waiter runs, which then waits again.
///
/// A cheap handle: clone it to share it.
///
/// # Examples
///
/// ```
/// use actor_core::sync::Queue;
/// use actor_core::{spawn, Ctx, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let q = Queue::bounded(2);
///     let producer = q.clone();
///     spawn(move |_: Ctx<()>| async move {
///         for n in 0..10 {
///             producer.put(n).await;
///         }
///     });
///     let mut got = Vec::new();
///     for _ in 0..10 {
///         got.push(q.get().await);
///     }
///     assert_eq!(got, (0..10).collect::<Vec<_>>());
/// });
/// ```
pub struct Queue<T> {
    state: Arc<Mutex<State<T>>>,
}

struct State<T> {
    items: VecDeque<T>,
    capacity: Option<usize>,
    getters: WaitList,
    putters: WaitList,
}

impl<T> State<T> {
    fn has_room(&self) -> bool {
        self.capacity.is_none_or(|c| self.items.len() < c)
    }

    fn push(&mut self, value: T) {
        self.items.push_back(value);
        self.getters.wake_one();
    }

    fn pop(&mut self) -> Option<T> {
        let v = self.items.pop_front()?;
        self.putters.wake_one();
        Some(v)
    }
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue {
            state: self.state.clone(),
        }
    }
}

impl<T> Default for Queue<T> {
    fn default() -> Self {
        Self::with_capacity(None)
    }
}

impl<T> std::fmt::Debug for Queue<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Queue")
            .field("len", &st.items.len())
            .field("capacity", &st.capacity)
            .field("getters_waiting", &st.getters.len())
            .field("putters_waiting", &st.putters.len())
            .finish()
    }
}

impl<T> Queue<T> {
    fn with_capacity(capacity: Option<usize>) -> Self {
        Queue {
            state: Arc::new(Mutex::new(State {
                items: VecDeque::new(),
                capacity,
                getters: WaitList::default(),
                putters: WaitList::default(),
            })),
        }
    }

    /// An unbounded queue: [`put`](Queue::put) never waits.
    pub fn new() -> Self {
        Self::with_capacity(None)
    }

    /// A queue holding at most `capacity` items (at least 1).
    pub fn bounded(capacity: usize) -> Self {
        Self::with_capacity(Some(capacity.max(1)))
    }

    /// The bound, if any.
    pub fn capacity(&self) -> Option<usize> {
        lock(&self.state).capacity
    }

    /// How many items are queued.
    pub fn len(&self) -> usize {
        lock(&self.state).items.len()
    }

    /// Whether no item is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether a bounded queue has no room.
    pub fn is_full(&self) -> bool {
        !lock(&self.state).has_room()
    }

    /// Adds `value` at the back, waiting for room on a full bounded queue.
    ///
    /// # Cancel safety
    ///
    /// If dropped while waiting, `value` was not queued and is dropped;
    /// use [`put_timeout`](Queue::put_timeout) to get it back.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Queue;
    ///
    /// # actor_core::Runtime::tokio_current_thread().block_on(async {
    /// let q = Queue::new();
    /// q.put(1).await;
    /// q.put(2).await;
    /// assert_eq!(q.len(), 2);
    /// # });
    /// ```
    pub async fn put(&self, value: T) {
        // With INFINITY no timer is armed and the put cannot time out.
        let _ = self.put_timeout(value, crate::timer::INFINITY).await;
    }

    /// Adds `value` at the back if there is room now.
    ///
    /// # Errors
    ///
    /// [`QueueFull`] with the value if a bounded queue is full.
    pub fn try_put(&self, value: T) -> Result<(), QueueFull<T>> {
        let mut st = lock(&self.state);
        if !st.has_room() {
            return Err(QueueFull(value));
        }
        st.push(value);
        Ok(())
    }

    /// Adds `value` at the back, waiting at most `timeout` (on the
    /// runtime's clock) for room.
    ///
    /// # Errors
    ///
    /// [`QueueFull`] with the value if no room appeared in time.
    ///
    /// # Cancel safety
    ///
    /// If dropped while waiting, `value` was not queued and is dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::{Queue, QueueFull};
    /// use actor_core::deterministic::{self, Config};
    /// use std::time::Duration;
    ///
    /// let out = deterministic::run(Config::fifo(), async {
    ///     let q = Queue::bounded(1);
    ///     q.put(1).await;
    ///     q.put_timeout(2, Duration::from_secs(3)).await
    /// });
    /// assert_eq!(out.result, Ok(Err(QueueFull(2))));
    /// assert_eq!(out.elapsed, Duration::from_secs(3));
    /// ```
    pub async fn put_timeout(&self, value: T, timeout: Duration) -> Result<(), QueueFull<T>> {
        let mut slot = Some(value);
        let put = wait_on(
            &self.state,
            "queue put (full)",
            |st| &mut st.putters,
            |st| {
                st.has_room().then(|| {
                    st.push(slot.take().expect("put once"));
                })
            },
        );
        let _ = crate::timer::timeout(timeout, put).await;
        match slot {
            None => Ok(()),
            Some(v) => Err(QueueFull(v)),
        }
    }

    /// Takes the item at the front, waiting for one.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an item is taken only when the future completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Queue;
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let q = Queue::new();
    ///     let tx = q.clone();
    ///     spawn(move |_: Ctx<()>| async move { tx.put("job").await });
    ///     assert_eq!(q.get().await, "job");
    /// });
    /// ```
    pub async fn get(&self) -> T {
        wait_on(&self.state, "queue get", |st| &mut st.getters, State::pop).await
    }

    /// Takes the item at the front if there is one.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Queue;
    ///
    /// let q = Queue::new();
    /// assert_eq!(q.try_get(), None::<u8>);
    /// q.try_put(1).unwrap();
    /// assert_eq!(q.try_get(), Some(1));
    /// ```
    pub fn try_get(&self) -> Option<T> {
        lock(&self.state).pop()
    }

    /// Takes the item at the front, waiting at most `timeout` (on the
    /// runtime's clock); `None` if none came.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Queue;
    /// use actor_core::deterministic::{self, Config};
    /// use std::time::Duration;
    ///
    /// let out = deterministic::run(Config::fifo(), async {
    ///     Queue::<u8>::new().get_timeout(Duration::from_secs(3600)).await
    /// });
    /// assert_eq!(out.result, Ok(None));
    /// assert_eq!(out.elapsed, Duration::from_secs(3600));
    /// ```
    pub async fn get_timeout(&self, timeout: Duration) -> Option<T> {
        crate::timer::timeout(timeout, self.get()).await.ok()
    }
}
