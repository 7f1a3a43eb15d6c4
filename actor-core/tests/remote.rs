//! The transport seam: pids that travel to another node and work there
//! (send, call, link, monitor, exit, kill), and what node loss does, over
//! an in-memory wire between two endpoints in one program. The real wire
//! (NATS) is actor-net's, and tested there.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actor_core::remote::{CallRef, DeliverError, Endpoint, RemoteError, Signal, Transport};
use actor_core::{
    CallError, Ctx, Down, Exit, ExitReason, NodeId, Pid, ProcessId, Reply, Runtime, TrySendError,
    spawn,
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// A frame in flight.
enum Frame {
    Send(ProcessId, Option<ProcessId>, Vec<u8>),
    Signal(ProcessId, Signal),
    Reply(CallRef, Result<Vec<u8>, CallError>),
}

/// One direction of the wire: frames queue, in order, and a task hands
/// them to the far endpoint; `cut` drops everything from then on.
struct Wire {
    tx: mpsc::UnboundedSender<Frame>,
    cut: Mutex<bool>,
    max: usize,
}

impl Wire {
    fn push(&self, f: Frame) {
        if !*self.cut.lock().unwrap() {
            let _ = self.tx.send(f);
        }
    }
}

impl Transport for Wire {
    fn send(&self, to: ProcessId, from: Option<ProcessId>, payload: Vec<u8>) {
        self.push(Frame::Send(to, from, payload));
    }
    fn signal(&self, to: ProcessId, signal: Signal) {
        self.push(Frame::Signal(to, signal));
    }
    fn reply(&self, call: CallRef, result: Result<Vec<u8>, CallError>) {
        self.push(Frame::Reply(call, result));
    }
    fn max_payload(&self) -> usize {
        self.max
    }
}

struct Cluster {
    a: Endpoint,
    b: Endpoint,
    a_to_b: Arc<Wire>,
    b_to_a: Arc<Wire>,
    errors: Arc<Mutex<Vec<DeliverError>>>,
}

/// Delivers frames arriving for `endpoint`, on its own task.
fn pump(
    mut rx: mpsc::UnboundedReceiver<Frame>,
    endpoint: Arc<OnceLock<Endpoint>>,
    errors: Arc<Mutex<Vec<DeliverError>>>,
) {
    tokio::spawn(async move {
        while let Some(f) = rx.recv().await {
            let e = endpoint.get().expect("set before use");
            match f {
                Frame::Send(to, from, bytes) => {
                    if let Err(err) = e.deliver(to, from, &bytes) {
                        errors.lock().unwrap().push(err);
                    }
                }
                Frame::Signal(to, s) => e.apply(to, s),
                Frame::Reply(call, r) => e.complete_call(call, r.as_deref().map_err(Clone::clone)),
            }
        }
    });
}

/// Nodes 1 (`a`) and 2 (`b`), joined by two wires. Call inside a runtime.
fn cluster(max: usize) -> Cluster {
    let (tx_ab, rx_ab) = mpsc::unbounded_channel();
    let (tx_ba, rx_ba) = mpsc::unbounded_channel();
    let a_to_b = Arc::new(Wire {
        tx: tx_ab,
        cut: Mutex::new(false),
        max,
    });
    let b_to_a = Arc::new(Wire {
        tx: tx_ba,
        cut: Mutex::new(false),
        max,
    });
    let a = Endpoint::new(NodeId(1), a_to_b.clone());
    let b = Endpoint::new(NodeId(2), b_to_a.clone());
    let errors = Arc::new(Mutex::new(Vec::new()));
    pump(rx_ab, Arc::new(OnceLock::from(b.clone())), errors.clone());
    pump(rx_ba, Arc::new(OnceLock::from(a.clone())), errors.clone());
    Cluster {
        a,
        b,
        a_to_b,
        b_to_a,
        errors,
    }
}

/// Hands `pid` from node 1 to node 2, as a message would.
fn to_b<M: Serialize + for<'de> Deserialize<'de> + Send + 'static>(
    c: &Cluster,
    pid: &Pid<M>,
) -> Pid<M> {
    let bytes = c.a.encode(NodeId(2), pid).unwrap();
    c.b.decode(&bytes).unwrap()
}

#[derive(Serialize, Deserialize)]
enum Msg {
    Add(u64),
    Total(Reply<u64>),
    Echo(Pid<Msg>, Reply<Pid<Msg>>),
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
                Msg::Crash(why) => return ExitReason::other(why),
            }
        }
    })
}

const T: Duration = Duration::from_secs(10);

fn rt() -> Runtime {
    Runtime::tokio()
}

#[test]
fn sends_and_calls_reach_a_process_on_another_node_in_order() {
    rt().block_on(async {
        let c = cluster(1 << 20);
        let local = counter();
        let remote = to_b(&c, &local);
        assert_eq!(
            remote.id(),
            ProcessId {
                node: NodeId(1),
                serial: local.id().serial
            }
        );
        for n in 1..=1000 {
            remote.send(Msg::Add(n)).await.unwrap();
        }
        // The call goes after the tells, on the same pair: it sees them all.
        assert_eq!(remote.call(Msg::Total, T).await, Ok(500_500));
    });
}

