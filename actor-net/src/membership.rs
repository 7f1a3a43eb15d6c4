//! Which nodes are up: heartbeats, hellos and goodbyes on the beacon
//! subject, the grace period, and what is told when a node goes down.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use actor_core::NodeId;
use tokio::sync::{broadcast, oneshot};

use crate::frame::Beacon;
use crate::node::Shared;

/// A node of the cluster, as [`Node::nodes`](crate::Node::nodes) lists it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeInfo {
    /// Its id, unique to this incarnation of it.
    pub id: NodeId,
    /// The name it was configured with.
    pub name: String,
}

/// Why a node is down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DownReason {
    /// It shut down cleanly and said so.
    Shutdown,
    /// Nothing was heard from it for the grace period while this node was
    /// connected: its OS process died, its machine or its connection to NATS
    /// was lost.
    HeartbeatTimeout,
    /// This node's own NATS connection was lost for the grace period: every
    /// other node is down from here.
    ConnectionLost,
    /// It was not up when it was asked about (never seen, or already down).
    NotConnected,
    /// This node is shutting down: it monitors nothing any more.
    LocalShutdown,
}

impl fmt::Display for DownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DownReason::Shutdown => "shut down",
            DownReason::HeartbeatTimeout => "no heartbeat within the grace period",
            DownReason::ConnectionLost => "this node's NATS connection was lost",
            DownReason::NotConnected => "not connected",
            DownReason::LocalShutdown => "this node shut down",
        })
    }
}

/// A node went down: Erlang's `{nodedown, Node}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NodeDown {
    /// The node.
    pub node: NodeId,
    /// Why.
    pub reason: DownReason,
}

/// A change in the cluster, from [`Node::monitor_nodes`](crate::Node::monitor_nodes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NodeEvent {
    /// A node came up (or back).
    Up(NodeInfo),
    /// A node went down.
    Down(NodeDown),
}

/// The cluster's changes as they happen: Erlang's
/// `net_kernel:monitor_nodes(true)`.
///
/// # Cancel safety
///
/// [`next`](Self::next) is cancel safe: an event is only taken when it is
/// returned.
#[derive(Debug)]
pub struct NodeEvents {
    pub(crate) rx: broadcast::Receiver<NodeEvent>,
}

impl NodeEvents {
    /// The next event; `None` once the node is shut down. Events a slow
    /// reader missed (more than 1,024 behind) are skipped with a warning.
    pub async fn next(&mut self) -> Option<NodeEvent> {
        loop {
            match self.rx.recv().await {
                Ok(event) => return Some(event),
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(missed = n, "node events were missed");
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }
}

/// Resolves once with [`NodeDown`] when the monitored node goes down, from
/// [`Node::monitor_node`](crate::Node::monitor_node). Dropping it removes
/// the monitor.
#[derive(Debug)]
pub struct NodeMonitor {
    node: NodeId,
    rx: Option<oneshot::Receiver<NodeDown>>,
}

impl Future for NodeMonitor {
    type Output = NodeDown;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<NodeDown> {
        let node = self.node;
        match &mut self.rx {
            None => Poll::Ready(NodeDown {
                node,
                reason: DownReason::NotConnected,
            }),
            Some(rx) => Pin::new(rx).poll(cx).map(|r| {
                r.unwrap_or(NodeDown {
                    node,
                    reason: DownReason::LocalShutdown,
                })
            }),
        }
    }
}

/// The peers as this node sees them, and who waits for which to go down.
#[derive(Debug, Default)]
pub(crate) struct Members {
    peers: BTreeMap<NodeId, Peer>,
    watchers: HashMap<NodeId, Vec<oneshot::Sender<NodeDown>>>,
}

#[derive(Debug)]
struct Peer {
    name: String,
    /// When it was last heard from, on the runtime's clock.
    last_seen: Duration,
    up: bool,
    /// Why it went down, while it is down.
    reason: Option<DownReason>,
}

/// Whether a node is up, down, or not known either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Liveness {
    Up,
    /// It said goodbye, or was silent while this node was connected.
    Down,
    /// Never heard of, or lost while this node's own connection was down
    /// (the fault may have been ours): ask it.
    Unknown,
}

impl Members {
    pub(crate) fn up(&self) -> Vec<NodeInfo> {
        self.peers
            .iter()
            .filter(|(_, p)| p.up)
            .map(|(id, p)| NodeInfo {
                id: *id,
                name: p.name.clone(),
            })
            .collect()
    }

