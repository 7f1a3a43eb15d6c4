//! The simulated network delivers as NATS does: every message once when
//! nothing goes wrong, in order from one process to another whatever the
//! seeded delays, with messages between different pairs interleaved as
//! the seed says.

mod sim;

use std::time::Duration;

use actor_core::testing::Harness;
use actor_net::sim::{NetConfig, Network};

#[test]
fn messages_from_one_process_to_another_arrive_once_and_in_order() {
    Harness::new().seeds(30).run(|| async {
        let net = Network::new(NetConfig::new().latency(Duration::from_millis(20)));
        let d = sim::start(&net, &["a", "b", "c"]).await;
        for n in 0..50 {
            sim::add(&d["b"], "a", n).await;
            sim::add(&d["c"], "a", 100 + n).await;
        }
        let seen = sim::seen(&d["b"], "a").await.map_err(|e| e.to_string())?;
        let from_b: Vec<u64> = seen.iter().copied().filter(|n| *n < 100).collect();
        let from_c: Vec<u64> = seen.iter().copied().filter(|n| *n >= 100).collect();
        // b's Seen left after its 50 Adds, on the same pair: all are in.
        if from_b != (0..50).collect::<Vec<_>>() {
            return Err(format!("from b: {from_b:?}"));
        }
        if !from_c.iter().zip(100..).all(|(got, want)| *got == want) {
            return Err(format!("from c: {from_c:?}"));
        }
        if net.stats().lost != 0 {
            return Err(format!("lost without a fault: {:?}", net.stats()));
        }
        Ok(())
    });
}

#[test]
fn the_seed_chooses_how_messages_of_different_pairs_interleave() {
    let arrivals = |seed: u64| {
        let out = actor_core::deterministic::run(
            actor_core::deterministic::Config::seeded(seed),
            async {
                let net = Network::new(NetConfig::new().latency(Duration::from_millis(20)));
                let d = sim::start(&net, &["a", "b", "c"]).await;
                for n in 0..20 {
                    sim::add(&d["b"], "a", n).await;
                    sim::add(&d["c"], "a", 100 + n).await;
                }
                actor_core::sleep(Duration::from_secs(1)).await;
                sim::seen(&d["b"], "a").await.unwrap()
            },
        );
        out.result.unwrap()
    };
    let first = arrivals(1);
    assert_eq!(first.len(), 40);
    assert_eq!(arrivals(1), first, "a seed replays the same interleaving");
    assert!(
        (2..20).any(|seed| arrivals(seed) != first),
        "some other seed interleaves the pairs differently"
    );
}
