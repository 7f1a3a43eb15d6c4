//! The soak run: a supervision tree of 10,000 workers under chaos, with
//! clients calling them and every acknowledged request accounted for.
//!
//! ```text
//! cargo run --release -p tests --bin soak -- --seconds 60
//! ```
//!
//! - A top supervisor (one_for_one) over 100 supervisors (one_for_one),
//!   each over 100 workers, each worker registered under a name.
//! - Store processes, outside the tree, record work: a worker handles a
//!   request by asking its store to record it, and acknowledges it to the
//!   client only once the store has. Stores outlive every worker restart.
//! - Clients call random workers (by name) with a timeout. Every call
//!   succeeds, fails with a typed error, or times out; each is timed by
//!   the client against a hard bound. Every so often a client hands its
//!   acknowledged requests to the store, which counts any it has no record
//!   of as lost.
//! - A chaos process kills random workers, a thousand a second (half of
//!   them with an untrappable kill, half with an exit signal), and a whole
//!   supervisor (with its hundred workers) every half second.
//!
//! Every five seconds, and at the end, it prints the calls (ok, failed,
//! timed out), kills, restarts and memory. The last line is
//! `soak: <N> acknowledged, lost <L>, rss growth <X>%`, the growth measured
//! from the end of the first quarter of the run to its end. The exit code
//! is 1 if anything was lost, a call outlived its bound, a reply answered
//! the wrong request, the top supervisor died, or RSS grew by 10% or more;
//! 2 for a bad command line.
//!
//! With `--nodes N` the same tree is spread over N OS processes of one
//! actor-net cluster: see the `nodes` module.
//!
//! The allocator is mimalloc, so that RSS tracks the live heap. Under this
//! churn (tens of thousands of processes made and dropped, millions of
//! messages) glibc's malloc fragments: its RSS drifted up by 3% to 15% over
//! runs of 60 to 150 s while the live heap, counted by a wrapping allocator,
//! stayed at 23.0 MiB throughout; mimalloc's RSS stays flat, so growth here
//! measures what the program keeps, not how the allocator lays it out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use actor_core::{
    AnyPid, CallError, ChildSpec, Ctx, ExitReason, Pid, RegistryError, Reply, Runtime, Spawn,
    StartError, Strategy, Supervisor, SupervisorMsg, register, sleep, spawn, timeout, whereis,
    whereis_any, yield_now,
};
use serde::{Deserialize, Serialize};
use tests::{Memory, Rng, mib};

mod nodes;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SUPERVISORS: usize = 100;
const WORKERS_PER_SUPERVISOR: usize = 100;
const WORKERS: usize = SUPERVISORS * WORKERS_PER_SUPERVISOR;
const STORES: usize = 8;
const CLIENTS: usize = 64;
/// A client's timeout for one call to a worker.
const CALL_TIMEOUT: Duration = Duration::from_millis(100);
/// A worker's timeout for recording a request in its store.
const STORE_TIMEOUT: Duration = Duration::from_millis(50);
/// No call may take longer than this, whatever happens to its callee.
const HARD_BOUND: Duration = Duration::from_millis(1100);
/// Acknowledged requests a client collects before settling them.
const SETTLE_EVERY: usize = 1000;
/// Workers the chaos process kills per second.
const KILLS_PER_SECOND: u64 = 1000;
/// The chaos process kills a whole supervisor this often.
const SUPERVISOR_KILL_EVERY_MS: u64 = 500;
const REPORT_EVERY_SECS: u64 = 5;

const USAGE: &str = "\
usage: soak [--seconds N] [--seed S] [--nodes N]

