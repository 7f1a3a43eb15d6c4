//! A process's task: one allocation holding the process's shared state
//! (its header) and its body, run by a small state machine so that it
//! is polled by one thread at a time, and woken without a lock.
//!
//! The state machine and the body are a [`TaskCell`]; this module adds
//! the header, the scheduler a wake queues the task on, its waker, and the
//! current task of a thread (which can hand out a new handle to it).

use std::cell::Cell;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::task::{ArcWake, waker_ref};

use crate::handle::Core;
use crate::id::ProcessId;
use crate::observe::Stats;

use super::task_cell::{Running, TaskCell};

/// What a task runs.
pub(crate) trait Body: Send + Sized + 'static {
    /// The state shared with the task's handles.
    type Header: Send + Sync + 'static;

    /// The scheduler its wakes go to (a concrete type: a task holds it
    /// by a thin pointer).
    type Home: Schedule;

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

/// One allocation per process: the header its handles share, the
/// scheduling state, and the body.
pub(crate) struct Task<B: Body> {
    pub(crate) header: B::Header,
    /// Where a wake sends it; `None` on the deterministic runtime, which
    /// polls with wakers of its own.
    home: Option<Arc<B::Home>>,
    cell: TaskCell<B>,
}

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
    pub(crate) fn new(header: B::Header, body: B, home: Option<Arc<B::Home>>) -> Arc<Self> {
        Arc::new(Task {
            header,
            home,
            cell: TaskCell::new(body),
        })
    }

    /// Changes the body of a task that has not been scheduled yet (so
    /// that a body can be made with a handle to its own task).
    pub(crate) fn init(&self, f: impl FnOnce(&mut B)) {
        let mut running = self
            .cell
            .acquire_idle()
            .expect("a task is initialised before it runs");
        running.init(f);
        running.idle();
    }

    /// For observers: `Some(true)` while it is being polled, `Some(false)`
    /// while it waits in a run queue, `None` while it waits to be woken.
    pub(crate) fn run_state(&self) -> Option<bool> {
        self.cell.run_state()
    }

    /// Schedules the task if it is idle; marks it if it is running.
    fn wake_task(self: &Arc<Self>) {
        // Without a scheduler of our own (deterministic runtime) the
        // runtime's wakers are the ones that count: nothing to queue.
        let Some(home) = &self.home else { return };
        if self.cell.wake() {
            home.schedule(self.clone());
        }
    }

    /// Polls the body once, as the current task of this thread. `None` if
    /// it is over (the body has then been dropped and the state is DONE).
    fn poll_body<'a>(
        &'a self,
        running: Running<'a, B>,
        cx: &mut Context<'_>,
        coop: bool,
    ) -> Option<Running<'a, B>> {
        let _entered = enter(self);
        running.poll(|body| body.poll(self, cx, coop))
    }
}

impl<B: Body> ArcWake for Task<B> {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.wake_task();
    }
}

impl<B: Body> Run for Task<B> {
    fn run(self: Arc<Self>) {
        let Some(running) = self.cell.acquire_scheduled() else {
            return; // aborted meanwhile
        };
        let running = {
            let waker = waker_ref(&self);
            let mut cx = Context::from_waker(&waker);
            self.poll_body(running, &mut cx, true)
        };
        // Woken during the poll: back to the end of the queue.
        if running.is_some_and(Running::finish) {
            if let Some(home) = &self.home {
                home.reschedule(self.clone());
            }
        }
    }

    fn poll_in(&self, cx: &mut Context<'_>) -> bool {
        let Some(running) = self.cell.acquire_idle() else {
            return self.cell.is_done();
        };
        match self.poll_body(running, cx, false) {
            Some(running) => {
                running.idle();
                false
            }
            None => true,
        }
    }

    fn queued(&self) {
        self.cell.queued();
    }

    fn abort(&self) {
        self.cell.abort();
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
