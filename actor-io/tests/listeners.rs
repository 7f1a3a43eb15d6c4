//! TCP and Unix listeners as processes: each connection is a process of
//! its own under the listener's supervisor; one that crashes affects no
//! other; stopping the listener stops them all.

use std::time::Duration;

use actor_core::{Ctx, ExitReason};
use actor_io::{Conn, Error, Listener, Server};

const T: Duration = Duration::from_secs(10);

/// Echoes lines; panics on "boom".
async fn echo(_ctx: Ctx<()>, mut conn: Conn) -> Result<(), Error> {
    let mut buf = [0u8; 1024];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        if buf[..n].starts_with(b"boom") {
            panic!("asked to crash");
        }
        conn.write_all(&buf[..n]).await?;
    }
}

async fn round_trip(conn: &mut Conn, msg: &[u8]) -> Vec<u8> {
    conn.write_all(msg).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while got.len() < msg.len() {
        let n = actor_core::timeout(T, conn.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed early");
        got.extend_from_slice(&buf[..n]);
    }
    got
}

async fn tcp_server() -> (Server, String) {
    let server = Listener::tcp("127.0.0.1:0").serve(echo).await.unwrap();
    let addr = server.addr().tcp().unwrap().to_string();
    (server, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_connection_is_served_by_its_own_process() {
    let (server, addr) = tcp_server().await;
    let mut clients = Vec::new();
    for _ in 0..20 {
        clients.push(Conn::connect_tcp(&addr).await.unwrap());
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let msg = format!("hello {i}\n");
        assert_eq!(round_trip(c, msg.as_bytes()).await, msg.as_bytes());
    }
    assert_eq!(server.connections().await.unwrap(), 20);
    drop(clients);
    server.stop();
    assert_eq!(
        actor_core::timeout(T, server.wait()).await.unwrap(),
        ExitReason::Shutdown
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashing_connection_affects_no_other() {
    let (server, addr) = tcp_server().await;
    let mut steady = Conn::connect_tcp(&addr).await.unwrap();
    assert_eq!(round_trip(&mut steady, b"before").await, b"before");
    for _ in 0..5 {
        let mut crasher = Conn::connect_tcp(&addr).await.unwrap();
        crasher.write_all(b"boom").await.unwrap();
        // Its process panics and its socket closes.
        let mut buf = [0u8; 16];
        let r = actor_core::timeout(T, crasher.read(&mut buf))
            .await
            .unwrap();
        assert!(matches!(r, Ok(0) | Err(Error::ConnectionReset)), "{r:?}");
    }
    // The steady connection and the server carry on.
    assert_eq!(round_trip(&mut steady, b"after").await, b"after");
    let mut late = Conn::connect_tcp(&addr).await.unwrap();
    assert_eq!(round_trip(&mut late, b"late").await, b"late");
    assert!(server.process().is_alive());
    server.stop();
    actor_core::timeout(T, server.wait()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_listener_stops_its_connections() {
    let (server, addr) = tcp_server().await;
    let mut client = Conn::connect_tcp(&addr).await.unwrap();
    assert_eq!(round_trip(&mut client, b"hi").await, b"hi");
    server.stop();
    actor_core::timeout(T, server.wait()).await.unwrap();
    assert!(!server.supervisor().is_alive());
    // The connection's process is gone, so its socket is closed.
    let mut buf = [0u8; 4];
    let r = actor_core::timeout(T, client.read(&mut buf)).await.unwrap();
    assert!(matches!(r, Ok(0) | Err(Error::ConnectionReset)), "{r:?}");
    // And nothing listens any more.
    assert!(Conn::connect_tcp(&addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unix_listener_serves_and_removes_its_socket_file() {
    let dir = std::env::temp_dir().join(format!("actor-io-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    let _ = std::fs::remove_file(&path);
    let server = Listener::unix(&path).serve(echo).await.unwrap();
    assert_eq!(server.addr().path(), Some(path.as_path()));
    let mut client = Conn::connect_unix(&path).await.unwrap();
    assert_eq!(round_trip(&mut client, b"over unix").await, b"over unix");
    server.stop();
    actor_core::timeout(T, server.wait()).await.unwrap();
    assert!(!path.exists());
    let _ = std::fs::remove_dir(&dir);
}

#[tokio::test]
async fn binding_a_taken_address_is_a_typed_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = Listener::tcp(&addr).serve(echo).await.unwrap_err();
    let io = err.io_error().expect("an OS error");
    assert_eq!(io.kind(), std::io::ErrorKind::AddrInUse);
}
