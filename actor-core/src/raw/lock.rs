//! A spin lock for a process's state: its critical sections are a few
//! instructions long (push to a queue, flip a flag), so waiting spins
//! briefly, then yields the thread; unlocking is one release store rather
//! than a read-modify-write.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::Ordering;

use super::sync::{AtomicBool, UnsafeCell, spin_loop, yield_now};

/// Rounds of spinning, each twice as long as the one before (1, 2, 4, ...
/// pauses: 1,023 in all), before yielding the thread to a holder that may
/// have been preempted. Backing off leaves the lock's cache line to its
/// holder; a holder growing a queue of millions of messages keeps it for
/// microseconds, and yielding to the kernel before then costs more than
/// the wait.
const SPIN_STEPS: u32 = 10;

pub(crate) struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through a guard, and a guard exists
// only while `locked` is held (taken with acquire, released with release),
// so one thread at a time has it; `T: Send` lets it be used from whichever
// thread holds the lock.
unsafe impl<T: Send> Sync for SpinLock<T> {}

pub(crate) struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
}

impl<T> SpinLock<T> {
    pub(crate) fn new(value: T) -> Self {
        SpinLock {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    #[inline]
    pub(crate) fn lock(&self) -> SpinGuard<'_, T> {
        if self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.lock_contended();
        }
        SpinGuard { lock: self }
    }

    #[cold]
    fn lock_contended(&self) {
        let mut step = 0;
        loop {
            while self.locked.load(Ordering::Relaxed) {
                if step < SPIN_STEPS {
                    for _ in 0..1u32 << step {
                        spin_loop();
                    }
                    step += 1;
                } else {
                    yield_now();
                }
            }
            if self
                .locked
                .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                return;
            }
        }
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock (see `Sync` above).
        self.lock.value.with(|v| unsafe { &*v })
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the lock, and `&mut self` makes this the
        // only reference through it.
        self.lock.value.with_mut(|v| unsafe { &mut *v })
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.locked.store(false, Ordering::Release);
    }
}

#[cfg(all(test, actor_loom))]
mod loom_tests {
    use loom::sync::Arc;
    use loom::thread;

    use super::SpinLock;

    /// Increments a counter under the lock in two steps (read, then write),
    /// so that two holders at once would race on the cell (loom reports
    /// it) or lose an increment.
    fn increment(lock: &SpinLock<usize>) {
        let mut guard = lock.lock();
        let seen = *guard;
        *guard = seen + 1;
    }

    #[test]
    fn loom_two_threads_incrementing_under_the_lock_lose_nothing() {
        loom::model(|| {
            let lock = Arc::new(SpinLock::new(0));
            let other = {
                let lock = lock.clone();
                thread::spawn(move || increment(&lock))
            };
            increment(&lock);
            other.join().unwrap();
            assert_eq!(*lock.lock(), 2);
        });
    }
}