Runs 10,000 supervised workers under chaos for N seconds (default 60),
with clients calling them, and checks that every acknowledged request was
recorded, that no call outlived its timeout, that the top supervisor
survived and that memory stayed flat (under 10% growth from the end of
the first quarter of the run to its end).

  --seconds N   how long to run (default 60)
  --seed S      the seed of the random choices (default: from the clock)
  --nodes N     spread the tree over N OS processes (N >= 2) of one
                actor-net cluster on a nats-server started for the run:
                the stores and the clients on the first, which is never
                killed; the supervisors and workers on the N - 1 others,
                one of which is killed (SIGKILL) and started again every
                4 s; the nats-server is stopped for 3 s halfway. The
                same 10,000 workers: with 3 nodes on 2 cores the run
                takes about 1.3 cores, 23 MiB on the first process and
                35 MiB on each worker node. Calls time out after 250 ms.
                Checks the same, memory on the first process (growth
                fails from 10% and 4 MiB: it is small, and its RSS moves
                by a MiB from run to run). `--nodes 3 --seconds 30`
                takes 31 s
  --help        this text";

/// Counters shared by every party of the run.
#[derive(Default)]
struct Stats {
    ok: AtomicU64,
    /// The callee ended before answering (`CallError::Exited`).
    exited: AtomicU64,
    /// The worker could not record the request and said so (`NoReply`).
    no_reply: AtomicU64,
    /// No worker was registered under the name (between two lives).
    unregistered: AtomicU64,
    timed_out: AtomicU64,
    /// Calls that took longer than `HARD_BOUND`.
    over_bound: AtomicU64,
    /// Replies that answered another request than the one asked.
    wrong_reply: AtomicU64,
    /// The slowest call, in microseconds.
    slowest_us: AtomicU64,
    kills: AtomicU64,
    /// Worker starts that found their name still held by the worker they
    /// replace (killed with its supervisor, not yet gone).
    name_waits: AtomicU64,
    supervisor_kills: AtomicU64,
    worker_starts: AtomicU64,
    supervisor_starts: AtomicU64,
    /// Acknowledged requests the stores have checked.
    settled: AtomicU64,
    /// Acknowledged requests the stores had no record of.
    lost: AtomicU64,
    /// Settlements that failed (the store did not answer): unverified.
    unsettled: AtomicU64,
    /// With `--nodes`: calls that failed with `noconnection` (the worker
    /// node was lost, before or during the call).
    noconnection: AtomicU64,
    /// With `--nodes`: calls not made because the worker node was being
    /// started.
    not_sent: AtomicU64,
    /// With `--nodes`: worker nodes killed, worker node starts, nats-server
    /// restarts.
    node_kills: AtomicU64,
    node_starts: AtomicU64,
    nats_restarts: AtomicU64,
}

impl Stats {
    fn failed(&self) -> u64 {
        self.exited.load(Relaxed) + self.no_reply.load(Relaxed) + self.unregistered.load(Relaxed)
    }

    fn restarts(&self) -> (u64, u64) {
        (
            self.worker_starts
                .load(Relaxed)
                .saturating_sub(WORKERS as u64),
            self.supervisor_starts
                .load(Relaxed)
                .saturating_sub(SUPERVISORS as u64),
        )
    }
}

/// A request to a worker: do the work, reply with the request's number.
struct Work {
    client: u32,
    seq: u64,
    reply: Reply<u64>,
}

#[derive(Serialize, Deserialize)]
enum StoreMsg {
    Record {
        client: u32,
        seq: u64,
        reply: Reply<()>,
    },
    /// Checks `acked` against the records of `client`, answers how many
    /// are missing, then forgets every record of its up to `upto`.
    Settle {
        client: u32,
        acked: Vec<u64>,
        upto: u64,
        reply: Reply<u64>,
    },
}

async fn store(mut ctx: Ctx<StoreMsg>) {
    let mut recorded: HashMap<u32, HashSet<u64>> = HashMap::new();
    loop {
        match ctx.recv().await {
            StoreMsg::Record { client, seq, reply } => {
                recorded.entry(client).or_default().insert(seq);
                let _ = reply.send(());
            }
            StoreMsg::Settle {
                client,
                acked,
                upto,
                reply,
            } => {
                let set = recorded.entry(client).or_default();
                let missing = acked.iter().filter(|s| !set.contains(s)).count() as u64;
                set.retain(|&s| s > upto);
                let _ = reply.send(missing);
            }
        }
    }
}

