//! Worker processes over pipes: a child process of this same test binary,
//! started in worker mode, served through serde frames, seen by the rest
//! of the program as a process (call, send, monitor, Down when it dies).

use std::time::Duration;

use actor_core::{CallError, Ctx, Down, ExitReason, Pid, spawn};
use actor_io::worker::{self, Worker, WorkerCommand};
use actor_io::{ChildExit, Error};

mod common;
use common::exists;

const T: Duration = Duration::from_secs(20);

/// Worker mode: a worker child runs only this test (by name), and the
/// `enter` of its kind serves and exits there. In the test run itself,
/// which is no worker, every `enter` returns at once without serving.
#[test]
fn worker_entry() {
    let served = std::cell::Cell::new(false);
    worker::enter("square", |n: u64| {
        served.set(true);
        n * n
    });
    let mut total = 0u64;
    worker::enter("sum", |n: u64| {
        served.set(true);
        total += n;
        total
    });
    worker::enter("crashy", |n: u64| {
        served.set(true);
        if n == 13 {
            panic!("unlucky");
        }
        n
    });
    worker::enter("suicide", |_: u64| -> u64 {
        served.set(true);
        // Dies while serving the call.
        let me = rustix::process::getpid();
        rustix::process::kill_process(me, rustix::process::Signal::KILL).unwrap();
        unreachable!("killed")
    });
    assert!(!served.get(), "enter served outside a worker");
}

fn start<Req, Resp, M>(kind: &str, owner: &Pid<M>) -> Worker<Req, Resp>
where
    Req: serde::Serialize + Send + 'static,
    Resp: serde::de::DeserializeOwned + Send + 'static,
    M: Send + 'static,
{
    WorkerCommand::new(kind)
        .args(["worker_entry", "--exact", "--test-threads=1", "--nocapture"])
        .discard_stdout()
        .spawn(owner)
        .unwrap()
}

/// An owner for the workers of a test: it waits, and lives as long as the
/// test's runtime.
fn owner() -> Pid<()> {
    spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await })
}

