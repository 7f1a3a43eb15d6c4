//! A peer that resets, goes silent or stops reading ends its connection
//! process with a typed exit reason, never a panic, and the server keeps
//! serving.

use std::time::Duration;

use actor_core::{AnyPid, Ctx, ExitReason, spawn};
use actor_io::{Conn, Error, Listener, SocketEvent};
use tokio::sync::mpsc;

mod common;

const T: Duration = Duration::from_secs(10);

fn io_error(reason: &ExitReason) -> &Error {
    match reason {
        ExitReason::Error(e) => e.downcast_ref::<Error>().expect("an actor_io::Error"),
        other => panic!("expected an error exit, got {other}"),
    }
}

/// A server whose connection processes report their pids, and then echo.
async fn reporting_echo(
    listener: Listener,
) -> (actor_io::Server, String, mpsc::UnboundedReceiver<AnyPid>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let server = listener
        .serve(move |ctx: Ctx<()>, mut conn: Conn| {
            let _ = tx.send(AnyPid::from(ctx.pid()));
            async move {
                let mut buf = vec![0u8; 4096];
                loop {
                    let n = conn.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<(), Error>(());
                    }
                    conn.write_all(&buf[..n]).await?;
                }
            }
        })
        .await
        .unwrap();
    let addr = server.addr().tcp().unwrap().to_string();
    (server, addr, rx)
}

/// Closes a socket with SO_LINGER 0: the peer gets a reset, not a FIN.
fn reset(conn: Conn) {
    rustix::net::sockopt::set_socket_linger(&conn, Some(Duration::ZERO)).unwrap();
    drop(conn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_is_the_connections_exit_reason() {
    let (server, addr, mut pids) = reporting_echo(Listener::tcp("127.0.0.1:0")).await;
    let mut client = Conn::connect_tcp(&addr).await.unwrap();
    // One round trip, so that its handler is surely reading.
    client.write_all(b"hi").await.unwrap();
    let mut buf = [0u8; 2];
    client.read(&mut buf).await.unwrap();
    let handler = pids.recv().await.unwrap();
    reset(client);
    let reason = actor_core::timeout(T, handler.wait()).await.unwrap();
    assert!(
        matches!(io_error(&reason), Error::ConnectionReset),
        "{reason}"
    );
    // The server carries on.
    let mut again = Conn::connect_tcp(&addr).await.unwrap();
    again.write_all(b"ok").await.unwrap();
    again.read(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ok");
    server.stop();
    server.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_times_out() {
    let (server, addr, mut pids) =
        reporting_echo(Listener::tcp("127.0.0.1:0").read_timeout(Duration::from_millis(200))).await;
    let _silent = Conn::connect_tcp(&addr).await.unwrap();
    let pid = pids.recv().await.unwrap();
    let reason = actor_core::timeout(T, pid.wait()).await.unwrap();
    assert!(
        matches!(io_error(&reason), Error::TimedOut { op: "read" }),
        "{reason}"
    );
    server.stop();
    server.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_times_out_the_writer() {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let server = Listener::tcp("127.0.0.1:0")
        .write_timeout(Duration::from_millis(300))
        .serve(move |ctx: Ctx<()>, mut conn: Conn| {
            let _ = tx.send(AnyPid::from(ctx.pid()));
            async move {
                let flood = vec![0u8; 1 << 20];
                loop {
                    conn.write_all(&flood).await?;
                }
                #[allow(unreachable_code)]
                Ok::<(), Error>(())
            }
        })
        .await
        .unwrap();
    let addr = server.addr().tcp().unwrap().to_string();
    let _stuck = Conn::connect_tcp(&addr).await.unwrap(); // never reads
    let pid = rx.recv().await.unwrap();
    let reason = actor_core::timeout(T, pid.wait()).await.unwrap();
    assert!(
        matches!(io_error(&reason), Error::TimedOut { op: "write" }),
        "{reason}"
    );
    server.stop();
    server.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_active_mode_a_reset_arrives_as_an_error_message() {
    let owner = spawn(move |mut ctx: Ctx<SocketEvent>| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let conn = Conn::connect_tcp(&addr)
            .await
            .unwrap()
            .into_active(&ctx.pid());
        let (client, _) = listener.accept().await.unwrap();
        rustix::net::sockopt::set_socket_linger(&client, Some(Duration::ZERO)).unwrap();
        drop(client);
        match actor_core::timeout(T, ctx.recv()).await.unwrap() {
            SocketEvent::Error { error, conn: id } => {
                assert_eq!(id, conn.id());
                assert!(matches!(error, Error::ConnectionReset), "{error:?}");
            }
            other => panic!("expected a reset, got {other:?}"),
        }
    });
    common::ends_normally(owner.wait(), T).await;
}
