//! actix: `Actor` + `Handler<M>` impls on actix's own `System` (one thread).
//! Every actor is created with `set_mailbox_capacity(0)`, which makes its
//! mailbox unbounded; tells use `do_send`, asks `send(..).await`.

use std::cell::RefCell;
use std::rc::Rc;

use actix::prelude::*;

use crate::measure::{AskMeter, Done, SpawnMeter, Timer, await_done, peak_rss};
use crate::workloads::{Counts, Outcome, Workload};

/// Runs `workload` once; to be spawned on the system's arbiter.
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

/// Starts `actor` on the current arbiter with an unbounded mailbox.
fn start<A: Actor<Context = Context<A>>>(actor: A) -> Addr<A> {
    A::create(|ctx| {
        ctx.set_mailbox_capacity(0);
        actor
    })
}

// ---------------------------------------------------------------- ping-pong

struct Player {
    peer: Option<Addr<Player>>,
    n: u64,
    /// Set on the player that counts round trips.
    done: Option<Done>,
}

impl Actor for Player {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Peer(Addr<Player>);

#[derive(Message)]
#[rtype(result = "()")]
struct Ball(u64);

impl Handler<Peer> for Player {
    type Result = ();

    fn handle(&mut self, Peer(peer): Peer, _: &mut Context<Self>) {
        self.peer = Some(peer);
    }
}

impl Handler<Ball> for Player {
    type Result = ();

