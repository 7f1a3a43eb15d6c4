//! Two clusters on one NATS server never see each other, and have names
//! of their own.

mod support;

use actor_net::{NatsServer, Node, NodeEvent};
use support::{idle, steady, until_up, within};

#[tokio::test]
async fn a_node_of_another_cluster_is_never_seen() {
    let server = NatsServer::start().unwrap();
    let url = server.url();
    let a = Node::connect(steady(&url, "one", "a")).await.unwrap();
    let mut events = a.monitor_nodes();
    // Connects (and says hello) before b: were it visible, a would see it
    // first.
    let stranger = Node::connect(steady(&url, "two", "stranger"))
        .await
        .unwrap();
    let b = Node::connect(steady(&url, "one", "b")).await.unwrap();
    match within("the first event", events.next()).await {
        Some(NodeEvent::Up(info)) => assert_eq!(info.name, "b"),
        other => panic!("{other:?}"),
    }
    until_up(&b, a.id()).await;
    // A full round of heartbeats later, still only b (and the stranger
    // sees nobody).
    within("ping", a.ping(b.id())).await.unwrap();
    assert_eq!(a.nodes().len(), 1);
    assert!(stranger.nodes().is_empty());
    for n in [a, b, stranger] {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn each_cluster_has_its_own_global_names() {
    let server = NatsServer::start().unwrap();
    let url = server.url();
    let one = Node::connect(steady(&url, "one", "a")).await.unwrap();
    let two = Node::connect(steady(&url, "two", "a")).await.unwrap();
    let (in_one, in_two) = (idle(), idle());
    one.register_global("db", &in_one).await.unwrap();
    two.register_global("db", &in_two).await.unwrap();
    let found = one.whereis_global::<u64>("db").await.unwrap().unwrap();
    assert_eq!(found, in_one);
    let found = two.whereis_global::<u64>("db").await.unwrap().unwrap();
    assert_eq!(found, in_two);
    one.shutdown().await;
    two.shutdown().await;
}
