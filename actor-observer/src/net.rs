//! Other nodes' processes, over [actor-net](actor_net) (feature `net`, on
//! by default).
//!
//! A node whose processes others may look at calls [`answer`]: it starts
//! a process that answers the observers of the cluster with this node's
//! table, registered under the global name `actor-observer.N` (`N` its
//! node id). An observer given the node with [`Observer::cluster`] lists
//! the cluster's nodes and shows any node's table:
//! `GET /api/processes?node=N`, `GET /api/processes/<N.serial>`, and the
//! page's node selector.
//!
//! Another node's ids carry its node id (`<N.serial>`); this node's own
//! processes keep `<0.serial>` (and `<THIS.serial>` names them too). The
//! observer waits 5 s at most for another node: a node that is not up, or
//! that never called [`answer`], is a 404; one that does not answer in
//! time a 504; one lost while asked a 502. Rows are cut to what one frame
//! between nodes carries (the NATS server's maximum payload, 1 MiB by
//! default: a few thousand rows); the response then says how many were
//! left out in `x-observer-left-out`. Killing or restarting another node's
//! process (`POST /api/processes/<N.serial>/kill`, `.../restart`) is done
//! by that node's answering process once this observer has checked the
//! token: a node of the cluster trusts the others, as Erlang nodes do, so
//! answer only on nodes whose cluster is as trusted as the token.
//!
//! # Examples
//!
//! Two nodes on one NATS server: the first serves the observer, the second
//! answers it. (Here both run in one OS process, on one runtime, so node
//! B's table lists every process of the example; in a real cluster each
//! node is an OS process of its own, and B's table lists B's processes.)
//!
//! ```
//! use actor_core::Runtime;
//! use actor_net::{NatsServer, Node, NodeConfig};
//! use actor_observer::Observer;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = NatsServer::start()?;
//! let rt = Runtime::tokio();
//! let (a, b, serving) = rt.block_on(async {
//!     // On the node to look at:
//!     let b = Node::connect(NodeConfig::new(server.url(), "demo", "b")).await?;
//!     actor_observer::net::answer(&b).await?;
//!     // On the node that serves the page:
//!     let a = Node::connect(NodeConfig::new(server.url(), "demo", "a")).await?;
//!     # a.until_up(b.id(), std::time::Duration::from_secs(10)).await?;
//!     let serving = Observer::new().cluster(&a).serve("127.0.0.1:0").await?;
//!     Ok::<_, Box<dyn std::error::Error>>((a, b, serving))
//! })?;
//!
//! let url = format!("{}api/processes?node={}", serving.url(), b.id().0);
//! let body = ureq::get(&url).call()?.body_mut().read_to_string()?;
//! let table: serde_json::Value = serde_json::from_str(&body)?;
//! let ids: Vec<&str> = table.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
//! assert!(ids.iter().all(|id| id.starts_with(&format!("<{}.", b.id().0))));
//!
//! rt.block_on(async {
//!     serving.stop();
//!     a.shutdown().await;
//!     b.shutdown().await;
//! });
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actor_core::observe::{Observed, Snapshot, Status};
use actor_core::{AnyPid, CallError, Ctx, NodeId, Pid, ProcessId, Reply, Spawn};
use actor_net::Node;
use axum::http::StatusCode;
use futures::FutureExt;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::api::{Action, ApiError, Detail, Rows, TableQuery};
use crate::remote::Remote;
use crate::server::Observer;

/// What an observer asks another node's answering process.
#[derive(Serialize, Deserialize)]
pub(crate) enum Ask {
    /// The rows a query selects there.
    Table(TableQuery, Reply<Result<Rows, String>>),
    /// One process there, as the JSON of `GET /api/processes/{id}`.
    Process(ProcessId, Reply<Option<String>>),
    /// Kill or restart a process there: the answer's JSON, or an error's
    /// status and text.
    Act(ProcessId, Action, Reply<Result<String, (u16, String)>>),
}

/// The global name of node `node`'s answering process.
fn name_of(node: NodeId) -> String {
    format!("actor-observer.{}", node.0)
}

/// How long the observer waits for another node (its global name looked
/// up, then its answer) before it answers 504.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Bytes of a frame kept for what surrounds the rows.
const SLACK: usize = 4096;

