//! `soak --nodes N`: the same tree spread over N OS processes of one
//! actor-net cluster, on a nats-server started for the run.
//!
//! - The first process, the **main node**, is never killed. It holds the
//!   stores (so that what they recorded survives every node loss), the
//!   clients, and the top supervisor. The top supervisor's children are
//!   the N − 1 **worker nodes** themselves: a child's start function runs
//!   this binary again (hidden flag `--worker-node`), waits for the node
//!   to say it is ready, and returns the pid of its router, a process on
//!   that node; the top supervisor is linked to it across nodes.
//! - A worker node holds its share of the 100 supervisors × 100 workers
//!   (supervisor `s` on worker node `s mod (N − 1)`), under a node
//!   supervisor linked to the router, and its share of the chaos: random
//!   workers killed (1,000 a second in all) and a whole supervisor now and
//!   then. Clients call the router of the worker's node, which hands the
//!   request (with its reply handle) to the worker registered under the
//!   worker's name on that node. The worker records the request in its
//!   store on the main node, across the wire, and acknowledges only once
//!   the store has answered.
//! - Every 4 s a worker node's OS process is killed (`SIGKILL`, no
//!   goodbye). Calls in flight to it time out or, once the main node
//!   declares it down (the grace period, 2 s), fail with `noconnection`;
//!   the link to its router fires `noconnection`, and the top supervisor
//!   starts the node again. Halfway through, the nats-server is stopped
//!   for 3 s, longer than the grace period, and started again (same port,
//!   same JetStream store): every node loses every other, the worker
//!   nodes end (the link from the top supervisor fires `noconnection`)
//!   and are started again once the server is back.
//! - The checks are the single-process run's: every acknowledged request
//!   is in its store, no call outlives its bound, no reply answers another
//!   request, the top supervisor lives, the main node's memory stays flat.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use actor_core::{
    AnyPid, CallError, ChildSpec, Ctx, ExitReason, Pid, Reply, Runtime, Shutdown, StartError,
    Strategy, Supervisor, sleep, spawn, whereis,
};
use actor_net::{NatsServer, Node, NodeConfig};
use serde::{Deserialize, Serialize};
use tests::{Memory, Rng, mib};
use tokio::sync::oneshot;

use super::{
    Args, CLIENTS, HARD_BOUND, KILLS_PER_SECOND, REPORT_EVERY_SECS, SETTLE_EVERY, STORES,
    SUPERVISOR_KILL_EVERY_MS, SUPERVISORS, Stats, StoreMsg, Timeline, WORKERS,
    WORKERS_PER_SUPERVISOR, Work, World, chaos, settle, store, supervisor_spec,
};

/// A client's timeout for one call: main node → router → worker → store
/// (main node) → worker → main node, three crossings of the wire.
const CALL_TIMEOUT: Duration = Duration::from_millis(250);
/// A worker's timeout for recording a request in its store (across the
/// wire).
const STORE_TIMEOUT: Duration = Duration::from_millis(100);
/// How long the nats-server stays down when it is restarted: longer than
/// the grace period, so that every node loses every other.
const NATS_DOWN: Duration = Duration::from_secs(3);
/// A worker node is killed this often.
const NODE_KILL_EVERY: Duration = Duration::from_secs(4);
/// How long a silent node may be before it is declared down.
const GRACE: Duration = Duration::from_secs(2);
const HEARTBEAT: Duration = Duration::from_millis(200);
/// How long a worker node may take to start and say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a worker node sends the main node its counters.
const TALLY_EVERY: Duration = Duration::from_millis(500);
/// RSS growth under this many bytes never fails the run (see `main_node`).
const RSS_FLOOR: u64 = 4 << 20;
/// The global name of the main node's gatherer.
const MAIN_NAME: &str = "soak-main";
/// The actor-net cluster of the run.
const CLUSTER: &str = "soak";

/// What a worker node is started with (hidden command-line flags).
#[derive(Debug, Default)]
pub(crate) struct WorkerNode {
    /// Its place among the worker nodes, from 0.
    pub(crate) slot: usize,
    /// How many worker nodes there are.
    pub(crate) slots: usize,
    /// Which start of the slot this is (unique in the run).
    pub(crate) incarnation: u64,
    pub(crate) nats: String,
    pub(crate) cluster: String,
    pub(crate) seed: u64,
}

