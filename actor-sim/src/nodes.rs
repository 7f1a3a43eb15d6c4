//! `robot-world --nodes N`: the World on this node, the robots on N − 1
//! robot nodes, each an OS process (this binary run again with the hidden
//! flag `--robot-node`), all of one actor-net cluster on a NATS server.
//!
//! The World node registers a gatherer under the global name
//! [`HOSTS_NAME`] and starts the robot nodes; each robot node starts a
//! host process and sends its pid to the gatherer. A supervisor on the
//! World node then starts every robot: its start function asks the World
//! for the robot's state and a live host (round robin) to spawn the robot,
//! whose pid comes back inside the reply. The supervisor is linked to
//! every robot and the World monitors them, across nodes.
//!
//! When a robot node is lost, the links fire `noconnection` and the
//! supervisor starts the lost robots again on the remaining hosts, from
//! the state the World holds. The World starts a tick only when every
//! robot is joined and has answered the last one: a robot that had not
//! answered when its node was lost is sent the tick's `COLLISION` (if it
//! hit a wall) and `WORLD_STATE` again when it joins. A robot's brain is
//! its angle and velocity, which the World holds, so the restarted robot
//! answers what the lost one would have, and the trace is the same, byte
//! for byte, as the single-process run's: the loss shows in it only as
//! time (the grace period before the node is declared down).
//!
//! Only the World writes the trace, tick after tick. Over the wire a robot
//! is sent the tick number for `WORLD_STATE`, not the snapshot: robots do
//! not read it, and a snapshot of many robots per robot per tick would be
//! quadratic.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actor_core::{
    AnyPid, CallError, ChildSpec, Ctx, Down, ExitReason, Pid, ProcessId, Reply, Restart, Runtime,
    Shutdown, StartError, Strategy, Supervisor, spawn,
};
use actor_net::{NatsServer, Node, NodeConfig};
use actor_sim::display::Recorder;
use actor_sim::rules::{self, RobotBrain, RobotId, RobotState, Step};
use actor_sim::world::{RobotRecord, WorldState, WorldStats};
use actor_sim::{Report, Scenario, SimError};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

/// The global name of the World node's gatherer of robot hosts.
const HOSTS_NAME: &str = "robot-world";

/// How long the robot nodes may take to connect and say hello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a call between the World node and a host may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// How long robot nodes may take to exit once the World node is gone.
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// What a run across nodes is asked to do.
#[derive(Debug, Clone)]
pub(crate) struct NodesConfig {
    /// Nodes in all, the World's included (at least 2).
    pub(crate) nodes: usize,
    /// A NATS server to use; `None` starts one for the run.
    pub(crate) nats: Option<String>,
    /// The actor-net cluster (subject prefix).
    pub(crate) cluster: String,
    /// The program run as a robot node (this binary).
    pub(crate) program: PathBuf,
    /// Kill the first robot node's OS process when this tick begins.
    pub(crate) kill_node_at: Option<u64>,
    /// The grace period of every node (actor-net's default if `None`).
    pub(crate) grace: Option<Duration>,
    /// tokio's current-thread runtime rather than the multi-thread one.
    pub(crate) current_thread: bool,
}

/// What a run across nodes did.
#[derive(Debug)]
pub(crate) struct NodesReport {
    /// The run, as a single-process run reports it.
    pub(crate) report: Report,
    /// Robot nodes started.
    pub(crate) robot_nodes: usize,
    /// Robot nodes lost during the run.
    pub(crate) lost: usize,
    /// Robots started again after their node was lost (or they died).
    pub(crate) restarted: u64,
    /// Of those, the robots sent their tick again because they had not
    /// answered it.
    pub(crate) replayed: u64,
    /// The NATS server used, and whether the run started it.
    pub(crate) nats: (String, bool),
}

/// Messages of the World of a run across nodes.
#[derive(Serialize, Deserialize)]
enum ToWorld {
    /// `JOIN` from a robot.
    Join {
        id: RobotId,
        pid: Pid<ToRobot>,
        state: RobotState,
    },
    /// `UPDATE_VECTOR`, for the tick it answers.
    UpdateVector {
        id: RobotId,
        tick: u64,
        angle: f64,
        velocity: f64,
    },
    /// The robots' supervisor asks for the state of a robot it starts.
    Held {
        id: RobotId,
        reply: Reply<Option<RobotState>>,
    },
    /// A robot ended (or its node was lost).
    Down(Down),
}

