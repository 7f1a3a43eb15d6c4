//! The seed's gevent WSGI hello server, as a process per connection:
//!
//! ```python
//! def application(environ, start_response):
//!     start_response('200 OK', [('Content-Type', 'text/html')])
//!     return ["Hello " + request.remote_addr]
//! WSGIServer(('', 8000), application).serve_forever()
//! ```
//!
//! `cargo run --release -p examples --example http_hello [-- --port N]`,
//! then `curl http://127.0.0.1:8000/` prints `Hello 127.0.0.1`. The limits
//! on slow and greedy clients are those of
//! `examples::http_hello::Limits::default()` (see `--help`).

use std::io::IsTerminal;

use actor_core::Runtime;
use clap::Parser;
use tracing_subscriber::EnvFilter;

/// The seed's WSGI hello server: `GET /` answers `Hello <client ip>`, on
/// 127.0.0.1.
///
/// Slow and greedy clients are bounded: a request must be in within 10 s
/// of its first byte (30 s with its body), or it gets 408 and a close;
/// connections beyond 10,000 (or the open-file limit less 32) are sent
/// 503 and closed at accept; the request bodies being read share 64 MiB,
/// and a request whose body does not fit gets 503. Log lines (refusals)
/// go to stderr; RUST_LOG sets their level (info by default).
#[derive(Parser)]
#[command(name = "http_hello")]
pub(crate) struct Args {
    /// The TCP port to listen on.
    #[arg(long, default_value_t = 8000)]
    pub(crate) port: u16,
}

fn main() {
    let addr = format!("127.0.0.1:{}", Args::parse().port);
    // Log lines (connections refused over the limit, ...) go to stderr;
    // RUST_LOG sets the level.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    Runtime::tokio().block_on(async {
        let server = match examples::http_hello::start(&addr).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("http_hello: cannot listen on {addr}: {e}");
                std::process::exit(1);
            }
        };
        println!("http_hello listening on http://{}/", server.addr());
        let reason = server.wait().await;
        println!("http_hello stopped: {reason}");
    });
}
