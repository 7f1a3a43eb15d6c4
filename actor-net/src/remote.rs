//! The one place where actor-net meets actor-core's processes.
//!
//! Frames for processes arrive here to be delivered; node loss is told
//! from here to the local links, monitors and calls towards that node.
//! Until actor-core has its transport seam, this node has no process
//! that can be reached from another node: a message frame is counted as
//! a drop for an unknown target.

use actor_core::{NodeId, ProcessId};

use crate::node::Shared;
use crate::stats::Counters;

/// This runtime becomes a node.
pub(crate) fn install(_shared: &Shared) {}

/// This runtime is no longer a node.
pub(crate) fn uninstall(_shared: &Shared) {}

/// A message frame for a local process.
pub(crate) fn deliver(
    shared: &Shared,
    from_node: NodeId,
    to: ProcessId,
    sender: Option<ProcessId>,
    payload: &[u8],
) {
    Counters::bump(&shared.counters.dropped_unknown_target);
    tracing::warn!(
        from = from_node.0,
        sender = ?sender,
        %to,
        bytes = payload.len(),
        "message for an unknown process dropped"
    );
}

/// Every local link, monitor and call towards `node` fails with
/// `noconnection`.
pub(crate) fn node_down(_shared: &Shared, _node: NodeId) {}
