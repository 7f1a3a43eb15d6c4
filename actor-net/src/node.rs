//! The node: its connection, its id, its inbox, its heartbeats and its
//! shutdown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actor_core::NodeId;
use futures::StreamExt;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::{NodeConfig, Subjects};
use crate::error::Error;
use crate::frame::{Beacon, Frame};
use crate::global::Names;
use crate::membership::{self, Liveness, Members, NodeEvents, NodeInfo, NodeMonitor};
use crate::outbox::{self, Outbox};
use crate::stats::{Counters, Stats};

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

/// Pings waiting for their pong: number to (node, answer).
type Pings = HashMap<u64, (NodeId, oneshot::Sender<Result<(), Error>>)>;

/// Everything the node's tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) id: NodeId,
    pub(crate) name: String,
    pub(crate) subjects: Subjects,
    pub(crate) client: async_nats::Client,
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
    /// The liveness task, which runs the goodbye when the node stops.
    liveness: Mutex<Option<JoinHandle<()>>>,
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
        let (event_tx, event_rx) = mpsc::unbounded_channel();
        let options = config
            .connect_options()
            .await?
            .name(format!("actor-net {}/{}", config.cluster, config.name))
            .connection_timeout(config.grace)
            .reconnect_delay_callback(|attempt| {
                Duration::from_millis(100 * (attempt as u64).min(10))
            })
            .max_reconnects(None)
            .event_callback(move |event| {
                let tx = event_tx.clone();
                async move {
                    let _ = tx.send(event);
                }
            });
        let client = options
            .connect(config.urls.clone())
            .await
            .map_err(|e| Error::Connect(Arc::new(e)))?;
        let max_payload = client.server_info().max_payload;
        let js = async_nats::jetstream::new(client.clone());
        let ids = crate::ids::bucket(&js, &config.cluster).await?;
        let id = crate::ids::next(&ids).await?;
        let names = Names::open(&js, &config.cluster).await?;
        let subjects = Subjects::new(&config.cluster);
        let inbox = client
            .subscribe(subjects.inbox(id))
            .await
            .map_err(Error::nats)?;
        let beacons = client
            .subscribe(subjects.beacon())
            .await
            .map_err(Error::nats)?;
        let (stop, stopped) = watch::channel(false);
        let outbox = Arc::new(Outbox::new(id, max_payload));
        let endpoint = crate::remote::endpoint(id, &outbox);
        let shared = Arc::new(Shared {
            id,
            name: config.name.clone(),
            subjects,
            client,
            heartbeat: config.heartbeat,
            grace: config.grace,
            outbox,
            endpoint,
            members: Mutex::default(),
            events: broadcast::channel(1024).0,
            counters: Counters::default(),
            names,
            pings: Mutex::default(),
            next_ping: AtomicU64::new(0),
            connected: AtomicBool::new(true),
            closing: AtomicBool::new(false),
            stop: stop.clone(),
            liveness: Mutex::new(None),
        });
        let publisher = tokio::spawn({
            let shared = shared.clone();
            async move {
                outbox::publish(
                    &shared.outbox,
                    &shared.client,
                    &shared.subjects,
                    &shared.counters.batches_out,
                )
                .await;
            }
        });
        let inbound = tokio::spawn(crate::inbound::run(shared.clone(), inbox));
        let liveness = tokio::spawn(run_liveness(
            shared.clone(),
            beacons,
            event_rx,
            stopped,
            publisher,
            inbound,
        ));
        *shared.liveness.lock().unwrap_or_else(|e| e.into_inner()) = Some(liveness);
        shared
            .beacon(&Beacon::Hello {
                node: id,
                name: config.name.clone(),
            })
            .await;
        tracing::info!(node = id.0, name = %config.name, cluster = %config.cluster, "node connected");
        Ok(Node {
            shared,
            _handle: Arc::new(Handle { stop }),
        })
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
        let shared = &self.shared;
        shared
            .counters
            .snapshot(shared.outbox.dropped_to_down.load(Ordering::Relaxed))
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
            let _ = task.await;
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
        let started = Instant::now();
        if let Err(e) = self.outbox.push(node, &Frame::Ping(n)) {
            self.pings().remove(&n);
            return Err(e);
        }
        let answer = tokio::time::timeout(self.grace, rx).await;
        self.pings().remove(&n);
        match answer {
            Ok(Ok(Ok(()))) => Ok(started.elapsed()),
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
        let publish = self.client.publish(self.subjects.beacon(), payload.into());
        match tokio::time::timeout(self.heartbeat, publish).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "cannot publish a beacon"),
            Err(_) => tracing::debug!("beacon not published: the connection is busy"),
        }
    }
}

