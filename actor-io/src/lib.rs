//! File descriptors, sockets, subprocess ports and worker processes over
//! pipes, as things an actor-core process awaits or receives messages from.
//!
//! Erlang's ports and `{active, once}` are the model; tokio's reactor
//! (epoll, through mio) is the engine. Every wait is cooperative: a process
//! that waits for IO parks on the reactor and costs no CPU.
//!
//! | source | awaited in a body | delivered as messages |
//! |---|---|---|
//! | any fd (pipe, socketpair, eventfd, tty, inotify) | [`Fd::readable`], [`Fd::read`] | [`Fd::watch`] → [`FdEvent`] |
//! | TCP / Unix connection | [`Conn::read`], [`Conn::write_all`] | [`Conn::into_active`] → [`SocketEvent`] |
//! | TCP / Unix listener | — | [`Listener::serve`]: a process per connection, under a supervisor |
//! | OS command | — | [`Command::spawn`] → [`PortEvent`] |
//! | worker process over a socketpair | [`Worker::call`](worker::Worker::call) | `Down` when it dies |
//!
//! Messages are flow-controlled by credit: a source delivers one message
//! per credit and then waits (`arm()` gives one more, `grant(n)` gives
//! `n`), so a slow process is never flooded and a fast producer is slowed
//! by the kernel's own buffers. Closing, hang-ups and errors arrive as
//! messages or as [`Error`]s, never as panics.
//!
//! Each message-delivering source is a small process of its own, which
//! monitors its owner: when the owner ends, for any reason, the source
//! closes its fd, or kills and reaps its child.
//!
//! actor-io needs tokio's reactor: it runs on
//! [`Runtime::tokio`](actor_core::Runtime::tokio) (or inside any tokio
//! runtime with IO enabled), not on the deterministic runtime; there its
//! constructors return [`Error::NoReactor`].
//!
//! # Examples
//!
//! A process drives `cat` through its pipes:
//!
//! ```
//! use actor_core::{spawn, Ctx, Runtime};
//! use actor_io::{Command, PortEvent};
//!
//! Runtime::tokio().block_on(async {
//!     let owner = spawn(|mut ctx: Ctx<PortEvent>| async move {
//!         let cat = Command::new("cat").lines().spawn(&ctx.pid())?;
//!         cat.write("hello\n")?;
//!         cat.close_stdin();
//!         loop {
//!             match ctx.recv().await {
//!                 PortEvent::Stdout { data, .. } => {
//!                     assert_eq!(data, "hello");
//!                     cat.arm();
//!                 }
//!                 // Everything written before stdin was closed.
//!                 PortEvent::StdinClosed { unwritten, .. } => assert_eq!(unwritten, 0),
//!                 PortEvent::Exited { status, .. } => {
//!                     assert!(status.success());
//!                     return Ok::<(), actor_io::Error>(());
//!                 }
//!                 other => panic!("unexpected {other:?}"),
//!             }
//!         }
//!     });
//!     assert!(owner.wait().await.is_normal());
//! });
//! ```
#![forbid(unsafe_code)]

mod error;
mod fd;
mod frame;
#[doc(hidden)]
pub mod fuzzing;
mod id;
mod net;
mod port;
pub mod worker;

pub use error::Error;
pub use fd::{Fd, FdEvent, Interest, Readiness, Watch};
pub use id::IoId;
pub use net::{ActiveConn, Addr, Conn, Listener, Reservation, Server, SocketEvent};
pub use port::{Capture, ChildExit, Command, MAX_LINE, Port, PortEvent};

/// The names most programs need: `use actor_io::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Command, Conn, Error, Fd, FdEvent, Interest, Listener, Port, PortEvent, SocketEvent,
    };
}
