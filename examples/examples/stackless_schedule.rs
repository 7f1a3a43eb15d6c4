//! The seed's `stackless.schedule()` example: two tasklets that each print,
//! yield to the scheduler, and print again, so that their lines alternate.
//!
//! ```python
//! def print_x(x):
//!     print 1, x
//!     stackless.schedule()
//!     print 2, x
//! stackless.tasklet(print_x)('one')
//! stackless.tasklet(print_x)('two')
//! stackless.run()
//! ```
//!
//! A tasklet is a process, `stackless.schedule()` is
//! [`yield_now`](actor_core::yield_now), and the deterministic runtime in
//! FIFO mode runs ready processes in Stackless's run-queue order, so this
//! prints `1 one`, `1 two`, `2 one`, `2 two`.
//!
//! `cargo run -p examples --example stackless_schedule`

use std::sync::Arc;

use actor_core::deterministic::Config;
use actor_core::{Ctx, Runtime, spawn, yield_now};
use clap::Parser;

/// Where the example's lines go: standard output, or a test's buffer.
type Out = Arc<dyn Fn(&str) + Send + Sync>;

/// Runs the example, handing each printed line to `out`.
pub(crate) fn run(out: Out) {
    Runtime::deterministic(Config::fifo()).block_on(async move {
        let tasklets: Vec<_> = ["one", "two"]
            .into_iter()
            .map(|x| {
                let out = out.clone();
                spawn(move |_: Ctx<()>| async move {
                    out(&format!("1 {x}"));
                    yield_now().await;
                    out(&format!("2 {x}"));
                })
            })
            .collect();
        for t in tasklets {
            t.wait().await;
        }
    });
}

/// The seed's `stackless.schedule()` example: two tasklets taking
/// turns.
#[derive(Parser)]
#[command(name = "stackless_schedule")]
pub(crate) struct Args {}

fn main() {
    Args::parse();
    run(Arc::new(|line| println!("{line}")));
}