/// Heartbeats, beacons, connection events and silent peers, until the node
/// stops; then the goodbye.
async fn run_liveness(
    shared: Arc<Shared>,
    mut beacons: async_nats::Subscriber,
    mut nats_events: mpsc::UnboundedReceiver<async_nats::Event>,
    mut stopped: watch::Receiver<bool>,
    publisher: JoinHandle<()>,
    inbound: JoinHandle<()>,
) {
    let alive = Beacon::Alive {
        node: shared.id,
        name: shared.name.clone(),
    };
    let mut check = tokio::time::interval(CHECK_EVERY.min(shared.heartbeat));
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_heartbeat = Instant::now();
    loop {
        tokio::select! {
            biased;
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    break;
                }
            }
            event = nats_events.recv() => match event {
                Some(async_nats::Event::Disconnected) => {
                    tracing::warn!(node = shared.id.0, "NATS connection lost; reconnecting");
                    shared.connected.store(false, Ordering::Release);
                }
                Some(async_nats::Event::Connected) => {
                    tracing::info!(node = shared.id.0, "NATS connection back");
                    shared.connected.store(true, Ordering::Release);
                    shared.beacon(&Beacon::Hello { node: shared.id, name: shared.name.clone() }).await;
                }
                Some(other) => tracing::debug!(node = shared.id.0, event = %other, "NATS event"),
                None => {}
            },
            message = beacons.next() => {
                let Some(message) = message else { break };
                match postcard::from_bytes::<Beacon>(&message.payload) {
                    Ok(beacon) => {
                        if membership::on_beacon(&shared, beacon) {
                            shared.beacon(&alive).await;
                            last_heartbeat = Instant::now();
                        }
                    }
                    Err(_) => {
                        Counters::bump(&shared.counters.dropped_undecodable);
                        tracing::warn!(subject = %message.subject, "undecodable beacon dropped");
                    }
                }
            }
            _ = check.tick() => {
                if last_heartbeat.elapsed() >= shared.heartbeat {
                    shared.beacon(&alive).await;
                    last_heartbeat = Instant::now();
                }
                membership::expire(&shared, shared.connected.load(Ordering::Acquire));
            }
        }
    }
    goodbye(&shared, publisher, inbound).await;
}

/// The clean end: names freed, the outbox drained, the others told.
async fn goodbye(shared: &Arc<Shared>, publisher: JoinHandle<()>, inbound: JoinHandle<()>) {
    shared.closing.store(true, Ordering::Release);
    shared.names.release_all().await;
    shared.outbox.close();
    let _ = publisher.await;
    shared.beacon(&Beacon::Bye { node: shared.id }).await;
    if let Err(e) = shared.client.flush().await {
        tracing::debug!(error = %e, "cannot flush at shutdown");
    }
    inbound.abort();
    if let Err(e) = shared.client.drain().await {
        tracing::debug!(error = %e, "cannot drain the connection at shutdown");
    }
    shared.members().clear();
    for (_, (_, tx)) in shared.pings().drain() {
        let _ = tx.send(Err(Error::Shutdown));
    }
    tracing::info!(node = shared.id.0, "node shut down");
}
