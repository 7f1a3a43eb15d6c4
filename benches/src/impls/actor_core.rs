//! actor-core: processes are `async` bodies with a typed, unbounded mailbox
//! (`spawn(|mut ctx: Ctx<M>| async move { .. ctx.recv().await .. })`), on a
//! plain tokio runtime of either flavour. Sends use `send(..).await`, which
//! never waits on an unbounded mailbox; asks use `call` with no deadline.

use std::time::Duration;

use actor_core::{Ctx, Pid, Reply, spawn};
use actor_sim::display::Outputs;
use actor_sim::{RuntimeKind, Scenario, SimConfig, plain};

use super::Flavour;
use crate::measure::{AskMeter, Done, SpawnMeter, Timer, await_done, peak_rss};
use crate::workloads::{Counts, Outcome, Workload, nanos};

/// No deadline (Erlang's `infinity`), as the peers' asks have none: no timer is armed.
const CALL_TIMEOUT: Duration = actor_core::INFINITY;

/// Runs `workload` once, its driver a process like every other party to
/// it (so that it talks to them as processes do); to be spawned on the
/// runtime's workers.
pub(crate) async fn run(workload: Workload, counts: Counts) -> Outcome {
    let (tx, rx) = tokio::sync::oneshot::channel();
    spawn(move |_ctx: Ctx<()>| async move {
        let _ = tx.send(drive(workload, counts).await);
    });
    rx.await
        .expect("the driver process ended without an outcome")
}

async fn drive(workload: Workload, counts: Counts) -> Outcome {
    match workload {
        Workload::PingPong => ping_pong(&counts).await,
        Workload::FanIn => fan_in(&counts).await,
        Workload::Ask => ask(&counts).await,
        Workload::Spawn => spawn_idle(&counts).await,
        Workload::Ring => ring(&counts).await,
        Workload::Skynet => skynet(&counts).await,
        Workload::RobotWorld | Workload::RobotWorld1m => {
            unreachable!("robot-world runs through robot_world, on actor-sim's own runtime")
        }
        Workload::RemotePingPong | Workload::RemoteTell | Workload::RemoteCall => {
            super::no_remote()
        }
    }
}

/// Sends `msg` to `to`; a dead receiver is a bug in the benchmark.
async fn tell<M: Send + 'static>(to: &Pid<M>, msg: M) {
    if to.send(msg).await.is_err() {
        panic!("actor-core: message to a dead process");
    }
}

// ---------------------------------------------------------------- ping-pong

enum PlayerMsg {
    Peer(Pid<PlayerMsg>),
    Ball(u64),
}

/// A player: learns its peer, then returns every ball (`done` unset) or
/// counts round trips up to `n` (`done` set).
fn player(n: u64, done: Option<Done>) -> Pid<PlayerMsg> {
    spawn(move |mut ctx: Ctx<PlayerMsg>| async move {
        let PlayerMsg::Peer(peer) = ctx.recv().await else {
            panic!("peer first");
        };
        loop {
            let PlayerMsg::Ball(ball) = ctx.recv().await else {
                panic!("only balls after the peer");
            };
            match &done {
                Some(done) if ball + 1 == n => return done.fire(ball + 1),
                Some(_) => tell(&peer, PlayerMsg::Ball(ball + 1)).await,
                None => tell(&peer, PlayerMsg::Ball(ball)).await,
            }
        }
    })
}

async fn ping_pong(counts: &Counts) -> Outcome {
    let n = counts.ping_pong_round_trips;
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let a = player(n, Some(done));
    let b = player(n, None);
    tell(&a, PlayerMsg::Peer(b.clone())).await;
    tell(&b, PlayerMsg::Peer(a.clone())).await;
    tell(&b, PlayerMsg::Ball(0)).await;
    await_done(wait, n, "ping-pong").await;
    Outcome::timed(timer.elapsed())
}

// ------------------------------------------------------------------- fan-in

async fn fan_in(counts: &Counts) -> Outcome {
    let (producers, per) = (counts.fan_in_producers, counts.fan_in_per_producer);
    let total = producers * per;
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let summer = spawn(move |mut ctx: Ctx<u64>| async move {
        let mut sum = 0;
        for _ in 0..total {
            sum += ctx.recv().await;
        }
        done.fire(sum);
    });
    for _ in 0..producers {
        let summer = summer.clone();
        spawn(move |_: Ctx<()>| async move {
            for i in 1..=per {
                tell(&summer, i).await;
            }
        });
    }
    await_done(wait, counts.fan_in_sum(), "fan-in").await;
    Outcome::timed(timer.elapsed())
}

// ---------------------------------------------------------------------- ask

/// Asks for the number of requests served so far, this one included.
struct Get(Reply<u64>);

async fn ask(counts: &Counts) -> Outcome {
    let n = counts.ask_requests;
    let server = spawn(|mut ctx: Ctx<Get>| async move {
        let mut count = 0;
        loop {
            let Get(reply) = ctx.recv().await;
            count += 1;
            let _ = reply.send(count);
        }
    });
    let mut meter = AskMeter::start(n);
    let mut last = 0;
    for _ in 0..n {
        last = match server.call(Get, CALL_TIMEOUT).await {
            Ok(count) => count,
            Err(e) => panic!("actor-core: call failed: {e}"),
        };
        meter.tick();
    }
    assert_eq!(last, n, "ask: wrong count");
    meter.finish()
}

