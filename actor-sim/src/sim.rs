//! The robot world as processes: one World, one Display, one process per
//! Robot, the robots kept in shards.
//!
//! The protocol is the seed's:
//!
//! * a robot sends `JOIN` with its position, angle and velocity as it is
//!   created (the seed's `Robot.__init__` does so); the Display sends
//!   [`ToWorld::JoinDisplay`]. Robots created together, the robots of a
//!   shard as their keeper first starts them, join together: each leaves its
//!   `JOIN` in the shard's batch, and the robot whose `JOIN` completes the
//!   batch sends the World one [`ToWorld::JoinShard`] with all of them. A
//!   robot started again alone sends its own [`ToWorld::Join`];
//! * each tick the World moves every robot, sends
//!   [`FromWorld::Collision`] to robots that hit a wall and
//!   [`FromWorld::WorldState`] (one snapshot, shared through an `Arc`,
//!   counted per shard: see [`Snapshot`](crate::world::Snapshot)) to every
//!   robot and to the Display;
//! * each robot turns, and answers `UPDATE_VECTOR` with its new angle and
//!   velocity, and the vector they make (`sin(a)·v`, `cos(a)·v`), which the
//!   World adds to its position next tick. Robots answer in shards of [`SHARD_SIZE`]:
//!   a robot leaves its answer on its shard's [`Board`], and the robot
//!   whose answer completes the shard sends the World one
//!   [`ToWorld::UpdateVectors`] for the whole shard. Each robot is still
//!   its own process with its own mailbox and its own state; the World
//!   handles one message per shard instead of one per robot.
//!
//! The World starts tick 0 once every actor has joined and starts the next
//! tick only when every robot has answered (or has died), so a run gives
//! the same trace on any runtime.
//!
//! Each shard's robots are kept by a keeper process, under a supervisor: the
//! keeper starts them, starts again one that dies, and takes them down with
//! it. A robot that dies, however it dies, says so as its state is dropped:
//! [`ToWorld::Leave`] to the World, which stops waiting for it, and a word
//! to its keeper. The restarted robot joins again with the state the World
//! last held for it, which its keeper asks for with [`ToWorld::Held`]. With
//! chaos, the World kills random robots each tick.
//!
//! Keepers and goodbyes rather than a supervisor child, a link and a
//! monitor per robot: those cost about 1,400 bytes per robot in actor-core
//! (400 for the child, 400 for the link, 590 for the monitor), three times
//! what the robot's process itself takes, which a world of a million robots
//! cannot afford.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use actor_core::deterministic::{self, Config};
use actor_core::{
    AnyPid, ChildSpec, Ctx, Down, Pid, ProcessId, Reply, Restart, Runtime, Shutdown, Spawn,
    Strategy, Supervisor,
};
use actor_observer::Serving;
use tokio::sync::oneshot;

use crate::display::{Recorded, Recorder};
use crate::error::SimError;
use crate::live::LiveView;
use crate::rules::{RobotBrain, RobotId, RobotState};
use crate::scenario::{Scenario, SplitMix64};
use crate::world::{Board, Outgoing, SHARD_SIZE, WorldCore, WorldStats};

/// How many robots the World sends `WORLD_STATE` to before it yields: the
/// robots woken so far then run while their mailboxes are still in cache.
const BROADCAST_SLICE: usize = 2 * SHARD_SIZE;

/// How long a keeper waits for the World to tell it a robot's state.
const HELD_TIMEOUT: Duration = Duration::from_secs(60);

/// How long, after the last tick, the World waits for robots killed by
/// chaos to join again.
const REJOIN_GRACE: Duration = Duration::from_secs(10);

