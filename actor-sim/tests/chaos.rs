//! With chaos, robots are killed every tick; their supervisor restarts them,
//! they join again with the state the World held, and the World keeps
//! ticking without waiting forever for the dead.

use std::path::PathBuf;

use actor_sim::display::Outputs;
use actor_sim::{RuntimeKind, Scenario, SimConfig};

fn chaos_run(runtime: RuntimeKind, name: &str) -> String {
    const ROBOTS: usize = 40;
    const TICKS: u64 = 200;
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("chaos-{name}.jsonl"));
    let outputs = Outputs {
        trace: Some(path.clone()),
        ..Outputs::default()
    };
    let config = SimConfig {
        ticks: TICKS,
        runtime,
        chaos: 3,
        chaos_seed: 4,
        ..SimConfig::default()
    };
    let scenario = Scenario::random(ROBOTS, 2).unwrap();
    let report = actor_sim::run(&scenario, &config, outputs.prepare().unwrap()).unwrap();
    assert_eq!(report.stats.ticks, TICKS);
    // At least the first tick's victims; how many more depends on how fast
    // the supervisor brings robots back (a dead robot is not killed again).
    assert!(report.kills >= 3, "kills: {}", report.kills);
    assert!(report.stats.rejoins > 0, "no robot came back");
    assert_eq!(
        report.stats.downs, report.stats.rejoins,
        "every dead robot came back"
    );
    assert_eq!(
        report.joined_at_end, ROBOTS,
        "all robots present at the end"
    );

    let text = std::fs::read_to_string(path).unwrap();
    let states = actor_sim::trace::read(text.as_bytes()).unwrap();
    assert_eq!(states.len() as u64, TICKS);
    let last = states.last().unwrap();
    assert!(last.robots.iter().map(|r| r.id).eq(1..=ROBOTS as u32));
    // A robot never jumps: each move is at most its velocity.
    for pair in states.windows(2) {
        for (a, b) in pair[0].robots.iter().zip(&pair[1].robots) {
            let d = (b.state.x - a.state.x).hypot(b.state.y - a.state.y);
            assert!(d <= a.state.velocity + 1e-9, "robot {} jumped {d}", a.id);
            assert!((0.0..=496.0).contains(&b.state.x) && (0.0..=496.0).contains(&b.state.y));
        }
    }
    text
}

#[test]
fn chaos_on_tokio_keeps_the_world_ticking() {
    chaos_run(RuntimeKind::Tokio, "tokio");
}

#[test]
fn chaos_on_the_deterministic_runtime_keeps_the_world_ticking() {
    chaos_run(RuntimeKind::Deterministic { seed: 3 }, "det");
}

#[test]
fn chaos_replays_on_the_deterministic_runtime() {
    let a = chaos_run(RuntimeKind::Deterministic { seed: 8 }, "replay-a");
    let b = chaos_run(RuntimeKind::Deterministic { seed: 8 }, "replay-b");
    assert!(a == b, "the same seed gave two different chaos runs");
}
