//! Nodes of one cluster find each other, list each other and answer pings.

mod support;

use actor_net::{NatsServer, NodeInfo};
use support::{node, pair, until_up, within};

#[tokio::test]
async fn two_nodes_list_each_other_by_id_and_name() {
    let server = NatsServer::start().unwrap();
    let a = node(&server, "alpha").await;
    let b = node(&server, "beta").await;
    assert_ne!(a.id(), b.id());
    assert_ne!(a.id(), actor_core::NodeId::LOCAL);
    until_up(&a, b.id()).await;
    until_up(&b, a.id()).await;
    assert_eq!(
        a.nodes(),
        vec![NodeInfo {
            id: b.id(),
            name: "beta".into()
        }]
    );
    assert_eq!(
        b.nodes(),
        vec![NodeInfo {
            id: a.id(),
            name: "alpha".into()
        }]
    );
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn a_third_node_is_seen_by_both_and_sees_both() {
    let server = NatsServer::start().unwrap();
    let a = node(&server, "a").await;
    let b = node(&server, "b").await;
    let c = node(&server, "c").await;
    for (x, y) in [(&a, &b), (&a, &c), (&b, &a), (&b, &c), (&c, &a), (&c, &b)] {
        until_up(x, y.id()).await;
    }
    let mut seen: Vec<_> = c.nodes().into_iter().map(|n| n.id).collect();
    seen.sort();
    let mut expected = vec![a.id(), b.id()];
    expected.sort();
    assert_eq!(seen, expected);
    for n in [a, b, c] {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn a_ping_goes_through_the_other_nodes_inbox_and_back() {
    let server = NatsServer::start().unwrap();
    let (a, b) = pair(&server).await;
    within("ping", a.ping(b.id())).await.unwrap();
    let stats = b.stats();
    assert!(stats.frames_in >= 1, "{stats:?}");
    assert_eq!(stats.dropped(), 0, "{stats:?}");
    a.shutdown().await;
    b.shutdown().await;
}
