//! Active mode: a connection's data arrives as messages, one per credit
//! (`{active, once}` / `{active, N}`); end of file and errors arrive as
//! messages; writes and half-close work alongside; with no credit nothing
//! is read, so a fast writer is held back by the kernel.

use std::time::Duration;

use actor_core::{Ctx, spawn};
use actor_io::{Conn, Error, SocketEvent};

mod common;

const T: Duration = Duration::from_secs(10);

async fn next(ctx: &mut Ctx<SocketEvent>) -> SocketEvent {
    actor_core::timeout(T, ctx.recv())
        .await
        .expect("an event in time")
}

fn data(e: SocketEvent) -> Vec<u8> {
    match e {
        SocketEvent::Data { data, .. } => data.to_vec(),
        other => panic!("expected data, got {other:?}"),
    }
}

#[tokio::test]
async fn one_message_per_credit() {
    let owner = spawn(|mut ctx: Ctx<SocketEvent>| async move {
        let (a, mut peer) = Conn::pair().unwrap();
        let conn = a.into_active(&ctx.pid());
        peer.write_all(b"a").await.unwrap();
        let first = next(&mut ctx).await;
        assert_eq!(first.conn(), conn.id());
        assert_eq!(data(first), b"a");
        // Credit used up: more data waits in the socket.
        peer.write_all(b"b").await.unwrap();
        assert!(ctx.recv_timeout(Duration::from_millis(100)).await.is_none());
        conn.arm();
        assert_eq!(data(next(&mut ctx).await), b"b");
        // {active, 2}: two messages, then quiet again.
        conn.grant(2);
        peer.write_all(b"c").await.unwrap();
        assert_eq!(data(next(&mut ctx).await), b"c");
        peer.write_all(b"d").await.unwrap();
        assert_eq!(data(next(&mut ctx).await), b"d");
        peer.write_all(b"e").await.unwrap();
        assert!(ctx.recv_timeout(Duration::from_millis(100)).await.is_none());
        conn.arm();
        assert_eq!(data(next(&mut ctx).await), b"e");
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test]
async fn half_close_then_reply_then_close() {
    let owner = spawn(|mut ctx: Ctx<SocketEvent>| async move {
        let (a, mut peer) = Conn::pair().unwrap();
        let conn = a.into_active(&ctx.pid());
        peer.write_all(b"request").await.unwrap();
        peer.shutdown_write().unwrap();
        let mut got = Vec::new();
        loop {
            match next(&mut ctx).await {
                SocketEvent::Data { data, .. } => {
                    got.extend_from_slice(&data);
                    conn.arm();
                }
                SocketEvent::Closed { .. } => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(got, b"request");
        // The peer only closed its sending side: the reply still goes.
        conn.write_all(b"reply").await.unwrap();
        conn.shutdown_write().unwrap();
        let mut buf = [0u8; 16];
        let mut reply = Vec::new();
        loop {
            let n = peer.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buf[..n]);
        }
        assert_eq!(reply, b"reply");
    });
    common::ends_normally(owner.wait(), T).await;
}

/// A writer facing an owner with no credit fills the kernel's buffers and
/// then waits; with a write timeout, the stuck write is an error, not a
/// hang and not unbounded memory.
#[tokio::test]
async fn no_credit_holds_back_a_fast_writer() {
    let owner = spawn(|mut ctx: Ctx<SocketEvent>| async move {
        let (a, mut peer) = Conn::pair().unwrap();
        let conn = a.into_active(&ctx.pid());
        peer.write_all(b"x").await.unwrap();
        assert_eq!(data(next(&mut ctx).await), b"x");
        // No more credit; the peer tries to push 16 MB.
        peer.set_write_timeout(Some(Duration::from_millis(200)));
        let big = vec![7u8; 16 << 20];
        let err = peer.write_all(&big).await.unwrap_err();
        assert!(matches!(err, Error::TimedOut { op: "write" }), "{err:?}");
        assert_eq!(ctx.queued(), 0, "nothing was read without credit");
        // Credit again: what the kernel held arrives.
        conn.grant(u32::MAX);
        let mut total = 0;
        while let Some(SocketEvent::Data { data, .. }) =
            ctx.recv_timeout(Duration::from_millis(200)).await
        {
            total += data.len();
        }
        assert!(total > 0);
        drop(conn);
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test]
async fn the_reader_ends_with_its_owner_and_the_socket_closes() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (a, mut peer) = Conn::pair().unwrap();
    let owner = spawn(move |mut ctx: Ctx<SocketEvent>| async move {
        let conn = a.into_active(&ctx.pid());
        tx.send(conn.process()).unwrap();
        ctx.recv_match(|_| false).await;
    });
    let reader = rx.await.unwrap();
    owner.kill();
    owner.wait().await;
    actor_core::timeout(T, reader.wait()).await.unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(
        actor_core::timeout(T, peer.read(&mut buf))
            .await
            .unwrap()
            .unwrap(),
        0
    );
}