/// A client's request, to the router of the worker's node.
#[derive(Serialize, Deserialize)]
struct Route {
    worker: u32,
    client: u32,
    seq: u64,
    reply: Reply<u64>,
}

/// What the main node's gatherer hears from worker nodes.
#[derive(Serialize, Deserialize)]
enum ToMain {
    /// A worker node asks for the stores.
    Join {
        incarnation: u64,
        reply: Reply<Vec<Pid<StoreMsg>>>,
    },
    /// A worker node's tree is up: its router takes requests.
    Ready {
        incarnation: u64,
        router: Pid<Route>,
    },
    /// A worker node's counters since its last tally.
    Tally(Tally),
}

/// A worker node's counters, as differences.
#[derive(Default, Clone, Copy, Serialize, Deserialize)]
struct Tally {
    kills: u64,
    supervisor_kills: u64,
    worker_restarts: u64,
    supervisor_restarts: u64,
    name_waits: u64,
    /// Requests for a worker not registered (between two lives): the
    /// router drops their reply handle (`NoReply` to the client).
    unrouted: u64,
}

/// Counters of a run across nodes, beyond [`Stats`].
#[derive(Default)]
struct Totals {
    /// Calls to a worker node known to be lost that failed otherwise than
    /// with `noconnection` or a timeout.
    lost_node_other: AtomicU64,
    worker_restarts: AtomicU64,
    supervisor_restarts: AtomicU64,
    unrouted: AtomicU64,
    /// The reasons of the calls failed with `CallError::Exited` other
    /// than `noconnection`, and how many of each.
    exited: Mutex<HashMap<String, u64>>,
}

/// One worker node's place on the main node.
#[derive(Default)]
struct Slot {
    /// Its router, once ready.
    router: RwLock<Option<Pid<Route>>>,
    /// Its OS process, once ready.
    child: Mutex<Option<tokio::process::Child>>,
    /// Whether it was started before (a start is then a restart).
    started: AtomicBool,
}

/// The main node's shared state.
struct Net {
    stats: Stats,
    totals: Totals,
    stores: Vec<Pid<StoreMsg>>,
    slots: Vec<Slot>,
    stop: AtomicBool,
    seed: u64,
    node: Node,
    program: PathBuf,
    url: String,
    started: Instant,
    incarnations: AtomicU64,
    /// Start functions waiting for a worker node's `Ready`, by incarnation.
    ready: Mutex<HashMap<u64, oneshot::Sender<Pid<Route>>>>,
}

impl Net {
    /// Whether slot `i` runs a ready node that this node sees up.
    fn is_up(&self, i: usize) -> bool {
        let slot = &self.slots[i];
        lock(&slot.child).is_some()
            && slot
                .router
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .is_some_and(|r| r.is_alive())
    }

    /// Kills slot `i`'s OS process, if it has one (`SIGKILL`), and reaps it
    /// in the background. Returns its OS pid.
    fn kill(&self, i: usize) -> Option<u32> {
        let mut child = lock(&self.slots[i].child).take()?;
        let pid = child.id();
        let _ = child.start_kill();
        tokio::spawn(async move {
            let _ = child.wait().await;
        });
        pid
    }

    fn t(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn config(url: &str, cluster: &str, name: &str) -> NodeConfig {
    NodeConfig::new(url, cluster, name)
        .heartbeat(HEARTBEAT)
        .grace(GRACE)
}

/// Runs the main node of `soak --nodes n`; returns the exit code.
pub(crate) fn run(args: &Args, n: usize) -> i32 {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let server = match NatsServer::start() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("soak: cannot start a nats-server: {e}");
            return 1;
        }
    };
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("soak: cannot find this program to run the worker nodes: {e}");
            return 1;
        }
    };
    let url = server.url();
    // The nats-server is restarted halfway, from a thread of its own (the
    // restart blocks until the server is ready again).
    let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
    let (restarted_tx, restarted) = std::sync::mpsc::channel::<(Duration, Duration)>();
    let halfway = Duration::from_secs(args.seconds) / 2;
    let restarter = std::thread::spawn(move || {
        let mut server = server;
        let start = Instant::now();
        if cancelled.recv_timeout(halfway).is_ok() {
            return server;
        }
        let at = start.elapsed();
        let down = Instant::now();
        let restart = server.stop().and_then(|()| {
            let _ = cancelled.recv_timeout(NATS_DOWN);
            server.restart()
        });
        match restart {
            Ok(()) => {
                let _ = restarted_tx.send((at, down.elapsed()));
            }
            Err(e) => eprintln!("soak: the nats-server did not restart: {e}"),
        }
        // Kept until the run ends (dropping it kills it).
        let _ = cancelled.recv();
        server
    });
    let code = Runtime::tokio().block_on(main_node(
        args.seconds,
        n - 1,
        seed,
        url,
        program,
        restarted,
    ));
    let _ = cancel.send(());
    drop(restarter.join());
    code
}

