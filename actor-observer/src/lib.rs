//! The observer: a running actor-core system as a web page and a JSON API,
//! as Erlang's `observer` shows a running node.
//!
//! [`serve`] starts a process that serves, for the runtime it is called
//! on: an overview (process count, message rates, memory, charts of the
//! last ten minutes), the process table (sortable by mailbox length,
//! messages, restarts; filtered by name), the supervision tree, one
//! process's page (links, monitors, status, its children's recent exits,
//! and buttons to kill it or have its supervisor restart it), and a live
//! event log. Pages update by server-sent events. The data comes from
//! [`actor_core::observe`].
//!
//! The JSON API under the page:
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/processes` | the snapshot: an array, one object per process, ids as `<node.serial>`; `?sort=mailbox&filter=text&limit=N` |
//! | `GET /api/processes?node=N` | node `N`'s table, asked of that node ([`net`]), its ids `<N.serial>`; the same `sort`, `filter`, `limit` |
//! | `GET /api/processes/{id}` | one process, with who monitors it, its children and their recent exits (another node's for an id `<N.serial>`) |
//! | `POST /api/processes/{id}/kill` | kills it (token needed) |
//! | `POST /api/processes/{id}/restart` | has its supervisor restart it (token needed) |
//! | `GET /api/tree` | the supervision tree |
//! | `GET /api/overview`, `GET /api/log` | counts and the last ten minutes of samples; the recent events |
//! | `GET /api/nodes` | this node's id (0 outside a cluster) and the others ([`Observer::nodes`], `Observer::cluster`) |
//! | `GET /api/events` | server-sent events: `sample`, `log`, and with `?table=true` the table's changed rows (`&node=N`: node `N`'s, or a `table-error`) |
//!
//! Actions need `Authorization: Bearer TOKEN`: 401 without it, 403 with a
//! wrong one. A malformed id is a 400, a process that is not alive a 404,
//! restarting a process no supervisor started a 409. Another node's
//! process (`<N.serial>`) is killed or restarted by that node, after this
//! observer checked the token.
//!
//! Another node's processes (feature `net`, on by default; without it the
//! crate does not depend on actor-net): the node calls
//! [`net::answer`], the observer is given its own node with
//! `Observer::cluster`. A node that is not up, or does not answer
//! observers, is a 404; one that does not answer within 5 s a 504; one lost
//! while asked a 502; a `node` that is not a number a 400. Each error is
//! `{"error": "..."}`. See [`net`].
//!
//! # Examples
//!
//! ```
//! use actor_core::{spawn, Ctx, Runtime, Spawn};
//!
//! Runtime::tokio().block_on(async {
//!     let _worker = Spawn::new().label("worker").spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
//!     let serving = actor_observer::serve("127.0.0.1:0").await.unwrap();
//!     println!("open {}", serving.url());
//!     println!("token: {}", serving.token());
//!     serving.stop();
//! });
//! ```
#![forbid(unsafe_code)]

mod api;
mod assets;
mod error;
#[cfg(feature = "net")]
pub mod net;
mod remote;
mod server;
mod state;
mod stream;

pub use axum;
pub use error::ObserverError;
pub use server::{Node, Observer, Serving, serve};
