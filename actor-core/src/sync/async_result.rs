//! `gevent.event.AsyncResult`: a value or an error, set once, awaited by
//! any number of tasks.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::waiters::{WaitList, lock, wait_on};
use crate::error::AlreadySet;

/// A value (`Ok(T)`) or an error (`Err(E)`) that is set once and awaited
/// by any number of tasks, each getting a clone.
///
/// A cheap handle: clone it to share it.
///
/// # Examples
///
/// ```
/// use actor_core::sync::AsyncResult;
/// use actor_core::{spawn, Ctx, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let result: AsyncResult<u64, String> = AsyncResult::new();
///     let r = result.clone();
///     spawn(move |_: Ctx<()>| async move { r.set(42).unwrap() });
///     assert_eq!(result.get().await, Ok(42));
///     assert!(result.successful());
/// });
/// ```
pub struct AsyncResult<T, E> {
    state: Arc<Mutex<State<T, E>>>,
}

struct State<T, E> {
    value: Option<Result<T, E>>,
    waiters: WaitList,
}

impl<T, E> Clone for AsyncResult<T, E> {
    fn clone(&self) -> Self {
        AsyncResult {
            state: self.state.clone(),
        }
    }
}

impl<T, E> Default for AsyncResult<T, E> {
    fn default() -> Self {
        AsyncResult {
            state: Arc::new(Mutex::new(State {
                value: None,
                waiters: WaitList::default(),
            })),
        }
    }
}

impl<T, E> std::fmt::Debug for AsyncResult<T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = lock(&self.state);
        let state = match &st.value {
            None => "pending",
            Some(Ok(_)) => "value",
            Some(Err(_)) => "error",
        };
        f.debug_struct("AsyncResult")
            .field("state", &state)
            .finish()
    }
}

impl<T: Clone, E: Clone> AsyncResult<T, E> {
    /// A new result with nothing in it yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn put(&self, value: Result<T, E>) -> Result<(), Result<T, E>> {
        let mut st = lock(&self.state);
        if st.value.is_some() {
            return Err(value);
        }
        st.value = Some(value);
        st.waiters.wake_all();
        Ok(())
    }

    /// Sets the value and wakes every waiter.
    ///
    /// # Errors
    ///
    /// [`AlreadySet`] with `value` if a value or an error was set before
    /// (the first one stays).
    pub fn set(&self, value: T) -> Result<(), AlreadySet<T>> {
        self.put(Ok(value)).map_err(|v| match v {
            Ok(v) => AlreadySet(v),
            Err(_) => unreachable!("put gives back what it was given"),
        })
    }

    /// Sets the error (gevent's `set_exception`) and wakes every waiter.
    ///
    /// # Errors
    ///
    /// [`AlreadySet`] with `error` if a value or an error was set before.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::AsyncResult;
    ///
    /// # actor_core::Runtime::tokio_current_thread().block_on(async {
    /// let r: AsyncResult<u8, &str> = AsyncResult::new();
    /// r.set_error("no luck").unwrap();
    /// assert_eq!(r.get().await, Err("no luck"));
    /// assert!(r.ready() && !r.successful());
    /// # });
    /// ```
    pub fn set_error(&self, error: E) -> Result<(), AlreadySet<E>> {
        self.put(Err(error)).map_err(|v| match v {
            Err(e) => AlreadySet(e),
            Ok(_) => unreachable!("put gives back what it was given"),
        })
    }

    /// Whether a value or an error is set.
    pub fn ready(&self) -> bool {
        lock(&self.state).value.is_some()
    }

    /// Whether a value (not an error) is set.
    pub fn successful(&self) -> bool {
        matches!(lock(&self.state).value, Some(Ok(_)))
    }

    /// The value or error if set, without waiting.
    pub fn try_get(&self) -> Option<Result<T, E>> {
        lock(&self.state).value.clone()
    }

    /// Waits until a value or an error is set and returns a clone of it.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::AsyncResult;
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let r: AsyncResult<&str, ()> = AsyncResult::new();
    ///     let (a, b) = (r.clone(), r.clone());
    ///     let reader = spawn(move |_: Ctx<()>| async move { assert_eq!(a.get().await, Ok("v")) });
    ///     b.set("v").unwrap();
    ///     assert_eq!(r.get().await, Ok("v"));
    ///     assert!(reader.wait().await.is_normal());
    /// });
    /// ```
    pub async fn get(&self) -> Result<T, E> {
        wait_on(
            &self.state,
            "async result",
            |st| &mut st.waiters,
            |st| st.value.clone(),
        )
        .await
    }

    /// Like [`get`](AsyncResult::get), but gives up after `timeout` (on the
    /// runtime's clock) with `None`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::sync::AsyncResult;
    /// use actor_core::deterministic::{self, Config};
    /// use std::time::Duration;
    ///
    /// let out = deterministic::run(Config::fifo(), async {
    ///     let r: AsyncResult<u8, String> = AsyncResult::new();
    ///     r.get_timeout(Duration::from_secs(30)).await
    /// });
    /// assert_eq!(out.result, Ok(None));
    /// assert_eq!(out.elapsed, Duration::from_secs(30));
    /// ```
    pub async fn get_timeout(&self, timeout: Duration) -> Option<Result<T, E>> {
        crate::timer::timeout(timeout, self.get()).await.ok()
    }
}
