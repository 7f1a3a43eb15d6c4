//! ractor: `Actor` impls with a message enum and a separate state, on tokio
//! multi-thread (2 workers). ractor's mailboxes are unbounded.

use ractor::{Actor, ActorProcessingErr, ActorRef, Message, RpcReplyPort, rpc::CallResult};

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

/// Tells `msg` to `to`; a dead receiver is a bug in the benchmark.
fn tell<M: Message>(to: &ActorRef<M>, msg: M) {
    if to.cast(msg).is_err() {
        panic!("ractor: message to a dead actor");
    }
}

/// Spawns an unnamed, unsupervised actor.
async fn start<A: Actor>(
    actor: A,
    args: A::Arguments,
) -> (ActorRef<A::Msg>, tokio::task::JoinHandle<()>) {
    match Actor::spawn(None, actor, args).await {
        Ok(spawned) => spawned,
        Err(e) => panic!("ractor spawn failed: {e}"),
    }
}

// ---------------------------------------------------------------- ping-pong

struct Player;

enum PlayerMsg {
    Peer(ActorRef<PlayerMsg>),
    Ball(u64),
}

struct PlayerState {
    peer: Option<ActorRef<PlayerMsg>>,
    n: u64,
    /// Set on the player that counts round trips.
    done: Option<Done>,
}

impl Actor for Player {
    type Msg = PlayerMsg;
    type State = PlayerState;
    type Arguments = (u64, Option<Done>);

    async fn pre_start(
        &self,
        _: ActorRef<PlayerMsg>,
        (n, done): (u64, Option<Done>),
    ) -> Result<PlayerState, ActorProcessingErr> {
        Ok(PlayerState {
            peer: None,
            n,
            done,
        })
    }

    async fn handle(
        &self,
        _: ActorRef<PlayerMsg>,
        msg: PlayerMsg,
        state: &mut PlayerState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            PlayerMsg::Peer(peer) => state.peer = Some(peer),
            PlayerMsg::Ball(ball) => {
                let peer = state.peer.as_ref().expect("peer set before the first ball");
                match &state.done {
                    Some(done) if ball + 1 == state.n => done.fire(ball + 1),
                    Some(_) => tell(peer, PlayerMsg::Ball(ball + 1)),
                    None => tell(peer, PlayerMsg::Ball(ball)),
                }
            }
        }
        Ok(())
    }
}

async fn ping_pong(counts: &Counts) -> Outcome {
    let n = counts.ping_pong_round_trips;
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let (a, _) = start(Player, (n, Some(done))).await;
    let (b, _) = start(Player, (n, None)).await;
    tell(&a, PlayerMsg::Peer(b.clone()));
    tell(&b, PlayerMsg::Peer(a.clone()));
    tell(&b, PlayerMsg::Ball(0));
    await_done(wait, n, "ping-pong").await;
    Outcome::timed(timer.elapsed())
}

// ------------------------------------------------------------------- fan-in

struct Summer;

struct SumState {
    sum: u64,
    remaining: u64,
    done: Done,
}

impl Actor for Summer {
    type Msg = u64;
    type State = SumState;
    type Arguments = (u64, Done);

    async fn pre_start(
        &self,
        _: ActorRef<u64>,
        (total, done): (u64, Done),
    ) -> Result<SumState, ActorProcessingErr> {
        Ok(SumState {
            sum: 0,
            remaining: total,
            done,
        })
    }

    async fn handle(
        &self,
        _: ActorRef<u64>,
        value: u64,
        state: &mut SumState,
    ) -> Result<(), ActorProcessingErr> {
        state.sum += value;
        state.remaining -= 1;
        if state.remaining == 0 {
            state.done.fire(state.sum);
        }
        Ok(())
    }
}

struct Producer;

/// Tells the values `1..=n` to the summer.
struct Produce;

impl Actor for Producer {
    type Msg = Produce;
    type State = (ActorRef<u64>, u64);
    type Arguments = (ActorRef<u64>, u64);

    async fn pre_start(
        &self,
        _: ActorRef<Produce>,
        args: (ActorRef<u64>, u64),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(args)
    }

    async fn handle(
        &self,
        _: ActorRef<Produce>,
        _: Produce,
        (summer, n): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        for i in 1..=*n {
            tell(summer, i);
        }
        Ok(())
    }
}

async fn fan_in(counts: &Counts) -> Outcome {
    let (producers, per) = (counts.fan_in_producers, counts.fan_in_per_producer);
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let (summer, _) = start(Summer, (producers * per, done)).await;
    for _ in 0..producers {
        let (producer, _) = start(Producer, (summer.clone(), per)).await;
        tell(&producer, Produce);
    }
    await_done(wait, counts.fan_in_sum(), "fan-in").await;
    Outcome::timed(timer.elapsed())
}

// ---------------------------------------------------------------------- ask

struct Server;

/// Asks for the number of requests served so far, this one included.
struct Get(RpcReplyPort<u64>);

impl Actor for Server {
    type Msg = Get;
    type State = u64;
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<Get>, (): ()) -> Result<u64, ActorProcessingErr> {
        Ok(0)
    }

    async fn handle(
        &self,
        _: ActorRef<Get>,
        Get(reply): Get,
        count: &mut u64,
    ) -> Result<(), ActorProcessingErr> {
        *count += 1;
        let _ = reply.send(*count);
        Ok(())
    }
}

