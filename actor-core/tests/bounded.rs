//! Bounded mailboxes: try_send says Full and gives the message back; send
//! waits for room; nothing is lost or duplicated.

use actor_core::deterministic::Config;
use actor_core::{Ctx, Runtime, SendError, Spawn, TrySendError};

#[test]
fn try_send_on_a_full_mailbox_gives_the_message_back() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let p = Spawn::new()
            .bounded(2)
            .spawn(|mut ctx: Ctx<u32>| async move {
                go_rx.await.unwrap();
                assert_eq!([ctx.recv().await, ctx.recv().await], [1, 2]);
            });
        p.try_send(1).unwrap();
        p.try_send(2).unwrap();
        assert_eq!(p.try_send(3), Err(TrySendError::Full(3)));
        go_tx.send(()).unwrap();
        assert!(p.wait().await.is_normal());
        assert_eq!(p.try_send(4), Err(TrySendError::Closed(4)));
    });
}

#[test]
fn send_waits_for_room_and_loses_nothing() {
    Runtime::deterministic(Config::seeded(9)).block_on(async {
        let p = Spawn::new()
            .bounded(3)
            .spawn(|mut ctx: Ctx<u32>| async move {
                for expected in 0..1000 {
                    assert_eq!(ctx.recv().await, expected);
                    if expected % 7 == 0 {
                        actor_core::yield_now().await;
                    }
                }
            });
        for n in 0..1000 {
            p.send(n).await.unwrap();
        }
        assert!(p.wait().await.is_normal());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_mailbox_under_two_producers() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let p = Spawn::new()
        .bounded(8)
        .spawn(move |mut ctx: Ctx<u64>| async move {
            let mut sum = 0;
            for _ in 0..20_000 {
                sum += ctx.recv().await;
            }
            tx.send(sum).unwrap();
        });
    for _ in 0..2 {
        let p = p.clone();
        actor_core::spawn(move |_c: Ctx<()>| async move {
            for n in 1..=10_000u64 {
                p.send(n).await.unwrap();
            }
        });
    }
    assert_eq!(rx.await.unwrap(), 2 * 10_000 * 10_001 / 2);
}

#[test]
fn a_sender_waiting_for_room_gets_its_message_back_when_the_process_dies() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let p = Spawn::new()
            .bounded(1)
            .spawn(|mut ctx: Ctx<u32>| async move {
                ctx.recv_match(|_| false).await;
            });
        p.send(1).await.unwrap();
        let p2 = p.clone();
        let killer = actor_core::spawn(move |_c: Ctx<()>| async move {
            actor_core::sleep(std::time::Duration::from_secs(1)).await;
            p2.kill();
        });
        assert_eq!(p.send(2).await, Err(SendError(2)));
        assert!(killer.wait().await.is_normal());
    });
}

#[test]
fn selective_receive_leftovers_still_take_room() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let p = Spawn::new()
            .bounded(2)
            .spawn(move |mut ctx: Ctx<u32>| async move {
                let got = ctx.recv_match(|n| *n == 99).await;
                tx.send(got).unwrap();
                ctx.recv_match(|_| false).await;
            });
        p.try_send(1).unwrap();
        p.try_send(99).unwrap();
        assert_eq!(rx.await.unwrap(), 99);
        // 1 is still held by the process: one slot is free, not two.
        p.try_send(2).unwrap();
        assert_eq!(p.try_send(3), Err(TrySendError::Full(3)));
    });
}

/// A sender that gave up waiting for room does not take the wakeup meant
/// for one still waiting.
#[test]
fn a_cancelled_sender_does_not_strand_the_next_one() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let p = Spawn::new()
            .bounded(1)
            .spawn(|mut ctx: Ctx<u32>| async move {
                go_rx.await.unwrap();
                assert_eq!([ctx.recv().await, ctx.recv().await], [1, 3]);
            });
        p.try_send(1).unwrap();
        // Waits for room, then gives up.
        let gave_up = actor_core::timeout(std::time::Duration::from_secs(1), p.send(2)).await;
        assert!(gave_up.is_err());
        // Waits for room until the receiver takes message 1.
        let q = p.clone();
        let waiting = actor_core::spawn(move |_: Ctx<()>| async move {
            q.send(3).await.unwrap();
        });
        actor_core::yield_now().await;
        go_tx.send(()).unwrap();
        assert!(waiting.wait().await.is_normal());
        assert!(p.wait().await.is_normal());
    });
}