/// Starts the process that lets the observers of `node`'s cluster look at
/// this node's processes (the processes of the runtime this is called
/// on), registered under the global name `actor-observer.N`. It runs
/// until it is killed; its name is freed then, or when the node shuts
/// down.
///
/// # Errors
///
/// As [`Node::register_global`]: [`actor_net::Error::AlreadyRegistered`]
/// if this node already answers, [`actor_net::Error::JetStream`] if the
/// server cannot be asked, [`actor_net::Error::Shutdown`].
///
/// # Panics
///
/// Outside a runtime, as [`actor_core::spawn`].
///
/// # Cancel safety
///
/// Not cancel safe: the process may be started and its name registered.
///
/// # Examples
///
/// ```
/// use actor_net::{Error, NatsServer, Node, NodeConfig};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let server = NatsServer::start()?;
/// actor_core::Runtime::tokio().block_on(async {
///     let node = Node::connect(NodeConfig::new(server.url(), "demo", "b")).await?;
///     let answering = actor_observer::net::answer(&node).await?;
///     assert!(answering.is_alive());
///     // One answering process per node.
///     assert!(matches!(
///         actor_observer::net::answer(&node).await,
///         Err(Error::AlreadyRegistered { .. })
///     ));
///     node.shutdown().await;
///     Ok(())
/// })
/// # }
/// ```
///
/// The module's example looks at a node from another.
pub async fn answer(node: &Node) -> Result<AnyPid, actor_net::Error> {
    let me = node.id();
    let budget = node.max_payload().saturating_sub(SLACK);
    let observed = Observed::current();
    let pid: Pid<Ask> = Spawn::new()
        .label("observer-answer")
        .system()
        .spawn(move |ctx: Ctx<Ask>| answer_loop(ctx, observed, me, budget));
    if let Err(e) = node.register_global(&name_of(me), &pid).await {
        pid.kill();
        return Err(e);
    }
    Ok(AnyPid::from(pid))
}

/// Answers the observers of the cluster, one request at a time.
async fn answer_loop(mut ctx: Ctx<Ask>, observed: Observed, me: NodeId, budget: usize) {
    loop {
        match ctx.recv().await {
            Ask::Table(query, reply) => {
                let snap = on_node(observed.snapshot(), me);
                let _ = reply.send(Rows::select(&query, &snap, budget).map_err(ApiError::text));
            }
            Ask::Process(id, reply) => {
                let snap = on_node(observed.snapshot(), me);
                let detail = Detail::of(&snap, id, Vec::new(), true)
                    .and_then(|d| serde_json::to_string(&d).ok());
                let _ = reply.send(detail);
            }
            Ask::Act(id, action, reply) => {
                let here = ProcessId {
                    node: NodeId::LOCAL,
                    serial: id.serial,
                };
                let done = crate::api::act_here(&observed, here, action, me)
                    .await
                    .map(|v| v.to_string())
                    .map_err(ApiError::into_parts);
                let _ = reply.send(done);
            }
        }
    }
}

/// `snap` with this node's ids (node 0 here) given the node's id in the
/// cluster, as other nodes know them.
fn on_node(mut snap: Snapshot, me: NodeId) -> Snapshot {
    let fix = |id: &mut ProcessId| {
        if id.node == NodeId::LOCAL {
            id.node = me;
        }
    };
    for p in &mut snap.processes {
        fix(&mut p.id);
        if let Some(parent) = &mut p.parent {
            fix(parent);
        }
        p.links.iter_mut().for_each(fix);
        p.monitors.iter_mut().for_each(fix);
        match &mut p.status {
            Status::Calling(on) | Status::Sending(on) => fix(on),
            _ => {}
        }
    }
    snap
}

impl Observer {
    /// Makes the observer a member of `node`'s cluster: the overview lists
    /// the nodes that are up, and the process table shows any node's
    /// processes whose node called [`answer`] (see [the module](crate::net)).
    /// The observer keeps `node` running while it lives.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_net::{NatsServer, Node, NodeConfig};
    /// use actor_observer::Observer;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let server = NatsServer::start()?;
    /// actor_core::Runtime::tokio().block_on(async {
    ///     let node = Node::connect(NodeConfig::new(server.url(), "demo", "a")).await?;
    ///     let serving = Observer::new().cluster(&node).serve("127.0.0.1:0").await?;
    ///     # serving.stop();
    ///     node.shutdown().await;
    ///     Ok(())
    /// })
    /// # }
    /// ```
    pub fn cluster(self, node: &Node) -> Self {
        let listed = node.clone();
        let mut observer = self.nodes(move || {
            listed
                .nodes()
                .into_iter()
                .map(|n| crate::Node::new(n.id, n.name))
                .collect()
        });
        observer.remote = Some(Arc::new(Cluster {
            node: node.clone(),
            answerers: Mutex::default(),
            timeout: TIMEOUT,
        }));
        observer
    }
}

/// The other nodes, as seen from `node`.
struct Cluster {
    node: Node,
    /// Answering processes found, by node.
    answerers: Mutex<HashMap<NodeId, Pid<Ask>>>,
    /// How long another node is waited for ([`TIMEOUT`]).
    timeout: std::time::Duration,
}

