//! The seam between a node's logic and what carries its bytes: NATS for
//! real use ([`nats`](crate::nats)), the simulated network for
//! deterministic tests ([`sim`](crate::sim)). The node's logic (the
//! outbox, the inbound frames, membership, pings, global names) is the
//! same over both and does not know which one runs.
//!
//! A wire carries opaque messages: batches of frames to one node's inbox,
//! and beacons to every node. It promises what core NATS promises: at
//! most once, in order from one publisher to one subscriber. A [`Store`]
//! is the key-value store of global names, with revisions (JetStream
//! key-value, or the simulated store).

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use actor_core::NodeId;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::error::Error;

/// A boxed, sendable future: the traits below are used as trait objects.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a node sends through.
pub(crate) trait Wire: fmt::Debug + Send + Sync + 'static {
    /// Publishes a batch of frames to node `to`'s inbox. Batches from one
    /// caller to one node arrive in the order published, or not at all.
    fn publish(&self, to: NodeId, batch: Bytes) -> BoxFuture<'_, Result<(), Error>>;

    /// Publishes a beacon (a heartbeat, a hello, a goodbye) to every node
    /// of the cluster.
    fn beacon(&self, beacon: Bytes) -> BoxFuture<'_, Result<(), Error>>;

    /// Sends what is still buffered and closes the connection: the end of
    /// a clean shutdown.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// What reaches a node through its wire: its inbox, the beacons of the
/// cluster, and what happens to its own connection.
pub(crate) struct Incoming {
    /// Batches sent to this node.
    pub(crate) inbox: BoxStream<'static, Bytes>,
    /// Beacons of every node (this one's too, perhaps).
    pub(crate) beacons: BoxStream<'static, Bytes>,
    /// The connection's events.
    pub(crate) events: BoxStream<'static, Connection>,
    /// Every change to the store of global names from the node's start.
    pub(crate) names: BoxStream<'static, Result<Entry, Error>>,
}

/// An event of a node's own connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Connection {
    /// Lost: nothing arrives until it is back.
    Lost,
    /// Back after a loss.
    Back,
    /// Anything else worth a log line.
    Other(String),
}

/// What the last write to a key of a [`Store`] was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    /// A value.
    Put,
    /// Deleted (an unregistration).
    Delete,
    /// Purged (a stale name freed by a survivor).
    Purge,
}

/// The last write to a key: a value, or the marker a delete or a purge
/// leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) key: String,
    /// The value (empty after a delete or a purge).
    pub(crate) value: Bytes,
    pub(crate) revision: u64,
    pub(crate) op: Op,
}

/// The key-value store of global names: create-if-absent, delete and
/// purge at a revision, and a watch of every change, so that no node's
/// memory is the source of truth.
pub(crate) trait Store: fmt::Debug + Send + Sync + 'static {
    /// The last write to `key`, if it was ever written.
    fn entry<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Entry>, Error>>;

    /// Creates `key` if it has no value (absent, deleted or purged): its
    /// revision, or `None` if it has one.
    fn create<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
    ) -> BoxFuture<'a, Result<Option<u64>, Error>>;

    /// Deletes `key` if its revision is still `revision`: `false` if it
    /// changed meanwhile.
    fn delete<'a>(&'a self, key: &'a str, revision: u64) -> BoxFuture<'a, Result<bool, Error>>;

    /// Purges `key` if its revision is still `revision`: `false` if it
    /// changed meanwhile.
    fn purge<'a>(&'a self, key: &'a str, revision: u64) -> BoxFuture<'a, Result<bool, Error>>;

    /// Every key with a value, in no promised order.
    fn keys(&self) -> BoxFuture<'_, Result<Vec<String>, Error>>;
}
