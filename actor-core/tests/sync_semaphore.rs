//! Semaphore and Lock: at most N (or one) holders at once, waiters served
//! in arrival order, waits with a timeout in virtual time, and a Lock that
//! makes a read-then-write conversation safe under every seed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::sync::{Lock, Semaphore};
use actor_core::testing::Harness;
use actor_core::{Ctx, Pid, Reply, Runtime, spawn, yield_now};

#[test]
fn a_semaphore_bounds_how_many_hold_it_at_once() {
    for seed in 0..30 {
        let out = deterministic::run(Config::seeded(seed), async {
            let sem = Semaphore::new(3);
            let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
            let workers: Vec<_> = (0..10)
                .map(|_| {
                    let (sem, now, peak) = (sem.clone(), now.clone(), peak.clone());
                    spawn(move |_: Ctx<()>| async move {
                        let _permit = sem.acquire().await;
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        actor_core::sleep(Duration::from_millis(10)).await;
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for w in workers {
                assert!(w.wait().await.is_normal());
            }
            (
                peak.load(Ordering::SeqCst),
                sem.available(),
                actor_core::now(),
            )
        });
        // Ten jobs of 10 ms, three at a time: four rounds.
        assert_eq!(
            out.result,
            Ok((3, 3, Duration::from_millis(40))),
            "seed {seed}"
        );
    }
}

#[test]
fn waiters_are_served_in_arrival_order() {
    let order = Arc::new(Mutex::new(Vec::new()));
    let o = order.clone();
    Runtime::deterministic(Config::fifo()).block_on(async move {
        let sem = Semaphore::new(1);
        let held = sem.acquire().await;
        let waiters: Vec<_> = (0..4)
            .map(|i| {
                let (sem, o) = (sem.clone(), o.clone());
                spawn(move |_: Ctx<()>| async move {
                    let _p = sem.acquire().await;
                    o.lock().unwrap().push(i);
                    yield_now().await;
                })
            })
            .collect();
        yield_now().await;
        drop(held);
        for w in waiters {
            w.wait().await;
        }
    });
    assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3]);
}

#[test]
fn acquire_and_lock_with_a_timeout_give_up_in_virtual_time() {
    let out = deterministic::run(Config::fifo(), async {
        let (sem, lock) = (Semaphore::new(1), Lock::new());
        let _p = sem.acquire().await;
        let _g = lock.lock().await;
        assert!(lock.is_locked());
        let a = sem.acquire_timeout(Duration::from_secs(1)).await.is_some();
        let b = lock.lock_timeout(Duration::from_secs(2)).await.is_some();
        (a, b)
    });
    assert_eq!(out.result, Ok((false, false)));
    assert_eq!(out.elapsed, Duration::from_secs(3));
}

#[test]
fn a_permit_moved_into_a_process_is_released_when_it_is_killed() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let sem = Semaphore::new(1);
        let permit = sem.acquire().await;
        let holder = spawn(move |mut ctx: Ctx<()>| async move {
            let _permit = permit;
            ctx.recv().await;
        });
        assert_eq!(sem.available(), 0);
        holder.kill();
        holder.wait().await;
        assert_eq!(sem.available(), 1);
    });
}

enum Msg {
    Get(Reply<u64>),
    Set(u64, Reply<()>),
}

fn counter() -> Pid<Msg> {
    spawn(|mut ctx: Ctx<Msg>| async move {
        let mut value = 0;
        loop {
            match ctx.recv().await {
                Msg::Get(r) => {
                    let _ = r.send(value);
                }
                Msg::Set(v, r) => {
                    value = v;
                    let _ = r.send(());
                }
            }
        }
    })
}

#[test]
fn a_lock_around_read_then_write_loses_no_update_under_any_seed() {
    Harness::new().seeds(300).run(|| async {
        let (c, lock) = (counter(), Lock::new());
        let t = Duration::from_secs(1);
        let clients: Vec<_> = (0..3)
            .map(|_| {
                let (c, lock) = (c.clone(), lock.clone());
                spawn(move |_: Ctx<()>| async move {
                    let _held = lock.lock().await;
                    let v = c.call(Msg::Get, t).await.unwrap();
                    c.call(|r| Msg::Set(v + 1, r), t).await.unwrap();
                })
            })
            .collect();
        for cl in &clients {
            cl.wait().await;
        }
        match c.call(Msg::Get, t).await {
            Ok(3) => Ok(()),
            other => Err(format!("expected 3, got {other:?}")),
        }
    });
}

#[test]
fn a_lock_excludes_across_tokios_threads() {
    Runtime::tokio().block_on(async {
        let lock = Lock::new();
        let inside = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (lock, inside) = (lock.clone(), inside.clone());
                spawn(move |_: Ctx<()>| async move {
                    for _ in 0..100 {
                        let _g = lock.lock().await;
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        yield_now().await;
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for w in workers {
            assert!(w.wait().await.is_normal());
        }
    });
}

/// A deterministic run started inside a tokio task does not spend that
/// task's cooperative budget: a thousand acquires do not end in a false
/// deadlock.
#[tokio::test]
async fn a_run_inside_a_tokio_task_is_not_cut_short_by_its_budget() {
    let out = deterministic::run(Config::fifo(), async {
        let sem = Semaphore::new(1);
        for _ in 0..1000 {
            let _permit = sem.acquire().await;
        }
    });
    assert!(out.result.is_ok(), "{:?}", out.result.err());
}
