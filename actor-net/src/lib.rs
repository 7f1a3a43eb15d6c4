//! Nodes, global names and node loss for actor-core processes, over NATS.
//!
//! Erlang's distribution on an existing, proven messaging system rather
//! than a transport of our own. Every OS process that calls
//! [`Node::connect`] becomes a node of a cluster on a NATS server (or a
//! NATS cluster): it gets a [`NodeId`](actor_core::NodeId) unique to this
//! incarnation, one inbox subject, heartbeats, and the cluster's global
//! names on JetStream key-value. Nothing listens on a port of its own.
//!
//! | Erlang | here |
//! |---|---|
//! | `net_kernel:start`, cookie | [`Node::connect`] with a [`NodeConfig`] (cluster name, NATS credentials, TLS) |
//! | `nodes()` | [`Node::nodes`] |
//! | `monitor_node(N, true)`, `{nodedown, N}` | [`Node::monitor_node`] → [`NodeDown`] |
//! | `net_kernel:monitor_nodes(true)` | [`Node::monitor_nodes`] → [`NodeEvent`] |
//! | `net_adm:ping(N)` | [`Node::ping`] |
//! | net tick time | [`NodeConfig::grace`] (default 2 s) |
//! | `global:register_name`, `whereis_name`, `unregister_name` | [`Node::register_global`], [`Node::whereis_global`], [`Node::unregister_global`] |
//! | `init:stop()` | [`Node::shutdown`] |
//!
//! # Subjects and the wire
//!
//! Everything of cluster `C` is under `actor.C.`: node `N`'s inbox is
//! `actor.C.node.N`, heartbeats go to `actor.C.beacon`, and the JetStream
//! buckets are `actor_C_nodes` (the node id counter) and `actor_C_names`.
//! A node subscribes to its own inbox and the beacon subject only, so two
//! clusters on one server never see each other. Frames are postcard
//! encoded and batched: many frames to one NATS message, one ordered queue
//! per destination node, one publishing connection per node, which keeps
//! every pair of nodes (and so every pair of processes) in FIFO order.
//! Delivery across nodes is at most once, as in Erlang.
//!
//! # When NATS goes away
//!
//! **The server stopped and restarted** (every node loses its connection):
//! after the grace period each node sees every other node down with
//! [`DownReason::ConnectionLost`]: local processes linked to processes
//! there get an exit signal `noconnection`, monitors `Down(noconnection)`,
//! pending calls fail with it, and messages sent meanwhile are lost (at
//! most once). No node frees a global name for it: a node that lost its
//! own connection cannot tell who is really gone. Once the server is back
//! with its JetStream store, the nodes reconnect by themselves, see each
//! other up again ([`NodeEvent::Up`]), and every global name is where it
//! was. Links and monitors broken by the outage stay broken, as after a
//! `nodedown` in Erlang: link and monitor again on [`NodeEvent::Up`] (or
//! look the name up again). A server restarted without its store is a
//! new cluster (node ids and names are kept there): restart the nodes.
//!
//! **One node cut off** (its connection lost while the others keep
//! theirs): after the grace period the
//! others see it down with [`DownReason::HeartbeatTimeout`] and free its
//! global names. When it reconnects, it re-asserts the names of its
//! processes that are still alive: each name is back, owned by the same
//! process. A name that another process took meanwhile stays with that
//! process, and the process that lost it gets an exit signal with reason
//! [`NAME_CONFLICT`] (`global_name_conflict`), as Erlang's `global` kills
//! one of two processes registered under one name when a partition heals
//! (here the signal can be trapped). A name unregistered meanwhile stays
//! unregistered.
//!
//! # Testing with a real server
//!
//! [`NatsServer`] starts a `nats-server` (Debian's package) with JetStream
//! on a free loopback port, for tests, examples and single-machine runs.
//!
//! # Testing without one: the simulated network
//!
//! [`sim::Network`] runs the same nodes on actor-core's deterministic
//! runtime over an in-memory network: several nodes in one OS process, one
//! seeded schedule, one virtual clock, and seeded partitions, crashes and
//! connection outages. A node's code is an `async fn(Node)` either way;
//! only how the node starts differs. A failing seed replays bit for bit.
#![forbid(unsafe_code)]

mod config;
mod error;
mod frame;
#[doc(hidden)]
pub mod fuzzing;
mod global;
mod ids;
mod inbound;
mod membership;
mod nats;
mod node;
mod outbox;
mod remote;
mod server;
pub mod sim;
mod stats;
mod wire;

pub use config::NodeConfig;
pub use error::Error;
pub use global::NAME_CONFLICT;
pub use membership::{DownReason, NodeDown, NodeEvent, NodeEvents, NodeInfo, NodeMonitor};
pub use node::Node;
pub use server::NatsServer;
pub use stats::Stats;