/// Messages the World receives.
///
/// Robots, keepers and the Display build them; the process functions of
/// this module do so for the robot world, so most users never need to.
///
/// # Examples
///
/// ```
/// use actor_core::{NodeId, ProcessId};
/// use actor_sim::sim::ToWorld;
///
/// let msg = ToWorld::UpdateVectors { shard: 3, tick: 7 };
/// assert_eq!(format!("{msg:?}"), "UPDATE_VECTOR(shard 3, tick 7)");
/// let from = ProcessId { node: NodeId::LOCAL, serial: 9 };
/// assert_eq!(format!("{:?}", ToWorld::Leave { id: 4, from }), "LEAVE(4)");
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
    /// The `JOIN`s of robots created together (a shard's robots as their
    /// keeper first starts them), sent by the robot whose `JOIN` completed
    /// the batch: one message for the World instead of one per robot.
    JoinShard {
        /// Each robot's `JOIN`: its id, its process and its state.
        joins: Vec<Joining>,
    },
    /// `JOIN` from the Display: no position, it only watches.
    JoinDisplay {
        /// Where to send `WORLD_STATE`.
        pid: Pid<FromWorld>,
    },
    /// `UPDATE_VECTOR` of a whole shard: every robot of the shard that the
    /// World waits for has left its answer to the `WORLD_STATE` of `tick`
    /// on the shard's [`Board`].
    UpdateVectors {
        /// The shard, as [`Board::shard`].
        shard: u32,
        /// The tick answered.
        tick: u64,
    },
    /// A robot's process ended (sent as its state is dropped, for any reason).
    Leave {
        /// The robot's id.
        id: RobotId,
        /// The process that ended (a goodbye from an older incarnation is ignored).
        from: ProcessId,
    },
    /// A keeper asks for the state the World holds for a robot, to start it again.
    Held {
        /// The robot's id.
        id: RobotId,
        /// Where the answer goes.
        reply: Reply<Option<RobotState>>,
    },
    /// The monitored Display ended.
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
            Self::JoinShard { joins } => write!(f, "JOIN({} robots)", joins.len()),
            Self::JoinDisplay { .. } => f.write_str("JOIN(Display)"),
            Self::UpdateVectors { shard, tick } => {
                write!(f, "UPDATE_VECTOR(shard {shard}, tick {tick})")
            }
            Self::Leave { id, .. } => write!(f, "LEAVE({id})"),
            Self::Held { id, .. } => write!(f, "HELD({id})"),
            Self::Down(d) => write!(f, "DOWN({:?})", d.id),
        }
    }
}

/// One robot's `JOIN` in a [`ToWorld::JoinShard`].
///
/// # Examples
///
/// ```
/// use actor_sim::sim::Joining;
///
/// fn ids(joins: &[Joining]) -> Vec<u32> {
///     joins.iter().map(|j| j.id).collect()
/// }
/// assert!(ids(&[]).is_empty());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct Joining {
    /// The robot's id.
    pub id: RobotId,
    /// Where to send it `COLLISION` and `WORLD_STATE`.
    pub pid: Pid<FromWorld>,
    /// Position, angle and velocity.
    pub state: RobotState,
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
    let fut = run_world(scenario, config.clone(), recorder, observing);
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

/// Starts one keeper per shard under a supervisor, which starts a keeper
/// again if it dies (its robots die with it, and the new one starts them
/// again from the states the World holds).
async fn start_robots(
    scenario: &Scenario,
    world: &Pid<ToWorld>,
    boards: &[Arc<Board>],
    labelled: bool,
) -> Result<Pid<actor_core::SupervisorMsg>, SimError> {
    let mut root = Supervisor::new(Strategy::OneForOne).intensity(u32::MAX, Duration::from_secs(1));
    for (board, specs) in boards.iter().zip(scenario.robots().chunks(SHARD_SIZE)) {
        // The states the robots are created with, for the keeper's first
        // start only: a keeper started again asks the World.
        let initial: Vec<RobotState> = specs.iter().map(|s| s.state).collect();
        let initial = Mutex::new(Some(initial));
        let world = world.clone();
        let board = Arc::clone(board);
        let spec = ChildSpec::new(format!("robots-{}", board.shard()), move || {
            let initial = initial.lock().ok().and_then(|mut i| i.take());
            let (world, board) = (world.clone(), Arc::clone(&board));
            async move {
                let keeper = Spawn::new()
                    .link()
                    .spawn(move |ctx: Ctx<Left>| keeper(ctx, world, board, initial, labelled));
                Ok(AnyPid::from(keeper))
            }
        })
        // A keeper ends normally only when the World is gone.
        .restart(Restart::Transient)
        .shutdown(Shutdown::BrutalKill);
        root = root.child(spec);
    }
    root.start()
        .await
        .map_err(|e| SimError::Actor(format!("robots' supervisor: {e}")))
}

