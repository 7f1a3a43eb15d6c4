//! The robot world as processes: one World, one Display, one process per
//! Robot, the robots under a supervisor.
//!
//! The protocol is the seed's: robots send [`ToWorld::Join`] with their
//! position, angle and velocity; the Display sends
//! [`ToWorld::JoinDisplay`]; each tick the World sends
//! [`FromWorld::Collision`] to robots that hit a wall and
//! [`FromWorld::WorldState`] (one shared snapshot) to everyone; robots answer
//! [`ToWorld::UpdateVector`]. The World starts tick 0 once every actor has
//! joined and starts the next tick only when every robot has answered (or
//! has died: it monitors them), so a run gives the same trace on any runtime.
//!
//! With chaos, the World kills random robots each tick; their supervisor
//! restarts them and they join again with the state the World last held
//! for them, which they ask for with [`ToWorld::Held`].

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use actor_core::deterministic::{self, Config};
use actor_core::{
    AnyPid, ChildSpec, Ctx, Down, Pid, ProcessId, Reply, Restart, Runtime, Shutdown, Strategy,
    Supervisor, spawn,
};
use actor_observer::Serving;
use tokio::sync::oneshot;

use crate::display::{Recorded, Recorder};
use crate::error::SimError;
use crate::live::LiveView;
use crate::rules::{RobotBrain, RobotId, RobotState};
use crate::scenario::{Scenario, SplitMix64};
use crate::world::{Outgoing, WorldCore, WorldStats};

/// How many robots the World sends `WORLD_STATE` to before it yields: the
/// robots woken so far then run while their mailboxes are still in cache.
/// Measured on 100,000 robots: 512 does about 20% better than no slicing.
const BROADCAST_SLICE: usize = 512;

/// How long a restarted robot waits for the World to tell it its state.
const HELD_TIMEOUT: Duration = Duration::from_secs(60);

/// How long, after the last tick, the World waits for robots killed by
/// chaos to join again.
const REJOIN_GRACE: Duration = Duration::from_secs(10);

/// Messages the World receives.
///
/// Robots and the Display build them; the process functions of this module
/// do so for the robot world, so most users never need to.
///
/// # Examples
///
/// ```
/// use actor_core::{NodeId, ProcessId};
/// use actor_sim::sim::ToWorld;
///
/// let from = ProcessId { node: NodeId::LOCAL, serial: 7 };
/// let msg = ToWorld::UpdateVector { id: 1, from, angle: 135.5, velocity: 5.0 };
/// assert_eq!(format!("{msg:?}"), "UPDATE_VECTOR(1, 135.5, 5)");
/// ```
#[non_exhaustive]
pub enum ToWorld {
    /// `JOIN` from a robot: its id, its process and the state it joins with.
    Join {
        /// The robot's id.
        id: RobotId,
        /// Where to send it `COLLISION` and `WORLD_STATE`.
        pid: Pid<FromWorld>,
        /// Position, angle and velocity.
        state: RobotState,
    },
    /// `JOIN` from the Display: no position, it only watches.
    JoinDisplay {
        /// Where to send `WORLD_STATE`.
        pid: Pid<FromWorld>,
    },
    /// `UPDATE_VECTOR`: the robot's angle and velocity for the next tick.
    UpdateVector {
        /// The robot's id.
        id: RobotId,
        /// The process that sends it (an answer from a dead incarnation is ignored).
        from: ProcessId,
        /// New heading, degrees.
        angle: f64,
        /// New speed.
        velocity: f64,
    },
    /// A restarted robot asks for the state the World holds for it.
    Held {
        /// The robot's id.
        id: RobotId,
        /// Where the answer goes.
        reply: Reply<Option<RobotState>>,
    },
    /// A monitored robot or Display ended.
    Down(Down),
}

impl From<Down> for ToWorld {
    fn from(d: Down) -> Self {
        Self::Down(d)
    }
}

