//! Takes the observer's screenshots for the docs: the overview, the
//! process table and the supervision tree of `observer_demo`'s system, and
//! the robot world's live view, with headless Chromium.
//!
//! `cargo run -p tests --example observer_screenshots -- docs`

use std::path::{Path, PathBuf};
use std::time::Duration;

use actor_sim::display::Outputs;
use actor_sim::{Scenario, SimConfig};
use tests::browser::Browser;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "docs".into()));
    std::fs::create_dir_all(&dir).expect("the output directory");
    // The demo's crashes are expected: no backtraces.
    std::panic::set_hook(Box::new(|_| {}));

    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let config = SimConfig {
            ticks: u64::MAX,
            tick_interval: Duration::from_millis(30),
            ..SimConfig::default()
        };
        let _ = actor_sim::run_observed(
            &Scenario::seed(),
            &config,
            Outputs::default().prepare().expect("no outputs"),
            "127.0.0.1:0".parse().expect("an address"),
            move |serving| tx.send(serving.url()).expect("the main thread waits"),
        );
    });
    let world = rx.recv().expect("the world's observer");

    let rt = actor_core::Runtime::tokio();
    rt.block_on(async {
        let _app = examples::observer_demo::start()
            .await
            .expect("the demo starts");
        let serving = actor_observer::serve("127.0.0.1:0")
            .await
            .expect("the observer");
        let url = serving.url();
        let b = Browser::start(1280, 900).await.expect("a browser");

        b.client.goto(&format!("{url}#/overview")).await.unwrap();
        // Ten seconds of samples for the charts.
        b.until("return ui.history.length >= 10;").await.unwrap();
        shot(&b, &dir, "observer-overview.png").await;

        b.client.goto(&format!("{url}#/processes")).await.unwrap();
        b.until("return document.querySelectorAll('#process-table tbody tr').length >= 10;")
            .await
            .unwrap();
        shot(&b, &dir, "observer-processes.png").await;

        b.client.goto(&format!("{url}#/tree")).await.unwrap();
        b.until("return document.querySelector('#tree .restarts');")
            .await
            .unwrap();
        shot(&b, &dir, "observer-tree.png").await;

        b.client.goto(&format!("{world}world")).await.unwrap();
        b.until("return Number(document.querySelector('#world').dataset.frames) >= 40;")
            .await
            .unwrap();
        shot(&b, &dir, "observer-robot-world.png").await;
        b.close().await;
    });
}

async fn shot(b: &Browser, dir: &Path, name: &str) {
    let png = b.client.screenshot().await.expect("a screenshot");
    let path = dir.join(name);
    std::fs::write(&path, png).expect("the screenshot is written");
    println!("{}", path.display());
}
