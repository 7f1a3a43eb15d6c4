//! kameo: `Actor` + `Message<M>` impls, spawned with `mailbox::unbounded()`,
//! on tokio multi-thread (2 workers). Tells use `try_send`, which never waits
//! on an unbounded mailbox; asks use `ask(..).send()`.

use kameo::Actor;
use kameo::actor::{ActorRef, Spawn};
use kameo::error::Infallible;
use kameo::mailbox;
use kameo::message::{Context, Message};

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

/// Spawns `actor` with an unbounded mailbox.
fn start<A: Actor<Args = A>>(actor: A) -> ActorRef<A> {
    A::spawn_with_mailbox(actor, mailbox::unbounded())
}

/// Tells `msg` to `to`; a dead receiver is a bug in the benchmark.
fn tell<A, M>(to: &ActorRef<A>, msg: M)
where
    A: Actor + Message<M>,
    M: Send + 'static,
{
    if to.tell(msg).try_send().is_err() {
        panic!("kameo: message to a dead actor");
    }
}

/// Implements `Actor` with the actor as its own arguments.
macro_rules! plain_actor {
    ($($name:ident),*) => {$(
        impl Actor for $name {
            type Args = Self;
            type Error = Infallible;

            async fn on_start(args: Self, _: ActorRef<Self>) -> Result<Self, Infallible> {
                Ok(args)
            }
        }
    )*};
}

plain_actor!(Player, Summer, Producer, Server, Waiter, RingNode);

// ---------------------------------------------------------------- ping-pong

struct Player {
    peer: Option<ActorRef<Player>>,
    n: u64,
    /// Set on the player that counts round trips.
    done: Option<Done>,
}

struct Peer(ActorRef<Player>);

struct Ball(u64);

impl Message<Peer> for Player {
    type Reply = ();

    async fn handle(&mut self, Peer(peer): Peer, _: &mut Context<Self, ()>) {
        self.peer = Some(peer);
    }
}

impl Message<Ball> for Player {
    type Reply = ();

    async fn handle(&mut self, Ball(ball): Ball, _: &mut Context<Self, ()>) {
        let peer = self.peer.as_ref().expect("peer set before the first ball");
        match &self.done {
            Some(done) if ball + 1 == self.n => done.fire(ball + 1),
            Some(_) => tell(peer, Ball(ball + 1)),
            None => tell(peer, Ball(ball)),
        }
    }
}

async fn ping_pong(counts: &Counts) -> Outcome {
    let n = counts.ping_pong_round_trips;
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let a = start(Player {
        peer: None,
        n,
        done: Some(done),
    });
    let b = start(Player {
        peer: None,
        n,
        done: None,
    });
    tell(&a, Peer(b.clone()));
    tell(&b, Peer(a.clone()));
    tell(&b, Ball(0));
    await_done(wait, n, "ping-pong").await;
    Outcome::timed(timer.elapsed())
}

// ------------------------------------------------------------------- fan-in

struct Summer {
    sum: u64,
    remaining: u64,
    done: Done,
}

struct Value(u64);

impl Message<Value> for Summer {
    type Reply = ();

    async fn handle(&mut self, Value(v): Value, _: &mut Context<Self, ()>) {
        self.sum += v;
        self.remaining -= 1;
        if self.remaining == 0 {
            self.done.fire(self.sum);
        }
    }
}

struct Producer {
    summer: ActorRef<Summer>,
    n: u64,
}

/// Tells the values `1..=n` to the summer.
struct Produce;

impl Message<Produce> for Producer {
    type Reply = ();

    async fn handle(&mut self, _: Produce, _: &mut Context<Self, ()>) {
        for i in 1..=self.n {
            tell(&self.summer, Value(i));
        }
    }
}

async fn fan_in(counts: &Counts) -> Outcome {
    let (producers, per) = (counts.fan_in_producers, counts.fan_in_per_producer);
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let summer = start(Summer {
        sum: 0,
        remaining: producers * per,
        done,
    });
    for _ in 0..producers {
        let producer = start(Producer {
            summer: summer.clone(),
            n: per,
        });
        tell(&producer, Produce);
    }
    await_done(wait, counts.fan_in_sum(), "fan-in").await;
    Outcome::timed(timer.elapsed())
}

// ---------------------------------------------------------------------- ask

struct Server {
    count: u64,
}

/// Asks for the number of requests served so far, this one included.
struct Get;

impl Message<Get> for Server {
    type Reply = u64;

    async fn handle(&mut self, _: Get, _: &mut Context<Self, u64>) -> u64 {
        self.count += 1;
        self.count
    }
}

