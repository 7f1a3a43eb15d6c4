//! What the primitives synchronise with: std's atomics and cells in every
//! build, loom's in this crate's tests under `--cfg actor_loom`, so that
//! loom can run their cores through every interleaving (see `.ci/loom`).
//!
//! The cell is reached through `with`/`with_mut` (loom's interface, which
//! records each access); in normal builds these are inlined calls of the
//! closure on `std::cell::UnsafeCell::get`, the same code as before.

#[cfg(not(all(test, actor_loom)))]
pub(crate) use std::{
    hint::spin_loop,
    sync::atomic::{AtomicBool, AtomicU8},
    thread::yield_now,
};

#[cfg(all(test, actor_loom))]
pub(crate) use loom::{
    cell::UnsafeCell,
    hint::spin_loop,
    sync::atomic::{AtomicBool, AtomicU8},
    thread::yield_now,
};

/// `std::cell::UnsafeCell` with loom's interface.
#[cfg(not(all(test, actor_loom)))]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(all(test, actor_loom)))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    /// Calls `f` with a pointer to the value, to read it.
    #[inline(always)]
    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Calls `f` with a pointer to the value, to write it.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}
