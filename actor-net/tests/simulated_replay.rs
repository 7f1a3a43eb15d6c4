//! Faults on the simulated network are chosen by the seed and printed in
//! the failure report with it: the same seed replays the same run, faults
//! and trace hash included.

mod sim;

use std::time::Duration;

use actor_core::testing::Harness;
use actor_net::sim::{NetConfig, Network};

/// Three nodes exchanging messages under every kind of fault, then a
/// failure, so that the report is printed.
async fn faulty() -> Result<(), String> {
    let net = Network::new(
        NetConfig::new()
            .latency(Duration::from_millis(10))
            .partitions(1, Duration::from_secs(1), Duration::from_secs(1))
            .crashes(1, Duration::from_secs(2))
            .restart_after(Duration::from_secs(1))
            .loss(1, Duration::from_secs(2), Duration::from_millis(300)),
    );
    let d = sim::start(&net, &["a", "b", "c"]).await;
    for n in 0..30 {
        for (from, to) in [("a", "b"), ("b", "c"), ("c", "a")] {
            let _ = d[from].send(sim::Cmd::Add { to: to.into(), n }).await;
        }
        actor_core::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("done: {:?}", net.stats()))
}

#[test]
fn the_report_shows_the_faults_and_the_seed_replays_them_bit_for_bit() {
    let harness = Harness::new().seeds(1).first_seed(7);
    let failure = harness.explore(faulty).failure.expect("the body fails");
    let text = failure.to_string();
    for want in [
        "network: latency up to 10ms",
        "partitions: 1 within 1s, each up to 1s",
        "crashes: 1 within 2s, restarting within 1s",
        "loss: 1 outages within 2s, each up to 300ms",
        "start a as node 1",
        " partition ",
        " heal ",
        " crash ",
        " lost for ",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    assert!(text.contains("replay:  ACTOR_SEED=7"), "{text}");
    let again = harness.explore(faulty).failure.expect("the body fails");
    assert_eq!(again.to_string(), text);
    assert_eq!(again.trace.hash(), failure.trace.hash());
    let other = Harness::new()
        .seeds(1)
        .first_seed(8)
        .explore(faulty)
        .failure
        .expect("the body fails");
    assert_ne!(other.trace.hash(), failure.trace.hash());
}

#[test]
fn runs_under_every_fault_are_deterministic() {
    let report = Harness::new()
        .seeds(20)
        .check_determinism()
        .explore(|| async { faulty().await.or(Ok::<(), String>(())) });
    assert!(report.passed(), "{report}");
}
