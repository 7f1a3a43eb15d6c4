//! Tests of what a process leaves behind in others, through the kernel's
//! own state (what no public API shows yet).

use std::time::Duration;

use crate::deterministic::Config;
use crate::{Ctx, Down, Pid, Runtime, Spawn, spawn};

fn watchers<M: Send + 'static>(pid: &Pid<M>) -> usize {
    pid.inner
        .local()
        .expect("a local process")
        .lock()
        .ext
        .as_ref()
        .map_or(0, |e| e.watchers.len())
}

fn send_waiters<M: Send + 'static>(pid: &Pid<M>) -> usize {
    pid.inner
        .local()
        .expect("a local process")
        .lock()
        .ext
        .as_ref()
        .map_or(0, |e| e.send_waiters.len())
}

/// Runs `body` on the deterministic runtime, then on tokio's
/// current-thread runtime with time paused (timers fire as soon as
/// nothing else can run).
fn on_both_runtimes(body: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    Runtime::deterministic(Config::seeded(3)).block_on(body());
    Runtime::tokio_current_thread().block_on(async {
        tokio::time::pause();
        body().await
    });
}

/// 100,000 short-lived clients monitor one server and exit (normally,
/// by panic, killed): the server keeps no watcher of theirs.
#[test]
fn monitors_die_with_the_process_that_holds_them() {
    on_both_runtimes(|| {
        Box::pin(async {
            let server = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
            for i in 0..100_000u32 {
                let s = server.clone();
                let client = spawn(move |mut ctx: Ctx<Down>| async move {
                    ctx.monitor(&s);
                    match i % 3 {
                        0 => {}
                        1 => panic!("client {i} gives up"),
                        _ => {
                            ctx.recv().await;
                        }
                    }
                });
                if i % 3 == 2 {
                    client.kill();
                }
                client.wait().await;
            }
            assert_eq!(watchers(&server), 0);
            server.kill();
        })
    });
}

/// A monitor that fired is forgotten by the process that held it, and a
/// demonitor removes the target's entry without waiting for anything.
#[test]
fn fired_and_removed_monitors_leave_nothing() {
    on_both_runtimes(|| {
        Box::pin(async {
            let server = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
            let s = server.clone();
            let client = spawn(move |mut ctx: Ctx<Down>| async move {
                for _ in 0..1000 {
                    let r = ctx.monitor(&s);
                    ctx.demonitor(r);
                }
                assert_eq!(watchers(&s), 0);
                let short = spawn(|_c: Ctx<()>| async {});
                ctx.monitor(&short);
                ctx.recv().await;
                let held = ctx
                    .shared()
                    .lock()
                    .ext
                    .as_ref()
                    .map_or(0, |e| e.monitoring.len());
                assert_eq!(held, 0);
            });
            assert!(client.wait().await.is_normal());
            server.kill();
        })
    });
}

/// Sends abandoned on a full bounded mailbox take their wakers with them.
#[test]
fn cancelled_sends_leave_no_waker_behind() {
    on_both_runtimes(|| {
        Box::pin(async {
            let p = Spawn::new()
                .bounded(1)
                .spawn(|mut ctx: Ctx<u32>| async move {
                    crate::sleep(Duration::from_secs(3600)).await;
                    ctx.recv().await;
                });
            p.try_send(0).unwrap();
            for i in 0..20_000 {
                let gave_up = crate::timeout(Duration::from_micros(10), p.send(i)).await;
                assert!(gave_up.is_err());
            }
            assert_eq!(send_waiters(&p), 0);
            p.kill();
        })
    });
}

/// After a burst is drained, the mailbox gives its buffers back.
#[test]
fn a_drained_mailbox_shrinks() {
    on_both_runtimes(|| {
        Box::pin(async {
            const BURST: u64 = 200_000;
            let (tx, rx) = tokio::sync::oneshot::channel();
            let (drained_tx, drained) = tokio::sync::oneshot::channel();
            let p = spawn(|mut ctx: Ctx<u64>| async move {
                for _ in 0..BURST {
                    ctx.recv().await;
                }
                drained_tx.send(()).unwrap();
                // Drained; the next receive parks, then takes the report.
                assert_eq!(ctx.recv().await, u64::MAX);
                let shared = ctx.shared().lock().queue.capacity();
                let _ = tx.send((ctx.inbox.local.capacity(), shared));
            });
            for i in 0..BURST {
                p.send(i).await.unwrap();
            }
            drained.await.unwrap();
            p.send(u64::MAX).await.unwrap();
            let (local, shared) = rx.await.unwrap();
            assert!(local <= 1024, "the receive buffer kept {local} slots");
            assert!(shared <= 1024, "the shared queue kept {shared} slots");
            p.wait().await;
        })
    });
}
