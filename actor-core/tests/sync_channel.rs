//! The rendezvous channel: a send waits for a receiver and a receive for a
//! sender; on a handoff the receiver runs next and the sender goes to the
//! back of the run queue; close fails the waiters and gives values back;
//! a cancelled receive loses nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::deterministic::{self, Config};
use actor_core::sync::{Channel, ChannelClosed};
use actor_core::{Ctx, Runtime, spawn, yield_now};

type Log = Arc<Mutex<Vec<String>>>;

fn say(log: &Log, s: impl Into<String>) {
    log.lock().unwrap().push(s.into());
}

fn fifo<F: std::future::Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::fifo()).block_on(f)
}

#[test]
fn a_handoff_runs_the_receiver_next_and_sends_the_sender_to_the_back() {
    let log = Log::default();
    let l = log.clone();
    fifo(async move {
        let ch = Channel::new();
        let (c, l1) = (ch.clone(), l.clone());
        let r = spawn(move |_: Ctx<()>| async move {
            say(&l1, "r waits");
            say(&l1, c.recv().await.unwrap());
            say(&l1, "r done");
        });
        let (c, l2) = (ch.clone(), l.clone());
        let s = spawn(move |_: Ctx<()>| async move {
            say(&l2, "s sends");
            c.send("value").await.unwrap();
            say(&l2, "s done");
        });
        let l3 = l.clone();
        let a = spawn(move |_: Ctx<()>| async move { say(&l3, "a runs") });
        for p in [r, s, a] {
            p.wait().await;
        }
    });
    assert_eq!(
        *log.lock().unwrap(),
        ["r waits", "s sends", "value", "r done", "a runs", "s done"]
    );
}

#[test]
fn the_main_future_as_receiver_also_runs_next() {
    let log = Log::default();
    let l = log.clone();
    fifo(async move {
        let ch = Channel::new();
        let c = ch.clone();
        let s = spawn(move |_: Ctx<()>| async move { c.send(1).await.unwrap() });
        let l2 = l.clone();
        let a = spawn(move |_: Ctx<()>| async move { say(&l2, "a runs") });
        say(&l, format!("main got {}", ch.recv().await.unwrap()));
        for p in [s, a] {
            p.wait().await;
        }
    });
    assert_eq!(*log.lock().unwrap(), ["main got 1", "a runs"]);
}

#[test]
fn a_receiver_that_finds_a_sender_waiting_goes_on_at_once() {
    let log = Log::default();
    let l = log.clone();
    fifo(async move {
        let ch = Channel::new();
        let (c, l1) = (ch.clone(), l.clone());
        let s = spawn(move |_: Ctx<()>| async move {
            say(&l1, "s sends");
            c.send(1).await.unwrap();
            say(&l1, "s done");
        });
        let (c, l2) = (ch.clone(), l.clone());
        let r = spawn(move |_: Ctx<()>| async move {
            say(&l2, "r receives");
            assert_eq!(c.recv().await, Ok(1));
            say(&l2, "r got it");
            yield_now().await;
            say(&l2, "r done");
        });
        for p in [s, r] {
            p.wait().await;
        }
    });
    assert_eq!(
        *log.lock().unwrap(),
        ["s sends", "r receives", "r got it", "s done", "r done"]
    );
}

#[test]
fn balance_counts_waiting_senders_and_receivers() {
    fifo(async {
        let ch: Channel<u8> = Channel::new();
        assert_eq!(ch.balance(), 0);
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let c = ch.clone();
                spawn(move |_: Ctx<()>| async move { c.recv().await.map(drop) })
            })
            .collect();
        yield_now().await;
        assert_eq!(ch.balance(), -2);
        ch.send(1).await.unwrap();
        ch.send(2).await.unwrap();
        for r in receivers {
            assert!(r.wait().await.is_normal());
        }
        let c = ch.clone();
        spawn(move |_: Ctx<()>| async move { c.send(3).await.unwrap() });
        yield_now().await;
        assert_eq!(ch.balance(), 1);
        assert_eq!(ch.recv().await, Ok(3));
    });
}

