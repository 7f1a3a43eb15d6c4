//! The seam to other nodes: what the observer asks of another node, and
//! how a request picks this node or another. actor-net's side of it is in
//! [`net`](crate::net) (feature `net`); without it every other node is
//! unknown.

use std::sync::Arc;

use actor_core::{NodeId, ProcessId};
use axum::http::StatusCode;
use futures::future::BoxFuture;

use crate::api::{Action, ApiError, Place, Rows, TableQuery};
use crate::state::State;

/// Other nodes' tables and processes.
pub(crate) trait Remote: Send + Sync {
    /// This node's id in the cluster.
    fn this(&self) -> NodeId;
    /// The rows `query` selects on `node`.
    fn rows(&self, node: NodeId, query: TableQuery) -> BoxFuture<'_, Result<Rows, ApiError>>;
    /// One process of another node, as the JSON of `GET /api/processes/{id}`.
    fn detail(&self, id: ProcessId) -> BoxFuture<'_, Result<String, ApiError>>;
    /// `action` on another node's process: what the action answers, as JSON.
    fn act(&self, id: ProcessId, action: Action) -> BoxFuture<'_, Result<String, ApiError>>;
}

impl State {
    /// This node's id: its id in the cluster, or 0 without one.
    pub(crate) fn this(&self) -> NodeId {
        self.remote.as_ref().map_or(NodeId::LOCAL, |r| r.this())
    }

    /// Whether `node` names this node: 0 (how this node's processes are
    /// numbered here) or its id in the cluster.
    fn is_this(&self, node: NodeId) -> bool {
        node == NodeId::LOCAL || node == self.this()
    }

    /// The node a `?node=N` asks for: `None` for this one.
    pub(crate) fn node_of_query(&self, node: Option<&str>) -> Result<Option<NodeId>, ApiError> {
        let Some(text) = node.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let node = text.parse::<u32>().map(NodeId).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "node must be a node id (a number, as GET /api/nodes lists them), not {text:?}"
                ),
            )
        })?;
        Ok((!self.is_this(node)).then_some(node))
    }

    /// Where `id` runs; an id of this node's cluster id is made local.
    pub(crate) fn place(&self, id: ProcessId) -> Place {
        if self.is_this(id.node) {
            Place::Local(ProcessId {
                node: NodeId::LOCAL,
                serial: id.serial,
            })
        } else {
            Place::Remote(id)
        }
    }

    /// The way to other nodes.
    ///
    /// # Errors
    ///
    /// A 404 if the observer was given none.
    pub(crate) fn remote(&self) -> Result<Arc<dyn Remote>, ApiError> {
        self.remote.clone().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "this observer knows no other node: it was not given a cluster (Observer::cluster)",
            )
        })
    }
}
