//! The deterministic runtime: one seed replays one run; seeds explore
//! interleavings; time is virtual; deadlocks are reported by name; kills
//! are injected (sparing supervisors); one sender's messages to one
//! receiver stay in order under random delays; tokio-only APIs fail with a
//! message that names the replacement.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::{self, Config, Event, RunError};
use actor_core::sync::Channel;
use actor_core::{
    AnyPid, ChildSpec, Ctx, ExitReason, Pid, ProcessId, Runtime, Strategy, Supervisor, spawn,
};

type Log = Arc<Mutex<Vec<String>>>;

/// Four workers report to a collector in a few rounds; the log is the
/// order in which their reports arrived.
async fn chatter(log: Log) {
    let collector = spawn(move |mut ctx: Ctx<(usize, usize)>| async move {
        for _ in 0..12 {
            let (w, round) = ctx.recv().await;
            log.lock().unwrap().push(format!("w{w}r{round}"));
        }
    });
    for w in 0..4 {
        let c = collector.clone();
        spawn(move |_: Ctx<()>| async move {
            for round in 0..3 {
                c.send((w, round)).await.unwrap();
                actor_core::yield_now().await;
            }
        });
    }
    collector.wait().await;
}

fn run_chatter(config: Config) -> (u64, Vec<String>, Duration) {
    let log = Log::default();
    let out = deterministic::run(config, chatter(log.clone()));
    out.result.unwrap();
    let lines = log.lock().unwrap().clone();
    (out.trace.hash(), lines, out.elapsed)
}

#[test]
fn one_seed_gives_the_same_trace_every_time() {
    let config = || Config::seeded(42).max_delay(Duration::from_millis(3));
    let first = run_chatter(config());
    for _ in 0..3 {
        assert_eq!(run_chatter(config()), first);
    }
}

#[test]
fn different_seeds_give_different_interleavings() {
    let runs: Vec<_> = (0..20)
        .map(|s| run_chatter(Config::seeded(s).max_delay(Duration::from_millis(3))))
        .collect();
    let orders: BTreeSet<_> = runs.iter().map(|r| r.1.clone()).collect();
    let hashes: BTreeSet<_> = runs.iter().map(|r| r.0).collect();
    assert!(orders.len() > 10, "only {} distinct orders", orders.len());
    assert_eq!(hashes.len(), 20);
}

#[test]
fn fifo_mode_has_no_randomness() {
    let (_, order, elapsed) = run_chatter(Config::fifo());
    assert_eq!(&order[..4], ["w0r0", "w1r0", "w2r0", "w3r0"]);
    assert_eq!(elapsed, Duration::ZERO);
}

#[test]
fn an_hour_of_timeouts_passes_in_virtual_time() {
    let out = deterministic::run(Config::fifo(), async {
        let sleeper = spawn(|mut ctx: Ctx<()>| async move {
            let mut timeouts = 0;
            while ctx.recv_timeout(Duration::from_secs(1)).await.is_none() {
                timeouts += 1;
                if timeouts == 3600 {
                    break;
                }
            }
            assert_eq!(actor_core::now(), Duration::from_secs(3600));
        });
        let slow = actor_core::timeout(
            Duration::from_secs(1800),
            actor_core::sleep(Duration::from_secs(7200)),
        )
        .await;
        assert!(slow.is_err());
        assert_eq!(actor_core::now(), Duration::from_secs(1800));
        sleeper.wait().await
    });
    assert!(out.result.unwrap().is_normal());
    assert_eq!(out.elapsed, Duration::from_secs(3600));
}

#[test]
fn timer_jitter_makes_timers_late_but_never_early() {
    for seed in 0..20 {
        let out = deterministic::run(
            Config::seeded(seed).timer_jitter(Duration::from_millis(50)),
            async {
                actor_core::sleep(Duration::from_secs(1)).await;
                actor_core::now()
            },
        );
        let woke = out.result.unwrap();
        assert!(woke >= Duration::from_secs(1), "seed {seed}: {woke:?}");
        assert!(woke <= Duration::from_millis(1050), "seed {seed}: {woke:?}");
    }
}

#[test]
fn the_deadlock_report_names_the_waiting_processes_and_what_they_wait_on() {
    let ids = Arc::new(Mutex::new(Vec::new()));
    let seen = ids.clone();
    let out = deterministic::run(Config::fifo(), async move {
        let ch: Channel<u32> = Channel::new();
        let c = ch.clone();
        let a = spawn(move |_: Ctx<()>| async move {
            let _ = c.recv().await;
        });
        let b = spawn(|mut ctx: Ctx<u32>| async move {
            ctx.recv().await;
        });
        seen.lock().unwrap().extend([a.id(), b.id()]);
        a.wait().await;
    });
    let [a, b]: [ProcessId; 2] = ids.lock().unwrap().clone().try_into().unwrap();
    let Err(RunError::Deadlock(d)) = out.result else {
        panic!("expected a deadlock, got {:?}", out.result)
    };
    assert!(d.waiting.contains(&(None, "wait for exit")), "{d}");
    assert!(d.waiting.contains(&(Some(a), "channel receive")), "{d}");
    assert!(d.waiting.contains(&(Some(b), "receive")), "{d}");
    let text = d.to_string();
    assert!(
        text.contains(&format!("process {a}: channel receive")),
        "{text}"
    );
    assert!(text.contains(&format!("process {b}: receive")), "{text}");
}

