//! The crate's error types. Every error that carries a message gives it
//! back, so that nothing is lost when a send fails.

use std::fmt;

use crate::signal::ExitReason;

/// The process is dead: the message is given back.
///
/// # Examples
///
/// ```
/// use actor_core::{spawn, Ctx, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let pid = spawn(|_ctx: Ctx<u32>| async {});
///     pid.wait().await;
///     let err = pid.send(7).await.unwrap_err();
///     assert_eq!(err.0, 7);
/// });
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<M>(pub M);

impl<M> fmt::Debug for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}
impl<M> fmt::Display for SendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending to a process that has exited")
    }
}
impl<M> std::error::Error for SendError<M> {}

/// Why [`Pid::try_send`](crate::Pid::try_send) failed; the message is given back.
#[derive(PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum TrySendError<M> {
    /// The bounded mailbox is full.
    Full(M),
    /// The process has exited.
    Closed(M),
    /// The process runs on another node and the message cannot cross
    /// (too large, or not encodable); why.
    Unsendable(M, crate::remote::RemoteError),
}

impl<M> TrySendError<M> {
    /// The message that was not sent.
    pub fn into_inner(self) -> M {
        match self {
            TrySendError::Full(m) | TrySendError::Closed(m) | TrySendError::Unsendable(m, _) => m,
        }
    }
}
impl<M> fmt::Debug for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
            TrySendError::Unsendable(_, e) => write!(f, "Unsendable(.., {e:?})"),
        }
    }
}
impl<M> fmt::Display for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("the mailbox is full"),
            TrySendError::Closed(_) => f.write_str("sending to a process that has exited"),
            TrySendError::Unsendable(_, e) => {
                write!(f, "the message cannot reach the other node: {e}")
            }
        }
    }
}
impl<M> std::error::Error for TrySendError<M> {}
impl<M> From<SendError<M>> for TrySendError<M> {
    fn from(e: SendError<M>) -> Self {
        TrySendError::Closed(e.0)
    }
}

/// Why a [`call`](crate::Pid::call) did not return a reply.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum CallError {
    /// No reply within the timeout. The request may still be handled.
    Timeout,
    /// The callee ended before replying (or was already gone:
    /// [`ExitReason::NoProc`]).
    Exited(ExitReason),
    /// The callee dropped the [`Reply`](crate::Reply) handle without replying.
    NoReply,
    /// The request or its reply could not cross to the other node (too
    /// large, or not encodable).
    Unsendable(crate::remote::RemoteError),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Timeout => f.write_str("call timed out"),
            CallError::Exited(r) => write!(f, "callee exited: {r}"),
            CallError::NoReply => f.write_str("callee dropped the reply handle without replying"),
            CallError::Unsendable(e) => write!(f, "could not cross to the other node: {e}"),
        }
    }
}
impl std::error::Error for CallError {}

/// A future did not complete within its time limit (gevent's `Timeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Elapsed;

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline elapsed")
    }
}
impl std::error::Error for Elapsed {}

/// Why a name could not be registered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// Another live process holds the name.
    Taken(String),
    /// The process to register has already exited.
    NoProc,
    /// The process is registered under another name already (one name per
    /// process, as Erlang's `register/2`); that name.
    AlreadyNamed(String),
    /// The process runs on another node: the local registry names local
    /// processes only (as Erlang's `register/2`).
    NotLocal,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::Taken(n) => write!(f, "the name {n:?} is already registered"),
            RegistryError::NoProc => f.write_str("the process has already exited"),
            RegistryError::NotLocal => f.write_str("the process runs on another node"),
            RegistryError::AlreadyNamed(n) => {
                write!(f, "the process is already registered as {n:?}")
            }
        }
    }
}
impl std::error::Error for RegistryError {}

/// A process (an actor, a supervisor or one of its children) failed to start.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum StartError {
    /// Its initialisation failed or it exited before it was up, with this reason.
    Failed(ExitReason),
    /// A child with this id already exists under the supervisor.
    DuplicateChild(String),
    /// The supervisor it was handed to is not running.
    NoSupervisor,
    /// The supervisor has no child with this id.
    NoChild(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Failed(r) => write!(f, "failed to start: {r}"),
            StartError::DuplicateChild(id) => write!(f, "a child named {id:?} already exists"),
            StartError::NoSupervisor => f.write_str("the supervisor is not running"),
            StartError::NoChild(id) => write!(f, "the supervisor has no child named {id:?}"),
        }
    }
}
impl std::error::Error for StartError {}

