//! Finding a distributed bug with the simulated network.
//!
//! Three nodes: `bank` runs a ledger under the global name `ledger`;
//! `shop1` and `shop2` each run two tills that deposit 1 into the ledger
//! ten times, a tenth of a second apart. A deposit is a call with a
//! timeout, retried until it is answered: at least once, the usual way to
//! live with a network that loses messages.
//!
//! The bug: a retried `Deposit` is applied again. It only shows when the
//! network loses an answer, which it does here when a partition cuts a
//! shop off from the bank while the answer is in flight (or when the
//! deposit had arrived and the partition outlasts the call's timeout). The
//! harness explores seeds of the deterministic runtime over the simulated
//! network, each with one partition at a seeded time between seeded sides
//! for a seeded while, finds a seed where the ledger counts more than the
//! tills deposited, and prints the report: the seed, the knobs, the faults
//! the network injected, the end of the trace, and the line that replays
//! it.
//!
//! The fix numbers each till's deposits and the ledger applies each number
//! once (answering a repeat without applying it): it passes 1,000 seeds,
//! each run twice to check that the runs are deterministic.
//!
//! The nodes' code is what it would be on NATS: each `main` gets a
//! [`Node`], registers and looks up global names, and talks to pids on
//! other nodes; only how the nodes start differs ([`Network::start`]
//! instead of [`Node::connect`]). Everything printed depends only on the
//! seeds, so running this again prints exactly the same output. It exits
//! with 0 when the bug was found and the fix passed.
//!
//! `cargo run -p examples --example distributed_race`

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use actor_core::testing::Harness;
use actor_core::{Ctx, Pid, ProcessId, Reply, spawn};
use actor_net::Node;
use actor_net::sim::{NetConfig, Network};
use clap::Parser;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// Where the example's lines go: standard output, or a test's buffer.
type Out = Arc<dyn Fn(&str) + Send + Sync>;

/// The ledger's protocol.
#[derive(Serialize, Deserialize)]
enum Ledger {
    /// Add `amount`; answers the new balance.
    Deposit { amount: u64, reply: Reply<u64> },
    /// Add `amount` unless deposit `seq` of `till` was applied already;
    /// answers the balance.
    DepositOnce {
        till: ProcessId,
        seq: u64,
        amount: u64,
        reply: Reply<u64>,
    },
    /// The balance.
    Balance(Reply<u64>),
}

/// How long a till waits for an answer before it tries again.
const CALL_TIMEOUT: Duration = Duration::from_millis(300);

/// How the two protocols differ: whether deposits are numbered.
#[derive(Clone, Copy)]
pub(crate) struct Protocol {
    numbered: bool,
    /// Tills per shop.
    tills: usize,
    /// Deposits per till.
    deposits: u64,
}

impl Protocol {
    pub(crate) fn buggy() -> Self {
        Protocol {
            numbered: false,
            tills: 2,
            deposits: 10,
        }
    }

    pub(crate) fn fixed() -> Self {
        Protocol {
            numbered: true,
            ..Self::buggy()
        }
    }
}

/// The ledger: a balance, and the last deposit number applied per till.
fn ledger() -> Pid<Ledger> {
    spawn(|mut ctx: Ctx<Ledger>| async move {
        let mut balance = 0;
        let mut applied: BTreeMap<ProcessId, u64> = BTreeMap::new();
        loop {
            match ctx.recv().await {
                Ledger::Deposit { amount, reply } => {
                    balance += amount;
                    let _ = reply.send(balance);
                }
                Ledger::DepositOnce {
                    till,
                    seq,
                    amount,
                    reply,
                } => {
                    let last = applied.entry(till).or_insert(0);
                    if seq > *last {
                        *last = seq;
                        balance += amount;
                    }
                    let _ = reply.send(balance);
                }
                Ledger::Balance(reply) => {
                    let _ = reply.send(balance);
                }
            }
        }
    })
}

/// The bank's main: the ledger under the global name `ledger`, its pid
/// handed to the test too. (A partition longer than the grace period makes
/// the shops see the bank down and free its name; the bank's node
/// re-asserts it on its own.)
async fn bank(node: Node, report: mpsc::UnboundedSender<Pid<Ledger>>) {
    let ledger = ledger();
    node.register_global("ledger", &ledger)
        .await
        .expect("the name is free");
    let _ = report.send(ledger);
}