async fn main_node(
    seconds: u64,
    slots: usize,
    seed: u64,
    url: String,
    program: PathBuf,
    restarted: std::sync::mpsc::Receiver<(Duration, Duration)>,
) -> i32 {
    println!(
        "soak: {seconds} s, seed {seed}: {SUPERVISORS} supervisors x {WORKERS_PER_SUPERVISOR} workers on {slots} worker nodes, {CLIENTS} clients and {STORES} stores on the main node, nats-server {url}"
    );
    let node = match Node::connect(config(&url, CLUSTER, "main")).await {
        Ok(node) => node,
        Err(e) => {
            eprintln!("soak: the main node cannot connect: {e}");
            return 1;
        }
    };
    let net = Arc::new(Net {
        stats: Stats::default(),
        totals: Totals::default(),
        stores: (0..STORES).map(|_| spawn(store)).collect(),
        slots: (0..slots).map(|_| Slot::default()).collect(),
        stop: AtomicBool::new(false),
        seed,
        node: node.clone(),
        program,
        url,
        started: Instant::now(),
        incarnations: AtomicU64::new(0),
        ready: Mutex::default(),
    });
    let gatherer = {
        let net = net.clone();
        spawn(move |ctx: Ctx<ToMain>| gatherer(ctx, net))
    };
    if let Err(e) = node.register_global(MAIN_NAME, &gatherer).await {
        eprintln!("soak: cannot register {MAIN_NAME}: {e}");
        return 1;
    }

    let started = Instant::now();
    let mut top = Supervisor::new(Strategy::OneForOne).intensity(20, Duration::from_secs(10));
    for i in 0..slots {
        top = top.child(node_spec(&net, i));
    }
    let top = match top.start().await {
        Ok(top) => top,
        Err(e) => {
            eprintln!("soak: the tree did not start: {e}");
            node.shutdown().await;
            return 1;
        }
    };
    println!(
        "soak: tree of {} processes on {slots} worker nodes started in {:?}, rss {}",
        WORKERS + SUPERVISORS + slots + 1,
        started.elapsed(),
        mib(Memory::now().rss)
    );

    let clients: Vec<Pid<()>> = (0..CLIENTS as u32)
        .map(|id| {
            let net = net.clone();
            spawn(move |_: Ctx<()>| client(id, net))
        })
        .collect();
    let killer = {
        let net = net.clone();
        spawn(move |_: Ctx<()>| node_killer(net))
    };

    let timeline = Timeline::run(seconds, &top, |second, elapsed, mem| {
        while let Ok((at, down)) = restarted.try_recv() {
            net.stats.nats_restarts.fetch_add(1, Relaxed);
            println!(
                "soak: t={:.1}s nats-server restarted at {:.1}s (down {down:.1?})",
                net.t(),
                at.as_secs_f64()
            );
        }
        if second % REPORT_EVERY_SECS == 0 && second != seconds {
            report(&net, elapsed, mem);
        }
    })
    .await;
    net.stop.store(true, Relaxed);
    for c in &clients {
        let reason = c.wait().await;
        if !reason.is_normal() {
            eprintln!("soak: a client ended with {reason}");
        }
    }
    killer.wait().await;
    let end = timeline.end(&top);
    report(&net, timeline.start.elapsed(), end.memory);

    let s = &net.stats;
    println!(
        "soak: failed calls: {} noconnection, {} callee exited, {} no reply (not recorded, or no worker under the name: {} of those, counted by the routers), {} not sent (worker node starting)",
        s.noconnection.load(Relaxed),
        s.exited.load(Relaxed),
        s.no_reply.load(Relaxed),
        net.totals.unrouted.load(Relaxed),
        s.not_sent.load(Relaxed),
    );
    let mut exited: Vec<(String, u64)> = lock(&net.totals.exited).drain().collect();
    exited.sort();
    for (reason, n) in exited {
        println!("soak: {n} calls failed with: {reason}");
    }
    println!(
        "soak: {} worker starts waited for the worker they replace to release its name",
        s.name_waits.load(Relaxed)
    );
    println!(
        "soak: slowest call {:?} (timeout {CALL_TIMEOUT:?}, bound {HARD_BOUND:?}), {} over the bound, {} wrong replies",
        Duration::from_micros(s.slowest_us.load(Relaxed)),
        s.over_bound.load(Relaxed),
        s.wrong_reply.load(Relaxed)
    );
    println!(
        "soak: {} acknowledged requests checked against the stores, {} unverified; main node rss {} at {} s, {} at the end, peak {}",
        s.settled.load(Relaxed),
        s.unsettled.load(Relaxed),
        mib(end.baseline.rss),
        end.quarter,
        mib(end.memory.rss),
        mib(end.memory.peak)
    );

    let stopping = Instant::now();
    top.exit(ExitReason::Shutdown);
    match actor_core::timeout(Duration::from_secs(30), top.wait()).await {
        Ok(reason) => println!(
            "soak: tree and worker nodes shut down in {:?} ({reason})",
            stopping.elapsed()
        ),
        Err(_) => eprintln!("soak: the tree did not shut down within 30 s"),
    }
    for i in 0..net.slots.len() {
        let child = lock(&net.slots[i].child).take();
        if let Some(mut child) = child
            && actor_core::timeout(Duration::from_secs(10), child.wait())
                .await
                .is_err()
        {
            eprintln!("soak: worker node {i} did not exit: killed");
            let _ = child.kill().await;
        }
    }
    gatherer.kill();
    node.shutdown().await;

    let mut failures = s.failures(&end);
    let other = net.totals.lost_node_other.load(Relaxed);
    if other > 0 {
        failures.push(format!(
            "{other} calls to a lost node failed otherwise than with noconnection or a timeout"
        ));
    }
    // The main node is small (about 22 MiB), and its RSS at the end of the
    // first quarter moves by a MiB from run to run (5%): growth fails the
    // run from 10% and 4 MiB.
    if end.growth() >= 10.0 && end.memory.rss.saturating_sub(end.baseline.rss) > RSS_FLOOR {
        failures.push(format!("rss grew by {:.1}%", end.growth()));
    }
    s.verdict(&failures, &end)
}

