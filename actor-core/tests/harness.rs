//! The protocol-testing harness: it finds a failing seed, reports it with
//! the seed, the knobs, the end of the trace and the way to replay it; a
//! replay reproduces the failure and its trace hash; deadlocks, deadlines,
//! panics and errors all count as failures; kills and timer jitter are
//! knobs; the check mode catches hidden nondeterminism.

use std::collections::HashMap;
use std::time::Duration;

use actor_core::deterministic::{self, Event};
use actor_core::testing::{FailureKind, Harness};
use actor_core::{Ctx, ExitReason, Reply, spawn};

mod common;
use common::lost_update;

#[test]
fn a_passing_body_runs_a_thousand_seeds_by_default() {
    let report = Harness::new().explore(|| async { actor_core::yield_now().await });
    assert!(report.passed());
    assert_eq!(report.seeds_run, 1000);
    assert_eq!(report.seeds, 0..1000);
    assert_eq!(report.to_string(), "all 1000 seeds passed (0..1000)");
}

#[test]
fn the_report_gives_the_seed_the_knobs_the_trace_tail_and_the_replay() {
    let report = Harness::new()
        .max_delay(Duration::from_millis(2))
        .trace_tail(8)
        .explore(lost_update);
    let failure = report.failure.expect("the lost update is found");
    assert_eq!(report.seeds_run, failure.seed + 1);
    assert!(matches!(&failure.kind, FailureKind::Error(e) if e.contains("lost update")));
    assert_eq!(failure.trace.tail().count(), 8);
    let text = failure.to_string();
    for needle in [
        format!("failed at seed {}", failure.seed),
        format!("seed={}", failure.seed),
        "max_delay=2ms".to_string(),
        format!("hash {:016x}", failure.trace.hash()),
        "last 8 events:".to_string(),
        format!(
            "replay:  ACTOR_SEED={} cargo test -- --exact the_report_gives_the_seed_the_knobs_the_trace_tail_and_the_replay",
            failure.seed
        ),
    ] {
        assert!(text.contains(&needle), "{needle:?} not in:\n{text}");
    }
}

#[test]
fn replaying_the_seed_reproduces_the_failure_and_its_trace_hash() {
    let failure = Harness::new().explore(lost_update).failure.unwrap();
    let again = Harness::new()
        .first_seed(failure.seed)
        .seeds(1)
        .explore(lost_update)
        .failure
        .unwrap();
    assert_eq!(again.seed, failure.seed);
    assert_eq!(again.kind, failure.kind);
    assert_eq!(again.trace.hash(), failure.trace.hash());
    // And by hand, with the same configuration:
    let out = deterministic::run(Harness::new().config(failure.seed), lost_update());
    assert!(out.result.unwrap().is_err());
    assert_eq!(out.trace.hash(), failure.trace.hash());
}

#[test]
fn panics_deadlocks_deadlines_and_errors_are_failures() {
    let h = Harness::new().seeds(5);

    let r = h.explore(|| async { assert_eq!(1 + 1, 3, "boom") });
    assert!(matches!(r.failure.unwrap().kind, FailureKind::Panicked(m) if m.contains("boom")));

    let r = h.explore(|| async { Err::<(), _>("bad answer") });
    assert!(matches!(r.failure.unwrap().kind, FailureKind::Error(m) if m == "bad answer"));

    let r = h.explore(|| async {
        let p = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        p.wait().await;
    });
    let f = r.failure.unwrap();
    let FailureKind::Deadlock(d) = &f.kind else {
        panic!("{f}")
    };
    assert_eq!(d.waiting.len(), 2, "{d}");
    assert!(f.to_string().contains(": receive"), "{f}");

    let r = h
        .clone()
        .deadline(Duration::from_secs(60))
        .explore(|| async { actor_core::sleep(Duration::from_secs(61)).await });
    let f = r.failure.unwrap();
    assert_eq!(
        f.kind,
        FailureKind::DeadlineReached(Duration::from_secs(60))
    );
    assert_eq!(f.elapsed, Duration::from_secs(60));
}

