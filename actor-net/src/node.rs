//! The node: its id, its inbox, its heartbeats and its shutdown, over
//! whichever [`Wire`] carries it.
//!
//! The node's own work runs as processes of the system (spared by the
//! deterministic runtime's kill injection): the publisher draining the
//! outbox, the inbound reader, and the liveness loop (heartbeats, beacons,
//! connection events, silent peers). Time is the runtime's clock, so the
//! same code runs on tokio over NATS and on the deterministic runtime over
//! the simulated network.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::{Ctx, NodeId, Pid, Spawn, deterministic};
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::{broadcast, oneshot, watch};

use crate::config::NodeConfig;
use crate::error::Error;
use crate::frame::{Beacon, Frame};
use crate::global::Names;
use crate::membership::{self, Liveness, Members, NodeEvents, NodeInfo, NodeMonitor};
use crate::outbox::{self, Outbox};
use crate::stats::{Counters, Stats};
use crate::wire::{Connection, Incoming, Store, Wire};

/// How often silent peers are looked for.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// A running node: this OS process as a member of a cluster.
///
/// Cheap to clone; every clone is the same node. The node runs until
/// [`shutdown`](Self::shutdown), or until its last handle is dropped
/// (which shuts it down the same way, in the background).
///
/// # Examples
///
/// Two nodes of one cluster see each other:
///
/// ```
/// use actor_net::{NatsServer, Node, NodeConfig, NodeEvent};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let server = NatsServer::start()?;
/// let a = Node::connect(NodeConfig::new(server.url(), "demo", "a")).await?;
/// let mut events = a.monitor_nodes();
/// let b = Node::connect(NodeConfig::new(server.url(), "demo", "b")).await?;
/// match events.next().await {
///     Some(NodeEvent::Up(info)) => assert_eq!((info.id, info.name.as_str()), (b.id(), "b")),
///     other => panic!("{other:?}"),
/// }
/// assert_ne!(a.id(), b.id());
///
/// let down = a.monitor_node(b.id());
/// b.shutdown().await;
/// assert_eq!(down.await.reason, actor_net::DownReason::Shutdown);
/// a.shutdown().await;
/// # Ok::<(), actor_net::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct Node {
    pub(crate) shared: Arc<Shared>,
    /// Dropped with the last handle: stops the node.
    _handle: Arc<Handle>,
}

/// Stops the node when the last [`Node`] is dropped.
#[derive(Debug)]
struct Handle {
    stop: watch::Sender<bool>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Pings waiting for their pong: number to (node, answer), in the order
/// they were made (failing them wakes their callers in that order).
type Pings = BTreeMap<u64, (NodeId, oneshot::Sender<Result<(), Error>>)>;

/// Everything the node's tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) id: NodeId,
    pub(crate) name: String,
    pub(crate) wire: Arc<dyn Wire>,
    pub(crate) heartbeat: Duration,
    pub(crate) grace: Duration,
    pub(crate) outbox: Arc<Outbox>,
    /// actor-core's end of the wire.
    pub(crate) endpoint: actor_core::remote::Endpoint,
    pub(crate) members: Mutex<Members>,
    pub(crate) events: broadcast::Sender<NodeEvent>,
    pub(crate) counters: Counters,
    pub(crate) names: Names,
    pings: Mutex<Pings>,
    next_ping: AtomicU64,
    /// Whether the NATS connection is up, as its events say.
    connected: AtomicBool,
    /// Set when shutdown begins.
    closing: AtomicBool,
    stop: watch::Sender<bool>,
    /// The liveness process, which runs the goodbye when the node stops.
    liveness: Mutex<Option<Pid<()>>>,
}

/// What a node is started with, once its wire is connected.
pub(crate) struct Start {
    pub(crate) id: NodeId,
    pub(crate) name: String,
    pub(crate) wire: Arc<dyn Wire>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) incoming: Incoming,
    pub(crate) max_payload: usize,
    pub(crate) heartbeat: Duration,
    pub(crate) grace: Duration,
    /// Whether the liveness process says hello first (else the caller
    /// does, before it returns the node).
    pub(crate) hello_first: bool,
}

use crate::membership::NodeEvent;