impl std::fmt::Debug for ToWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Join { id, state, .. } => write!(f, "JOIN({id}, {state:?})"),
            Self::JoinDisplay { .. } => f.write_str("JOIN(Display)"),
            Self::UpdateVector {
                id,
                angle,
                velocity,
                ..
            } => write!(f, "UPDATE_VECTOR({id}, {angle}, {velocity})"),
            Self::Held { id, .. } => write!(f, "HELD({id})"),
            Self::Down(d) => write!(f, "DOWN({:?})", d.id),
        }
    }
}

/// Messages robots and the Display receive from the World.
///
/// # Examples
///
/// ```
/// use actor_sim::sim::FromWorld;
///
/// let msg = FromWorld::Collision;
/// assert!(matches!(msg, FromWorld::Collision));
/// ```
pub type FromWorld = Outgoing;

/// Which runtime runs the processes.
///
/// # Examples
///
/// ```
/// use actor_sim::{RuntimeKind, SimConfig};
///
/// let config = SimConfig { runtime: RuntimeKind::Deterministic { seed: 7 }, ..SimConfig::default() };
/// assert_ne!(config.runtime, RuntimeKind::Tokio);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuntimeKind {
    /// tokio's multi-thread runtime.
    Tokio,
    /// tokio's current-thread runtime.
    TokioCurrentThread,
    /// actor-core's deterministic runtime, with this seed for its choices.
    Deterministic {
        /// The scheduler's seed.
        seed: u64,
    },
}

/// How to run the world.
///
/// # Examples
///
/// ```
/// let config = actor_sim::SimConfig { ticks: 10, ..actor_sim::SimConfig::default() };
/// assert_eq!(config.chaos, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// How many ticks (at least 1).
    pub ticks: u64,
    /// The runtime.
    pub runtime: RuntimeKind,
    /// Robots killed per tick.
    pub chaos: u32,
    /// Seed for choosing the robots to kill.
    pub chaos_seed: u64,
    /// The least time a tick takes: the World waits before starting the
    /// next tick until this much has passed since the last one started
    /// (by the runtime's clock). Zero, the default, runs flat out; a live
    /// view is easier to follow at 20 to 50 ms.
    pub tick_interval: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            ticks: 1000,
            runtime: RuntimeKind::Tokio,
            chaos: 0,
            chaos_seed: 1,
            tick_interval: Duration::ZERO,
        }
    }
}

/// What a run did.
///
/// # Examples
///
/// ```
/// use actor_sim::{display::Outputs, Scenario, SimConfig};
///
/// let config = SimConfig { ticks: 10, ..SimConfig::default() };
/// let report = actor_sim::run(&Scenario::seed(), &config, Outputs::default().prepare()?)?;
/// assert_eq!((report.robots, report.stats.ticks), (12, 10));
/// assert!(report.stats.collisions > 0);
/// # Ok::<(), actor_sim::SimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    /// Robots in the world.
    pub robots: usize,
    /// Robots joined (alive) when the run ended.
    pub joined_at_end: usize,
    /// The World's counters: ticks, collisions, messages, rejoins, downs.
    pub stats: WorldStats,
    /// Robots killed by chaos.
    pub kills: u64,
    /// Wall time from starting the runtime until every actor had joined.
    pub setup: Duration,
    /// Wall time from tick 0 to the World's end.
    pub ticking: Duration,
    /// What the Display wrote.
    pub recorded: Recorded,
}

impl Report {
    /// Wall time of the run: setup and ticking.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actor_sim::{Report, world::WorldStats, display::Recorded};
    /// # use std::time::Duration;
    /// let report = Report {
    ///     robots: 1,
    ///     joined_at_end: 1,
    ///     stats: WorldStats::default(),
    ///     kills: 0,
    ///     setup: Duration::from_millis(20),
    ///     ticking: Duration::from_millis(80),
    ///     recorded: Recorded::default(),
    /// };
    /// assert_eq!(report.wall(), Duration::from_millis(100));
    /// ```
    #[must_use]
    pub fn wall(&self) -> Duration {
        self.setup + self.ticking
    }

