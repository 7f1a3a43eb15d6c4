//! The rules of the robot world, as pure functions over plain data.
//!
//! Everything the World and the Robots compute lives here, so that the
//! actor version ([`crate::sim`]) and the plain loop ([`crate::plain`]) run
//! the very same arithmetic:
//!
//! * the World moves a robot by `x' = x + sin(a)·v`, `y' = y − cos(a)·v`
//!   (angles in degrees), unless `x'` or `y'` leaves `0..=496`, in which case
//!   the robot stays and gets `COLLISION` ([`step`]);
//! * a robot turns [`COLLISION_TURN`] degrees on `COLLISION` and
//!   [`TICK_TURN`] degrees on every `WORLD_STATE` ([`RobotBrain`]), wrapping
//!   an angle of 360 or more once ([`wrap_angle`]).

use serde::{Deserialize, Serialize};

/// The largest coordinate a robot may stand on, on both axes (the smallest is 0).
pub const BOUND: f64 = 496.0;

/// Degrees a robot turns when it receives `COLLISION`.
pub const COLLISION_TURN: f64 = 73.0;

/// Degrees a robot turns on every `WORLD_STATE`.
pub const TICK_TURN: f64 = 0.5;

/// A robot's identity: its place in the join order, starting at 1.
///
/// # Examples
///
/// ```
/// let first: actor_sim::rules::RobotId = actor_sim::Scenario::seed().robots()[0].id;
/// assert_eq!(first, 1);
/// ```
pub type RobotId = u32;

/// What the World holds for one robot: position, heading and speed.
///
/// # Examples
///
/// ```
/// use actor_sim::rules::RobotState;
///
/// let r = RobotState::new(0.0, 0.0, 135.0, 5.0);
/// assert_eq!(r.angle, 135.0);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RobotState {
    /// Horizontal position, `0..=496`, growing to the right.
    pub x: f64,
    /// Vertical position, `0..=496`, growing downwards (screen coordinates).
    pub y: f64,
    /// Heading in degrees: 0 points up (towards smaller `y`), 90 to the right.
    pub angle: f64,
    /// Distance covered per tick.
    pub velocity: f64,
}

impl RobotState {
    /// Builds a state from its four numbers.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = actor_sim::rules::RobotState::new(464.0, 4.0, 0.0, 10.0);
    /// assert_eq!((r.x, r.y, r.angle, r.velocity), (464.0, 4.0, 0.0, 10.0));
    /// ```
    #[must_use]
    pub const fn new(x: f64, y: f64, angle: f64, velocity: f64) -> Self {
        Self {
            x,
            y,
            angle,
            velocity,
        }
    }
}

/// The outcome of one World step for one robot.
///
/// # Examples
///
/// ```
/// use actor_sim::rules::{step, RobotState, Step};
///
/// assert!(matches!(step(&RobotState::new(10.0, 10.0, 90.0, 1.0)), Step::Moved { .. }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Step {
    /// The robot moves to this position.
    Moved {
        /// New horizontal position.
        x: f64,
        /// New vertical position.
        y: f64,
    },
    /// The next position would leave the canvas: the robot stays and is sent
    /// `COLLISION`.
    Collided,
}

/// Whether a position lies outside the canvas `0..=496` on either axis.
///
/// # Examples
///
/// ```
/// use actor_sim::rules::is_collision;
///
/// assert!(!is_collision(0.0, 496.0));
/// assert!(is_collision(-0.1, 10.0));
/// assert!(is_collision(10.0, 496.5));
/// ```
#[must_use]
pub fn is_collision(x: f64, y: f64) -> bool {
    !(0.0..=BOUND).contains(&x) || !(0.0..=BOUND).contains(&y)
}

/// The World's step for one robot: where its angle and velocity take it.
///
/// # Examples
///
/// ```
/// use actor_sim::rules::{step, RobotState, Step};
///
/// // Robot 4 of the seed heads straight up from y = 4 at speed 10: wall.
/// assert_eq!(step(&RobotState::new(464.0, 4.0, 0.0, 10.0)), Step::Collided);
/// // Robot 1 heads down-right.
/// match step(&RobotState::new(0.0, 0.0, 135.0, 5.0)) {
///     Step::Moved { x, y } => assert!((x - 3.5355).abs() < 1e-4 && (y - 3.5355).abs() < 1e-4),
///     other => panic!("{other:?}"),
/// }
/// ```
#[must_use]
pub fn step(state: &RobotState) -> Step {
    step_by(state, Vector::of(state.angle, state.velocity))
}

/// How far one tick takes a robot along each axis: `sin(a)·v` and
/// `cos(a)·v` for its angle `a` (in degrees) and velocity `v`.
///
/// A robot computes its own with its `UPDATE_VECTOR`; the World moves it
/// by it with [`step_by`], the same arithmetic as [`step`].
///
/// # Examples
///
/// ```
/// use actor_sim::rules::{step, step_by, RobotState, Vector};
///
/// let r = RobotState::new(0.0, 0.0, 135.0, 5.0);
/// let v = Vector::of(r.angle, r.velocity);
/// assert!((v.dx - 3.5355).abs() < 1e-4 && (v.dy + 3.5355).abs() < 1e-4);
/// assert_eq!(step_by(&r, v), step(&r));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vector {
    /// `sin(a)·v`: added to `x`.
    pub dx: f64,
    /// `cos(a)·v`: taken from `y` (y grows downwards).
    pub dy: f64,
}

