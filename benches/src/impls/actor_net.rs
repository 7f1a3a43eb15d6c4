//! actor-net: actor-core processes in two OS processes, two nodes of one
//! cluster on one local nats-server. The peer node runs an echo, a sink
//! and a server process, registered as global names; the driver node looks
//! them up and runs the workload from a process of its own.

use std::time::Duration;

use actor_core::{Ctx, Pid, Reply, spawn};
use actor_net::{Node, NodeConfig};
use serde::{Deserialize, Serialize};

use crate::measure::{AskMeter, Done, Timer, await_done};
use crate::workloads::{Counts, Outcome, Workload};

/// The echo process's messages.
#[derive(Serialize, Deserialize)]
enum Echo {
    /// Where to send the balls back.
    Peer(Pid<u64>),
    /// A ball.
    Ball(u64),
}

/// The sink process's messages.
#[derive(Serialize, Deserialize)]
enum Sink {
    /// Count this many values, then send their sum to the pid.
    Expect(u64, Pid<u64>),
    /// A value.
    Value(u64),
}

/// No deadline, as the other rows' calls have none.
const NO_DEADLINE: Duration = actor_core::INFINITY;

fn config(url: &str, tag: &str, name: &str) -> NodeConfig {
    NodeConfig::new(url, tag.replace('.', "-"), name)
}

/// The driver's side; to be spawned on the runtime's workers.
pub(crate) async fn run(workload: Workload, counts: Counts, url: String, tag: String) -> Outcome {
    let node = Node::connect(config(&url, &tag, "driver"))
        .await
        .expect("connect the driver node");
    let outcome = match workload {
        Workload::RemotePingPong => {
            let echo = lookup::<Echo>(&node, "echo").await;
            let n = counts.remote_round_trips;
            let (done, wait) = Done::new();
            let timer = Timer::start();
            spawn(move |mut ctx: Ctx<u64>| async move {
                echo.send(Echo::Peer(ctx.pid())).await.expect("echo alive");
                echo.send(Echo::Ball(0)).await.expect("echo alive");
                loop {
                    let ball = ctx.recv().await + 1;
                    if ball == n {
                        done.fire(ball);
                        break;
                    }
                    echo.send(Echo::Ball(ball)).await.expect("echo alive");
                }
            });
            await_done(wait, n, "actor-net remote-ping-pong").await;
            Outcome::timed(timer.elapsed())
        }
        Workload::RemoteTell => {
            let sink = lookup::<Sink>(&node, "sink").await;
            let n = counts.remote_tells;
            let (done, wait) = Done::new();
            let timer = Timer::start();
            spawn(move |mut ctx: Ctx<u64>| async move {
                sink.send(Sink::Expect(n, ctx.pid()))
                    .await
                    .expect("sink alive");
                for i in 1..=n {
                    sink.send(Sink::Value(i)).await.expect("sink alive");
                }
                done.fire(ctx.recv().await);
            });
            await_done(wait, n * (n + 1) / 2, "actor-net remote-tell").await;
            Outcome::timed(timer.elapsed())
        }
        Workload::RemoteCall => {
            let server = lookup::<Reply<u64>>(&node, "server").await;
            let n = counts.remote_calls;
            let (tx, rx) = tokio::sync::oneshot::channel();
            spawn(move |_ctx: Ctx<()>| async move {
                let mut meter = AskMeter::start(n);
                for _ in 0..n {
                    server.call(|r| r, NO_DEADLINE).await.expect("server alive");
                    meter.tick();
                }
                let _ = tx.send(meter.finish());
            });
            rx.await.expect("the calling process ended early")
        }
        other => panic!("actor-net has no {} workload", other.name()),
    };
    node.shutdown().await;
    outcome
}

/// The peer's global name `name`, typed.
async fn lookup<M>(node: &Node, name: &str) -> Pid<M>
where
    M: Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    node.whereis_global::<M>(name)
        .await
        .expect("ask for a global name")
        .unwrap_or_else(|| panic!("the peer registered no {name}"))
}

/// The peer's side: its three processes, until it is killed.
pub(crate) async fn peer(url: String, tag: String) {
    let node = Node::connect(config(&url, &tag, "peer"))
        .await
        .expect("connect the peer node");
    let echo = spawn(|mut ctx: Ctx<Echo>| async move {
        let Echo::Peer(back) = ctx.recv().await else {
            panic!("echo: the peer comes first")
        };
        loop {
            if let Echo::Ball(n) = ctx.recv().await {
                back.send(n).await.expect("driver alive");
            }
        }
    });
    let sink = spawn(|mut ctx: Ctx<Sink>| async move {
        let Sink::Expect(n, back) = ctx.recv().await else {
            panic!("sink: the count comes first")
        };
        let mut sum = 0;
        for _ in 0..n {
            if let Sink::Value(v) = ctx.recv().await {
                sum += v;
            }
        }
        back.send(sum).await.expect("driver alive");
    });
    let server = spawn(|mut ctx: Ctx<Reply<u64>>| async move {
        let mut count = 0;
        loop {
            count += 1;
            let _ = ctx.recv().await.send(count);
        }
    });
    node.register_global("echo", &echo).await.expect("register");
    node.register_global("sink", &sink).await.expect("register");
    node.register_global("server", &server)
        .await
        .expect("register");
    super::peer::say_ready();
    std::future::pending::<()>().await;
}
