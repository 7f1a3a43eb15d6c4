//! Who is in the world at tick 0: the seed's twelve robots, or N random ones.

use crate::error::SimError;
use crate::rules::{BOUND, RobotId, RobotState};

/// One robot of a scenario: its id (its place in the join order) and the
/// state it joins with.
///
/// # Examples
///
/// ```
/// let spec = actor_sim::Scenario::seed().robots()[1];
/// assert_eq!((spec.id, spec.state.angle, spec.state.velocity), (2, 225.0, 10.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobotSpec {
    /// Id, starting at 1, in join order.
    pub id: RobotId,
    /// Position, angle and velocity sent with `JOIN`.
    pub state: RobotState,
}

/// The robots that join before tick 0, in join order (ids `1..=n`).
///
/// # Examples
///
/// ```
/// use actor_sim::Scenario;
///
/// let s = Scenario::seed();
/// assert_eq!(s.len(), 12);
/// assert_eq!(s.robots()[0].state.angle, 135.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    robots: Vec<RobotSpec>,
}

/// The seed's robots: `((x, y), angle, velocity)` in join order.
const SEED_ROBOTS: [((f64, f64), f64, f64); 12] = [
    ((0.0, 0.0), 135.0, 5.0),
    ((464.0, 0.0), 225.0, 10.0),
    ((464.0, 0.0), 0.0, 100.0),
    ((464.0, 4.0), 0.0, 10.0),
    ((464.0, 6.0), 0.0, 20.0),
    ((464.0, 6.0), 0.0, 30.0),
    ((464.0, 6.0), 0.0, 40.0),
    ((464.0, 6.0), 0.0, 50.0),
    ((464.0, 6.0), 0.0, 60.0),
    ((464.0, 6.0), 0.0, 70.0),
    ((464.0, 6.0), 0.0, 80.0),
    ((464.0, 6.0), 0.0, 90.0),
];

impl Scenario {
    /// The seed document's twelve robots, ids 1 to 12.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = actor_sim::Scenario::seed();
    /// let r4 = s.robots()[3];
    /// assert_eq!((r4.id, r4.state.x, r4.state.y), (4, 464.0, 4.0));
    /// ```
    #[must_use]
    pub fn seed() -> Self {
        let robots = SEED_ROBOTS
            .iter()
            .zip(1..)
            .map(|(&((x, y), angle, velocity), id)| RobotSpec {
                id,
                state: RobotState::new(x, y, angle, velocity),
            })
            .collect();
        Self { robots }
    }

    /// `n` robots drawn from `seed`: positions uniform in `0..=496`, angles
    /// in `0..360`, velocities in `1..20`. The same seed gives the same robots.
    ///
    /// # Errors
    ///
    /// [`SimError::NoRobots`] when `n` is 0, [`SimError::TooManyRobots`]
    /// when ids would not fit a [`RobotId`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::Scenario;
    ///
    /// let a = Scenario::random(1000, 7)?;
    /// assert_eq!(a, Scenario::random(1000, 7)?);
    /// assert!(a.robots().iter().all(|r| (1.0..20.0).contains(&r.state.velocity)));
    /// assert!(Scenario::random(0, 7).is_err());
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn random(n: usize, seed: u64) -> Result<Self, SimError> {
        if n == 0 {
            return Err(SimError::NoRobots);
        }
        if RobotId::try_from(n).is_err() {
            return Err(SimError::TooManyRobots(n));
        }
        let mut rng = SplitMix64::new(seed);
        let robots = (1..=n as RobotId)
            .map(|id| {
                let x = rng.next_f64_inclusive() * BOUND;
                let y = rng.next_f64_inclusive() * BOUND;
                let angle = rng.next_f64() * 360.0;
                let velocity = 1.0 + rng.next_f64() * 19.0;
                RobotSpec {
                    id,
                    state: RobotState::new(x, y, angle, velocity),
                }
            })
            .collect();
        Ok(Self { robots })
    }

    /// A scenario of the given robots, taken in order and numbered from 1.
    ///
    /// # Errors
    ///
    /// [`SimError::NoRobots`] for an empty list, [`SimError::TooManyRobots`]
    /// when ids would not fit a [`RobotId`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::{rules::RobotState, Scenario};
    ///
    /// let s = Scenario::from_states(vec![RobotState::new(1.0, 2.0, 90.0, 3.0)])?;
    /// assert_eq!(s.robots()[0].id, 1);
    /// # Ok::<(), actor_sim::SimError>(())
    /// ```
    pub fn from_states(states: Vec<RobotState>) -> Result<Self, SimError> {
        if states.is_empty() {
            return Err(SimError::NoRobots);
        }
        if RobotId::try_from(states.len()).is_err() {
            return Err(SimError::TooManyRobots(states.len()));
        }
        let robots = states
            .into_iter()
            .zip(1..)
            .map(|(state, id)| RobotSpec { id, state })
            .collect();
        Ok(Self { robots })
    }

    /// The robots in join order.
    ///
    /// # Examples
    ///
    /// ```
    /// let s = actor_sim::Scenario::seed();
    /// assert!(s.robots().iter().map(|r| r.id).eq(1..=12));
    /// ```
    #[must_use]
    pub fn robots(&self) -> &[RobotSpec] {
        &self.robots
    }

    /// How many robots.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(actor_sim::Scenario::seed().len(), 12);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.robots.len()
    }

    /// Always false: a scenario has at least one robot.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!actor_sim::Scenario::seed().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.robots.is_empty()
    }
}

/// SplitMix64, the small seeded generator used for random scenarios and for
/// choosing chaos victims. Not for cryptography.
///
/// # Examples
///
/// ```
/// use actor_sim::scenario::SplitMix64;
///
/// let mut a = SplitMix64::new(1);
/// let mut b = SplitMix64::new(1);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut g = actor_sim::scenario::SplitMix64::new(0);
    /// assert_eq!(g.next_u64(), 0xe220a8397b1dcdaf);
    /// ```
    #[must_use]
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut g = actor_sim::scenario::SplitMix64::new(0);
    /// assert_ne!(g.next_u64(), g.next_u64());
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A float uniform in `[0, 1)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut g = actor_sim::scenario::SplitMix64::new(3);
    /// assert!((0.0..1.0).contains(&g.next_f64()));
    /// ```
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A float uniform in `[0, 1]`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut g = actor_sim::scenario::SplitMix64::new(3);
    /// assert!((0.0..=1.0).contains(&g.next_f64_inclusive()));
    /// ```
    pub fn next_f64_inclusive(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / ((1u64 << 53) - 1) as f64
    }

    /// An integer uniform in `0..n` (`n` must be positive).
    ///
    /// # Panics
    ///
    /// When `n` is 0.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut g = actor_sim::scenario::SplitMix64::new(9);
    /// assert!((0..3).contains(&g.below(3)));
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "SplitMix64::below(0)");
        // Lemire's multiply-shift: unbiased enough for picking victims.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // Reference values of SplitMix64 seeded with 1234567.
        let mut g = SplitMix64::new(1_234_567);
        assert_eq!(g.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(g.next_u64(), 3_203_168_211_198_807_973);
    }

    #[test]
    fn random_scenario_in_bounds() {
        let s = Scenario::random(10_000, 1).unwrap();
        for r in s.robots() {
            assert!((0.0..=BOUND).contains(&r.state.x));
            assert!((0.0..=BOUND).contains(&r.state.y));
            assert!((0.0..360.0).contains(&r.state.angle));
            assert!((1.0..20.0).contains(&r.state.velocity));
        }
        assert_ne!(s, Scenario::random(10_000, 2).unwrap());
    }
}
