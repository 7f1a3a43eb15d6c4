//! Loss on the simulated network happens where NATS loses messages: while
//! a node's connection is down, what is sent to it is lost, and what it
//! sends waits in its client and leaves, in order, once it is back.

mod sim;

use std::time::Duration;

use actor_core::testing::Harness;
use actor_net::sim::{NetConfig, Network};

#[test]
fn an_outage_loses_what_is_sent_to_the_node_and_delays_what_it_sends() {
    Harness::new().seeds(30).run(|| async {
        let net = Network::new(NetConfig::new().latency(Duration::from_millis(5)));
        let d = sim::start(&net, &["a", "b"]).await;
        // Both drivers know the other's counter before the outage.
        sim::seen(&d["a"], "b").await.map_err(|e| e.to_string())?;
        sim::seen(&d["b"], "a").await.map_err(|e| e.to_string())?;
        let lost_before = net.stats().lost;
        net.disconnect("b", Duration::from_millis(500));
        let from = actor_core::now();
        for n in 1..=5 {
            sim::add(&d["a"], "b", n).await;
            sim::add(&d["b"], "a", n).await;
        }
        actor_core::sleep(Duration::from_millis(100)).await;
        // Nothing from b has left yet (a's driver asks over a's own,
        // working connection).
        let early = sim::seen(&d["a"], "a").await.map_err(|e| e.to_string())?;
        if !early.is_empty() {
            return Err(format!("a saw {early:?} during b's outage"));
        }
        actor_core::sleep_until(from + Duration::from_millis(600)).await;
        let at_a = sim::seen(&d["a"], "a").await.map_err(|e| e.to_string())?;
        if at_a != [1, 2, 3, 4, 5] {
            return Err(format!("a saw {at_a:?} after b's outage"));
        }
        let at_b = sim::seen(&d["b"], "b").await.map_err(|e| e.to_string())?;
        if !at_b.is_empty() {
            return Err(format!("b saw {at_b:?}, sent during its outage"));
        }
        if net.stats().lost <= lost_before {
            return Err("nothing counted lost".into());
        }
        Ok(())
    });
}