impl Vector {
    /// The vector of `angle` (degrees) and `velocity`.
    ///
    /// # Examples
    ///
    /// ```
    /// let v = actor_sim::rules::Vector::of(0.0, 10.0);
    /// assert_eq!((v.dx, v.dy), (0.0, 10.0));
    /// ```
    #[must_use]
    pub fn of(angle: f64, velocity: f64) -> Self {
        let radians = angle.to_radians();
        Self {
            dx: radians.sin() * velocity,
            dy: radians.cos() * velocity,
        }
    }
}

/// The World's step for one robot by its [`Vector`]: [`step`] with the
/// vector computed already.
///
/// # Examples
///
/// ```
/// use actor_sim::rules::{step_by, RobotState, Step, Vector};
///
/// let r = RobotState::new(464.0, 4.0, 0.0, 10.0);
/// assert_eq!(step_by(&r, Vector::of(0.0, 10.0)), Step::Collided);
/// ```
#[must_use]
pub fn step_by(state: &RobotState, vector: Vector) -> Step {
    let x = state.x + vector.dx;
    let y = state.y - vector.dy;
    if is_collision(x, y) {
        Step::Collided
    } else {
        Step::Moved { x, y }
    }
}

/// Subtracts 360 once from an angle of 360 or more, as the seed's robot does.
///
/// # Examples
///
/// ```
/// use actor_sim::rules::wrap_angle;
///
/// assert_eq!(wrap_angle(359.5), 359.5);
/// assert_eq!(wrap_angle(360.0), 0.0);
/// assert_eq!(wrap_angle(433.0), 73.0);
/// ```
#[must_use]
pub fn wrap_angle(angle: f64) -> f64 {
    if angle >= 360.0 { angle - 360.0 } else { angle }
}

/// A robot's own view of itself: the part of the seed's `Robot` that decides.
///
/// The World moves robots; a robot only steers. It turns on `COLLISION`, and
/// on `WORLD_STATE` it turns a little and answers `UPDATE_VECTOR` with its
/// angle and velocity.
///
/// # Examples
///
/// ```
/// use actor_sim::rules::RobotBrain;
///
/// let mut brain = RobotBrain::new(0.0, 10.0);
/// brain.on_collision();
/// assert_eq!(brain.on_world_state(), (73.5, 10.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RobotBrain {
    /// Heading in degrees.
    pub angle: f64,
    /// Speed.
    pub velocity: f64,
}

impl RobotBrain {
    /// A brain with this heading and speed.
    ///
    /// # Examples
    ///
    /// ```
    /// let brain = actor_sim::rules::RobotBrain::new(135.0, 5.0);
    /// assert_eq!(brain.angle, 135.0);
    /// ```
    #[must_use]
    pub const fn new(angle: f64, velocity: f64) -> Self {
        Self { angle, velocity }
    }

    /// `COLLISION`: turn by [`COLLISION_TURN`], then wrap.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut brain = actor_sim::rules::RobotBrain::new(300.0, 1.0);
    /// brain.on_collision();
    /// assert_eq!(brain.angle, 13.0);
    /// ```
    pub fn on_collision(&mut self) {
        self.angle = wrap_angle(self.angle + COLLISION_TURN);
    }

    /// `WORLD_STATE`: turn by [`TICK_TURN`], wrap, and give the
    /// `UPDATE_VECTOR` answer `(angle, velocity)`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut brain = actor_sim::rules::RobotBrain::new(359.5, 2.0);
    /// assert_eq!(brain.on_world_state(), (0.0, 2.0));
    /// ```
    pub fn on_world_state(&mut self) -> (f64, f64) {
        self.angle = wrap_angle(self.angle + TICK_TURN);
        (self.angle, self.velocity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the rules the way the World and a robot do, for one robot.
    fn tick(state: &mut RobotState) {
        let mut brain = RobotBrain::new(state.angle, state.velocity);
        match step(state) {
            Step::Moved { x, y } => {
                state.x = x;
                state.y = y;
            }
            Step::Collided => brain.on_collision(),
        }
        let (angle, velocity) = brain.on_world_state();
        state.angle = angle;
        state.velocity = velocity;
    }

    #[test]
    fn worked_example_robot_1() {
        let mut r = RobotState::new(0.0, 0.0, 135.0, 5.0);
        // Tick 0: moved with angle 135.
        assert_eq!(
            step(&r),
            Step::Moved {
                x: 3.5355339059327378,
                y: 3.5355339059327373
            }
        );
        tick(&mut r);
        assert_eq!(r.angle, 135.5);
        // Tick 1.
        assert_eq!(
            step(&r),
            Step::Moved {
                x: 7.040080227431993,
                y: 7.101786151703644
            }
        );
    }

    #[test]
    fn worked_example_robot_4() {
        let mut r = RobotState::new(464.0, 4.0, 0.0, 10.0);
        assert_eq!(step(&r), Step::Collided);
        tick(&mut r);
        assert_eq!((r.x, r.y, r.angle), (464.0, 4.0, 73.5));
        assert_eq!(
            step(&r),
            Step::Moved {
                x: 473.58819734868194,
                y: 1.1598465529607722
            }
        );
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(!is_collision(0.0, 0.0));
        assert!(!is_collision(BOUND, BOUND));
        assert!(is_collision(BOUND + f64::EPSILON * 1024.0, 0.0));
        assert!(is_collision(0.0, -f64::MIN_POSITIVE));
    }

    #[test]
    fn wrap_subtracts_once() {
        assert_eq!(wrap_angle(0.0), 0.0);
        assert_eq!(wrap_angle(720.0), 360.0);
        let mut brain = RobotBrain::new(359.9, 1.0);
        brain.on_collision();
        assert!((brain.angle - 72.9).abs() < 1e-9);
    }
}
