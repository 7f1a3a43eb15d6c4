//! The same world as a plain loop, without processes or messages.
//!
//! A baseline for benchmarks and a cross-check for the actor version: for
//! the same scenario and number of ticks it produces the same states.

use crate::rules::{self, RobotBrain, Step};
use crate::scenario::Scenario;
use crate::world::{RobotRecord, WorldState};

/// What a plain run ends with.
///
/// # Examples
///
/// ```
/// let out = actor_sim::plain::run(&actor_sim::Scenario::seed(), 10);
/// assert_eq!((out.ticks, out.last.tick, out.last.robots.len()), (10, 9, 12));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PlainOutcome {
    /// The state recorded at the last tick (tick 0's start if `ticks` is 0).
    pub last: WorldState,
    /// `COLLISION`s over the run.
    pub collisions: u64,
    /// Ticks done.
    pub ticks: u64,
}

/// Runs `ticks` ticks of the rules in one loop and returns the final state.
///
/// # Examples
///
/// ```
/// use actor_sim::{plain, Scenario};
///
/// let out = plain::run(&Scenario::seed(), 2);
/// let r4 = out.last.robots[3].state;
/// assert_eq!((r4.x, r4.y, r4.angle), (473.58819734868194, 1.1598465529607722, 73.5));
/// ```
#[must_use]
pub fn run(scenario: &Scenario, ticks: u64) -> PlainOutcome {
    let mut robots: Vec<RobotRecord> = scenario
        .robots()
        .iter()
        .map(|r| RobotRecord {
            id: r.id,
            state: r.state,
        })
        .collect();
    let mut last = robots.clone();
    let mut collisions = 0;
    for tick in 0..ticks {
        let record = tick + 1 == ticks;
        for (r, kept) in robots.iter_mut().zip(&mut last) {
            let mut brain = RobotBrain::new(r.state.angle, r.state.velocity);
            match rules::step(&r.state) {
                Step::Moved { x, y } => {
                    r.state.x = x;
                    r.state.y = y;
                }
                Step::Collided => {
                    collisions += 1;
                    brain.on_collision();
                }
            }
            if record {
                // What the last WORLD_STATE holds: the position after the
                // move, the angle used for it.
                *kept = *r;
            }
            let (angle, velocity) = brain.on_world_state();
            r.state.angle = angle;
            r.state.velocity = velocity;
        }
    }
    PlainOutcome {
        last: WorldState {
            tick: ticks.saturating_sub(1),
            robots: last,
        },
        collisions,
        ticks,
    }
}

/// Runs `ticks` ticks and hands every tick's `WORLD_STATE` to `observe`, as
/// the Display would see it. Returns the number of collisions.
///
/// # Examples
///
/// ```
/// use actor_sim::{plain, Scenario};
///
/// let mut states = Vec::new();
/// plain::run_observed(&Scenario::seed(), 2, |s| states.push(s.clone()));
/// assert_eq!(states[0].robots[0].state.x, 3.5355339059327378);
/// assert_eq!(states[1].robots[0].state.angle, 135.5);
/// ```
pub fn run_observed(scenario: &Scenario, ticks: u64, mut observe: impl FnMut(&WorldState)) -> u64 {
    let mut state = WorldState {
        tick: 0,
        robots: scenario
            .robots()
            .iter()
            .map(|r| RobotRecord {
                id: r.id,
                state: r.state,
            })
            .collect(),
    };
    let mut collisions = 0;
    let mut collided = vec![false; state.robots.len()];
    for tick in 0..ticks {
        state.tick = tick;
        for (r, hit) in state.robots.iter_mut().zip(&mut collided) {
            match rules::step(&r.state) {
                Step::Moved { x, y } => {
                    r.state.x = x;
                    r.state.y = y;
                    *hit = false;
                }
                Step::Collided => {
                    collisions += 1;
                    *hit = true;
                }
            }
        }
        observe(&state);
        for (r, &hit) in state.robots.iter_mut().zip(&collided) {
            let mut brain = RobotBrain::new(r.state.angle, r.state.velocity);
            if hit {
                brain.on_collision();
            }
            let (angle, velocity) = brain.on_world_state();
            r.state.angle = angle;
            r.state.velocity = velocity;
        }
    }
    collisions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_and_run_observed_agree() {
        let s = Scenario::random(500, 3).unwrap();
        let mut last = None;
        let collisions = run_observed(&s, 300, |st| last = Some(st.clone()));
        let out = run(&s, 300);
        assert_eq!(Some(out.last), last);
        assert_eq!(out.collisions, collisions);
    }
}
