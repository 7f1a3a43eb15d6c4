//! A supervision tree with some load, watched in the observer: prints the
//! page's address and the token its actions need, then serves until
//! killed.
//!
//! `cargo run --release -p examples --example observer_demo -- --port 7070`

use std::process::ExitCode;

use clap::Parser;

/// Starts a supervision tree with some load (workers that call a cache,
/// log, and crash now and then to be restarted) and serves the observer on
/// 127.0.0.1 until killed. Prints the page's address and `token: TOKEN`,
/// the token that killing or restarting from the page needs.
#[derive(Parser)]
#[command(name = "observer_demo")]
pub(crate) struct Args {
    /// The TCP port to serve the observer on (0: any free port).
    #[arg(long, default_value_t = 7070)]
    pub(crate) port: u16,
}

fn main() -> ExitCode {
    let port = Args::parse().port;
    // Crashes are part of the demo: one line each, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        eprintln!("observer_demo: a process crashed: {msg}");
    }));
    actor_core::Runtime::tokio().block_on(async move {
        let _app = match examples::observer_demo::start().await {
            Ok(app) => app,
            Err(e) => {
                eprintln!("observer_demo: the tree did not start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let serving = match actor_observer::serve(("127.0.0.1", port)).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("observer_demo: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("observer: {}", serving.url());
        println!("token: {}", serving.token());
        serving.pid().wait().await;
        ExitCode::FAILURE
    })
}
