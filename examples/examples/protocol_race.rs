//! Finding an ordering bug with the protocol-testing harness.
//!
//! A counter process answers `Get` and `Set`. Two clients each want to add
//! one, and do it by reading the value and then writing back one more: a
//! lost update when both read before either writes. The harness explores
//! 1,000 seeds of the deterministic runtime (each a different choice of
//! who runs next and how long each message stays in flight), finds a seed
//! where the counter ends at 1 instead of 2, and prints the report: the
//! seed, the knobs, the end of the trace, and how to replay it.
//!
//! The fixed protocol asks the counter to add (`Add`), so that the read
//! and the write happen in one step of the counter; it passes every seed,
//! each run twice to check that the runs are deterministic.
//!
//! Everything printed depends only on the seeds, so running this again
//! prints exactly the same output. It exits with 0 when the bug was found
//! and the fix passed.
//!
//! `cargo run -p examples --example protocol_race`

use std::sync::Arc;
use std::time::Duration;

use actor_core::testing::Harness;
use actor_core::{CallError, Ctx, Pid, Reply, spawn};
use clap::Parser;

/// Where the example's lines go: standard output, or a test's buffer.
type Out = Arc<dyn Fn(&str) + Send + Sync>;

/// The counter's protocol.
enum Msg {
    /// Read the value.
    Get(Reply<u64>),
    /// Overwrite the value.
    Set(u64, Reply<()>),
    /// Add to the value in one step; answers the new value.
    Add(u64, Reply<u64>),
}

const TIMEOUT: Duration = Duration::from_secs(1);

fn counter() -> Pid<Msg> {
    spawn(|mut ctx: Ctx<Msg>| async move {
        let mut value = 0;
        loop {
            match ctx.recv().await {
                Msg::Get(reply) => {
                    let _ = reply.send(value);
                }
                Msg::Set(v, reply) => {
                    value = v;
                    let _ = reply.send(());
                }
                Msg::Add(n, reply) => {
                    value += n;
                    let _ = reply.send(value);
                }
            }
        }
    })
}

/// One client's increment: read-then-write (the bug) or `Add` (the fix).
async fn increment(counter: &Pid<Msg>, fixed: bool) -> Result<(), CallError> {
    if fixed {
        counter.call(|r| Msg::Add(1, r), TIMEOUT).await?;
    } else {
        let v = counter.call(Msg::Get, TIMEOUT).await?;
        counter.call(|r| Msg::Set(v + 1, r), TIMEOUT).await?;
    }
    Ok(())
}

/// The test body: two clients increment once each; the counter must read 2.
async fn two_clients(fixed: bool) -> Result<(), String> {
    let counter = counter();
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let counter = counter.clone();
            spawn(move |_: Ctx<()>| async move { increment(&counter, fixed).await })
        })
        .collect();
    for c in &clients {
        let reason = c.wait().await;
        if !reason.is_normal() {
            return Err(format!("client {} failed: {reason}", c.id()));
        }
    }
    let total = counter
        .call(Msg::Get, TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    counter.kill();
    if total == 2 {
        Ok(())
    } else {
        Err(format!(
            "lost update: two clients added 1 each, the counter reads {total}"
        ))
    }
}

/// "1st", "2nd", "3rd", "4th", ...
fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, r) if r != 11 => "st",
        (2, r) if r != 12 => "nd",
        (3, r) if r != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// Runs both explorations, handing each printed line to `out`; `true` when
/// the bug was found and the fix passed.
pub(crate) fn run(out: Out) -> bool {
    let harness = Harness::new()
        .seeds(1000)
        .max_delay(Duration::from_millis(1))
        .trace_tail(16)
        .replay_command("cargo run -p examples --example protocol_race");

    out("read-then-write counter, 2 clients:");
    let buggy = harness.explore(|| two_clients(false));
    match &buggy.failure {
        Some(failure) => {
            out(&format!(
                "  seed {} fails (the {} seed tried)",
                failure.seed,
                ordinal(buggy.seeds_run)
            ));
            for line in buggy.to_string().lines() {
                out(&format!("  {line}"));
            }
        }
        None => out(&format!(
            "  no failure in {} seeds (unexpected)",
            buggy.seeds_run
        )),
    }

    out("atomic-add counter, 2 clients, each seed run twice:");
    let fixed = harness.check_determinism().explore(|| two_clients(true));
    for line in fixed.to_string().lines() {
        out(&format!("  {line}"));
    }

    let ok = buggy.failure.is_some() && fixed.passed();
    out(if ok {
        "ok: the race was found and the fix passed"
    } else {
        "FAILED: expected the race to be found and the fix to pass"
    });
    ok
}

/// Finds a lost update with the protocol-testing harness over 1,000
/// seeds, then checks the fix (`ACTOR_SEED=N` replays one seed).
#[derive(Parser)]
#[command(name = "protocol_race")]
pub(crate) struct Args {}

fn main() {
    Args::parse();
    let ok = run(Arc::new(|line| println!("{line}")));
    std::process::exit(if ok { 0 } else { 1 });
}
