//! A task's state machine and its body, without the rest of the kernel:
//! what makes a task polled by one thread at a time and never loses a
//! wake. [`Task`](super::Task) wraps it with the process's header and its
//! scheduler; loom drives it alone (`--cfg actor_loom`).
//!
//! ```text
//! IDLE --wake--> SCHEDULED --acquire--> RUNNING --finish--> IDLE
//!                    ^                     | wake            (poll Ready,
//!                    +----finish------- NOTIFIED              abort: DONE)
//! ```

use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::Poll;

use super::sync::{AtomicU8, UnsafeCell};

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

/// The scheduling state of a task and the body it polls.
pub(crate) struct TaskCell<B> {
    state: AtomicU8,
    /// Touched only through a [`Running`], by the thread that holds
    /// `RUNNING` (or `NOTIFIED`).
    body: UnsafeCell<Option<B>>,
}

// SAFETY: the body is only reached through a `Running`, which exists only
// on the one thread that moved the state to RUNNING with a successful
// compare-exchange (acquire), until it hands the state back with a release
// store, so no two threads ever touch it at once, and `B: Send` lets it
// move between them.
unsafe impl<B: Send> Sync for TaskCell<B> {}

/// The right to the body: held by the thread that moved the state to
/// RUNNING, until it gives the state back.
#[must_use = "the task stays RUNNING until this is given back"]
pub(crate) struct Running<'a, B> {
    cell: &'a TaskCell<B>,
}

impl<B> TaskCell<B> {
    pub(crate) fn new(body: B) -> Self {
        TaskCell {
            state: AtomicU8::new(IDLE),
            body: UnsafeCell::new(Some(body)),
        }
    }

    /// A wake: an idle task becomes scheduled (`true`: the caller queues
    /// it); a running one is marked to be polled again; otherwise nothing.
    #[inline]
    pub(crate) fn wake(&self) -> bool {
        let mut state = self.state.load(Ordering::Acquire);
        loop {
            let next = match state {
                IDLE => SCHEDULED,
                RUNNING => NOTIFIED,
                _ => return false,
            };
            match self
                .state
                .compare_exchange_weak(state, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return state == IDLE,
                Err(now) => state = now,
            }
        }
    }

    /// Marks a new task as queued, before its scheduler queues it.
    pub(crate) fn queued(&self) {
        let was = self.state.swap(SCHEDULED, Ordering::AcqRel);
        debug_assert_eq!(was, IDLE, "only a new task is queued this way");
    }

    /// Takes the body of a task taken from a run queue; `None` if it was
    /// aborted meanwhile.
    #[inline]
    pub(crate) fn acquire_scheduled(&self) -> Option<Running<'_, B>> {
        self.acquire(SCHEDULED)
    }

    /// Takes the body of an idle task (polled without a run queue, or
    /// initialised before it runs); `None` if it is not idle.
    #[inline]
    pub(crate) fn acquire_idle(&self) -> Option<Running<'_, B>> {
        self.acquire(IDLE)
    }

    #[inline]
    fn acquire(&self, from: u8) -> Option<Running<'_, B>> {
        self.state
            .compare_exchange(from, RUNNING, Ordering::Acquire, Ordering::Acquire)
            .is_ok()
            .then_some(Running { cell: self })
    }

    /// `Some(true)` while it is being polled, `Some(false)` while it
    /// waits in a run queue, `None` while it waits to be woken (or is over).
    pub(crate) fn run_state(&self) -> Option<bool> {
        match self.state.load(Ordering::Relaxed) {
            RUNNING | NOTIFIED => Some(true),
            SCHEDULED => Some(false),
            _ => None,
        }
    }

    /// The body has been dropped.
    pub(crate) fn is_done(&self) -> bool {
        self.state.load(Ordering::Acquire) == DONE
    }

    /// Drops the body of a task that will never run again; nothing if it
    /// is being polled right now.
    pub(crate) fn abort(&self) {
        let Some(running) = self.acquire_idle().or_else(|| self.acquire_scheduled()) else {
            return;
        };
        // SAFETY: `running` holds RUNNING, so the body is ours to drop. It
        // is dropped in place, never moved: it may have been polled, and
        // pinned parts of it (timers) are known by their address.
        running.cell.body.with_mut(|b| unsafe { *b = None });
        running.cell.state.store(DONE, Ordering::Release);
    }
}

