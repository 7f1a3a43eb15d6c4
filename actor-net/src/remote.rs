//! The one place where actor-net meets actor-core's processes: the
//! [`Transport`] that actor-core's [`Endpoint`] sends through, and the
//! frames that come in handed to that endpoint.
//!
//! Outgoing messages, signals and call replies become frames queued in the
//! node's outbox (never waiting); incoming ones are delivered, applied or
//! completed by the endpoint. A message the endpoint cannot deliver (an
//! unknown or ended process, a payload of another type, a full bounded
//! mailbox) is counted and logged with its sender, and dropped.

use std::sync::Arc;

use actor_core::remote::{CallRef, DeliverError, Endpoint, Signal, Transport};
use actor_core::{CallError, NodeId, ProcessId};

use crate::frame::Frame;
use crate::node::Shared;
use crate::outbox::Outbox;
use crate::stats::Counters;

/// The wire as actor-core sees it: the node's outbox.
#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) outbox: Arc<Outbox>,
}

impl Wire {
    fn push(&self, to: NodeId, frame: &Frame<'_>) {
        if let Err(e) = self.outbox.push(to, frame) {
            tracing::debug!(to = to.0, error = %e, "frame not sent");
        }
    }
}

impl Transport for Wire {
    fn send(&self, to: ProcessId, from: Option<ProcessId>, payload: Vec<u8>) {
        self.push(
            to.node,
            &Frame::Message {
                to,
                from,
                payload: &payload,
            },
        );
    }

    fn signal(&self, to: ProcessId, signal: Signal) {
        self.push(to.node, &Frame::Signal { to, signal });
    }

    fn reply(&self, call: CallRef, result: Result<Vec<u8>, CallError>) {
        let result = result.as_deref().map_err(Clone::clone);
        self.push(call.node, &Frame::Reply { call, result });
    }

    fn max_payload(&self) -> usize {
        self.outbox.max_payload()
    }
}

/// The endpoint of a node whose outbox is `outbox`.
pub(crate) fn endpoint(node: NodeId, outbox: &Arc<Outbox>) -> Endpoint {
    Endpoint::new(
        node,
        Arc::new(Wire {
            outbox: outbox.clone(),
        }),
    )
}

/// A message frame for a local process.
pub(crate) fn deliver(
    shared: &Shared,
    from_node: NodeId,
    to: ProcessId,
    sender: Option<ProcessId>,
    payload: &[u8],
) {
    if let Err(e) = shared.endpoint.deliver(to, sender, payload) {
        Counters::bump(&shared.counters.dropped_unknown_target);
        match &e {
            DeliverError::Decode { message_type, .. } => tracing::warn!(
                from = from_node.0,
                sender = ?sender,
                %to,
                message_type,
                "undecodable message dropped: {e}"
            ),
            _ => tracing::warn!(
                from = from_node.0,
                sender = ?sender,
                %to,
                "message dropped: {e}"
            ),
        }
    }
}

/// A signal frame for a local process.
pub(crate) fn apply(shared: &Shared, to: ProcessId, signal: Signal) {
    shared.endpoint.apply(to, signal);
}

/// The answer to a call of ours.
pub(crate) fn complete_call(shared: &Shared, call: CallRef, result: Result<&[u8], CallError>) {
    shared.endpoint.complete_call(call, result);
}

/// Every local link, monitor and call towards `node` fails with
/// `noconnection`.
pub(crate) fn node_down(shared: &Shared, node: NodeId) {
    shared.endpoint.node_down(node);
}

/// `node` is reachable again.
pub(crate) fn node_up(shared: &Shared, node: NodeId) {
    shared.endpoint.node_up(node);
}