    /// Robot-ticks per second while ticking (setup, the spawning and
    /// joining of every process, is not counted: see [`Report::setup`]).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actor_sim::{Report, world::WorldStats, display::Recorded};
    /// let report = Report {
    ///     robots: 10,
    ///     joined_at_end: 10,
    ///     stats: WorldStats { ticks: 100, ..WorldStats::default() },
    ///     kills: 0,
    ///     setup: std::time::Duration::from_millis(100),
    ///     ticking: std::time::Duration::from_millis(500),
    ///     recorded: Recorded::default(),
    /// };
    /// assert_eq!(report.robot_ticks_per_sec(), 2000.0);
    /// ```
    #[must_use]
    pub fn robot_ticks_per_sec(&self) -> f64 {
        let secs = self.ticking.as_secs_f64();
        if secs > 0.0 {
            self.robots as f64 * self.stats.ticks as f64 / secs
        } else {
            0.0
        }
    }
}

/// Runs the world of `scenario` as processes and feeds every `WORLD_STATE`
/// to `recorder` (the Display's work).
///
/// # Errors
///
/// [`SimError::Invalid`] for 0 ticks; whatever the recorder fails with; [`SimError::Actor`] if a process the
/// run needs ends early or the deterministic runtime deadlocks.
///
/// # Examples
///
/// ```
/// use actor_sim::{display::Outputs, RuntimeKind, Scenario, SimConfig};
///
/// let config = SimConfig { ticks: 5, runtime: RuntimeKind::Deterministic { seed: 1 }, ..SimConfig::default() };
/// let report = actor_sim::run(&Scenario::seed(), &config, Outputs::default().prepare()?)?;
/// assert_eq!(report.stats.ticks, 5);
/// assert_eq!(report.joined_at_end, 12);
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub fn run(
    scenario: &Scenario,
    config: &SimConfig,
    recorder: Recorder,
) -> Result<Report, SimError> {
    run_with(scenario, config, recorder, None)
}

/// Where to serve the observer and the live view, and whom to tell.
type Observing = (SocketAddr, Box<dyn FnOnce(&Serving) + Send>);

/// Runs the world as [`run`] does, and while it runs serves the observer on
/// `addr` with the live view of the world at `world` (see [`live`]):
/// `announce` is called with the running server (its address and token)
/// before the first tick. The server stops when the run ends.
///
/// # Errors
///
/// As [`run`]; [`SimError::Observer`] if the address cannot be served;
/// [`SimError::Invalid`] on the deterministic runtime, which has no
/// sockets.
///
/// [`live`]: crate::live
///
/// # Examples
///
/// ```
/// use actor_sim::{display::Outputs, Scenario, SimConfig};
///
/// let config = SimConfig { ticks: 20, ..SimConfig::default() };
/// let (tx, rx) = std::sync::mpsc::channel();
/// let report = actor_sim::run_observed(
///     &Scenario::seed(),
///     &config,
///     Outputs::default().prepare()?,
///     "127.0.0.1:0".parse().unwrap(),
///     move |serving| tx.send(serving.url()).unwrap(),
/// )?;
/// assert_eq!(report.stats.ticks, 20);
/// assert!(rx.recv().unwrap().starts_with("http://127.0.0.1:"));
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub fn run_observed(
    scenario: &Scenario,
    config: &SimConfig,
    recorder: Recorder,
    addr: SocketAddr,
    announce: impl FnOnce(&Serving) + Send + 'static,
) -> Result<Report, SimError> {
    if matches!(config.runtime, RuntimeKind::Deterministic { .. }) {
        return Err(SimError::Invalid(
            "the observer needs a tokio runtime: the deterministic runtime has no sockets".into(),
        ));
    }
    run_with(scenario, config, recorder, Some((addr, Box::new(announce))))
}

fn run_with(
    scenario: &Scenario,
    config: &SimConfig,
    recorder: Recorder,
    observing: Option<Observing>,
) -> Result<Report, SimError> {
    if config.ticks == 0 {
        return Err(SimError::Invalid("the run needs at least one tick".into()));
    }
    let start = Instant::now();
    let fut = run_world(scenario.clone(), config.clone(), recorder, observing);
    let (world, recorded, ticking_from, finished_at) = match config.runtime {
        RuntimeKind::Tokio => Runtime::tokio().block_on(fut)?,
        RuntimeKind::TokioCurrentThread => Runtime::tokio_current_thread().block_on(fut)?,
        // A world is as long as its robots and ticks make it: no step
        // budget or watchdog (they are for finding livelocks in tests).
        RuntimeKind::Deterministic { seed } => {
            let config = Config::seeded(seed).max_steps(u64::MAX).no_watchdog();
            deterministic::run(config, fut)
                .result
                .map_err(|e| SimError::Actor(e.to_string()))??
        }
    };
    Ok(Report {
        robots: scenario.len(),
        joined_at_end: world.joined_at_end,
        stats: world.stats,
        kills: world.kills,
        setup: ticking_from.duration_since(start),
        ticking: finished_at.duration_since(ticking_from),
        recorded,
    })
}

