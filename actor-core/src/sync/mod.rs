//! Runtime-agnostic coordination primitives from gevent and Stackless.
//!
//! They work the same on tokio and on the [deterministic
//! runtime](crate::deterministic), where every wait with a timeout follows
//! virtual time and every wait is named in the deadlock report.
//!
//! | seed | here |
//! |---|---|
//! | `stackless.schedule()` | [`yield_now`](crate::yield_now) |
//! | `stackless.channel` | [`Channel`]: a rendezvous; on a handoff the receiver runs next |
//! | `gevent.event.Event` | [`Event`] |
//! | `gevent.event.AsyncResult` | [`AsyncResult`]: a value or an error, awaited with a timeout |
//! | `gevent.queue.Queue` | [`Queue`], bounded or not, with timeouts |
//! | `gevent.lock.Semaphore`, `Lock` | [`Semaphore`], [`Lock`] |
//! | `gevent.pool.Group`, `imap_unordered` | [`Group`], [`Unordered`] (results in completion order) |
//! | `gevent.pool.Pool(n)` | [`Pool`] |
//! | `gevent.Timeout` | [`timeout`](crate::timeout) |
//! | `gevent.local.local` | [`Ctx::local`](crate::Ctx::local), dropped when its process ends |
//!
//! # Examples
//!
//! A producer and a consumer over a bounded [`Queue`], and an [`Event`]
//! saying the consumer is done:
//!
//! ```
//! use actor_core::sync::{Event, Queue};
//! use actor_core::deterministic::{self, Config};
//! use actor_core::{spawn, Ctx};
//!
//! let out = deterministic::run(Config::seeded(3), async {
//!     let (q, done) = (Queue::bounded(4), Event::new());
//!     let (rx, d) = (q.clone(), done.clone());
//!     spawn(move |_: Ctx<()>| async move {
//!         let mut sum = 0;
//!         for _ in 0..100 { sum += rx.get().await; }
//!         assert_eq!(sum, 4950);
//!         d.set();
//!     });
//!     for n in 0..100 { q.put(n).await; }
//!     done.wait().await;
//! });
//! assert!(out.result.is_ok());
//! ```

mod async_result;
mod channel;
mod event;
mod group;
mod lock;
mod pool;
mod queue;
mod semaphore;
mod waiters;

pub use crate::error::{AlreadySet, ChannelClosed, QueueFull};
pub use async_result::AsyncResult;
pub use channel::Channel;
pub use event::Event;
pub use group::{Group, Unordered};
pub use lock::{Lock, LockGuard};
pub use pool::Pool;
pub use queue::Queue;
pub use semaphore::{Permit, Semaphore};
