//! Timers: send_after, intervals, cancel, timeout, sleep, in virtual time.

use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{Ctx, Elapsed, Runtime, send_after, send_interval, sleep, spawn, timeout};

fn det<F: std::future::Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::seeded(5)).block_on(f)
}

#[test]
fn send_after_delivers_at_the_given_time() {
    det(async {
        let q = spawn(|mut ctx: Ctx<&'static str>| async move {
            assert_eq!(ctx.recv().await, "wake");
            assert_eq!(actor_core::now(), Duration::from_secs(90));
        });
        send_after(&q, "wake", Duration::from_secs(90));
        assert!(q.wait().await.is_normal());
    });
}

#[test]
fn a_cancelled_timer_sends_nothing() {
    det(async {
        let p = spawn(|mut ctx: Ctx<u8>| async move {
            assert_eq!(ctx.recv_timeout(Duration::from_secs(100)).await, None);
        });
        let t = send_after(&p, 1, Duration::from_secs(10));
        t.cancel();
        assert!(t.is_cancelled());
        assert!(p.wait().await.is_normal());
    });
}

#[test]
fn intervals_tick_without_drift() {
    det(async {
        let p = spawn(|mut ctx: Ctx<u32>| async move {
            for i in 1..=5u64 {
                ctx.recv().await;
                assert_eq!(actor_core::now(), Duration::from_millis(250 * i));
            }
        });
        let t = send_interval(&p, Duration::from_millis(250), || 0);
        assert!(p.wait().await.is_normal());
        t.cancel();
    });
}

#[test]
fn an_interval_stops_when_its_process_ends() {
    let out = actor_core::deterministic::run(Config::fifo(), async {
        let p = spawn(|mut ctx: Ctx<u32>| async move {
            ctx.recv().await;
        });
        send_interval(&p, Duration::from_secs(1), || 0);
        p.wait().await;
    });
    // The run ends: no interval timer keeps it going (or deadlocks it).
    out.result.unwrap();
}

#[test]
fn timeout_gives_elapsed_and_drops_the_future() {
    det(async {
        assert_eq!(
            timeout(Duration::from_secs(1), sleep(Duration::from_secs(2))).await,
            Err(Elapsed)
        );
        assert_eq!(actor_core::now(), Duration::from_secs(1));
        assert_eq!(timeout(Duration::from_secs(3), async { 9 }).await, Ok(9));
    });
}

#[tokio::test(start_paused = true)]
async fn timers_follow_tokios_paused_clock() {
    let p = spawn(|mut ctx: Ctx<u8>| async move {
        assert_eq!(ctx.recv_timeout(Duration::from_secs(3600)).await, None);
    });
    assert!(p.wait().await.is_normal());
}

#[tokio::test]
async fn yield_now_lets_others_run() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let a = {
        let tx = tx.clone();
        spawn(move |_c: Ctx<()>| async move {
            for i in 0..3 {
                tx.send(('a', i)).unwrap();
                actor_core::yield_now().await;
            }
        })
    };
    let b = spawn(move |_c: Ctx<()>| async move {
        for i in 0..3 {
            tx.send(('b', i)).unwrap();
            actor_core::yield_now().await;
        }
    });
    a.wait().await;
    b.wait().await;
    let mut seen = Vec::new();
    while let Ok(x) = rx.try_recv() {
        seen.push(x);
    }
    assert_eq!(seen.len(), 6);
    // Interleaved, not one after the other.
    assert_ne!(seen[..3].iter().map(|x| x.0).collect::<String>(), "aaa");
}

/// A sleep longer than any clock can hold waits (as good as forever) on
/// both runtimes, and seeded delays and jitter as large as `Duration::MAX`
/// are accepted: no overflow anywhere.
#[test]
fn huge_durations_do_not_overflow() {
    let huge = Duration::from_secs(u64::MAX);
    let paused = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    paused.block_on(async {
        assert_eq!(
            timeout(Duration::from_secs(1), sleep(huge)).await,
            Err(Elapsed)
        );
    });
    let config = Config::seeded(3)
        .max_delay(Duration::MAX)
        .timer_jitter(Duration::MAX);
    Runtime::deterministic(config).block_on(async {
        let p = spawn(|mut ctx: Ctx<u8>| async move { assert_eq!(ctx.recv().await, 7) });
        p.send(7).await.unwrap();
        assert!(p.wait().await.is_normal());
        assert_eq!(
            timeout(Duration::from_secs(1), sleep(huge)).await,
            Err(Elapsed)
        );
    });
}
