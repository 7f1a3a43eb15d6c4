//! What users see when the NATS server goes away and comes back: after the
//! grace period every other node is down (`ConnectionLost`); once the
//! server is back the nodes reconnect on their own, see each other up
//! again, and the global names (kept in JetStream's file store) are still
//! there.

mod support;

use actor_core::ProcessId;
use actor_net::{DownReason, NatsServer, Node};
use support::{quick, until_up, within};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_are_down_while_the_server_is_gone_and_up_when_it_is_back() {
    let mut server = NatsServer::start().unwrap();
    let a = Node::connect(quick(&server.url(), "c", "a")).await.unwrap();
    let b = Node::connect(quick(&server.url(), "c", "b")).await.unwrap();
    until_up(&a, b.id()).await;
    until_up(&b, a.id()).await;
    let pid = ProcessId {
        node: b.id(),
        serial: 1,
    };
    b.register_global_id("kept", pid).await.unwrap();
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
    assert_eq!(a.whereis_global_id("kept").await.unwrap(), Some(pid));
    a.shutdown().await;
    b.shutdown().await;
}
