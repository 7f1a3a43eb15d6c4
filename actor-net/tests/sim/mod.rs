//! Nodes for the simulated-network tests: each node runs a counter under
//! a global name (its own node name) that records what it is sent, and a
//! driver the test tells what to send to the other nodes' counters.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use actor_core::{CallError, Ctx, Pid, Reply, spawn};
use actor_net::Node;
use actor_net::sim::Network;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// A counter's protocol.
#[derive(Serialize, Deserialize)]
pub(crate) enum Counter {
    /// Record `n`.
    Add(u64),
    /// Everything recorded, in arrival order.
    Seen(Reply<Vec<u64>>),
}

/// What the test tells a node's driver.
pub(crate) enum Cmd {
    /// Send `Add(n)` to the counter of node `to`.
    Add { to: String, n: u64 },
    /// Ask node `of`'s counter what it has seen.
    Seen {
        of: String,
        reply: Reply<Result<Vec<u64>, CallError>>,
    },
}

pub(crate) const T: Duration = Duration::from_secs(1);

fn counter() -> Pid<Counter> {
    spawn(|mut ctx: Ctx<Counter>| async move {
        let mut seen = Vec::new();
        loop {
            match ctx.recv().await {
                Counter::Add(n) => seen.push(n),
                Counter::Seen(reply) => {
                    let _ = reply.send(seen.clone());
                }
            }
        }
    })
}

/// A node's main: its counter under its name, and its driver handed to
/// the test through `drivers`.
pub(crate) async fn main(node: Node, drivers: mpsc::UnboundedSender<(String, Pid<Cmd>)>) {
    let counter = counter();
    node.register_global(node.name(), &counter).await.unwrap();
    let n = node.clone();
    let driver = spawn(move |mut ctx: Ctx<Cmd>| async move {
        let node = n;
        let mut known: BTreeMap<String, Pid<Counter>> = BTreeMap::new();
        loop {
            let cmd = ctx.recv().await;
            let of = match &cmd {
                Cmd::Add { to, .. } => to.clone(),
                Cmd::Seen { of, .. } => of.clone(),
            };
            if !known.contains_key(&of) {
                let found = node.whereis_global::<Counter>(&of).await.unwrap();
                known.insert(of.clone(), found.expect("the counter is registered"));
            }
            let counter = &known[&of];
            match cmd {
                Cmd::Add { n, .. } => {
                    let _ = counter.send(Counter::Add(n)).await;
                }
                Cmd::Seen { reply, .. } => {
                    let _ = reply.send(counter.call(Counter::Seen, T).await);
                }
            }
        }
    });
    let _ = drivers.send((node.name().to_string(), driver));
}

/// Starts nodes `names` running [`main`]; their drivers by name once all
/// have registered their counters.
pub(crate) async fn start(net: &Network, names: &[&str]) -> BTreeMap<String, Pid<Cmd>> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    for name in names {
        let tx = tx.clone();
        net.start(name, move |node| main(node, tx.clone()));
    }
    let mut drivers = BTreeMap::new();
    while drivers.len() < names.len() {
        let (name, driver) = rx.recv().await.unwrap();
        drivers.insert(name, driver);
    }
    drivers
}

/// Tells `driver` to send `Add(n)` to node `to`'s counter.
pub(crate) async fn add(driver: &Pid<Cmd>, to: &str, n: u64) {
    let to = to.to_string();
    driver.send(Cmd::Add { to, n }).await.ok().unwrap();
}

/// What node `of`'s counter has seen, asked through `driver`.
pub(crate) async fn seen(driver: &Pid<Cmd>, of: &str) -> Result<Vec<u64>, CallError> {
    let of = of.to_string();
    driver
        .call(|reply| Cmd::Seen { of, reply }, 10 * T)
        .await
        .unwrap()
}
