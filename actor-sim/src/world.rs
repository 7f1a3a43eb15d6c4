//! The World's bookkeeping, free of any process machinery.
//!
//! [`WorldCore`] is the seed's `World` with the mailbox taken out: it keeps
//! the registry of joined actors and the state it holds for each robot, and
//! each tick it tells its caller what to send to whom through a `send`
//! callback. The process version in [`crate::sim`] wraps it in a receive
//! loop; tests can drive it by hand.
//!
//! The core is generic over the address type `A` of the joined actors (a
//! `Pid` in the process version), and only needs to clone it.

use std::sync::Arc;

use crate::error::SimError;
use crate::rules::{self, RobotId, RobotState, Step};
use crate::scenario::Scenario;

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
/// let report = world.tick(|_, _| {});
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
/// use actor_sim::world::{Outgoing, WorldState};
/// use std::sync::Arc;
///
/// let state = Arc::new(WorldState { tick: 0, robots: vec![] });
/// let msgs = [Outgoing::Collision, Outgoing::WorldState(Arc::clone(&state))];
/// assert_eq!(Arc::strong_count(&state), 2);
/// # drop(msgs);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outgoing {
    /// `COLLISION`: the robot hit a wall this tick and did not move.
    Collision,
    /// `WORLD_STATE`: the tick's snapshot, shared.
    WorldState(Arc<WorldState>),
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
/// let report = w.tick(|_, _| {});
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
/// w.tick(|_, _| {});
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
    /// `COLLISION`, `UPDATE_VECTOR`.
    pub messages: u64,
    /// Robots that joined again after their process died.
    pub rejoins: u64,
    /// Robot processes that died while joined.
    pub downs: u64,
}

#[derive(Debug, Clone)]
struct Held<A> {
    state: RobotState,
    /// The robot's current process, when it is joined.
    addr: Option<A>,
    /// Whether it has joined at least once.
    ever_joined: bool,
    /// Whether the World waits for its `UPDATE_VECTOR`.
    awaited: bool,
    /// Whether it hit a wall this tick.
    collided: bool,
}

/// A tick whose `WORLD_STATE` is being sent.
#[derive(Debug, Clone)]
struct Broadcast {
    state: Arc<WorldState>,
    /// Index of the next robot to send to.
    next: usize,
    collisions: u64,
}