    fn handle(&mut self, Ball(ball): Ball, _: &mut Context<Self>) {
        let peer = self.peer.as_ref().expect("peer set before the first ball");
        match &self.done {
            Some(done) if ball + 1 == self.n => done.fire(ball + 1),
            Some(_) => peer.do_send(Ball(ball + 1)),
            None => peer.do_send(Ball(ball)),
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
    a.do_send(Peer(b.clone()));
    b.do_send(Peer(a.clone()));
    b.do_send(Ball(0));
    await_done(wait, n, "ping-pong").await;
    Outcome::timed(timer.elapsed())
}

// ------------------------------------------------------------------- fan-in

struct Summer {
    sum: u64,
    remaining: u64,
    done: Done,
}

impl Actor for Summer {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Value(u64);

impl Handler<Value> for Summer {
    type Result = ();

    fn handle(&mut self, Value(v): Value, _: &mut Context<Self>) {
        self.sum += v;
        self.remaining -= 1;
        if self.remaining == 0 {
            self.done.fire(self.sum);
        }
    }
}

struct Producer {
    summer: Addr<Summer>,
    n: u64,
}

impl Actor for Producer {
    type Context = Context<Self>;
}

/// Tells the values `1..=n` to the summer.
#[derive(Message)]
#[rtype(result = "()")]
struct Produce;

impl Handler<Produce> for Producer {
    type Result = ();

    fn handle(&mut self, _: Produce, _: &mut Context<Self>) {
        for i in 1..=self.n {
            self.summer.do_send(Value(i));
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
    let mut running = Vec::new();
    for _ in 0..producers {
        let producer = start(Producer {
            summer: summer.clone(),
            n: per,
        });
        producer.do_send(Produce);
        running.push(producer);
    }
    await_done(wait, counts.fan_in_sum(), "fan-in").await;
    Outcome::timed(timer.elapsed())
}

// ---------------------------------------------------------------------- ask

struct Server {
    count: u64,
}

impl Actor for Server {
    type Context = Context<Self>;
}

/// Asks for the number of requests served so far, this one included.
#[derive(Message)]
#[rtype(result = "u64")]
struct Get;

impl Handler<Get> for Server {
    type Result = u64;

    fn handle(&mut self, _: Get, _: &mut Context<Self>) -> u64 {
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
        last = server.send(Get).await.expect("server replies");
        meter.tick();
    }
    assert_eq!(last, n, "ask: wrong count");
    meter.finish()
}

// -------------------------------------------------------------------- spawn

/// Counts ended actors down and fires when none is left (actix has no join
/// handle for an actor).
struct Countdown {
    remaining: u64,
    n: u64,
    done: Done,
}

struct Waiter {
    countdown: Rc<RefCell<Countdown>>,
}

impl Actor for Waiter {
    type Context = Context<Self>;

    fn stopped(&mut self, _: &mut Context<Self>) {
        let mut c = self.countdown.borrow_mut();
        c.remaining -= 1;
        if c.remaining == 0 {
            c.done.fire(c.n);
        }
    }
}

/// The one message a waiter waits for.
#[derive(Message)]
#[rtype(result = "()")]
struct Wake;

impl Handler<Wake> for Waiter {
    type Result = ();

    fn handle(&mut self, _: Wake, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

async fn spawn(counts: &Counts) -> Outcome {
    let n = counts.spawn_processes;
    let meter = SpawnMeter::start();
    let (done, wait) = Done::new();
    let countdown = Rc::new(RefCell::new(Countdown {
        remaining: n,
        n,
        done,
    }));
    let waiters: Vec<_> = (0..n)
        .map(|_| {
            start(Waiter {
                countdown: countdown.clone(),
            })
        })
        .collect();
    for waiter in &waiters {
        waiter.do_send(Wake);
    }
    await_done(wait, n, "spawn").await;
    meter.finish(n)
}

// --------------------------------------------------------------------- ring

struct RingNode {
    next: Option<Addr<RingNode>>,
    done: Done,
    hops: u64,
}

impl Actor for RingNode {
    type Context = Context<Self>;
}

#[derive(Message)]
#[rtype(result = "()")]
struct Next(Addr<RingNode>);

#[derive(Message)]
#[rtype(result = "()")]
struct Token(u64);

impl Handler<Next> for RingNode {
    type Result = ();

    fn handle(&mut self, Next(next): Next, _: &mut Context<Self>) {
        self.next = Some(next);
    }
}

impl Handler<Token> for RingNode {
    type Result = ();

    fn handle(&mut self, Token(t): Token, _: &mut Context<Self>) {
        if t == 0 {
            self.done.fire(self.hops);
        } else {
            self.next
                .as_ref()
                .expect("ring closed")
                .do_send(Token(t - 1));
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
        node.do_send(Next(nodes[(i + 1) % m].clone()));
    }
    nodes[0].do_send(Token(hops));
    await_done(wait, hops, "ring").await;
    Outcome::timed(timer.elapsed())
}

// ------------------------------------------------------------------- skynet

/// Where a skynet node reports its sum.
enum Parent {
    Node(Addr<SkynetNode>),
    Root(Done),
}

impl Parent {
    fn report(&self, sum: u64) {
        match self {
            Parent::Node(node) => node.do_send(Sum(sum)),
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

impl SkynetNode {
    fn new(num: u64, size: u64, parent: Parent) -> SkynetNode {
        SkynetNode {
            num,
            size,
            parent,
            sum: 0,
            remaining: 10,
        }
    }
}

impl Actor for SkynetNode {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        if self.size == 1 {
            self.parent.report(self.num);
            ctx.stop();
            return;
        }
        let child = self.size / 10;
        for i in 0..10 {
            start(SkynetNode::new(
                self.num + i * child,
                child,
                Parent::Node(ctx.address()),
            ));
        }
    }
}

/// A child's sum.
#[derive(Message)]
#[rtype(result = "()")]
struct Sum(u64);

impl Handler<Sum> for SkynetNode {
    type Result = ();

    fn handle(&mut self, Sum(sum): Sum, ctx: &mut Context<Self>) {
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
    let _root = start(SkynetNode::new(0, counts.skynet_leaves, Parent::Root(done)));
    await_done(wait, counts.skynet_sum(), "skynet").await;
    let elapsed = timer.elapsed();
    Outcome {
        peak_rss_bytes: Some(peak_rss()),
        ..Outcome::timed(elapsed)
    }
}
