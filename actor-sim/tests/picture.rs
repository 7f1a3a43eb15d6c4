//! The picture of the last tick: the right size, the seed's background, and
//! each robot drawn where the trace puts it.

use std::path::PathBuf;
use std::process::Command;

use actor_sim::picture::{BACKGROUND, HEIGHT, ICON_OFFSET, WIDTH, robot_color};
use actor_sim::tiny_skia::Pixmap;
use actor_sim::world::WorldState;

fn run_and_load(args: &[&str], name: &str) -> (Pixmap, WorldState) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("picture-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("world.png");
    let trace = dir.join("trace.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_robot-world"))
        .args(args)
        .arg("--png")
        .arg(&png)
        .arg("--trace")
        .arg(&trace)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pixmap = Pixmap::decode_png(&std::fs::read(&png).unwrap()).unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    let last = actor_sim::trace::parse_line(text.lines().last().unwrap()).unwrap();
    (pixmap, last)
}

fn rgb(pixmap: &Pixmap, x: f64, y: f64) -> [u8; 3] {
    let p = pixmap.pixel(x as u32, y as u32).unwrap();
    [p.red(), p.green(), p.blue()]
}

/// Checks every robot: the pixel at its centre has its colour when no other
/// robot is near enough to cover it, and is never background.
fn check_robots(pixmap: &Pixmap, last: &WorldState) -> usize {
    let mut checked = 0;
    for r in &last.robots {
        let (cx, cy) = (r.state.x + ICON_OFFSET, r.state.y + ICON_OFFSET);
        let got = rgb(pixmap, cx, cy);
        assert_ne!(got, BACKGROUND, "robot {} not drawn at ({cx}, {cy})", r.id);
        let alone = last
            .robots
            .iter()
            .all(|o| o.id == r.id || (o.state.x - r.state.x).hypot(o.state.y - r.state.y) > 20.0);
        if alone {
            assert_eq!(got, robot_color(r.id), "robot {} at ({cx}, {cy})", r.id);
            checked += 1;
        }
    }
    checked
}

#[test]
fn seed_world_picture_shows_robots_at_their_trace_positions() {
    let (pixmap, last) = run_and_load(&["--ticks", "400"], "seed");
    assert_eq!((pixmap.width(), pixmap.height()), (WIDTH, HEIGHT));
    assert_eq!((WIDTH, HEIGHT), (660, 648));
    // Corners far from the 0..=496 field are background.
    assert_eq!(rgb(&pixmap, 659.0, 647.0), BACKGROUND);
    assert_eq!(rgb(&pixmap, 600.0, 10.0), BACKGROUND);
    assert_eq!(last.tick, 399);
    let checked = check_robots(&pixmap, &last);
    assert!(checked >= 6, "only {checked} robots stood alone");
}

#[test]
fn random_world_picture_shows_robots_at_their_trace_positions() {
    let (pixmap, last) = run_and_load(
        &["--ticks", "60", "--robots", "30", "--seed", "9"],
        "random",
    );
    assert_eq!((pixmap.width(), pixmap.height()), (660, 648));
    let checked = check_robots(&pixmap, &last);
    assert!(checked >= 10, "only {checked} robots stood alone");
}
