//! Panics become exit reasons; nothing else goes down.

use actor_core::{Ctx, ExitReason, Runtime, spawn};

#[tokio::test]
async fn a_panic_becomes_the_exit_reason_with_its_message() {
    let p = spawn(|mut ctx: Ctx<u32>| async move {
        let n = ctx.recv().await;
        panic!("bad input {n}");
    });
    p.send(3).await.unwrap();
    assert_eq!(p.wait().await, ExitReason::Panicked("bad input 3".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_does_not_touch_unrelated_processes() {
    let bystander = spawn(|mut ctx: Ctx<u32>| async move {
        let mut sum = 0;
        loop {
            match ctx.recv().await {
                0 => return ExitReason::other(format!("sum {sum}")),
                n => sum += n,
            }
        }
    });
    let crashers: Vec<_> = (0..100)
        .map(|i| spawn(move |_c: Ctx<()>| async move { panic!("crash {i}") }))
        .collect();
    for (i, c) in crashers.iter().enumerate() {
        assert_eq!(
            c.wait().await,
            ExitReason::Panicked(format!("crash {i}").into())
        );
        bystander.send(1).await.unwrap();
    }
    bystander.send(0).await.unwrap();
    assert_eq!(bystander.wait().await, ExitReason::other("sum 100"));
}

#[test]
fn the_runtime_survives_panicking_processes() {
    let rt = Runtime::tokio_current_thread();
    for round in 0..3 {
        let reason = rt.block_on(async move {
            spawn(move |_c: Ctx<()>| async move { panic!("round {round}") })
                .wait()
                .await
        });
        assert_eq!(
            reason,
            ExitReason::Panicked(format!("round {round}").into())
        );
    }
}

#[tokio::test]
async fn a_panic_with_a_non_string_payload_still_says_so() {
    let p = spawn(|_c: Ctx<()>| async { std::panic::panic_any(42u8) });
    let ExitReason::Panicked(msg) = p.wait().await else {
        panic!("expected Panicked")
    };
    assert!(msg.contains("non-string"));
}

#[tokio::test]
async fn a_panic_propagates_along_links_as_panicked() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let parent = spawn(move |mut ctx: Ctx<()>| async move {
        let child = ctx.spawn_link(|mut c: Ctx<()>| async move {
            c.recv().await;
            panic!("child panic");
        });
        tx.send(child).unwrap();
        ctx.recv().await
    });
    rx.await.unwrap().send(()).await.unwrap();
    assert_eq!(
        parent.wait().await,
        ExitReason::Panicked("child panic".into())
    );
}
