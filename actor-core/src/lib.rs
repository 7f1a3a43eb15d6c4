//! Erlang-style processes for Rust.
//!
//! A process is an `async` body with a typed mailbox. It receives messages
//! in a loop (selectively if it likes, with timeouts), calls other processes
//! and casts to them, links to and monitors them, traps exit signals, and
//! runs under supervisors that restart it. Panics become exit reasons;
//! nothing else goes down.
//!
//! The same code runs on tokio (for services) and on a
//! [`deterministic`] runtime (for testing protocols: seeded interleavings,
//! virtual time, a trace that replays bit for bit).
//!
//! # Examples
//!
//! The seed document's gevent `Actor`: an inbox and a `receive` in a loop.
//!
//! ```
//! use actor_core::{spawn, Ctx, Reply, Runtime};
//! use std::time::Duration;
//!
//! enum Msg {
//!     Add(u64),
//!     Total(Reply<u64>),
//! }
//!
//! Runtime::tokio().block_on(async {
//!     let counter = spawn(|mut ctx: Ctx<Msg>| async move {
//!         let mut total = 0;
//!         loop {
//!             match ctx.recv().await {
//!                 Msg::Add(n) => total += n,
//!                 Msg::Total(reply) => { let _ = reply.send(total); }
//!             }
//!         }
//!     });
//!     for n in 1..=10 {
//!         counter.send(Msg::Add(n)).await.unwrap();
//!     }
//!     let total = counter.call(Msg::Total, Duration::from_secs(1)).await.unwrap();
//!     assert_eq!(total, 55);
//! });
//! ```
#![deny(unsafe_code)]

// From the bottom up: plain data, the type-erased process faces, the task
// (the one module with `unsafe`), the mailbox and the process's shared
// state, the runtime seam beside them, then what users hold.
mod error;
mod id;
mod signal;

mod handle;
mod raw;

mod mailbox;
mod process;
mod runtime;

mod call;
mod ctx;
mod pid;
mod spawn;

mod actor;
pub mod observe;
pub mod pg;
mod registry;
pub mod remote;
mod supervisor;
pub mod sync;
pub mod testing;
mod timer;

pub use actor::{Actor, ActorCtx, start};
pub use call::Reply;
pub use ctx::Ctx;
pub use error::{
    CallError, Elapsed, EventsError, ParseIdError, RegistryError, SendError, StartError,
    TrySendError,
};
pub use id::{MonitorRef, NodeId, ProcessId};
pub use pid::{AnyPid, Pid};
pub use process::{IntoExitReason, current};
pub use registry::{register, unregister, whereis, whereis_any};
pub use runtime::{Runtime, deterministic};
pub use signal::{Down, Exit, ExitReason};
pub use spawn::{Spawn, spawn};
pub use supervisor::{ChildSpec, Restart, Shutdown, Strategy, Supervisor, SupervisorMsg};
pub use timer::{
    INFINITY, Sleep, Timeout, Timer, now, send_after, send_interval, sleep, sleep_until, timeout,
    yield_now,
};

/// The names most programs need: `use actor_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Actor, ActorCtx, AnyPid, CallError, ChildSpec, Ctx, Down, Exit, ExitReason, Pid, Reply,
        Restart, Runtime, Shutdown, Strategy, Supervisor, send_after, sleep, spawn, timeout,
    };
}

#[cfg(test)]
mod kernel_tests;
