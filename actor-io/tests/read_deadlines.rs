//! A read deadline bounds a whole message, however slowly it trickles in.
//! A peer that sends one byte a second never trips a read timeout (every
//! byte starts it again), so without a deadline it holds its connection
//! for as long as it likes; with one it is cut off when the deadline
//! passes: in passive mode, in active mode, and from accept when the
//! listener sets it.
//!
//! Time is tokio's paused clock, which jumps from timer to timer: the
//! trickles take no real time, and the deadline is observed to within
//! tokio's timer resolution (a millisecond). The sockets are Unix sockets,
//! whose writes are in the peer's buffer when they return.

use std::time::Duration;

use actor_core::{Ctx, spawn};
use actor_io::{Conn, Error, Listener, SocketEvent};

mod common;

/// The trickle's pace: one byte per tick.
const TICK: Duration = Duration::from_secs(1);
/// The read timeout: far longer than a tick, so it never fires.
const IDLE: Duration = Duration::from_secs(5);
/// The read deadline.
const DEADLINE: Duration = Duration::from_secs(10);
/// A message that takes 100 ticks to trickle in.
const MESSAGE: &[u8] = &[b'x'; 100];

/// Writes `msg` one byte per tick; stops early if the other side has
/// gone. Returns how many bytes it wrote.
async fn trickle(mut conn: Conn, msg: &[u8]) -> usize {
    for (i, b) in msg.iter().enumerate() {
        if conn.write_all(std::slice::from_ref(b)).await.is_err() {
            return i;
        }
        actor_core::sleep(TICK).await;
    }
    msg.len()
}

/// Reads until an error or the end; returns the bytes read and how it
/// ended (`None` at the end of the stream).
async fn read_all(conn: &mut Conn) -> (usize, Option<Error>) {
    let mut got = 0;
    let mut buf = [0u8; 64];
    loop {
        match conn.read(&mut buf).await {
            Ok(0) => return (got, None),
            Ok(n) => got += n,
            Err(e) => return (got, Some(e)),
        }
    }
}

/// Asserts that `elapsed` is the deadline, to within tokio's timer
/// resolution.
fn assert_at_deadline(elapsed: Duration) {
    assert!(
        elapsed >= DEADLINE && elapsed <= DEADLINE + Duration::from_millis(1),
        "cut off after {elapsed:?}, not when the {DEADLINE:?} deadline passed"
    );
}

fn assert_deadline(error: Option<&Error>) {
    match error {
        Some(Error::TimedOut { op }) => assert_eq!(*op, "read deadline"),
        other => panic!("expected the read deadline to pass, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_trickling_peer_is_cut_off_at_the_read_deadline() {
    let (mut server, client) = Conn::pair().unwrap();
    server.set_read_timeout(Some(IDLE));
    let start = actor_core::now();
    server.set_read_deadline(Some(start + DEADLINE));
    assert_eq!(server.read_deadline(), Some(start + DEADLINE));
    let reader = async {
        let (got, error) = read_all(&mut server).await;
        let at = actor_core::now() - start;
        drop(server);
        (got, error, at)
    };
    let ((got, error, at), written) = tokio::join!(reader, trickle(client, MESSAGE));
    assert_deadline(error.as_ref());
    assert_at_deadline(at);
    // Data kept coming until then: the read timeout never fired.
    assert!((9..=11).contains(&got), "read {got} bytes in {DEADLINE:?}");
    assert!(written < MESSAGE.len(), "the trickle was cut short");
    // Every later read fails at once, data or not.
    let (mut again, mut peer) = Conn::pair().unwrap();
    again.set_read_deadline(Some(actor_core::now()));
    peer.write_all(b"ready").await.unwrap();
    let mut buf = [0u8; 8];
    assert_deadline(again.read(&mut buf).await.err().as_ref());
}

#[tokio::test(start_paused = true)]
async fn a_cleared_deadline_lets_a_slow_message_finish() {
    let (mut server, client) = Conn::pair().unwrap();
    server.set_read_timeout(Some(IDLE));
    server.set_read_deadline(Some(actor_core::now() + DEADLINE));
    let reader = async {
        let mut buf = [0u8; 1];
        assert_eq!(server.read(&mut buf).await.unwrap(), 1);
        // The message is under way: no deadline for this one.
        server.set_read_deadline(None);
        let (got, error) = read_all(&mut server).await;
        (got + 1, error)
    };
    let ((got, error), written) = tokio::join!(reader, trickle(client, MESSAGE));
    assert!(error.is_none(), "{error:?}");
    assert_eq!((got, written), (MESSAGE.len(), MESSAGE.len()));
    assert!(actor_core::now() > DEADLINE * 9);
}

#[tokio::test(start_paused = true)]
async fn an_active_connection_reports_the_deadline_as_an_event() {
    let (mut server, client) = Conn::pair().unwrap();
    server.set_read_timeout(Some(IDLE));
    let start = actor_core::now();
    let owner = spawn(move |mut ctx: Ctx<SocketEvent>| async move {
        let conn = server.into_active(&ctx.pid());
        // Set (and moved) after the switch to active mode.
        conn.set_read_deadline(Some(start + DEADLINE * 2));
        conn.set_read_deadline(Some(start + DEADLINE));
        let mut got = 0;
        loop {
            match ctx.recv().await {
                SocketEvent::Data { data, .. } => {
                    got += data.len();
                    conn.arm();
                }
                SocketEvent::Error { error, .. } => {
                    assert_deadline(Some(&error));
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_at_deadline(actor_core::now() - start);
        assert!((9..=11).contains(&got), "read {got} bytes");
    });
    let written = trickle(client, MESSAGE).await;
    assert!(written < MESSAGE.len(), "the trickle was cut short");
    common::ends_normally(owner.wait(), DEADLINE).await;
}

#[tokio::test(start_paused = true)]
async fn a_listeners_read_deadline_runs_from_accept() {
    let dir = std::env::temp_dir().join(format!("actor-io-deadline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sock");
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
    let (ended_tx, mut ended) = tokio::sync::mpsc::unbounded_channel();
    let server = Listener::unix(&path)
        .read_timeout(IDLE)
        .read_deadline(DEADLINE)
        .serve(move |mut ctx: Ctx<SocketEvent>, conn: Conn| {
            let (started_tx, ended_tx) = (started_tx.clone(), ended_tx.clone());
            async move {
                let _ = started_tx.send(conn.read_deadline());
                // The deadline carries over into active mode.
                let conn = conn.into_active(&ctx.pid());
                loop {
                    match ctx.recv().await {
                        SocketEvent::Data { .. } => conn.arm(),
                        other => {
                            let _ = ended_tx.send((other, actor_core::now()));
                            return;
                        }
                    }
                }
            }
        })
        .await
        .unwrap();
    let start = actor_core::now();
    let client = Conn::connect_unix(&path).await.unwrap();
    // No timer runs until the connection is accepted, so no time passes.
    let deadline = started.recv().await.expect("the handler starts");
    assert_eq!(deadline, Some(start + DEADLINE), "set at accept");
    let written = trickle(client, MESSAGE).await;
    let (event, at) = ended.recv().await.expect("the handler reports");
    match event {
        SocketEvent::Error { error, .. } => assert_deadline(Some(&error)),
        other => panic!("expected the deadline, got {other:?}"),
    }
    assert_at_deadline(at - start);
    assert!(written < MESSAGE.len(), "the trickle was cut short");
    server.stop();
    server.wait().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
