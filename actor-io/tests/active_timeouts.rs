//! The read timeout carries over into active mode: a peer that stays
//! silent while the owner has credit becomes a `SocketEvent::Error` with
//! `Error::TimedOut`, and the connection's reader ends; time spent
//! without credit does not count as idle.

use std::time::Duration;

use actor_core::{Ctx, spawn};
use actor_io::{Conn, Error, Listener, SocketEvent};

mod common;

const T: Duration = Duration::from_secs(10);
const READ_TIMEOUT: Duration = Duration::from_millis(200);

async fn next(ctx: &mut Ctx<SocketEvent>) -> SocketEvent {
    actor_core::timeout(T, ctx.recv())
        .await
        .expect("an event in time")
}

fn assert_read_timed_out(event: &SocketEvent) {
    match event {
        SocketEvent::Error {
            error: Error::TimedOut { op },
            ..
        } => assert_eq!(*op, "read"),
        other => panic!("expected a read timeout, got {other:?}"),
    }
}

#[tokio::test]
async fn silent_peer_times_out_on_an_active_connection() {
    let owner = spawn(|mut ctx: Ctx<SocketEvent>| async move {
        let (mut a, _peer) = Conn::pair().unwrap();
        a.set_read_timeout(Some(READ_TIMEOUT));
        let conn = a.into_active(&ctx.pid());
        let event = next(&mut ctx).await;
        assert_eq!(event.conn(), conn.id());
        assert_read_timed_out(&event);
        // The connection's reader has ended, as after any read error.
        let reason = actor_core::timeout(T, conn.process().wait())
            .await
            .expect("the reader ends");
        assert!(reason.is_normal(), "{reason}");
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test]
async fn time_without_credit_is_not_idle() {
    let owner = spawn(|mut ctx: Ctx<SocketEvent>| async move {
        let (mut a, mut peer) = Conn::pair().unwrap();
        a.set_read_timeout(Some(READ_TIMEOUT));
        let conn = a.into_active(&ctx.pid());
        peer.write_all(b"a").await.unwrap();
        match next(&mut ctx).await {
            SocketEvent::Data { data, .. } => assert_eq!(&data[..], b"a"),
            other => panic!("expected data, got {other:?}"),
        }
        // No credit for well over the timeout: no event, no timeout.
        assert!(ctx.recv_timeout(READ_TIMEOUT * 3).await.is_none());
        // Armed again, the idle clock starts now, not at the last data.
        let armed_at = actor_core::now();
        conn.arm();
        let event = next(&mut ctx).await;
        let idle = actor_core::now() - armed_at;
        assert_read_timed_out(&event);
        assert!(
            idle >= READ_TIMEOUT,
            "timed out {idle:?} after arming, before the {READ_TIMEOUT:?} timeout"
        );
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test]
async fn data_within_the_timeout_keeps_an_active_connection_open() {
    let owner = spawn(|mut ctx: Ctx<SocketEvent>| async move {
        let (mut a, mut peer) = Conn::pair().unwrap();
        a.set_read_timeout(Some(Duration::from_secs(5)));
        let conn = a.into_active(&ctx.pid());
        for msg in [&b"one"[..], b"two", b"three"] {
            peer.write_all(msg).await.unwrap();
            match next(&mut ctx).await {
                SocketEvent::Data { data, .. } => assert_eq!(&data[..], msg),
                other => panic!("expected data, got {other:?}"),
            }
            conn.arm();
        }
        peer.shutdown_write().unwrap();
        assert!(matches!(next(&mut ctx).await, SocketEvent::Closed { .. }));
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_read_timeout_reaches_active_connections() {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let server = Listener::tcp("127.0.0.1:0")
        .read_timeout(READ_TIMEOUT)
        .serve(move |mut ctx: Ctx<SocketEvent>, conn: Conn| {
            let tx = tx.clone();
            async move {
                let _conn = conn.into_active(&ctx.pid());
                let _ = tx.send(ctx.recv().await);
            }
        })
        .await
        .unwrap();
    let addr = server.addr().tcp().unwrap().to_string();
    // A client that connects and says nothing.
    let _client = Conn::connect_tcp(&addr).await.unwrap();
    let event = actor_core::timeout(T, rx.recv())
        .await
        .expect("an event in time")
        .expect("the handler reports");
    assert_read_timed_out(&event);
    server.stop();
    actor_core::timeout(T, server.wait()).await.unwrap();
}
