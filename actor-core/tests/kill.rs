//! Killing: untrappable, cooperative (at the next `.await`), and total.

use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{Ctx, ExitReason, Runtime, spawn};

#[tokio::test]
async fn kill_ends_a_process_waiting_in_receive() {
    let p = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
    p.kill();
    assert_eq!(p.wait().await, ExitReason::Killed);
    assert!(!p.is_alive());
}

#[test]
fn kill_ends_a_process_sleeping_elsewhere() {
    Runtime::deterministic(Config::fifo()).block_on(async {
        let p = spawn(|_ctx: Ctx<()>| async move {
            actor_core::sleep(Duration::from_secs(3600)).await;
            ExitReason::other("overslept")
        });
        actor_core::yield_now().await;
        p.kill();
        assert_eq!(p.wait().await, ExitReason::Killed);
        assert!(actor_core::now() < Duration::from_secs(3600));
    });
}

#[tokio::test]
async fn a_killed_process_spreads_killed_to_its_links() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let parent = spawn(move |mut ctx: Ctx<()>| async move {
        let child = ctx.spawn_link(|mut c: Ctx<()>| async move { c.recv().await });
        tx.send(child).unwrap();
        ctx.recv().await
    });
    let child = rx.await.unwrap();
    parent.kill();
    assert_eq!(parent.wait().await, ExitReason::Killed);
    assert_eq!(child.wait().await, ExitReason::Killed);
}

#[tokio::test]
async fn messages_to_a_killed_process_are_given_back() {
    let p = spawn(|mut ctx: Ctx<String>| async move {
        ctx.recv_match(|_| false).await;
    });
    p.kill();
    p.wait().await;
    let err = p.send("lost?".to_string()).await.unwrap_err();
    assert_eq!(err.0, "lost?");
}

#[tokio::test]
async fn killing_a_dead_process_is_harmless() {
    let p = spawn(|_ctx: Ctx<()>| async {});
    assert!(p.wait().await.is_normal());
    p.kill();
    assert!(p.wait().await.is_normal(), "the first reason stands");
}