impl Node {
    /// Connects to NATS and starts this OS process as a node of the
    /// configured cluster: takes a fresh [`NodeId`] from JetStream,
    /// subscribes to its inbox subject, says hello and starts its
    /// heartbeats. Must be called inside a tokio runtime (async-nats runs
    /// on tokio).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClusterName`] or [`Error::Config`] for a bad
    /// configuration, [`Error::Connect`] if NATS cannot be reached or
    /// refuses the credentials, [`Error::JetStream`] if the server has no
    /// JetStream.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a node id may be taken and not used.
    pub async fn connect(config: NodeConfig) -> Result<Node, Error> {
        config.validate()?;
        let nats = crate::nats::connect(&config).await?;
        let node = Node::start(Start {
            id: nats.id,
            name: config.name.clone(),
            wire: nats.wire,
            store: nats.names,
            incoming: nats.incoming,
            max_payload: nats.max_payload,
            heartbeat: config.heartbeat,
            grace: config.grace,
            hello_first: false,
        });
        let shared = &node.shared;
        shared
            .beacon(&Beacon::Hello {
                node: shared.id,
                name: shared.name.clone(),
            })
            .await;
        tracing::info!(node = shared.id.0, name = %config.name, cluster = %config.cluster, "node connected");
        Ok(node)
    }

    /// Starts a node on a connected wire: its publisher, its inbound reader
    /// and its liveness loop, as processes of the node.
    pub(crate) fn start(start: Start) -> Node {
        let Start {
            id,
            name,
            wire,
            store,
            incoming,
            max_payload,
            heartbeat,
            grace,
            hello_first,
        } = start;
        let (stop, stopped) = watch::channel(false);
        let outbox = Arc::new(Outbox::new(id, max_payload, Some(wire.clone())));
        let endpoint = crate::remote::endpoint(id, &outbox);
        let shared = Arc::new(Shared {
            id,
            name,
            wire,
            heartbeat,
            grace,
            outbox,
            endpoint,
            members: Mutex::default(),
            events: broadcast::channel(1024).0,
            counters: Counters::default(),
            names: Names::new(store),
            pings: Mutex::default(),
            next_ping: AtomicU64::new(0),
            connected: AtomicBool::new(true),
            closing: AtomicBool::new(false),
            stop: stop.clone(),
            liveness: Mutex::new(None),
        });
        let publisher = shared.spawn({
            let shared = shared.clone();
            async move {
                outbox::publish(&shared.outbox, &*shared.wire).await;
            }
        });
        let Incoming {
            inbox,
            beacons,
            events,
            names,
        } = incoming;
        let inbound = shared.spawn(crate::inbound::run(shared.clone(), inbox));
        let names_watch = shared.spawn(crate::global::watch(shared.clone(), names));
        let liveness = shared.spawn(run_liveness(
            shared.clone(),
            Streams { beacons, events },
            stopped,
            Tasks {
                publisher,
                inbound,
                names_watch,
            },
            hello_first,
        ));
        *shared.liveness.lock().unwrap_or_else(|e| e.into_inner()) = Some(liveness);
        Node {
            shared,
            _handle: Arc::new(Handle { stop }),
        }
    }

    /// This node's id, unique to this incarnation.
    pub fn id(&self) -> NodeId {
        self.shared.id
    }

    /// This node's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The other nodes that are up, by id.
    pub fn nodes(&self) -> Vec<NodeInfo> {
        self.shared.members().up()
    }

    /// Watches `node`: the returned future resolves with [`NodeDown`] when
    /// it goes down, or at once (reason
    /// [`NotConnected`](crate::DownReason::NotConnected)) if it is not up
    /// now. Erlang's `monitor_node(Node, true)`.
    ///
    /// [`NodeDown`]: crate::NodeDown
    pub fn monitor_node(&self, node: NodeId) -> NodeMonitor {
        self.shared.members().monitor(node)
    }

    /// Every node coming up or going down from now on.
    pub fn monitor_nodes(&self) -> NodeEvents {
        NodeEvents {
            rx: self.shared.events.subscribe(),
        }
    }

