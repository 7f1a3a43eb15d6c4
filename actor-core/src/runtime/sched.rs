//! The scheduler of processes on a tokio runtime: one worker per tokio
//! worker thread, each a tokio task that runs processes from its own run
//! queue, so that tokio's IO and timers drive processes while waking one
//! costs no trip through tokio's scheduler.
//!
//! A process woken by another on the same worker goes to that worker's
//! LIFO slot and runs as soon as the waker yields: two processes that talk
//! stay on one worker and hand over without a queue round trip. A new
//! process takes the LIFO slot too, as a new tokio task does: the newest
//! runs first, so a tree of processes (skynet) is worked through depth
//! first and its finished branches end early, instead of every leaf being
//! spawned before the first one runs. What the slot held moves to the
//! worker's own queue, which idle workers steal from; wakes from outside
//! the workers (tokio's IO and timer drivers, other threads) go to a
//! shared queue. An idle worker parks (its tokio task returns `Pending`)
//! and is woken when work arrives.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};

use crossbeam::deque::{Injector, Steal, Stealer, Worker};

use super::table::Table;
use crate::observe::Hub;
use crate::raw::{Run, Schedule};

type Task = Arc<dyn Run>;

/// Processes run by a worker before it lets tokio run its other tasks and
/// poll for IO and timers. Each such yield makes tokio wake another of its
/// workers (a futex), which may take this worker's loop to its own thread;
/// at 1,024 a busy worker yields every 100 to 300 µs.
const BUDGET: u32 = 1024;
/// Wakes taken from the LIFO slot in a row before the queue gets a turn.
const LIFO_STREAK: u32 = 16;
/// Every so many tasks a worker looks at the shared queue first.
const SHARED_EVERY: u32 = 61;

/// A worker's parking place.
struct Slot {
    parked: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

/// The scheduler of one tokio runtime.
pub(crate) struct Scheduler {
    shared: Injector<Task>,
    stealers: Vec<Stealer<Task>>,
    slots: Vec<Slot>,
    parked: AtomicUsize,
    /// Worker loops alive; the last one to end shuts the scheduler down.
    live: AtomicUsize,
    pub(crate) table: Table,
    /// Its event stream, for observers.
    pub(crate) hub: Hub,
    runtime: tokio::runtime::Id,
}

/// A worker's own part, moved into a thread-local while it runs.
struct Local {
    sched: Arc<Scheduler>,
    index: usize,
    queue: Worker<Task>,
    lifo: Option<Task>,
    streak: u32,
    ticks: u32,
}

thread_local! {
    /// The worker running on this thread right now, if any.
    static LOCAL: RefCell<Option<Box<Local>>> = const { RefCell::new(None) };
}

/// Every runtime's scheduler, by runtime.
static SCHEDULERS: Mutex<Option<HashMap<tokio::runtime::Id, Weak<Scheduler>>>> = Mutex::new(None);

impl Scheduler {
    /// The scheduler of the tokio runtime this thread is in, started on
    /// first use.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, with tokio's own message.
    pub(crate) fn current() -> Arc<Scheduler> {
        if let Some(s) = LOCAL.with(|l| l.borrow().as_ref().map(|l| l.sched.clone())) {
            return s;
        }
        let handle = tokio::runtime::Handle::current();
        let id = handle.id();
        let mut all = SCHEDULERS.lock().unwrap_or_else(|p| p.into_inner());
        let all = all.get_or_insert_with(HashMap::new);
        if let Some(s) = all.get(&id).and_then(Weak::upgrade) {
            return s;
        }
        let workers = handle.metrics().num_workers().max(1);
        let queues: Vec<Worker<Task>> = (0..workers).map(|_| Worker::new_fifo()).collect();
        let sched = Arc::new(Scheduler {
            shared: Injector::new(),
            stealers: queues.iter().map(Worker::stealer).collect(),
            slots: (0..workers)
                .map(|_| Slot {
                    parked: AtomicBool::new(false),
                    waker: Mutex::new(None),
                })
                .collect(),
            parked: AtomicUsize::new(0),
            live: AtomicUsize::new(workers),
            table: Table::default(),
            hub: Hub::default(),
            runtime: id,
        });
        all.insert(id, Arc::downgrade(&sched));
        for (index, queue) in queues.into_iter().enumerate() {
            let local = Box::new(Local {
                sched: sched.clone(),
                index,
                queue,
                lifo: None,
                streak: 0,
                ticks: 0,
            });
            drop(handle.spawn(tokio::task::unconstrained(WorkerLoop {
                local: Some(local),
            })));
        }
        sched
    }

    /// Wakes one parked worker, if any, after a push to the shared queue:
    /// the fence orders the push before the look at the parked count, so
    /// that a worker parking at the same time sees the one or the other.
    fn notify(&self) {
        fence(Ordering::SeqCst);
        self.wake_one();
    }

    /// After a push to a worker's own queue: that worker runs what it
    /// pushed in any case, so a parked worker is worth waking only to
    /// share the load, and a missed one costs no lost task. No fence.
    fn notify_local(&self) {
        if self.parked.load(Ordering::Relaxed) != 0 {
            self.wake_one();
        }
    }

    fn wake_one(&self) {
        if self.parked.load(Ordering::SeqCst) == 0 {
            return;
        }
        for slot in &self.slots {
            if slot.parked.load(Ordering::Relaxed) && slot.parked.swap(false, Ordering::AcqRel) {
                self.parked.fetch_sub(1, Ordering::SeqCst);
                let waker = slot.waker.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some(w) = waker {
                    w.wake();
                }
                return;
            }
        }
    }

