//! Subprocess ports: output as messages (chunks or lines, stdout and
//! stderr apart), the exit status as the last message, a crash as a death
//! by signal, a missing program as a typed error.

use std::time::Duration;

use actor_core::{Ctx, spawn};
use actor_io::{Capture, ChildExit, Command, Error, MAX_LINE, PortEvent};

mod common;

const T: Duration = Duration::from_secs(10);

/// Everything a port sends until it exits.
#[derive(Debug, Default)]
struct Collected {
    stdout: Vec<Vec<u8>>,
    stderr: Vec<Vec<u8>>,
    status: Option<ChildExit>,
}

/// Runs `cmd` as a port owned by a fresh process that grants one credit
/// per message, and returns what it received.
async fn collect(cmd: Command) -> Collected {
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn(move |mut ctx: Ctx<PortEvent>| async move {
        let port = cmd.spawn(&ctx.pid()).unwrap();
        let mut got = Collected::default();
        loop {
            match actor_core::timeout(T, ctx.recv())
                .await
                .expect("port events in time")
            {
                PortEvent::Stdout { data, port: id } => {
                    assert_eq!(id, port.id());
                    got.stdout.push(data.to_vec());
                    port.arm();
                }
                PortEvent::Stderr { data, .. } => {
                    got.stderr.push(data.to_vec());
                    port.arm();
                }
                PortEvent::Exited { status, .. } => {
                    got.status = Some(status);
                    let _ = tx.send(got);
                    return;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    });
    actor_core::timeout(T, rx)
        .await
        .unwrap()
        .expect("the owner finished")
}

fn lines(v: &[Vec<u8>]) -> Vec<String> {
    v.iter()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect()
}

#[tokio::test]
async fn lines_arrive_one_message_each_then_the_exit() {
    let got = collect(
        Command::new("sh")
            .args(["-c", "printf 'one\\ntwo\\r\\nthree'; echo oops >&2; exit 3"])
            .lines(),
    )
    .await;
    assert_eq!(lines(&got.stdout), ["one", "two", "three"]);
    assert_eq!(lines(&got.stderr), ["oops"]);
    let status = got.status.unwrap();
    assert_eq!(status.code(), Some(3));
    assert!(!status.success());
}

#[tokio::test]
async fn a_line_of_max_line_bytes_is_one_message_and_longer_ones_come_in_pieces() {
    let script = format!(
        "head -c {n} /dev/zero | tr '\\0' a; echo; head -c {m} /dev/zero | tr '\\0' b; echo; echo next",
        n = MAX_LINE,
        m = MAX_LINE + 10
    );
    let got = collect(Command::new("sh").args(["-c", &script]).lines()).await;
    let lens: Vec<usize> = got.stdout.iter().map(Vec::len).collect();
    assert_eq!(lens, [MAX_LINE, MAX_LINE, 10, 4]);
    assert!(got.stdout[0].iter().all(|&b| b == b'a'));
    assert!(got.stdout[1..3].concat().iter().all(|&b| b == b'b'));
    assert_eq!(got.stdout[3], b"next");
}

#[tokio::test]
async fn chunks_carry_all_the_bytes() {
    let got = collect(Command::new("sh").args(["-c", "head -c 300000 /dev/zero"])).await;
    let total: usize = got.stdout.iter().map(Vec::len).sum();
    assert_eq!(total, 300_000);
    assert!(got.stdout.iter().all(|c| c.iter().all(|&b| b == 0)));
    assert!(got.status.unwrap().success());
}

#[tokio::test]
async fn stderr_can_be_discarded() {
    let got = collect(
        Command::new("sh")
            .args(["-c", "echo out; echo err >&2"])
            .lines()
            .stderr(Capture::Discard),
    )
    .await;
    assert_eq!(lines(&got.stdout), ["out"]);
    assert!(got.stderr.is_empty());
}

#[tokio::test]
async fn a_crash_is_a_death_by_signal() {
    let got = collect(Command::new("sh").args(["-c", "kill -SEGV $$"])).await;
    let status = got.status.unwrap();
    assert_eq!(status.signal(), Some(11));
    assert_eq!(status.code(), None);
    assert_eq!(status.to_string(), "killed by signal 11");
}

#[tokio::test]
async fn a_missing_program_is_a_typed_error() {
    let owner = spawn(|ctx: Ctx<PortEvent>| async move {
        match Command::new("no-such-program-actor-io").spawn(&ctx.pid()) {
            Err(Error::NotFound { program }) => assert_eq!(program, "no-such-program-actor-io"),
            other => panic!("expected NotFound, got {other:?}"),
        }
        // Returned as the owner's exit reason, it is typed too.
        Command::new("no-such-program-actor-io")
            .spawn(&ctx.pid())
            .map(drop)
    });
    let reason = actor_core::timeout(T, owner.wait()).await.unwrap();
    match reason {
        actor_core::ExitReason::Error(e) => {
            assert!(matches!(
                e.downcast_ref::<Error>(),
                Some(Error::NotFound { .. })
            ));
        }
        other => panic!("expected an error exit, got {other}"),
    }
}

#[tokio::test]
async fn killing_the_child_reports_its_death() {
    let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
        let port = Command::new("sleep").arg("1000").spawn(&ctx.pid()).unwrap();
        port.kill();
        match actor_core::timeout(T, ctx.recv()).await.unwrap() {
            PortEvent::Exited { status, .. } => assert_eq!(status.signal(), Some(9)),
            other => panic!("{other:?}"),
        }
    });
    common::ends_normally(owner.wait(), T).await;
}