impl<B> Running<'_, B> {
    /// Changes the body before it is first polled (it is not pinned yet).
    pub(crate) fn init(&mut self, f: impl FnOnce(&mut B)) {
        // SAFETY: `self` holds RUNNING, so the body is ours; the caller
        // calls this before the body is ever polled, so it is not pinned.
        self.cell.body.with_mut(|b| {
            if let Some(b) = unsafe { (*b).as_mut() } {
                f(b);
            }
        });
    }

    /// Polls the body once with `poll`. `None` if it is over: the body has
    /// been dropped (in place) and the state is DONE.
    #[inline]
    pub(crate) fn poll(self, poll: impl FnOnce(Pin<&mut B>) -> Poll<()>) -> Option<Self> {
        let over = self.cell.body.with_mut(|body| {
            // SAFETY: `self` holds RUNNING, so this thread alone reaches
            // the body until it gives the state back; the body is never
            // moved out of the cell while `Some` (it is dropped in place
            // below), so pinning it is sound.
            let body = unsafe { &mut *body };
            let Some(b) = body.as_mut() else {
                return true;
            };
            // SAFETY: see above: the body stays at this address until dropped.
            let pinned = unsafe { Pin::new_unchecked(b) };
            match poll(pinned) {
                Poll::Ready(()) => {
                    *body = None;
                    true
                }
                Poll::Pending => false,
            }
        });
        if over {
            self.cell.state.store(DONE, Ordering::Release);
            return None;
        }
        Some(self)
    }

    /// Gives the state back as IDLE (a task polled without a run queue).
    #[inline]
    pub(crate) fn idle(self) {
        self.cell.state.store(IDLE, Ordering::Release);
    }

    /// Gives the state back after a poll from a run queue: `true` if the
    /// task was woken during it and is SCHEDULED again (the caller queues
    /// it), `false` if it is IDLE.
    #[inline]
    pub(crate) fn finish(self) -> bool {
        if self
            .cell
            .state
            .compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return false;
        }
        self.cell.state.store(SCHEDULED, Ordering::Release);
        true
    }
}

#[cfg(all(test, actor_loom))]
mod loom_tests {
    use std::pin::Pin;
    use std::sync::atomic::Ordering::SeqCst;
    use std::task::Poll;

    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;
    use loom::thread;

    use super::TaskCell;
    use crate::raw::SpinLock;

    /// A process's body, reduced to what the state machine sees: each poll
    /// takes what its mailbox holds (under the mailbox's lock, as the
    /// kernel does) and is over once it has seen `until` messages.
    struct Body {
        seen: usize,
        until: usize,
        drops: Arc<AtomicUsize>,
    }

    impl Drop for Body {
        fn drop(&mut self) {
            self.drops.fetch_add(1, SeqCst);
        }
    }

    struct Process {
        task: TaskCell<Body>,
        /// Messages not yet taken by a poll.
        mailbox: SpinLock<usize>,
    }

    impl Process {
        fn new(until: usize, drops: &Arc<AtomicUsize>) -> Arc<Self> {
            Arc::new(Process {
                task: TaskCell::new(Body {
                    seen: 0,
                    until,
                    drops: drops.clone(),
                }),
                mailbox: SpinLock::new(0),
            })
        }

        /// A send: the message is queued and the task woken under the
        /// mailbox's lock; a task the wake scheduled is run by this thread
        /// (standing for the scheduler's run queue).
        fn send(&self) {
            let scheduled = {
                let mut queued = self.mailbox.lock();
                *queued += 1;
                self.task.wake()
            };
            if scheduled {
                self.run();
            }
        }

        /// The scheduler: runs a scheduled task, and again while it is
        /// woken during its polls. The body's cell is loom's: two threads
        /// polling at once would be reported.
        fn run(&self) {
            while let Some(running) = self.task.acquire_scheduled() {
                let Some(running) = running.poll(|body| self.poll(body)) else {
                    return;
                };
                if !running.finish() {
                    return;
                }
            }
        }

        fn poll(&self, body: Pin<&mut Body>) -> Poll<()> {
            let body = body.get_mut();
            body.seen += std::mem::take(&mut *self.mailbox.lock());
            if body.seen >= body.until {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        }

        /// What the body has seen, once the task is idle.
        fn seen(&self) -> usize {
            let running = self.task.acquire_idle().expect("the task is idle");
            let mut seen = 0;
            let running = running
                .poll(|body| {
                    seen = body.seen;
                    Poll::Pending
                })
                .expect("the body is there");
            running.idle();
            seen
        }
    }

    #[test]
    fn loom_a_wake_racing_a_poll_is_never_lost() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let process = Process::new(usize::MAX, &drops);
            let other = {
                let process = process.clone();
                thread::spawn(move || process.send())
            };
            process.send();
            other.join().unwrap();
            // Both messages were seen by a poll: no wake was lost, and the
            // task is idle again, not left scheduled or running.
            assert_eq!(process.seen(), 2);
            assert_eq!(*process.mailbox.lock(), 0);
            assert_eq!(drops.load(SeqCst), 0);
        });
    }

    #[test]
    fn loom_a_task_completing_as_it_is_aborted_drops_its_body_once() {
        loom::model(|| {
            let drops = Arc::new(AtomicUsize::new(0));
            let process = Process::new(1, &drops);
            let sender = {
                let process = process.clone();
                thread::spawn(move || process.send())
            };
            // The runtime shutting down aborts the task, whatever it does.
            process.task.abort();
            sender.join().unwrap();
            // Either the abort or the completing poll dropped the body, and
            // only one of them; a task over is never polled or queued again.
            // (Not `is_done()`: loom 0.7 lets the abort's plain store of DONE
            // fall between the read and the write of a racing wake's
            // compare-exchange, which C++'s RMW atomicity forbids, and then
            // reads NOTIFIED last: tokio-rs/loom#254.)
            assert_eq!(drops.load(SeqCst), 1);
            assert!(!process.task.wake());
            assert!(process.task.acquire_idle().is_none());
            assert!(process.task.acquire_scheduled().is_none());
        });
    }
}
