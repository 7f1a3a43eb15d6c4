//! Processes on two nodes over NATS: sends, calls, pids inside messages,
//! links, monitors, a callee that dies, and messages too large to cross.

mod support;

use std::time::Duration;

use actor_core::remote::RemoteError;
use actor_core::{
    CallError, Ctx, Down, Exit, ExitReason, Pid, Reply, Runtime, TrySendError, spawn,
};
use actor_net::{NatsServer, Node};
use serde::{Deserialize, Serialize};
use support::{pair, within};

#[derive(Serialize, Deserialize)]
enum Msg {
    Add(u64),
    Total(Reply<u64>),
    Echo(Pid<Msg>, Reply<Pid<Msg>>),
    Blob(Vec<u8>),
    Crash(String),
}

fn counter() -> Pid<Msg> {
    spawn(|mut ctx: Ctx<Msg>| async move {
        let mut total = 0;
        loop {
            match ctx.recv().await {
                Msg::Add(n) => total += n,
                Msg::Total(r) => {
                    let _ = r.send(total);
                }
                Msg::Echo(p, r) => {
                    let _ = r.send(p);
                }
                Msg::Blob(b) => total += b.len() as u64,
                Msg::Crash(why) => return ExitReason::other(why),
            }
        }
    })
}

const T: Duration = Duration::from_secs(10);

/// Two nodes that see each other, and `local` (a process) registered as
/// `name` on the first, looked up from the second.
async fn two_nodes(server: &NatsServer, name: &str, local: &Pid<Msg>) -> (Node, Node, Pid<Msg>) {
    let (a, b) = pair(server).await;
    a.register_global(name, local).await.unwrap();
    let remote = b.whereis_global::<Msg>(name).await.unwrap().unwrap();
    (a, b, remote)
}

#[test]
fn sends_and_calls_reach_a_process_on_another_node() {
    Runtime::tokio().block_on(async {
        let server = NatsServer::start().unwrap();
        let local = counter();
        let (a, b, remote) = two_nodes(&server, "counter", &local).await;
        assert_eq!(remote.id().node, a.id());
        assert_eq!(remote.id().serial, local.id().serial);
        for n in 1..=1000 {
            remote.send(Msg::Add(n)).await.unwrap();
        }
        // The call follows the tells on the same pair of nodes: it sees them all.
        assert_eq!(remote.call(Msg::Total, T).await, Ok(500_500));
        a.shutdown().await;
        b.shutdown().await;
    });
}

#[test]
fn a_pid_travels_inside_a_message_and_comes_home_as_the_local_process() {
    Runtime::tokio().block_on(async {
        let server = NatsServer::start().unwrap();
        let local = counter();
        let (a, b, remote) = two_nodes(&server, "echo", &local).await;
        // b's own process travels to a and back.
        let mine = counter();
        let back = remote
            .call(|r| Msg::Echo(mine.clone(), r), T)
            .await
            .unwrap();
        assert_eq!(back, mine);
        // a's process, sent to itself through b, is a remote pid for b.
        let echoed = remote
            .call(|r| Msg::Echo(remote.clone(), r), T)
            .await
            .unwrap();
        assert_eq!(echoed.id(), remote.id());
        echoed.send(Msg::Add(5)).await.unwrap();
        assert_eq!(echoed.call(Msg::Total, T).await, Ok(5));
        a.shutdown().await;
        b.shutdown().await;
    });
}

#[test]
fn a_call_fails_at_once_with_the_reason_of_a_remote_callee_that_dies() {
    Runtime::tokio().block_on(async {
        let server = NatsServer::start().unwrap();
        let local = spawn(|mut ctx: Ctx<Msg>| async move {
            let _held = ctx.recv().await;
            ExitReason::other("gave up")
        });
        let (a, b, remote) = two_nodes(&server, "quitter", &local).await;
        // No timeout is reached: the reason comes back with the Down.
        let err = remote
            .call(Msg::Total, Duration::from_secs(600))
            .await
            .unwrap_err();
        assert_eq!(err, CallError::Exited(ExitReason::other("gave up")));
        a.shutdown().await;
        b.shutdown().await;
    });
}

#[test]
fn links_and_monitors_cross_nodes() {
    Runtime::tokio().block_on(async {
        let server = NatsServer::start().unwrap();
        let crasher = counter();
        let (a, b, remote) = two_nodes(&server, "crasher", &crasher).await;

        let (exit_tx, exit_rx) = tokio::sync::oneshot::channel();
        let r = remote.clone();
        spawn(move |mut ctx: Ctx<Exit>| async move {
            ctx.trap_exit();
            ctx.link(&r);
            let _ = exit_tx.send(ctx.recv().await);
        });
        let (down_tx, down_rx) = tokio::sync::oneshot::channel();
        let r = remote.clone();
        spawn(move |mut ctx: Ctx<Down>| async move {
            ctx.monitor(&r);
            // The link and the monitor leave before the crash, on the same
            // pair of nodes: they are in place when it happens.
            r.send(Msg::Crash("boom".into())).await.unwrap();
            let _ = down_tx.send(ctx.recv().await);
        });
        let exit = within("the exit signal", exit_rx).await.unwrap();
        assert_eq!(exit.from, remote.id());
        assert_eq!(exit.reason, ExitReason::other("boom"));
        let down = within("the Down", down_rx).await.unwrap();
        assert_eq!(down.id, remote.id());
        assert_eq!(down.reason, ExitReason::other("boom"));
        assert_eq!(crasher.wait().await, ExitReason::other("boom"));

        // A monitor of a process that is gone gets noproc.
        let (late_tx, late_rx) = tokio::sync::oneshot::channel();
        let r = remote.clone();
        spawn(move |mut ctx: Ctx<Down>| async move {
            ctx.monitor(&r);
            let _ = late_tx.send(ctx.recv().await);
        });
        let late = within("the late Down", late_rx).await.unwrap();
        assert_eq!(late.reason, ExitReason::NoProc);
        a.shutdown().await;
        b.shutdown().await;
    });
}

#[test]
fn a_message_too_large_for_the_server_is_given_back_with_why() {
    Runtime::tokio().block_on(async {
        let server = NatsServer::start().unwrap();
        let local = counter();
        let (a, b, remote) = two_nodes(&server, "sink", &local).await;
        let max = b.max_payload();
        assert!(max > 1_000_000 && max < 1 << 20, "{max}");
        match remote.try_send(Msg::Blob(vec![7; max + 1])) {
            Err(TrySendError::Unsendable(Msg::Blob(b), RemoteError::TooLarge { size, max: m })) => {
                assert_eq!(b.len(), max + 1);
                assert!(size > max && m == max);
            }
            other => panic!("{:?}", other.map_err(|e| e.to_string())),
        }
        // The largest that fits arrives (a postcard Vec<u8> adds a variant
        // byte and a length of up to 3 bytes here).
        remote.try_send(Msg::Blob(vec![7; max - 4])).unwrap();
        assert_eq!(remote.call(Msg::Total, T).await, Ok((max - 4) as u64));
        a.shutdown().await;
        b.shutdown().await;
    });
}