fn worker_exit(reason: &ExitReason) -> ChildExit {
    match reason {
        ExitReason::Error(e) => match e.downcast_ref::<Error>() {
            Some(Error::WorkerExited(status)) => *status,
            other => panic!("expected WorkerExited, got {other:?}"),
        },
        other => panic!("expected an error exit, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_and_casts_are_served_in_order() {
    // A running sum shows the order: the cast is served before the call.
    let sum: Worker<u64, u64> = start("sum", &owner());
    sum.send(3).await.unwrap(); // a cast: its answer is dropped
    assert_eq!(sum.call(0, T).await, Ok(3));
    assert_eq!(sum.call(4, T).await, Ok(7));
    sum.stop();
    common::ends_normally(sum.wait(), T).await;
    let w: Worker<u64, u64> = start("square", &owner());
    assert_eq!(w.call(12, T).await, Ok(144));
    // Many callers at once, each gets its own answer.
    let callers: Vec<_> = (0..20u64)
        .map(|i| {
            let w = w.clone();
            spawn(move |_: Ctx<()>| async move {
                assert_eq!(w.call(i, T).await, Ok(i * i));
            })
        })
        .collect();
    for c in callers {
        assert!(c.wait().await.is_normal());
    }
    let os_pid = w.os_pid();
    w.stop();
    assert!(actor_core::timeout(T, w.wait()).await.unwrap().is_normal());
    assert!(!exists(os_pid), "a stopped worker is reaped");
}

#[derive(Debug)]
enum Msg {
    Down(Down),
}
impl From<Down> for Msg {
    fn from(d: Down) -> Self {
        Msg::Down(d)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_from_outside_gives_down() {
    let w: Worker<u64, u64> = start("square", &owner());
    assert_eq!(w.call(3, T).await, Ok(9));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let watcher = {
        let w = w.clone();
        spawn(move |mut ctx: Ctx<Msg>| async move {
            let mref = ctx.monitor(&w);
            tx.send(()).unwrap();
            let Msg::Down(down) = actor_core::timeout(T, ctx.recv()).await.unwrap();
            assert_eq!(down.monitor, mref);
            assert_eq!(down.id, w.pid().id());
            assert_eq!(worker_exit(&down.reason).signal(), Some(9));
        })
    };
    rx.await.unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(w.os_pid() as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    common::ends_normally(watcher.wait(), T).await;
    assert!(!w.is_alive());
    assert!(!exists(w.os_pid()), "the dead worker is reaped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_dies_mid_call_fails_the_call_at_once() {
    let w: Worker<u64, u64> = start("suicide", &owner());
    let started = std::time::Instant::now();
    match w.call(0, T).await {
        Err(CallError::Exited(reason)) => assert_eq!(worker_exit(&reason).signal(), Some(9)),
        other => panic!("expected the call to fail, got {other:?}"),
    }
    assert!(
        started.elapsed() < T / 2,
        "the call failed at once, not at its timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_worker_ends_with_its_exit_code() {
    let w: Worker<u64, u64> = start("crashy", &owner());
    assert_eq!(w.call(7, T).await, Ok(7));
    let err = w.call(13, T).await.unwrap_err();
    let CallError::Exited(reason) = err else {
        panic!("expected Exited, got {err:?}")
    };
    assert_eq!(worker_exit(&reason).code(), Some(101));
    assert_eq!(w.wait().await, reason);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_workers_process_kills_the_os_process() {
    let w: Worker<u64, u64> = start("square", &owner());
    assert_eq!(w.call(2, T).await, Ok(4));
    let os_pid = w.os_pid();
    let pidfd = rustix::process::pidfd_open(
        rustix::process::Pid::from_raw(os_pid as i32).unwrap(),
        rustix::process::PidfdFlags::empty(),
    )
    .unwrap();
    let pidfd = actor_io::Fd::new(pidfd).unwrap();
    w.kill();
    assert_eq!(w.wait().await, ExitReason::Killed);
    actor_core::timeout(T, pidfd.readable())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_missing_worker_program_is_a_typed_error() {
    let err = WorkerCommand::new("square")
        .program("/nonexistent/actor-io-worker")
        .spawn::<u64, u64, _>(&owner())
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

/// How the owner of a worker ends, in `a_worker_goes_with_its_owner`.
#[derive(Clone, Copy, Debug)]
enum Ending {
    Killed,
    Panics,
    Returns,
}

/// The owner starts a worker, hands it out, and ends as told; the worker
/// (used and watched by others meanwhile) ends with it and its OS process
/// is killed and reaped.
async fn a_worker_goes_with_its_owner(ending: Ending) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let owner = spawn(move |mut ctx: Ctx<()>| async move {
        let w: Worker<u64, u64> = start("square", &ctx.pid());
        tx.send(w).unwrap();
        ctx.recv().await;
        if let Ending::Panics = ending {
            panic!("the owner panics");
        }
    });
    let w = actor_core::timeout(T, rx).await.unwrap().unwrap();
    let os_pid = w.os_pid();
    // To others the worker is a process as any other.
    assert_eq!(w.call(6, T).await, Ok(36));
    w.send(1).await.unwrap();
    assert!(exists(os_pid));
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let watcher = {
        let w = w.clone();
        spawn(move |mut ctx: Ctx<Msg>| async move {
            let mref = ctx.monitor(&w);
            ready_tx.send(()).unwrap();
            let Msg::Down(down) = actor_core::timeout(T, ctx.recv()).await.unwrap();
            assert_eq!(down.monitor, mref);
            assert_eq!(down.id, w.pid().id());
            assert_eq!(down.reason, ExitReason::Shutdown);
        })
    };
    ready_rx.await.unwrap();
    match ending {
        Ending::Killed => owner.kill(),
        Ending::Panics | Ending::Returns => owner.send(()).await.unwrap(),
    }
    let reason = actor_core::timeout(T, owner.wait()).await.unwrap();
    match ending {
        Ending::Killed => assert_eq!(reason, ExitReason::Killed),
        Ending::Panics => assert!(matches!(reason, ExitReason::Panicked(_)), "{reason}"),
        Ending::Returns => assert!(reason.is_normal(), "{reason}"),
    }
    assert_eq!(
        actor_core::timeout(T, w.wait())
            .await
            .expect("the worker ends with its owner"),
        ExitReason::Shutdown
    );
    assert!(
        !exists(os_pid),
        "the worker's OS process is killed and reaped"
    );
    assert!(w.send(2).await.is_err());
    assert!(matches!(w.call(3, T).await, Err(CallError::Exited(_))));
    common::ends_normally(watcher.wait(), T).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_goes_when_its_owner_is_killed() {
    a_worker_goes_with_its_owner(Ending::Killed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_goes_when_its_owner_panics() {
    a_worker_goes_with_its_owner(Ending::Panics).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_goes_when_its_owner_returns() {
    a_worker_goes_with_its_owner(Ending::Returns).await;
}
