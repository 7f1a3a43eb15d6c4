//! The type-erased faces of a process that other processes hold: what a
//! link, a monitor, the registry or a supervisor needs of it, whatever
//! messages it accepts.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use crate::error::RegistryError;
use crate::id::{MonitorRef, ProcessId};
use crate::observe::ProcessInfo;
use crate::signal::{Down, ExitReason};

/// Someone to tell when a process ends: a monitoring process, a `wait`.
pub(crate) trait Watcher: Send + Sync {
    fn down(&self, down: Down);
}

/// A process, whatever it accepts.
pub(crate) trait Core: Watcher + 'static {
    fn id(&self) -> ProcessId;
    fn is_alive(&self) -> bool;
    fn final_reason(&self) -> Option<ExitReason>;
    /// An exit signal from `from`; `linked` when it travels along a link.
    fn exit_signal(&self, from: ProcessId, reason: &ExitReason, linked: bool);
    /// The untrappable kill.
    fn kill(&self);
    /// Adds `other` to this process's links: `Ok(false)` if they were
    /// linked already, `Err` if this process has ended.
    fn add_link(&self, other: Arc<dyn Core>) -> Result<bool, ()>;
    fn remove_link(&self, other: ProcessId);
    /// Adds a watcher; `Err` if this process has ended.
    fn add_watcher(&self, mref: MonitorRef, w: Arc<dyn Watcher>) -> Result<(), ()>;
    fn remove_watcher(&self, mref: MonitorRef);
    /// Records its registered name, so that it is freed on exit.
    fn add_name(&self, name: Arc<str>) -> Result<(), RegistryError>;
    fn remove_name(&self, name: &str);
    /// Puts the typed handle into `out` if `out` is an
    /// `Option<Arc<dyn Proc<M>>>` of this process's message type.
    fn downcast_into(self: Arc<Self>, out: &mut dyn Any);
    /// Drops the body of a process that will never run again (its runtime
    /// is shutting down), breaking the cycle between a body and its own
    /// handle.
    fn abort(&self);

    /// What an observer sees of it at `now`; `None` once it has ended.
    fn info(&self, _now: Duration) -> Option<ProcessInfo> {
        None
    }
    /// The messages it has received and sent; `None` once it has ended.
    fn counts(&self) -> Option<(u64, u64)> {
        None
    }
    /// Notes its child id under its supervisor and its restarts.
    fn set_child(&self, _child_id: &Arc<str>, _restarts: u32) {}
}