// -------------------------------------------------------------------- spawn

async fn spawn_idle(counts: &Counts) -> Outcome {
    let n = counts.spawn_processes;
    let meter = SpawnMeter::start();
    let procs: Vec<Pid<()>> = (0..n)
        .map(|_| {
            spawn(|mut ctx: Ctx<()>| async move {
                ctx.recv().await;
            })
        })
        .collect();
    for p in &procs {
        tell(p, ()).await;
    }
    let mut ended = 0;
    for p in &procs {
        p.wait().await;
        ended += 1;
    }
    assert_eq!(ended, n, "spawn: not all ended");
    meter.finish(n)
}

// --------------------------------------------------------------------- ring

enum RingMsg {
    Next(Pid<RingMsg>),
    Token(u64),
}

async fn ring(counts: &Counts) -> Outcome {
    let (m, hops) = (counts.ring_processes as usize, counts.ring_hops);
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let nodes: Vec<Pid<RingMsg>> = (0..m)
        .map(|_| {
            let done = done.clone();
            spawn(move |mut ctx: Ctx<RingMsg>| async move {
                let RingMsg::Next(next) = ctx.recv().await else {
                    panic!("next first");
                };
                loop {
                    match ctx.recv().await {
                        RingMsg::Token(0) => done.fire(hops),
                        RingMsg::Token(t) => tell(&next, RingMsg::Token(t - 1)).await,
                        RingMsg::Next(_) => panic!("next twice"),
                    }
                }
            })
        })
        .collect();
    for (i, node) in nodes.iter().enumerate() {
        tell(node, RingMsg::Next(nodes[(i + 1) % m].clone())).await;
    }
    tell(&nodes[0], RingMsg::Token(hops)).await;
    await_done(wait, hops, "ring").await;
    Outcome::timed(timer.elapsed())
}

// ------------------------------------------------------------------- skynet

/// Where a skynet process reports its sum.
enum Parent {
    Node(Pid<u64>),
    Root(Done),
}

impl Parent {
    async fn report(&self, sum: u64) {
        match self {
            Parent::Node(node) => tell(node, sum).await,
            Parent::Root(done) => done.fire(sum),
        }
    }
}

/// Spawns the skynet process numbered `num` over `size` leaves.
fn skynet_node(num: u64, size: u64, parent: Parent) {
    spawn(move |mut ctx: Ctx<u64>| async move {
        if size == 1 {
            return parent.report(num).await;
        }
        let me = ctx.pid();
        let child = size / 10;
        for i in 0..10 {
            skynet_node(num + i * child, child, Parent::Node(me.clone()));
        }
        drop(me);
        let mut sum = 0;
        for _ in 0..10 {
            sum += ctx.recv().await;
        }
        parent.report(sum).await;
    });
}

async fn skynet(counts: &Counts) -> Outcome {
    let timer = Timer::start();
    let (done, wait) = Done::new();
    skynet_node(0, counts.skynet_leaves, Parent::Root(done));
    await_done(wait, counts.skynet_sum(), "skynet").await;
    let elapsed = timer.elapsed();
    Outcome {
        peak_rss_bytes: Some(peak_rss()),
        ..Outcome::timed(elapsed)
    }
}

// -------------------------------------------------------------- robot-world

/// The seed of the robot world's random scenario: the same world every run.
const ROBOT_WORLD_SEED: u64 = 2024;

/// Runs actor-sim's robot world of `robots` random robots for `ticks`
/// ticks as processes (World, Robots, Display, on actor-sim's own
/// actor-core runtime of `flavour`), reads the peak RSS, then runs the plain
/// loop over the same scenario and ticks, and checks they agree on the
/// collisions.
///
/// The processes' time is actor-sim's own `ticking` time, from tick 0 to the
/// World's end: the setup (spawning the processes and joining every robot)
/// is left out, as actor-sim's own robot-ticks/s leaves it out, and
/// reported on its own.
///
/// # Panics
///
/// Panics if either run fails or they disagree.
pub(crate) fn robot_world(robots: u64, ticks: u64, flavour: Flavour) -> Outcome {
    let robots = usize::try_from(robots).expect("robots fit usize");
    let scenario = Scenario::random(robots, ROBOT_WORLD_SEED).expect("robot-world scenario");
    let config = SimConfig {
        ticks,
        runtime: match flavour {
            Flavour::MultiThread => RuntimeKind::Tokio,
            Flavour::CurrentThread => RuntimeKind::TokioCurrentThread,
        },
        ..SimConfig::default()
    };
    let recorder = Outputs::default().prepare().expect("no outputs to prepare");
    let report = actor_sim::run(&scenario, &config, recorder).expect("robot world as processes");
    let peak_rss_bytes = peak_rss();
    assert_eq!(report.stats.ticks, ticks, "robot-world: ticks");

    let timer = Timer::start();
    let plain = plain::run(&scenario, ticks);
    let baseline = timer.elapsed();
    assert_eq!(plain.ticks, ticks, "robot-world: plain ticks");
    assert_eq!(
        plain.collisions, report.stats.collisions,
        "robot-world: processes and plain loop disagree on collisions"
    );
    Outcome {
        baseline_ns: Some(nanos(baseline)),
        setup_ns: Some(nanos(report.setup)),
        peak_rss_bytes: Some(peak_rss_bytes),
        ..Outcome::timed(report.ticking)
    }
}
