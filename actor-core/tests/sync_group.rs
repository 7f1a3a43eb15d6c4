//! Group and Pool: join waits for every member, kill ends them all,
//! imap_unordered yields results in completion order (and exit reasons for
//! items whose process failed), and a pool bounds how many run at once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::sync::{Group, Pool};
use actor_core::{Ctx, ExitReason, Runtime, spawn, yield_now};

#[test]
fn join_waits_for_every_member_including_late_ones() {
    let out = deterministic::run(Config::seeded(5), async {
        let group = Group::new();
        for secs in [3, 1, 2] {
            let g = group.clone();
            group.spawn(move |_: Ctx<()>| async move {
                actor_core::sleep(Duration::from_secs(secs)).await;
                if secs == 3 {
                    g.spawn(|_: Ctx<()>| async {
                        actor_core::sleep(Duration::from_secs(4)).await;
                    });
                }
            });
        }
        assert_eq!(group.len(), 3);
        group.join().await;
        (group.is_empty(), actor_core::now())
    });
    assert_eq!(out.result, Ok((true, Duration::from_secs(7))));
}

#[test]
fn kill_ends_every_member_and_drops_their_state() {
    struct Held(Arc<AtomicUsize>);
    impl Drop for Held {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let dropped = Arc::new(AtomicUsize::new(0));
    let d = dropped.clone();
    Runtime::deterministic(Config::fifo()).block_on(async move {
        let group = Group::new();
        let members: Vec<_> = (0..4)
            .map(|_| {
                let held = Held(d.clone());
                group.spawn(move |mut ctx: Ctx<()>| async move {
                    let _held = held;
                    ctx.recv().await;
                })
            })
            .collect();
        yield_now().await;
        group.kill().await;
        for m in members {
            assert_eq!(m.wait().await, ExitReason::Killed);
        }
        assert!(group.is_empty());
    });
    assert_eq!(dropped.load(Ordering::SeqCst), 4);
}

#[test]
fn imap_unordered_yields_results_in_completion_order() {
    let out = deterministic::run(Config::fifo(), async {
        let group = Group::new();
        let mut results = group.imap_unordered(
            |secs: u64| async move {
                actor_core::sleep(Duration::from_secs(secs)).await;
                secs
            },
            [5, 1, 4, 2, 3],
        );
        let mut order = Vec::new();
        while let Some(r) = results.next().await {
            order.push((r.unwrap(), actor_core::now().as_secs()));
        }
        order
    });
    assert_eq!(out.result, Ok(vec![(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]));
}

#[test]
fn imap_unordered_yields_the_exit_reason_of_a_failed_item() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let group = Group::new();
        let mut results = group.imap_unordered(
            |n: u32| async move {
                assert_ne!(n, 2, "two is right out");
                n * 10
            },
            1..=3,
        );
        let mut got = Vec::new();
        while let Some(r) = results.next().await {
            got.push(r);
        }
        assert_eq!(got.len(), 3);
        assert!(got.contains(&Ok(10)) && got.contains(&Ok(30)));
        let failed = got.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(
            matches!(failed, ExitReason::Panicked(m) if m.contains("two is right out")),
            "{failed:?}"
        );
    });
}

#[test]
fn imap_unordered_works_as_a_stream_on_tokio() {
    use futures::StreamExt;
    Runtime::tokio().block_on(async {
        let group = Group::new();
        let mut sum = 0;
        let mut results = group.imap_unordered(|n: u64| async move { n * n }, 0..100);
        while let Some(r) = results.next().await {
            sum += r.unwrap();
        }
        assert_eq!(sum, (0..100).map(|n| n * n).sum::<u64>());
        let collected: Vec<_> = group
            .imap_unordered(|n: u64| async move { n }, 0..3)
            .collect()
            .await;
        assert_eq!(collected.len(), 3);
    });
}

#[test]
fn a_pool_runs_at_most_its_size_at_once() {
    for seed in 0..20 {
        let out = deterministic::run(Config::seeded(seed), async {
            let pool = Pool::new(3);
            let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let (n2, p2) = (now.clone(), peak.clone());
            let mut results = pool.imap_unordered(
                move |i: u32| {
                    let (now, peak) = (n2.clone(), p2.clone());
                    async move {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        actor_core::sleep(Duration::from_millis(10)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                        i
                    }
                },
                0..12,
            );
            let mut count = 0;
            while let Some(r) = results.next().await {
                r.unwrap();
                count += 1;
            }
            pool.join().await;
            (count, peak.load(Ordering::SeqCst), pool.free_count())
        });
        assert_eq!(out.result, Ok((12, 3, 3)), "seed {seed}");
        assert_eq!(out.elapsed, Duration::from_millis(40), "seed {seed}");
    }
}

#[test]
fn pool_spawn_waits_for_a_free_slot() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    Runtime::deterministic(Config::fifo()).block_on(async move {
        let pool = Pool::new(2);
        assert_eq!(pool.size(), 2);
        for i in 0..4 {
            let l = l.clone();
            pool.spawn(move |_: Ctx<()>| async move {
                l.lock()
                    .unwrap()
                    .push(format!("start {i} at {:?}", actor_core::now()));
                actor_core::sleep(Duration::from_secs(1)).await;
            })
            .await;
        }
        pool.join().await;
    });
    assert_eq!(
        *log.lock().unwrap(),
        [
            "start 0 at 0ns",
            "start 1 at 0ns",
            "start 2 at 1s",
            "start 3 at 1s"
        ]
    );
}

#[test]
fn killing_a_pool_frees_its_slots() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let pool = Pool::new(2);
        for _ in 0..2 {
            pool.spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await })
                .await;
        }
        assert_eq!(pool.free_count(), 0);
        assert_eq!(pool.len(), 2);
        pool.kill().await;
        assert_eq!(pool.free_count(), 2);
        assert!(pool.is_empty());
        let p = spawn(|_: Ctx<()>| async {});
        pool.add(&p);
        pool.join().await;
    });
}
