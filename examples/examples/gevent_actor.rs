//! The seed's gevent `Actor`: a greenlet with an inbox `Queue` and a
//! `receive` called in a loop, written both ways this library allows.
//!
//! ```python
//! class Actor(gevent.Greenlet):
//!     def __init__(self):
//!         self.inbox = Queue()
//!     def receive(self, message):
//!         raise NotImplemented()
//!     def _run(self):
//!         self.running = True
//!         while self.running:
//!             message = self.inbox.get()
//!             self.receive(message)
//! ```
//!
//! `cargo run -p examples --example gevent_actor`

use std::time::Duration;

use actor_core::{Actor, ActorCtx, Ctx, ExitReason, Pid, Runtime, spawn, start};
use clap::Parser;

/// The seed's Pinger/Ponger pair: each prints what it got and answers.
#[derive(Debug)]
enum Msg {
    Ping(u32),
    Pong(u32),
    Stop,
}

/// Style 1: a process body is the `_run` loop; `ctx.recv()` is `inbox.get()`.
fn ponger() -> Pid<(Msg, Pid<Msg>)> {
    spawn(|mut inbox: Ctx<(Msg, Pid<Msg>)>| async move {
        loop {
            match inbox.recv().await {
                (Msg::Ping(n), from) => {
                    println!("ponger received ping {n}");
                    let _ = from.send(Msg::Pong(n)).await;
                }
                (Msg::Stop, _) => return,
                (other, _) => println!("ponger: unknown message {other:?}"),
            }
        }
    })
}

/// Style 2: the `Actor` trait: `handle` is `receive`.
struct Pinger {
    ponger: Pid<(Msg, Pid<Msg>)>,
    remaining: u32,
}

impl Actor for Pinger {
    type Msg = Msg;

    async fn init(&mut self, ctx: &mut ActorCtx<Self>) -> Result<(), ExitReason> {
        let me = ctx.pid();
        self.ponger
            .send((Msg::Ping(0), me))
            .await
            .map_err(|_| ExitReason::NoProc)
    }

    async fn handle(&mut self, msg: Msg, ctx: &mut ActorCtx<Self>) -> Result<(), ExitReason> {
        match msg {
            Msg::Pong(n) => {
                println!("pinger received pong {n}");
                self.remaining -= 1;
                if self.remaining == 0 {
                    let _ = self.ponger.send((Msg::Stop, ctx.pid())).await;
                    return Err(ExitReason::Normal);
                }
                let _ = self.ponger.send((Msg::Ping(n + 1), ctx.pid())).await;
            }
            other => println!("pinger: unknown message {other:?}"),
        }
        Ok(())
    }
}

/// The seed's gevent `Actor`, written both ways: a receive loop and the
/// `Actor` trait.
#[derive(Parser)]
#[command(name = "gevent_actor")]
pub(crate) struct Args {}

fn main() {
    Args::parse();
    Runtime::tokio().block_on(async {
        let ponger = ponger();
        let pinger = start(Pinger {
            ponger: ponger.clone(),
            remaining: 3,
        })
        .await
        .expect("the pinger starts");
        let both = async { (pinger.wait().await, ponger.wait().await) };
        let (a, b) = actor_core::timeout(Duration::from_secs(5), both)
            .await
            .expect("the game ends");
        println!("pinger exited: {a}; ponger exited: {b}");
    });
}
