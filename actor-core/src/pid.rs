//! Process identifiers: [`ProcessId`] (plain data) and [`Pid`] (a typed,
//! sendable handle).

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The node a process runs on. Every process of one program is on
/// [`NodeId::LOCAL`]; the field is there so that a transport between
/// machines can route by it without changing the type.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct NodeId(pub u32);

impl NodeId {
    /// This node.
    pub const LOCAL: NodeId = NodeId(0);
}

/// The plain-data name of a process: its node and its serial number.
///
/// Printed the way Erlang prints pids, `<node.serial>`.
///
/// # Examples
///
/// ```
/// # actor_core::Runtime::tokio_current_thread().block_on(async {
/// let pid = actor_core::spawn(|mut ctx: actor_core::Ctx<()>| async move { ctx.recv().await });
/// let id = pid.id();
/// let json = serde_json::to_string(&id).unwrap();
/// let back: actor_core::ProcessId = serde_json::from_str(&json).unwrap();
/// assert_eq!(id, back);
/// # pid.kill();
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProcessId {
    /// The node it runs on.
    pub node: NodeId,
    /// Its number on that node, never reused while the runtime lives.
    pub serial: u64,
}

impl fmt::Display for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}.{}>", self.node.0, self.serial)
    }
}

impl fmt::Debug for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

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
    pub(crate) inner: Arc<crate::process::Inner<M>>,
}

impl<M> Clone for Pid<M> {
    fn clone(&self) -> Self {
        Pid {
            inner: self.inner.clone(),
        }
    }
}

impl<M> PartialEq for Pid<M> {
    fn eq(&self, other: &Self) -> bool {
        self.inner.id == other.inner.id
    }
}
impl<M> Eq for Pid<M> {}
impl<M> Hash for Pid<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.id.hash(state)
    }
}
impl<M> PartialOrd for Pid<M> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Pid<M> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.inner.id.cmp(&other.inner.id)
    }
}
impl<M> fmt::Debug for Pid<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pid{}", self.inner.id)
    }
}
impl<M> Serialize for Pid<M> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.inner.id.serialize(s)
    }
}

/// A process handle with its message type erased: enough to link, monitor,
/// stop or wait for a process whatever it accepts. Supervisors hold these.
#[derive(Clone)]
pub struct AnyPid {
    pub(crate) core: Arc<dyn crate::process::Core>,
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
