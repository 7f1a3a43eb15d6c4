//! Pictures of the world, drawn with tiny-skia, like the seed's window.
//!
//! The canvas is [`WIDTH`]×[`HEIGHT`] on a grey [`BACKGROUND`]. The seed
//! blits a 32-pixel icon whose top-left corner is the robot's position; here
//! each robot is a filled triangle centred on the middle of that icon, at
//! `(x + ICON_OFFSET, y + ICON_OFFSET)` (see [`to_screen`]), pointing along
//! its heading (angle `a` points to `(sin a, −cos a)`), above a thin trail of
//! its recent positions in a lighter shade of its colour ([`robot_color`]).

use std::path::Path;

use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform,
};

use crate::error::SimError;
use crate::rules::RobotId;
use crate::world::WorldState;

/// Canvas width in pixels, as the seed's window.
pub const WIDTH: u32 = 660;
/// Canvas height in pixels, as the seed's window.
pub const HEIGHT: u32 = 648;
/// Background colour, as the seed's window.
pub const BACKGROUND: [u8; 3] = [200, 200, 200];
/// The offset from a robot's position to the centre of its drawing: the
/// middle of the seed's 32-pixel icon.
pub const ICON_OFFSET: f64 = 16.0;
/// How many past positions a trail shows, by default.
pub const DEFAULT_TRAIL: usize = 24;

/// Distance from the centre to the triangle's tip.
const NOSE: f32 = 9.0;
/// Distance from the centre back to the triangle's base.
const TAIL: f32 = 6.0;
/// Half the width of the triangle's base.
const HALF_BASE: f32 = 6.0;

/// Where robot position `(x, y)` is drawn: the centre of its triangle.
///
/// # Examples
///
/// ```
/// assert_eq!(actor_sim::picture::to_screen(0.0, 480.0), (16.0, 496.0));
/// ```
#[must_use]
pub fn to_screen(x: f64, y: f64) -> (f64, f64) {
    (x + ICON_OFFSET, y + ICON_OFFSET)
}

/// The opaque colour of robot `id`: hues spread by the golden ratio, never grey.
///
/// # Examples
///
/// ```
/// use actor_sim::picture::{robot_color, BACKGROUND};
///
/// assert_ne!(robot_color(1), robot_color(2));
/// assert_ne!(robot_color(1), BACKGROUND);
/// ```
#[must_use]
pub fn robot_color(id: RobotId) -> [u8; 3] {
    let hue = (f64::from(id) * 0.618_033_988_749_895).fract() * 6.0;
    let (s, v) = (0.8, 0.8);
    let c = v * s;
    let x = c * (1.0 - ((hue % 2.0) - 1.0).abs());
    let m = v - c;
    let (r, g, b) = match hue as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let to_u8 = |f: f64| ((f + m) * 255.0).round() as u8;
    [to_u8(r), to_u8(g), to_u8(b)]
}

/// The recent positions of every robot, for drawing trails.
///
/// One flat ring of `len` rows with one column per robot, so that 100,000
/// robots cost one allocation.
///
/// # Examples
///
/// ```
/// use actor_sim::{picture::Trails, plain, Scenario};
///
/// let mut trails = Trails::new(8);
/// plain::run_observed(&Scenario::seed(), 20, |state| trails.push(state));
/// assert_eq!(trails.depth(), 8);
/// assert_eq!(trails.path(0).count(), 8);
/// ```
#[derive(Debug, Clone)]
pub struct Trails {
    len: usize,
    robots: usize,
    /// Rows of positions; row `k % len` holds the `k`-th pushed state.
    points: Vec<(f32, f32)>,
    pushed: usize,
}

impl Trails {
    /// Trails of the last `len` positions (at least 1).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(actor_sim::picture::Trails::new(0).depth(), 0);
    /// ```
    #[must_use]
    pub fn new(len: usize) -> Self {
        Self {
            len: len.max(1),
            robots: 0,
            points: Vec::new(),
            pushed: 0,
        }
    }

    /// Records the positions of one tick.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_sim::{picture::Trails, world::WorldState};
    ///
    /// let mut t = Trails::new(4);
    /// t.push(&WorldState { tick: 0, robots: vec![] });
    /// assert_eq!(t.depth(), 1);
    /// ```
    pub fn push(&mut self, state: &WorldState) {
        if state.robots.len() != self.robots {
            self.robots = state.robots.len();
            self.points = vec![(0.0, 0.0); self.robots * self.len];
            self.pushed = 0;
        }
        let row = self.pushed % self.len;
        let start = row * self.robots;
        for (slot, r) in self.points[start..start + self.robots]
            .iter_mut()
            .zip(&state.robots)
        {
            let (x, y) = to_screen(r.state.x, r.state.y);
            *slot = (x as f32, y as f32);
        }
        self.pushed += 1;
    }

    /// How many positions each trail has now (at most the length asked for).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(actor_sim::picture::Trails::new(4).depth(), 0);
    /// ```
    #[must_use]
    pub fn depth(&self) -> usize {
        self.pushed.min(self.len)
    }

    /// The screen positions of the robot in column `index` (its place in the
    /// `WORLD_STATE`), oldest first.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(actor_sim::picture::Trails::new(4).path(0).count(), 0);
    /// ```
    pub fn path(&self, index: usize) -> impl Iterator<Item = (f32, f32)> + '_ {
        let depth = if index < self.robots { self.depth() } else { 0 };
        let first = self.pushed - depth;
        (first..self.pushed).map(move |k| self.points[(k % self.len) * self.robots + index])
    }
}

