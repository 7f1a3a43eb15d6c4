//! A process's task: one allocation holding the process's shared state
//! (its header) and its body, run by a small state machine so that it
//! is polled by one thread at a time, and woken without a lock.
//!
//! The body lives in an `UnsafeCell` that only the holder of the `RUNNING`
//! state touches, and the thread running a task can hand out a new handle
//! to it.

use std::cell::{Cell, UnsafeCell};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};

use futures::task::{ArcWake, waker_ref};

use crate::handle::Core;
use crate::id::ProcessId;
use crate::observe::Stats;

/// What a task runs.
pub(crate) trait Body: Send + Sized + 'static {
    /// The state shared with the task's handles.
    type Header: Send + Sync + 'static;

    /// Polls the body. `Ready` means the task is over; the task then drops
    /// the body. Must not panic (a body catches its own panics). `coop`:
    /// the body shares its thread with others and should yield after a
    /// budget of work (on our scheduler; the deterministic runtime decides
    /// every switch itself).
    fn poll(self: Pin<&mut Self>, task: &Task<Self>, cx: &mut Context<'_>, coop: bool) -> Poll<()>;

    /// The process this task runs, by its handle.
    fn core(task: Arc<Task<Self>>) -> Arc<dyn Core>;

    /// The id of the process this task runs.
    fn id(header: &Self::Header) -> ProcessId;

    /// What the process this task runs counts for observers.
    fn stats(header: &Self::Header) -> &Stats;
}

/// Where a woken task goes to be run again: the scheduler of the runtime
/// it was spawned on.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// A task woken: it should run soon.
    fn schedule(&self, task: Arc<dyn Run>);
    /// A task woken while it ran (it yielded): after the others.
    fn reschedule(&self, task: Arc<dyn Run>);
}

/// A task, as its scheduler sees it.
pub(crate) trait Run: Send + Sync + 'static {
    /// Polls the task once with its own waker. Called by the scheduler
    /// for a task it took from a run queue (scheduled by its waker).
    fn run(self: Arc<Self>);

    /// Polls the task once with `cx` (the deterministic runtime brings
    /// its own wakers); `true` once the task is over.
    fn poll_in(&self, cx: &mut Context<'_>) -> bool;

    /// Marks a new task as queued, before its scheduler queues it.
    fn queued(&self);

    /// Drops the body of a task that will never run again; nothing if it
    /// is being polled right now.
    fn abort(&self);

    /// The process this task runs.
    fn core(self: Arc<Self>) -> Arc<dyn Core>;

    /// Its process id.
    fn id(&self) -> ProcessId;

    /// What its process counts for observers.
    fn stats(&self) -> &Stats;
}

/// Not scheduled, not running: waiting to be woken.
const IDLE: u8 = 0;
/// In a run queue (exactly once).
const SCHEDULED: u8 = 1;
/// Being polled; the body belongs to the thread that set this.
const RUNNING: u8 = 2;
/// Being polled, and woken meanwhile: to be scheduled again afterwards.
const NOTIFIED: u8 = 3;
/// Over: the body has been dropped; wakes do nothing.
const DONE: u8 = 4;

/// One allocation per process: the header its handles share, the
/// scheduling state, and the body.
pub(crate) struct Task<B: Body> {
    pub(crate) header: B::Header,
    state: AtomicU8,
    /// Where a wake sends it; `None` on the deterministic runtime, which
    /// polls with wakers of its own.
    home: Option<Arc<dyn Schedule>>,
    /// Touched only by the thread that holds `RUNNING` (or `NOTIFIED`).
    body: UnsafeCell<Option<B>>,
}

// SAFETY: the header is `Sync`; the body is only reached by the one thread
// that moved the state to RUNNING with a successful compare-exchange
// (acquire), and handed back with a release store, so no two threads ever
// touch it at once, and `B: Send` lets it move between them.
unsafe impl<B: Body> Sync for Task<B> {}

thread_local! {
    /// The task being polled on this thread. Set only for the duration of
    /// a poll, by a caller that holds a strong handle to it.
    static CURRENT: Cell<Option<NonNull<dyn Run>>> = const { Cell::new(None) };
}

/// Restores the previous current task when a poll ends, even by panic.
struct Entered(Option<NonNull<dyn Run>>);

impl Drop for Entered {
    fn drop(&mut self) {
        CURRENT.with(|c| c.set(self.0));
    }
}

