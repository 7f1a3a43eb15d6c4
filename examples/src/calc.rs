//! A process drives an interactive program through its pipes (the seed's
//! `gevent.subprocess`): it writes a question line to the child's stdin,
//! waits for the answer line on its stdout, and so on, then says `quit`.
//! Used by the `subprocess_pipe` example and the cross-crate tests.

use std::time::Duration;

use actor_core::{Ctx, ExitReason, spawn};
use actor_io::{Command, Error, PortEvent};

/// Questions for `bc` and the answers it must give.
pub const BC_QUESTIONS: &[(&str, &str)] = &[
    ("2+3", "5"),
    ("6*7", "42"),
    ("2^100", "1267650600228229401496703205376"),
    ("sqrt(144)", "12"),
    ("scale=3; 10/4", "2.500"),
    ("(1+2)*(3+4)", "21"),
];

/// How long to wait for one answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts `bc -q` owned by a new process, asks it each question in turn,
/// one line each, collects the answers, and ends the conversation with
/// `quit`.
///
/// # Errors
///
/// [`Error::NotFound`] if `bc` is not installed, [`Error::TimedOut`] if it
/// does not answer, [`Error::Closed`] if it exits early.
///
/// # Examples
///
/// ```no_run
/// # actor_core::Runtime::tokio().block_on(async {
/// let answers = examples::calc::ask_bc(&["1+1"]).await.unwrap();
/// assert_eq!(answers, ["2"]);
/// # });
/// ```
pub async fn ask_bc(questions: &[&str]) -> Result<Vec<String>, Error> {
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
    let bc = Command::new("bc").arg("-q").lines().spawn(&ctx.pid())?;
    let mut answers = Vec::new();
    for q in questions {
        bc.write(format!("{q}\n"))?;
        let answer = loop {
            match actor_core::timeout(ANSWER_TIMEOUT, ctx.recv()).await {
                Err(_) => return Err(Error::TimedOut { op: "answer" }),
                Ok(PortEvent::Stdout { data, .. }) => {
                    break String::from_utf8_lossy(&data).into_owned();
                }
                Ok(PortEvent::Stderr { data, .. }) => {
                    return Err(Error::Protocol(format!(
                        "bc complained: {}",
                        String::from_utf8_lossy(&data)
                    )));
                }
                Ok(PortEvent::Exited { .. }) => return Err(Error::Closed),
                Ok(PortEvent::Error { error, .. }) => return Err(error),
                Ok(_) => continue,
            }
        };
        bc.arm();
        answers.push(answer);
    }
    bc.write("quit\n")?;
    loop {
        match actor_core::timeout(ANSWER_TIMEOUT, ctx.recv()).await {
            Ok(PortEvent::Exited { status, .. }) if status.success() => return Ok(answers),
            Ok(PortEvent::Exited { status, .. }) => {
                return Err(Error::Protocol(format!("bc ended with {status}")));
            }
            Ok(PortEvent::Stdout { .. } | PortEvent::Stderr { .. }) => bc.arm(),
            Ok(PortEvent::Error { error, .. }) => return Err(error),
            Ok(_) => {}
            Err(_) => return Err(Error::TimedOut { op: "quit" }),
        }
    }
}