#[test]
fn a_pid_that_travels_back_is_the_same_local_process() {
    rt().block_on(async {
        let c = cluster(1 << 20);
        let local = counter();
        let remote = to_b(&c, &local);
        // Node 2 asks node 1's process to echo node 1's own pid back.
        let echoed = remote
            .call(|r| Msg::Echo(remote.clone(), r), T)
            .await
            .unwrap();
        assert_eq!(echoed.id(), remote.id());
        // And the same pid, handed back to node 1, is the local process.
        let home: Pid<Msg> =
            c.a.decode(&c.b.encode(NodeId(1), &echoed).unwrap())
                .unwrap();
        assert_eq!(home, local);
        assert!(home.is_alive());
    });
}

#[test]
fn a_call_fails_at_once_with_the_reason_of_a_remote_callee_that_dies() {
    rt().block_on(async {
        let c = cluster(1 << 20);
        // A callee that ends without answering.
        let local = spawn(|mut ctx: Ctx<Msg>| async move {
            let _held = ctx.recv().await;
            ExitReason::other("gave up")
        });
        let remote = to_b(&c, &local);
        let err = remote.call(Msg::Total, T).await.unwrap_err();
        assert_eq!(err, CallError::Exited(ExitReason::other("gave up")));
    });
}

#[test]
fn a_link_across_nodes_carries_exit_signals_both_ways() {
    rt().block_on(async {
        let c = cluster(1 << 20);
        let crasher = counter();
        let remote = to_b(&c, &crasher);
        // A trapping process on "node 2" links to the crasher on node 1.
        let (tx, rx) = tokio::sync::oneshot::channel();
        let r = remote.clone();
        let watcher = spawn(move |mut ctx: Ctx<Exit>| async move {
            ctx.trap_exit();
            ctx.link(&r);
            r.send(Msg::Crash("boom".into())).await.unwrap();
            let _ = tx.send(ctx.recv().await);
        });
        let exit = rx.await.unwrap();
        assert_eq!(exit.from, remote.id());
        assert_eq!(exit.reason, ExitReason::other("boom"));
        assert!(watcher.wait().await.is_normal());

        // The other way: a process linked to a remote one that ends
        // abnormally takes it down.
        let victim = counter();
        let remote_victim = to_b(&c, &victim);
        let (linked_tx, linked) = tokio::sync::oneshot::channel();
        let doomed = spawn(move |mut ctx: Ctx<()>| async move {
            ctx.link(&remote_victim);
            linked_tx.send(()).unwrap();
            ctx.recv().await;
        });
        linked.await.unwrap();
        let remote_doomed: Pid<()> = {
            let bytes = c.b.encode(NodeId(1), &doomed).unwrap();
            c.a.decode(&bytes).unwrap()
        };
        remote_doomed.exit(ExitReason::other("stop"));
        assert_eq!(doomed.wait().await, ExitReason::other("stop"));
        assert_eq!(victim.wait().await, ExitReason::other("stop"));
    });
}

#[test]
fn a_monitor_across_nodes_gives_one_down_and_noproc_for_the_dead() {
    rt().block_on(async {
        let c = cluster(1 << 20);
        let target = counter();
        let remote = to_b(&c, &target);
        let r = remote.clone();
        let watcher = spawn(move |mut ctx: Ctx<Down>| async move {
            let mref = ctx.monitor(&r);
            r.send(Msg::Crash("over".into())).await.unwrap();
            let down = ctx.recv().await;
            assert_eq!(
                (down.monitor, down.id, down.reason),
                (mref, r.id(), ExitReason::other("over"))
            );
            // Monitoring it again, now that it is gone: noproc.
            let again = ctx.monitor(&r);
            let down = ctx.recv().await;
            assert_eq!((down.monitor, down.reason), (again, ExitReason::NoProc));
        });
        assert!(watcher.wait().await.is_normal());
        // `wait` works across nodes too.
        assert_eq!(remote.wait().await, ExitReason::NoProc);
    });
}

#[test]
fn kill_across_nodes_cannot_be_trapped() {
    rt().block_on(async {
        let c = cluster(1 << 20);
        let (trapping_tx, trapping) = tokio::sync::oneshot::channel();
        let trapper = spawn(|mut ctx: Ctx<Exit>| async move {
            ctx.trap_exit();
            trapping_tx.send(()).unwrap();
            loop {
                ctx.recv().await;
            }
        });
        trapping.await.unwrap();
        let remote: Pid<Exit> = {
            let bytes = c.a.encode(NodeId(2), &trapper).unwrap();
            c.b.decode(&bytes).unwrap()
        };
        remote.exit(ExitReason::other("ignored"));
        remote.kill();
        assert_eq!(trapper.wait().await, ExitReason::Killed);
    });
}

