//! Cleanup: a process's state is dropped however it ends, so `Drop` frees
//! what it held (gevent's try/finally after GreenletExit).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actor_core::{Ctx, ExitReason, spawn};

struct Resource(Arc<AtomicUsize>);
impl Drop for Resource {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn dropped_when(end: impl FnOnce(&actor_core::Pid<u8>)) -> (usize, ExitReason) {
    let drops = Arc::new(AtomicUsize::new(0));
    let res = Resource(drops.clone());
    let p = spawn(move |mut ctx: Ctx<u8>| async move {
        let _held = res;
        match ctx.recv().await {
            0 => ExitReason::Normal,
            1 => panic!("panicking with a resource"),
            _ => ExitReason::other("error"),
        }
    });
    end(&p);
    let reason = p.wait().await;
    (drops.load(Ordering::SeqCst), reason)
}

#[tokio::test]
async fn state_is_dropped_on_normal_exit() {
    let (n, r) = dropped_when(|p| p.try_send(0).unwrap()).await;
    assert_eq!((n, r), (1, ExitReason::Normal));
}

#[tokio::test]
async fn state_is_dropped_on_panic() {
    let (n, r) = dropped_when(|p| p.try_send(1).unwrap()).await;
    assert_eq!(n, 1);
    assert!(matches!(r, ExitReason::Panicked(_)));
}

#[tokio::test]
async fn state_is_dropped_on_kill() {
    let (n, r) = dropped_when(|p| p.kill()).await;
    assert_eq!((n, r), (1, ExitReason::Killed));
}

#[tokio::test]
async fn state_is_dropped_on_exit_signal() {
    let (n, r) = dropped_when(|p| p.exit(ExitReason::Shutdown)).await;
    assert_eq!((n, r), (1, ExitReason::Shutdown));
}

#[tokio::test]
async fn state_is_dropped_before_monitors_hear_of_the_exit() {
    let drops = Arc::new(AtomicUsize::new(0));
    let res = Resource(drops.clone());
    let p = spawn(move |mut ctx: Ctx<()>| async move {
        let _held = res;
        ctx.recv().await
    });
    let d = drops.clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn(move |mut ctx: Ctx<actor_core::Down>| async move {
        ctx.monitor(&p);
        p.kill();
        ctx.recv().await;
        tx.send(d.load(Ordering::SeqCst)).unwrap();
    });
    assert_eq!(rx.await.unwrap(), 1, "dropped by the time Down arrives");
}

#[tokio::test]
async fn unreceived_messages_are_dropped_with_the_process() {
    let drops = Arc::new(AtomicUsize::new(0));
    let p = spawn(|mut ctx: Ctx<Resource>| async move {
        // Skip everything: the messages stay queued until the end.
        ctx.recv_match(|_| false).await;
    });
    for _ in 0..3 {
        p.send(Resource(drops.clone())).await.unwrap();
    }
    p.kill();
    p.wait().await;
    assert_eq!(drops.load(Ordering::SeqCst), 3);
}