impl From<Down> for ToWorld {
    fn from(d: Down) -> Self {
        Self::Down(d)
    }
}

/// What the World sends a robot.
#[derive(Serialize, Deserialize)]
enum ToRobot {
    /// `COLLISION`.
    Collision,
    /// `WORLD_STATE` of this tick.
    WorldState { tick: u64 },
}

/// What a robot node's host is asked.
#[derive(Serialize, Deserialize)]
enum ToHost {
    /// Spawn robot `id` with `state`, joining `world`; answer its pid.
    Start {
        id: RobotId,
        state: RobotState,
        world: Pid<ToWorld>,
        reply: Reply<Pid<ToRobot>>,
    },
}

/// A robot node's hello to the World node's gatherer.
#[derive(Serialize, Deserialize)]
struct Hello {
    /// The robot node's number, from 1.
    index: usize,
    /// Its host.
    host: Pid<ToHost>,
}

/// What the World node hears of its robot nodes.
enum Event {
    Hello(Hello),
    Exited(usize, std::io::Result<ExitStatus>),
}

/// Runs `scenario` for `ticks` ticks across nodes, the trace (and any
/// picture) written by `recorder` on this node.
pub(crate) fn run(
    scenario: &Scenario,
    ticks: u64,
    config: &NodesConfig,
    recorder: Recorder,
) -> Result<NodesReport, SimError> {
    if config.nodes < 2 {
        return Err(SimError::Invalid(
            "--nodes needs at least 2: the World's and one for robots".into(),
        ));
    }
    let start = Instant::now();
    let server = match &config.nats {
        Some(_) => None,
        None => Some(NatsServer::start().map_err(SimError::Net)?),
    };
    let url = match (&config.nats, &server) {
        (Some(url), _) => url.clone(),
        (None, Some(server)) => server.url(),
        (None, None) => unreachable!("a server was started"),
    };
    let runtime = if config.current_thread {
        Runtime::tokio_current_thread()
    } else {
        Runtime::tokio()
    };
    let outcome = runtime.block_on(world_node(
        scenario.clone(),
        ticks,
        config,
        &url,
        recorder,
        start,
    ));
    drop(server);
    let outcome = outcome?;
    Ok(NodesReport {
        report: outcome.report,
        robot_nodes: config.nodes - 1,
        lost: outcome.lost,
        restarted: outcome.restarted,
        replayed: outcome.replayed,
        nats: (url, config.nats.is_none()),
    })
}

/// [`NodesReport`] in the making.
struct Outcome {
    report: Report,
    lost: usize,
    restarted: u64,
    replayed: u64,
}

/// The robot nodes' OS processes: each waited for by a task, which kills
/// it when asked.
struct RobotNodes {
    kills: Vec<Option<oneshot::Sender<()>>>,
    waits: Vec<tokio::task::JoinHandle<()>>,
}

impl RobotNodes {
    /// Starts robot nodes `1..=count`; their exits are reported to `events`.
    fn start(
        config: &NodesConfig,
        url: &str,
        count: usize,
        events: &mpsc::UnboundedSender<Event>,
    ) -> Result<RobotNodes, SimError> {
        let mut nodes = RobotNodes {
            kills: Vec::new(),
            waits: Vec::new(),
        };
        for index in 1..=count {
            let mut command = tokio::process::Command::new(&config.program);
            command
                .args(["--robot-node", &index.to_string(), "--nats", url])
                .args(["--cluster", &config.cluster]);
            if let Some(grace) = config.grace {
                command.args(["--grace", &grace.as_secs_f64().to_string()]);
            }
            let mut child = command
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|source| SimError::Io {
                    action: "start a robot node",
                    path: config.program.clone(),
                    source,
                })?;
            let (kill, killed) = oneshot::channel();
            let events = events.clone();
            nodes.kills.push(Some(kill));
            nodes.waits.push(tokio::spawn(async move {
                let status = tokio::select! {
                    status = child.wait() => status,
                    Ok(()) = killed => {
                        let _ = child.start_kill();
                        child.wait().await
                    }
                };
                let _ = events.send(Event::Exited(index, status));
            }));
        }
        Ok(nodes)
    }

    /// Kills robot node `index` (`SIGKILL`: no goodbye).
    fn kill(&mut self, index: usize) {
        if let Some(kill) = self.kills.get_mut(index - 1).and_then(Option::take) {
            let _ = kill.send(());
        }
    }

    /// Waits for every robot node to exit, killing those still running
    /// after [`EXIT_TIMEOUT`].
    async fn finish(mut self) {
        let deadline = tokio::time::Instant::now() + EXIT_TIMEOUT;
        for (i, wait) in self.waits.iter_mut().enumerate() {
            if tokio::time::timeout_at(deadline, &mut *wait).await.is_err() {
                if let Some(kill) = self.kills[i].take() {
                    let _ = kill.send(());
                }
                let _ = wait.await;
            }
        }
    }
}

