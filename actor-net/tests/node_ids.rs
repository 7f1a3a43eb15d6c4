//! Node ids come from JetStream: unique per incarnation, never reused.

mod support;

use std::collections::HashSet;

use actor_net::{NatsServer, Node};
use support::{node, steady};

#[tokio::test]
async fn a_node_started_again_gets_a_new_id() {
    let server = NatsServer::start().unwrap();
    let first = node(&server, "same").await;
    let old = first.id();
    first.shutdown().await;
    let again = node(&server, "same").await;
    assert!(again.id() > old, "{:?} after {old:?}", again.id());
    again.shutdown().await;
}

#[tokio::test]
async fn nodes_connecting_at_once_get_distinct_ids() {
    let server = NatsServer::start().unwrap();
    let url = server.url();
    let connects = (0..8).map(|i| Node::connect(steady(&url, "c", &format!("n{i}"))));
    let nodes: Vec<Node> = futures::future::try_join_all(connects).await.unwrap();
    let ids: HashSet<_> = nodes.iter().map(Node::id).collect();
    assert_eq!(ids.len(), nodes.len(), "{ids:?}");
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn ids_survive_a_server_restart() {
    let mut server = NatsServer::start().unwrap();
    let before = node(&server, "a").await;
    let old = before.id();
    before.shutdown().await;
    server.restart().unwrap();
    let after = node(&server, "a").await;
    assert!(after.id() > old);
    after.shutdown().await;
}
