//! The World's bookkeeping, free of any process machinery.
//!
//! [`WorldCore`] is the seed's `World` with the mailbox taken out: it keeps
//! the registry of joined actors and the state it holds for each robot, and
//! each tick it tells its caller what to send to whom through a `send`
//! callback. The process version in [`crate::sim`] wraps it in a receive
//! loop; tests can drive it by hand.
//!
//! Robots answer `WORLD_STATE` in shards of [`SHARD_SIZE`]: each robot
//! leaves its `UPDATE_VECTOR` on its shard's [`Board`], and the robot whose
//! answer completes the shard tells the World with one message, which
//! [`WorldCore::shard_answered`] takes. The World thus handles one message
//! per shard and tick instead of one per robot, while every robot still
//! receives its own messages and decides its own vector.
//!
//! The core is generic over the address type `A` of the joined actors (a
//! `Pid` in the process version), and only needs to clone and compare it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::error::SimError;
use crate::rules::{self, RobotId, RobotState, Step, Vector};
use crate::scenario::Scenario;

/// Robots per shard: the robots that answer the World together (see
/// [`Board`]).
///
/// # Examples
///
/// ```
/// let world = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::random(1000, 1)?);
/// assert_eq!(world.boards().len(), 1000usize.div_ceil(actor_sim::world::SHARD_SIZE));
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub const SHARD_SIZE: usize = 256;

/// One robot in a `WORLD_STATE`: its id and what the World holds for it.
///
/// It serializes as the trace's `[id, x, y, angle, velocity]` (see [`crate::trace`]).
///
/// # Examples
///
/// ```
/// use actor_sim::{rules::RobotState, world::RobotRecord};
///
/// let r = RobotRecord { id: 1, state: RobotState::new(1.0, 2.0, 3.0, 4.0) };
/// assert_eq!(serde_json::to_string(&r).unwrap(), "[1,1.0,2.0,3.0,4.0]");
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobotRecord {
    /// The robot's id.
    pub id: RobotId,
    /// Its position after this tick's move and the angle and velocity used for it.
    pub state: RobotState,
}

/// The `WORLD_STATE` of one tick, shared by every receiver through one `Arc`.
///
/// It serializes as one trace line (see [`crate::trace`]).
///
/// # Examples
///
/// ```
/// use actor_sim::world::WorldCore;
/// use actor_sim::Scenario;
///
/// let mut world = WorldCore::<u32>::new(&Scenario::seed());
/// for r in Scenario::seed().robots() {
///     world.join_robot(r.id, r.id, r.state)?;
/// }
/// let report = world.tick(|_, _| true);
/// let state = report.state;
/// assert_eq!(state.tick, 0);
/// assert_eq!(state.robots[3].state.y, 4.0); // robot 4 hit the top wall
/// # Ok::<(), actor_sim::SimError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct WorldState {
    /// The tick, from 0.
    pub tick: u64,
    /// Every robot the World holds, ids ascending.
    pub robots: Vec<RobotRecord>,
}

/// What the World sends to a joined actor: the message type of robots and
/// of the Display.
///
/// # Examples
///
/// ```
/// use actor_sim::world::{Outgoing, Snapshot, WorldState};
/// use std::sync::Arc;
///
/// let state = Arc::new(WorldState { tick: 0, robots: vec![] });
/// let msgs = [Outgoing::Collision, Outgoing::WorldState(Snapshot::new(Arc::clone(&state)))];
/// assert_eq!(Arc::strong_count(&state), 2);
/// # drop(msgs);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outgoing {
    /// `COLLISION`: the robot hit a wall this tick and did not move.
    Collision,
    /// `WORLD_STATE`: the tick's snapshot, shared.
    WorldState(Snapshot),
}

/// A `WORLD_STATE` as sent: the tick's snapshot, one `Arc` shared by
/// every receiver, reached through a handle shared by one shard's robots.
///
/// The handle keeps the counting of the robots of one shard on a count of
/// their own: the World, adding receivers of the next shard, and the robots
/// of the last one, dropping it, do not contend for one cache line.
///
/// # Examples
///
/// ```
/// use actor_sim::world::{Snapshot, WorldState};
/// use std::sync::Arc;
///
/// let state = Arc::new(WorldState { tick: 3, robots: vec![] });
/// let shard = Snapshot::new(Arc::clone(&state));
/// let robot = shard.clone();
/// assert_eq!(robot.tick, 3);
/// assert_eq!(Arc::strong_count(&state), 2); // one count for the shard
/// assert!(Arc::ptr_eq(&robot.into_state(), &state));
/// ```
#[derive(Debug, Clone)]
pub struct Snapshot(Arc<Share>);