#[test]
fn the_kill_knob_finds_a_protocol_that_does_not_survive_a_killed_process() {
    let worker_must_finish = || async {
        let worker = spawn(|mut ctx: Ctx<()>| async move {
            let _ = ctx.recv_timeout(Duration::from_millis(100)).await;
        });
        match worker.wait().await {
            ExitReason::Normal => Ok(()),
            other => Err(other),
        }
    };
    assert!(
        Harness::new()
            .seeds(50)
            .explore(worker_must_finish)
            .passed()
    );
    let report = Harness::new()
        .seeds(50)
        .kills(1, Duration::from_millis(50))
        .trace_tail(100)
        .explore(worker_must_finish);
    let f = report.failure.expect("a kill lands within 50 ms");
    assert_eq!(f.kind, FailureKind::Error("killed".into()));
    assert!(
        f.trace
            .tail()
            .any(|e| matches!(e.event, Event::Kill { .. }))
    );
    assert!(f.knobs.contains("kills=1 within 50ms"), "{}", f.knobs);
}

#[test]
fn the_timer_jitter_knob_finds_a_protocol_that_expects_punctual_timers() {
    // A reply and a timeout race when the reply's timer is late.
    let punctual = || async {
        let replier = spawn(|mut ctx: Ctx<Reply<()>>| async move {
            let reply = ctx.recv().await;
            actor_core::sleep(Duration::from_millis(10)).await;
            let _ = reply.send(());
        });
        replier.call(|r| r, Duration::from_millis(11)).await
    };
    assert!(Harness::new().seeds(50).explore(punctual).passed());
    let report = Harness::new()
        .seeds(200)
        .timer_jitter(Duration::from_millis(5))
        .explore(punctual);
    let f = report.failure.expect("a late timer loses the race");
    assert_eq!(f.kind, FailureKind::Error("call timed out".into()));
}

#[test]
fn the_check_mode_passes_a_deterministic_body() {
    let report = Harness::new()
        .seeds(100)
        .check_determinism()
        .explore(|| async {
            let ch = actor_core::sync::Channel::new();
            let tx = ch.clone();
            spawn(move |_: Ctx<()>| async move {
                for n in 0..10 {
                    tx.send(n).await.unwrap();
                }
            });
            for _ in 0..10 {
                ch.recv().await.unwrap();
            }
        });
    assert!(report.passed(), "{report}");
}

#[test]
fn the_check_mode_catches_hash_map_iteration_order() {
    let report = Harness::new()
        .seeds(100)
        .check_determinism()
        .explore(|| async {
            // Each map has its own random hasher: its iteration order, and so
            // the order of these sleeps, changes from run to run.
            let delays: HashMap<u64, ()> = (1..=16).map(|ms| (ms, ())).collect();
            let sleepers: Vec<_> = delays
                .keys()
                .map(|&ms| {
                    spawn(move |_: Ctx<()>| async move {
                        actor_core::sleep(Duration::from_millis(ms)).await;
                    })
                })
                .collect();
            for s in sleepers {
                s.wait().await;
            }
        });
    let f = report.failure.expect("the two runs of a seed differ");
    let FailureKind::Nondeterministic { first, second } = f.kind else {
        panic!("{f}")
    };
    assert_ne!(first, second);
    assert!(f.to_string().contains("hash map"), "{f}");
}

#[test]
#[should_panic(expected = "protocol test failed at seed")]
fn run_panics_with_the_report() {
    Harness::new().run(lost_update);
}

#[test]
fn a_body_may_spawn_before_its_first_await_and_zero_seeds_means_one() {
    // The closure itself spawns: that too happens on the deterministic
    // runtime, seed by seed.
    let report = Harness::new().seeds(0).explore(|| {
        let worker = spawn(|mut ctx: Ctx<u32>| async move {
            ctx.recv().await;
        });
        async move {
            worker.send(1).await.map_err(|_| "worker gone")?;
            match worker.wait().await {
                ExitReason::Normal => Ok(()),
                other => Err(format!("worker ended with {other}")),
            }
        }
    });
    assert!(report.passed(), "{report}");
    assert_eq!(report.seeds_run, 1);
}