struct WorldOutcome {
    stats: WorldStats,
    joined_at_end: usize,
    kills: u64,
    /// When the last tick's answers were in.
    finished_at: Instant,
}

fn actor_err(what: &str) -> impl FnOnce(oneshot::error::RecvError) -> SimError + '_ {
    move |_| SimError::Actor(format!("the {what} ended without a result"))
}

/// Robots per supervisor: a tree of small supervisors rather than one with
/// 100,000 children keeps each supervisor's bookkeeping short.
const ROBOTS_PER_SUPERVISOR: usize = 256;

/// Starts every robot under a two-level supervision tree: a root
/// supervisor over shards of [`ROBOTS_PER_SUPERVISOR`] robots each. A
/// killed robot is restarted by its shard's supervisor.
async fn start_robots(
    scenario: &Scenario,
    world: &Pid<ToWorld>,
) -> Result<Pid<actor_core::SupervisorMsg>, SimError> {
    // Whether a robot's next start is its first: later starts are restarts,
    // which ask the World for the state it holds.
    let first_start: Arc<[AtomicBool]> = scenario
        .robots()
        .iter()
        .map(|_| AtomicBool::new(true))
        .collect();
    let mut root = Supervisor::new(Strategy::OneForOne).intensity(u32::MAX, Duration::from_secs(1));
    for (shard_no, shard) in scenario.robots().chunks(ROBOTS_PER_SUPERVISOR).enumerate() {
        let mut sup =
            Supervisor::new(Strategy::OneForOne).intensity(u32::MAX, Duration::from_secs(1));
        for (offset, spec) in shard.iter().enumerate() {
            let index = shard_no * ROBOTS_PER_SUPERVISOR + offset;
            let (id, initial) = (spec.id, spec.state);
            let world = world.clone();
            let first_start = Arc::clone(&first_start);
            sup = sup.child(
                ChildSpec::new(format!("robot-{id}"), move || {
                    let world = world.clone();
                    let first = first_start[index].swap(false, Ordering::Relaxed);
                    let initial = first.then_some(initial);
                    async move {
                        Ok(AnyPid::from(spawn(move |ctx: Ctx<FromWorld>| {
                            robot_body(ctx, id, world, initial)
                        })))
                    }
                })
                // A robot ends normally only when the World is gone.
                .restart(Restart::Transient)
                .shutdown(Shutdown::BrutalKill),
            );
        }
        root = root.child(sup.child_spec(format!("robots-{shard_no}")));
    }
    root.start()
        .await
        .map_err(|e| SimError::Actor(format!("robots' supervisor: {e}")))
}

async fn run_world(
    scenario: Scenario,
    config: SimConfig,
    recorder: Recorder,
    observing: Option<Observing>,
) -> Result<(WorldOutcome, Recorded, Instant, Instant), SimError> {
    let mut recorder = recorder;
    let mut serving = None;
    if let Some((addr, announce)) = observing {
        let view = LiveView::new();
        recorder = recorder.live(&view);
        let s = view
            .observer()
            .serve(addr)
            .await
            .map_err(SimError::Observer)?;
        announce(&s);
        serving = Some(s);
    }
    let (world_done, world_result) = oneshot::channel();
    let (ticking_tx, ticking_rx) = oneshot::channel();
    let core = WorldCore::new(&scenario);
    let opts = config.clone();
    let world = spawn(move |ctx: Ctx<ToWorld>| world_body(ctx, core, opts, ticking_tx, world_done));

    let (display_done, display_result) = oneshot::channel();
    let ticks = config.ticks;
    let w = world.clone();
    let display =
        spawn(move |ctx: Ctx<FromWorld>| display_body(ctx, w, recorder, ticks, display_done));

    let robots = start_robots(&scenario, &world).await?;

    let ticking_from = ticking_rx.await.ok();
    let outcome = world_result.await.map_err(actor_err("World"))??;
    let finished_at = outcome.finished_at;
    let ticking_from = ticking_from.unwrap_or(finished_at);
    let recorded = display_result.await.map_err(actor_err("Display"))??;
    robots.kill();
    display.kill();
    if let Some(s) = serving {
        s.stop();
    }
    Ok((outcome, recorded, ticking_from, finished_at))
}