async fn run_world(
    scenario: &Scenario,
    config: SimConfig,
    recorder: Recorder,
    observing: Option<Observing>,
) -> Result<(WorldOutcome, Recorded, Instant, Instant), SimError> {
    let mut recorder = recorder;
    let mut serving = None;
    let labelled = observing.is_some();
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
    let core = WorldCore::new(scenario);
    let boards = core.boards().to_vec();
    let opts = config.clone();
    let world = Spawn::new()
        .label("world")
        .spawn(move |ctx: Ctx<ToWorld>| world_body(ctx, core, opts, ticking_tx, world_done));

    let (display_done, display_result) = oneshot::channel();
    let ticks = config.ticks;
    let w = world.clone();
    let display = Spawn::new()
        .label("display")
        .spawn(move |ctx: Ctx<FromWorld>| display_body(ctx, w, recorder, ticks, display_done));

    let robots = start_robots(scenario, &world, &boards, labelled).await?;
    drop(boards);

    let ticking_from = ticking_rx.await.ok();
    let outcome = world_result.await.map_err(actor_err("World"))??;
    let finished_at = outcome.finished_at;
    let ticking_from = ticking_from.unwrap_or(finished_at);
    let recorded = display_result.await.map_err(actor_err("Display"))??;
    // The World has ended: the robots' goodbyes go nowhere.
    robots.kill();
    display.kill();
    if let Some(s) = serving {
        s.stop();
    }
    Ok((outcome, recorded, ticking_from, finished_at))
}

/// What the robots of one shard share: their board, the World and their keeper.
struct Crew {
    world: Pid<ToWorld>,
    keeper: Pid<Left>,
    board: Arc<Board>,
    /// Every robot's label in the observer, one string shared, when the
    /// run is observed. A label costs each robot's process the block of
    /// its rarely used state, which a world of a million robots run
    /// without an observer does not pay for.
    label: Option<Arc<str>>,
    /// The `JOIN`s of the robots started together, until the last of them
    /// sends them all in one [`ToWorld::JoinShard`].
    joining: Mutex<Vec<Joining>>,
}

impl Crew {
    /// Leaves a robot's `JOIN` in the shard's batch; the `JOIN` that
    /// completes it sends the batch. Returns whether the World is gone.
    fn join(&self, joining: Joining) -> bool {
        let full = {
            let mut batch = self.joining.lock().unwrap_or_else(PoisonError::into_inner);
            if batch.capacity() == 0 {
                batch.reserve_exact(self.board.len());
            }
            batch.push(joining);
            (batch.len() == self.board.len()).then(|| std::mem::take(&mut *batch))
        };
        match full {
            Some(joins) => self.world.try_send(ToWorld::JoinShard { joins }).is_err(),
            None => false,
        }
    }
}

/// A keeper's message: the robot in this slot of its shard has died.
struct Left(u32);

/// The robots a keeper started, killed when the keeper ends.
struct Robots(Vec<Pid<FromWorld>>);

impl Drop for Robots {
    fn drop(&mut self) {
        for robot in &self.0 {
            robot.kill();
        }
    }
}

/// A shard's keeper: starts its robots (with `initial` states, or else the
/// ones the World holds), starts again each robot that dies, and takes its
/// robots down with it.
async fn keeper(
    mut ctx: Ctx<Left>,
    world: Pid<ToWorld>,
    board: Arc<Board>,
    initial: Option<Vec<RobotState>>,
    labelled: bool,
) -> Result<(), SimError> {
    let crew = Arc::new(Crew {
        world,
        keeper: ctx.pid(),
        board,
        label: labelled.then(|| Arc::from("robot")),
        joining: Mutex::new(Vec::new()),
    });
    let mut robots = Robots(Vec::with_capacity(crew.board.len()));
    // The shard's robots join together: see `Crew::join`.
    match initial {
        Some(states) => {
            for (slot, state) in (0..).zip(states) {
                robots.0.push(Robot::spawn(&crew, slot, state, true));
            }
        }
        None => {
            for slot in (0..).take(crew.board.len()) {
                let Some(state) = held(&crew, slot).await? else {
                    return Ok(());
                };
                robots.0.push(Robot::spawn(&crew, slot, state, true));
            }
        }
    }
    loop {
        let Left(slot) = ctx.recv().await;
        let Some(state) = held(&crew, slot).await? else {
            return Ok(());
        };
        robots.0[slot as usize] = Robot::spawn(&crew, slot, state, false);
    }
}

/// The state the World holds for the robot in `slot`; `None` when the
/// World is gone (the run is over).
async fn held(crew: &Crew, slot: u32) -> Result<Option<RobotState>, SimError> {
    let id = crew.board.first() + slot;
    match crew
        .world
        .call(|reply| ToWorld::Held { id, reply }, HELD_TIMEOUT)
        .await
    {
        Ok(Some(state)) => Ok(Some(state)),
        Ok(None) => Err(SimError::UnknownRobot(id)),
        Err(_) => Ok(None),
    }
}

