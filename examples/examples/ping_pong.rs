//! The seed's `ping`, which overflows the stack as recursion, as two
//! processes bouncing a counter: it runs as long as you like in constant
//! memory.
//!
//! `cargo run --release -p examples --example ping_pong [-- ROUND_TRIPS]`

use std::time::Instant;

use actor_core::{Ctx, ExitReason, Pid, Runtime, spawn};
use clap::Parser;

/// The seed's `ping` as two processes bouncing a counter, in constant
/// memory.
#[derive(Parser)]
#[command(name = "ping_pong")]
pub(crate) struct Args {
    /// How many round trips.
    #[arg(default_value_t = 1_000_000)]
    pub(crate) round_trips: u64,
}

fn main() {
    let rounds = Args::parse().round_trips;
    Runtime::tokio().block_on(async move {
        let start = Instant::now();
        // pong: answers every ball with the next number.
        let pong = spawn(|mut ctx: Ctx<(u64, Pid<u64>)>| async move {
            loop {
                let (n, back) = ctx.recv().await;
                if back.send(n + 1).await.is_err() {
                    return ExitReason::Normal;
                }
            }
        });
        // ping: serves, then returns every ball until `rounds` round trips.
        let ping = spawn(move |mut ctx: Ctx<u64>| async move {
            let me = ctx.pid();
            pong.send((0, me.clone())).await.unwrap();
            loop {
                let n = ctx.recv().await;
                if n >= rounds {
                    pong.kill();
                    return;
                }
                pong.send((n, me.clone())).await.unwrap();
            }
        });
        assert!(ping.wait().await.is_normal());
        let secs = start.elapsed().as_secs_f64();
        println!(
            "PING PONG: {rounds} round trips in {:.3}s: {:.2} M round trips/s",
            secs,
            rounds as f64 / secs / 1e6
        );
    });
}
