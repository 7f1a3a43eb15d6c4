//! A first-in first-out list of parked tasks, shared by the primitives of
//! this module, and a wrapper that names what a task waits on for the
//! deterministic runtime's deadlock report.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::runtime;

/// Parked tasks in arrival order. Waking pops entries, so a future that
/// is dropped after being woken but before it made use of the wake-up can
/// tell (its entry is gone) and pass the wake-up on.
#[derive(Default)]
pub(crate) struct WaitList {
    next: u64,
    entries: VecDeque<(u64, Waker)>,
}

impl WaitList {
    /// Parks (or re-parks) the task of `cx` under `*id`.
    pub(crate) fn register(&mut self, id: &mut Option<u64>, waker: &Waker) {
        if let Some(i) = *id {
            if let Some(entry) = self.entries.iter_mut().find(|(e, _)| *e == i) {
                if !entry.1.will_wake(waker) {
                    entry.1 = waker.clone();
                }
                return;
            }
        }
        let i = self.next;
        self.next += 1;
        self.entries.push_back((i, waker.clone()));
        *id = Some(i);
    }

    /// Unparks `id`: `true` if it was still parked, `false` if it had been
    /// woken (popped) already.
    pub(crate) fn remove(&mut self, id: u64) -> bool {
        match self.entries.iter().position(|(e, _)| *e == id) {
            Some(pos) => {
                self.entries.remove(pos);
                true
            }
            None => false,
        }
    }

    /// Wakes the longest-parked task, if any.
    pub(crate) fn wake_one(&mut self) -> bool {
        match self.entries.pop_front() {
            Some((_, w)) => {
                w.wake();
                true
            }
            None => false,
        }
    }

    /// Wakes every parked task, in arrival order.
    pub(crate) fn wake_all(&mut self) {
        for (_, w) in self.entries.drain(..) {
            w.wake();
        }
    }

    /// How many tasks are parked.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

pin_project_lite::pin_project! {
    /// A future that tells the deterministic runtime what its task waits on
    /// whenever it is pending.
    pub(crate) struct Labelled<F> {
        #[pin]
        fut: F,
        what: &'static str,
    }
}

impl<F: Future> Future for Labelled<F> {
    type Output = F::Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let out = this.fut.poll(cx);
        if out.is_pending() {
            runtime::waiting_on(this.what);
        }
        out
    }
}

/// Wraps `fut` so that the deadlock report says its task waits on `what`.
pub(crate) fn labelled<F: Future>(what: &'static str, fut: F) -> Labelled<F> {
    Labelled { fut, what }
}

/// Locks `m`, ignoring poisoning: no user code runs while these locks are
/// held, so a panic cannot leave the state half-written.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Waits until `ready` finds what it wants in the state behind `state`,
/// parking in the wait list `list` of that state meanwhile. `what` names
/// the wait in the deadlock report. Cancel safe: a wake-up received but
/// not used is passed on to the next waiter.
pub(crate) fn wait_on<'a, S, R, F>(
    state: &'a std::sync::Mutex<S>,
    what: &'static str,
    list: fn(&mut S) -> &mut WaitList,
    ready: F,
) -> WaitOn<'a, S, F>
where
    F: FnMut(&mut S) -> Option<R>,
{
    WaitOn {
        state,
        what,
        list,
        ready,
        id: None,
    }
}

/// The future of [`wait_on`].
pub(crate) struct WaitOn<'a, S, F> {
    state: &'a std::sync::Mutex<S>,
    what: &'static str,
    list: fn(&mut S) -> &mut WaitList,
    ready: F,
    id: Option<u64>,
}

// Nothing in it is pinned: `ready` is only called through `&mut`.
impl<S, F> Unpin for WaitOn<'_, S, F> {}

impl<S, R, F> Future for WaitOn<'_, S, F>
where
    F: FnMut(&mut S) -> Option<R>,
{
    type Output = R;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<R> {
        let this = self.get_mut();
        let mut st = lock(this.state);
        if let Some(r) = (this.ready)(&mut st) {
            if let Some(i) = this.id.take() {
                (this.list)(&mut st).remove(i);
            }
            return Poll::Ready(r);
        }
        (this.list)(&mut st).register(&mut this.id, cx.waker());
        drop(st);
        runtime::waiting_on(this.what);
        Poll::Pending
    }
}

impl<S, F> Drop for WaitOn<'_, S, F> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let mut st = lock(self.state);
            let list = (self.list)(&mut st);
            if !list.remove(id) {
                // Woken but gone: the wake-up goes to the next waiter.
                list.wake_one();
            }
        }
    }
}