fn report(net: &Net, elapsed: Duration, mem: Memory) {
    let (s, t) = (&net.stats, &net.totals);
    let node_restarts = s
        .node_starts
        .load(Relaxed)
        .saturating_sub(net.slots.len() as u64);
    println!(
        "soak: t={:>4}s calls ok {} failed {} timed out {} | kills {} workers, {} supervisors, {} nodes | restarts {} workers, {} supervisors, {} nodes | nats restarts {} | rss {} peak {}",
        elapsed.as_secs(),
        s.ok.load(Relaxed),
        s.noconnection.load(Relaxed) + s.failed(),
        s.timed_out.load(Relaxed),
        s.kills.load(Relaxed),
        s.supervisor_kills.load(Relaxed),
        s.node_kills.load(Relaxed),
        t.worker_restarts.load(Relaxed),
        t.supervisor_restarts.load(Relaxed),
        node_restarts,
        s.nats_restarts.load(Relaxed),
        mib(mem.rss),
        mib(mem.peak),
    );
}

/// The main node's end of the worker nodes: hands out the stores, passes
/// `Ready` to the start function waiting for it, adds up the tallies.
async fn gatherer(mut ctx: Ctx<ToMain>, net: Arc<Net>) {
    loop {
        match ctx.recv().await {
            ToMain::Join { reply, .. } => {
                let _ = reply.send(net.stores.clone());
            }
            ToMain::Ready {
                incarnation,
                router,
            } => {
                if let Some(tx) = lock(&net.ready).remove(&incarnation) {
                    let _ = tx.send(router);
                }
            }
            ToMain::Tally(t) => {
                let (s, totals) = (&net.stats, &net.totals);
                s.kills.fetch_add(t.kills, Relaxed);
                s.supervisor_kills.fetch_add(t.supervisor_kills, Relaxed);
                s.name_waits.fetch_add(t.name_waits, Relaxed);
                totals.worker_restarts.fetch_add(t.worker_restarts, Relaxed);
                totals
                    .supervisor_restarts
                    .fetch_add(t.supervisor_restarts, Relaxed);
                totals.unrouted.fetch_add(t.unrouted, Relaxed);
            }
        }
    }
}