/// The seed's `Robot`: joins, turns on `COLLISION`, turns and answers
/// `UPDATE_VECTOR` on `WORLD_STATE`.
async fn robot_body(
    mut ctx: Ctx<FromWorld>,
    id: RobotId,
    world: Pid<ToWorld>,
    initial: Option<RobotState>,
) -> Result<(), SimError> {
    let state = match initial {
        Some(state) => state,
        // A restart: the World holds the robot's last state. Boxed, so that
        // the rare call does not make every robot's future larger.
        None => match Box::pin(world.call(|reply| ToWorld::Held { id, reply }, HELD_TIMEOUT)).await
        {
            Ok(Some(state)) => state,
            Ok(None) => return Err(SimError::UnknownRobot(id)),
            // The World is gone: the run is over.
            Err(_) => return Ok(()),
        },
    };
    let me = ctx.id();
    let join = ToWorld::Join {
        id,
        pid: ctx.pid(),
        state,
    };
    if world.try_send(join).is_err() {
        return Ok(());
    }
    let mut brain = RobotBrain::new(state.angle, state.velocity);
    loop {
        match ctx.recv().await {
            Outgoing::Collision => brain.on_collision(),
            Outgoing::WorldState(_) => {
                let (angle, velocity) = brain.on_world_state();
                let update = ToWorld::UpdateVector {
                    id,
                    from: me,
                    angle,
                    velocity,
                };
                if world.try_send(update).is_err() {
                    return Ok(());
                }
            }
        }
    }
}

/// The seed's `Display`: joins without a position and draws each `WORLD_STATE`.
async fn display_body(
    mut ctx: Ctx<FromWorld>,
    world: Pid<ToWorld>,
    mut recorder: Recorder,
    ticks: u64,
    done: oneshot::Sender<Result<Recorded, SimError>>,
) {
    if world
        .send(ToWorld::JoinDisplay { pid: ctx.pid() })
        .await
        .is_err()
    {
        return;
    }
    loop {
        if let Outgoing::WorldState(state) = ctx.recv().await {
            let last = state.tick + 1 >= ticks;
            if let Err(e) = recorder.observe(state) {
                let _ = done.send(Err(e));
                return;
            }
            if last {
                break;
            }
        }
    }
    let _ = done.send(recorder.finish());
}

struct World {
    core: WorldCore<Pid<FromWorld>>,
    /// Current robot incarnations, for `Down`.
    incarnations: HashMap<ProcessId, RobotId>,
    /// The process id of each robot's current incarnation, by id - 1: checking
    /// an `UPDATE_VECTOR` against it does not touch the robot's process.
    current: Vec<Option<ProcessId>>,
    display: Option<Pid<FromWorld>>,
}

impl World {
    fn current_mut(&mut self, id: RobotId) -> Result<&mut Option<ProcessId>, SimError> {
        // A `match`, not `ok_or`: the error is built only on its own path.
        match (id as usize).checked_sub(1) {
            Some(i) if i < self.current.len() => Ok(&mut self.current[i]),
            _ => Err(SimError::UnknownRobot(id)),
        }
    }
}