#[test]
fn node_loss_fires_noconnection_on_links_monitors_and_calls() {
    rt().block_on(async {
        let c = cluster(1 << 20);
        // A callee on node 1 that never answers, seen from node 2.
        let silent = spawn(|mut ctx: Ctx<Msg>| async move {
            let mut held = Vec::new();
            loop {
                held.push(ctx.recv().await);
            }
        });
        let remote = to_b(&c, &silent);
        let (linked_tx, linked_rx) = tokio::sync::oneshot::channel();
        let (watch_tx, watch_rx) = tokio::sync::oneshot::channel();
        let (call_tx, call_rx) = tokio::sync::oneshot::channel();
        let (ready_tx, mut ready) = tokio::sync::mpsc::unbounded_channel();
        let r1 = remote.clone();
        let ready1 = ready_tx.clone();
        let linked = spawn(move |mut ctx: Ctx<Exit>| async move {
            ctx.trap_exit();
            ctx.link(&r1);
            ready1.send(()).unwrap();
            let _ = linked_tx.send(ctx.recv().await);
        });
        let r2 = remote.clone();
        let ready2 = ready_tx.clone();
        let watcher = spawn(move |mut ctx: Ctx<Down>| async move {
            ctx.monitor(&r2);
            ready2.send(()).unwrap();
            let _ = watch_tx.send(ctx.recv().await);
        });
        let r3 = remote.clone();
        let caller = spawn(move |_ctx: Ctx<()>| async move {
            let call = r3.call(Msg::Total, Duration::from_secs(3600));
            // The request leaves (and the call is recorded) on the first
            // poll; say so from a second task polled after it.
            let (r, ()) = tokio::join!(call, async { ready_tx.send(()).unwrap() });
            let _ = call_tx.send(r);
        });
        for _ in 0..3 {
            ready.recv().await.unwrap();
        }
        // The wire goes dead, and node 2 learns that node 1 is lost.
        *c.a_to_b.cut.lock().unwrap() = true;
        *c.b_to_a.cut.lock().unwrap() = true;
        c.b.node_down(NodeId(1));
        let exit = linked_rx.await.unwrap();
        assert_eq!(
            (exit.from, exit.reason),
            (remote.id(), ExitReason::NoConnection)
        );
        assert_eq!(watch_rx.await.unwrap().reason, ExitReason::NoConnection);
        assert_eq!(
            call_rx.await.unwrap(),
            Err(CallError::Exited(ExitReason::NoConnection))
        );
        assert!(caller.wait().await.is_normal());
        assert!(linked.wait().await.is_normal());
        assert!(watcher.wait().await.is_normal());
        assert!(!remote.is_alive());
        assert_eq!(remote.wait().await, ExitReason::NoConnection);
        // A call made after the loss fails at once, the same way.
        assert_eq!(
            remote.call(Msg::Total, Duration::from_secs(3600)).await,
            Err(CallError::Exited(ExitReason::NoConnection))
        );
        silent.kill();
    });
}

#[test]
fn undecodable_and_misaddressed_messages_are_errors_not_crashes() {
    rt().block_on(async {
        let c = cluster(1 << 20);
        let local = counter();
        let _remote = to_b(&c, &local);
        let wire_id = ProcessId {
            node: NodeId(1),
            serial: local.id().serial,
        };
        match c.a.deliver(wire_id, None, &[0xff, 0xff, 0xff]) {
            Err(DeliverError::Decode {
                to, message_type, ..
            }) => {
                assert_eq!(to, local.id());
                assert!(message_type.ends_with("Msg"), "{message_type}");
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
        let nobody = ProcessId {
            node: NodeId(1),
            serial: u64::MAX,
        };
        assert!(matches!(
            c.a.deliver(nobody, None, &[]),
            Err(DeliverError::NoProcess(_))
        ));
        // The target is unharmed.
        local.send(Msg::Add(2)).await.unwrap();
        assert_eq!(local.call(Msg::Total, T).await, Ok(2));
        assert!(c.errors.lock().unwrap().is_empty());
    });
}

#[test]
fn a_message_too_large_for_the_wire_is_given_back_with_the_reason() {
    rt().block_on(async {
        let c = cluster(64);
        let local = spawn(|mut ctx: Ctx<Vec<u8>>| async move {
            ctx.recv().await;
        });
        let remote: Pid<Vec<u8>> = {
            let bytes = c.a.encode(NodeId(2), &local).unwrap();
            c.b.decode(&bytes).unwrap()
        };
        match remote.try_send(vec![7; 1000]) {
            Err(TrySendError::Unsendable(m, RemoteError::TooLarge { size, max })) => {
                assert_eq!(m.len(), 1000);
                assert!(size > 1000);
                assert_eq!(max, 64);
            }
            other => panic!("expected Unsendable, got {other:?}"),
        }
        assert_eq!(
            remote.send(vec![1; 1000]).await.map_err(|e| e.0.len()),
            Err(1000)
        );
        local.kill();
    });
}