    fn has_work(&self) -> bool {
        !self.shared.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// Drops every process of a runtime that is shutting down.
    fn shut_down(&self) {
        let mut all = SCHEDULERS.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(all) = all.as_mut() {
            all.remove(&self.runtime);
        }
        drop(all);
        while !matches!(self.shared.steal(), Steal::Empty) {}
        for core in self.table.all() {
            core.abort();
        }
    }
}

impl Schedule for Scheduler {
    /// A woken process: to this worker's LIFO slot if the waker runs on
    /// one of this scheduler's workers (it runs next), else to the shared
    /// queue.
    fn schedule(&self, task: Task) {
        let task = LOCAL.with(|l| match l.try_borrow_mut() {
            Ok(mut l) => match l.as_mut() {
                Some(local) if std::ptr::eq(&*local.sched, self) => {
                    if let Some(prev) = local.lifo.replace(task) {
                        local.queue.push(prev);
                        Some(None)
                    } else {
                        None
                    }
                }
                _ => Some(Some(task)),
            },
            Err(_) => Some(Some(task)),
        });
        match task {
            None => {}
            Some(None) => self.notify_local(),
            Some(Some(task)) => {
                self.shared.push(task);
                self.notify();
            }
        }
    }

    /// A task that yielded: behind every task that is ready, those
    /// woken from outside the workers included.
    fn reschedule(&self, task: Task) {
        self.shared.push(task);
        self.notify();
    }
}

/// Runs `f` with the scheduler of the worker running on this thread, or
/// of the tokio runtime this thread is in.
///
/// On a worker, `f` runs under a shared borrow of the worker's state, with
/// no count taken on the scheduler: what `f` queues meanwhile takes the
/// shared queue (`schedule` only tries to borrow it).
pub(crate) fn with_current<R>(f: impl FnOnce(&Scheduler) -> R) -> R {
    LOCAL.with(|l| {
        let local = l.try_borrow().ok();
        match local.as_ref().and_then(|l| l.as_ref()) {
            Some(local) => f(&local.sched),
            None => f(&Scheduler::current()),
        }
    })
}

impl Local {
    fn next(&mut self) -> Option<Task> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks % SHARED_EVERY == 0 {
            if let Some(t) = self.take_shared() {
                return Some(t);
            }
        }
        if let Some(t) = self.lifo.take() {
            if self.streak < LIFO_STREAK {
                self.streak += 1;
                return Some(t);
            }
            self.queue.push(t);
        }
        self.streak = 0;
        if let Some(t) = self.queue.pop() {
            return Some(t);
        }
        if let Some(t) = self.take_shared() {
            return Some(t);
        }
        self.steal()
    }

    fn take_shared(&mut self) -> Option<Task> {
        loop {
            match self.sched.shared.steal_batch_and_pop(&self.queue) {
                Steal::Success(t) => return Some(t),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    fn steal(&mut self) -> Option<Task> {
        let n = self.sched.stealers.len();
        for k in 1..n {
            let victim = &self.sched.stealers[(self.index + k) % n];
            loop {
                match victim.steal_batch_and_pop(&self.queue) {
                    Steal::Success(t) => return Some(t),
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
        }
        None
    }

    /// Parks: `true` if work arrived meanwhile and the worker goes on.
    fn park(&mut self, waker: &Waker) -> bool {
        let sched = &*self.sched;
        let slot = &sched.slots[self.index];
        *slot.waker.lock().unwrap_or_else(|p| p.into_inner()) = Some(waker.clone());
        slot.parked.store(true, Ordering::SeqCst);
        sched.parked.fetch_add(1, Ordering::SeqCst);
        if sched.has_work() {
            if slot.parked.swap(false, Ordering::AcqRel) {
                sched.parked.fetch_sub(1, Ordering::SeqCst);
            }
            return true;
        }
        false
    }
}

/// One worker: a tokio task that runs processes.
struct WorkerLoop {
    local: Option<Box<Local>>,
}

impl Future for WorkerLoop {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(local) = self.local.take() else {
            return Poll::Ready(());
        };
        LOCAL.with(|l| *l.borrow_mut() = Some(local));
        // One clock read per turn, not per process: the start time of the
        // processes that first run in it.
        crate::observe::clock_read(super::tokio_rt::now());
        let mut ran = 0;
        let outcome = loop {
            if ran == BUDGET {
                // Let tokio run its other tasks and poll its drivers.
                cx.waker().wake_by_ref();
                break Poll::Pending;
            }
            let next = LOCAL.with(|l| l.borrow_mut().as_mut().and_then(|l| l.next()));
            match next {
                Some(task) => {
                    task.run();
                    ran += 1;
                }
                None => {
                    let go_on =
                        LOCAL.with(|l| l.borrow_mut().as_mut().is_some_and(|l| l.park(cx.waker())));
                    if !go_on {
                        break Poll::Pending;
                    }
                }
            }
        };
        self.local = LOCAL.with(|l| l.borrow_mut().take());
        outcome
    }
}

impl Drop for WorkerLoop {
    fn drop(&mut self) {
        // The runtime is shutting down (or this worker ends): the last
        // worker drops every process left, queued or parked.
        if let Some(local) = self.local.take() {
            let sched = local.sched.clone();
            drop(local);
            if sched.live.fetch_sub(1, Ordering::AcqRel) == 1 {
                sched.shut_down();
            }
        }
    }
}
