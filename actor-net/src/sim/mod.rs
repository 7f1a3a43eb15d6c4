//! A simulated network: several nodes in one deterministic run, for
//! testing distributed protocols over many seeds.
//!
//! The same [`Node`] API, on the
//! [deterministic runtime](actor_core::deterministic) over an in-memory
//! network instead of NATS: several nodes in one OS process, each with its
//! own processes (and its own local [registry](actor_core::register) and
//! [process groups](actor_core::pg)), all on one seeded schedule and one
//! virtual clock. A node's logic is the NATS node's own (outbox, frames,
//! heartbeats, the grace period, global names), over a simulated wire
//! ([`Network`]) and a simulated key-value store; only how nodes are
//! started differs. Code written as `async fn main_of_a_node(node: Node)`
//! runs unchanged after [`Node::connect`] or as the `main` of
//! [`Network::start`].
//!
//! # What the network does
//!
//! What NATS promises, and what the seed chooses within it:
//!
//! - **Delivery** is at most once, and in order from one node to another
//!   (one connection publishes, as on NATS), so in order per pair of
//!   processes. Each message (a batch of frames, a heartbeat) is in flight
//!   for a seeded delay up to [`NetConfig::latency`]: messages between
//!   different pairs of nodes interleave as the seed says.
//! - **Partitions** ([`NetConfig::partitions`], [`Network::partition`])
//!   split the nodes into two sides; every message between the sides is
//!   lost, both ways, including those in flight when the partition begins
//!   (the route between two NATS servers is cut). Every node still reaches
//!   the key-value store of global names (a JetStream stream reachable from
//!   both sides). Healing lets messages through again; a partition longer
//!   than the grace period makes each side see the other down (links get
//!   `noconnection`, the other side's global names are purged) and then up
//!   again, with the same node ids. As over NATS, a node whose names were
//!   purged re-asserts them for its processes still alive (it watches the
//!   store), so a name comes back with its node.
//! - **Crashes** ([`NetConfig::crashes`], [`Network::crash`]) end a node at
//!   once: its processes are killed, what it had not yet handed to the
//!   network is gone, and the others see it down after the grace period,
//!   with `noconnection` everywhere. [`Network::restart`] (or
//!   [`NetConfig::restart_after`]) starts it again under its name with a
//!   new node id, as a new OS process would get, running its `main` again.
//! - **Loss** ([`NetConfig::loss`], [`Network::disconnect`]) happens where
//!   core NATS loses messages: while a node's connection to its server is
//!   down. Everything sent to it meanwhile is lost (the server has no
//!   subscriber to hand it to); what it publishes meanwhile waits in its
//!   client and leaves when the connection is back, in order; its
//!   key-value requests wait too. The node itself sees its connection
//!   lost and back, as async-nats tells it; an outage longer than the
//!   grace period makes the others see it down. Nothing is lost anywhere
//!   else: no random drops of single messages, which NATS does not do.
//!
//! Every knob and every fault injected is [noted](actor_core::deterministic::note)
//! in the run's trace, so the [`Harness`](actor_core::testing::Harness)'s
//! failure report shows them with the seed, and `ACTOR_SEED=N` replays the
//! same run, faults included, with the same trace hash.
//!
//! Pids reach another node inside messages and through global names, as
//! between machines. A process that sends straight to a process of another
//! node (a pid captured by a closure) fails with the reason; code outside
//! every node (the test body and the processes it spawns itself) may talk
//! to any node's processes directly, as the test's own view of the system.
//!
//! # Examples
//!
//! A name registered on one node is found from another, and freed when its
//! node crashes:
//!
//! ```
//! use actor_core::testing::Harness;
//! use actor_core::{spawn, Ctx};
//! use actor_net::sim::{NetConfig, Network};
//! use actor_net::Node;
//! use std::time::Duration;
//!
//! /// Node a's main: a service under a global name.
//! async fn service(node: Node) {
//!     let pid = spawn(|mut ctx: Ctx<u32>| async move { loop { ctx.recv().await; } });
//!     node.register_global("service", &pid).await.unwrap();
//! }
//!
//! Harness::new().seeds(20).run(|| async {
//!     let net = Network::new(NetConfig::new());
//!     net.start("a", service);
//!     let b = net.start("b", |_node: Node| async {});
//!     actor_core::sleep(Duration::from_secs(1)).await;
//!     let found = b.whereis_global::<u32>("service").await.map_err(|e| e.to_string())?;
//!     if found.is_none() {
//!         return Err("not found".to_string());
//!     }
//!     net.crash("a");
//!     // b sees a down after the grace period (2 s), and frees its names.
//!     actor_core::sleep(Duration::from_secs(3)).await;
//!     match b.whereis_global::<u32>("service").await {
//!         Ok(None) => Ok(()),
//!         other => Err(format!("{other:?}")),
//!     }
//! });
//! ```

