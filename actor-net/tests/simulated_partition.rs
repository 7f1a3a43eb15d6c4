//! Partitions on the simulated network: messages between the two sides
//! are lost both ways while it lasts; a short one goes unnoticed by
//! membership, a long one makes each side see the other down, and up
//! again once it heals, with the global names of both sides back.

mod sim;

use std::time::Duration;

use actor_core::testing::Harness;
use actor_net::NodeEvent;
use actor_net::sim::{NetConfig, Network};

#[test]
fn messages_across_a_partition_are_lost_and_flow_again_once_it_heals() {
    Harness::new().seeds(30).run(|| async {
        let net = Network::new(NetConfig::new().latency(Duration::from_millis(5)));
        let d = sim::start(&net, &["a", "b", "c"]).await;
        let mut events = net.node("b").unwrap().monitor_nodes();
        sim::add(&d["b"], "a", 1).await;
        sim::add(&d["c"], "a", 2).await;
        actor_core::sleep(Duration::from_millis(100)).await;
        net.partition(&["a"], &["b"]);
        // b is cut off from a; c is in neither side and reaches both.
        sim::add(&d["b"], "a", 10).await;
        sim::add(&d["c"], "a", 20).await;
        actor_core::sleep(Duration::from_millis(500)).await;
        net.heal();
        sim::add(&d["b"], "a", 100).await;
        let mut seen = sim::seen(&d["b"], "a").await.map_err(|e| e.to_string())?;
        seen.sort_unstable();
        if seen != [1, 2, 20, 100] {
            return Err(format!("a saw {seen:?}"));
        }
        // Shorter than the grace period: nobody was declared down.
        while let Ok(Some(e)) = actor_core::timeout(Duration::ZERO, events.next()).await {
            if let NodeEvent::Down(down) = e {
                return Err(format!("b saw {down:?}"));
            }
        }
        if net.stats().lost == 0 {
            return Err("nothing counted lost".into());
        }
        Ok(())
    });
}

#[test]
fn a_partition_longer_than_the_grace_period_is_a_node_down_then_up() {
    Harness::new().seeds(20).run(|| async {
        let net = Network::new(NetConfig::new().latency(Duration::from_millis(5)));
        let d = sim::start(&net, &["a", "b"]).await;
        let (a, b) = (net.node("a").unwrap(), net.node("b").unwrap());
        let (mut on_a, mut on_b) = (a.monitor_nodes(), b.monitor_nodes());
        // b's driver finds a's counter now: once b sees a down, it frees
        // a's global names.
        sim::seen(&d["b"], "a").await.map_err(|e| e.to_string())?;
        net.partition(&["a"], &["b"]);
        let cut_at = actor_core::now();
        let mut downs = Vec::new();
        for (events, other) in [(&mut on_a, b.id()), (&mut on_b, a.id())] {
            loop {
                match events.next().await {
                    // Seen up before the partition, told a little late.
                    Some(NodeEvent::Up(info)) if info.id == other => {}
                    Some(NodeEvent::Down(down)) if down.node == other => {
                        downs.push(actor_core::now() - cut_at);
                        break;
                    }
                    e => return Err(format!("expected {other:?} down, got {e:?}")),
                }
            }
        }
        if downs.iter().any(|t| *t < Duration::from_secs(2)) {
            return Err(format!("down before the grace period: {downs:?}"));
        }
        net.heal();
        for (events, other) in [(&mut on_a, b.id()), (&mut on_b, a.id())] {
            match events.next().await {
                Some(NodeEvent::Up(info)) if info.id == other => {}
                e => return Err(format!("expected {other:?} up, got {e:?}")),
            }
        }
        // The same node ids, talking again.
        sim::add(&d["b"], "a", 7).await;
        let seen = sim::seen(&d["b"], "a").await.map_err(|e| e.to_string())?;
        if seen != [7] {
            return Err(format!("a saw {seen:?}"));
        }
        // b purged a's name while a was down from there; a re-asserted it
        // for its counter, which still runs.
        let found = b
            .whereis_global::<sim::Counter>("a")
            .await
            .map_err(|e| e.to_string())?;
        match found {
            Some(p) if p.id().node == a.id() => Ok(()),
            other => Err(format!(
                "a's name after the heal: {:?}",
                other.map(|p| p.id())
            )),
        }
    });
}