async fn worker(mut ctx: Ctx<Work>, stores: Arc<Vec<Pid<StoreMsg>>>, store_timeout: Duration) {
    loop {
        let Work { client, seq, reply } = ctx.recv().await;
        let store = &stores[client as usize % stores.len()];
        let recorded = store
            .call(
                |reply| StoreMsg::Record { client, seq, reply },
                store_timeout,
            )
            .await;
        // Acknowledged only once recorded; otherwise the dropped reply
        // fails the call with `NoReply`.
        if recorded.is_ok() {
            let _ = reply.send(seq);
        }
    }
}

struct World {
    stats: Stats,
    stores: Arc<Vec<Pid<StoreMsg>>>,
    names: Vec<String>,
    stop: AtomicBool,
    seed: u64,
    /// A worker's timeout for recording a request in its store.
    store_timeout: Duration,
}

fn worker_spec(world: &Arc<World>, index: usize) -> ChildSpec {
    let world = world.clone();
    ChildSpec::new(format!("w{index}"), move || {
        let world = world.clone();
        async move {
            world.stats.worker_starts.fetch_add(1, Relaxed);
            let (stores, store_timeout) = (world.stores.clone(), world.store_timeout);
            let pid = Spawn::new()
                .link()
                .spawn(move |ctx: Ctx<Work>| worker(ctx, stores, store_timeout));
            let name = &world.names[index];
            let mut waited = false;
            let registered = loop {
                match register(name, &pid) {
                    // The name's last holder belonged to a supervisor that
                    // was killed: it is dying of the link's exit signal,
                    // but may not have run yet. (Erlang has the same race.)
                    Err(RegistryError::Taken(_)) if !waited => {
                        waited = true;
                        world.stats.name_waits.fetch_add(1, Relaxed);
                        if let Some(old) = whereis_any(name) {
                            let _ = timeout(Duration::from_secs(1), old.wait()).await;
                        }
                    }
                    other => break other,
                }
            };
            if let Err(e) = registered {
                pid.kill();
                return Err(StartError::Failed(ExitReason::error(e)));
            }
            Ok(AnyPid::from(pid))
        }
    })
}

fn supervisor_spec(world: &Arc<World>, s: usize) -> ChildSpec {
    let mut sup = Supervisor::new(Strategy::OneForOne).intensity(1000, Duration::from_secs(1));
    for w in 0..WORKERS_PER_SUPERVISOR {
        sup = sup.child(worker_spec(world, s * WORKERS_PER_SUPERVISOR + w));
    }
    let world = world.clone();
    ChildSpec::new(format!("s{s}"), move || {
        let sup = sup.clone();
        world.stats.supervisor_starts.fetch_add(1, Relaxed);
        async move { sup.start().await.map(AnyPid::from) }
    })
    .shutdown(actor_core::Shutdown::Infinity)
}

