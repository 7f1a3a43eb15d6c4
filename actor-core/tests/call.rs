//! Calls: replies, timeouts in virtual time, callee death fails the call at
//! once, replies sent never or too late.

use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{CallError, Ctx, ExitReason, Pid, Reply, Runtime, spawn};

fn det<F: std::future::Future>(f: F) -> F::Output {
    Runtime::deterministic(Config::seeded(3)).block_on(f)
}

enum Msg {
    Echo(u32, Reply<u32>),
    Ignore(Reply<u32>),
    Drop(Reply<u32>),
    DieThenReply(Reply<u32>),
    Die,
    Late(Reply<u32>, tokio::sync::oneshot::Sender<bool>),
}

fn server() -> Pid<Msg> {
    spawn(|mut ctx: Ctx<Msg>| async move {
        let mut ignored = Vec::new();
        loop {
            match ctx.recv().await {
                Msg::Echo(n, r) => {
                    let _ = r.send(n);
                }
                Msg::Ignore(r) => ignored.push(r),
                Msg::Drop(r) => drop(r),
                Msg::DieThenReply(reply) => {
                    // Ends without answering: the handle drops as it exits.
                    let _unanswered = reply;
                    return ExitReason::other("died mid-call");
                }
                Msg::Die => return ExitReason::other("died mid-call"),
                Msg::Late(r, done) => {
                    actor_core::sleep(Duration::from_secs(10)).await;
                    done.send(r.send(1).is_err()).unwrap();
                }
            }
        }
    })
}

#[tokio::test]
async fn call_returns_the_reply() {
    let s = server();
    for n in 0..100 {
        assert_eq!(
            s.call(|r| Msg::Echo(n, r), Duration::from_secs(5)).await,
            Ok(n)
        );
    }
}

#[test]
fn call_times_out_in_virtual_time() {
    det(async {
        let s = server();
        let start = actor_core::now();
        let err = s.call(Msg::Ignore, Duration::from_secs(30)).await;
        assert_eq!(err, Err(CallError::Timeout));
        assert_eq!(actor_core::now() - start, Duration::from_secs(30));
        // The server is still fine.
        assert_eq!(
            s.call(|r| Msg::Echo(5, r), Duration::from_secs(1)).await,
            Ok(5)
        );
    });
}

#[test]
fn callee_death_fails_the_call_at_once_with_its_reason() {
    det(async {
        let s = server();
        let start = actor_core::now();
        let err = s.call(Msg::DieThenReply, Duration::from_secs(3600)).await;
        assert_eq!(
            err,
            Err(CallError::Exited(ExitReason::other("died mid-call")))
        );
        assert!(actor_core::now() - start < Duration::from_secs(1));
    });
}

#[test]
fn a_killed_callee_fails_the_call_with_killed() {
    det(async {
        let s = server();
        let s2 = s.clone();
        let killer = spawn(move |_c: Ctx<()>| async move {
            actor_core::sleep(Duration::from_secs(1)).await;
            s2.kill();
        });
        let err = s.call(Msg::Ignore, Duration::from_secs(3600)).await;
        assert_eq!(err, Err(CallError::Exited(ExitReason::Killed)));
        assert!(killer.wait().await.is_normal());
    });
}

#[tokio::test]
async fn calling_a_dead_process_fails_with_noproc() {
    let s = server();
    s.kill();
    s.wait().await;
    let err = s.call(|r| Msg::Echo(1, r), Duration::from_secs(1)).await;
    assert_eq!(err, Err(CallError::Exited(ExitReason::NoProc)));
}

#[tokio::test]
async fn a_dropped_reply_fails_the_call_with_no_reply() {
    let s = server();
    let err = s.call(Msg::Drop, Duration::from_secs(3600)).await;
    assert_eq!(err, Err(CallError::NoReply));
}

#[test]
fn a_late_reply_is_given_back_to_the_callee() {
    det(async {
        let s = server();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let err = s.call(|r| Msg::Late(r, tx), Duration::from_secs(1)).await;
        assert_eq!(err, Err(CallError::Timeout));
        assert!(
            rx.await.unwrap(),
            "Reply::send returns the value when the caller has gone"
        );
    });
}

#[tokio::test]
async fn calls_from_many_processes_get_their_own_replies() {
    let s = server();
    let callers: Vec<_> = (0..50u32)
        .map(|i| {
            let s = s.clone();
            spawn(move |_c: Ctx<()>| async move {
                for k in 0..20 {
                    let n = i * 100 + k;
                    assert_eq!(
                        s.call(|r| Msg::Echo(n, r), Duration::from_secs(5)).await,
                        Ok(n)
                    );
                }
            })
        })
        .collect();
    for c in callers {
        assert!(c.wait().await.is_normal());
    }
}

#[test]
fn a_call_in_flight_to_a_process_that_dies_fails_with_its_reason() {
    for seed in 0..50 {
        let cfg = Config::seeded(seed).max_delay(Duration::from_millis(5));
        Runtime::deterministic(cfg).block_on(async {
            let s = server();
            // Sent first by the same sender, so it arrives first.
            s.send(Msg::Die).await.unwrap();
            let err = s.call(|r| Msg::Echo(1, r), Duration::from_secs(3600)).await;
            assert_eq!(
                err,
                Err(CallError::Exited(ExitReason::other("died mid-call")))
            );
        });
    }
}