mod queue;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use actor_core::{Ctx, ExitReason, IntoExitReason, NodeId, Spawn, deterministic, spawn};
use bytes::Bytes;
use futures::StreamExt;

use crate::error::Error;
use crate::node::{Node, Start};
use crate::wire::{BoxFuture, Connection, Entry, Incoming, Op, Store, Wire};
use queue::{Arrivals, Queue};

/// How long a key-value request of a disconnected node waits for its
/// connection before it fails (async-nats' JetStream request timeout).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The default maximum payload: NATS's default, 1 MiB.
const DEFAULT_MAX_PAYLOAD: usize = 1 << 20;

/// How a simulated network behaves: its latency, the nodes' liveness
/// timing, and the faults it injects, each at seeded times.
///
/// # Examples
///
/// ```
/// use actor_net::sim::NetConfig;
/// use std::time::Duration;
///
/// let config = NetConfig::new()
///     .latency(Duration::from_millis(20))
///     .grace(Duration::from_secs(1))
///     .heartbeat(Duration::from_millis(250))
///     .partitions(1, Duration::from_secs(5), Duration::from_secs(3))
///     .crashes(1, Duration::from_secs(10))
///     .restart_after(Duration::from_secs(2))
///     .loss(2, Duration::from_secs(10), Duration::from_millis(500));
/// assert_eq!(
///     config.to_string(),
///     "network: latency up to 20ms, heartbeat 250ms, grace 1s; \
///      partitions: 1 within 5s, each up to 3s; \
///      crashes: 1 within 10s, restarting within 2s; \
///      loss: 2 outages within 10s, each up to 500ms"
/// );
/// ```
#[derive(Clone, Debug)]
pub struct NetConfig {
    latency: Duration,
    heartbeat: Duration,
    grace: Duration,
    max_payload: usize,
    partitions: Knob,
    crashes: Knob,
    restart_after: Option<Duration>,
    loss: Knob,
}