/// The top supervisor's child for worker node `i`: its start function
/// starts the node's OS process and returns its router.
fn node_spec(net: &Arc<Net>, i: usize) -> ChildSpec {
    let net = net.clone();
    ChildSpec::new(format!("node{i}"), move || {
        let net = net.clone();
        async move {
            match start_node(&net, i).await {
                Ok(router) => Ok(AnyPid::from(router)),
                Err(e) => {
                    eprintln!("soak: t={:.1}s worker node {i}: {e}", net.t());
                    Err(StartError::Failed(ExitReason::other(e)))
                }
            }
        }
    })
    .shutdown(Shutdown::Timeout(Duration::from_secs(5)))
}

/// Starts worker node `i` (again): its OS process, until it says it is
/// ready and this node sees it up, trying again if it ends first.
async fn start_node(net: &Arc<Net>, i: usize) -> Result<Pid<Route>, String> {
    let deadline = Instant::now() + START_TIMEOUT;
    if net.slots[i].started.swap(true, Relaxed) {
        println!(
            "soak: t={:.1}s worker node {i} lost: starting it again",
            net.t()
        );
    }
    *net.slots[i]
        .router
        .write()
        .unwrap_or_else(|e| e.into_inner()) = None;
    // The previous incarnation, if it still runs (declared down while it
    // was only slow): it must not serve alongside the new one.
    net.kill(i);
    loop {
        let incarnation = net.incarnations.fetch_add(1, Relaxed) + 1;
        let (tx, rx) = oneshot::channel();
        lock(&net.ready).insert(incarnation, tx);
        let mut child = tokio::process::Command::new(&net.program)
            .args(["--worker-node", &i.to_string()])
            .args(["--slots", &net.slots.len().to_string()])
            .args(["--incarnation", &incarnation.to_string()])
            .args(["--nats", &net.url, "--cluster", CLUSTER])
            .args(["--seed", &net.seed.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", net.program.display()))?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        let router = tokio::select! {
            router = rx => router.ok(),
            status = child.wait() => {
                eprintln!("soak: t={:.1}s worker node {i} ended before it was ready ({status:?})", net.t());
                None
            }
            _ = tokio::time::sleep(remaining) => None,
        };
        lock(&net.ready).remove(&incarnation);
        if let Some(router) = router {
            let node = router.id().node;
            while Instant::now() < deadline && !net.node.nodes().iter().any(|n| n.id == node) {
                sleep(Duration::from_millis(10)).await;
            }
            if net.node.nodes().iter().any(|n| n.id == node) {
                *lock(&net.slots[i].child) = Some(child);
                *net.slots[i]
                    .router
                    .write()
                    .unwrap_or_else(|e| e.into_inner()) = Some(router.clone());
                net.stats.node_starts.fetch_add(1, Relaxed);
                return Ok(router);
            }
        }
        let _ = child.start_kill();
        let _ = child.wait().await;
        if Instant::now() >= deadline {
            return Err(format!("not ready within {START_TIMEOUT:?}"));
        }
        sleep(Duration::from_millis(200)).await;
    }
}

/// Kills a ready worker node every [`NODE_KILL_EVERY`], in turn.
async fn node_killer(net: Arc<Net>) {
    let started = Instant::now();
    let (mut rounds, mut next) = (0u32, 0usize);
    let slots = net.slots.len();
    while !net.stop.load(Relaxed) {
        sleep(Duration::from_millis(50)).await;
        let due = (started.elapsed().as_millis() / NODE_KILL_EVERY.as_millis()) as u32;
        if due <= rounds {
            continue;
        }
        rounds = due;
        if let Some(i) = (0..slots)
            .map(|k| (next + k) % slots)
            .find(|&i| net.is_up(i))
        {
            if let Some(pid) = net.kill(i) {
                net.stats.node_kills.fetch_add(1, Relaxed);
                println!(
                    "soak: t={:.1}s killed worker node {i} (OS pid {pid})",
                    net.t()
                );
            }
            next = i + 1;
        }
    }
}

async fn client(id: u32, net: Arc<Net>) {
    let stats = &net.stats;
    let mut rng = Rng::new(net.seed ^ (u64::from(id) << 32) ^ 0xc1);
    let store = &net.stores[id as usize % STORES];
    let slots = net.slots.len();
    let mut acked = Vec::with_capacity(SETTLE_EVERY);
    let mut seq = 0u64;
    while !net.stop.load(Relaxed) {
        seq += 1;
        let k = rng.below(WORKERS as u64) as usize;
        let slot = (k / WORKERS_PER_SUPERVISOR) % slots;
        let router = net.slots[slot]
            .router
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Some(router) = router else {
            stats.not_sent.fetch_add(1, Relaxed);
            sleep(Duration::from_millis(1)).await;
            continue;
        };
        let started = Instant::now();
        let outcome = router
            .call(
                |reply| Route {
                    worker: k as u32,
                    client: id,
                    seq,
                    reply,
                },
                CALL_TIMEOUT,
            )
            .await;
        let took = started.elapsed();
        stats.slowest_us.fetch_max(took.as_micros() as u64, Relaxed);
        if took > HARD_BOUND {
            stats.over_bound.fetch_add(1, Relaxed);
        }
        match outcome {
            Ok(answer) if answer == seq => {
                stats.ok.fetch_add(1, Relaxed);
                acked.push(seq);
            }
            Ok(_) => {
                stats.wrong_reply.fetch_add(1, Relaxed);
            }
            Err(CallError::Timeout) => {
                stats.timed_out.fetch_add(1, Relaxed);
            }
            Err(CallError::NoReply) => {
                stats.no_reply.fetch_add(1, Relaxed);
            }
            Err(CallError::Exited(ExitReason::NoConnection)) => {
                stats.noconnection.fetch_add(1, Relaxed);
                // The node is lost until the top supervisor starts it
                // again: do not spin on it.
                sleep(Duration::from_millis(1)).await;
            }
            Err(e) => {
                stats.exited.fetch_add(1, Relaxed);
                *lock(&net.totals.exited).entry(e.to_string()).or_default() += 1;
                if !router.is_alive() {
                    eprintln!("soak: client {id}: a call to a lost node failed with {e}");
                    net.totals.lost_node_other.fetch_add(1, Relaxed);
                }
            }
        }
        if acked.len() >= SETTLE_EVERY {
            let batch = std::mem::replace(&mut acked, Vec::with_capacity(SETTLE_EVERY));
            settle(store, stats, id, batch, seq).await;
        }
    }
    settle(store, stats, id, acked, seq).await;
}

/// Runs a worker node; returns the exit code.
pub(crate) fn worker_node(args: &WorkerNode) -> i32 {
    Runtime::tokio().block_on(async {
        match worker_node_run(args).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!(
                    "soak: worker node {} (start {}): {e}",
                    args.slot, args.incarnation
                );
                1
            }
        }
    })
}