/// What the receivers of one [`Snapshot`] handle share: the snapshot, on
/// a count of their own (one small allocation per shard and tick).
#[derive(Debug)]
struct Share(Arc<WorldState>);

impl Snapshot {
    /// A new handle on `state`, with a count of its own.
    ///
    /// # Examples
    ///
    /// See [`Snapshot`].
    #[must_use]
    pub fn new(state: Arc<WorldState>) -> Self {
        Self(Arc::new(Share(state)))
    }

    /// The snapshot itself.
    ///
    /// # Examples
    ///
    /// ```
    /// # use actor_sim::world::{Snapshot, WorldState};
    /// # use std::sync::Arc;
    /// let s = Snapshot::new(Arc::new(WorldState { tick: 1, robots: vec![] }));
    /// assert_eq!(s.state().tick, 1);
    /// ```
    #[must_use]
    pub fn state(&self) -> &Arc<WorldState> {
        &self.0.0
    }

    /// The snapshot itself, taking it out of the handle.
    ///
    /// # Examples
    ///
    /// See [`Snapshot`].
    #[must_use]
    pub fn into_state(self) -> Arc<WorldState> {
        match Arc::try_unwrap(self.0) {
            Ok(Share(state)) => state,
            Err(shared) => Arc::clone(&shared.0),
        }
    }
}

impl std::ops::Deref for Snapshot {
    type Target = WorldState;

    fn deref(&self) -> &WorldState {
        &self.0.0
    }
}

/// One robot's answer on a [`Board`]: its angle and velocity, the
/// [`Vector`] they make (worked out by the robot, so that the World only
/// adds it), and the tick it answers (plus one; 0 before any answer).
#[derive(Debug, Default)]
struct Answer {
    angle: AtomicU64,
    velocity: AtomicU64,
    dx: AtomicU64,
    dy: AtomicU64,
    tick: AtomicU64,
}

/// Where the robots of one shard leave their `UPDATE_VECTOR` answers.
///
/// Before sending a shard its `WORLD_STATE`s, the World arms the board
/// with the number of answers it expects, plus one that it holds itself
/// until it has sent them all. A robot answers with [`Board::answer`]; the
/// one whose answer is the last the World waits for learns it from the
/// return value and sends the World one message for the whole shard. A
/// robot that dies without answering is counted off by the World.
///
/// # Examples
///
/// ```
/// use actor_sim::{world::WorldCore, Scenario};
///
/// let s = Scenario::seed();
/// let mut w = WorldCore::new(&s);
/// for r in s.robots() { w.join_robot(r.id, r.id, r.state)?; }
/// let report = w.tick(|_, _| true);
/// let board = std::sync::Arc::clone(&w.boards()[0]);
/// assert_eq!((board.shard(), board.first(), board.len()), (0, 1, 12));
/// // Eleven answers, then the twelfth completes the shard.
/// for slot in 0..11 {
///     assert!(!board.answer(slot, report.state.tick, 90.0, 1.0));
/// }
/// assert!(board.answer(11, report.state.tick, 90.0, 1.0));
/// w.shard_answered(0, report.state.tick);
/// assert_eq!(w.outstanding(), 0);
/// # Ok::<(), actor_sim::SimError>(())
/// ```
#[derive(Debug)]
pub struct Board {
    shard: u32,
    first: RobotId,
    /// Answers still missing, plus the World's own while it sends.
    remaining: AtomicU32,
    answers: Box<[Answer]>,
}

impl Board {
    fn new(shard: u32, first: RobotId, len: usize) -> Self {
        Self {
            shard,
            first,
            remaining: AtomicU32::new(0),
            answers: (0..len).map(|_| Answer::default()).collect(),
        }
    }

    /// The shard's number, from 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::random(300, 1)?);
    /// assert_eq!(w.boards()[1].shard(), 1);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    #[must_use]
    pub fn shard(&self) -> u32 {
        self.shard
    }

    /// The id of the shard's first robot (in slot 0); slot `i` holds robot
    /// `first() + i`.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::random(300, 1)?);
    /// assert_eq!(w.boards()[1].first(), 257);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    #[must_use]
    pub fn first(&self) -> RobotId {
        self.first
    }

    /// How many robots the shard has.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::random(300, 1)?);
    /// assert_eq!((w.boards()[0].len(), w.boards()[1].len()), (256, 44));
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Always false: a shard has at least one robot.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert!(!w.boards()[0].is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }

    /// `UPDATE_VECTOR` from the robot in `slot`, answering the
    /// `WORLD_STATE` of `tick`: its angle and velocity, and the [`Vector`]
    /// they make, worked out here, in the robot's process. Returns whether it was the last answer the
    /// World waited for in this shard: the robot then tells the World, with
    /// one message for the shard (see [`WorldCore::shard_answered`]).
    ///
    /// # Panics
    ///
    /// If `slot` is not below [`len`](Self::len).
    ///
    /// # Examples
    ///
    /// See [`Board`].
    pub fn answer(&self, slot: usize, tick: u64, angle: f64, velocity: f64) -> bool {
        let a = &self.answers[slot];
        // The robot's side of the move, in the robot's process.
        let vector = Vector::of(angle, velocity);
        a.angle.store(angle.to_bits(), Ordering::Relaxed);
        a.velocity.store(velocity.to_bits(), Ordering::Relaxed);
        a.dx.store(vector.dx.to_bits(), Ordering::Relaxed);
        a.dy.store(vector.dy.to_bits(), Ordering::Relaxed);
        a.tick.store(tick + 1, Ordering::Relaxed);
        // Release: the World, which acquires the count once it reaches 0
        // (or receives the message of the robot that brought it there),
        // sees every answer written before.
        self.remaining.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// The answer in `slot` to the `WORLD_STATE` of `tick`, if it came:
    /// angle, velocity and their vector.
    fn answer_for(&self, slot: usize, tick: u64) -> Option<(f64, f64, Vector)> {
        let a = &self.answers[slot];
        (a.tick.load(Ordering::Relaxed) == tick + 1).then(|| {
            let f = |x: &AtomicU64| f64::from_bits(x.load(Ordering::Relaxed));
            let vector = Vector {
                dx: f(&a.dx),
                dy: f(&a.dy),
            };
            (f(&a.angle), f(&a.velocity), vector)
        })
    }

    /// Expects `n` answers, and holds one more until [`release`](Self::release).
    fn arm(&self, n: u32) {
        self.remaining.store(n + 1, Ordering::Release);
    }

    /// Counts off `n` answers that will not come (or the World's own);
    /// `true` if that completed the shard.
    fn release(&self, n: u32) -> bool {
        self.remaining.fetch_sub(n, Ordering::AcqRel) == n
    }
}

/// What [`WorldCore::tick`] did.
///
/// # Examples
///
/// ```
/// use actor_sim::{world::WorldCore, Scenario};
///
/// let s = Scenario::seed();
/// let mut w = WorldCore::new(&s);
/// for r in s.robots() { w.join_robot(r.id, r.id, r.state)?; }
/// let report = w.tick(|_, _| true);
/// assert_eq!(report.state.tick, 0);
/// assert!(report.collisions >= 1); // robot 4 at least
/// # Ok::<(), actor_sim::SimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct TickReport {
    /// The snapshot that was broadcast.
    pub state: Arc<WorldState>,
    /// How many robots collided this tick.
    pub collisions: u64,
}

/// Counters kept by the World over a run.
///
/// # Examples
///
/// ```
/// use actor_sim::{world::WorldCore, Scenario};
///
/// let s = Scenario::seed();
/// let mut w = WorldCore::new(&s);
/// for r in s.robots() { w.join_robot(r.id, r.id, r.state)?; }
/// w.tick(|_, _| true);
/// let stats = w.stats();
/// assert_eq!(stats.ticks, 1);
/// assert_eq!(stats.messages, 12 + 12 + stats.collisions); // JOINs, WORLD_STATEs, COLLISIONs
/// # Ok::<(), actor_sim::SimError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorldStats {
    /// Ticks done.
    pub ticks: u64,
    /// `COLLISION`s sent.
    pub collisions: u64,
    /// Messages the World sent and handled: `JOIN`, `WORLD_STATE`,
    /// `COLLISION`, and one `UPDATE_VECTOR` per robot that answered.
    pub messages: u64,
    /// Robots that joined again after their process died.
    pub rejoins: u64,
    /// Robot processes that died while joined.
    pub downs: u64,
}

/// The robot's process is joined.
const JOINED: u8 = 1;
/// It has joined at least once.
const EVER_JOINED: u8 = 2;
/// The World waits for its answer this tick.
const AWAITED: u8 = 4;
/// It hit a wall this tick.
const COLLIDED: u8 = 8;

/// The World's side of one shard in the current tick.
#[derive(Debug, Clone, Copy, Default)]
struct Shard {
    /// Joined robots.
    joined: u32,
    /// `WORLD_STATE`s delivered this tick.
    sent: u32,
    /// Robots among them that died without answering.
    unanswered: u32,
    /// Whether the World still waits for the shard's answers.
    waiting: bool,
}