async fn ask(counts: &Counts) -> Outcome {
    let n = counts.ask_requests;
    let server = start(Server { count: 0 });
    let mut meter = AskMeter::start(n);
    let mut last = 0;
    for _ in 0..n {
        last = match server.ask(Get).send().await {
            Ok(count) => count,
            Err(_) => panic!("kameo: ask failed"),
        };
        meter.tick();
    }
    assert_eq!(last, n, "ask: wrong count");
    meter.finish()
}

// -------------------------------------------------------------------- spawn

struct Waiter;

/// The one message a waiter waits for.
struct Wake;

impl Message<Wake> for Waiter {
    type Reply = ();

    async fn handle(&mut self, _: Wake, ctx: &mut Context<Self, ()>) {
        ctx.stop();
    }
}

async fn spawn(counts: &Counts) -> Outcome {
    let n = counts.spawn_processes;
    let meter = SpawnMeter::start();
    let waiters: Vec<_> = (0..n).map(|_| start(Waiter)).collect();
    for waiter in &waiters {
        tell(waiter, Wake);
    }
    let mut ended = 0;
    for waiter in waiters {
        waiter.wait_for_shutdown().await;
        ended += 1;
    }
    assert_eq!(ended, n, "spawn: not all ended");
    meter.finish(n)
}

// --------------------------------------------------------------------- ring

struct RingNode {
    next: Option<ActorRef<RingNode>>,
    done: Done,
    hops: u64,
}

struct Next(ActorRef<RingNode>);

struct Token(u64);

impl Message<Next> for RingNode {
    type Reply = ();

    async fn handle(&mut self, Next(next): Next, _: &mut Context<Self, ()>) {
        self.next = Some(next);
    }
}

impl Message<Token> for RingNode {
    type Reply = ();

    async fn handle(&mut self, Token(t): Token, _: &mut Context<Self, ()>) {
        if t == 0 {
            self.done.fire(self.hops);
        } else {
            tell(self.next.as_ref().expect("ring closed"), Token(t - 1));
        }
    }
}

async fn ring(counts: &Counts) -> Outcome {
    let (m, hops) = (counts.ring_processes as usize, counts.ring_hops);
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let nodes: Vec<_> = (0..m)
        .map(|_| {
            start(RingNode {
                next: None,
                done: done.clone(),
                hops,
            })
        })
        .collect();
    for (i, node) in nodes.iter().enumerate() {
        tell(node, Next(nodes[(i + 1) % m].clone()));
    }
    tell(&nodes[0], Token(hops));
    await_done(wait, hops, "ring").await;
    Outcome::timed(timer.elapsed())
}

// ------------------------------------------------------------------- skynet

/// Where a skynet node reports its sum.
enum Parent {
    Node(ActorRef<SkynetNode>),
    Root(Done),
}

impl Parent {
    fn report(&self, sum: u64) {
        match self {
            Parent::Node(node) => tell(node, Sum(sum)),
            Parent::Root(done) => done.fire(sum),
        }
    }
}

struct SkynetNode {
    num: u64,
    size: u64,
    parent: Parent,
    sum: u64,
    remaining: u64,
}

/// A child's sum.
struct Sum(u64);

impl Actor for SkynetNode {
    type Args = Self;
    type Error = Infallible;

    async fn on_start(node: Self, myself: ActorRef<Self>) -> Result<Self, Infallible> {
        if node.size == 1 {
            node.parent.report(node.num);
            let _ = myself.stop_gracefully().await;
            return Ok(node);
        }
        let child = node.size / 10;
        for i in 0..10 {
            start(SkynetNode {
                num: node.num + i * child,
                size: child,
                parent: Parent::Node(myself.clone()),
                sum: 0,
                remaining: 10,
            });
        }
        Ok(node)
    }
}

impl Message<Sum> for SkynetNode {
    type Reply = ();

    async fn handle(&mut self, Sum(sum): Sum, ctx: &mut Context<Self, ()>) {
        self.sum += sum;
        self.remaining -= 1;
        if self.remaining == 0 {
            self.parent.report(self.sum);
            ctx.stop();
        }
    }
}

async fn skynet(counts: &Counts) -> Outcome {
    let timer = Timer::start();
    let (done, wait) = Done::new();
    let _root = start(SkynetNode {
        num: 0,
        size: counts.skynet_leaves,
        parent: Parent::Root(done),
        sum: 0,
        remaining: 10,
    });
    await_done(wait, counts.skynet_sum(), "skynet").await;
    let elapsed = timer.elapsed();
    Outcome {
        peak_rss_bytes: Some(peak_rss()),
        ..Outcome::timed(elapsed)
    }
}
