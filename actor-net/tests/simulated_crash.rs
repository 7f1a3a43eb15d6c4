//! A crashed node on the simulated network: its processes are gone, the
//! others see `noconnection` after the grace period (links, monitors,
//! the node's own monitor), its global names are freed, and a restart brings it back under
//! a new node id, running its main again.

mod sim;

use std::time::Duration;

use actor_core::testing::Harness;
use actor_core::{Ctx, Down, Exit, ExitReason, Pid, spawn};
use actor_net::sim::{NetConfig, Network};
use actor_net::{DownReason, NodeEvent};
use tokio::sync::mpsc;

#[test]
fn a_crash_is_noconnection_everywhere_else_after_the_grace_period() {
    Harness::new().seeds(30).run(|| async {
        let net = Network::new(NetConfig::new().latency(Duration::from_millis(5)));
        let d = sim::start(&net, &["a"]).await;
        let a_id = net.node("a").unwrap().id();
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        net.start("b", move |node| {
            let tx = tx.clone();
            async move {
                let target: Pid<sim::Counter> = node.whereis_global("a").await.unwrap().unwrap();
                let (t, report) = (target.clone(), tx.clone());
                spawn(move |mut ctx: Ctx<Exit>| async move {
                    ctx.trap_exit();
                    ctx.link(&t);
                    let exit = ctx.recv().await;
                    let _ = report.send(format!("link: {}", exit.reason));
                });
                let (t, report) = (target.clone(), tx.clone());
                spawn(move |mut ctx: Ctx<Down>| async move {
                    ctx.monitor(&t);
                    let down = ctx.recv().await;
                    let _ = report.send(format!("monitor: {}", down.reason));
                });
                let mut events = node.monitor_nodes();
                // The link and the monitor are on their way before the
                // ping's answer comes back (one ordered stream per pair).
                node.ping(a_id).await.unwrap();
                let _ = tx.send("ready".to_string());
                while let Some(e) = events.next().await {
                    if let NodeEvent::Down(down) = e {
                        let _ = tx.send(format!("node down: {:?}", down.reason));
                    }
                }
            }
        });
        if rx.recv().await.as_deref() != Some("ready") {
            return Err("b did not get ready".into());
        }
        let crashed_at = actor_core::now();
        if !net.crash("a") {
            return Err("a was not running".into());
        }
        let mut after = Vec::new();
        while after.len() < 3 {
            after.push(rx.recv().await.unwrap());
        }
        let took = actor_core::now() - crashed_at;
        after.sort();
        let want = [
            "link: noconnection".to_string(),
            "monitor: noconnection".to_string(),
            format!("node down: {:?}", DownReason::HeartbeatTimeout),
        ];
        if after != want {
            return Err(format!("after the crash: {after:?}"));
        }
        let _ = d;
        // Noticed by the missing heartbeats: after the grace period (2 s),
        // within one check (100 ms) and a heartbeat's flight.
        if took < Duration::from_secs(2) || took > Duration::from_millis(2200) {
            return Err(format!("noticed after {took:?}"));
        }
        Ok(())
    });
}

#[test]
fn a_name_is_freed_when_its_node_crashes_and_taken_again_after_a_restart() {
    Harness::new().seeds(30).run(|| async {
        let net = Network::new(NetConfig::new().latency(Duration::from_millis(5)));
        let d = sim::start(&net, &["a", "b"]).await;
        let first = net.node("a").unwrap().id();
        let b = net.node("b").unwrap();
        let found = b
            .whereis_global::<sim::Counter>("a")
            .await
            .map_err(|e| e.to_string())?;
        if found.map(|p| p.id().node) != Some(first) {
            return Err("a's counter is not found from b".into());
        }
        net.crash("a");
        if !d["a"].wait().await.eq(&ExitReason::Killed) {
            return Err("a's processes were not killed".into());
        }
        actor_core::sleep(Duration::from_millis(2500)).await;
        if let Some(p) = b
            .whereis_global::<sim::Counter>("a")
            .await
            .map_err(|e| e.to_string())?
        {
            return Err(format!("the name still names {}", p.id()));
        }
        // Restarted: a new node id, its main again, its name again.
        let again = net.restart("a").ok_or("not restarted")?;
        if again.id() == first {
            return Err("the same node id after a restart".into());
        }
        actor_core::sleep(Duration::from_secs(1)).await;
        let found = b
            .whereis_global::<sim::Counter>("a")
            .await
            .map_err(|e| e.to_string())?;
        match found {
            Some(p) if p.id().node == again.id() => Ok(()),
            other => Err(format!("after the restart: {:?}", other.map(|p| p.id()))),
        }
    });
}
