//! What the tests share: quick liveness timing and bounded waits for the
//! events that say something happened.
#![allow(dead_code)] // each test file uses a part of it

pub(crate) mod proxy;

use std::future::Future;
use std::time::Duration;

use actor_core::NodeId;
use actor_net::{NatsServer, Node, NodeConfig};

/// The longest any test waits for an event before it fails.
pub(crate) const PATIENCE: Duration = Duration::from_secs(15);

/// A node configuration for tests that do not lose a node: a grace period
/// far longer than any test waits, so that a test process starved of CPU
/// (a loaded CI machine) never sees a live node declared down. Only a
/// goodbye makes a node down within such a test.
pub(crate) fn steady(url: &str, cluster: &str, name: &str) -> NodeConfig {
    NodeConfig::new(url, cluster, name)
        .heartbeat(Duration::from_millis(200))
        .grace(Duration::from_secs(600))
}

/// A node configuration for tests that wait for a node loss to be
/// detected: heartbeats every 100 ms and a grace period of 3 s, above the
/// stalls of a loaded 2-core machine and well within [`PATIENCE`].
pub(crate) fn quick(url: &str, cluster: &str, name: &str) -> NodeConfig {
    NodeConfig::new(url, cluster, name)
        .heartbeat(Duration::from_millis(100))
        .grace(Duration::from_secs(3))
}

/// Node `name` of cluster `c` on `server`, with [`steady`] timing.
pub(crate) async fn node(server: &NatsServer, name: &str) -> Node {
    Node::connect(steady(&server.url(), "c", name))
        .await
        .unwrap()
}

/// Nodes `a` and `b` of cluster `c` on `server`, once each sees the other.
pub(crate) async fn pair(server: &NatsServer) -> (Node, Node) {
    let a = node(server, "a").await;
    let b = node(server, "b").await;
    until_up(&a, b.id()).await;
    until_up(&b, a.id()).await;
    (a, b)
}

/// `fut`, or a panic naming `what` after [`PATIENCE`].
pub(crate) async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, fut).await {
        Ok(out) => out,
        Err(_) => panic!("{what}: nothing after {PATIENCE:?}"),
    }
}

/// Returns once `node` sees `other` up.
pub(crate) async fn until_up(node: &Node, other: NodeId) {
    if let Err(e) = node.until_up(other, PATIENCE).await {
        panic!("node {} up at {}: {e}", other.0, node.id().0);
    }
}

/// A process that ends at its first message.
pub(crate) fn idle() -> actor_core::Pid<u64> {
    actor_core::spawn(|mut ctx: actor_core::Ctx<u64>| async move {
        ctx.recv().await;
    })
}

/// The id a process of `node` has on the wire (a local pid's id names no
/// node).
pub(crate) fn wire(node: &Node, pid: &actor_core::Pid<u64>) -> actor_core::ProcessId {
    actor_core::ProcessId {
        node: node.id(),
        serial: pid.id().serial,
    }
}

/// Waits until the key `name` of cluster `c`'s names bucket is deleted.
pub(crate) async fn until_deleted(url: &str, name: &str) {
    use futures::StreamExt;
    let client = async_nats::connect(url).await.unwrap();
    let names = async_nats::jetstream::new(client)
        .get_key_value("actor_c_names")
        .await
        .unwrap();
    let mut watch = names.watch_with_history(name).await.unwrap();
    within(&format!("{name} deleted"), async {
        while let Some(entry) = watch.next().await {
            if entry.unwrap().operation != async_nats::jetstream::kv::Operation::Put {
                return;
            }
        }
    })
    .await
}

/// Waits until the key `name` of cluster `c`'s names bucket holds `owner`.
pub(crate) async fn until_held(url: &str, name: &str, owner: actor_core::ProcessId) {
    use futures::StreamExt;
    let client = async_nats::connect(url).await.unwrap();
    let names = async_nats::jetstream::new(client)
        .get_key_value("actor_c_names")
        .await
        .unwrap();
    let mut watch = names.watch_with_history(name).await.unwrap();
    within(&format!("{name} held by {owner}"), async {
        while let Some(entry) = watch.next().await {
            let entry = entry.unwrap();
            if entry.operation == async_nats::jetstream::kv::Operation::Put
                && postcard_pid(&entry.value) == Some(owner)
            {
                return;
            }
        }
    })
    .await
}

/// The process id at the start of a global name's value (postcard: the
/// owner's id comes first).
fn postcard_pid(value: &[u8]) -> Option<actor_core::ProcessId> {
    postcard::take_from_bytes::<actor_core::ProcessId>(value)
        .ok()
        .map(|(pid, _)| pid)
}