#[test]
fn runtime_block_on_panics_with_the_deadlock_report() {
    let caught = std::panic::catch_unwind(|| {
        Runtime::deterministic(Config::fifo()).block_on(async {
            let p = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
            p.wait().await;
        })
    });
    let payload = caught.unwrap_err();
    let msg = payload.downcast_ref::<String>().unwrap();
    assert!(msg.contains("deadlock"), "{msg}");
    assert!(msg.contains(": receive"), "{msg}");
}

/// A worker that waits for messages forever (until killed).
fn idle_worker(id: &str) -> ChildSpec {
    ChildSpec::new(id, || async {
        Ok(AnyPid::from(spawn(|mut ctx: Ctx<()>| async move {
            loop {
                ctx.recv().await;
            }
        })))
    })
}

#[test]
fn injected_kills_hit_workers_and_their_supervisor_restarts_them() {
    let mut kills_seen = 0;
    for seed in 0..10 {
        let out = deterministic::run(
            Config::seeded(seed)
                .kills(2, Duration::from_secs(1))
                .trace_tail(10_000),
            async {
                let sup = Supervisor::new(Strategy::OneForOne)
                    .intensity(10, Duration::from_secs(5))
                    .child(idle_worker("a"))
                    .child(idle_worker("b"))
                    .child(idle_worker("c"))
                    .start()
                    .await
                    .unwrap();
                let before = sup.which_children().await.unwrap();
                actor_core::sleep(Duration::from_secs(2)).await;
                let after = sup.which_children().await.unwrap();
                (sup, before, after)
            },
        );
        let (sup, before, after) = out.result.unwrap();
        let sup: Pid<_> = sup;
        let killed: Vec<ProcessId> = out
            .trace
            .tail()
            .filter_map(|e| match e.event {
                Event::Kill { pid } => Some(pid),
                _ => None,
            })
            .collect();
        assert!(
            !killed.contains(&sup.id()),
            "seed {seed}: a supervisor was killed"
        );
        assert_eq!(after.len(), 3, "seed {seed}");
        for ((id, old), (id2, new)) in before.iter().zip(&after) {
            assert_eq!(id, id2);
            if killed.contains(&old.id()) {
                assert_ne!(old, new, "seed {seed}: {id} was killed and not restarted");
                kills_seen += 1;
            } else {
                assert_eq!(old, new, "seed {seed}: {id} was restarted for no reason");
            }
        }
    }
    assert!(kills_seen > 5, "only {kills_seen} kills hit a worker");
}

/// Three senders send 50 numbered messages each to one receiver; the
/// receiver's arrival order, and the trace.
fn three_senders(config: Config) -> (Vec<(usize, u32)>, deterministic::Trace) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let out = deterministic::run(config.trace_tail(1000), async move {
        let rx = spawn(move |mut ctx: Ctx<(usize, u32)>| async move {
            for _ in 0..150 {
                let m = ctx.recv().await;
                seen.lock().unwrap().push(m);
            }
        });
        for s in 0..3 {
            let rx = rx.clone();
            spawn(move |_: Ctx<()>| async move {
                for n in 0..50 {
                    rx.send((s, n)).await.unwrap();
                    if n % 7 == 0 {
                        actor_core::yield_now().await;
                    }
                }
            });
        }
        rx.wait().await
    });
    assert!(out.result.unwrap().is_normal());
    let arrivals = log.lock().unwrap().clone();
    (arrivals, out.trace)
}

#[test]
fn one_senders_messages_to_one_receiver_keep_their_order_under_random_delays() {
    let (undelayed, _) = three_senders(Config::fifo());
    let mut reordered = 0;
    for seed in 0..30 {
        let (arrivals, trace) =
            three_senders(Config::seeded(seed).max_delay(Duration::from_millis(10)));
        assert_eq!(arrivals.len(), 150, "seed {seed}: a message was lost");
        for s in 0..3 {
            let from_s: Vec<u32> = arrivals.iter().filter(|m| m.0 == s).map(|m| m.1).collect();
            assert_eq!(
                from_s,
                (0..50).collect::<Vec<_>>(),
                "seed {seed}, sender {s}"
            );
        }
        assert!(
            trace
                .tail()
                .any(|e| matches!(e.event, Event::Send { delay_ns, .. } if delay_ns > 0)),
            "seed {seed}: no message was held in flight"
        );
        if arrivals != undelayed {
            reordered += 1;
        }
    }
    // The delays are real: messages of different senders do get reordered.
    assert!(
        reordered > 20,
        "only {reordered} of 30 seeds changed the arrival order"
    );
}

#[test]
fn a_tokio_only_api_inside_the_deterministic_runtime_says_what_to_use_instead() {
    let out = deterministic::run(Config::fifo(), async {
        let p = spawn(|_: Ctx<()>| async {
            tokio::time::sleep(Duration::from_millis(1)).await;
        });
        p.wait().await
    });
    let ExitReason::Panicked(msg) = out.result.unwrap() else {
        panic!("the process should have panicked")
    };
    assert!(msg.contains("actor_core::sleep"), "{msg}");

    let out = deterministic::run(Config::fifo(), async {
        tokio::time::sleep(Duration::from_millis(1)).await;
    });
    let Err(RunError::Panicked(msg)) = out.result else {
        panic!("the main future should have panicked")
    };
    assert!(msg.contains("actor_core::sleep"), "{msg}");
}
