//! Queue: first in, first out, for many producers and consumers; a bounded
//! queue makes producers wait; waits with a timeout follow virtual time
//! and give the value back; a cancelled getter loses no wake-up.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::sync::{Queue, QueueFull};
use actor_core::{Ctx, Runtime, spawn, yield_now};

#[test]
fn items_come_out_in_the_order_they_went_in() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let q = Queue::new();
        for n in 0..5 {
            q.put(n).await;
        }
        assert_eq!(q.len(), 5);
        let mut out = Vec::new();
        while let Some(n) = q.try_get() {
            out.push(n);
        }
        assert_eq!(out, [0, 1, 2, 3, 4]);
        assert!(q.is_empty());
    });
}

#[test]
fn a_bounded_queue_makes_the_producer_wait_for_room() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    Runtime::deterministic(Config::fifo()).block_on(async move {
        let q = Queue::bounded(2);
        let (p, l2) = (q.clone(), l.clone());
        let producer = spawn(move |_: Ctx<()>| async move {
            for n in 0..4 {
                p.put(n).await;
                l2.lock().unwrap().push(format!("put {n}"));
            }
        });
        yield_now().await;
        assert!(q.is_full());
        assert_eq!(q.try_put(9), Err(QueueFull(9)));
        for _ in 0..4 {
            let n = q.get().await;
            l.lock().unwrap().push(format!("got {n}"));
            yield_now().await;
        }
        producer.wait().await;
    });
    let log = log.lock().unwrap().clone();
    assert_eq!(&log[..2], ["put 0", "put 1"]);
    assert_eq!(log.iter().filter(|l| l.starts_with("got")).count(), 4);
    // Never more than two items between a put and its get.
    let mut inside = 0;
    for l in &log {
        inside += if l.starts_with("put") { 1 } else { -1 };
        assert!((0..=2).contains(&inside), "{log:?}");
    }
}

#[test]
fn put_and_get_with_a_timeout_give_up_in_virtual_time() {
    let out = deterministic::run(Config::fifo(), async {
        let q = Queue::bounded(1);
        q.put("a").await;
        let full = q.put_timeout("b", Duration::from_secs(2)).await;
        assert_eq!(q.get().await, "a");
        let empty = q.get_timeout(Duration::from_secs(3)).await;
        (full, empty)
    });
    assert_eq!(out.result, Ok((Err(QueueFull("b")), None)));
    assert_eq!(out.elapsed, Duration::from_secs(5));
}

#[test]
fn a_getter_killed_after_its_wake_up_passes_it_on() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let q: Queue<u32> = Queue::new();
        let (q1, q2) = (q.clone(), q.clone());
        let first = spawn(move |_: Ctx<()>| async move {
            q1.get().await;
        });
        let second = spawn(move |_: Ctx<()>| async move {
            assert_eq!(q2.get().await, 7);
        });
        yield_now().await;
        // The put wakes `first`, which is killed before it can take the
        // item: the wake-up must go on to `second`.
        q.put(7).await;
        first.kill();
        assert_eq!(first.wait().await, actor_core::ExitReason::Killed);
        assert!(second.wait().await.is_normal());
        assert!(q.is_empty());
    });
}

#[test]
fn many_consumers_take_each_item_once_under_every_seed() {
    for seed in 0..50 {
        let out = deterministic::run(Config::seeded(seed), async {
            let q = Queue::bounded(3);
            let got = Arc::new(Mutex::new(Vec::new()));
            let consumers: Vec<_> = (0..3)
                .map(|_| {
                    let (q, got) = (q.clone(), got.clone());
                    spawn(move |_: Ctx<()>| async move {
                        while let Some(n) = q.get_timeout(Duration::from_secs(1)).await {
                            got.lock().unwrap().push(n);
                        }
                    })
                })
                .collect();
            for n in 0..60 {
                q.put(n).await;
            }
            for c in consumers {
                c.wait().await;
            }
            let mut got = got.lock().unwrap().clone();
            got.sort();
            got
        });
        assert_eq!(out.result, Ok((0..60).collect::<Vec<_>>()), "seed {seed}");
    }
}

#[test]
fn producers_and_consumers_on_tokios_threads() {
    Runtime::tokio().block_on(async {
        let q = Queue::bounded(8);
        let producers: Vec<_> = (0..4u64)
            .map(|p| {
                let q = q.clone();
                spawn(move |_: Ctx<()>| async move {
                    for n in 0..250 {
                        q.put(p * 1000 + n).await;
                    }
                })
            })
            .collect();
        let mut sum = 0;
        for _ in 0..1000 {
            sum += q.get().await;
        }
        for p in producers {
            assert!(p.wait().await.is_normal());
        }
        assert_eq!(sum, 4 * (250 * 249 / 2) + 250 * 6000);
    });
}
