//! The crate's one module with `unsafe` code, kept small: the primitives
//! the kernel's speed rests on, each with the invariant that makes it
//! sound written next to it (every `unsafe` block has a `// SAFETY:`
//! comment), and each small enough to check by reading.
//!
//! - [`task`]: a process as one allocation, its body polled by one thread
//!   at a time under an atomic state machine ([`task_cell`]).
//! - [`lock`]: a spin lock for a process's state, whose critical sections
//!   are a few instructions long.
//! - [`oneshot`]: the slot a call's reply goes through, without a lock.
//! - [`spare`]: one spare `Arc` per thread, its type erased, so that a
//!   call's reply slot is reused rather than allocated per call.
//! - [`ring`]: a FIFO queue one word wide, for a mailbox and its
//!   receiver's buffer.
//!
//! Their atomics and cells come from [`sync`]: std's, or loom's when this
//! crate's tests are built with `--cfg actor_loom`; each module's loom
//! tests then run its core through every interleaving (`.ci/loom`).

#![allow(unsafe_code)]

pub(crate) mod lock;
pub(crate) mod oneshot;
pub(crate) mod ring;
pub(crate) mod spare;
mod sync;
pub(crate) mod task;
pub(crate) mod task_cell;

pub(crate) use lock::{SpinGuard, SpinLock};
pub(crate) use oneshot::Oneshot;
pub(crate) use ring::Ring;
pub(crate) use task::*;
