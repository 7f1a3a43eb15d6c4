//! What users see when the NATS server goes away and comes back: after the
//! grace period every other node is down (`ConnectionLost`) and monitors
//! of processes there get `Down(noconnection)`; no node frees the others'
//! global names. Once the server is back the nodes reconnect on their own,
//! see each other up again, and the global names (kept in JetStream's file
//! store) are still there, owned by the same processes.

mod support;

use actor_core::{Ctx, Down, ExitReason, spawn};
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
    let remote_kept = a.whereis_global::<u64>("kept").await.unwrap().unwrap();
    let (down_tx, down_rx) = tokio::sync::oneshot::channel();
    let (monitoring_tx, monitoring) = tokio::sync::oneshot::channel();
    spawn(move |mut ctx: Ctx<Down>| async move {
        ctx.monitor(&remote_kept);
        let _ = monitoring_tx.send(());
        let _ = down_tx.send(ctx.recv().await);
    });
    within("monitoring", monitoring).await.unwrap();
    // The monitor has reached b.
    within("ping", a.ping(b.id())).await.unwrap();
    let a_sees_b = a.monitor_node(b.id());
    let b_sees_a = b.monitor_node(a.id());

    server.stop().unwrap();
    let (down_b, down_a) = within("both down", async { tokio::join!(a_sees_b, b_sees_a) }).await;
    assert_eq!(down_b.reason, DownReason::ConnectionLost);
    assert_eq!(down_a.reason, DownReason::ConnectionLost);
    assert!(a.nodes().is_empty() && b.nodes().is_empty());
    let down = within("the Down", down_rx).await.unwrap();
    assert_eq!(down.reason, ExitReason::NoConnection);
    assert!(kept.is_alive());

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
