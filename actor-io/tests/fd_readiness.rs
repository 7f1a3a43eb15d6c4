//! Awaiting readiness of any fd in a process body (gevent's `wait_read` /
//! `wait_write`): pipes, socketpairs, eventfds; waits are cooperative and
//! failures are typed errors.

use std::time::Duration;

use actor_core::{Ctx, Runtime, spawn};
use actor_io::{Error, Fd};
use rustix::event::EventfdFlags;
use rustix::net::{AddressFamily, SocketFlags, SocketType};

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_pipe_is_readable_once_written_and_waits_again_when_drained() {
    let (r, w) = rustix::pipe::pipe().unwrap();
    let (r, w) = (Fd::new(r).unwrap(), Fd::new(w).unwrap());
    assert!(w.writable().await.unwrap().is_writable());
    // Nothing written yet: the wait does not finish.
    assert!(
        actor_core::timeout(Duration::from_millis(50), r.readable())
            .await
            .is_err()
    );
    assert_eq!(w.write(b"abc").await.unwrap(), 3);
    let ready = r.readable().await.unwrap();
    assert!(ready.is_readable() && !ready.is_hangup());
    // Level: still readable while data is left.
    assert!(r.readable().await.unwrap().is_readable());
    let mut buf = [0u8; 8];
    assert_eq!(r.read(&mut buf).await.unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");
    // Drained: waiting again blocks until more comes.
    assert!(
        actor_core::timeout(Duration::from_millis(50), r.readable())
            .await
            .is_err()
    );
    drop(w);
    let ready = r.readable().await.unwrap();
    assert!(ready.is_hangup());
    assert_eq!(r.read(&mut buf).await.unwrap(), 0);
}

#[tokio::test]
async fn a_socketpair_reports_both_directions_and_the_peer_closing() {
    let (a, b) = rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let (a, b) = (Fd::new(a).unwrap(), Fd::new(b).unwrap());
    a.write(b"ping").await.unwrap();
    assert!(b.readable().await.unwrap().is_readable());
    let mut buf = [0u8; 4];
    b.read(&mut buf).await.unwrap();
    b.write(b"pong").await.unwrap();
    a.read(&mut buf).await.unwrap();
    assert_eq!(&buf, b"pong");
    drop(b);
    let ready = a.readable().await.unwrap();
    assert!(ready.is_hangup(), "{ready:?}");
    assert_eq!(a.read(&mut buf).await.unwrap(), 0);
}

#[tokio::test]
async fn an_eventfd_becomes_readable_when_signalled() {
    let efd = Fd::new(rustix::event::eventfd(0, EventfdFlags::CLOEXEC).unwrap()).unwrap();
    efd.write(&5u64.to_ne_bytes()).await.unwrap();
    efd.write(&2u64.to_ne_bytes()).await.unwrap();
    assert!(efd.readable().await.unwrap().is_readable());
    let mut buf = [0u8; 8];
    assert_eq!(efd.read(&mut buf).await.unwrap(), 8);
    assert_eq!(u64::from_ne_bytes(buf), 7);
}

#[tokio::test]
async fn a_regular_file_is_a_typed_error_not_a_panic() {
    let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    let err = Fd::new(file).unwrap_err();
    assert!(matches!(err, Error::NotPollable(_)), "{err:?}");
}

#[test]
fn outside_a_tokio_runtime_constructors_say_so() {
    let (r, _w) = rustix::pipe::pipe().unwrap();
    assert!(matches!(Fd::new(r), Err(Error::NoReactor)));
    // The deterministic runtime has no reactor either: a typed error, not
    // a panic.
    Runtime::deterministic(actor_core::deterministic::Config::seeded(1)).block_on(async {
        let (r, _w) = rustix::pipe::pipe().unwrap();
        assert!(matches!(Fd::new(r), Err(Error::NoReactor)));
        assert!(matches!(actor_io::Conn::pair(), Err(Error::NoReactor)));
        let me = spawn(|mut ctx: Ctx<actor_io::PortEvent>| async move {
            ctx.recv().await;
        });
        let port = actor_io::Command::new("true").spawn(&me);
        assert!(matches!(port, Err(Error::NoReactor)));
        me.kill();
    });
}

/// Also when the deterministic run is started inside a tokio runtime,
/// whose reactor it would never drive: refused, not hung.
#[tokio::test]
async fn a_deterministic_run_inside_tokio_has_no_reactor_either() {
    let out = actor_core::deterministic::run(actor_core::deterministic::Config::fifo(), async {
        let (r, _w) = rustix::pipe::pipe().unwrap();
        matches!(Fd::new(r), Err(Error::NoReactor))
    });
    assert!(out.result.unwrap());
}

/// On a single thread, a process waiting for a pipe does not stop another
/// process from running (and writing to that pipe): the wait is
/// cooperative.
#[test]
fn waiting_for_an_fd_lets_other_processes_run_on_the_same_thread() {
    Runtime::tokio_current_thread().block_on(async {
        let (r, w) = rustix::pipe::pipe().unwrap();
        let reader = spawn(move |_ctx: Ctx<()>| async move {
            let r = Fd::new(r).unwrap();
            let mut buf = [0u8; 16];
            let n = r.read(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"from the writer");
        });
        let writer = spawn(move |mut ctx: Ctx<()>| async move {
            ctx.recv().await;
            let w = Fd::new(w).unwrap();
            w.write(b"from the writer").await.unwrap();
        });
        actor_core::yield_now().await; // the reader is parked on the pipe
        writer.send(()).await.unwrap();
        let done = actor_core::timeout(T, reader.wait()).await.unwrap();
        assert!(done.is_normal(), "{done}");
    });
}
