//! Ping-pong between two OS processes, over NATS: the pong node registers
//! a process under a global name, the ping node finds it, and a ball with
//! the ping process's pid inside goes back and forth.
//!
//! `cargo run --release -p examples --example remote_ping_pong` starts a
//! nats-server (Debian's `nats-server`, JetStream on, a free loopback
//! port), runs the pong node as a second OS process, plays 10,000 round
//! trips and prints the rate. On two machines, against a running server:
//!
//! ```text
//! remote_ping_pong --nats nats://HOST:4222 --pong      # one machine
//! remote_ping_pong --nats nats://HOST:4222 [ROUNDS]    # the other
//! ```

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use actor_core::{Ctx, Pid, Runtime, spawn};
use actor_net::{NatsServer, Node, NodeConfig};
use serde::{Deserialize, Serialize};

/// The ball, and where to send it back.
#[derive(Serialize, Deserialize)]
struct Ball(u64, Pid<u64>);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let nats = args
        .iter()
        .position(|a| a == "--nats")
        .map(|i| args[i + 1].clone());
    let rounds: u64 = args
        .iter()
        .filter(|a| !a.starts_with("--") && Some(*a) != nats.as_ref())
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    if args.iter().any(|a| a == "--pong") {
        let url = nats.ok_or("--pong needs --nats URL")?;
        return Runtime::tokio().block_on(pong(url));
    }
    // Without --nats: a server of our own, and the pong node as a child.
    let server = match &nats {
        Some(_) => None,
        None => Some(NatsServer::start()?),
    };
    let url = nats.unwrap_or_else(|| server.as_ref().expect("started").url());
    let mut pong_node = match &server {
        Some(_) => Some(
            Command::new(std::env::current_exe()?)
                .args(["--pong", "--nats", &url])
                .stdin(Stdio::null())
                .spawn()?,
        ),
        None => None,
    };
    let result = Runtime::tokio().block_on(ping(url, rounds));
    if let Some(child) = &mut pong_node {
        child.kill()?;
        child.wait()?;
    }
    result
}

/// The pong node: one process that sends every ball back, under the
/// global name "pong".
async fn pong(url: String) -> Result<(), Box<dyn std::error::Error>> {
    let node = Node::connect(NodeConfig::new(url, "ping-pong", "pong")).await?;
    let pong = spawn(|mut ctx: Ctx<Ball>| async move {
        loop {
            let Ball(n, back) = ctx.recv().await;
            if back.send(n).await.is_err() {
                return;
            }
        }
    });
    node.register_global("pong", &pong).await?;
    println!("pong: node {} ready", node.id().0);
    pong.wait().await;
    node.shutdown().await;
    Ok(())
}

/// The ping node: waits for "pong", then plays `rounds` round trips.
async fn ping(url: String, rounds: u64) -> Result<(), Box<dyn std::error::Error>> {
    let node = Node::connect(NodeConfig::new(url, "ping-pong", "ping")).await?;
    let pong = loop {
        // The pong node registers its name once it is up.
        if let Some(pong) = node.whereis_global::<Ball>("pong").await? {
            break pong;
        }
        actor_core::sleep(Duration::from_millis(50)).await;
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn(move |mut ctx: Ctx<u64>| async move {
        let started = Instant::now();
        for n in 0..rounds {
            pong.send(Ball(n, ctx.pid())).await.expect("pong is alive");
            assert_eq!(ctx.recv().await, n);
        }
        let _ = tx.send(started.elapsed());
    });
    let elapsed = rx.await?;
    println!(
        "{rounds} round trips between node {} and the pong node in {:.2} s: {:.0} round trips/s",
        node.id().0,
        elapsed.as_secs_f64(),
        rounds as f64 / elapsed.as_secs_f64()
    );
    node.shutdown().await;
    Ok(())
}