/// A tick whose `WORLD_STATE` is being sent.
#[derive(Debug, Clone)]
struct Broadcast {
    state: Arc<WorldState>,
    /// The next shard to send to.
    next: usize,
    /// Whether the observers have been sent the snapshot.
    observed: bool,
    collisions: u64,
}

/// The World's state machine: registry, held robot states, tick and the
/// bookkeeping of who still has to answer.
///
/// Robots are kept in id order, which is their join order. A robot whose
/// process is down stays in the world, frozen, until it joins again.
#[derive(Debug)]
pub struct WorldCore<A> {
    /// What the World holds for every robot: the last `WORLD_STATE` (or,
    /// before tick 0, the states robots joined with). Its buffer is reused
    /// for the next tick once every receiver has dropped it.
    state: Arc<WorldState>,
    /// Each robot's current process, when it is joined.
    members: Vec<Option<A>>,
    /// Each robot's flags: [`JOINED`], [`AWAITED`], ...
    flags: Vec<u8>,
    boards: Vec<Arc<Board>>,
    shards: Vec<Shard>,
    observers: Vec<A>,
    joined: usize,
    /// Shards whose answers are missing.
    outstanding: usize,
    tick: u64,
    stats: WorldStats,
    /// The tick being broadcast, between `begin_tick` and the end of `broadcast`.
    broadcast: Option<Broadcast>,
}

impl<A: Clone + PartialEq> WorldCore<A> {
    /// A world that expects the robots of `scenario` (ids `1..=n`) to join.
    ///
    /// # Examples
    ///
    /// ```
    /// let world = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert!(!world.all_joined());
    /// ```
    #[must_use]
    pub fn new(scenario: &Scenario) -> Self {
        let n = scenario.len();
        let robots = scenario
            .robots()
            .iter()
            .map(|r| RobotRecord {
                id: r.id,
                state: r.state,
            })
            .collect();
        let boards = (0..n.div_ceil(SHARD_SIZE))
            .map(|s| {
                let len = SHARD_SIZE.min(n - s * SHARD_SIZE);
                Arc::new(Board::new(s as u32, (s * SHARD_SIZE) as RobotId + 1, len))
            })
            .collect::<Vec<_>>();
        Self {
            state: Arc::new(WorldState { tick: 0, robots }),
            members: vec![None; n],
            flags: vec![0; n],
            shards: vec![Shard::default(); boards.len()],
            boards,
            observers: Vec::new(),
            joined: 0,
            outstanding: 0,
            tick: 0,
            stats: WorldStats::default(),
            broadcast: None,
        }
    }

    fn index(&self, id: RobotId) -> Result<usize, SimError> {
        // A `match`, not `ok_or`: the error is built only on its own path.
        match usize::try_from(id).ok().and_then(|i| i.checked_sub(1)) {
            Some(i) if i < self.members.len() => Ok(i),
            _ => Err(SimError::UnknownRobot(id)),
        }
    }

    /// The answer boards, one per shard of [`SHARD_SIZE`] robots in id
    /// order; robot `id` answers in slot `(id - 1) % SHARD_SIZE` of board
    /// `(id - 1) / SHARD_SIZE`.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert_eq!(w.boards().len(), 1);
    /// ```
    #[must_use]
    pub fn boards(&self) -> &[Arc<Board>] {
        &self.boards
    }

    /// `JOIN` from a robot: it is now at `addr`, with `state`.
    ///
    /// A robot that joins again after its process died (a restart) takes
    /// part from the next tick on, with the state the World holds for it:
    /// the World's record wins over the `state` sent, which may be a tick
    /// old if the World moved the robot before it learned of its death.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownRobot`] for an id outside the scenario,
    /// [`SimError::AlreadyJoined`] when the robot is joined already.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::{rules::RobotState, world::WorldCore, Scenario};
    ///
    /// let mut w = WorldCore::new(&Scenario::seed());
    /// w.join_robot(1, "r1", RobotState::new(0.0, 0.0, 135.0, 5.0))?;
    /// assert!(w.join_robot(1, "r1", RobotState::new(0.0, 0.0, 135.0, 5.0)).is_err());
    /// assert!(w.join_robot(13, "r13", RobotState::new(0.0, 0.0, 0.0, 1.0)).is_err());
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn join_robot(&mut self, id: RobotId, addr: A, state: RobotState) -> Result<(), SimError> {
        self.stats.messages += 1;
        let i = self.index(id)?;
        if self.members[i].is_some() {
            return Err(SimError::AlreadyJoined(id));
        }
        let flags = &mut self.flags[i];
        if *flags & EVER_JOINED == 0 {
            // Copies the states only if a receiver still holds them.
            Arc::make_mut(&mut self.state).robots[i].state = state;
        } else {
            self.stats.rejoins += 1;
        }
        *flags |= JOINED | EVER_JOINED;
        self.members[i] = Some(addr);
        self.shards[i / SHARD_SIZE].joined += 1;
        self.joined += 1;
        Ok(())
    }