async fn client(id: u32, world: Arc<World>) {
    let stats = &world.stats;
    let mut rng = Rng::new(world.seed ^ (u64::from(id) << 32) ^ 0xc1);
    let store = &world.stores[id as usize % STORES];
    let mut acked = Vec::with_capacity(SETTLE_EVERY);
    let mut seq = 0u64;
    while !world.stop.load(Relaxed) {
        seq += 1;
        let k = rng.below(WORKERS as u64) as usize;
        let started = Instant::now();
        let Some(w) = whereis::<Work>(&world.names[k]) else {
            stats.unregistered.fetch_add(1, Relaxed);
            yield_now().await;
            continue;
        };
        let outcome = w
            .call(
                |reply| Work {
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
            Err(_) => {
                stats.exited.fetch_add(1, Relaxed);
            }
        }
        if acked.len() >= SETTLE_EVERY {
            let batch = std::mem::replace(&mut acked, Vec::with_capacity(SETTLE_EVERY));
            settle(store, stats, id, batch, seq).await;
        }
    }
    settle(store, stats, id, acked, seq).await;
}

/// Hands `client`'s acknowledged requests up to `upto` to its store, which
/// counts those it has no record of as lost.
async fn settle(store: &Pid<StoreMsg>, stats: &Stats, id: u32, acked: Vec<u64>, upto: u64) {
    let n = acked.len() as u64;
    let missing = store
        .call(
            |reply| StoreMsg::Settle {
                client: id,
                acked,
                upto,
                reply,
            },
            Duration::from_secs(10),
        )
        .await;
    match missing {
        Ok(missing) => {
            stats.settled.fetch_add(n, Relaxed);
            stats.lost.fetch_add(missing, Relaxed);
        }
        Err(e) => {
            eprintln!("soak: client {id}: the store did not settle: {e}");
            stats.unsettled.fetch_add(n, Relaxed);
        }
    }
}

/// Kills random workers of `workers` (by index), `kills_per_second`, and
/// a random child of `top` every `supervisor_kill_every_ms`.
async fn chaos(
    world: Arc<World>,
    top: Pid<SupervisorMsg>,
    workers: Vec<usize>,
    kills_per_second: u64,
    supervisor_kill_every_ms: u64,
) {
    let mut rng = Rng::new(world.seed ^ 0xc4a05);
    let started = Instant::now();
    let (mut kills, mut supervisor_kills) = (0u64, 0u64);
    while !world.stop.load(Relaxed) {
        sleep(Duration::from_millis(1)).await;
        // Keep to the rates whatever the timer's granularity.
        let elapsed = started.elapsed();
        let due = (elapsed.as_micros() as u64 * kills_per_second) / 1_000_000;
        while kills < due {
            kills += 1;
            let k = workers[rng.below(workers.len() as u64) as usize];
            if let Some(w) = whereis_any(&world.names[k]) {
                if rng.below(2) == 0 {
                    w.kill();
                } else {
                    w.exit(ExitReason::other("chaos"));
                }
                world.stats.kills.fetch_add(1, Relaxed);
            }
        }
        if elapsed.as_millis() as u64 / supervisor_kill_every_ms > supervisor_kills {
            supervisor_kills += 1;
            if let Ok(children) = top.which_children().await
                && !children.is_empty()
            {
                let (_, sup) = &children[rng.below(children.len() as u64) as usize];
                sup.kill();
                world.stats.supervisor_kills.fetch_add(1, Relaxed);
            }
        }
    }
}

struct Args {
    seconds: u64,
    seed: Option<u64>,
    /// `--nodes N`: the run across N nodes.
    nodes: Option<usize>,
    /// The hidden arguments of a worker node of a run across nodes.
    worker_node: Option<nodes::WorkerNode>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 60,
        seed: None,
        nodes: None,
        worker_node: None,
    };
    let mut worker = nodes::WorkerNode::default();
    let mut is_worker = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = it.next().ok_or(format!("{name} needs a value"))?;
            v.parse()
                .map_err(|_| format!("{name} takes a whole number, not {v:?}"))
        };
        match a.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--seconds" => args.seconds = value("--seconds")?.max(1),
            "--seed" => args.seed = Some(value("--seed")?),
            "--nodes" => {
                let n = value("--nodes")?;
                if n < 2 {
                    return Err(
                        "--nodes needs at least 2: one for the clients, one for workers".into(),
                    );
                }
                args.nodes = Some(n as usize);
            }
            // A worker node of a run across nodes (started by the run).
            "--worker-node" => {
                is_worker = true;
                worker.slot = value("--worker-node")? as usize;
            }
            "--slots" => worker.slots = value("--slots")? as usize,
            "--incarnation" => worker.incarnation = value("--incarnation")?,
            "--nats" => worker.nats = it.next().ok_or("--nats needs a value".to_string())?,
            "--cluster" => {
                worker.cluster = it.next().ok_or("--cluster needs a value".to_string())?
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if is_worker {
        worker.seed = args.seed.unwrap_or(1);
        args.worker_node = Some(worker);
    }
    Ok(args)
}