/// The hosts of the live robot nodes, handed out in turn.
struct Hosts {
    list: Vec<Pid<ToHost>>,
    next: AtomicUsize,
}

impl Hosts {
    /// The next host whose node is not known to be lost.
    fn next(&self) -> Option<Pid<ToHost>> {
        let alive: Vec<&Pid<ToHost>> = self.list.iter().filter(|h| h.is_alive()).collect();
        if alive.is_empty() {
            return None;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Some(alive[n % alive.len()].clone())
    }

    fn lost(&self) -> usize {
        self.list.iter().filter(|h| !h.is_alive()).count()
    }
}

/// The World node: NATS, the robot nodes, the robots' supervisor, the World.
async fn world_node(
    scenario: Scenario,
    ticks: u64,
    config: &NodesConfig,
    url: &str,
    recorder: Recorder,
    setup_from: Instant,
) -> Result<Outcome, SimError> {
    let node = Node::connect(node_config(url, &config.cluster, "world", config.grace))
        .await
        .map_err(SimError::Net)?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let hello_tx = events_tx.clone();
    let gatherer = spawn(move |mut ctx: Ctx<Hello>| async move {
        loop {
            if hello_tx.send(Event::Hello(ctx.recv().await)).is_err() {
                return;
            }
        }
    });
    match node.register_global(HOSTS_NAME, &gatherer).await {
        Ok(()) => {}
        Err(actor_net::Error::AlreadyRegistered { .. }) => {
            return Err(SimError::Invalid(format!(
                "a robot world already runs in cluster {:?} on {url}: choose another with --cluster",
                config.cluster
            )));
        }
        Err(e) => return Err(SimError::Net(e)),
    }
    let count = config.nodes - 1;
    let mut robot_nodes = RobotNodes::start(config, url, count, &events_tx)?;
    let hosts = gather(&mut events, count).await;
    let hosts = match hosts {
        Ok(hosts) => Arc::new(hosts),
        Err(e) => {
            node.shutdown().await;
            robot_nodes.finish().await;
            return Err(e);
        }
    };

    let (done_tx, mut done) = oneshot::channel();
    let (ticking_tx, ticking) = oneshot::channel();
    let (kill_tx, mut kill_rx) = mpsc::unbounded_channel::<usize>();
    let mut world = World::new(&scenario);
    let kill = config.kill_node_at.map(|tick| (tick, kill_tx));
    let world_pid = spawn(move |mut ctx: Ctx<ToWorld>| async move {
        let result = world
            .run(&mut ctx, ticks, recorder, kill, ticking_tx)
            .await
            .map(|recorded| (world, recorded));
        let _ = done_tx.send(result);
    });
    let supervisor = match start_robots(&scenario, &world_pid, &hosts).await {
        Ok(sup) => sup,
        Err(e) => {
            world_pid.kill();
            node.shutdown().await;
            robot_nodes.finish().await;
            return Err(e);
        }
    };

    // Until the World is done: kill a robot node when it says so; stop if
    // the supervisor gives up (no robot node left to start robots on).
    let result = {
        let gave_up = supervisor.wait();
        tokio::pin!(gave_up);
        loop {
            tokio::select! {
                result = &mut done => {
                    break result.map_err(|_| SimError::Actor("the World ended without a result".into()));
                }
                Some(index) = kill_rx.recv() => robot_nodes.kill(index),
                reason = &mut gave_up => {
                    world_pid.kill();
                    break Err(SimError::Actor(format!(
                        "the robots' supervisor gave up ({reason}): no robot node is left to run them"
                    )));
                }
            }
        }
    };
    let finished_at = Instant::now();
    let ticking_from = ticking.await.unwrap_or(finished_at);
    let lost = hosts.lost();
    supervisor.kill();
    gatherer.kill();
    node.shutdown().await;
    robot_nodes.finish().await;
    let (world, recorded) = result??;
    Ok(Outcome {
        report: Report {
            robots: scenario.len(),
            joined_at_end: world.joined,
            stats: world.stats,
            kills: 0,
            setup: ticking_from.duration_since(setup_from),
            ticking: finished_at.duration_since(ticking_from),
            recorded,
        },
        lost,
        restarted: world.stats.rejoins,
        replayed: world.replayed,
    })
}

/// Waits for every robot node's hello.
async fn gather(
    events: &mut mpsc::UnboundedReceiver<Event>,
    count: usize,
) -> Result<Hosts, SimError> {
    let mut hosts: Vec<Option<Pid<ToHost>>> = vec![None; count];
    let mut missing = count;
    let deadline = tokio::time::Instant::now() + HELLO_TIMEOUT;
    while missing > 0 {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(Event::Hello(Hello { index, host }))) => {
                if let Some(slot @ None) = hosts.get_mut(index.wrapping_sub(1)) {
                    *slot = Some(host);
                    missing -= 1;
                }
            }
            Ok(Some(Event::Exited(index, status))) => {
                let status = match status {
                    Ok(s) => s.to_string(),
                    Err(e) => e.to_string(),
                };
                return Err(SimError::Actor(format!(
                    "robot node {index} ended before it joined ({status})"
                )));
            }
            Ok(None) => unreachable!("the World node holds a sender"),
            Err(_) => {
                return Err(SimError::Actor(format!(
                    "{missing} robot node(s) did not join within {HELLO_TIMEOUT:?}"
                )));
            }
        }
    }
    Ok(Hosts {
        list: hosts.into_iter().flatten().collect(),
        next: AtomicUsize::new(0),
    })
}

