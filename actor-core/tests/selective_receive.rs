//! Selective receive: the first match is taken, the rest stay queued in
//! order; timeouts take nothing.

use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{Ctx, Runtime, spawn};

fn det<F: std::future::Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::seeded(4)).block_on(f)
}

#[test]
fn skipped_messages_keep_their_order() {
    det(async {
        let p = spawn(|mut ctx: Ctx<u32>| async move {
            let me = ctx.pid();
            for n in 1..=6 {
                me.send(n).await.unwrap();
            }
            assert_eq!(ctx.recv_match(|n| n % 3 == 0).await, 3);
            assert_eq!(ctx.recv_match(|n| n % 3 == 0).await, 6);
            let rest = [
                ctx.recv().await,
                ctx.recv().await,
                ctx.recv().await,
                ctx.recv().await,
            ];
            assert_eq!(rest, [1, 2, 4, 5]);
        });
        assert!(p.wait().await.is_normal());
    });
}

#[test]
fn selective_receive_waits_for_a_match_that_arrives_later() {
    det(async {
        let p = spawn(|mut ctx: Ctx<&'static str>| async move {
            let got = ctx.recv_match(|m| m.starts_with("reply")).await;
            assert_eq!(got, "reply: 42");
            assert_eq!(ctx.recv().await, "noise 1");
            assert_eq!(ctx.recv().await, "noise 2");
        });
        for m in ["noise 1", "noise 2", "reply: 42"] {
            p.send(m).await.unwrap();
            actor_core::sleep(Duration::from_millis(10)).await;
        }
        assert!(p.wait().await.is_normal());
    });
}

#[test]
fn a_timed_out_selective_receive_takes_nothing() {
    det(async {
        let p = spawn(|mut ctx: Ctx<u8>| async move {
            let me = ctx.pid();
            me.send(1).await.unwrap();
            me.send(2).await.unwrap();
            assert_eq!(
                ctx.recv_match_timeout(|n| *n > 5, Duration::from_secs(2))
                    .await,
                None
            );
            assert_eq!(ctx.queued(), 2);
            assert_eq!(ctx.recv().await, 1);
            assert_eq!(ctx.recv().await, 2);
        });
        assert!(p.wait().await.is_normal());
    });
}

#[test]
fn receive_with_timeout_is_erlangs_after() {
    det(async {
        let p = spawn(|mut ctx: Ctx<u8>| async move {
            let t0 = actor_core::now();
            assert_eq!(ctx.recv_timeout(Duration::from_secs(5)).await, None);
            assert_eq!(actor_core::now() - t0, Duration::from_secs(5));
            assert_eq!(ctx.recv_timeout(Duration::from_secs(5)).await, Some(7));
        });
        actor_core::sleep(Duration::from_secs(6)).await;
        p.send(7).await.unwrap();
        assert!(p.wait().await.is_normal());
    });
}

#[tokio::test]
async fn per_sender_order_is_kept_across_many_messages() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let sink = spawn(move |mut ctx: Ctx<(u8, u32)>| async move {
        let mut next = [0u32; 4];
        for _ in 0..40_000 {
            let (who, n) = ctx.recv().await;
            assert_eq!(n, next[who as usize], "sender {who} out of order");
            next[who as usize] += 1;
        }
        tx.send(next).unwrap();
    });
    for who in 0..4u8 {
        let sink = sink.clone();
        spawn(move |_c: Ctx<()>| async move {
            for n in 0..10_000 {
                sink.send((who, n)).await.unwrap();
            }
        });
    }
    assert_eq!(rx.await.unwrap(), [10_000; 4]);
}
