//! Plain-data identities: nodes, processes, monitors. The bottom of the
//! crate: these depend on nothing else in it.

use std::fmt;

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

/// Parses what `Display` prints, `<node.serial>` (the angle brackets may
/// be left out).
impl std::str::FromStr for ProcessId {
    type Err = crate::error::ParseIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || crate::error::ParseIdError(s.to_string());
        let t = s.trim();
        let t = t
            .strip_prefix('<')
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or(t);
        let (node, serial) = t.split_once('.').ok_or_else(bad)?;
        let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
        if !digits(node) || !digits(serial) {
            return Err(bad());
        }
        Ok(ProcessId {
            node: NodeId(node.parse().map_err(|_| bad())?),
            serial: serial.parse().map_err(|_| bad())?,
        })
    }
}

impl fmt::Debug for ProcessId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Identifies one monitor, as returned by [`Ctx::monitor`](crate::Ctx::monitor).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
pub struct MonitorRef(pub(crate) u64);