/// Draws one tick: background, trails, then each robot as an oriented
/// triangle, ids ascending (a later robot covers an earlier one).
///
/// # Errors
///
/// [`SimError::Invalid`] only if the canvas cannot be allocated.
///
/// # Examples
///
/// ```
/// use actor_sim::{picture, plain, Scenario};
///
/// let mut last = None;
/// plain::run_observed(&Scenario::seed(), 3, |s| last = Some(s.clone()));
/// let pixmap = picture::render(&last.unwrap(), None)?;
/// assert_eq!((pixmap.width(), pixmap.height()), (660, 648));
/// let corner = pixmap.pixel(659, 647).unwrap();
/// assert_eq!((corner.red(), corner.green(), corner.blue()), (200, 200, 200));
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub fn render(state: &WorldState, trails: Option<&Trails>) -> Result<Pixmap, SimError> {
    let mut pixmap = Pixmap::new(WIDTH, HEIGHT)
        .ok_or_else(|| SimError::Invalid("cannot allocate the canvas".into()))?;
    let [r, g, b] = BACKGROUND;
    pixmap.fill(Color::from_rgba8(r, g, b, 255));

    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };
    if let Some(trails) = trails.filter(|t| t.depth() > 1) {
        let stroke = Stroke {
            width: 1.5,
            line_cap: LineCap::Round,
            line_join: LineJoin::Round,
            ..Stroke::default()
        };
        for (index, robot) in state.robots.iter().enumerate() {
            let mut pb = PathBuilder::new();
            for (k, (x, y)) in trails.path(index).enumerate() {
                if k == 0 {
                    pb.move_to(x, y);
                } else {
                    pb.line_to(x, y);
                }
            }
            if let Some(path) = pb.finish() {
                let [r, g, b] = robot_color(robot.id);
                paint.set_color_rgba8(r, g, b, 110);
                pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
            }
        }
    }
    for robot in &state.robots {
        let (cx, cy) = to_screen(robot.state.x, robot.state.y);
        let (cx, cy) = (cx as f32, cy as f32);
        let a = robot.state.angle.to_radians();
        let (dx, dy) = (a.sin() as f32, -a.cos() as f32);
        // Perpendicular to the heading.
        let (px, py) = (-dy, dx);
        let mut pb = PathBuilder::new();
        pb.move_to(cx + dx * NOSE, cy + dy * NOSE);
        pb.line_to(
            cx - dx * TAIL + px * HALF_BASE,
            cy - dy * TAIL + py * HALF_BASE,
        );
        pb.line_to(
            cx - dx * TAIL - px * HALF_BASE,
            cy - dy * TAIL - py * HALF_BASE,
        );
        pb.close();
        if let Some(path) = pb.finish() {
            let [r, g, b] = robot_color(robot.id);
            paint.set_color_rgba8(r, g, b, 255);
            pixmap.fill_path(
                &path,
                &paint,
                FillRule::Winding,
                Transform::identity(),
                None,
            );
        }
    }
    Ok(pixmap)
}

/// Encodes a picture as PNG bytes.
///
/// # Errors
///
/// [`SimError::Png`] when encoding fails; `path` only names the destination
/// in the message.
///
/// # Examples
///
/// ```
/// let pixmap = tiny_skia::Pixmap::new(4, 4).unwrap();
/// let bytes = actor_sim::picture::encode_png(&pixmap, "x.png".as_ref())?;
/// assert_eq!(&bytes[1..4], b"PNG");
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub fn encode_png(pixmap: &Pixmap, path: &Path) -> Result<Vec<u8>, SimError> {
    pixmap.encode_png().map_err(|e| SimError::Png {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Draws `state` and writes it as a PNG file at `path`.
///
/// # Errors
///
/// [`SimError::Io`] when the file cannot be written, [`SimError::Png`] when
/// encoding fails.
///
/// # Examples
///
/// ```no_run
/// use actor_sim::{picture, world::WorldState};
///
/// picture::save(&WorldState { tick: 0, robots: vec![] }, None, "empty.png".as_ref())?;
/// # Ok::<(), actor_sim::SimError>(())
/// ```
pub fn save(state: &WorldState, trails: Option<&Trails>, path: &Path) -> Result<(), SimError> {
    let pixmap = render(state, trails)?;
    let bytes = encode_png(&pixmap, path)?;
    std::fs::write(path, bytes).map_err(|e| SimError::io("write the picture", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RobotState;
    use crate::world::RobotRecord;

    #[test]
    fn triangle_points_along_heading() {
        // One robot heading right (90°): the pixel in front of the centre is
        // coloured, the one behind the base is background.
        let state = WorldState {
            tick: 0,
            robots: vec![RobotRecord {
                id: 1,
                state: RobotState::new(100.0, 100.0, 90.0, 1.0),
            }],
        };
        let pixmap = render(&state, None).unwrap();
        let (cx, cy) = (116, 116);
        let rgb = |x: u32, y: u32| {
            let p = pixmap.pixel(x, y).unwrap();
            [p.red(), p.green(), p.blue()]
        };
        assert_eq!(rgb(cx, cy), robot_color(1));
        assert_eq!(rgb(cx + 3, cy), robot_color(1));
        assert_eq!(rgb(cx - 8, cy), BACKGROUND);
        assert_eq!(rgb(cx, cy - 9), BACKGROUND);
    }

    #[test]
    fn palette_is_opaque_and_distinct() {
        let colours: std::collections::HashSet<_> = (1..=12).map(robot_color).collect();
        assert_eq!(colours.len(), 12);
        assert!(!colours.contains(&BACKGROUND));
    }
}