/// `count` faults at seeded times within `window`, each lasting a seeded
/// time up to `lasting`.
#[derive(Clone, Copy, Debug, Default)]
struct Knob {
    count: u32,
    window: Duration,
    lasting: Duration,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl NetConfig {
    /// A network with messages in flight up to 1 ms, NATS's default
    /// maximum payload (1 MiB), the nodes' default heartbeat (500 ms) and
    /// grace period (2 s), and no faults.
    pub fn new() -> Self {
        NetConfig {
            latency: Duration::from_millis(1),
            heartbeat: Duration::from_millis(500),
            grace: Duration::from_secs(2),
            max_payload: DEFAULT_MAX_PAYLOAD,
            partitions: Knob::default(),
            crashes: Knob::default(),
            restart_after: None,
            loss: Knob::default(),
        }
    }

    /// Holds each message (a batch of frames, a beacon) and each
    /// key-value request and answer in flight for a seeded time in
    /// `0..=max`, never reordering two messages from one node to another.
    pub fn latency(mut self, max: Duration) -> Self {
        self.latency = max;
        self
    }

    /// How often each node says it is alive (see
    /// [`NodeConfig::heartbeat`](crate::NodeConfig::heartbeat)).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// How long a node may be silent before the others declare it down
    /// (see [`NodeConfig::grace`](crate::NodeConfig::grace)). Must be longer
    /// than the heartbeat interval.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The largest message the network carries (NATS's `max_payload`).
    pub fn max_payload(mut self, bytes: usize) -> Self {
        self.max_payload = bytes;
        self
    }

    /// `count` partitions, each beginning at a seeded time within `window`
    /// of the network's start, between two seeded non-empty sides of the
    /// nodes running then, and healing after a seeded time up to
    /// `lasting`. See [`Network::partition`].
    pub fn partitions(mut self, count: u32, window: Duration, lasting: Duration) -> Self {
        self.partitions = Knob {
            count,
            window,
            lasting,
        };
        self
    }

    /// `count` crashes, each at a seeded time within `window`, of a seeded
    /// node among those running then. See [`Network::crash`].
    pub fn crashes(mut self, count: u32, window: Duration) -> Self {
        self.crashes = Knob {
            count,
            window,
            lasting: Duration::ZERO,
        };
        self
    }

    /// Restarts each node that [`crashes`](Self::crashes) crashed, after a
    /// seeded time up to `within`. See [`Network::restart`].
    pub fn restart_after(mut self, within: Duration) -> Self {
        self.restart_after = Some(within);
        self
    }

    /// `count` outages of a node's connection, each at a seeded time
    /// within `window`, of a seeded node among those running then, lasting
    /// a seeded time up to `lasting`: the only place where NATS loses
    /// messages. See [`Network::disconnect`].
    pub fn loss(mut self, count: u32, window: Duration, lasting: Duration) -> Self {
        self.loss = Knob {
            count,
            window,
            lasting,
        };
        self
    }

    fn validate(&self) {
        assert!(
            !self.heartbeat.is_zero() && self.grace > self.heartbeat,
            "the grace period ({:?}) must be longer than the heartbeat interval ({:?})",
            self.grace,
            self.heartbeat
        );
    }
}

/// The knobs, as the failure report shows them.
impl fmt::Display for NetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "network: latency up to {:?}, heartbeat {:?}, grace {:?}; partitions: ",
            self.latency, self.heartbeat, self.grace
        )?;
        match self.partitions.count {
            0 => f.write_str("none")?,
            n => write!(
                f,
                "{n} within {:?}, each up to {:?}",
                self.partitions.window, self.partitions.lasting
            )?,
        }
        f.write_str("; crashes: ")?;
        match self.crashes.count {
            0 => f.write_str("none")?,
            n => {
                write!(f, "{n} within {:?}", self.crashes.window)?;
                if let Some(r) = self.restart_after {
                    write!(f, ", restarting within {r:?}")?;
                }
            }
        }
        f.write_str("; loss: ")?;
        match self.loss.count {
            0 => f.write_str("none"),
            n => write!(
                f,
                "{n} outages within {:?}, each up to {:?}",
                self.loss.window, self.loss.lasting
            ),
        }
    }
}

/// What a simulated network carried, from [`Network::stats`]. A message
/// is a batch of frames to one node or a beacon to one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct NetStats {
    /// Messages handed to the network.
    pub sent: u64,
    /// Messages that reached their node.
    pub delivered: u64,
    /// Messages lost to a partition, an outage or a crash.
    pub lost: u64,
}

/// A node's `main`, kept for restarts.
type Main = Arc<dyn Fn(Node) -> BoxFuture<'static, ExitReason> + Send + Sync>;

/// An in-memory network of nodes on the deterministic runtime. Cheap to
/// clone; every clone is the same network. See the [module](self) docs.
#[derive(Clone)]
pub struct Network {
    net: Arc<Net>,
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("config", &self.net.config)
            .finish_non_exhaustive()
    }
}

struct Net {
    config: NetConfig,
    state: Mutex<State>,
}

struct State {
    /// splitmix64, seeded from the run's seed.
    rng: u64,
    /// Orders arrivals at the same time, and cuts.
    seq: u64,
    next_id: u32,
    nodes: BTreeMap<Arc<str>, Slot>,
    /// Every incarnation's name, running or not.
    names: BTreeMap<NodeId, Arc<str>>,
    /// Partitions in force: each separates its two sides.
    cuts: Vec<Cut>,
    /// Nodes whose connection is down, until when.
    outages: BTreeMap<Arc<str>, Duration>,
    /// The arrival time of the last message from one node to another.
    pair_last: BTreeMap<(NodeId, NodeId), Duration>,
    /// The key-value store: each key's last write.
    store: BTreeMap<String, Entry>,
    /// The store's watches: the node watching, its queue, and the arrival
    /// time of the last change sent to it.
    watches: Vec<Watch>,
    revision: u64,
    stats: NetStats,
}

struct Slot {
    main: Main,
    running: Option<Incarnation>,
}

struct Incarnation {
    id: NodeId,
    node: Node,
    inbox: Arc<Queue<(NodeId, Bytes)>>,
    beacons: Arc<Queue<(NodeId, Bytes)>>,
    events: Arc<Queue<Connection>>,
}