async fn ask(counts: &Counts) -> Outcome {
    let n = counts.ask_requests;
    let (server, _) = start(Server, ()).await;
    let mut meter = AskMeter::start(n);
    let mut last = 0;
    for _ in 0..n {
        last = match server.call(Get, None).await {
            Ok(CallResult::Success(count)) => count,
            _ => panic!("ractor: call failed"),
        };
        meter.tick();
    }
    assert_eq!(last, n, "ask: wrong count");
    meter.finish()
}

// -------------------------------------------------------------------- spawn

struct Waiter;

impl Actor for Waiter {
    type Msg = ();
    type State = ();
    type Arguments = ();

    async fn pre_start(&self, _: ActorRef<()>, (): ()) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<()>,
        (): (),
        _: &mut (),
    ) -> Result<(), ActorProcessingErr> {
        myself.stop(None);
        Ok(())
    }
}

async fn spawn(counts: &Counts) -> Outcome {
    let n = counts.spawn_processes;
    let meter = SpawnMeter::start();
    let mut procs = Vec::with_capacity(n as usize);
    for _ in 0..n {
        procs.push(start(Waiter, ()).await);
    }
    for (waiter, _) in &procs {
        tell(waiter, ());
    }
    let mut ended = 0;
    for (_, handle) in procs {
        handle.await.expect("waiter ended");
        ended += 1;
    }
    assert_eq!(ended, n, "spawn: not all ended");
    meter.finish(n)
}

// --------------------------------------------------------------------- ring

struct RingNode;

enum RingMsg {
    Next(ActorRef<RingMsg>),
    Token(u64),
}

impl Actor for RingNode {
    type Msg = RingMsg;
    type State = (Option<ActorRef<RingMsg>>, Done, u64);
    type Arguments = (Done, u64);

    async fn pre_start(
        &self,
        _: ActorRef<RingMsg>,
        (done, hops): (Done, u64),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok((None, done, hops))
    }

    async fn handle(
        &self,
        _: ActorRef<RingMsg>,
        msg: RingMsg,
        (next, done, hops): &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            RingMsg::Next(n) => *next = Some(n),
            RingMsg::Token(0) => done.fire(*hops),
            RingMsg::Token(t) => tell(next.as_ref().expect("ring closed"), RingMsg::Token(t - 1)),
        }
        Ok(())
    }
}

async fn ring(counts: &Counts) -> Outcome {
    let (m, hops) = (counts.ring_processes as usize, counts.ring_hops);
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let mut nodes = Vec::with_capacity(m);
    for _ in 0..m {
        nodes.push(start(RingNode, (done.clone(), hops)).await.0);
    }
    for (i, node) in nodes.iter().enumerate() {
        tell(node, RingMsg::Next(nodes[(i + 1) % m].clone()));
    }
    tell(&nodes[0], RingMsg::Token(hops));
    await_done(wait, hops, "ring").await;
    Outcome::timed(timer.elapsed())
}

// ------------------------------------------------------------------- skynet

struct SkynetNode;

/// Where a skynet node reports its sum.
enum Parent {
    Node(ActorRef<u64>),
    Root(Done),
}

impl Parent {
    fn report(&self, sum: u64) {
        match self {
            Parent::Node(node) => tell(node, sum),
            Parent::Root(done) => done.fire(sum),
        }
    }
}

struct SkynetState {
    num: u64,
    size: u64,
    parent: Parent,
    sum: u64,
    remaining: u64,
}

impl Actor for SkynetNode {
    type Msg = u64;
    type State = SkynetState;
    type Arguments = (u64, u64, Parent);

    async fn pre_start(
        &self,
        _: ActorRef<u64>,
        (num, size, parent): (u64, u64, Parent),
    ) -> Result<SkynetState, ActorProcessingErr> {
        Ok(SkynetState {
            num,
            size,
            parent,
            sum: 0,
            remaining: 10,
        })
    }

    async fn post_start(
        &self,
        myself: ActorRef<u64>,
        state: &mut SkynetState,
    ) -> Result<(), ActorProcessingErr> {
        if state.size == 1 {
            state.parent.report(state.num);
            myself.stop(None);
            return Ok(());
        }
        let child = state.size / 10;
        for i in 0..10 {
            start(
                SkynetNode,
                (state.num + i * child, child, Parent::Node(myself.clone())),
            )
            .await;
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<u64>,
        sum: u64,
        state: &mut SkynetState,
    ) -> Result<(), ActorProcessingErr> {
        state.sum += sum;
        state.remaining -= 1;
        if state.remaining == 0 {
            state.parent.report(state.sum);
            myself.stop(None);
        }
        Ok(())
    }
}

async fn skynet(counts: &Counts) -> Outcome {
    let timer = Timer::start();
    let (done, wait) = Done::new();
    start(SkynetNode, (0, counts.skynet_leaves, Parent::Root(done))).await;
    await_done(wait, counts.skynet_sum(), "skynet").await;
    let elapsed = timer.elapsed();
    Outcome {
        peak_rss_bytes: Some(peak_rss()),
        ..Outcome::timed(elapsed)
    }
}
