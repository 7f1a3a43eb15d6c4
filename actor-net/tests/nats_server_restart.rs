//! What users see when the NATS server goes away and comes back: after the
//! grace period every other node is down (`ConnectionLost`); once the
//! server is back the nodes reconnect on their own, see each other up
//! again, and the global names (kept in JetStream's file store) are still
//! there.

mod support;

use actor_net::{DownReason, NatsServer, Node};
use support::{idle, quick, until_up, wire, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_are_down_while_the_server_is_gone_and_up_when_it_is_back() {
    let mut server = NatsServer::start().unwrap();
    let a = Node::connect(quick(&server.url(), "c", "a")).await.unwrap();
    let b = Node::connect(quick(&server.url(), "c", "b")).await.unwrap();
    until_up(&a, b.id()).await;
    until_up(&b, a.id()).await;
    let kept = idle();
    b.register_global("kept", &kept).await.unwrap();
    let a_sees_b = a.monitor_node(b.id());
    let b_sees_a = b.monitor_node(a.id());

    server.stop().unwrap();
    let (down_b, down_a) = within("both down", async { tokio::join!(a_sees_b, b_sees_a) }).await;
    assert_eq!(down_b.reason, DownReason::ConnectionLost);
    assert_eq!(down_a.reason, DownReason::ConnectionLost);
    assert!(a.nodes().is_empty() && b.nodes().is_empty());

    server.restart().unwrap();
    until_up(&a, b.id()).await;
    until_up(&b, a.id()).await;
    within("ping after the restart", a.ping(b.id()))
        .await
        .unwrap();
    let found = a.whereis_global::<u64>("kept").await.unwrap().unwrap();
    assert_eq!(found.id(), wire(&b, &kept));
    a.shutdown().await;
    b.shutdown().await;
}
