//! Selective receive: urgent messages are taken first, the others wait in
//! order; a receive with a timeout is Erlang's `after`. It runs on the
//! deterministic runtime in FIFO order, so the worker starts once all five
//! messages are queued and the output is the same on every run (the
//! 50 ms are virtual).
//!
//! `cargo run -p examples --example selective_receive`

use std::time::Duration;

use actor_core::deterministic::Config;
use actor_core::{Ctx, Runtime, spawn};
use clap::Parser;

enum Msg {
    Normal(u32),
    Urgent(&'static str),
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Msg::Normal(n) => write!(f, "normal #{n}"),
            Msg::Urgent(text) => write!(f, "urgent {text:?}"),
        }
    }
}

/// Selective receive and `after`, on the deterministic runtime.
#[derive(Parser)]
#[command(name = "selective_receive")]
pub(crate) struct Args {}

fn main() {
    Args::parse();
    Runtime::deterministic(Config::fifo()).block_on(async {
        let worker = spawn(|mut ctx: Ctx<Msg>| async move {
            let first = ctx.recv_match(|m| matches!(m, Msg::Urgent(_))).await;
            println!("took first:     {first}  ({} still queued)", ctx.queued());
            while let Some(m) = ctx.recv_timeout(Duration::from_millis(50)).await {
                println!("then, in order: {m}");
            }
            println!("after 50 ms without a message: timed out, done");
        });
        for n in 1..=3 {
            worker.send(Msg::Normal(n)).await.unwrap();
        }
        worker.send(Msg::Urgent("fire!")).await.unwrap();
        worker.send(Msg::Normal(4)).await.unwrap();
        assert!(worker.wait().await.is_normal());
    });
}