impl Cluster {
    fn answerers(&self) -> std::sync::MutexGuard<'_, HashMap<NodeId, Pid<Ask>>> {
        self.answerers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `node`'s answering process.
    async fn answerer(&self, node: NodeId) -> Result<Pid<Ask>, ApiError> {
        let up = self.node.nodes();
        if !up.iter().any(|n| n.id == node) {
            let names: Vec<String> = up
                .iter()
                .map(|n| format!("{} ({})", n.id.0, n.name))
                .collect();
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "node {} is not up in this cluster (other nodes up: {})",
                    node.0,
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ),
            ));
        }
        if let Some(pid) = self.answerers().get(&node) {
            return Ok(pid.clone());
        }
        let found = actor_core::timeout(
            self.timeout,
            self.node.whereis_global::<Ask>(&name_of(node)),
        )
        .await
        .map_err(|_| self.late(node))?
        .map_err(|e| {
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("cannot look up node {}'s observer: {e}", node.0),
            )
        })?;
        let pid = found.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!(
                    "node {} does not answer observers (it has not called actor_observer::net::answer)",
                    node.0
                ),
            )
        })?;
        self.answerers().insert(node, pid.clone());
        Ok(pid)
    }

    /// Asks `node`'s answering process.
    async fn ask<R: Send + 'static>(
        &self,
        node: NodeId,
        make: impl FnOnce(Reply<R>) -> Ask,
    ) -> Result<R, ApiError> {
        let pid = self.answerer(node).await?;
        pid.call(make, self.timeout).await.map_err(|e| {
            // Looked up again next time: it may have been restarted.
            self.answerers().remove(&node);
            match e {
                CallError::Timeout => self.late(node),
                e => ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    format!("node {} did not answer: {e}", node.0),
                ),
            }
        })
    }
}

impl Cluster {
    fn late(&self, node: NodeId) -> ApiError {
        ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!("node {} did not answer within {:?}", node.0, self.timeout),
        )
    }
}

impl Remote for Cluster {
    fn this(&self) -> NodeId {
        self.node.id()
    }

    fn rows(&self, node: NodeId, query: TableQuery) -> BoxFuture<'_, Result<Rows, ApiError>> {
        async move {
            self.ask(node, |reply| Ask::Table(query, reply))
                .await?
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))
        }
        .boxed()
    }

    fn detail(&self, id: ProcessId) -> BoxFuture<'_, Result<String, ApiError>> {
        async move {
            self.ask(id.node, |reply| Ask::Process(id, reply))
                .await?
                .ok_or_else(|| crate::api::no_such(id))
        }
        .boxed()
    }

    fn act(&self, id: ProcessId, action: Action) -> BoxFuture<'_, Result<String, ApiError>> {
        async move {
            self.ask(id.node, |reply| Ask::Act(id, action, reply))
                .await?
                .map_err(|(status, text)| ApiError::from_parts(status, text))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use actor_core::{Ctx, Runtime, spawn};
    use actor_net::{NatsServer, NodeConfig};

    use super::*;

    /// A node whose answering process never answers: the observer gives
    /// up after its timeout with a 504, and looks it up again next time.
    #[test]
    fn a_node_that_does_not_answer_in_time_is_a_504() {
        let server = NatsServer::start().unwrap();
        let config = |name: &str| {
            NodeConfig::new(server.url(), "late", name)
                .heartbeat(Duration::from_millis(200))
                .grace(Duration::from_secs(600))
        };
        Runtime::tokio().block_on(async {
            let a = Node::connect(config("a")).await.unwrap();
            let b = Node::connect(config("b")).await.unwrap();
            a.until_up(b.id(), Duration::from_secs(15)).await.unwrap();
            // Holds every request (and its reply handle) without answering.
            let silent: Pid<Ask> = spawn(|mut ctx: Ctx<Ask>| async move {
                let mut held = Vec::new();
                loop {
                    held.push(ctx.recv().await);
                }
            });
            b.register_global(&name_of(b.id()), &silent).await.unwrap();
            let cluster = Cluster {
                node: a.clone(),
                answerers: Mutex::default(),
                timeout: Duration::from_millis(300),
            };
            let err = cluster
                .rows(b.id(), TableQuery::default())
                .await
                .unwrap_err();
            assert_eq!(err.status(), StatusCode::GATEWAY_TIMEOUT);
            assert!(cluster.answerers().is_empty());
            assert!(err.text().contains("did not answer within 300ms"));
            silent.kill();
            a.shutdown().await;
            b.shutdown().await;
        });
    }
}