/// The seed's `Robot`: turns on `COLLISION`, turns and answers
/// `UPDATE_VECTOR` on `WORLD_STATE`. It says goodbye as it is dropped.
struct Robot {
    ctx: Ctx<FromWorld>,
    crew: Arc<Crew>,
    /// Its slot in its shard.
    slot: u32,
    brain: RobotBrain,
    /// It ended because the World is gone: no one to say goodbye to.
    finished: bool,
}

impl Robot {
    /// Spawns the robot of `slot` with `state`; it joins the World at once,
    /// in its shard's batch if `batched`.
    fn spawn(crew: &Arc<Crew>, slot: u32, state: RobotState, batched: bool) -> Pid<FromWorld> {
        let mut spawn = Spawn::new();
        if let Some(label) = &crew.label {
            spawn = spawn.label(Arc::clone(label));
        }
        let crew = Arc::clone(crew);
        spawn.spawn(move |ctx: Ctx<FromWorld>| {
            // JOIN as the seed's robot sends it: as it is created.
            let (id, pid) = (crew.board.first() + slot, ctx.pid());
            let finished = if batched {
                crew.join(Joining { id, pid, state })
            } else {
                crew.world
                    .try_send(ToWorld::Join { id, pid, state })
                    .is_err()
            };
            let mut robot = Robot {
                ctx,
                crew,
                slot,
                brain: RobotBrain::new(state.angle, state.velocity),
                finished,
            };
            // An `async` block, not an `async fn` taking the robot: that
            // would hold it twice, as its argument and as its local.
            async move {
                while !robot.finished {
                    let msg = robot.ctx.recv().await;
                    robot.handle(msg);
                }
            }
        })
    }

    fn handle(&mut self, msg: FromWorld) {
        match msg {
            Outgoing::Collision => self.brain.on_collision(),
            Outgoing::WorldState(state) => {
                let tick = state.tick;
                // Done with the snapshot before answering: once every
                // robot has dropped it, the World reuses its buffer.
                drop(state);
                let (angle, velocity) = self.brain.on_world_state();
                let board = &self.crew.board;
                if board.answer(self.slot as usize, tick, angle, velocity) {
                    let shard = board.shard();
                    let update = ToWorld::UpdateVectors { shard, tick };
                    self.finished = self.crew.world.try_send(update).is_err();
                }
            }
        }
    }
}

impl Drop for Robot {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let leave = ToWorld::Leave {
            id: self.crew.board.first() + self.slot,
            from: self.ctx.id(),
        };
        let _ = self.crew.world.try_send(leave);
        let _ = self.crew.keeper.try_send(Left(self.slot));
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
            if let Err(e) = recorder.observe(state.into_state()) {
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
    display: Option<Pid<FromWorld>>,
}

impl World {
    fn join(
        &mut self,
        id: RobotId,
        pid: Pid<FromWorld>,
        state: RobotState,
    ) -> Result<(), SimError> {
        if let Some(old) = self.core.address(id).cloned() {
            // A restarted robot's JOIN can overtake the goodbye of its
            // previous incarnation: that one is gone.
            if old.id() != pid.id() {
                self.core.robot_down(id, &old)?;
            }
        }
        self.core.join_robot(id, pid, state)
    }

    fn handle(&mut self, ctx: &Ctx<ToWorld>, msg: ToWorld) -> Result<(), SimError> {
        match msg {
            ToWorld::Join { id, pid, state } => self.join(id, pid, state)?,
            ToWorld::JoinShard { joins } => {
                for Joining { id, pid, state } in joins {
                    self.join(id, pid, state)?;
                }
            }
            ToWorld::JoinDisplay { pid } => {
                ctx.monitor(&pid);
                self.core.join_observer(pid.clone());
                self.display = Some(pid);
            }
            ToWorld::UpdateVectors { shard, tick } => self.core.shard_answered(shard, tick),
            ToWorld::Leave { id, from } => {
                if let Some(pid) = self.core.address(id).filter(|p| p.id() == from) {
                    let pid = pid.clone();
                    self.core.robot_down(id, &pid)?;
                }
            }
            ToWorld::Held { id, reply } => {
                let _ = reply.send(self.core.held(id));
            }
            ToWorld::Down(down) => {
                if let Some(display) = self.display.take_if(|d| d.id() == down.id) {
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
        core,
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
            .broadcast(BROADCAST_SLICE, |pid, msg| pid.try_send(msg).is_ok())
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