async fn worker_node_run(a: &WorkerNode) -> Result<(), String> {
    let slots = a.slots.max(1);
    let name = format!("workers-{}", a.slot);
    let node = Node::connect(config(&a.nats, &a.cluster, &name))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let main = node
        .whereis_global::<ToMain>(MAIN_NAME)
        .await
        .map_err(|e| format!("cannot look up {MAIN_NAME}: {e}"))?
        .ok_or(format!("no {MAIN_NAME} in the cluster"))?;
    let main_node = main.id().node;
    let deadline = Instant::now() + START_TIMEOUT;
    while !node.nodes().iter().any(|n| n.id == main_node) {
        if Instant::now() >= deadline {
            return Err("the main node is not up".into());
        }
        sleep(Duration::from_millis(10)).await;
    }
    let incarnation = a.incarnation;
    let stores = main
        .call(
            |reply| ToMain::Join { incarnation, reply },
            Duration::from_secs(10),
        )
        .await
        .map_err(|e| format!("the main node did not answer: {e}"))?;
    let world = Arc::new(World {
        stats: Stats::default(),
        stores: Arc::new(stores),
        names: (0..WORKERS).map(|k| format!("soak-worker-{k}")).collect(),
        stop: AtomicBool::new(false),
        seed: a.seed ^ incarnation.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        store_timeout: STORE_TIMEOUT,
    });
    let supervisors: Vec<usize> = (0..SUPERVISORS).filter(|s| s % slots == a.slot).collect();
    let router = spawn(move |ctx: Ctx<Route>| {
        router(ctx, world, supervisors, main, incarnation, slots as u64)
    });
    let reason = router.wait().await;
    if !matches!(reason, ExitReason::Shutdown | ExitReason::NoConnection) {
        eprintln!("soak: worker node {}: the router ended: {reason}", a.slot);
    }
    let _ = actor_core::timeout(Duration::from_secs(5), node.shutdown()).await;
    Ok(())
}

