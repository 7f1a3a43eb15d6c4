//! Monitors: one-way, exactly one Down each, Down(noproc) for the dead.
//! Run on the deterministic runtime, so that "no more messages" is a
//! virtual-time fact, not a wall-clock guess.

use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{Ctx, Down, ExitReason, Runtime, spawn};

fn det<F: std::future::Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::seeded(1)).block_on(f)
}

#[test]
fn down_carries_the_exit_reason() {
    det(async {
        let target = spawn(|mut ctx: Ctx<()>| async move {
            ctx.recv().await;
            ExitReason::other("done for")
        });
        let t = target.clone();
        let watcher = spawn(move |mut ctx: Ctx<Down>| async move {
            let r = ctx.monitor(&t);
            t.send(()).await.unwrap();
            let down = ctx.recv().await;
            assert_eq!(down.monitor, r);
            assert_eq!(down.id, t.id());
            assert_eq!(down.reason, ExitReason::other("done for"));
        });
        assert!(watcher.wait().await.is_normal());
    });
}

#[test]
fn monitoring_a_dead_process_gives_noproc_at_once() {
    det(async {
        let dead = spawn(|_ctx: Ctx<()>| async { ExitReason::other("long gone") });
        dead.wait().await;
        let watcher = spawn(move |mut ctx: Ctx<Down>| async move {
            let r = ctx.monitor(&dead);
            let down = ctx
                .recv_timeout(Duration::ZERO)
                .await
                .expect("already queued");
            assert_eq!(down.monitor, r);
            assert_eq!(down.reason, ExitReason::NoProc);
        });
        assert!(watcher.wait().await.is_normal());
    });
}

#[test]
fn exactly_one_down_per_monitor() {
    det(async {
        let target = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        let t = target.clone();
        let watcher = spawn(move |mut ctx: Ctx<Down>| async move {
            let r1 = ctx.monitor(&t);
            let r2 = ctx.monitor(&t);
            assert_ne!(r1, r2);
            t.kill();
            let mut refs = vec![ctx.recv().await.monitor, ctx.recv().await.monitor];
            refs.sort();
            let mut want = vec![r1, r2];
            want.sort();
            assert_eq!(refs, want);
            assert_eq!(ctx.recv_timeout(Duration::from_secs(60)).await, None);
        });
        assert!(watcher.wait().await.is_normal());
    });
}

#[test]
fn monitors_are_one_way() {
    det(async {
        let target = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        let t = target.clone();
        let watcher = spawn(move |ctx: Ctx<Down>| async move {
            ctx.monitor(&t);
            ExitReason::other("watcher quits")
        });
        assert_eq!(watcher.wait().await, ExitReason::other("watcher quits"));
        assert!(
            target.is_alive(),
            "a watcher's death does not touch the target"
        );
        target.kill();
    });
}

#[test]
fn demonitor_stops_the_down() {
    det(async {
        let target = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        let t = target.clone();
        let watcher = spawn(move |mut ctx: Ctx<Down>| async move {
            let r = ctx.monitor(&t);
            ctx.demonitor(r);
            t.kill();
            t.wait().await;
            assert_eq!(ctx.recv_timeout(Duration::from_secs(1)).await, None);
        });
        assert!(watcher.wait().await.is_normal());
    });
}

#[test]
fn down_and_ordinary_messages_share_one_receive_loop() {
    #[derive(Debug, PartialEq)]
    enum Msg {
        Work(u32),
        Down(ExitReason),
    }
    impl From<Down> for Msg {
        fn from(d: Down) -> Self {
            Msg::Down(d.reason)
        }
    }
    det(async {
        let worker = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        let w = worker.clone();
        let boss = spawn(move |mut ctx: Ctx<Msg>| async move {
            ctx.monitor(&w);
            let me = ctx.pid();
            me.send(Msg::Work(1)).await.unwrap();
            w.send(()).await.unwrap();
            w.wait().await;
            me.send(Msg::Work(2)).await.unwrap();
            let got = vec![ctx.recv().await, ctx.recv().await, ctx.recv().await];
            assert_eq!(
                got,
                vec![Msg::Work(1), Msg::Down(ExitReason::Normal), Msg::Work(2)]
            );
        });
        assert!(boss.wait().await.is_normal());
    });
}

/// Erlang's `demonitor(Ref, [flush])`: a Down already delivered is taken
/// back, on both runtimes and under every seed tried.
#[test]
fn demonitor_flush_takes_back_a_down_already_delivered() {
    let body = || async {
        let target = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
        let t = target.clone();
        let watcher = spawn(move |mut ctx: Ctx<Down>| async move {
            let flushed = ctx.monitor(&t);
            let kept = ctx.monitor(&t);
            t.kill();
            t.wait().await;
            // Both Downs are queued (or in flight and then queued).
            ctx.demonitor_flush(flushed);
            let down = ctx.recv().await;
            assert_eq!(down.monitor, kept);
            assert_eq!(ctx.recv_timeout(Duration::from_secs(1)).await, None);
        });
        assert!(watcher.wait().await.is_normal());
    };
    for seed in 0..20 {
        Runtime::deterministic(Config::seeded(seed)).block_on(body());
    }
    Runtime::tokio_current_thread().block_on(body());
}

/// A Down skipped by a selective receive is still flushed.
#[test]
fn demonitor_flush_reaches_downs_skipped_by_a_selective_receive() {
    #[derive(Debug, PartialEq)]
    enum Msg {
        Work(u32),
        Down(Down),
    }
    impl From<Down> for Msg {
        fn from(d: Down) -> Self {
            Msg::Down(d)
        }
    }
    det(async {
        let target = spawn(|_ctx: Ctx<()>| async {});
        let t = target.clone();
        let boss = spawn(move |mut ctx: Ctx<Msg>| async move {
            let r = ctx.monitor(&t);
            t.wait().await;
            ctx.pid().send(Msg::Work(7)).await.unwrap();
            // Skips the Down, takes the work.
            let work = ctx.recv_match(|m| matches!(m, Msg::Work(_))).await;
            assert_eq!(work, Msg::Work(7));
            ctx.demonitor_flush(r);
            assert_eq!(ctx.recv_timeout(Duration::from_secs(1)).await, None);
        });
        assert!(boss.wait().await.is_normal());
    });
}
