//! A clean shutdown is seen by the others at once, not after the grace
//! period, and frees the node's global names.

mod support;

use actor_net::{DownReason, NatsServer, NodeEvent};
use support::{idle, node, pair, until_deleted, within};

#[tokio::test]
async fn the_others_see_a_shutdown_at_once() {
    let server = NatsServer::start().unwrap();
    let (a, b) = pair(&server).await;
    let monitor = a.monitor_node(b.id());
    let mut events = a.monitor_nodes();
    b.shutdown().await;
    let down = within("NodeDown after shutdown", monitor).await;
    assert_eq!(down.node, b.id());
    assert_eq!(down.reason, DownReason::Shutdown);
    assert_eq!(
        within("event", events.next()).await,
        Some(NodeEvent::Down(down))
    );
    assert!(a.nodes().is_empty());
    // Monitoring a node that is down answers at once.
    assert_eq!(
        a.monitor_node(b.id()).await.reason,
        DownReason::NotConnected
    );
    assert!(matches!(
        a.ping(b.id()).await,
        Err(actor_net::Error::NodeDown(id)) if id == b.id()
    ));
    a.shutdown().await;
}

#[tokio::test]
async fn a_shutdown_deletes_the_nodes_global_names() {
    let server = NatsServer::start().unwrap();
    let b = node(&server, "b").await;
    let service = idle();
    b.register_global("service", &service).await.unwrap();
    b.shutdown().await;

    // Read the bucket directly: the entry is gone, not merely ignored.
    let client = async_nats::connect(server.url()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let names = js.get_key_value("actor_c_names").await.unwrap();
    assert_eq!(names.get("service").await.unwrap(), None);
}

#[tokio::test]
async fn calls_after_shutdown_are_refused() {
    let server = NatsServer::start().unwrap();
    let a = node(&server, "a").await;
    let id = a.id();
    a.shutdown().await;
    a.shutdown().await;
    assert!(matches!(
        a.register_global("x", &idle()).await,
        Err(actor_net::Error::Shutdown)
    ));
    assert!(matches!(a.ping(id).await, Err(actor_net::Error::Shutdown)));
}

#[tokio::test]
async fn a_name_is_freed_when_its_process_ends() {
    let server = NatsServer::start().unwrap();
    let a = node(&server, "a").await;
    let service = idle();
    a.register_global("ends", &service).await.unwrap();
    service.send(1).await.unwrap();
    until_deleted(&server.url(), "ends").await;
    assert!(a.whereis_global::<u64>("ends").await.unwrap().is_none());
    a.shutdown().await;
}
