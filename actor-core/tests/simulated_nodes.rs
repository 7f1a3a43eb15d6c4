//! Several simulated nodes in one deterministic run: what a process of a
//! node is (its node in its id, inherited by what it spawns, its own
//! registry and process groups), what crashing a node ends, and the
//! guard against a pid that reaches another node without the network.

use std::time::Duration;

use actor_core::deterministic::{self, Config, Event};
use actor_core::testing::Harness;
use actor_core::{Ctx, ExitReason, NodeId, Pid, pg, register, send_after, spawn, whereis};

const A: NodeId = NodeId(1);
const B: NodeId = NodeId(2);

fn idle() -> Pid<u32> {
    spawn(|mut ctx: Ctx<u32>| async move {
        ctx.recv().await;
    })
}

#[test]
fn what_a_process_of_a_node_spawns_belongs_to_the_node_too() {
    let out = deterministic::run(Config::seeded(5), async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let parent = deterministic::within_node(A, || {
            spawn(move |_: Ctx<()>| async move {
                let child = spawn(|_: Ctx<()>| async {});
                let _ = tx.send(child.id());
            })
        });
        assert_eq!(parent.id().node, A);
        let child = rx.await.unwrap();
        assert_eq!(child.node, A);
        // Outside the scope, the main future's processes are of no node.
        assert_eq!(idle().id().node, NodeId::LOCAL);
        assert_eq!(deterministic::current_node(), None);
    });
    out.result.unwrap();
}

#[test]
fn a_crash_ends_the_nodes_processes_and_timers_and_nothing_else() {
    let out = deterministic::run(Config::seeded(9), async {
        let (late_tx, mut late) = tokio::sync::mpsc::unbounded_channel();
        let inbox = spawn(move |mut ctx: Ctx<u32>| async move {
            while let Some(n) = ctx.recv_timeout(Duration::from_secs(10)).await {
                late_tx.send(n).unwrap();
            }
        });
        let (on_a, on_b) = (
            deterministic::within_node(A, || {
                // A timer of node A, due after the crash.
                send_after(&inbox, 1, Duration::from_secs(1));
                [idle(), idle()]
            }),
            deterministic::within_node(B, || {
                send_after(&inbox, 2, Duration::from_secs(1));
                idle()
            }),
        );
        assert_eq!(deterministic::crash_node(A), 2);
        for p in &on_a {
            assert_eq!(p.wait().await, ExitReason::Killed);
        }
        assert!(on_b.is_alive());
        // Only node B's timer fires.
        assert_eq!(late.recv().await, Some(2));
        assert_eq!(late.recv().await, None);
        on_b.kill();
    });
    out.result.unwrap();
    let kills = out
        .trace
        .tail()
        .filter(|e| matches!(e.event, Event::Kill { .. }))
        .count();
    assert_eq!(kills, 2, "each crashed process is a kill in the trace");
}

#[test]
fn each_node_has_its_own_registry_and_process_groups() {
    let out = deterministic::run(Config::seeded(2), async {
        let on = |node| {
            deterministic::within_node(node, || {
                spawn(|mut ctx: Ctx<Pid<u32>>| async move {
                    let me = ctx.pid();
                    register("db", &me).unwrap();
                    pg::join("workers", &me).unwrap();
                    let asker = ctx.recv().await;
                    // What this node sees: its own "db", its own group.
                    let mine = whereis::<Pid<u32>>("db") == Some(me.clone())
                        && pg::members::<Pid<u32>>("workers") == vec![me];
                    asker.send(u32::from(mine)).await.unwrap();
                    ctx.recv().await;
                })
            })
        };
        let (a, b) = (on(A), on(B));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let asker = spawn(move |mut ctx: Ctx<u32>| async move {
            for _ in 0..2 {
                tx.send(ctx.recv().await).unwrap();
            }
        });
        a.send(asker.clone()).await.unwrap();
        b.send(asker.clone()).await.unwrap();
        assert_eq!((rx.recv().await, rx.recv().await), (Some(1), Some(1)));
        // The main future is of no node: it sees neither.
        assert!(whereis::<Pid<u32>>("db").is_none());
        assert!(pg::members::<Pid<u32>>("workers").is_empty());
        a.kill();
        b.kill();
    });
    out.result.unwrap();
}

#[test]
fn a_pid_smuggled_to_another_node_fails_the_sender_with_the_reason() {
    let out = deterministic::run(Config::seeded(4), async {
        let on_a = deterministic::within_node(A, idle);
        let target = on_a.clone();
        let smuggler = deterministic::within_node(B, || {
            spawn(move |_: Ctx<()>| async move {
                target.send(1).await.unwrap();
            })
        });
        let reason = smuggler.wait().await;
        // Code of no node (the test's own view) may send to anyone.
        on_a.send(7).await.unwrap();
        (reason, on_a.wait().await)
    });
    let (reason, a) = out.result.unwrap();
    match reason {
        ExitReason::Panicked(why) => {
            assert!(why.contains("of simulated node 2 sent to"), "{why}");
            assert!(why.contains("without the network"), "{why}");
        }
        other => panic!("expected a panic, got {other}"),
    }
    assert!(a.is_normal());
}

#[test]
fn notes_are_hashed_kept_and_printed_in_the_failure_report() {
    let body = |text: &'static str| {
        move || async move {
            deterministic::note(text);
            actor_core::sleep(Duration::from_millis(3)).await;
            deterministic::note("then this");
            Err::<(), _>("fails")
        }
    };
    let report = Harness::new().seeds(1).explore(body("first"));
    let failure = report.failure.unwrap();
    let notes: Vec<_> = failure.trace.notes().map(|e| e.event.clone()).collect();
    assert_eq!(
        notes,
        [
            Event::Note {
                text: "first".into()
            },
            Event::Note {
                text: "then this".into()
            }
        ]
    );
    let text = failure.to_string();
    assert!(text.contains("  notes:\n"), "{text}");
    assert!(text.contains("0.000ms first\n"), "{text}");
    assert!(text.contains("3.000ms then this\n"), "{text}");
    let other = Harness::new().seeds(1).explore(body("another"));
    assert_ne!(other.failure.unwrap().trace.hash(), failure.trace.hash());
}