/// The robots' supervisor: one child per robot, started on a host in turn,
/// from the state the World holds for it.
async fn start_robots(
    scenario: &Scenario,
    world: &Pid<ToWorld>,
    hosts: &Arc<Hosts>,
) -> Result<Pid<actor_core::SupervisorMsg>, SimError> {
    // Enough for every robot to be restarted three times within the
    // window; with no host left, starts fail at once and it gives up.
    let intensity = u32::try_from(scenario.len().saturating_mul(3)).unwrap_or(u32::MAX);
    let mut sup =
        Supervisor::new(Strategy::OneForOne).intensity(intensity, Duration::from_secs(10));
    for spec in scenario.robots() {
        let id = spec.id;
        let (world, hosts) = (world.clone(), hosts.clone());
        sup = sup.child(
            ChildSpec::new(format!("robot-{id}"), move || {
                let (world, hosts) = (world.clone(), hosts.clone());
                async move { start_robot(id, world, &hosts).await }
            })
            // A robot ends normally only when the World is gone.
            .restart(Restart::Transient)
            .shutdown(Shutdown::BrutalKill),
        );
    }
    sup.start()
        .await
        .map_err(|e| SimError::Actor(format!("robots' supervisor: {e}")))
}

/// Starts robot `id` on the next live host.
async fn start_robot(
    id: RobotId,
    world: Pid<ToWorld>,
    hosts: &Hosts,
) -> Result<AnyPid, StartError> {
    let failed = |e: CallError| match e {
        CallError::Exited(reason) => StartError::Failed(reason),
        other => StartError::Failed(ExitReason::other(other.to_string())),
    };
    let state = world
        .call(|reply| ToWorld::Held { id, reply }, CALL_TIMEOUT)
        .await
        .map_err(failed)?
        .ok_or_else(|| StartError::Failed(ExitReason::other(format!("no robot {id}"))))?;
    let host = hosts
        .next()
        .ok_or_else(|| StartError::Failed(ExitReason::other("no robot node is left")))?;
    let robot = host
        .call(
            |reply| ToHost::Start {
                id,
                state,
                world,
                reply,
            },
            CALL_TIMEOUT,
        )
        .await
        .map_err(failed)?;
    Ok(AnyPid::from(robot))
}

