//! Watch mode: readiness arrives as messages in the owner's mailbox, one at
//! a time (active-once); hang-ups and errors arrive as messages too, and
//! the watch ends with its owner or its handle.

use std::os::fd::OwnedFd;
use std::time::Duration;

use actor_core::{Ctx, Down, ExitReason, spawn};
use actor_io::{Error, Fd, FdEvent, Interest, Watch};

mod common;

const T: Duration = Duration::from_secs(10);

#[derive(Debug)]
enum Msg {
    Io(FdEvent),
    Down(Down),
}
impl From<FdEvent> for Msg {
    fn from(e: FdEvent) -> Self {
        Msg::Io(e)
    }
}
impl From<Down> for Msg {
    fn from(d: Down) -> Self {
        Msg::Down(d)
    }
}

async fn recv_io(ctx: &mut Ctx<Msg>) -> FdEvent {
    match actor_core::timeout(T, ctx.recv())
        .await
        .expect("an event in time")
    {
        Msg::Io(e) => e,
        Msg::Down(d) => panic!("unexpected {d:?}"),
    }
}

fn drain(watch: &Watch<OwnedFd>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 256];
    while let Some(n) = watch.try_read(&mut buf).unwrap() {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

#[tokio::test]
async fn readiness_arrives_once_per_arm_and_a_hangup_closes_the_watch() {
    let owner = spawn(move |mut ctx: Ctx<Msg>| async move {
        let (r, w) = rustix::pipe::pipe().unwrap();
        let watch = Fd::new(r).unwrap().watch(&ctx.pid(), Interest::Read);
        rustix::io::write(&w, b"one").unwrap();
        let FdEvent::Ready { watch: id, ready } = recv_io(&mut ctx).await else {
            panic!("expected Ready")
        };
        assert_eq!(id, watch.id());
        assert!(ready.is_readable());
        // More data while not re-armed: no second message (active-once).
        rustix::io::write(&w, b"two").unwrap();
        assert!(
            ctx.recv_timeout(Duration::from_millis(100)).await.is_none(),
            "a watch that is not re-armed stays quiet"
        );
        assert_eq!(drain(&watch), b"onetwo");
        watch.arm();
        rustix::io::write(&w, b"three").unwrap();
        assert!(matches!(recv_io(&mut ctx).await, FdEvent::Ready { .. }));
        assert_eq!(drain(&watch), b"three");
        watch.arm();
        // The writer closes: Closed, and the watch ends by itself.
        let monitor = ctx.monitor(watch.process());
        drop(w);
        assert!(matches!(recv_io(&mut ctx).await, FdEvent::Closed { .. }));
        match actor_core::timeout(T, ctx.recv()).await.unwrap() {
            Msg::Down(d) => {
                assert_eq!(d.monitor, monitor);
                assert!(d.reason.is_normal());
            }
            other => panic!("expected the watch to end, got {other:?}"),
        }
    });
    common::ends_normally(owner.wait(), T).await;
}

/// A re-armed watch whose fd is still ready reports again at once (level
/// semantics on an edge-triggered engine), so nothing is ever missed.
/// The same on a socket, which stays readable after its peer closes: once
/// what was sent is read, the watch reports Closed instead of Ready again.
#[tokio::test]
async fn a_socket_whose_peer_closed_closes_the_watch_once_drained() {
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    let owner = spawn(move |mut ctx: Ctx<Msg>| async move {
        let (a, b) = rustix::net::socketpair(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )
        .unwrap();
        let watch = Fd::new(a).unwrap().watch(&ctx.pid(), Interest::Read);
        rustix::io::write(&b, b"last words").unwrap();
        drop(b);
        assert!(matches!(recv_io(&mut ctx).await, FdEvent::Ready { .. }));
        assert_eq!(drain(&watch), b"last words");
        watch.arm();
        assert!(matches!(recv_io(&mut ctx).await, FdEvent::Closed { .. }));
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test]
async fn re_arming_without_draining_reports_again() {
    let owner = spawn(move |mut ctx: Ctx<Msg>| async move {
        let (r, w) = rustix::pipe::pipe().unwrap();
        let watch = Fd::new(r).unwrap().watch(&ctx.pid(), Interest::Read);
        rustix::io::write(&w, b"x").unwrap();
        for _ in 0..3 {
            assert!(matches!(recv_io(&mut ctx).await, FdEvent::Ready { .. }));
            watch.arm();
        }
        assert_eq!(drain(&watch), b"x");
    });
    common::ends_normally(owner.wait(), T).await;
}

/// A non-blocking connect to a port nobody listens on fails; the failure
/// arrives as an `FdEvent::Error` carrying the socket's error.
#[tokio::test]
async fn a_socket_error_arrives_as_a_message() {
    use rustix::net::{AddressFamily, SocketFlags, SocketType, ipproto};
    // A port that refuses connections: bound, so nothing else can take it
    // during the test, but not listening.
    let holder = rustix::net::socket(AddressFamily::INET, SocketType::STREAM, None).unwrap();
    rustix::net::bind(&holder, &std::net::SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    let bound = rustix::net::getsockname(&holder).unwrap();
    let port = std::net::SocketAddr::try_from(bound).unwrap().port();
    let owner = spawn(move |mut ctx: Ctx<Msg>| async move {
        let sock = rustix::net::socket_with(
            AddressFamily::INET,
            SocketType::STREAM,
            SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
            Some(ipproto::TCP),
        )
        .unwrap();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        match rustix::net::connect(&sock, &addr) {
            Err(rustix::io::Errno::INPROGRESS) | Ok(()) => {}
            Err(e) => panic!("connect: {e}"),
        }
        let _watch = Fd::new(sock).unwrap().watch(&ctx.pid(), Interest::Write);
        match recv_io(&mut ctx).await {
            FdEvent::Error { error, .. } => {
                let io = error.io_error().expect("an OS error");
                assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
            }
            other => panic!("expected an error, got {other:?}"),
        }
    });
    common::ends_normally(owner.wait(), T).await;
    drop(holder);
}

/// A pipe's write end whose reader has gone reports Closed, not a panic
/// (and not SIGPIPE: nothing is written).
#[tokio::test]
async fn a_write_end_whose_reader_has_gone_is_closed() {
    let (r, w) = rustix::pipe::pipe().unwrap();
    drop(r);
    let owner = spawn(move |mut ctx: Ctx<Msg>| async move {
        let watch = Fd::new(w).unwrap().watch(&ctx.pid(), Interest::Write);
        assert!(matches!(recv_io(&mut ctx).await, FdEvent::Closed { .. }));
        assert!(matches!(watch.try_write(b"x"), Err(Error::Closed)));
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test]
async fn the_watch_ends_when_its_owner_ends_or_its_handle_is_dropped() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let owner = spawn(move |mut ctx: Ctx<Msg>| async move {
        let (r, _w) = rustix::pipe::pipe().unwrap();
        let watch = Fd::new(r).unwrap().watch(&ctx.pid(), Interest::Read);
        tx.send(watch.process()).unwrap();
        ctx.recv().await; // killed here, holding the watch
    });
    let helper = rx.await.unwrap();
    owner.kill();
    assert_eq!(owner.wait().await, ExitReason::Killed);
    assert!(actor_core::timeout(T, helper.wait()).await.is_ok());

    let (r, _w) = rustix::pipe::pipe().unwrap();
    let keeper = spawn(|mut ctx: Ctx<Msg>| async move {
        ctx.recv().await;
    });
    let watch = Fd::new(r).unwrap().watch(&keeper, Interest::Read);
    let helper = watch.process();
    drop(watch);
    assert!(actor_core::timeout(T, helper.wait()).await.is_ok());
    keeper.kill();
}
