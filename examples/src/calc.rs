//! A process drives an interactive program through its pipes (the seed's
//! `gevent.subprocess`): it writes a question line to the child's stdin,
//! waits for the answer line on its stdout, and so on, then closes the
//! child's stdin and waits for it to exit. The child is a calculator in
//! `sh`, which every POSIX system has. Used by the `subprocess_pipe`
//! example and the cross-crate tests.

use std::time::Duration;

use actor_core::{Ctx, ExitReason, spawn};
use actor_io::{Command, Error, PortEvent};

/// The calculator: `sh` reads an arithmetic expression per line and
/// answers its value (64-bit integers, C's operators), until the end of
/// its input.
pub const CALCULATOR: &str = r#"while read -r q; do echo "$(($q))"; done"#;

/// Questions for the calculator and the answers it must give.
pub const QUESTIONS: &[(&str, &str)] = &[
    ("2+3", "5"),
    ("6*7", "42"),
    ("1<<62", "4611686018427387904"),
    ("(1+2)*(3+4)", "21"),
    ("100/7", "14"),
    ("0x10 + 010", "24"),
    ("-9*-9", "81"),
];

/// How long to wait for one answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the [`CALCULATOR`] owned by a new process, asks it each
/// question in turn, one line each, collects the answers, and ends the
/// conversation by closing its stdin.
///
/// # Errors
///
/// [`Error::NotFound`] if there is no `sh`, [`Error::TimedOut`] if the
/// calculator does not answer, [`Error::Closed`] if it exits early,
/// [`Error::Protocol`] if it complains on stderr (a malformed question).
///
/// # Examples
///
/// ```
/// # actor_core::Runtime::tokio().block_on(async {
/// let answers = examples::calc::ask(&["1+1", "6*7"]).await.unwrap();
/// assert_eq!(answers, ["2", "42"]);
/// # });
/// ```
pub async fn ask(questions: &[&str]) -> Result<Vec<String>, Error> {
    let questions: Vec<String> = questions.iter().map(|q| q.to_string()).collect();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let asker = spawn(move |mut ctx: Ctx<PortEvent>| async move {
        let result = converse(&mut ctx, &questions).await;
        let _ = tx.send(result);
    });
    match rx.await {
        Ok(result) => result,
        Err(_) => Err(match asker.wait().await {
            ExitReason::Error(e) => Error::Protocol(e.to_string()),
            other => Error::Protocol(other.to_string()),
        }),
    }
}

async fn converse(ctx: &mut Ctx<PortEvent>, questions: &[String]) -> Result<Vec<String>, Error> {
    let calc = Command::new("sh")
        .args(["-c", CALCULATOR])
        .lines()
        .spawn(&ctx.pid())?;
    let mut answers = Vec::new();
    for q in questions {
        calc.write(format!("{q}\n"))?;
        let answer = loop {
            match actor_core::timeout(ANSWER_TIMEOUT, ctx.recv()).await {
                Err(_) => return Err(Error::TimedOut { op: "answer" }),
                Ok(PortEvent::Stdout { data, .. }) => {
                    break String::from_utf8_lossy(&data).into_owned();
                }
                Ok(PortEvent::Stderr { data, .. }) => {
                    return Err(Error::Protocol(format!(
                        "the calculator complained: {}",
                        String::from_utf8_lossy(&data)
                    )));
                }
                Ok(PortEvent::Exited { .. }) => return Err(Error::Closed),
                Ok(PortEvent::Error { error, .. }) => return Err(error),
                Ok(_) => continue,
            }
        };
        calc.arm();
        answers.push(answer);
    }
    calc.close_stdin();
    loop {
        match actor_core::timeout(ANSWER_TIMEOUT, ctx.recv()).await {
            Ok(PortEvent::Exited { status, .. }) if status.success() => return Ok(answers),
            Ok(PortEvent::Exited { status, .. }) => {
                return Err(Error::Protocol(format!(
                    "the calculator ended with {status}"
                )));
            }
            Ok(PortEvent::Stdout { .. } | PortEvent::Stderr { .. }) => calc.arm(),
            Ok(PortEvent::Error { error, .. }) => return Err(error),
            Ok(_) => {}
            Err(_) => return Err(Error::TimedOut { op: "exit" }),
        }
    }
}