#[test]
fn close_fails_the_waiting_and_gives_values_back() {
    fifo(async {
        let ch: Channel<String> = Channel::new();
        let c = ch.clone();
        let receiver = spawn(move |_: Ctx<()>| async move {
            assert_eq!(c.recv().await, Err(ChannelClosed(())));
        });
        yield_now().await;
        ch.close();
        assert!(receiver.wait().await.is_normal());

        let ch: Channel<String> = Channel::new();
        let c = ch.clone();
        let sender = spawn(move |_: Ctx<()>| async move {
            let err = c.send("kept".to_string()).await.unwrap_err();
            assert_eq!(err.0, "kept");
            assert_eq!(err.to_string(), "the channel is closed");
        });
        yield_now().await;
        ch.close();
        assert!(sender.wait().await.is_normal());
        assert_eq!(
            ch.send("late".into()).await,
            Err(ChannelClosed("late".into()))
        );
        assert_eq!(ch.recv().await, Err(ChannelClosed(())));
    });
}

#[test]
fn a_value_handed_to_a_cancelled_receive_goes_to_the_next_one() {
    fifo(async {
        let ch: Channel<u32> = Channel::new();
        let mut first = Box::pin(ch.recv());
        assert!(futures::poll!(first.as_mut()).is_pending());
        let c = ch.clone();
        let sender = spawn(move |_: Ctx<()>| async move { c.send(9).await.unwrap() });
        sender.wait().await;
        drop(first);
        assert_eq!(ch.recv().await, Ok(9));
    });
}

#[test]
fn a_receive_with_a_timeout_gives_up_in_virtual_time() {
    let out = deterministic::run(Config::fifo(), async {
        let ch: Channel<u32> = Channel::new();
        let r = actor_core::timeout(Duration::from_secs(30), ch.recv()).await;
        (r.is_err(), ch.balance())
    });
    assert_eq!(out.result, Ok((true, 0)));
    assert_eq!(out.elapsed, Duration::from_secs(30));
}

#[test]
fn many_senders_and_receivers_lose_nothing_under_any_seed() {
    for seed in 0..50 {
        let out = deterministic::run(Config::seeded(seed), async {
            let ch: Channel<u32> = Channel::new();
            let total = Arc::new(Mutex::new(0));
            for s in 0..3 {
                let c = ch.clone();
                spawn(move |_: Ctx<()>| async move {
                    for n in 0..20 {
                        c.send(s * 100 + n).await.unwrap();
                    }
                });
            }
            let receivers: Vec<_> = (0..2)
                .map(|_| {
                    let (c, t) = (ch.clone(), total.clone());
                    spawn(move |_: Ctx<()>| async move {
                        for _ in 0..30 {
                            *t.lock().unwrap() += c.recv().await.unwrap();
                        }
                    })
                })
                .collect();
            for r in receivers {
                assert!(r.wait().await.is_normal());
            }
            *total.lock().unwrap()
        });
        assert_eq!(out.result, Ok(3 * 190 + 2000 + 4000), "seed {seed}");
    }
}

#[test]
fn ping_pong_over_a_channel_on_tokios_threads() {
    Runtime::tokio().block_on(async {
        let ch: Channel<u32> = Channel::new();
        let c = ch.clone();
        let ponger = spawn(move |_: Ctx<()>| async move {
            while let Ok(n) = c.recv().await {
                if c.send(n + 1).await.is_err() {
                    break;
                }
            }
        });
        let mut n = 0;
        for _ in 0..1000 {
            ch.send(n).await.unwrap();
            n = ch.recv().await.unwrap();
        }
        assert_eq!(n, 1000);
        ch.close();
        assert!(ponger.wait().await.is_normal());
    });
}

/// A receive polled by a combinator (here `FuturesUnordered`) is woken
/// through the combinator's own waker, on the deterministic runtime as on
/// tokio: moving the task to the front alone would leave it unpolled.
#[test]
fn a_receive_inside_futures_unordered_is_woken_by_the_handoff() {
    use futures::StreamExt;
    use futures::stream::FuturesUnordered;
    for runtime in [
        Runtime::deterministic(Config::fifo()),
        Runtime::tokio_current_thread(),
    ] {
        let got = runtime.block_on(async {
            let ch = Channel::new();
            let c = ch.clone();
            let r = spawn(move |_: Ctx<()>| async move {
                let mut pending: FuturesUnordered<_> = (0..2).map(|_| c.recv()).collect();
                let mut got = vec![
                    pending.next().await.unwrap().unwrap(),
                    pending.next().await.unwrap().unwrap(),
                ];
                got.sort();
                assert_eq!(got, [1, 2]);
            });
            yield_now().await; // the receiver parks, twice, inside the set
            ch.send(1).await.unwrap();
            ch.send(2).await.unwrap();
            r.wait().await
        });
        assert!(got.is_normal(), "{got}");
    }
}