/// The World of a run across nodes: what it holds for each robot, who is
/// joined, who has answered.
struct World {
    /// Position, angle and velocity of each robot, by id − 1.
    held: Vec<RobotState>,
    /// Each robot's current process, while it is joined.
    robots: Vec<Option<Pid<ToRobot>>>,
    ever_joined: Vec<bool>,
    /// Robot by process, for `Down`.
    incarnations: HashMap<ProcessId, usize>,
    joined: usize,
    /// Whether the robot hit a wall in the current tick.
    collided: Vec<bool>,
    /// Whether the World waits for the robot's answer to the current tick.
    awaited: Vec<bool>,
    outstanding: usize,
    /// The tick being answered.
    tick: Option<u64>,
    stats: WorldStats,
    replayed: u64,
}

impl World {
    fn new(scenario: &Scenario) -> World {
        let n = scenario.len();
        World {
            held: scenario.robots().iter().map(|r| r.state).collect(),
            robots: vec![None; n],
            ever_joined: vec![false; n],
            incarnations: HashMap::new(),
            joined: 0,
            collided: vec![false; n],
            awaited: vec![false; n],
            outstanding: 0,
            tick: None,
            stats: WorldStats::default(),
            replayed: 0,
        }
    }

    fn index(&self, id: RobotId) -> Result<usize, SimError> {
        match (id as usize).checked_sub(1) {
            Some(i) if i < self.held.len() => Ok(i),
            _ => Err(SimError::UnknownRobot(id)),
        }
    }

    /// Waits for every robot to join, runs the ticks, and returns what the
    /// recorder wrote.
    async fn run(
        &mut self,
        ctx: &mut Ctx<ToWorld>,
        ticks: u64,
        mut recorder: Recorder,
        mut kill: Option<(u64, mpsc::UnboundedSender<usize>)>,
        ticking: oneshot::Sender<Instant>,
    ) -> Result<actor_sim::display::Recorded, SimError> {
        let n = self.held.len();
        while self.joined < n {
            let msg = ctx.recv().await;
            self.handle(ctx, msg)?;
        }
        let _ = ticking.send(Instant::now());
        for tick in 0..ticks {
            if let Some((_, killer)) = kill.take_if(|(at, _)| *at == tick) {
                let _ = killer.send(1);
            }
            let state = self.begin_tick(tick);
            recorder.observe(Arc::new(state))?;
            while self.outstanding > 0 || self.joined < n {
                let msg = ctx.recv().await;
                self.handle(ctx, msg)?;
            }
        }
        recorder.finish()
    }

    /// Moves every robot, sends `COLLISION` and `WORLD_STATE`, and returns
    /// the tick's `WORLD_STATE`.
    fn begin_tick(&mut self, tick: u64) -> WorldState {
        let mut records = Vec::with_capacity(self.held.len());
        for (i, held) in self.held.iter_mut().enumerate() {
            match rules::step(held) {
                Step::Moved { x, y } => {
                    held.x = x;
                    held.y = y;
                    self.collided[i] = false;
                }
                // Step::Collided (the enum is non-exhaustive).
                _ => {
                    self.collided[i] = true;
                    self.stats.collisions += 1;
                }
            }
            records.push(RobotRecord {
                id: i as RobotId + 1,
                state: *held,
            });
        }
        self.tick = Some(tick);
        self.outstanding = self.held.len();
        self.awaited.fill(true);
        for i in 0..self.held.len() {
            self.send_tick(i, tick);
        }
        self.stats.ticks += 1;
        WorldState {
            tick,
            robots: records,
        }
    }

    /// Sends robot `i` the current tick's messages.
    fn send_tick(&mut self, i: usize, tick: u64) {
        let Some(pid) = &self.robots[i] else { return };
        // A robot whose node is lost is started again and sent the tick
        // once it joins: a failed send needs nothing more.
        if self.collided[i] {
            let _ = pid.try_send(ToRobot::Collision);
            self.stats.messages += 1;
        }
        let _ = pid.try_send(ToRobot::WorldState { tick });
        self.stats.messages += 1;
    }

