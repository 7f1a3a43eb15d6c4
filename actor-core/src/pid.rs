//! Process handles: [`Pid`] (typed) and [`AnyPid`] (type-erased), and
//! sending to a process.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{SendError, TrySendError};
use crate::handle::Core;
use crate::id::ProcessId;
use crate::process::{Proc, drop_undeliverable};
use crate::runtime;
use crate::signal::ExitReason;

/// A handle to a process that accepts messages of type `M`.
///
/// Cheap to clone (one reference count), `Send + Sync`, and compared,
/// hashed and ordered by its [`ProcessId`]. It serializes as that
/// `ProcessId`. Holding a `Pid` does not keep the process alive.
///
/// # Examples
///
/// ```
/// use actor_core::{spawn, Ctx, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let echo = spawn(|mut ctx: Ctx<String>| async move {
///         let text = ctx.recv().await;
///         assert_eq!(text, "hello");
///     });
///     echo.send("hello".to_string()).await.unwrap();
///     assert!(echo.wait().await.is_normal());
///     assert!(!echo.is_alive());
/// });
/// ```
pub struct Pid<M> {
    pub(crate) inner: Arc<dyn Proc<M>>,
}

impl<M: 'static> Pid<M> {
    /// The process's id.
    pub fn id(&self) -> ProcessId {
        self.inner.id()
    }
}

impl<M> Clone for Pid<M> {
    fn clone(&self) -> Self {
        Pid {
            inner: self.inner.clone(),
        }
    }
}

impl<M: 'static> PartialEq for Pid<M> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}
impl<M: 'static> Eq for Pid<M> {}
impl<M: 'static> Hash for Pid<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state)
    }
}
impl<M: 'static> PartialOrd for Pid<M> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<M: 'static> Ord for Pid<M> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.id().cmp(&other.id())
    }
}
impl<M: 'static> fmt::Debug for Pid<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pid{}", self.id())
    }
}
/// Written as its [`ProcessId`]; through a
/// [`remote::Endpoint`](crate::remote::Endpoint), as a pid that works on
/// the other node.
impl<M: Serialize + DeserializeOwned + Send + 'static> Serialize for Pid<M> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::remote::serialize_pid(&self.inner, s)
    }
}

/// Read back only through a [`remote::Endpoint`](crate::remote::Endpoint):
/// a pid names a live process, which plain data cannot.
impl<'de, M: Serialize + DeserializeOwned + Send + 'static> Deserialize<'de> for Pid<M> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::remote::deserialize_pid(d).map(|inner| Pid { inner })
    }
}

/// A process handle with its message type erased: enough to link, monitor,
/// stop or wait for a process whatever it accepts. Supervisors hold these.
#[derive(Clone)]
pub struct AnyPid {
    pub(crate) core: Arc<dyn Core>,
}

impl PartialEq for AnyPid {
    fn eq(&self, other: &Self) -> bool {
        self.core.id() == other.core.id()
    }
}
impl Eq for AnyPid {}
impl Hash for AnyPid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.core.id().hash(state)
    }
}
impl fmt::Debug for AnyPid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyPid{}", self.core.id())
    }
}

impl<M: Send + 'static> From<Pid<M>> for AnyPid {
    fn from(pid: Pid<M>) -> Self {
        AnyPid { core: pid.inner }
    }
}
impl<M: Send + 'static> From<&Pid<M>> for AnyPid {
    fn from(pid: &Pid<M>) -> Self {
        AnyPid {
            core: pid.inner.clone(),
        }
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
        if crate::process::budget_spent() {
            crate::timer::yield_now().await;
        }
        let Some(shared) = self.inner.local() else {
            return self.send_remote(m).map_err(|(m, _)| SendError(m));
        };
        if shared.bounded() {
            return shared.send_waiting(m).await;
        }
        self.deliver(shared, m).map_err(SendError)
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
        let Some(shared) = self.inner.local() else {
            return self
                .send_remote(m)
                .map_err(|(m, e)| TrySendError::Unsendable(m, e));
        };
        if !shared.bounded() {
            return self.deliver(shared, m).map_err(TrySendError::Closed);
        }
        let r = shared.push(m, None);
        if r.is_ok() {
            runtime::trace_send(shared.id, true);
        }
        r
    }

    /// Sends to a process on another node (see [`remote`](crate::remote));
    /// a message that cannot leave is logged and given back.
    fn send_remote(&self, m: M) -> Result<(), (M, crate::remote::RemoteError)> {
        self.inner.send_remote(m).inspect_err(|(_, e)| {
            tracing::warn!(to = %self.id(), message_type = std::any::type_name::<M>(), error = %e, "message not sent");
        })
    }

    /// Delivers to an unbounded mailbox: at once, or, on the deterministic
    /// runtime, after a seeded delay that never reorders one sender's
    /// messages to one receiver.
    #[inline]
    fn deliver(&self, shared: &crate::process::Shared<M>, m: M) -> Result<(), M> {
        if runtime::is_deterministic() {
            if !shared.is_alive() {
                return Err(m);
            }
            if let Some(at) = runtime::hold(shared.id) {
                let target = self.inner.clone();
                runtime::deliver_at(at, shared.id, move || {
                    // A receiver that died in the meantime loses the
                    // message, as in Erlang; a call inside it fails with
                    // the receiver's reason.
                    let shared = target.local().expect("a local process");
                    if let Err(e) = shared.push(m, None) {
                        let reason = shared.final_reason().unwrap_or(ExitReason::NoProc);
                        drop_undeliverable(e.into_inner(), reason);
                    }
                });
                return Ok(());
            }
        }
        shared.push(m, None).map_err(TrySendError::into_inner)
    }
}