/// Makes `task` the current task until the guard drops. Every task lives
/// in an `Arc` (`Task::new`), and the caller polls through a handle to it
/// that outlives the guard.
fn enter(task: &(dyn Run + 'static)) -> Entered {
    let ptr = NonNull::from(task);
    Entered(CURRENT.with(|c| c.replace(Some(ptr))))
}

/// The task being polled on this thread, if any.
pub(crate) fn current() -> Option<Arc<dyn Run>> {
    let ptr = CURRENT.with(|c| c.get())?;
    // SAFETY: CURRENT holds a pointer only while a poll of that task is
    // under way on this thread, and whoever polls holds an `Arc` of it
    // (see `enter`), so the allocation is alive and its strong count is at
    // least one. The pointer is the contents of that `Arc<Task<B>>` seen as
    // `dyn Run`: the same pointer (and vtable) that `Arc::into_raw` of the
    // `Arc<dyn Run>` it coerces to would give, so taking one more strong
    // count and rebuilding an `Arc` from it is sound.
    unsafe {
        Arc::increment_strong_count(ptr.as_ptr());
        Some(Arc::from_raw(ptr.as_ptr()))
    }
}

/// Runs `f` with the task being polled on this thread, if any.
fn with_current<R>(f: impl FnOnce(&dyn Run) -> R) -> Option<R> {
    let ptr = CURRENT.with(|c| c.get())?;
    // SAFETY: as in `current`: the task is alive for the whole poll, and
    // the reference does not outlive `f`.
    Some(f(unsafe { ptr.as_ref() }))
}

/// The id of the process whose task is being polled on this thread.
pub(crate) fn current_id() -> Option<ProcessId> {
    with_current(|t| t.id())
}

/// Runs `f` with the counters of the process being polled on this
/// thread, if any.
pub(crate) fn with_current_stats(f: impl FnOnce(&Stats)) {
    with_current(|t| f(t.stats()));
}

impl<B: Body> Task<B> {
    pub(crate) fn new(header: B::Header, body: B, home: Option<Arc<dyn Schedule>>) -> Arc<Self> {
        Arc::new(Task {
            header,
            state: AtomicU8::new(IDLE),
            home,
            body: UnsafeCell::new(Some(body)),
        })
    }

    /// Changes the body of a task that has not been scheduled yet (so
    /// that a body can be made with a handle to its own task).
    pub(crate) fn init(&self, f: impl FnOnce(&mut B)) {
        assert!(self.acquire(IDLE), "a task is initialised before it runs");
        // SAFETY: RUNNING is held (above), so the body is ours; it has
        // never been polled, so it is not pinned yet.
        let body = unsafe { &mut *self.body.get() };
        if let Some(b) = body.as_mut() {
            f(b);
        }
        self.state.store(IDLE, Ordering::Release);
    }

    /// For observers: `Some(true)` while it is being polled, `Some(false)`
    /// while it waits in a run queue, `None` while it waits to be woken.
    pub(crate) fn run_state(&self) -> Option<bool> {
        match self.state.load(Ordering::Relaxed) {
            RUNNING | NOTIFIED => Some(true),
            SCHEDULED => Some(false),
            _ => None,
        }
    }

    /// Schedules the task if it is idle; marks it if it is running.
    fn wake_task(self: &Arc<Self>) {
        // Without a scheduler of our own (deterministic runtime) the
        // runtime's wakers are the ones that count: nothing to queue.
        let Some(home) = &self.home else { return };
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            let next = match state {
                IDLE => SCHEDULED,
                RUNNING => NOTIFIED,
                _ => return,
            };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(now) => state = now,
            }
        }
        if state == IDLE {
            home.schedule(self.clone());
        }
    }

    /// Takes the body for one poll: moves `from` to RUNNING.
    fn acquire(&self, from: u8) -> bool {
        self.state
            .compare_exchange(from, RUNNING, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
    }

    /// Polls the body once, holding RUNNING. `true` if it is over (the
    /// body has then been dropped and the state is DONE).
    fn poll_body(&self, cx: &mut Context<'_>, coop: bool) -> bool {
        let _entered = enter(self);
        // SAFETY: the caller moved the state to RUNNING (`acquire`), so
        // this thread alone reaches the body until it releases the state;
        // the body is never moved out of the cell while `Some` (it is
        // dropped in place below), so pinning it is sound.
        let body = unsafe { &mut *self.body.get() };
        let Some(b) = body.as_mut() else {
            self.state.store(DONE, Ordering::Release);
            return true;
        };
        // SAFETY: see above: the body stays at this address until dropped.
        let pinned = unsafe { Pin::new_unchecked(b) };
        match pinned.poll(self, cx, coop) {
            Poll::Ready(()) => {
                *body = None;
                self.state.store(DONE, Ordering::Release);
                true
            }
            Poll::Pending => false,
        }
    }
}

impl<B: Body> ArcWake for Task<B> {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.wake_task();
    }
}

impl<B: Body> Run for Task<B> {
    fn run(self: Arc<Self>) {
        if !self.acquire(SCHEDULED) {
            return; // aborted meanwhile
        }
        let done = {
            let waker = waker_ref(&self);
            let mut cx = Context::from_waker(&waker);
            self.poll_body(&mut cx, true)
        };
        if done {
            return;
        }
        // Woken during the poll: back to the end of the queue.
        if self
            .state
            .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            self.state.store(SCHEDULED, Ordering::Release);
            if let Some(home) = &self.home {
                home.reschedule(self.clone());
            }
        }
    }

    fn poll_in(&self, cx: &mut Context<'_>) -> bool {
        if !self.acquire(IDLE) {
            return self.state.load(Ordering::Acquire) == DONE;
        }
        let done = self.poll_body(cx, false);
        if !done {
            self.state.store(IDLE, Ordering::Release);
        }
        done
    }

    fn queued(&self) {
        let was = self.state.swap(SCHEDULED, Ordering::AcqRel);
        debug_assert_eq!(was, IDLE, "only a new task is queued this way");
    }

    fn abort(&self) {
        if !self.acquire(IDLE) && !self.acquire(SCHEDULED) {
            return;
        }
        // SAFETY: RUNNING is held (above), so the body is ours to drop. It
        // is dropped in place, never moved: it may have been polled, and
        // pinned parts of it (timers) are known by their address.
        unsafe { *self.body.get() = None };
        self.state.store(DONE, Ordering::Release);
    }

    fn core(self: Arc<Self>) -> Arc<dyn Core> {
        B::core(self)
    }

    fn id(&self) -> ProcessId {
        B::id(&self.header)
    }

    fn stats(&self) -> &Stats {
        B::stats(&self.header)
    }
}
