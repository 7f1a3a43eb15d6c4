//! Ten thousand idle watched fds cost no CPU: each watch parks on the
//! reactor (epoll) and nothing polls. One of them, signalled, reports at
//! once.

use std::time::Duration;

use actor_core::{Ctx, spawn};
use actor_io::{Fd, FdEvent, Interest};
use rustix::event::EventfdFlags;

const N: usize = 10_000;

/// User plus system CPU time of this whole process (all threads), in clock
/// ticks.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // Fields 14 and 15 of stat(5), counted from the state (field 3).
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Raises the soft limit on open files to make room for `N` eventfds.
fn room_for_fds() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    let want = N as u64 + 256;
    if limit.current.is_some_and(|c| c < want) {
        limit.current = Some(limit.maximum.map_or(want, |m| m.min(want)));
        setrlimit(Resource::Nofile, limit).unwrap();
    }
    let now = getrlimit(Resource::Nofile).current;
    assert!(
        now.is_none_or(|c| c >= want),
        "this test needs {want} open files; the hard limit allows {now:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_idle_watches_cost_no_cpu() {
    room_for_fds();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let owner = spawn(move |mut ctx: Ctx<FdEvent>| async move {
        let mut watches = Vec::with_capacity(N);
        for _ in 0..N {
            let efd = rustix::event::eventfd(0, EventfdFlags::CLOEXEC).unwrap();
            watches.push(Fd::new(efd).unwrap().watch(&ctx.pid(), Interest::Read));
        }
        // Every watch has started and parked on the reactor once the
        // mailbox has stayed empty through a round of yields.
        for _ in 0..10 {
            actor_core::yield_now().await;
        }
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        tx.send(go_tx).unwrap();
        go_rx.await.unwrap();
        // Signal one watch out of the ten thousand: exactly it reports.
        let target = &watches[N / 2];
        rustix::io::write(target.get_ref(), &1u64.to_ne_bytes()).unwrap();
        let event = actor_core::timeout(Duration::from_secs(10), ctx.recv())
            .await
            .expect("the signalled watch reports");
        assert_eq!(event.watch(), target.id());
        assert_eq!(ctx.queued(), 0);
    });
    let go = rx.await.unwrap();
    let ticks_per_sec = 100; // USER_HZ on Linux
    // Measurement windows: wall time passes, CPU time must not. The first
    // may still see the tail of setting up ten thousand watches on the
    // other worker, so the test asks for one quiet window out of three; a
    // watch that polled or spun would show in every one.
    let mut spent_ms = Vec::new();
    for _ in 0..3 {
        let before = cpu_ticks();
        std::thread::sleep(Duration::from_millis(1000));
        spent_ms.push((cpu_ticks() - before) * 1000 / ticks_per_sec);
        if spent_ms.last().is_some_and(|&ms| ms <= 50) {
            break;
        }
    }
    assert!(
        spent_ms.last().is_some_and(|&ms| ms <= 50),
        "{N} idle watches used {spent_ms:?} ms of CPU in successive 1 s windows"
    );
    go.send(()).unwrap();
    let reason = actor_core::timeout(Duration::from_secs(30), owner.wait())
        .await
        .unwrap();
    assert!(reason.is_normal(), "{reason}");
}