/// A worker node's router: starts the node's share of the tree (linked to
/// it), then hands each request to the worker registered under its name.
async fn router(
    mut ctx: Ctx<Route>,
    world: Arc<World>,
    supervisors: Vec<usize>,
    main: Pid<ToMain>,
    incarnation: u64,
    slots: u64,
) {
    let mut sup = Supervisor::new(Strategy::OneForOne).intensity(50, Duration::from_secs(1));
    for &s in &supervisors {
        sup = sup.child(supervisor_spec(&world, s));
    }
    let tree = match sup.start().await {
        Ok(tree) => tree,
        Err(e) => {
            eprintln!("soak: a worker node's tree did not start: {e}");
            return;
        }
    };
    let workers: Vec<usize> = supervisors
        .iter()
        .flat_map(|s| s * WORKERS_PER_SUPERVISOR..(s + 1) * WORKERS_PER_SUPERVISOR)
        .collect();
    let own = (workers.len() as u64, supervisors.len() as u64);
    {
        let world = world.clone();
        spawn(move |_: Ctx<()>| {
            chaos(
                world,
                tree,
                workers,
                KILLS_PER_SECOND / slots,
                SUPERVISOR_KILL_EVERY_MS * slots,
            )
        });
    }
    {
        let (world, main) = (world.clone(), main.clone());
        spawn(move |_: Ctx<()>| tally(world, main, own));
    }
    if main
        .try_send(ToMain::Ready {
            incarnation,
            router: ctx.pid(),
        })
        .is_err()
    {
        return;
    }
    loop {
        let Route {
            worker,
            client,
            seq,
            reply,
        } = ctx.recv().await;
        let found = world
            .names
            .get(worker as usize)
            .and_then(|name| whereis::<Work>(name));
        match found {
            // A worker that died meanwhile drops the reply handle with it.
            Some(w) => {
                let _ = w.try_send(Work { client, seq, reply });
            }
            None => {
                world.stats.unregistered.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Sends the main node this node's counters every [`TALLY_EVERY`], as
/// differences (restarts counted beyond the `own` first starts).
async fn tally(world: Arc<World>, main: Pid<ToMain>, own: (u64, u64)) {
    let s = &world.stats;
    let now = || Tally {
        kills: s.kills.load(Relaxed),
        supervisor_kills: s.supervisor_kills.load(Relaxed),
        worker_restarts: s.worker_starts.load(Relaxed).saturating_sub(own.0),
        supervisor_restarts: s.supervisor_starts.load(Relaxed).saturating_sub(own.1),
        name_waits: s.name_waits.load(Relaxed),
        unrouted: s.unregistered.load(Relaxed),
    };
    let mut sent = Tally::default();
    let mut rng = Rng::new(world.seed);
    // Spread the tallies of the nodes over the interval.
    sleep(Duration::from_millis(
        rng.below(TALLY_EVERY.as_millis() as u64),
    ))
    .await;
    loop {
        sleep(TALLY_EVERY).await;
        let t = now();
        let delta = Tally {
            kills: t.kills - sent.kills,
            supervisor_kills: t.supervisor_kills - sent.supervisor_kills,
            worker_restarts: t.worker_restarts - sent.worker_restarts,
            supervisor_restarts: t.supervisor_restarts - sent.supervisor_restarts,
            name_waits: t.name_waits - sent.name_waits,
            unrouted: t.unrouted - sent.unrouted,
        };
        if main.try_send(ToMain::Tally(delta)).is_ok() {
            sent = t;
        }
    }
}
