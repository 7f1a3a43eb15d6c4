//! Runnable programs live in `examples/`; run one with
//! `cargo run -p examples --example NAME`.
//!
//! The logic of the larger ones lives here, so that the cross-crate tests
//! can run it too.
#![forbid(unsafe_code)]

pub mod calc;
pub mod http_hello;
pub mod observer_demo;
pub mod primes;

/// The `--port N` flag of the server examples, or `default` without it. A
/// missing or malformed number prints a usage line for `program` and exits
/// with 2, as a bad flag should.
///
/// # Examples
///
/// ```
/// // This program was started without `--port`.
/// assert_eq!(examples::port_flag("http_hello", 8000), 8000);
/// ```
pub fn port_flag(program: &str, default: u16) -> u16 {
    let mut args = std::env::args().skip(1);
    let mut port = default;
    while let Some(arg) = args.next() {
        if arg != "--port" {
            continue;
        }
        match args.next().map(|p| p.parse::<u16>()) {
            Some(Ok(p)) => port = p,
            _ => {
                eprintln!("usage: {program} [--port N] (N a TCP port number, 0 to 65535)");
                std::process::exit(2);
            }
        }
    }
    port
}
