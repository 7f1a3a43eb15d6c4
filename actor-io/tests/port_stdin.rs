//! A process drives a child through its pipes: stdin written by message,
//! answers read as messages, end of input by closing stdin, and
//! acknowledgements for flow control of the input.

use std::time::Duration;

use actor_core::{Ctx, spawn};
use actor_io::{Command, Error, PortEvent};

mod common;

const T: Duration = Duration::from_secs(10);

async fn next(ctx: &mut Ctx<PortEvent>) -> PortEvent {
    actor_core::timeout(T, ctx.recv())
        .await
        .expect("an event in time")
}

#[tokio::test]
async fn a_conversation_with_cat_line_by_line() {
    let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
        let cat = Command::new("cat").lines().spawn(&ctx.pid()).unwrap();
        for word in ["alpha", "beta", "gamma"] {
            cat.write(format!("{word}\n")).unwrap();
            match next(&mut ctx).await {
                PortEvent::Stdout { data, .. } => assert_eq!(data, word),
                other => panic!("{other:?}"),
            }
            cat.arm();
        }
        cat.close_stdin();
        // Writing after closing is an error at once.
        assert!(matches!(cat.write("after\n"), Err(Error::Closed)));
        match next(&mut ctx).await {
            PortEvent::StdinClosed { unwritten, .. } => assert_eq!(unwritten, 0),
            other => panic!("{other:?}"),
        }
        match next(&mut ctx).await {
            PortEvent::Exited { status, .. } => assert!(status.success()),
            other => panic!("{other:?}"),
        }
        // Once the port's process has ended, writing is an error, not a panic.
        cat.process().wait().await;
        assert!(cat.write("late\n").is_err());
    });
    common::ends_normally(owner.wait(), T).await;
}

#[tokio::test]
async fn acknowledgements_say_when_input_has_been_written() {
    let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
        let wc = Command::new("wc")
            .arg("-c")
            .lines()
            .stdin_acks()
            .spawn(&ctx.pid())
            .unwrap();
        wc.write(vec![b'x'; 100_000]).unwrap();
        wc.write(vec![b'y'; 23]).unwrap();
        let mut acked = Vec::new();
        while acked.len() < 2 {
            match next(&mut ctx).await {
                PortEvent::Written { bytes, .. } => acked.push(bytes),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(acked, [100_000, 23]);
        wc.close_stdin();
        let mut closed = 0;
        loop {
            match next(&mut ctx).await {
                PortEvent::StdinClosed { unwritten, .. } => {
                    assert_eq!(unwritten, 0);
                    closed += 1;
                }
                PortEvent::Stdout { data, .. } => {
                    assert_eq!(data.trim_ascii(), b"100023");
                    wc.arm();
                }
                PortEvent::Exited { .. } => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(closed, 1);
    });
    common::ends_normally(owner.wait(), T).await;
}

/// A child that stops reading its stdin early (head) does not break the
/// port: what cannot be written is counted in `StdinClosed`, once, and the
/// exit still arrives.
#[tokio::test]
async fn a_child_that_closes_its_stdin_early_is_fine() {
    let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
        let head = Command::new("head")
            .args(["-n", "1"])
            .lines()
            .spawn(&ctx.pid())
            .unwrap();
        head.write("first\n").unwrap();
        for _ in 0..100 {
            // Refused once the port knows stdin is gone.
            let _ = head.write(vec![b'z'; 64 * 1024]);
        }
        let mut out = Vec::new();
        let mut closed = Vec::new();
        loop {
            match next(&mut ctx).await {
                PortEvent::Stdout { data, .. } => {
                    out.push(data);
                    head.arm();
                }
                PortEvent::StdinClosed { unwritten, .. } => closed.push(unwritten),
                PortEvent::Exited { status, .. } => {
                    assert!(status.success());
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(out, ["first"]);
        assert_eq!(closed.len(), 1, "StdinClosed comes once: {closed:?}");
        assert!(closed[0] > 0, "head left most of it unread");
    });
    common::ends_normally(owner.wait(), T).await;
}

/// A child that closes its stdin at once while the owner keeps a window of
/// writes in flight: the owner is told (`StdinClosed`, with every byte
/// accounted for as written or not), instead of waiting for acks that
/// never come, and later writes fail.
#[tokio::test]
async fn stdin_closed_by_the_child_is_reported_to_the_owner() {
    let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
        let child = Command::new("sh")
            .args(["-c", "exec 0<&-; exec sleep 1000"])
            .stdin_acks()
            .spawn(&ctx.pid())
            .unwrap();
        const CHUNK: usize = 64 * 1024;
        const WINDOW: usize = 4;
        let mut accepted = 0;
        let mut in_flight = 0;
        let write =
            |accepted: &mut usize, in_flight: &mut usize| match child.write(vec![b'q'; CHUNK]) {
                Ok(()) => {
                    *accepted += CHUNK;
                    *in_flight += 1;
                    true
                }
                Err(Error::Closed) => false,
                Err(e) => panic!("{e:?}"),
            };
        while in_flight < WINDOW && write(&mut accepted, &mut in_flight) {}
        let mut acked = 0;
        let unwritten = loop {
            match next(&mut ctx).await {
                PortEvent::Written { bytes, .. } => {
                    acked += bytes;
                    in_flight -= 1;
                    // Keep the window full.
                    write(&mut accepted, &mut in_flight);
                }
                PortEvent::StdinClosed { unwritten, .. } => break unwritten,
                other => panic!("{other:?}"),
            }
        };
        assert!(unwritten > 0);
        assert_eq!(acked + unwritten, accepted, "every byte accounted for");
        assert!(matches!(child.write("more"), Err(Error::Closed)));
        child.close_stdin();
        // The child is still running: kill it; its exit comes next, and no
        // second StdinClosed.
        child.kill();
        match next(&mut ctx).await {
            PortEvent::Exited { status, .. } => assert_eq!(status.signal(), Some(9)),
            other => panic!("{other:?}"),
        }
    });
    common::ends_normally(owner.wait(), T).await;
}
