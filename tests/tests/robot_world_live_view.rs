//! `robot-world --observe`: the world drawn live on a canvas in headless
//! Chromium; the picture changes from one frame to the next, and the
//! observer beside it lists the World, the Display and the robots.

use std::time::Duration;

use actor_sim::display::Outputs;
use actor_sim::{Scenario, SimConfig};
use tests::browser::Browser;

#[test]
fn the_robot_world_canvas_changes_between_two_frames() {
    let (tx, rx) = std::sync::mpsc::channel();
    // The world runs on its own runtime for as long as the test needs; it
    // ends with the test's process.
    std::thread::spawn(move || {
        let config = SimConfig {
            ticks: u64::MAX,
            tick_interval: Duration::from_millis(10),
            ..SimConfig::default()
        };
        let _ = actor_sim::run_observed(
            &Scenario::seed(),
            &config,
            Outputs::default().prepare().unwrap(),
            "127.0.0.1:0".parse().unwrap(),
            move |serving| tx.send(serving.url()).unwrap(),
        );
    });
    let url = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    let rt = actor_core::Runtime::tokio_current_thread();
    rt.block_on(async {
        let b = Browser::start(1000, 760).await.unwrap();
        b.client.goto(&format!("{url}world")).await.unwrap();
        let first = b
            .until(
                r#"const c = document.querySelector('#world');
                   return Number(c.dataset.frames) >= 1 && [Number(c.dataset.tick), c.toDataURL()];"#,
            )
            .await
            .unwrap();
        let (tick, image) = (first[0].as_u64().unwrap(), first[1].as_str().unwrap().to_string());
        let second = b
            .until(&format!(
                r#"const c = document.querySelector('#world');
                   return Number(c.dataset.tick) > {tick} && [Number(c.dataset.tick), c.toDataURL()];"#
            ))
            .await
            .unwrap();
        assert!(second[0].as_u64().unwrap() > tick);
        assert_ne!(second[1].as_str().unwrap(), image, "the robots moved");
        // Twelve robots were drawn (the seed's world), and the observer's
        // table beside it lists the World, the Display, the keeper of the
        // robots' shard (a supervisor's child) and the robots.
        let robots = b.js("return document.querySelector('#robots').textContent;").await.unwrap();
        assert_eq!(robots, "12");
        b.client.goto(&format!("{url}#/processes")).await.unwrap();
        let n = b
            .until(
                r#"const labels = [...document.querySelectorAll('#process-table tbody tr')].map(r => r.children[2].textContent);
                   const robots = labels.filter(l => l === 'robot');
                   const others = ['world', 'display', 'robots-0'].every(l => labels.includes(l));
                   return robots.length === 12 && others && robots.length;"#,
            )
            .await
            .unwrap();
        assert_eq!(n, 12);
        b.close().await;
    });
}