    /// Waits until node `other` is up as this node sees it: at once if it
    /// is, else until its hello arrives. For a program that starts its
    /// nodes together and must not send before they see each other.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] if `other` is not up within `timeout`,
    /// [`Error::Shutdown`] if this node shuts down meanwhile.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use actor_net::{NatsServer, Node, NodeConfig};
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let server = NatsServer::start()?;
    /// let a = Node::connect(NodeConfig::new(server.url(), "demo", "a")).await?;
    /// let b = Node::connect(NodeConfig::new(server.url(), "demo", "b")).await?;
    /// a.until_up(b.id(), Duration::from_secs(10)).await?;
    /// assert!(a.nodes().iter().any(|n| n.id == b.id()));
    /// b.shutdown().await;
    /// a.shutdown().await;
    /// # Ok::<(), actor_net::Error>(())
    /// # }).unwrap();
    /// ```
    pub async fn until_up(&self, other: NodeId, timeout: Duration) -> Result<(), Error> {
        let mut events = self.monitor_nodes();
        if self.nodes().iter().any(|n| n.id == other) {
            return Ok(());
        }
        let up = async {
            while let Some(event) = events.next().await {
                if matches!(event, NodeEvent::Up(info) if info.id == other) {
                    return Ok(());
                }
            }
            Err(Error::Shutdown)
        };
        actor_core::timeout(timeout, up)
            .await
            .unwrap_or(Err(Error::Timeout))
    }

    /// Sends a ping to `node` through its inbox and waits for the answer:
    /// the round trip. The ping travels after every frame sent to `node`
    /// before it, and its answer after every frame `node` sent here before
    /// it, so an answer also says those have been handled.
    ///
    /// # Errors
    ///
    /// [`Error::NodeDown`] if `node` is down or goes down meanwhile,
    /// [`Error::Timeout`] if no answer comes within the grace period,
    /// [`Error::Shutdown`] if this node is shut down.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a late answer is ignored.
    pub async fn ping(&self, node: NodeId) -> Result<Duration, Error> {
        self.shared.ping(node).await
    }

    /// The largest encoded message, in bytes, that one frame can carry to
    /// another node: the server's maximum payload (1 MiB by default) less
    /// the frame's own bytes. A larger message is refused with
    /// [`Error::FrameTooLarge`] when it is sent.
    pub fn max_payload(&self) -> usize {
        self.shared.outbox.max_payload()
    }

    /// The node's counters.
    pub fn stats(&self) -> Stats {
        let outbox = &self.shared.outbox;
        self.shared.counters.snapshot(
            outbox.dropped_to_down.load(Ordering::Relaxed),
            outbox.batches_out.load(Ordering::Relaxed),
        )
    }

    /// Shuts the node down cleanly: frees its global names, sends what is
    /// queued, tells the other nodes at once (they see
    /// [`DownReason::Shutdown`](crate::DownReason::Shutdown) without
    /// waiting for the grace period) and closes the connection. Calling it
    /// again does nothing.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the shutdown goes on in the background.
    pub async fn shutdown(&self) {
        let _ = self.shared.stop.send(true);
        let task = self
            .shared
            .liveness
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = task {
            task.wait().await;
        }
    }
}

impl Shared {
    pub(crate) fn members(&self) -> std::sync::MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pings(&self) -> std::sync::MutexGuard<'_, Pings> {
        self.pings.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Spawns `work` as a process of the system, of this node: on the
    /// deterministic runtime, a process of the simulated node, which ends
    /// with it.
    pub(crate) fn spawn<F>(&self, work: F) -> Pid<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let spawn = move || Spawn::new().system().spawn(move |_: Ctx<()>| work);
        if deterministic::is_current() {
            deterministic::within_node(self.id, spawn)
        } else {
            spawn()
        }
    }

    /// Whether the connection is up, as its events say.
    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Whether `node` is up, down, or unknown here.
    pub(crate) fn liveness(&self, node: NodeId) -> Liveness {
        if node == self.id {
            return Liveness::Up;
        }
        self.members().liveness(node)
    }

    /// Whether shutdown has begun.
    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }

    /// See [`Node::ping`].
    pub(crate) async fn ping(&self, node: NodeId) -> Result<Duration, Error> {
        let n = self.next_ping.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pings().insert(n, (node, tx));
        let started = actor_core::now();
        if let Err(e) = self.outbox.push(node, &Frame::Ping(n)) {
            self.pings().remove(&n);
            return Err(e);
        }
        let answer = actor_core::timeout(self.grace, rx).await;
        self.pings().remove(&n);
        match answer {
            Ok(Ok(Ok(()))) => Ok(actor_core::now().saturating_sub(started)),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) => Err(Error::Shutdown),
            Err(_) => Err(Error::Timeout),
        }
    }

    /// Answers a pong.
    pub(crate) fn pong(&self, n: u64) {
        if let Some((_, tx)) = self.pings().remove(&n) {
            let _ = tx.send(Ok(()));
        }
    }

    /// Fails the pings waiting on `node`.
    pub(crate) fn fail_pings(&self, node: NodeId) {
        let mut pings = self.pings();
        let failed: Vec<u64> = pings
            .iter()
            .filter(|(_, (n, _))| *n == node)
            .map(|(k, _)| *k)
            .collect();
        for k in failed {
            if let Some((_, tx)) = pings.remove(&k) {
                let _ = tx.send(Err(Error::NodeDown(node)));
            }
        }
    }

    /// Publishes a beacon; gives up after a heartbeat interval if the
    /// connection's buffer is full (a later heartbeat will do).
    pub(crate) async fn beacon(&self, beacon: &Beacon) {
        let payload = postcard::to_allocvec(beacon).expect("a beacon encodes");
        let publish = self.wire.beacon(payload.into());
        match actor_core::timeout(self.heartbeat, publish).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "cannot publish a beacon"),
            Err(_) => tracing::debug!("beacon not published: the connection is busy"),
        }
    }
}