struct Cut {
    id: u64,
    a: BTreeSet<Arc<str>>,
    b: BTreeSet<Arc<str>>,
}

/// A watch of the key-value store.
struct Watch {
    node: NodeId,
    queue: Arc<Queue<Entry>>,
    last: Duration,
}

/// Which of a node's queues a message goes to.
#[derive(Clone, Copy)]
enum Channel {
    Inbox,
    Beacons,
}

impl State {
    fn random(&mut self) -> u64 {
        let mut z = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.rng = z;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A seeded duration in `0..=max`.
    fn random_duration(&mut self, max: Duration) -> Duration {
        let nanos = max.as_nanos().min(u128::from(u64::MAX - 1)) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(self.random() % (nanos + 1))
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The running incarnation of node id `id`.
    fn incarnation(&self, id: NodeId) -> Option<&Incarnation> {
        let name = self.names.get(&id)?;
        self.nodes
            .get(name)?
            .running
            .as_ref()
            .filter(|i| i.id == id)
    }

    /// The names of the running nodes, in order.
    fn running(&self) -> Vec<Arc<str>> {
        self.nodes
            .iter()
            .filter(|(_, s)| s.running.is_some())
            .map(|(n, _)| n.clone())
            .collect()
    }

    fn separated(&self, a: &str, b: &str) -> bool {
        self.cuts
            .iter()
            .any(|c| (c.a.contains(a) && c.b.contains(b)) || (c.a.contains(b) && c.b.contains(a)))
    }

    /// Until when `name`'s connection is down, if it is now.
    fn outage(&self, name: &str, now: Duration) -> Option<Duration> {
        self.outages.get(name).copied().filter(|until| *until > now)
    }

    /// Writes `key`'s next revision and tells every watch of a running
    /// node about it, in flight like a message (held while its node's
    /// connection is down, in order per watch).
    fn write(&mut self, key: &str, value: Bytes, op: Op, latency: Duration) -> u64 {
        self.revision += 1;
        let entry = Entry {
            key: key.to_string(),
            value,
            revision: self.revision,
            op,
        };
        self.store.insert(key.to_string(), entry.clone());
        let now = actor_core::now();
        let mut watches = std::mem::take(&mut self.watches);
        watches.retain(|w| self.incarnation(w.node).is_some());
        for w in &mut watches {
            let name = self.names[&w.node].clone();
            let leaves = self.outage(&name, now).unwrap_or(now);
            let at = (leaves + self.random_duration(latency)).max(w.last);
            w.last = at;
            let seq = self.next_seq();
            w.queue.push(at, seq, entry.clone());
        }
        self.watches = watches;
        self.revision
    }

    /// Whether a message from `from` may reach `to` now.
    fn reachable(&self, from: NodeId, to: NodeId, now: Duration) -> bool {
        let (Some(f), Some(t)) = (self.names.get(&from), self.names.get(&to)) else {
            return false;
        };
        self.incarnation(to).is_some() && !self.separated(f, t) && self.outage(t, now).is_none()
    }
}

impl Net {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts a message from `from` to `to` in flight, or loses it.
    fn send(&self, from: NodeId, to: NodeId, channel: Channel, bytes: Bytes) {
        let now = actor_core::now();
        let mut st = self.lock();
        st.stats.sent += 1;
        let from_running = st.incarnation(from).is_some();
        if !from_running || !st.reachable(from, to, now) {
            st.stats.lost += 1;
            return;
        }
        // A node whose connection is down publishes into its client's
        // buffer, which leaves when the connection is back.
        let from_name = st.names[&from].clone();
        let leaves = st.outage(&from_name, now).unwrap_or(now);
        let delay = st.random_duration(self.config.latency);
        let last = st.pair_last.get(&(from, to)).copied().unwrap_or(now);
        let at = (leaves + delay).max(last);
        st.pair_last.insert((from, to), at);
        let seq = st.next_seq();
        let inc = st.incarnation(to).expect("reachable");
        let queue = match channel {
            Channel::Inbox => &inc.inbox,
            Channel::Beacons => &inc.beacons,
        };
        queue.push(at, seq, (from, bytes));
    }

    /// Whether a message from `from` arriving at `to` now gets in; counts
    /// it either way.
    fn admit(&self, from: NodeId, to: NodeId) -> bool {
        let now = actor_core::now();
        let mut st = self.lock();
        let ok = st.reachable(from, to, now);
        if ok {
            st.stats.delivered += 1;
        } else {
            st.stats.lost += 1;
        }
        ok
    }

    /// Starts an incarnation of node `name` (whose slot exists) and runs
    /// its `main`.
    fn launch(self: &Arc<Self>, name: &Arc<str>) -> Node {
        let (id, main) = {
            let mut st = self.lock();
            st.next_id += 1;
            let id = NodeId(st.next_id);
            st.names.insert(id, name.clone());
            (id, st.nodes[name].main.clone())
        };
        let port = Arc::new(Port {
            net: Arc::downgrade(self),
            id,
            name: name.clone(),
        });
        let (inbox, beacons, events, names) =
            (Queue::new(), Queue::new(), Queue::new(), Queue::new());
        // The node watches the store of global names from its start.
        self.lock().watches.push(Watch {
            node: id,
            queue: names.clone(),
            last: Duration::ZERO,
        });
        let admit = |net: Weak<Net>| -> queue::Admit<(NodeId, Bytes)> {
            Box::new(move |(from, _)| net.upgrade().is_some_and(|n| n.admit(*from, id)))
        };
        let incoming = Incoming {
            inbox: Arrivals::new(inbox.clone(), admit(Arc::downgrade(self)))
                .map(|(_, b)| b)
                .boxed(),
            beacons: Arrivals::new(beacons.clone(), admit(Arc::downgrade(self)))
                .map(|(_, b)| b)
                .boxed(),
            events: Arrivals::new(events.clone(), Box::new(|_| true)).boxed(),
            names: Arrivals::new(names, Box::new(|_| true)).map(Ok).boxed(),
        };
        deterministic::note(format!("start {name} as node {}", id.0));
        let config = &self.config;
        let node = Node::start(Start {
            id,
            name: name.to_string(),
            wire: port.clone(),
            store: port,
            incoming,
            max_payload: config.max_payload,
            heartbeat: config.heartbeat,
            grace: config.grace,
            hello_first: true,
        });
        self.lock().nodes.get_mut(name).expect("a slot").running = Some(Incarnation {
            id,
            node: node.clone(),
            inbox,
            beacons,
            events,
        });
        let handle = node.clone();
        deterministic::within_node(id, || {
            spawn(move |_: Ctx<()>| async move {
                let reason = main(handle).await;
                if !reason.is_normal() {
                    tracing::warn!(node = id.0, %reason, "the node's main ended");
                }
            })
        });
        node
    }

    fn crash(&self, name: &str) -> bool {
        let inc = {
            let mut st = self.lock();
            let Some(inc) = st.nodes.get_mut(name).and_then(|s| s.running.take()) else {
                return false;
            };
            // What was in flight to it is gone with it.
            st.stats.lost += (inc.inbox.len() + inc.beacons.len()) as u64;
            inc
        };
        let killed = deterministic::crash_node(inc.id);
        deterministic::note(format!(
            "crash {name} (node {}): {killed} processes killed",
            inc.id.0
        ));
        drop(inc);
        true
    }

    fn restart(self: &Arc<Self>, name: &str) -> Option<Node> {
        let name = {
            let st = self.lock();
            let (name, slot) = st.nodes.get_key_value(name)?;
            if slot.running.is_some() {
                return None;
            }
            name.clone()
        };
        Some(self.launch(&name))
    }

    fn partition(&self, a: &[&str], b: &[&str]) -> u64 {
        let side = |names: &[&str]| -> BTreeSet<Arc<str>> {
            names.iter().map(|n| Arc::from(*n)).collect()
        };
        let (a, b) = (side(a), side(b));
        deterministic::note(format!("partition {} | {}", list(&a), list(&b)));
        let mut st = self.lock();
        let id = st.next_seq();
        st.cuts.push(Cut { id, a, b });
        id
    }

    fn heal(&self, cut: Option<u64>) {
        let mut st = self.lock();
        let healed: Vec<Cut> = match cut {
            None => std::mem::take(&mut st.cuts),
            Some(id) => {
                let (healed, kept) = std::mem::take(&mut st.cuts)
                    .into_iter()
                    .partition(|c| c.id == id);
                st.cuts = kept;
                healed
            }
        };
        drop(st);
        for c in healed {
            deterministic::note(format!("heal {} | {}", list(&c.a), list(&c.b)));
        }
    }

    fn disconnect(&self, name: &str, lasting: Duration) -> bool {
        let now = actor_core::now();
        let mut st = self.lock();
        let Some(inc) = st.nodes.get(name).and_then(|s| s.running.as_ref()) else {
            return false;
        };
        let (id, events) = (inc.id, inc.events.clone());
        let until = now + lasting;
        let key: Arc<str> = st.nodes.get_key_value(name).expect("running").0.clone();
        let until = st.outage(&key, now).map_or(until, |u| u.max(until));
        st.outages.insert(key, until);
        let (lost, back) = (st.next_seq(), st.next_seq());
        drop(st);
        events.push(now, lost, Connection::Lost);
        events.push(until, back, Connection::Back);
        deterministic::note(format!(
            "connection of {name} (node {}) lost for {lasting:?}",
            id.0
        ));
        true
    }

    /// Waits out an outage of `port`'s connection, as a request waits in
    /// the client, up to [`REQUEST_TIMEOUT`].
    async fn reach(&self, port: &Port) -> Result<(), Error> {
        let started = actor_core::now();
        loop {
            let now = actor_core::now();
            let Some(until) = self.lock().outage(&port.name, now) else {
                return Ok(());
            };
            let give_up = started + REQUEST_TIMEOUT;
            if now >= give_up {
                return Err(Error::Timeout);
            }
            actor_core::sleep_until(until.min(give_up)).await;
        }
    }

    /// A key-value request of `port`'s node: in flight both ways, and
    /// answered only while the node runs.
    async fn request<T>(&self, port: &Port, op: impl FnOnce(&mut State) -> T) -> Result<T, Error> {
        self.reach(port).await?;
        let there = self.lock().random_duration(self.config.latency);
        actor_core::sleep(there).await;
        let answer = {
            let mut st = self.lock();
            if st.incarnation(port.id).is_none() {
                return Err(Error::Shutdown);
            }
            let answer = op(&mut st);
            let back = st.random_duration(self.config.latency);
            (answer, back)
        };
        actor_core::sleep(answer.1).await;
        Ok(answer.0)
    }
}

/// The names in a set, for notes.
fn list(names: &BTreeSet<Arc<str>>) -> String {
    names.iter().map(|n| &**n).collect::<Vec<_>>().join(" ")
}

impl Network {
    /// A network with `config`'s latency, timing and faults. The faults'
    /// times are drawn now, from the run's seed; which nodes they hit is
    /// drawn when they happen. Create it in the test body, outside every
    /// node.
    ///
    /// # Panics
    ///
    /// Outside the deterministic runtime, or if the grace period is not
    /// longer than the heartbeat interval.
    pub fn new(config: NetConfig) -> Network {
        assert!(
            deterministic::is_current(),
            "a simulated network runs on the deterministic runtime (deterministic::run, Harness)"
        );
        config.validate();
        deterministic::note(config.to_string());
        let seed = deterministic::seed().unwrap_or(0);
        let net = Arc::new(Net {
            state: Mutex::new(State {
                rng: seed ^ 0x6a09_e667_f3bc_c908,
                seq: 0,
                next_id: 0,
                nodes: BTreeMap::new(),
                names: BTreeMap::new(),
                cuts: Vec::new(),
                outages: BTreeMap::new(),
                pair_last: BTreeMap::new(),
                store: BTreeMap::new(),
                watches: Vec::new(),
                revision: 0,
                stats: NetStats::default(),
            }),
            config,
        });
        let network = Network { net };
        network.schedule_faults();
        network
    }

    /// Draws the faults' times and starts a process of the system (of no
    /// node) for each, which injects it when its time comes.
    fn schedule_faults(&self) {
        let config = self.net.config.clone();
        let draw = |knob: Knob| -> Vec<(Duration, Duration)> {
            let mut st = self.net.lock();
            (0..knob.count)
                .map(|_| {
                    (
                        st.random_duration(knob.window),
                        st.random_duration(knob.lasting),
                    )
                })
                .collect()
        };
        let partitions = draw(config.partitions);
        let crashes = draw(config.crashes);
        let outages = draw(config.loss);
        let restart = config.restart_after;
        let now = actor_core::now();
        for (at, lasting) in partitions {
            let net = self.net.clone();
            inject(now + at, async move {
                let sides = {
                    let mut st = net.lock();
                    let running = st.running();
                    if running.len() < 2 {
                        None
                    } else {
                        let mut a: Vec<bool> =
                            running.iter().map(|_| st.random() & 1 == 1).collect();
                        if a.iter().all(|x| *x) || a.iter().all(|x| !*x) {
                            let i = (st.random() % a.len() as u64) as usize;
                            a[i] = !a[i];
                        }
                        let pick = |want: bool| -> Vec<Arc<str>> {
                            running
                                .iter()
                                .zip(&a)
                                .filter(|(_, s)| **s == want)
                                .map(|(n, _)| n.clone())
                                .collect()
                        };
                        Some((pick(true), pick(false)))
                    }
                };
                let Some((a, b)) = sides else {
                    deterministic::note("partition skipped: fewer than two nodes running");
                    return;
                };
                let a: Vec<&str> = a.iter().map(|n| &**n).collect();
                let b: Vec<&str> = b.iter().map(|n| &**n).collect();
                let cut = net.partition(&a, &b);
                actor_core::sleep(lasting).await;
                net.heal(Some(cut));
            });
        }
        for (at, _) in crashes {
            let net = self.net.clone();
            inject(now + at, async move {
                let victim = {
                    let mut st = net.lock();
                    let running = st.running();
                    (!running.is_empty())
                        .then(|| running[(st.random() % running.len() as u64) as usize].clone())
                };
                let Some(victim) = victim else {
                    deterministic::note("crash skipped: no node running");
                    return;
                };
                net.crash(&victim);
                if let Some(within) = restart {
                    let after = net.lock().random_duration(within);
                    actor_core::sleep(after).await;
                    net.restart(&victim);
                }
            });
        }
        for (at, lasting) in outages {
            let net = self.net.clone();
            inject(now + at, async move {
                let victim = {
                    let mut st = net.lock();
                    let running = st.running();
                    (!running.is_empty())
                        .then(|| running[(st.random() % running.len() as u64) as usize].clone())
                };
                match victim {
                    Some(v) => {
                        net.disconnect(&v, lasting);
                    }
                    None => deterministic::note("outage skipped: no node running"),
                }
            });
        }
    }

    /// Starts node `name`: a fresh node id, its wire and its own processes,
    /// then `main` as a process of the node, given the [`Node`]. `main` is
    /// what the node's OS process would run after [`Node::connect`]; it is
    /// kept, to run again when the node restarts. The node runs until it
    /// crashes or is [shut down](Node::shutdown), whether `main` returns or
    /// not.
    ///
    /// # Panics
    ///
    /// If a node of that name is running.
    pub fn start<F, Fut>(&self, name: &str, main: F) -> Node
    where
        F: Fn(Node) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExitReason,
    {
        let main: Main = Arc::new(move |node| {
            let fut = main(node);
            Box::pin(async move { fut.await.into_exit_reason() })
        });
        let name: Arc<str> = Arc::from(name);
        {
            let mut st = self.net.lock();
            if let Some(slot) = st.nodes.get_mut(&name) {
                assert!(slot.running.is_none(), "node {name} is already running");
                slot.main = main;
            } else {
                st.nodes.insert(
                    name.clone(),
                    Slot {
                        main,
                        running: None,
                    },
                );
            }
        }
        self.net.launch(&name)
    }

    /// The running incarnation of node `name`, if it runs.
    pub fn node(&self, name: &str) -> Option<Node> {
        let st = self.net.lock();
        st.nodes.get(name)?.running.as_ref().map(|i| i.node.clone())
    }

    /// The names of the running nodes, in order.
    pub fn running(&self) -> Vec<String> {
        self.net
            .lock()
            .running()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// Crashes node `name` at once: its processes are killed, what it had
    /// not handed to the network yet and what was in flight to it are
    /// lost. The other nodes see it down after the grace period. `false`
    /// if it was not running.
    pub fn crash(&self, name: &str) -> bool {
        self.net.crash(name)
    }

    /// Starts node `name` again after a crash or a shutdown, with a new
    /// node id, running its `main` again; `None` if it is running or was
    /// never started.
    pub fn restart(&self, name: &str) -> Option<Node> {
        self.net.restart(name)
    }

    /// Separates the nodes named in `a` from those named in `b` (by name,
    /// so a node restarted meanwhile stays on its side) until
    /// [`heal`](Self::heal): every message between the two sides is lost,
    /// in both directions, including those in flight now. Nodes in neither
    /// side reach both.
    pub fn partition(&self, a: &[&str], b: &[&str]) {
        self.net.partition(a, b);
    }

    /// Ends every partition.
    pub fn heal(&self) {
        self.net.heal(None);
    }

    /// Takes node `name`'s connection down for `lasting`: what is sent to
    /// it meanwhile is lost, what it sends waits until the connection is
    /// back, and it sees its connection lost and back. `false` if it is
    /// not running.
    pub fn disconnect(&self, name: &str, lasting: Duration) -> bool {
        self.net.disconnect(name, lasting)
    }

    /// What the network has carried so far.
    pub fn stats(&self) -> NetStats {
        self.net.lock().stats
    }
}

/// Runs `fault` from virtual time `at`, as a process of the system of no
/// node.
fn inject<F>(at: Duration, fault: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    Spawn::new().system().spawn(move |_: Ctx<()>| async move {
        actor_core::sleep_until(at).await;
        fault.await;
    });
}

/// A node's attachment to the network: its wire and its key-value store.
struct Port {
    net: Weak<Net>,
    id: NodeId,
    name: Arc<str>,
}

impl fmt::Debug for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Port({} as node {})", self.name, self.id.0)
    }
}

impl Wire for Port {
    fn publish(&self, to: NodeId, batch: Bytes) -> BoxFuture<'_, Result<(), Error>> {
        if let Some(net) = self.net.upgrade() {
            net.send(self.id, to, Channel::Inbox, batch);
        }
        Box::pin(async { Ok(()) })
    }

