//! A listener's connection limit: a connection accepted while the limit
//! is reached gets the listener's refusal and is closed at once, with no
//! process started for it; a connection that closes frees its place.

use std::time::Duration;

use actor_core::Ctx;
use actor_io::{Conn, Error, Listener};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

const T: Duration = Duration::from_secs(10);

/// A connection held by its process; says so once it has been dropped.
struct Held {
    conn: Option<Conn>,
    dropped: UnboundedSender<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        drop(self.conn.take());
        let _ = self.dropped.send(());
    }
}

/// Greets, then waits for the client to close.
async fn greet_and_hold(mut held: Held) -> Result<(), Error> {
    let conn = held.conn.as_mut().unwrap();
    conn.write_all(b"hello\n").await?;
    let mut buf = [0u8; 64];
    while conn.read(&mut buf).await? > 0 {}
    Ok(())
}

/// Everything the server sends until it closes (a reset after the data
/// counts as a close).
async fn read_to_close(conn: &mut Conn) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        match actor_core::timeout(T, conn.read(&mut buf)).await {
            Err(_) => panic!("the server neither answered nor closed"),
            Ok(Ok(0)) | Ok(Err(Error::ConnectionReset)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => panic!("reading: {e}"),
        }
    }
}

async fn greeting(conn: &mut Conn) -> Vec<u8> {
    let mut buf = [0u8; 6];
    let mut got = 0;
    while got < buf.len() {
        let n = actor_core::timeout(T, conn.read(&mut buf[got..]))
            .await
            .expect("a greeting in time")
            .unwrap();
        assert!(n > 0, "closed before the greeting");
        got += n;
    }
    buf.to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_get_the_refusal_and_are_closed() {
    let (dropped_tx, mut dropped) = unbounded_channel();
    let server = Listener::tcp("127.0.0.1:0")
        .max_connections(2)
        .refusal("busy\n")
        .serve(move |_ctx: Ctx<()>, conn: Conn| {
            let held = Held {
                conn: Some(conn),
                dropped: dropped_tx.clone(),
            };
            greet_and_hold(held)
        })
        .await
        .unwrap();
    let addr = server.addr().to_string();
    let mut a = Conn::connect_tcp(&addr).await.unwrap();
    assert_eq!(greeting(&mut a).await, b"hello\n");
    let mut b = Conn::connect_tcp(&addr).await.unwrap();
    assert_eq!(greeting(&mut b).await, b"hello\n");

    // Over the limit: the refusal, then the close.
    for _ in 0..3 {
        let mut over = Conn::connect_tcp(&addr).await.unwrap();
        assert_eq!(read_to_close(&mut over).await, b"busy\n");
    }
    // One that speaks first is refused the same way.
    let mut eager = Conn::connect_tcp(&addr).await.unwrap();
    eager.write_all(b"let me in\n").await.unwrap();
    assert_eq!(read_to_close(&mut eager).await, b"busy\n");
    // No process was started for any of them.
    assert_eq!(server.connections().await.unwrap(), 2);

    // One leaves: its place is free again.
    drop(a);
    actor_core::timeout(T, dropped.recv())
        .await
        .expect("the connection ends in time");
    let mut c = Conn::connect_tcp(&addr).await.unwrap();
    assert_eq!(greeting(&mut c).await, b"hello\n");
    let mut over = Conn::connect_tcp(&addr).await.unwrap();
    assert_eq!(read_to_close(&mut over).await, b"busy\n");

    // The ones served were never disturbed.
    b.write_all(b"still here").await.unwrap();
    drop((b, c));
    server.stop();
    actor_core::timeout(T, server.wait()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_refusal_a_connection_over_the_limit_is_just_closed() {
    let dir = std::env::temp_dir().join(format!("actor-io-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sock");
    let (dropped_tx, _dropped) = unbounded_channel();
    let server = Listener::unix(&path)
        .max_connections(1)
        .serve(move |_ctx: Ctx<()>, conn: Conn| {
            let held = Held {
                conn: Some(conn),
                dropped: dropped_tx.clone(),
            };
            greet_and_hold(held)
        })
        .await
        .unwrap();
    let mut a = Conn::connect_unix(&path).await.unwrap();
    assert_eq!(greeting(&mut a).await, b"hello\n");
    let mut over = Conn::connect_unix(&path).await.unwrap();
    assert_eq!(read_to_close(&mut over).await, b"");
    drop(a);
    server.stop();
    actor_core::timeout(T, server.wait()).await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