impl World {
    fn handle(&mut self, ctx: &Ctx<ToWorld>, msg: ToWorld) -> Result<(), SimError> {
        match msg {
            ToWorld::Join { id, pid, state } => {
                if let Some(old) = self.core.address(id).cloned() {
                    // A restarted robot's JOIN can overtake the `Down` of
                    // its previous incarnation: that one is gone.
                    if old.id() != pid.id() {
                        self.incarnations.remove(&old.id());
                        self.core.robot_down(id, &old)?;
                    }
                }
                let pid_id = pid.id();
                self.core.join_robot(id, pid.clone(), state)?;
                *self.current_mut(id)? = Some(pid_id);
                self.incarnations.insert(pid_id, id);
                ctx.monitor(&pid);
            }
            ToWorld::JoinDisplay { pid } => {
                ctx.monitor(&pid);
                self.core.join_observer(pid.clone());
                self.display = Some(pid);
            }
            ToWorld::UpdateVector {
                id,
                from,
                angle,
                velocity,
            } => {
                if *self.current_mut(id)? == Some(from) {
                    self.core.update_vector(id, angle, velocity)?;
                }
            }
            ToWorld::Held { id, reply } => {
                let _ = reply.send(self.core.held(id));
            }
            ToWorld::Down(down) => {
                if let Some(id) = self.incarnations.remove(&down.id) {
                    *self.current_mut(id)? = None;
                    if let Some(pid) = self.core.address(id).cloned() {
                        self.core.robot_down(id, &pid)?;
                    }
                } else if let Some(display) = self.display.take_if(|d| d.id() == down.id) {
                    self.core.observer_down(&display);
                }
            }
        }
        Ok(())
    }
}

/// The seed's `World`: waits for everyone to join, then ticks.
async fn world_body(
    mut ctx: Ctx<ToWorld>,
    core: WorldCore<Pid<FromWorld>>,
    config: SimConfig,
    ticking: oneshot::Sender<Instant>,
    done: oneshot::Sender<Result<WorldOutcome, SimError>>,
) {
    let mut world = World {
        current: vec![None; core.robot_count()],
        core,
        incarnations: HashMap::new(),
        display: None,
    };
    let result = world_loop(&mut ctx, &mut world, &config, ticking).await;
    let _ = done.send(result);
}

async fn world_loop(
    ctx: &mut Ctx<ToWorld>,
    world: &mut World,
    config: &SimConfig,
    ticking: oneshot::Sender<Instant>,
) -> Result<WorldOutcome, SimError> {
    while !world.core.all_joined() || world.display.is_none() {
        let msg = ctx.recv().await;
        world.handle(ctx, msg)?;
    }
    // The wall clock only measures; it decides nothing in the run.
    let _ = ticking.send(Instant::now());
    let robots = world.core.robot_count() as u64;
    let mut chaos = SplitMix64::new(config.chaos_seed);
    let mut kills = 0;
    let mut next_tick = actor_core::now();
    for _ in 0..config.ticks {
        if !config.tick_interval.is_zero() {
            actor_core::sleep_until(next_tick).await;
            next_tick = actor_core::now().max(next_tick) + config.tick_interval;
        }
        world.core.begin_tick();
        // A slice of robots at a time, yielding in between: the robots just
        // woken run while their mailboxes are still in cache.
        while world
            .core
            .broadcast(BROADCAST_SLICE, |pid, msg| {
                // A dead robot's Down is on its way; nothing to do here.
                let _ = pid.try_send(msg);
            })
            .is_none()
        {
            actor_core::yield_now().await;
        }
        for _ in 0..config.chaos {
            let id = chaos.below(robots) as RobotId + 1;
            if let Some(pid) = world.core.address(id) {
                if pid.is_alive() {
                    pid.kill();
                    kills += 1;
                }
            }
        }
        while world.core.outstanding() > 0 {
            let msg = ctx.recv().await;
            world.handle(ctx, msg)?;
        }
    }
    let finished_at = Instant::now();
    if config.chaos > 0 {
        // Give the robots killed during the last ticks the time to come back.
        let deadline = actor_core::now() + REJOIN_GRACE;
        while !world.core.all_joined() {
            let left = deadline.saturating_sub(actor_core::now());
            match ctx.recv_timeout(left).await {
                Some(msg) => world.handle(ctx, msg)?,
                None => break,
            }
        }
    }
    Ok(WorldOutcome {
        stats: world.core.stats(),
        joined_at_end: world.core.joined(),
        kills,
        finished_at,
    })
}
