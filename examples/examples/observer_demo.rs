//! A supervision tree with some load, watched in the observer: prints the
//! page's address and the token its actions need, then serves until
//! killed.
//!
//! `cargo run --release -p examples --example observer_demo -- --port 7070`

use std::process::ExitCode;

const USAGE: &str = "usage: observer_demo [--port N]

Starts a supervision tree with some load (workers that crash now and then
and are restarted) and serves the observer on 127.0.0.1:N (default 7070,
0 for any free port) until killed.";

fn main() -> ExitCode {
    let port = match parse(std::env::args().skip(1)) {
        Ok(Some(port)) => port,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("observer_demo: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
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

/// `Some(port)`, or `None` for `--help`.
fn parse(mut args: impl Iterator<Item = String>) -> Result<Option<u16>, String> {
    let mut port = 7070;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => {
                let value = args.next().ok_or("--port needs a number")?;
                port = value
                    .parse()
                    .map_err(|_| format!("--port {value:?} is not a port number (0 to 65535)"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(port))
}
