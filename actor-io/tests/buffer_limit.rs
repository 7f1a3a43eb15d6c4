//! A listener's buffer limit: what its connections reserve for buffering
//! (request bodies, frames) is capped across all of them; a reservation
//! that does not fit fails at once with `Error::BufferLimit`, and room
//! comes back when a reservation is dropped or its connection's process
//! ends.

use std::time::Duration;

use actor_core::Ctx;
use actor_io::{Conn, Error, Listener, Reservation};
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

const T: Duration = Duration::from_secs(10);
const LIMIT: usize = 100;

/// What a connection has reserved; says so once it has given it back.
struct Held {
    reservations: Vec<Reservation>,
    released: UnboundedSender<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.reservations.clear();
        let _ = self.released.send(());
    }
}

/// A line protocol: `reserve N` answers `ok` or `full IN_USE of LIMIT`;
/// `release` gives back all this connection holds.
async fn serve(mut conn: Conn, mut held: Held) -> Result<(), Error> {
    let mut line = Vec::new();
    let mut buf = [0u8; 64];
    loop {
        let n = conn.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        line.extend_from_slice(&buf[..n]);
        while let Some(end) = line.iter().position(|&b| b == b'\n') {
            let cmd = String::from_utf8(line.drain(..=end).collect()).unwrap();
            let answer = match cmd.trim().split_once(' ') {
                Some(("reserve", n)) => match conn.reserve(n.parse().unwrap()) {
                    Ok(r) => {
                        held.reservations.push(r);
                        "ok".to_string()
                    }
                    Err(Error::BufferLimit { in_use, limit, .. }) => {
                        format!("full {in_use} of {limit}")
                    }
                    Err(e) => return Err(e),
                },
                None if cmd.trim() == "release" => {
                    held.reservations.clear();
                    "released".to_string()
                }
                _ => panic!("bad command {cmd:?}"),
            };
            conn.write_all(format!("{answer}\n").as_bytes()).await?;
        }
    }
}

async fn ask(conn: &mut Conn, cmd: &str) -> String {
    conn.write_all(format!("{cmd}\n").as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    while !got.ends_with(b"\n") {
        let n = actor_core::timeout(T, conn.read(&mut buf))
            .await
            .expect("an answer in time")
            .unwrap();
        assert!(n > 0, "closed before answering {cmd}");
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got).unwrap().trim_end().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reservations_are_capped_across_connections() {
    let (released_tx, mut released) = unbounded_channel();
    let server = Listener::tcp("127.0.0.1:0")
        .buffer_limit(LIMIT)
        .serve(move |_ctx: Ctx<()>, conn: Conn| {
            let held = Held {
                reservations: Vec::new(),
                released: released_tx.clone(),
            };
            serve(conn, held)
        })
        .await
        .unwrap();
    let addr = server.addr().to_string();
    let mut a = Conn::connect_tcp(&addr).await.unwrap();
    let mut b = Conn::connect_tcp(&addr).await.unwrap();
    assert_eq!(ask(&mut a, "reserve 60").await, "ok");
    // What one connection holds, another cannot have.
    assert_eq!(ask(&mut b, "reserve 50").await, "full 60 of 100");
    assert_eq!(ask(&mut b, "reserve 40").await, "ok");
    assert_eq!(ask(&mut b, "reserve 1").await, "full 100 of 100");
    assert_eq!(ask(&mut a, "reserve 1").await, "full 100 of 100");
    // Given back by dropping the reservation...
    assert_eq!(ask(&mut a, "release").await, "released");
    assert_eq!(ask(&mut b, "reserve 60").await, "ok");
    assert_eq!(ask(&mut a, "reserve 1").await, "full 100 of 100");
    // ... or by the end of the connection's process.
    drop(b);
    actor_core::timeout(T, released.recv())
        .await
        .expect("b's process ends in time");
    assert_eq!(ask(&mut a, "reserve 100").await, "ok");
    // More than the limit never fits.
    assert_eq!(ask(&mut a, "release").await, "released");
    assert_eq!(ask(&mut a, "reserve 101").await, "full 0 of 100");
    drop(a);
    server.stop();
    actor_core::timeout(T, server.wait()).await.unwrap();
}

#[tokio::test]
async fn a_connection_of_no_listener_has_no_limit() {
    let (a, _b) = Conn::pair().unwrap();
    let r = a.reserve(usize::MAX).unwrap();
    assert_eq!(r.bytes(), usize::MAX);
    assert_eq!(a.reserve(usize::MAX).unwrap().bytes(), usize::MAX);
}

#[test]
fn the_error_says_how_much_was_wanted_and_what_is_in_use() {
    let e = Error::BufferLimit {
        wanted: 5,
        in_use: 98,
        limit: 100,
    };
    assert_eq!(
        e.to_string(),
        "no room to buffer 5 bytes: 98 of the 100 shared by the listener's connections are in use"
    );
}
