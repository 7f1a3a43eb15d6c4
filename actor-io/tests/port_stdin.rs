//! A process drives a child through its pipes: stdin written by message,
//! answers read as messages, end of input by closing stdin, and
//! acknowledgements for flow control of the input.

use std::time::Duration;

use actor_core::{Ctx, spawn};
use actor_io::{Command, PortEvent};

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
        match next(&mut ctx).await {
            PortEvent::Exited { status, .. } => assert!(status.success()),
            other => panic!("{other:?}"),
        }
        // Once the port's process has ended, writing is an error, not a panic.
        cat.process().wait().await;
        assert!(cat.write("late\n").is_err());
    });
    let reason = actor_core::timeout(T, owner.wait()).await.unwrap();
    assert!(reason.is_normal(), "{reason}");
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
        match next(&mut ctx).await {
            PortEvent::Stdout { data, .. } => assert_eq!(data.trim_ascii(), b"100023"),
            other => panic!("{other:?}"),
        }
        wc.arm();
        assert!(matches!(next(&mut ctx).await, PortEvent::Exited { .. }));
    });
    let reason = actor_core::timeout(T, owner.wait()).await.unwrap();
    assert!(reason.is_normal(), "{reason}");
}

/// A child that stops reading its stdin early (head) does not break the
/// port: what cannot be written is dropped, the exit still arrives.
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
            head.write(vec![b'z'; 64 * 1024]).unwrap();
        }
        let mut out = Vec::new();
        loop {
            match next(&mut ctx).await {
                PortEvent::Stdout { data, .. } => {
                    out.push(data);
                    head.arm();
                }
                PortEvent::Exited { status, .. } => {
                    assert!(status.success());
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(out, ["first"]);
    });
    let reason = actor_core::timeout(T, owner.wait()).await.unwrap();
    assert!(reason.is_normal(), "{reason}");
}