    /// `JOIN` from an actor without a position (the Display): it receives
    /// every `WORLD_STATE` and is never waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = actor_sim::world::WorldCore::new(&actor_sim::Scenario::seed());
    /// w.join_observer("display");
    /// ```
    pub fn join_observer(&mut self, addr: A) {
        self.stats.messages += 1;
        self.observers.push(addr);
    }

    /// An observer's process ended: stop sending to it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut w = actor_sim::world::WorldCore::new(&actor_sim::Scenario::seed());
    /// w.join_observer("display");
    /// assert!(w.observer_down(&"display"));
    /// assert!(!w.observer_down(&"display"));
    /// ```
    pub fn observer_down(&mut self, addr: &A) -> bool {
        let before = self.observers.len();
        self.observers.retain(|o| o != addr);
        before != self.observers.len()
    }

    /// The robot's process at `addr` ended. The World stops waiting for it
    /// and keeps its state, frozen, until it joins again. A stale address
    /// (an older incarnation) is ignored; returns whether it was current.
    ///
    /// # Errors
    ///
    /// [`SimError::UnknownRobot`] for an id outside the scenario.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::{world::WorldCore, Scenario};
    ///
    /// let s = Scenario::seed();
    /// let mut w = WorldCore::new(&s);
    /// for r in s.robots() { w.join_robot(r.id, r.id, r.state)?; }
    /// w.tick(|_, _| true);
    /// for slot in 0..11 {
    ///     w.boards()[0].answer(slot, 0, 0.0, 1.0);
    /// }
    /// assert_eq!(w.outstanding(), 1);
    /// // Robot 12 dies without answering: the shard is complete.
    /// assert!(w.robot_down(12, &12)?);
    /// assert_eq!(w.outstanding(), 0);
    /// assert!(!w.robot_down(12, &12)?);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn robot_down(&mut self, id: RobotId, addr: &A) -> Result<bool, SimError> {
        let i = self.index(id)?;
        if self.members[i].as_ref() != Some(addr) {
            return Ok(false);
        }
        self.members[i] = None;
        let flags = std::mem::replace(&mut self.flags[i], EVER_JOINED);
        let s = i / SHARD_SIZE;
        self.shards[s].joined -= 1;
        self.joined -= 1;
        self.stats.downs += 1;
        // Awaited: a tick was sent, and `self.tick` is past it.
        if flags & AWAITED != 0
            && self.boards[s]
                .answer_for(i % SHARD_SIZE, self.tick - 1)
                .is_none()
        {
            self.shards[s].unanswered += 1;
            if self.boards[s].release(1) {
                self.complete(s);
            }
        }
        Ok(true)
    }

    /// The message of the robot whose answer completed shard `shard` for
    /// the `WORLD_STATE` of `tick` (see [`Board::answer`]). A message for
    /// another tick, or for a shard not waited for, is ignored.
    ///
    /// # Examples
    ///
    /// See [`Board`].
    pub fn shard_answered(&mut self, shard: u32, tick: u64) {
        let s = shard as usize;
        if tick + 1 == self.tick && self.shards.get(s).is_some_and(|sh| sh.waiting) {
            self.complete(s);
        }
    }

    /// Every answer of shard `s` is in, or will never come.
    fn complete(&mut self, s: usize) {
        let shard = &mut self.shards[s];
        shard.waiting = false;
        self.outstanding -= 1;
        self.stats.messages += u64::from(shard.sent - shard.unanswered);
        let end = self.members.len().min((s + 1) * SHARD_SIZE);
        for f in &mut self.flags[s * SHARD_SIZE..end] {
            *f &= !AWAITED;
        }
    }

    /// The state the World holds for robot `id`, with the answer it gave
    /// to the last `WORLD_STATE`, if any.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert_eq!(w.held(1).unwrap().angle, 135.0);
    /// assert!(w.held(0).is_none());
    /// ```
    #[must_use]
    pub fn held(&self, id: RobotId) -> Option<RobotState> {
        let i = self.index(id).ok()?;
        let mut state = self.state.robots[i].state;
        let answer = self
            .tick
            .checked_sub(1)
            .and_then(|last| self.boards[i / SHARD_SIZE].answer_for(i % SHARD_SIZE, last));
        if let Some((angle, velocity, _)) = answer {
            state.angle = angle;
            state.velocity = velocity;
        }
        Some(state)
    }

    /// The current address of robot `id`, when it is joined.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert!(w.address(1).is_none());
    /// ```
    #[must_use]
    pub fn address(&self, id: RobotId) -> Option<&A> {
        self.members.get(self.index(id).ok()?)?.as_ref()
    }

    /// Whether every robot of the scenario is joined now.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert!(!w.all_joined());
    /// ```
    #[must_use]
    pub fn all_joined(&self) -> bool {
        self.joined == self.members.len()
    }

    /// How many robots are joined now.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert_eq!(w.joined(), 0);
    /// ```
    #[must_use]
    pub fn joined(&self) -> usize {
        self.joined
    }

    /// How many robots the World expects (joined or not).
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert_eq!(w.robot_count(), 12);
    /// ```
    #[must_use]
    pub fn robot_count(&self) -> usize {
        self.members.len()
    }

    /// How many shards still owe answers to the last `WORLD_STATE`.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert_eq!(w.outstanding(), 0);
    /// ```
    #[must_use]
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    /// The number of the next tick.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert_eq!(w.next_tick(), 0);
    /// ```
    #[must_use]
    pub fn next_tick(&self) -> u64 {
        self.tick
    }

    /// The counters so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let w = actor_sim::world::WorldCore::<u32>::new(&actor_sim::Scenario::seed());
    /// assert_eq!(w.stats().ticks, 0);
    /// ```
    #[must_use]
    pub fn stats(&self) -> WorldStats {
        self.stats
    }

    /// One tick: move every joined robot in join order, `send` the
    /// `WORLD_STATE` to every observer, `COLLISION` to the robots that hit
    /// a wall and the `WORLD_STATE` to every joined robot, and wait for the joined robots' answers
    /// (see [`outstanding`](Self::outstanding)). `send` returns whether the
    /// message was delivered: a robot it was not delivered to is dead, and
    /// not waited for.
    ///
    /// The caller should tick only when [`outstanding`](Self::outstanding)
    /// is 0; answers still missing from an earlier tick are no longer waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::{world::{Outgoing, WorldCore}, Scenario};
    ///
    /// let s = Scenario::seed();
    /// let mut w = WorldCore::new(&s);
    /// for r in s.robots() { w.join_robot(r.id, r.id, r.state)?; }
    /// let mut collided = Vec::new();
    /// let report = w.tick(|to, msg| {
    ///     if let Outgoing::Collision = msg { collided.push(*to) }
    ///     true
    /// });
    /// assert!(collided.contains(&4));
    /// assert_eq!(report.collisions, collided.len() as u64);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn tick(&mut self, mut send: impl FnMut(&A, Outgoing) -> bool) -> TickReport {
        self.begin_tick();
        loop {
            if let Some(report) = self.broadcast(usize::MAX, &mut send) {
                return report;
            }
        }
    }

    /// The first half of [`tick`](Self::tick): takes the answers to the
    /// last `WORLD_STATE`, moves every joined robot in join order and
    /// builds the tick's `WORLD_STATE`, sending nothing yet. Follow it with
    /// [`broadcast`](Self::broadcast) until that returns the report; handle
    /// no incoming message in between.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::{world::WorldCore, Scenario};
    ///
    /// let s = Scenario::random(600, 1)?;
    /// let mut w = WorldCore::new(&s);
    /// for r in s.robots() { w.join_robot(r.id, r.id, r.state)?; }
    /// let state = w.begin_tick();
    /// assert_eq!(state.robots.len(), 600);
    /// let mut sent = 0;
    /// // 300 robots at a time: 600 WORLD_STATEs and some COLLISIONs.
    /// let report = loop {
    ///     if let Some(r) = w.broadcast(300, |_, _| { sent += 1; true }) { break r }
    /// };
    /// assert_eq!(sent, 600 + report.collisions);
    /// assert_eq!(w.outstanding(), 3); // three shards
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn begin_tick(&mut self) -> Arc<WorldState> {
        let next = self.tick;
        // The tick whose answers are in, if any.
        let last = next.checked_sub(1);
        let mut robots = match Arc::get_mut(&mut self.state) {
            Some(state) => std::mem::take(&mut state.robots),
            None => self.state.robots.clone(),
        };
        let mut collisions = 0;
        let shards = robots
            .chunks_mut(SHARD_SIZE)
            .zip(self.flags.chunks_mut(SHARD_SIZE));
        for ((records, flags), board) in shards.zip(&self.boards) {
            for (slot, (record, flags)) in records.iter_mut().zip(flags).enumerate() {
                let state = &mut record.state;
                let answer = last.and_then(|t| board.answer_for(slot, t));
                if let Some((angle, velocity, _)) = answer {
                    state.angle = angle;
                    state.velocity = velocity;
                }
                *flags &= !(AWAITED | COLLIDED);
                if *flags & JOINED != 0 {
                    let vector = match answer {
                        Some((.., vector)) => vector,
                        None => Vector::of(state.angle, state.velocity),
                    };
                    match rules::step_by(state, vector) {
                        Step::Moved { x, y } => {
                            state.x = x;
                            state.y = y;
                        }
                        Step::Collided => {
                            collisions += 1;
                            *flags |= COLLIDED;
                        }
                    }
                }
            }
        }
        self.state = Arc::new(WorldState { tick: next, robots });
        self.outstanding = 0;
        self.broadcast = Some(Broadcast {
            state: Arc::clone(&self.state),
            next: 0,
            observed: false,
            collisions,
        });
        Arc::clone(&self.state)
    }

    /// The second half of [`tick`](Self::tick): sends the `WORLD_STATE` to
    /// the observers (the first time), then `COLLISION` (to robots that hit
    /// a wall) and `WORLD_STATE` to the robots of the next shards, in join
    /// order, until at least `robots` more robots have been served. Once
    /// every robot has been served it returns the tick's report. `send`
    /// returns whether the message was delivered.
    ///
    /// Sending in slices lets a process yield between them, so that robots
    /// run while what the World just touched is still in cache.
    ///
    /// # Panics
    ///
    /// If no tick was begun with [`begin_tick`](Self::begin_tick).
    ///
    /// # Examples
    ///
    /// See [`begin_tick`](Self::begin_tick).
    pub fn broadcast(
        &mut self,
        robots: usize,
        mut send: impl FnMut(&A, Outgoing) -> bool,
    ) -> Option<TickReport> {
        let mut cast = self.broadcast.take().expect("broadcast without begin_tick");
        if !cast.observed {
            cast.observed = true;
            // Observers first, as in the seed, where the Display joins
            // before the robots: it is then most likely done with the
            // snapshot by the time the robots are, and the next tick can
            // reuse its buffer.
            for observer in &self.observers {
                let snapshot = Snapshot::new(Arc::clone(&cast.state));
                if send(observer, Outgoing::WorldState(snapshot)) {
                    self.stats.messages += 1;
                }
            }
        }
        let mut served = 0;
        while cast.next < self.boards.len() && served < robots {
            let s = cast.next;
            cast.next += 1;
            let len = self.boards[s].len();
            served += len;
            let joined = self.shards[s].joined;
            self.boards[s].arm(joined);
            let mut sent = 0;
            let mut collisions = 0;
            let snapshot = Snapshot::new(Arc::clone(&cast.state));
            let range = s * SHARD_SIZE..s * SHARD_SIZE + len;
            let members = self.members[range.clone()].iter();
            for (addr, flags) in members.zip(&mut self.flags[range]) {
                let Some(addr) = addr else { continue };
                if *flags & COLLIDED != 0 && send(addr, Outgoing::Collision) {
                    collisions += 1;
                }
                if send(addr, Outgoing::WorldState(snapshot.clone())) {
                    *flags |= AWAITED;
                    sent += 1;
                }
            }
            self.shards[s] = Shard {
                joined,
                sent,
                unanswered: 0,
                waiting: true,
            };
            self.outstanding += 1;
            self.stats.messages += collisions + u64::from(sent);
            // The World's own count, and those of robots found dead.
            if self.boards[s].release(1 + joined - sent) {
                self.complete(s);
            }
        }
        if cast.next < self.boards.len() {
            self.broadcast = Some(cast);
            return None;
        }
        let Broadcast {
            state, collisions, ..
        } = cast;
        self.tick += 1;
        self.stats.ticks += 1;
        self.stats.collisions += collisions;
        Some(TickReport { state, collisions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RobotBrain, RobotState};

    /// Drives the core with in-memory robots: the message-passing protocol
    /// without processes.
    #[test]
    fn protocol_by_hand_matches_worked_example() {
        let s = Scenario::seed();
        let mut world = WorldCore::new(&s);
        let mut brains: Vec<RobotBrain> = s
            .robots()
            .iter()
            .map(|r| RobotBrain::new(r.state.angle, r.state.velocity))
            .collect();
        for r in s.robots() {
            world.join_robot(r.id, r.id, r.state).unwrap();
        }
        world.join_observer(0);
        let board = Arc::clone(&world.boards()[0]);
        let mut states = Vec::new();
        for _ in 0..2 {
            let mut inbox: Vec<(u32, Outgoing)> = Vec::new();
            world.tick(|to, m| {
                inbox.push((*to, m));
                true
            });
            for (to, m) in inbox {
                if to == 0 {
                    if let Outgoing::WorldState(st) = m {
                        states.push(st);
                    }
                    continue;
                }
                let brain = &mut brains[to as usize - 1];
                match m {
                    Outgoing::Collision => brain.on_collision(),
                    Outgoing::WorldState(st) => {
                        let (a, v) = brain.on_world_state();
                        if board.answer(to as usize - 1, st.tick, a, v) {
                            assert_eq!(to, 12, "the last robot completes the shard");
                            world.shard_answered(0, st.tick);
                        }
                    }
                }
            }
            assert_eq!(world.outstanding(), 0);
        }
        let r1 = states[1].robots[0].state;
        assert_eq!(
            (r1.x, r1.y, r1.angle),
            (7.040080227431993, 7.101786151703644, 135.5)
        );
        let r4 = states[1].robots[3].state;
        assert_eq!(
            (r4.x, r4.y, r4.angle),
            (473.58819734868194, 1.1598465529607722, 73.5)
        );
        let r4_0 = states[0].robots[3].state;
        assert_eq!((r4_0.x, r4_0.y, r4_0.angle), (464.0, 4.0, 0.0));
        // 12 joins + 1 observer join, per tick 13 WORLD_STATEs + 12 updates + collisions.
        let st = world.stats();
        assert_eq!(st.messages, 13 + 2 * 25 + st.collisions);
    }

    #[test]
    fn down_robot_is_frozen_and_rejoins() {
        let s = Scenario::seed();
        let mut world = WorldCore::new(&s);
        for r in s.robots() {
            world.join_robot(r.id, r.id, r.state).unwrap();
        }
        world.tick(|_, _| true);
        let before = world.held(1).unwrap();
        assert!(world.robot_down(1, &1).unwrap());
        let board = Arc::clone(&world.boards()[0]);
        for slot in 1..11 {
            assert!(!board.answer(slot, 0, 0.0, 0.0));
        }
        assert!(board.answer(11, 0, 0.0, 0.0), "robot 1 is not waited for");
        world.shard_answered(0, 0);
        assert_eq!(world.outstanding(), 0);
        let report = world.tick(|to, _| {
            assert_ne!(*to, 1);
            true
        });
        assert_eq!(report.state.robots[0].state, before);
        assert_eq!(world.outstanding(), 1);
        // The rejoining robot's state is older: the World's record wins.
        let stale = RobotState::new(1.0, 1.0, 1.0, 1.0);
        world.join_robot(1, 100, stale).unwrap();
        assert_eq!(world.held(1), Some(before));
        assert_eq!(world.stats().rejoins, 1);
        assert!(world.all_joined());
        // A stale down from the old incarnation changes nothing.
        assert!(!world.robot_down(1, &1).unwrap());
    }

    #[test]
    fn answer_of_a_robot_that_died_counts() {
        let s = Scenario::seed();
        let mut world = WorldCore::new(&s);
        for r in s.robots() {
            world.join_robot(r.id, r.id, r.state).unwrap();
        }
        world.tick(|_, _| true);
        let board = Arc::clone(&world.boards()[0]);
        assert!(!board.answer(0, 0, 200.0, 7.0));
        // Robot 1 answered, then died: its answer is the World's.
        assert!(world.robot_down(1, &1).unwrap());
        assert_eq!(
            world.held(1).map(|r| (r.angle, r.velocity)),
            Some((200.0, 7.0))
        );
        for slot in 1..12 {
            let last = board.answer(slot, 0, 0.0, 1.0);
            assert_eq!(last, slot == 11);
        }
        world.shard_answered(0, 0);
        assert_eq!(world.outstanding(), 0);
        // 12 JOINs, 12 WORLD_STATEs, the collisions, 12 UPDATE_VECTORs.
        let st = world.stats();
        assert_eq!(st.messages, 36 + st.collisions);
        let report = world.tick(|_, _| true);
        assert_eq!(report.state.robots[0].state.angle, 200.0);
    }

    #[test]
    fn undelivered_world_state_is_not_waited_for() {
        let s = Scenario::seed();
        let mut world = WorldCore::new(&s);
        for r in s.robots() {
            world.join_robot(r.id, r.id, r.state).unwrap();
        }
        // Every robot is dead already: the shard completes at once.
        world.tick(|_, _| false);
        assert_eq!(world.outstanding(), 0);
    }
}
