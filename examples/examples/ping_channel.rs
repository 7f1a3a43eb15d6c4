//! The seed's endless ping over a Stackless channel: where a recursive
//! `ping()` overflows the stack, two tasklets passing a message back and
//! forth over a channel run forever in constant stack, because every
//! handoff returns to the scheduler.
//!
//! ```python
//! ping_channel = stackless.channel()
//! def ping():
//!     while ping_channel.receive():
//!         print "PING"
//!         ping_channel.send("from ping")
//! stackless.tasklet(ping)()
//! ping_channel.send('start')
//! stackless.run()
//! ```
//!
//! Here "forever" is bounded by `--count N` (default 1,000,000 round
//! trips). The first pings and the last are printed, and the stack depth
//! of the ping loop is compared between the first ping and the last.
//!
//! `cargo run --release -p examples --example ping_channel -- --count 1000000`

use std::sync::Arc;

use actor_core::deterministic::Config;
use actor_core::sync::Channel;
use actor_core::{Ctx, Runtime, spawn};
use clap::Parser;

/// Where the example's lines go: standard output, or a test's buffer.
type Out = Arc<dyn Fn(&str) + Send + Sync>;

/// How many of the first pings are printed.
const SHOWN: u64 = 3;

/// Plays `count` round trips of ping over one channel, handing each
/// printed line to `out`.
pub(crate) fn run(count: u64, out: Out) {
    Runtime::deterministic(Config::fifo()).block_on(async move {
        let channel: Channel<&'static str> = Channel::new();
        let (ch, print) = (channel.clone(), out.clone());
        let ping = spawn(move |_: Ctx<()>| async move {
            let mut n = 0u64;
            let mut first_depth = None;
            while ch.recv().await.is_ok() {
                n += 1;
                // The address of a local that is not kept across an
                // `.await` lives on the thread's stack: it tells how deep
                // the ping loop runs.
                let marker = 0u8;
                let depth = std::hint::black_box(&marker) as *const u8 as usize;
                let first = *first_depth.get_or_insert(depth);
                if n <= SHOWN || n == count {
                    print(&format!("PING {n}"));
                }
                if n == SHOWN + 1 && count > SHOWN + 1 {
                    print("...");
                }
                if n == count {
                    let same = if depth == first { "the same" } else { "NOT the same" };
                    print(&format!(
                        "{count} round trips over one channel; stack depth at the last ping is {same} as at the first"
                    ));
                }
                if ch.send("from ping").await.is_err() {
                    break;
                }
            }
        });
        for _ in 0..count {
            channel.send("start").await.expect("ping is listening");
            channel.recv().await.expect("ping answers");
        }
        channel.close();
        ping.wait().await;
    });
}

/// The seed's endless ping over a Stackless channel, in constant stack.
#[derive(Parser)]
#[command(name = "ping_channel")]
pub(crate) struct Args {
    /// How many round trips (`1_000_000` is accepted).
    #[arg(long, default_value = "1_000_000", value_parser = count)]
    pub(crate) count: u64,
}

/// A whole number, `_` allowed between digits.
fn count(s: &str) -> Result<u64, String> {
    s.replace('_', "")
        .parse()
        .map_err(|_| format!("{s:?} is not a whole number"))
}

fn main() {
    run(Args::parse().count, Arc::new(|line| println!("{line}")));
}