    pub(crate) fn liveness(&self, node: NodeId) -> Liveness {
        match self.peers.get(&node) {
            Some(p) if p.up => Liveness::Up,
            Some(Peer {
                reason: Some(DownReason::ConnectionLost),
                ..
            })
            | None => Liveness::Unknown,
            Some(_) => Liveness::Down,
        }
    }

    pub(crate) fn monitor(&mut self, node: NodeId) -> NodeMonitor {
        let rx = if self.liveness(node) == Liveness::Up {
            let (tx, rx) = oneshot::channel();
            let list = self.watchers.entry(node).or_default();
            list.retain(|w| !w.is_closed());
            list.push(tx);
            Some(rx)
        } else {
            None
        };
        NodeMonitor { node, rx }
    }

    /// Ends every monitor: this node is shutting down.
    pub(crate) fn clear(&mut self) {
        self.watchers.clear();
    }
}

/// Handles one beacon; returns whether to answer a hello with a heartbeat.
pub(crate) fn on_beacon(shared: &Arc<Shared>, beacon: Beacon) -> bool {
    match beacon {
        Beacon::Hello { node, name } if node != shared.id => {
            seen(shared, node, name);
            true
        }
        Beacon::Alive { node, name } if node != shared.id => {
            seen(shared, node, name);
            false
        }
        Beacon::Bye { node } if node != shared.id => {
            down(shared, node, DownReason::Shutdown);
            false
        }
        _ => false,
    }
}

/// `node` said something: it is up.
fn seen(shared: &Shared, node: NodeId, name: String) {
    let now = actor_core::now();
    let mut members = shared.members.lock().unwrap_or_else(|e| e.into_inner());
    let peer = members.peers.entry(node).or_insert_with(|| Peer {
        name: name.clone(),
        last_seen: now,
        up: false,
        reason: None,
    });
    peer.last_seen = now;
    if peer.up {
        return;
    }
    peer.up = true;
    peer.reason = None;
    peer.name = name.clone();
    shared.outbox.node_up(node);
    crate::remote::node_up(shared, node);
    tracing::info!(node = node.0, %name, "node up");
    let _ = shared
        .events
        .send(NodeEvent::Up(NodeInfo { id: node, name }));
}

/// Declares down every peer not heard from within the grace period.
pub(crate) fn expire(shared: &Arc<Shared>, connected: bool) {
    let now = actor_core::now();
    let silent: Vec<NodeId> = {
        let members = shared.members.lock().unwrap_or_else(|e| e.into_inner());
        members
            .peers
            .iter()
            .filter(|(_, p)| p.up && now.saturating_sub(p.last_seen) > shared.grace)
            .map(|(id, _)| *id)
            .collect()
    };
    let reason = if connected {
        DownReason::HeartbeatTimeout
    } else {
        DownReason::ConnectionLost
    };
    for node in silent {
        down(shared, node, reason);
    }
}

/// `node` is down: tell its monitors and the event subscribers, drop what
/// waits to be sent there, fail pings, and free its global names.
pub(crate) fn down(shared: &Arc<Shared>, node: NodeId, reason: DownReason) {
    let watchers = {
        let mut members = shared.members.lock().unwrap_or_else(|e| e.into_inner());
        match members.peers.get_mut(&node) {
            Some(p) if p.up => {
                p.up = false;
                p.reason = Some(reason);
            }
            Some(_) => return,
            // A goodbye from a node never seen: remember it as down.
            None => {
                members.peers.insert(
                    node,
                    Peer {
                        name: String::new(),
                        last_seen: actor_core::now(),
                        up: false,
                        reason: Some(reason),
                    },
                );
                return;
            }
        }
        members.watchers.remove(&node).unwrap_or_default()
    };
    tracing::warn!(node = node.0, %reason, "node down");
    shared.outbox.node_down(node);
    let event = NodeDown { node, reason };
    for w in watchers {
        let _ = w.send(event);
    }
    shared.fail_pings(node);
    crate::remote::node_down(shared, node);
    let _ = shared.events.send(NodeEvent::Down(event));
    // A node that lost its own connection cannot tell who is really gone:
    // it leaves the others' names alone.
    if reason != DownReason::ConnectionLost {
        crate::global::sweep(shared, node);
    }
}
