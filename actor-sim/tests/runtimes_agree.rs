//! The World waits for every robot each tick, so the trace does not depend
//! on the runtime or its scheduling.

use std::path::PathBuf;

use actor_sim::display::Outputs;
use actor_sim::{RuntimeKind, Scenario, SimConfig};

fn trace(scenario: &Scenario, ticks: u64, runtime: RuntimeKind, name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("runtimes-{name}.jsonl"));
    let outputs = Outputs {
        trace: Some(path.clone()),
        ..Outputs::default()
    };
    let config = SimConfig {
        ticks,
        runtime,
        ..SimConfig::default()
    };
    let report = actor_sim::run(scenario, &config, outputs.prepare().unwrap()).unwrap();
    assert_eq!(report.recorded.trace_lines, ticks);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn seed_world_gives_one_trace_on_every_runtime() {
    let s = Scenario::seed();
    let tokio = trace(&s, 250, RuntimeKind::Tokio, "seed-tokio");
    let current = trace(&s, 250, RuntimeKind::TokioCurrentThread, "seed-current");
    let det_a = trace(
        &s,
        250,
        RuntimeKind::Deterministic { seed: 1 },
        "seed-det-1",
    );
    let det_b = trace(
        &s,
        250,
        RuntimeKind::Deterministic { seed: 99 },
        "seed-det-99",
    );
    assert_eq!(tokio.lines().count(), 250);
    assert!(tokio == current, "tokio current-thread differs");
    assert!(tokio == det_a, "deterministic seed 1 differs");
    assert!(tokio == det_b, "deterministic seed 99 differs");
}

#[test]
fn random_world_gives_one_trace_on_every_runtime() {
    let s = Scenario::random(2000, 5).unwrap();
    let tokio = trace(&s, 30, RuntimeKind::Tokio, "random-tokio");
    let det = trace(&s, 30, RuntimeKind::Deterministic { seed: 5 }, "random-det");
    assert!(tokio == det, "random world: runtimes differ");
}

#[test]
fn processes_agree_with_the_plain_loop() {
    let s = Scenario::random(300, 8).unwrap();
    let text = trace(&s, 100, RuntimeKind::Tokio, "plain");
    let traced = actor_sim::trace::read(text.as_bytes()).unwrap();
    let mut plain = Vec::new();
    actor_sim::plain::run_observed(&s, 100, |st| plain.push(st.clone()));
    assert_eq!(traced, plain);
}
