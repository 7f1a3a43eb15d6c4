//! `gevent.event.Event`: a flag that tasks wait for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::waiters::{WaitList, lock, wait_on};

/// A flag that starts unset; [`wait`](Event::wait) waits until it is set.
/// Setting it wakes every waiter; it stays set until [`clear`](Event::clear)ed.
///
/// A cheap handle: clone it to share it.
///
/// # Examples
///
/// ```
/// use actor_core::sync::Event;
/// use actor_core::deterministic::{self, Config};
/// use actor_core::{spawn, Ctx};
/// use std::time::Duration;
///
/// let out = deterministic::run(Config::fifo(), async {
///     let ready = Event::new();
///     let r = ready.clone();
///     let waiter = spawn(move |_: Ctx<()>| async move {
///         r.wait().await;
///         assert_eq!(actor_core::now(), Duration::from_secs(5));
///     });
///     actor_core::sleep(Duration::from_secs(5)).await;
///     ready.set();
///     waiter.wait().await.is_normal()
/// });
/// assert_eq!(out.result, Ok(true));
/// ```
#[derive(Clone, Default)]
pub struct Event {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    set: bool,
    /// How many times it went from unset to set: a waiter woken by a `set`
    /// returns even if the flag was cleared before it ran.
    sets: u64,
    waiters: WaitList,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}

impl Event {
    /// A new, unset event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag and wakes every waiter.
    pub fn set(&self) {
        let mut st = lock(&self.state);
        if !st.set {
            st.set = true;
            st.sets += 1;
        }
        st.waiters.wake_all();
    }

    /// Clears the flag: later waits wait again.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Event;
    ///
    /// let e = Event::new();
    /// e.set();
    /// assert!(e.is_set());
    /// e.clear();
    /// assert!(!e.is_set());
    /// ```
    pub fn clear(&self) {
        lock(&self.state).set = false;
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        lock(&self.state).set
    }

    /// Waits until the flag is set (at once if it is).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Event;
    ///
    /// # actor_core::Runtime::tokio_current_thread().block_on(async {
    /// let e = Event::new();
    /// e.set();
    /// e.wait().await;
    /// # });
    /// ```
    pub async fn wait(&self) {
        let mut seen = None;
        wait_on(
            &self.state,
            "event wait",
            |st| &mut st.waiters,
            |st| {
                let first = *seen.get_or_insert(st.sets);
                (st.set || st.sets != first).then_some(())
            },
        )
        .await
    }

    /// Waits until the flag is set or `timeout` passes (on the runtime's
    /// clock); `true` if it was set.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::Event;
    /// use actor_core::deterministic::{self, Config};
    /// use std::time::Duration;
    ///
    /// let out = deterministic::run(Config::fifo(), async {
    ///     Event::new().wait_timeout(Duration::from_secs(60)).await
    /// });
    /// assert_eq!(out.result, Ok(false));
    /// assert_eq!(out.elapsed, Duration::from_secs(60));
    /// ```
    pub async fn wait_timeout(&self, timeout: Duration) -> bool {
        crate::timer::timeout(timeout, self.wait()).await.is_ok()
    }
}
