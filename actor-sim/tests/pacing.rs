//! `tick_interval` (`--tick-ms`) makes each tick take at least that long,
//! so that a live view can be followed; the ticks are the same.

use std::time::Duration;

use actor_sim::display::Outputs;
use actor_sim::{RuntimeKind, Scenario, SimConfig};

#[test]
fn a_tick_interval_spaces_the_ticks_out() {
    let config = SimConfig {
        ticks: 6,
        runtime: RuntimeKind::TokioCurrentThread,
        tick_interval: Duration::from_millis(20),
        ..SimConfig::default()
    };
    let report = actor_sim::run(
        &Scenario::seed(),
        &config,
        Outputs::default().prepare().unwrap(),
    )
    .unwrap();
    assert_eq!(report.stats.ticks, 6);
    // The first tick starts at once, each later one 20 ms after the last.
    assert!(
        report.ticking >= Duration::from_millis(100),
        "{:?}",
        report.ticking
    );
    let flat_out = SimConfig {
        tick_interval: Duration::ZERO,
        ..config
    };
    let plain = actor_sim::run(
        &Scenario::seed(),
        &flat_out,
        Outputs::default().prepare().unwrap(),
    )
    .unwrap();
    assert_eq!(plain.stats, report.stats, "pacing changes no tick");
}