    fn beacon(&self, beacon: Bytes) -> BoxFuture<'_, Result<(), Error>> {
        if let Some(net) = self.net.upgrade() {
            let others: Vec<NodeId> = {
                let st = net.lock();
                st.nodes
                    .values()
                    .filter_map(|s| s.running.as_ref().map(|i| i.id))
                    .filter(|id| *id != self.id)
                    .collect()
            };
            for to in others {
                net.send(self.id, to, Channel::Beacons, beacon.clone());
            }
        }
        Box::pin(async { Ok(()) })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        let left = self.net.upgrade().and_then(|net| {
            let mut st = net.lock();
            let slot = st.nodes.get_mut(&self.name)?;
            if slot.running.as_ref().is_some_and(|i| i.id == self.id) {
                slot.running.take()
            } else {
                None
            }
        });
        if left.is_some() {
            deterministic::note(format!("{} (node {}) shut down", self.name, self.id.0));
        }
        // Dropped here, not under the network's lock.
        drop(left);
        Box::pin(async {})
    }
}

impl Port {
    fn net(&self) -> Result<Arc<Net>, Error> {
        self.net.upgrade().ok_or(Error::Shutdown)
    }
}

impl Store for Port {
    fn entry<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Entry>, Error>> {
        Box::pin(async move {
            let net = self.net()?;
            net.request(self, |st| st.store.get(key).cloned()).await
        })
    }

