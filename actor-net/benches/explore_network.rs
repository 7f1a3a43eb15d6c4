//! How fast the protocol-testing harness explores seeds of a simulated
//! network: 1,000 seeds of a 3-node, 10-process protocol with one
//! partition each.
//!
//! The protocol: a ledger on node `a` under a global name, and three tills
//! on each of `a`, `b` and `c` (nine) that look it up and deposit 1 five
//! times, 100 ms apart, each deposit numbered and retried until answered
//! (the ledger applies each number once). Messages are in flight up to
//! 20 ms; one partition per seed begins within the first second and lasts
//! up to 3 s (longer than the 2 s grace period, so nodes may see each
//! other down and up again). Every seed must end with the ledger at 45.
//!
//! The target: under 5 seconds for the 1,000 seeds on a 2-core machine.
//! The same protocol without faults runs alongside, as the baseline.
//!
//! `cargo bench -p actor-net --bench explore_network`

use std::collections::BTreeMap;
use std::time::Duration;

use actor_core::testing::Harness;
use actor_core::{Ctx, Pid, ProcessId, Reply, spawn};
use actor_net::Node;
use actor_net::sim::{NetConfig, Network};
use criterion::Criterion;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

const SEEDS: u64 = 1000;
const TILLS_PER_NODE: usize = 3;
const DEPOSITS: u64 = 5;
const TIMEOUT: Duration = Duration::from_millis(300);

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("explore_network");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    // The baseline: the same protocol on a network without faults.
    for (name, partitions) in [
        ("1000 seeds x 3 nodes x 10 processes, no faults", 0),
        ("1000 seeds x 3 nodes x 10 processes, one partition each", 1),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let report = Harness::new()
                    .seeds(SEEDS)
                    .explore(move || protocol(partitions));
                assert!(report.passed(), "{report}");
                assert_eq!(report.seeds_run, SEEDS);
            })
        });
    }
    g.finish();
}

#[derive(Serialize, Deserialize)]
enum Ledger {
    Deposit {
        till: ProcessId,
        seq: u64,
        reply: Reply<u64>,
    },
    Balance(Reply<u64>),
}

fn ledger() -> Pid<Ledger> {
    spawn(|mut ctx: Ctx<Ledger>| async move {
        let mut balance = 0;
        let mut applied: BTreeMap<ProcessId, u64> = BTreeMap::new();
        loop {
            match ctx.recv().await {
                Ledger::Deposit { till, seq, reply } => {
                    let last = applied.entry(till).or_insert(0);
                    if seq > *last {
                        *last = seq;
                        balance += 1;
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

async fn till(node: Node, me: ProcessId, done: mpsc::UnboundedSender<()>) {
    let ledger = loop {
        if let Ok(Some(ledger)) = node.whereis_global::<Ledger>("ledger").await {
            break ledger;
        }
        actor_core::sleep(Duration::from_millis(50)).await;
    };
    for seq in 1..=DEPOSITS {
        let make = |reply| Ledger::Deposit {
            till: me,
            seq,
            reply,
        };
        while ledger.call(make, TIMEOUT).await.is_err() {
            actor_core::sleep(Duration::from_millis(100)).await;
        }
        actor_core::sleep(Duration::from_millis(100)).await;
    }
    let _ = done.send(());
}

fn tills(node: &Node, done: &mpsc::UnboundedSender<()>) {
    for _ in 0..TILLS_PER_NODE {
        let (node, done) = (node.clone(), done.clone());
        spawn(move |ctx: Ctx<()>| async move { till(node, ctx.id(), done).await });
    }
}

async fn protocol(partitions: u32) -> Result<(), String> {
    let net = Network::new(
        NetConfig::new()
            .latency(Duration::from_millis(20))
            .partitions(partitions, Duration::from_secs(1), Duration::from_secs(3)),
    );
    let (done_tx, mut done_rx) = mpsc::unbounded_channel();
    let (ledger_tx, mut ledger_rx) = mpsc::unbounded_channel();
    let done = done_tx.clone();
    net.start("a", move |node: Node| {
        let (done, ledger_tx) = (done.clone(), ledger_tx.clone());
        async move {
            let ledger = ledger();
            node.register_global("ledger", &ledger).await.unwrap();
            let _ = ledger_tx.send(ledger);
            tills(&node, &done);
        }
    });
    for name in ["b", "c"] {
        let done = done_tx.clone();
        net.start(name, move |node: Node| {
            tills(&node, &done);
            async {}
        });
    }
    drop(done_tx);
    let ledger = ledger_rx.recv().await.ok_or("no ledger")?;
    for _ in 0..3 * TILLS_PER_NODE {
        done_rx.recv().await.ok_or("a till is gone")?;
    }
    let balance = ledger
        .call(Ledger::Balance, TIMEOUT)
        .await
        .map_err(|e| e.to_string())?;
    let want = 3 * TILLS_PER_NODE as u64 * DEPOSITS;
    if balance == want {
        Ok(())
    } else {
        Err(format!("the ledger holds {balance}, not {want}"))
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