    fn handle(&mut self, ctx: &Ctx<ToWorld>, msg: ToWorld) -> Result<(), SimError> {
        match msg {
            ToWorld::Join { id, pid, state } => {
                let i = self.index(id)?;
                if let Some(old) = self.robots[i].take() {
                    if old.id() == pid.id() {
                        return Err(SimError::AlreadyJoined(id));
                    }
                    // The JOIN of a restarted robot overtook the `Down` of
                    // its previous process.
                    self.incarnations.remove(&old.id());
                    self.joined -= 1;
                    self.stats.downs += 1;
                }
                ctx.monitor(&pid);
                if self.ever_joined[i] {
                    // The World's record wins over the state sent.
                    self.stats.rejoins += 1;
                } else {
                    self.held[i] = state;
                    self.ever_joined[i] = true;
                }
                self.incarnations.insert(pid.id(), i);
                self.robots[i] = Some(pid);
                self.joined += 1;
                self.stats.messages += 1;
                if let Some(tick) = self.tick.filter(|_| self.awaited[i]) {
                    self.replayed += 1;
                    self.send_tick(i, tick);
                }
            }
            ToWorld::UpdateVector {
                id,
                tick,
                angle,
                velocity,
            } => {
                let i = self.index(id)?;
                // An answer to the current tick, not yet had: a restarted
                // robot answers it again if its first answer was lost.
                if self.tick == Some(tick) && self.awaited[i] {
                    self.held[i].angle = angle;
                    self.held[i].velocity = velocity;
                    self.awaited[i] = false;
                    self.outstanding -= 1;
                    self.stats.messages += 1;
                }
            }
            ToWorld::Held { id, reply } => {
                let held = self.index(id).ok().map(|i| self.held[i]);
                let _ = reply.send(held);
            }
            ToWorld::Down(down) => {
                if let Some(i) = self.incarnations.remove(&down.id) {
                    self.robots[i] = None;
                    self.joined -= 1;
                    self.stats.downs += 1;
                }
            }
        }
        Ok(())
    }
}

/// A robot node: connects, says hello to the World node with its host, and
/// runs robots until the World node is gone.
pub(crate) fn robot_node(
    index: usize,
    nats: &str,
    cluster: &str,
    grace: Option<Duration>,
) -> Result<(), SimError> {
    Runtime::tokio().block_on(async {
        let name = format!("robots-{index}");
        let node = Node::connect(node_config(nats, cluster, &name, grace))
            .await
            .map_err(SimError::Net)?;
        let gatherer = node
            .whereis_global::<Hello>(HOSTS_NAME)
            .await
            .map_err(SimError::Net)?
            .ok_or_else(|| {
                SimError::Actor(format!(
                    "no robot world in cluster {cluster:?} on {nats} to join"
                ))
            })?;
        let world_node = gatherer.id().node;
        until_up(&node, world_node).await?;
        let world_down = node.monitor_node(world_node);
        let host = spawn(|mut ctx: Ctx<ToHost>| async move {
            loop {
                let ToHost::Start {
                    id,
                    state,
                    world,
                    reply,
                } = ctx.recv().await;
                let robot = spawn(move |ctx: Ctx<ToRobot>| robot_body(ctx, id, state, world));
                let _ = reply.send(robot);
            }
        });
        if gatherer.try_send(Hello { index, host }).is_err() {
            return Err(SimError::Actor("cannot say hello to the World node".into()));
        }
        world_down.await;
        node.shutdown().await;
        Ok(())
    })
}

/// The configuration of a node of the run.
fn node_config(url: &str, cluster: &str, name: &str, grace: Option<Duration>) -> NodeConfig {
    let config = NodeConfig::new(url, cluster, name);
    match grace {
        Some(grace) => config.grace(grace),
        None => config,
    }
}

/// Returns once `node` sees `other` up.
async fn until_up(node: &Node, other: actor_core::NodeId) -> Result<(), SimError> {
    node.until_up(other, HELLO_TIMEOUT)
        .await
        .map_err(|e| SimError::Actor(format!("the World node ({}) did not come up: {e}", other.0)))
}

/// The seed's `Robot`: joins, turns on `COLLISION`, turns and answers
/// `UPDATE_VECTOR` on `WORLD_STATE`.
async fn robot_body(mut ctx: Ctx<ToRobot>, id: RobotId, state: RobotState, world: Pid<ToWorld>) {
    let join = ToWorld::Join {
        id,
        pid: ctx.pid(),
        state,
    };
    if world.try_send(join).is_err() {
        return;
    }
    let mut brain = RobotBrain::new(state.angle, state.velocity);
    loop {
        match ctx.recv().await {
            ToRobot::Collision => brain.on_collision(),
            ToRobot::WorldState { tick } => {
                let (angle, velocity) = brain.on_world_state();
                let update = ToWorld::UpdateVector {
                    id,
                    tick,
                    angle,
                    velocity,
                };
                if world.try_send(update).is_err() {
                    return;
                }
            }
        }
    }
}