    fn create<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
    ) -> BoxFuture<'a, Result<Option<u64>, Error>> {
        Box::pin(async move {
            let net = self.net()?;
            let latency = net.config.latency;
            net.request(self, |st| {
                if st.store.get(key).is_some_and(|e| e.op == Op::Put) {
                    return None;
                }
                Some(st.write(key, value, Op::Put, latency))
            })
            .await
        })
    }

    fn delete<'a>(&'a self, key: &'a str, revision: u64) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move { self.remove(key, revision, Op::Delete).await })
    }

    fn purge<'a>(&'a self, key: &'a str, revision: u64) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move { self.remove(key, revision, Op::Purge).await })
    }

    fn keys(&self) -> BoxFuture<'_, Result<Vec<String>, Error>> {
        Box::pin(async move {
            let net = self.net()?;
            net.request(self, |st| {
                st.store
                    .values()
                    .filter(|e| e.op == Op::Put)
                    .map(|e| e.key.clone())
                    .collect()
            })
            .await
        })
    }
}

impl Port {
    /// Deletes or purges `key` if its revision is still `revision`.
    async fn remove(&self, key: &str, revision: u64, op: Op) -> Result<bool, Error> {
        let net = self.net()?;
        let latency = net.config.latency;
        net.request(self, |st| {
            let current = st.store.get(key).is_some_and(|e| e.revision == revision);
            if current {
                st.write(key, Bytes::new(), op, latency);
            }
            current
        })
        .await
    }
}
