//! A node cut off from NATS (a partition: its connection goes through a
//! proxy that the test cuts) is down for the others after the grace period,
//! and they purge its global names. When the partition heals, the node
//! re-asserts the names of its live processes: the name is back, owned by
//! the same process, and reachable from the other nodes. A name that
//! another process took meanwhile stays with it, and the process that lost
//! it gets an exit signal `global_name_conflict`.

mod support;

use std::time::Duration;

use actor_core::{Ctx, ExitReason, Reply, spawn};
use actor_net::{DownReason, NAME_CONFLICT, NatsServer, Node};
use support::proxy::Proxy;
use support::{idle, quick, until_deleted, until_held, until_up, wire, within};

/// A process answering calls with 7, until it is stopped.
fn seven() -> actor_core::Pid<Reply<u64>> {
    spawn(|mut ctx: Ctx<Reply<u64>>| async move {
        loop {
            let _ = ctx.recv().await.send(7);
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_back_from_a_partition_re_asserts_its_names() {
    let server = NatsServer::start().unwrap();
    let proxy = Proxy::start(server.port()).await;
    let a = Node::connect(quick(&proxy.url(), "c", "a")).await.unwrap();
    let b = Node::connect(quick(&server.url(), "c", "b")).await.unwrap();
    until_up(&a, b.id()).await;
    until_up(&b, a.id()).await;
    let service = seven();
    let service_id = actor_core::ProcessId {
        node: a.id(),
        serial: service.id().serial,
    };
    a.register_global("service", &service).await.unwrap();
    let b_sees_a = b.monitor_node(a.id());

    proxy.cut();
    assert_eq!(
        within("a down at b", b_sees_a).await.reason,
        DownReason::HeartbeatTimeout
    );
    until_deleted(&server.url(), "service").await;
    assert!(
        b.whereis_global::<Reply<u64>>("service")
            .await
            .unwrap()
            .is_none()
    );

    proxy.heal();
    until_held(&server.url(), "service", service_id).await;
    until_up(&b, a.id()).await;
    let found = b
        .whereis_global::<Reply<u64>>("service")
        .await
        .unwrap()
        .expect("the name is back");
    assert_eq!(found.id(), service_id);
    let answer = within(
        "a call through the name",
        found.call(|r| r, Duration::from_secs(10)),
    )
    .await;
    assert_eq!(answer, Ok(7));
    assert!(service.is_alive());
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_taken_during_a_partition_stays_taken_and_the_loser_exits() {
    let server = NatsServer::start().unwrap();
    let proxy = Proxy::start(server.port()).await;
    let a = Node::connect(quick(&proxy.url(), "c", "a")).await.unwrap();
    let b = Node::connect(quick(&server.url(), "c", "b")).await.unwrap();
    until_up(&b, a.id()).await;
    let first = idle();
    a.register_global("leader", &first).await.unwrap();
    let b_sees_a = b.monitor_node(a.id());

    proxy.cut();
    within("a down at b", b_sees_a).await;
    until_deleted(&server.url(), "leader").await;
    let second = idle();
    b.register_global("leader", &second).await.unwrap();

    proxy.heal();
    let reason = within("the loser's exit", first.wait()).await;
    assert_eq!(reason, ExitReason::other(NAME_CONFLICT));
    until_up(&b, a.id()).await;
    let holder = a
        .whereis_global::<u64>("leader")
        .await
        .unwrap()
        .expect("still registered");
    assert_eq!(holder.id(), wire(&b, &second));
    assert!(second.is_alive());
    a.shutdown().await;
    b.shutdown().await;
    second.kill();
}
