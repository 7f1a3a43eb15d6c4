//! Raw tokio: a process is a task that owns an unbounded `mpsc` receiver, its
//! mailbox. The floor the actor libraries are measured against.

use tokio::sync::{mpsc, oneshot};

use crate::measure::{AskMeter, Done, SpawnMeter, Timer, await_done, peak_rss};
use crate::workloads::{Counts, Outcome, Workload};

/// Runs `workload` once; to be spawned on the runtime's workers.
pub(crate) async fn run(workload: Workload, counts: Counts) -> Outcome {
    match workload {
        Workload::PingPong => ping_pong(&counts).await,
        Workload::FanIn => fan_in(&counts).await,
        Workload::Ask => ask(&counts).await,
        Workload::Spawn => spawn(&counts).await,
        Workload::Ring => ring(&counts).await,
        Workload::Skynet => skynet(&counts).await,
        Workload::RobotWorld | Workload::RobotWorld1m => super::no_robot_world(),
        Workload::RemotePingPong | Workload::RemoteTell | Workload::RemoteCall => {
            super::no_remote()
        }
    }
}

async fn ping_pong(counts: &Counts) -> Outcome {
    let n = counts.ping_pong_round_trips;
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let (a_tx, mut a_rx) = mpsc::unbounded_channel::<u64>();
    let (b_tx, mut b_rx) = mpsc::unbounded_channel::<u64>();
    // B echoes every ball back to A.
    tokio::spawn(async move {
        while let Some(ball) = b_rx.recv().await {
            if a_tx.send(ball).is_err() {
                break;
            }
        }
    });
    // A counts the round trips.
    tokio::spawn(async move {
        b_tx.send(0).expect("B alive");
        while let Some(ball) = a_rx.recv().await {
            let ball = ball + 1;
            if ball == n {
                done.fire(ball);
                break;
            }
            b_tx.send(ball).expect("B alive");
        }
    });
    await_done(wait, n, "ping-pong").await;
    Outcome::timed(timer.elapsed())
}

async fn fan_in(counts: &Counts) -> Outcome {
    let (producers, per) = (counts.fan_in_producers, counts.fan_in_per_producer);
    let total = producers * per;
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
    tokio::spawn(async move {
        let mut sum = 0;
        for _ in 0..total {
            sum += rx.recv().await.expect("producers alive");
        }
        done.fire(sum);
    });
    for _ in 0..producers {
        let tx = tx.clone();
        tokio::spawn(async move {
            for i in 1..=per {
                tx.send(i).expect("summer alive");
            }
        });
    }
    drop(tx);
    await_done(wait, counts.fan_in_sum(), "fan-in").await;
    Outcome::timed(timer.elapsed())
}

async fn ask(counts: &Counts) -> Outcome {
    let n = counts.ask_requests;
    let (tx, mut rx) = mpsc::unbounded_channel::<oneshot::Sender<u64>>();
    tokio::spawn(async move {
        let mut count = 0;
        while let Some(reply) = rx.recv().await {
            count += 1;
            let _ = reply.send(count);
        }
    });
    let mut meter = AskMeter::start(n);
    let mut last = 0;
    for _ in 0..n {
        let (reply, answer) = oneshot::channel();
        tx.send(reply).expect("server alive");
        last = answer.await.expect("server replies");
        meter.tick();
    }
    assert_eq!(last, n, "ask: wrong count");
    meter.finish()
}

async fn spawn(counts: &Counts) -> Outcome {
    let n = counts.spawn_processes;
    let meter = SpawnMeter::start();
    let mut procs = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let (tx, mut rx) = mpsc::unbounded_channel::<u64>();
        let handle = tokio::spawn(async move { rx.recv().await.expect("one message") });
        procs.push((tx, handle));
    }
    for (tx, _) in &procs {
        tx.send(1).expect("process alive");
    }
    let mut ended = 0;
    for (_, handle) in procs {
        ended += handle.await.expect("process ended");
    }
    assert_eq!(ended, n, "spawn: not all ended");
    meter.finish(n)
}

async fn ring(counts: &Counts) -> Outcome {
    let (m, hops) = (counts.ring_processes as usize, counts.ring_hops);
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..m).map(|_| mpsc::unbounded_channel::<u64>()).unzip();
    for (i, mut rx) in rxs.into_iter().enumerate() {
        let next = txs[(i + 1) % m].clone();
        let done = done.clone();
        tokio::spawn(async move {
            while let Some(token) = rx.recv().await {
                if token == 0 {
                    done.fire(hops);
                } else {
                    let _ = next.send(token - 1);
                }
            }
        });
    }
    txs[0].send(hops).expect("ring alive");
    await_done(wait, hops, "ring").await;
    Outcome::timed(timer.elapsed())
}

async fn skynet(counts: &Counts) -> Outcome {
    let timer = Timer::start();
    let (root_tx, mut root_rx) = mpsc::unbounded_channel();
    skynet_node(0, counts.skynet_leaves, root_tx);
    let sum = root_rx.recv().await.expect("skynet root replies");
    let elapsed = timer.elapsed();
    assert_eq!(sum, counts.skynet_sum(), "skynet: wrong sum");
    Outcome {
        peak_rss_bytes: Some(peak_rss()),
        ..Outcome::timed(elapsed)
    }
}

/// Spawns the skynet process numbered `num` over `size` leaves.
fn skynet_node(num: u64, size: u64, parent: mpsc::UnboundedSender<u64>) {
    tokio::spawn(async move {
        if size == 1 {
            let _ = parent.send(num);
            return;
        }
        let (tx, mut rx) = mpsc::unbounded_channel();
        let child = size / 10;
        for i in 0..10 {
            skynet_node(num + i * child, child, tx.clone());
        }
        drop(tx);
        let mut sum = 0;
        for _ in 0..10 {
            sum += rx.recv().await.expect("children reply");
        }
        let _ = parent.send(sum);
    });
}