/// A [`Channel`](crate::sync::Channel) is closed; a value that could not
/// be sent is given back (`ChannelClosed<()>` when there is none, as from
/// [`recv`](crate::sync::Channel::recv)).
///
/// # Examples
///
/// ```
/// use actor_core::sync::{Channel, ChannelClosed};
///
/// # actor_core::Runtime::tokio_current_thread().block_on(async {
/// let ch = Channel::new();
/// ch.close();
/// assert_eq!(ch.send(5).await, Err(ChannelClosed(5)));
/// assert_eq!(ch.recv().await, Err::<i32, _>(ChannelClosed(())));
/// # });
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct ChannelClosed<T = ()>(pub T);

impl<T> fmt::Debug for ChannelClosed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChannelClosed(..)")
    }
}
impl<T> fmt::Display for ChannelClosed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the channel is closed")
    }
}
impl<T> std::error::Error for ChannelClosed<T> {}

/// A bounded [`Queue`](crate::sync::Queue) had no room (at once, or within
/// the timeout): the value is given back.
///
/// # Examples
///
/// ```
/// use actor_core::sync::{Queue, QueueFull};
///
/// let q = Queue::bounded(1);
/// q.try_put('a').unwrap();
/// assert_eq!(q.try_put('b'), Err(QueueFull('b')));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct QueueFull<T>(pub T);

impl<T> fmt::Debug for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueFull(..)")
    }
}
impl<T> fmt::Display for QueueFull<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is full")
    }
}
impl<T> std::error::Error for QueueFull<T> {}

/// An [`AsyncResult`](crate::sync::AsyncResult) was set already: the first
/// value stays, this one is given back.
///
/// # Examples
///
/// ```
/// use actor_core::sync::{AlreadySet, AsyncResult};
///
/// let r: AsyncResult<u32, String> = AsyncResult::new();
/// r.set(1).unwrap();
/// assert_eq!(r.set(2), Err(AlreadySet(2)));
/// ```
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct AlreadySet<T>(pub T);

impl<T> fmt::Debug for AlreadySet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AlreadySet(..)")
    }
}
impl<T> fmt::Display for AlreadySet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the result has already been set")
    }
}
impl<T> std::error::Error for AlreadySet<T> {}

/// Why a process could not join a [process group](crate::pg) or subscribe
/// to one.
///
/// # Examples
///
/// ```
/// use actor_core::pg::{self, GroupError};
/// use actor_core::{spawn, Ctx, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let p = spawn(|_ctx: Ctx<()>| async {});
///     p.wait().await;
///     assert_eq!(pg::join("g", &p), Err(GroupError::NoProc));
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupError {
    /// The process has already exited.
    NoProc,
    /// The subscriber has a bounded mailbox, where an event could find no
    /// room and be lost.
    BoundedMailbox,
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::NoProc => f.write_str("the process has already exited"),
            GroupError::BoundedMailbox => f.write_str(
                "a process with a bounded mailbox cannot subscribe to groups: an event could be lost",
            ),
        }
    }
}
impl std::error::Error for GroupError {}

/// Why [`Events::recv`](crate::observe::Events::recv) gave no event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventsError {
    /// The listener fell behind and missed this many events; the next
    /// receive gets the oldest event still kept.
    Missed(u64),
    /// The runtime is gone: no event will come.
    Closed,
}

impl fmt::Display for EventsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventsError::Missed(n) => write!(f, "fell behind and missed {n} events"),
            EventsError::Closed => f.write_str("the runtime is gone"),
        }
    }
}
impl std::error::Error for EventsError {}

/// Text that is not a process id as [`ProcessId`](crate::ProcessId)
/// prints it (`<node.serial>`).
///
/// # Examples
///
/// ```
/// use actor_core::{NodeId, ProcessId};
///
/// let id: ProcessId = "<0.42>".parse().unwrap();
/// assert_eq!(id, ProcessId { node: NodeId(0), serial: 42 });
/// assert!("<0.x>".parse::<ProcessId>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseIdError(pub(crate) String);

impl fmt::Display for ParseIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a process id like <0.42>", self.0)
    }
}
impl std::error::Error for ParseIdError {}
