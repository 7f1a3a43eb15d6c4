//! A node whose OS process is killed (no goodbye) is declared down within
//! the default grace period: processes linked to its processes get an exit
//! signal `noconnection`, monitors a `Down` with `noconnection`, pending
//! calls fail with it; its global names are freed by the survivor, and
//! frames for it are refused.
//!
//! The killed node is this test binary run again as a child with
//! `ACTOR_NET_TEST_CHILD` set (hence `harness = false`).

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use actor_core::{CallError, Ctx, Down, Exit, ExitReason, NodeId, Reply, spawn};
use actor_net::{DownReason, Error, NatsServer, Node, NodeConfig};
use futures::StreamExt;
use support::{until_up, within};

const CHILD: &str = "ACTOR_NET_TEST_CHILD";

fn main() -> ExitCode {
    if let Ok(url) = std::env::var(CHILD) {
        child(&url);
        return ExitCode::SUCCESS;
    }
    let tests: [(&str, fn()); 1] = [(
        "a_killed_node_is_down_within_the_default_grace_period",
        a_killed_node_is_down_within_the_default_grace_period,
    )];
    let mut failed = 0;
    for (name, test) in tests {
        let ok = std::panic::catch_unwind(test).is_ok();
        println!("test {name} ... {}", if ok { "ok" } else { "FAILED" });
        failed += usize::from(!ok);
    }
    println!("{} passed, {failed} failed", tests.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The node to be killed: default timing, one global name, then idle.
fn child(url: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let node = Node::connect(NodeConfig::new(url, "c", "doomed"))
            .await
            .unwrap();
        // Takes calls and never answers them.
        let service = spawn(|mut ctx: Ctx<Reply<u64>>| async move {
            let mut held = Vec::new();
            loop {
                held.push(ctx.recv().await);
            }
        });
        node.register_global("doomed-service", &service)
            .await
            .unwrap();
        println!("READY {}", node.id().0);
        std::future::pending::<()>().await;
    });
}

fn a_killed_node_is_down_within_the_default_grace_period() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = NatsServer::start().unwrap();
        let a = Node::connect(NodeConfig::new(server.url(), "c", "survivor"))
            .await
            .unwrap();
        let mut doomed = Command::new(std::env::current_exe().unwrap())
            .env(CHILD, server.url())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = doomed.stdout.take().unwrap();
        let line = within(
            "the child's READY line",
            tokio::task::spawn_blocking(move || {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line).unwrap();
                line
            }),
        )
        .await
        .unwrap();
        let id = NodeId(
            line.trim()
                .strip_prefix("READY ")
                .unwrap_or_else(|| panic!("child said {line:?}"))
                .parse()
                .unwrap(),
        );
        until_up(&a, id).await;
        let monitor = a.monitor_node(id);
        let service = a
            .whereis_global::<Reply<u64>>("doomed-service")
            .await
            .unwrap()
            .unwrap();
        let (exit_tx, exit_rx) = tokio::sync::oneshot::channel();
        let (down_tx, down_rx) = tokio::sync::oneshot::channel();
        let (call_tx, call_rx) = tokio::sync::oneshot::channel();
        let (linked_tx, linked) = tokio::sync::oneshot::channel();
        let (monitoring_tx, monitoring) = tokio::sync::oneshot::channel();
        let s = service.clone();
        spawn(move |mut ctx: Ctx<Exit>| async move {
            ctx.trap_exit();
            ctx.link(&s);
            let _ = linked_tx.send(());
            let _ = exit_tx.send(ctx.recv().await);
        });
        let s = service.clone();
        spawn(move |mut ctx: Ctx<Down>| async move {
            ctx.monitor(&s);
            let _ = monitoring_tx.send(());
            let _ = down_tx.send(ctx.recv().await);
        });
        within("linked", linked).await.unwrap();
        within("monitoring", monitoring).await.unwrap();
        let s = service.clone();
        spawn(move |_ctx: Ctx<()>| async move {
            let _ = call_tx.send(s.call(|r| r, Duration::from_secs(600)).await);
        });
        // The link and the monitor have reached the node.
        within("ping", a.ping(id)).await.unwrap();
        let client = async_nats::connect(server.url()).await.unwrap();
        let names = async_nats::jetstream::new(client)
            .get_key_value("actor_c_names")
            .await
            .unwrap();
        let mut watch = names.watch("doomed-service").await.unwrap();

        doomed.kill().unwrap();
        let killed = Instant::now();
        doomed.wait().unwrap();
        let node_down = within("NodeDown", monitor).await;
        let detected = killed.elapsed();
        assert_eq!(node_down.reason, DownReason::HeartbeatTimeout);
        // Within the default grace period (2 s, checked every 100 ms); the
        // bound leaves a loaded machine 3 s of slack (an idle one detects
        // it in about 2.1 s).
        let grace = NodeConfig::new(server.url(), "c", "defaults").grace_period();
        assert!(
            detected < grace + Duration::from_secs(3),
            "detected after {detected:?}"
        );
        assert!(!a.nodes().iter().any(|n| n.id == id));
        let exit = within("the exit signal", exit_rx).await.unwrap();
        assert_eq!(
            (exit.from, exit.reason),
            (service.id(), ExitReason::NoConnection)
        );
        let down = within("the Down", down_rx).await.unwrap();
        assert_eq!(
            (down.id, down.reason),
            (service.id(), ExitReason::NoConnection)
        );
        let call = within("the call", call_rx).await.unwrap();
        assert_eq!(call, Err(CallError::Exited(ExitReason::NoConnection)));
        assert!(!service.is_alive());

        // The survivor deletes the dead node's name.
        within("the name deleted", async {
            while let Some(entry) = watch.next().await {
                if entry.unwrap().operation != async_nats::jetstream::kv::Operation::Put {
                    return;
                }
            }
        })
        .await;
        assert!(
            a.whereis_global::<u64>("doomed-service")
                .await
                .unwrap()
                .is_none()
        );
        assert!(matches!(a.ping(id).await, Err(Error::NodeDown(n)) if n == id));
        assert!(a.stats().dropped_to_down >= 1);
        a.shutdown().await;
        println!("killed node detected after {detected:?}");
    });
}
