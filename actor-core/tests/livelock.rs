//! Runs that never let virtual time advance (livelocks, spawn storms) end
//! with a report instead of hanging: the step budget stops them, the
//! harness names the seed and the replay line, and the wall-clock watchdog
//! stops what the budget allows.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use actor_core::deterministic::{self, Config, RunError};
use actor_core::sync::Channel;
use actor_core::testing::{FailureKind, Harness};
use actor_core::{Ctx, Pid, Spawn, spawn, yield_now};

type Body = Pin<Box<dyn Future<Output = ()>>>;
/// A livelock: its name and how to start it.
type Livelock = (&'static str, fn() -> Body);

const BUDGET: u64 = 20_000;

/// A process that only yields.
fn yield_loop() -> Body {
    Box::pin(async {
        spawn(|_: Ctx<()>| async {
            loop {
                yield_now().await
            }
        })
        .wait()
        .await;
    })
}

/// Two processes with bounded(1) mailboxes that answer each other at once.
fn bounded_ping_pong() -> Body {
    Box::pin(async {
        let ping = Spawn::new()
            .bounded(1)
            .spawn(|mut ctx: Ctx<Pid<u8>>| async move {
                let pong = ctx.recv().await;
                pong.send(0).await.unwrap();
                loop {
                    let _ = ctx.recv().await;
                    pong.send(0).await.unwrap();
                }
            });
        let p = ping.clone();
        let pong = Spawn::new()
            .bounded(1)
            .spawn(move |mut ctx: Ctx<u8>| async move {
                loop {
                    ctx.recv().await;
                    p.send(ctx.pid()).await.unwrap();
                }
            });
        ping.send(pong.clone()).await.unwrap();
        pong.wait().await;
    })
}

/// Two processes passing a value back and forth over rendezvous channels.
fn channel_ping_pong() -> Body {
    Box::pin(async {
        let (there, back) = (Channel::<u32>::new(), Channel::<u32>::new());
        let (t, b) = (there.clone(), back.clone());
        let ping = spawn(move |_: Ctx<()>| async move {
            let mut n = 0;
            loop {
                t.send(n).await.unwrap();
                n = b.recv().await.unwrap() + 1;
            }
        });
        spawn(move |_: Ctx<()>| async move {
            loop {
                let n = there.recv().await.unwrap();
                back.send(n).await.unwrap();
            }
        });
        ping.wait().await;
    })
}

/// Two processes with ordinary mailboxes that answer each other at once.
fn mailbox_ping_pong() -> Body {
    Box::pin(async {
        let ping = spawn(|mut ctx: Ctx<Pid<u64>>| async move {
            let pong = ctx.recv().await;
            let mut n = 0;
            loop {
                pong.send(n).await.unwrap();
                ctx.recv().await;
                n += 1;
            }
        });
        let p = ping.clone();
        let pong = spawn(move |mut ctx: Ctx<u64>| async move {
            loop {
                ctx.recv().await;
                p.send(ctx.pid()).await.unwrap();
            }
        });
        ping.send(pong.clone()).await.unwrap();
        pong.wait().await;
    })
}

/// A process that spawns the next one and exits, forever.
fn spawn_storm() -> Body {
    fn next() {
        spawn(|_: Ctx<()>| async { next() });
    }
    Box::pin(async {
        next();
        std::future::pending::<()>().await
    })
}

const LIVELOCKS: [Livelock; 5] = [
    ("yield loop", yield_loop),
    ("bounded(1) ping-pong", bounded_ping_pong),
    ("sync::Channel ping-pong", channel_ping_pong),
    ("mailbox ping-pong", mailbox_ping_pong),
    ("spawn storm", spawn_storm),
];

#[test]
fn every_livelock_spends_the_step_budget_in_fifo_and_seeded_mode() {
    let deadline = Duration::from_secs(3600);
    let configs = [
        Config::fifo(),
        Config::seeded(1),
        Config::seeded(2).max_delay(Duration::from_millis(1)),
    ];
    for (name, body) in LIVELOCKS {
        for config in &configs {
            let config = config.clone().deadline(deadline).max_steps(BUDGET);
            let out = deterministic::run(config.clone(), body());
            let Err(RunError::StepBudgetExhausted(overrun)) = &out.result else {
                panic!("{name} under {config:?}: {:?}", out.result)
            };
            assert_eq!(overrun.steps, BUDGET, "{name}");
            assert_eq!(out.steps, BUDGET, "{name}");
            assert!(!overrun.runnable.is_empty(), "{name}: {overrun:?}");
            assert!(out.elapsed < deadline, "{name}: the deadline never comes");
            let text = out.result.unwrap_err().to_string();
            assert!(text.contains("step budget of 20000 polls"), "{text}");
        }
    }
}

#[test]
fn with_every_default_a_livelocked_seed_fails_instead_of_hanging() {
    let report = Harness::new().seeds(1).explore(yield_loop);
    let failure = report.failure.expect("the loop never ends");
    let FailureKind::StepBudgetExhausted(overrun) = &failure.kind else {
        panic!("{failure}")
    };
    assert_eq!(overrun.steps, deterministic::DEFAULT_MAX_STEPS);
}

#[test]
fn the_harness_reports_a_livelock_with_its_seed_trace_and_replay_line() {
    let report = Harness::new()
        .seeds(10)
        .first_seed(4)
        .max_steps(BUDGET)
        .trace_tail(8)
        .explore(mailbox_ping_pong);
    let failure = report.failure.expect("the ping-pong never ends");
    assert_eq!(failure.seed, 4, "the first seed already livelocks");
    assert!(matches!(failure.kind, FailureKind::StepBudgetExhausted(_)));
    let text = failure.to_string();
    for needle in [
        "protocol test failed at seed 4".to_string(),
        "step budget of 20000 polls".to_string(),
        "last 8 events:".to_string(),
        "run <0.".to_string(),
        format!("hash {:016x}", failure.trace.hash()),
        "replay:  ACTOR_SEED=4 cargo test -- --exact \
         the_harness_reports_a_livelock_with_its_seed_trace_and_replay_line"
            .to_string(),
    ] {
        assert!(text.contains(&needle), "{needle:?} not in:\n{text}");
    }
    // The replay stops at the same step with the same trace.
    let again = deterministic::run(
        Harness::new().max_steps(BUDGET).config(4),
        mailbox_ping_pong(),
    );
    assert_eq!(again.trace.hash(), failure.trace.hash());
}

#[test]
fn the_watchdog_stops_a_run_the_budget_allows() {
    let out = deterministic::run(
        Config::seeded(1)
            .max_steps(u64::MAX)
            .watchdog(Duration::ZERO),
        channel_ping_pong(),
    );
    let Err(RunError::WatchdogExpired { overrun, .. }) = &out.result else {
        panic!("{:?}", out.result)
    };
    assert!(
        overrun.steps < 2048,
        "checked every 1,024 polls: {overrun:?}"
    );
    let text = out.result.unwrap_err().to_string();
    assert!(text.contains("wall-clock watchdog expired"), "{text}");
}

#[test]
fn a_run_that_ends_is_not_stopped_by_a_budget_it_stays_within() {
    let out = deterministic::run(Config::seeded(1).max_steps(100), async {
        let pid = spawn(|mut ctx: Ctx<u32>| async move {
            ctx.recv().await;
        });
        pid.send(1).await.unwrap();
        pid.wait().await
    });
    assert!(out.result.unwrap().is_normal());
    assert!(out.steps <= 100 && out.steps > 0, "{}", out.steps);
}