/// A till: finds the ledger, deposits 1 `deposits` times, each retried
/// until answered, and says how many it deposited.
async fn till(node: Node, protocol: Protocol, done: mpsc::UnboundedSender<u64>, me: ProcessId) {
    let ledger = loop {
        if let Ok(Some(ledger)) = node.whereis_global::<Ledger>("ledger").await {
            break ledger;
        }
        actor_core::sleep(Duration::from_millis(50)).await;
    };
    for seq in 1..=protocol.deposits {
        loop {
            let answer = if protocol.numbered {
                let make = |reply| Ledger::DepositOnce {
                    till: me,
                    seq,
                    amount: 1,
                    reply,
                };
                ledger.call(make, CALL_TIMEOUT).await
            } else {
                let make = |reply| Ledger::Deposit { amount: 1, reply };
                ledger.call(make, CALL_TIMEOUT).await
            };
            if answer.is_ok() {
                break;
            }
            // Timed out, or the bank is down for now: try again soon.
            actor_core::sleep(Duration::from_millis(100)).await;
        }
        actor_core::sleep(Duration::from_millis(100)).await;
    }
    let _ = done.send(protocol.deposits);
}

/// A shop's main: its tills.
async fn shop(node: Node, protocol: Protocol, done: mpsc::UnboundedSender<u64>) {
    for _ in 0..protocol.tills {
        let (node, done) = (node.clone(), done.clone());
        spawn(move |ctx: Ctx<()>| async move { till(node, protocol, done, ctx.pid().id()).await });
    }
}

/// The network: messages in flight up to 20 ms, one partition within the
/// first 2 s lasting up to 3 s (longer than the 2 s grace period, so the
/// sides may see each other down, and up again when it heals).
pub(crate) fn network() -> NetConfig {
    NetConfig::new()
        .latency(Duration::from_millis(20))
        .partitions(1, Duration::from_secs(2), Duration::from_secs(3))
}

/// The test body: a bank and two shops; once every till is done, the
/// ledger must hold exactly what the tills deposited.
pub(crate) async fn bank_and_shops(protocol: Protocol) -> Result<(), String> {
    let net = Network::new(network());
    let (ledger_tx, mut ledger_rx) = mpsc::unbounded_channel();
    net.start("bank", move |node| bank(node, ledger_tx.clone()));
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    for name in ["shop1", "shop2"] {
        let done = done_tx.clone();
        net.start(name, move |node| shop(node, protocol, done.clone()));
    }
    drop(done_tx);
    let ledger = ledger_rx.recv().await.ok_or("the bank did not start")?;
    let mut deposited = 0;
    for _ in 0..2 * protocol.tills {
        deposited += done_rx.recv().await.ok_or("a till is gone")?;
    }
    let balance = ledger
        .call(Ledger::Balance, CALL_TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    if balance == deposited {
        Ok(())
    } else {
        Err(format!(
            "the tills deposited {deposited}, the ledger holds {balance}"
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

/// The harness both explorations use: 1,000 seeds.
fn harness() -> Harness {
    Harness::new()
        .seeds(1000)
        .trace_tail(12)
        .replay_command("cargo run -p examples --example distributed_race")
}

/// Explores the buggy protocol, handing each printed line to `out`;
/// `true` when a failing seed was found.
pub(crate) fn find_bug(out: &Out) -> bool {
    out("deposits retried as they are, bank + 2 shops x 2 tills, one partition per seed:");
    let buggy = harness().explore(|| bank_and_shops(Protocol::buggy()));
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
    buggy.failure.is_some()
}

/// Explores the fixed protocol, each seed twice, handing each printed line
/// to `out`; `true` when every seed passed.
pub(crate) fn check_fix(out: &Out) -> bool {
    out("numbered deposits applied once, each seed run twice:");
    let fixed = harness()
        .check_determinism()
        .explore(|| bank_and_shops(Protocol::fixed()));
    for line in fixed.to_string().lines() {
        out(&format!("  {line}"));
    }
    fixed.passed()
}

/// Runs both explorations, handing each printed line to `out`; `true` when
/// the bug was found and the fix passed.
pub(crate) fn run(out: Out) -> bool {
    let ok = find_bug(&out) & check_fix(&out);
    out(if ok {
        "ok: the double deposit was found and the fix passed"
    } else {
        "FAILED: expected the double deposit to be found and the fix to pass"
    });
    ok
}

/// Finds a double deposit under a network partition by exploring seeds of
/// a simulated 3-node network, then checks the fix (`ACTOR_SEED=N`
/// replays one seed).
#[derive(Parser)]
#[command(name = "distributed_race")]
pub(crate) struct Args {}

fn main() {
    Args::parse();
    let ok = run(Arc::new(|line| println!("{line}")));
    std::process::exit(if ok { 0 } else { 1 });
}