/// The World's state machine: registry, held robot states, tick and the
/// bookkeeping of who still has to answer.
///
/// Robots are kept in id order, which is their join order. A robot whose
/// process is down stays in the world, frozen, until it joins again.
#[derive(Debug, Clone)]
pub struct WorldCore<A> {
    robots: Vec<Held<A>>,
    observers: Vec<A>,
    joined: usize,
    outstanding: usize,
    tick: u64,
    stats: WorldStats,
    /// The last `WORLD_STATE`: once every receiver has dropped it, its
    /// buffer is reused for the next one.
    last: Option<Arc<WorldState>>,
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
        let robots = scenario
            .robots()
            .iter()
            .map(|r| Held {
                state: r.state,
                addr: None,
                ever_joined: false,
                awaited: false,
                collided: false,
            })
            .collect();
        Self {
            robots,
            observers: Vec::new(),
            joined: 0,
            outstanding: 0,
            tick: 0,
            stats: WorldStats::default(),
            last: None,
            broadcast: None,
        }
    }

    fn slot(&mut self, id: RobotId) -> Result<&mut Held<A>, SimError> {
        // A `match`, not `ok_or`: the error is built only on its own path.
        match usize::try_from(id).ok().and_then(|i| i.checked_sub(1)) {
            Some(i) if i < self.robots.len() => Ok(&mut self.robots[i]),
            _ => Err(SimError::UnknownRobot(id)),
        }
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
        let slot = self.slot(id)?;
        if slot.addr.is_some() {
            return Err(SimError::AlreadyJoined(id));
        }
        let rejoin = slot.ever_joined;
        if !rejoin {
            slot.state = state;
        }
        slot.addr = Some(addr);
        slot.ever_joined = true;
        self.joined += 1;
        if rejoin {
            self.stats.rejoins += 1;
        }
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
    /// w.tick(|_, _| {});
    /// assert_eq!(w.outstanding(), 12);
    /// assert!(w.robot_down(3, &3)?);
    /// assert_eq!(w.outstanding(), 11);
    /// assert!(!w.robot_down(3, &3)?);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn robot_down(&mut self, id: RobotId, addr: &A) -> Result<bool, SimError> {
        let slot = self.slot(id)?;
        if slot.addr.as_ref() != Some(addr) {
            return Ok(false);
        }
        slot.addr = None;
        let was_awaited = std::mem::replace(&mut slot.awaited, false);
        self.joined -= 1;
        if was_awaited {
            self.outstanding -= 1;
        }
        self.stats.downs += 1;
        Ok(true)
    }

    /// `UPDATE_VECTOR` from robot `id`: the angle and velocity to use next tick.
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
    /// w.tick(|_, _| {});
    /// w.update_vector(4, 73.5, 10.0)?;
    /// assert_eq!(w.held(4).unwrap().angle, 73.5);
    /// assert_eq!(w.outstanding(), 11);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn update_vector(
        &mut self,
        id: RobotId,
        angle: f64,
        velocity: f64,
    ) -> Result<(), SimError> {
        self.stats.messages += 1;
        let slot = self.slot(id)?;
        slot.state.angle = angle;
        slot.state.velocity = velocity;
        if std::mem::replace(&mut slot.awaited, false) {
            self.outstanding -= 1;
        }
        Ok(())
    }

    /// The state the World holds for robot `id`.
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
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.robots.get(index).map(|h| h.state)
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
        let index = usize::try_from(id).ok()?.checked_sub(1)?;
        self.robots.get(index)?.addr.as_ref()
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
        self.joined == self.robots.len()
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
        self.robots.len()
    }

    /// How many robots still have to answer the last `WORLD_STATE`.
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

    /// One tick: move every joined robot in join order, `send` `COLLISION`
    /// to those that hit a wall, then `send` the `WORLD_STATE` to every
    /// joined robot and observer, and wait for the joined robots' answers
    /// (see [`outstanding`](Self::outstanding)).
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
    /// });
    /// assert!(collided.contains(&4));
    /// assert_eq!(report.collisions, collided.len() as u64);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn tick(&mut self, mut send: impl FnMut(&A, Outgoing)) -> TickReport {
        self.begin_tick();
        loop {
            if let Some(report) = self.broadcast(usize::MAX, &mut send) {
                return report;
            }
        }
    }

    /// The first half of [`tick`](Self::tick): moves every joined robot in
    /// join order and builds the tick's `WORLD_STATE`, sending nothing yet.
    /// Follow it with [`broadcast`](Self::broadcast) until that returns the
    /// report; handle no incoming message in between.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::{world::WorldCore, Scenario};
    ///
    /// let s = Scenario::seed();
    /// let mut w = WorldCore::new(&s);
    /// for r in s.robots() { w.join_robot(r.id, r.id, r.state)?; }
    /// let state = w.begin_tick();
    /// assert_eq!(state.robots[3].state.y, 4.0);
    /// let mut sent = 0;
    /// // Five robots at a time: 12 WORLD_STATEs and some COLLISIONs.
    /// let report = loop {
    ///     if let Some(r) = w.broadcast(5, |_, _| sent += 1) { break r }
    /// };
    /// assert_eq!(sent, 12 + report.collisions);
    /// assert_eq!(w.outstanding(), 12);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn begin_tick(&mut self) -> Arc<WorldState> {
        let mut collisions = 0;
        let mut records = self
            .last
            .take()
            .and_then(|mut last| Arc::get_mut(&mut last).map(|s| std::mem::take(&mut s.robots)))
            .unwrap_or_default();
        records.clear();
        records.reserve(self.robots.len());
        for (held, id) in self.robots.iter_mut().zip(1..) {
            held.collided = false;
            if held.addr.is_some() {
                match rules::step(&held.state) {
                    Step::Moved { x, y } => {
                        held.state.x = x;
                        held.state.y = y;
                    }
                    Step::Collided => {
                        collisions += 1;
                        held.collided = true;
                    }
                }
            }
            held.awaited = false;
            records.push(RobotRecord {
                id,
                state: held.state,
            });
        }
        let state = Arc::new(WorldState {
            tick: self.tick,
            robots: records,
        });
        self.outstanding = 0;
        self.broadcast = Some(Broadcast {
            state: Arc::clone(&state),
            next: 0,
            collisions,
        });
        state
    }

    /// The second half of [`tick`](Self::tick): sends `COLLISION` (to
    /// robots that hit a wall) and then `WORLD_STATE` to at most `robots`
    /// more robots, in join order. Once every robot has been served it sends
    /// the `WORLD_STATE` to the observers and returns the tick's report.
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
        mut send: impl FnMut(&A, Outgoing),
    ) -> Option<TickReport> {
        let cast = self
            .broadcast
            .as_mut()
            .expect("broadcast without begin_tick");
        let end = cast.next.saturating_add(robots).min(self.robots.len());
        let mut outstanding = 0;
        let mut sent = 0;
        for held in &mut self.robots[cast.next..end] {
            if let Some(addr) = &held.addr {
                if held.collided {
                    send(addr, Outgoing::Collision);
                    sent += 1;
                }
                send(addr, Outgoing::WorldState(Arc::clone(&cast.state)));
                held.awaited = true;
                outstanding += 1;
            }
        }
        cast.next = end;
        self.outstanding += outstanding;
        self.stats.messages += sent + outstanding as u64;
        if end < self.robots.len() {
            return None;
        }
        let Broadcast {
            state, collisions, ..
        } = self.broadcast.take()?;
        for observer in &self.observers {
            send(observer, Outgoing::WorldState(Arc::clone(&state)));
            self.stats.messages += 1;
        }
        self.tick += 1;
        self.stats.ticks += 1;
        self.stats.collisions += collisions;
        self.last = Some(Arc::clone(&state));
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
        let mut states = Vec::new();
        for _ in 0..2 {
            let mut inbox: Vec<(u32, Outgoing)> = Vec::new();
            world.tick(|to, m| inbox.push((*to, m)));
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
                    Outgoing::WorldState(_) => {
                        let (a, v) = brain.on_world_state();
                        world.update_vector(to, a, v).unwrap();
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
        world.tick(|_, _| {});
        let before = world.held(1).unwrap();
        assert!(world.robot_down(1, &1).unwrap());
        for id in 2..=12 {
            world.update_vector(id, 0.0, 0.0).unwrap();
        }
        assert_eq!(world.outstanding(), 0);
        let report = world.tick(|to, _| assert_ne!(*to, 1));
        assert_eq!(report.state.robots[0].state, before);
        assert_eq!(world.outstanding(), 11);
        // The rejoining robot's state is older: the World's record wins.
        let stale = RobotState::new(1.0, 1.0, 1.0, 1.0);
        world.join_robot(1, 100, stale).unwrap();
        assert_eq!(world.held(1), Some(before));
        assert_eq!(world.stats().rejoins, 1);
        assert!(world.all_joined());
        // A stale down from the old incarnation changes nothing.
        assert!(!world.robot_down(1, &1).unwrap());
    }
}