fn report(world: &World, elapsed: Duration, mem: Memory) {
    let s = &world.stats;
    let (worker_restarts, supervisor_restarts) = s.restarts();
    println!(
        "soak: t={:>4}s calls ok {} failed {} timed out {} | kills {} workers, {} supervisors | restarts {} workers, {} supervisors | rss {} peak {}",
        elapsed.as_secs(),
        s.ok.load(Relaxed),
        s.failed(),
        s.timed_out.load(Relaxed),
        s.kills.load(Relaxed),
        s.supervisor_kills.load(Relaxed),
        worker_restarts,
        supervisor_restarts,
        mib(mem.rss),
        mib(mem.peak),
    );
}

async fn run(args: Args) -> i32 {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    println!(
        "soak: {} s, seed {seed}: {SUPERVISORS} supervisors x {WORKERS_PER_SUPERVISOR} workers, {CLIENTS} clients, {STORES} stores",
        args.seconds
    );
    let stores: Vec<Pid<StoreMsg>> = (0..STORES).map(|_| spawn(store)).collect();
    let world = Arc::new(World {
        stats: Stats::default(),
        stores: Arc::new(stores),
        names: (0..WORKERS).map(|k| format!("soak-worker-{k}")).collect(),
        stop: AtomicBool::new(false),
        seed,
        store_timeout: STORE_TIMEOUT,
    });
    let started = Instant::now();
    let mut top = Supervisor::new(Strategy::OneForOne).intensity(50, Duration::from_secs(1));
    for s in 0..SUPERVISORS {
        top = top.child(supervisor_spec(&world, s));
    }
    let top = match top.start().await {
        Ok(top) => top,
        Err(e) => {
            eprintln!("soak: the tree did not start: {e}");
            return 1;
        }
    };
    println!(
        "soak: tree of {} processes started in {:?}, rss {}",
        WORKERS + SUPERVISORS + 1,
        started.elapsed(),
        mib(Memory::now().rss)
    );

    let clients: Vec<Pid<()>> = (0..CLIENTS as u32)
        .map(|id| {
            let world = world.clone();
            spawn(move |_: Ctx<()>| client(id, world))
        })
        .collect();
    let chaos_pid = {
        let (world, top) = (world.clone(), top.clone());
        spawn(move |_: Ctx<()>| {
            chaos(
                world,
                top,
                (0..WORKERS).collect(),
                KILLS_PER_SECOND,
                SUPERVISOR_KILL_EVERY_MS,
            )
        })
    };

    let timeline = Timeline::run(args.seconds, &top, |second, elapsed, mem| {
        if second % REPORT_EVERY_SECS == 0 && second != args.seconds {
            report(&world, elapsed, mem);
        }
    })
    .await;
    world.stop.store(true, Relaxed);
    for c in &clients {
        let reason = c.wait().await;
        if !reason.is_normal() {
            eprintln!("soak: a client ended with {reason}");
        }
    }
    chaos_pid.wait().await;
    let end = timeline.end(&top);
    report(&world, timeline.start.elapsed(), end.memory);

    let s = &world.stats;
    println!(
        "soak: failed calls: {} callee exited, {} not recorded (no reply), {} name not registered",
        s.exited.load(Relaxed),
        s.no_reply.load(Relaxed),
        s.unregistered.load(Relaxed)
    );
    println!(
        "soak: {} worker starts waited for the worker they replace to release its name",
        s.name_waits.load(Relaxed)
    );
    println!(
        "soak: slowest call {:?} (bound {HARD_BOUND:?}), {} over the bound, {} wrong replies",
        Duration::from_micros(s.slowest_us.load(Relaxed)),
        s.over_bound.load(Relaxed),
        s.wrong_reply.load(Relaxed)
    );
    println!(
        "soak: {} acknowledged requests checked against the stores, {} unverified; rss {} at {} s, {} at the end, peak {}",
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
            "soak: tree shut down in {:?} ({reason})",
            stopping.elapsed()
        ),
        Err(_) => eprintln!("soak: the tree did not shut down within 30 s"),
    }

    let mut failures = s.failures(&end);
    if end.growth() >= 10.0 {
        failures.push(format!("rss grew by {:.1}%", end.growth()));
    }
    s.verdict(&failures, &end)
}

