//! Garbage on a node's inbox is counted and dropped, never a crash; the
//! node goes on serving.

mod support;

use actor_net::NatsServer;
use support::{node, pair, until_up, within};

#[tokio::test]
async fn garbage_batches_are_counted_and_the_node_goes_on() {
    let server = NatsServer::start().unwrap();
    let (a, b) = pair(&server).await;
    let raw = async_nats::connect(server.url()).await.unwrap();
    let inbox = format!("actor.c.node.{}", a.id().0);
    // Not a batch at all; a batch of a future version; a good header
    // (version 1, from b) with a frame that is no frame, then a length
    // running past the end.
    let from_b = u8::try_from(b.id().0).unwrap();
    for garbage in [
        vec![],
        vec![0xff; 40],
        vec![2, from_b],
        vec![1, from_b, 3, 200, 1, 2, 100, 1],
    ] {
        raw.publish(inbox.clone(), garbage.into()).await.unwrap();
    }
    raw.flush().await.unwrap();
    // A ping sent after the garbage reached the server is answered after
    // a has read all of it.
    within("ping", b.ping(a.id())).await.unwrap();
    let stats = a.stats();
    assert_eq!(stats.dropped_undecodable, 5, "{stats:?}");
    assert_eq!(stats.batches_in, 5, "{stats:?}");
    assert!(a.nodes().iter().any(|n| n.id == b.id()));
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn garbage_on_the_beacon_subject_is_counted_and_ignored() {
    let server = NatsServer::start().unwrap();
    let a = node(&server, "a").await;
    let raw = async_nats::connect(server.url()).await.unwrap();
    raw.publish("actor.c.beacon", vec![9, 9, 9].into())
        .await
        .unwrap();
    raw.flush().await.unwrap();
    let b = node(&server, "b").await;
    // b's hello follows the garbage on the same subject.
    until_up(&a, b.id()).await;
    assert_eq!(a.stats().dropped_undecodable, 1);
    assert_eq!(a.nodes().len(), 1);
    a.shutdown().await;
    b.shutdown().await;
}