/// What the liveness loop listens to besides the stop signal.
struct Streams {
    beacons: BoxStream<'static, bytes::Bytes>,
    events: BoxStream<'static, Connection>,
}

/// The node's other processes, ended by the goodbye.
struct Tasks {
    publisher: Pid<()>,
    inbound: Pid<()>,
    names_watch: Pid<()>,
}

/// Heartbeats, beacons, connection events and silent peers, until the node
/// stops; then the goodbye.
async fn run_liveness(
    shared: Arc<Shared>,
    streams: Streams,
    mut stopped: watch::Receiver<bool>,
    tasks: Tasks,
    hello_first: bool,
) {
    let Streams {
        mut beacons,
        mut events,
    } = streams;
    let alive = Beacon::Alive {
        node: shared.id,
        name: shared.name.clone(),
    };
    if hello_first {
        shared
            .beacon(&Beacon::Hello {
                node: shared.id,
                name: shared.name.clone(),
            })
            .await;
    }
    let every = CHECK_EVERY.min(shared.heartbeat);
    let mut check = Box::pin(actor_core::sleep(every));
    let mut last_heartbeat = actor_core::now();
    loop {
        tokio::select! {
            biased;
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    break;
                }
            }
            event = events.next() => match event {
                Some(Connection::Lost) => {
                    tracing::warn!(node = shared.id.0, "connection lost; reconnecting");
                    shared.connected.store(false, Ordering::Release);
                }
                Some(Connection::Back) => {
                    tracing::info!(node = shared.id.0, "connection back");
                    let was_connected = shared.connected.swap(true, Ordering::AcqRel);
                    shared.beacon(&Beacon::Hello { node: shared.id, name: shared.name.clone() }).await;
                    if !was_connected {
                        // Others may have purged our names meanwhile.
                        let me = shared.clone();
                        shared.spawn(async move { crate::global::reassert_all(&me).await });
                    }
                }
                Some(Connection::Other(event)) => tracing::debug!(node = shared.id.0, %event, "connection event"),
                None => {}
            },
            message = beacons.next() => {
                let Some(message) = message else { break };
                match postcard::from_bytes::<Beacon>(&message) {
                    Ok(beacon) => {
                        if membership::on_beacon(&shared, beacon) {
                            shared.beacon(&alive).await;
                            last_heartbeat = actor_core::now();
                        }
                    }
                    Err(_) => {
                        Counters::bump(&shared.counters.dropped_undecodable);
                        tracing::warn!(node = shared.id.0, bytes = message.len(), "undecodable beacon dropped");
                    }
                }
            }
            () = &mut check => {
                check.set(actor_core::sleep(every));
                if actor_core::now().saturating_sub(last_heartbeat) >= shared.heartbeat {
                    shared.beacon(&alive).await;
                    last_heartbeat = actor_core::now();
                }
                membership::expire(&shared, shared.connected.load(Ordering::Acquire));
            }
        }
    }
    goodbye(&shared, tasks).await;
}

/// The clean end: names freed, the outbox drained, the others told.
async fn goodbye(shared: &Arc<Shared>, tasks: Tasks) {
    shared.closing.store(true, Ordering::Release);
    tasks.names_watch.kill();
    shared.names.release_all().await;
    shared.outbox.close();
    tasks.publisher.wait().await;
    shared.beacon(&Beacon::Bye { node: shared.id }).await;
    tasks.inbound.kill();
    shared.wire.close().await;
    shared.members().clear();
    let pings = std::mem::take(&mut *shared.pings());
    for (_, (_, tx)) in pings {
        let _ = tx.send(Err(Error::Shutdown));
    }
    tracing::info!(node = shared.id.0, "node shut down");
}