/// The seconds of a run: when it started, the memory at the end of its
/// first quarter (the baseline of growth), and when the top supervisor
/// died, if it did.
struct Timeline {
    start: Instant,
    quarter: u64,
    baseline: Option<Memory>,
    top_died: Option<u64>,
}

/// How a run ended, for its verdict.
struct End {
    memory: Memory,
    baseline: Memory,
    quarter: u64,
    top_survived: bool,
}

impl End {
    /// RSS growth from the baseline to the end, in percent.
    fn growth(&self) -> f64 {
        (self.memory.rss as f64 - self.baseline.rss as f64) * 100.0 / self.baseline.rss as f64
    }
}

impl Timeline {
    /// Runs for `seconds`, waking each second to note the memory and
    /// whether `top` died, and to call `each(second, elapsed, memory)`.
    async fn run(
        seconds: u64,
        top: &Pid<SupervisorMsg>,
        mut each: impl FnMut(u64, Duration, Memory),
    ) -> Timeline {
        let mut t = Timeline {
            start: Instant::now(),
            quarter: (seconds / 4).max(1),
            baseline: None,
            top_died: None,
        };
        for second in 1..=seconds {
            let due = t.start + Duration::from_secs(second);
            sleep(due.saturating_duration_since(Instant::now())).await;
            let mem = Memory::now();
            if second == t.quarter {
                t.baseline = Some(mem);
            }
            if t.top_died.is_none() && !top.is_alive() {
                t.top_died = Some(second);
                eprintln!(
                    "soak: the top supervisor died at {second} s: {}",
                    top.wait().await
                );
            }
            each(second, t.start.elapsed(), mem);
        }
        t
    }

    /// The end of the run, once its load has stopped.
    fn end(&self, top: &Pid<SupervisorMsg>) -> End {
        let memory = Memory::now();
        End {
            memory,
            baseline: self.baseline.unwrap_or(memory),
            quarter: self.quarter,
            top_survived: top.is_alive() && self.top_died.is_none(),
        }
    }
}

impl Stats {
    /// What failed the run, of what every soak checks: lost or unchecked
    /// acknowledged requests, the top supervisor's death, calls over the
    /// bound, replies to the wrong request.
    fn failures(&self, end: &End) -> Vec<String> {
        let (ok, lost, settled) = (
            self.ok.load(Relaxed),
            self.lost.load(Relaxed),
            self.settled.load(Relaxed),
        );
        let mut failures = Vec::new();
        if lost > 0 {
            failures.push(format!("{lost} acknowledged requests lost"));
        }
        if settled != ok || self.unsettled.load(Relaxed) > 0 {
            failures.push(format!(
                "{} of {ok} acknowledged requests not checked",
                ok - settled.min(ok)
            ));
        }
        if !end.top_survived {
            failures.push("the top supervisor died".to_string());
        }
        let over = self.over_bound.load(Relaxed);
        if over > 0 {
            failures.push(format!("{over} calls outlived their bound"));
        }
        if self.wrong_reply.load(Relaxed) > 0 {
            failures.push("replies answered the wrong requests".to_string());
        }
        failures
    }

    /// Prints `failures` and the last line; the exit code.
    fn verdict(&self, failures: &[String], end: &End) -> i32 {
        for f in failures {
            eprintln!("soak: FAILED: {f}");
        }
        println!(
            "soak: {} acknowledged, lost {}, rss growth {:.1}%",
            self.ok.load(Relaxed),
            self.lost.load(Relaxed),
            end.growth()
        );
        i32::from(!failures.is_empty())
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("soak: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let code = match (&args.worker_node, args.nodes) {
        (Some(worker), _) => nodes::worker_node(worker),
        (None, Some(n)) => nodes::run(&args, n),
        (None, None) => Runtime::tokio().block_on(run(args)),
    };
    std::process::exit(code);
}
