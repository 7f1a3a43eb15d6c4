//! The runtime seam: the one place that spawns tasks, reads the clock,
//! sleeps and yields. Everything else in the crate goes through here, so a
//! process runs unchanged on tokio or on the deterministic runtime.
//!
//! Which runtime is in use is decided per thread: inside
//! [`Runtime::block_on`] of a deterministic runtime, the deterministic one;
//! anywhere else, the current tokio runtime.

pub mod deterministic;
mod sched;
mod table;
mod tokio_rt;

use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use crate::handle::Core;
use crate::id::{MonitorRef, NodeId, ProcessId};
use crate::observe::{Event, Hub};
use crate::raw::{Run, Schedule};
use crate::registry::Registry;
use crate::signal::ExitReason;
use deterministic::{Config, Executor};
pub(crate) use sched::Scheduler;

/// A runtime to run processes on: tokio (multi-thread or current-thread),
/// or the deterministic runtime for testing protocols.
///
/// Inside an existing tokio runtime (`#[tokio::main]`, `#[tokio::test]`)
/// no `Runtime` is needed: [`spawn`](crate::spawn) uses the current one.
///
/// # Examples
///
/// ```
/// use actor_core::{spawn, Ctx, Runtime};
///
/// let answer = Runtime::tokio().block_on(async {
///     let pid = spawn(|mut ctx: Ctx<u32>| async move { assert_eq!(ctx.recv().await, 42) });
///     pid.send(42).await.unwrap();
///     pid.wait().await
/// });
/// assert!(answer.is_normal());
/// ```
pub struct Runtime {
    kind: Kind,
}

enum Kind {
    Tokio(tokio::runtime::Runtime),
    Deterministic(Config),
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            Kind::Tokio(_) => f.write_str("Runtime::Tokio"),
            Kind::Deterministic(c) => write!(f, "Runtime::Deterministic({c:?})"),
        }
    }
}

impl Runtime {
    /// tokio's multi-thread runtime, one worker per core, with time and IO.
    ///
    /// # Panics
    ///
    /// If the operating system refuses the threads or the IO driver.
    pub fn tokio() -> Self {
        Runtime {
            kind: Kind::Tokio(tokio_rt::multi_thread()),
        }
    }

    /// tokio's current-thread runtime, with time and IO.
    ///
    /// # Panics
    ///
    /// If the operating system refuses the IO driver.
    pub fn tokio_current_thread() -> Self {
        Runtime {
            kind: Kind::Tokio(tokio_rt::current_thread()),
        }
    }

    /// The deterministic runtime: one thread, virtual time, and a seeded (or
    /// FIFO) choice of what runs next. See [`deterministic`].
    pub fn deterministic(config: Config) -> Self {
        Runtime {
            kind: Kind::Deterministic(config),
        }
    }

    /// Runs `fut` to completion, with processes spawned inside it running on
    /// this runtime.
    ///
    /// # Panics
    ///
    /// On the deterministic runtime, if the run deadlocks (nothing can run,
    /// no timer is pending and `fut` is not done) or reaches the configured
    /// deadline: the panic message is the report. Use
    /// [`deterministic::run`] to get it as a value instead.
    pub fn block_on<F: Future>(&self, fut: F) -> F::Output {
        match &self.kind {
            Kind::Tokio(rt) => rt.block_on(fut),
            Kind::Deterministic(config) => match deterministic::run(config.clone(), fut).result {
                Ok(v) => v,
                Err(e) => panic!("{e}"),
            },
        }
    }
}

thread_local! {
    static DET: std::cell::RefCell<Option<std::rc::Rc<Executor>>> =
        const { std::cell::RefCell::new(None) };
    /// Mirrors `DET.is_some()` in a cell without a destructor, so that the
    /// check on every send and receive is one load.
    static IN_DET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes `ex` the thread's deterministic executor; returns the previous one.
fn set_det(ex: Option<std::rc::Rc<Executor>>) -> Option<std::rc::Rc<Executor>> {
    IN_DET.with(|f| f.set(ex.is_some()));
    DET.with(|d| std::mem::replace(&mut *d.borrow_mut(), ex))
}

/// Runs `f` with the deterministic executor of this thread, if one runs.
#[inline]
fn with_det<R>(f: impl FnOnce(&std::rc::Rc<Executor>) -> R) -> Option<R> {
    if !is_deterministic() {
        return None;
    }
    DET.with(|d| d.borrow().as_ref().map(f))
}

/// Whether the calling thread is inside the deterministic runtime.
#[inline]
pub(crate) fn is_deterministic() -> bool {
    IN_DET.with(|f| f.get())
}

/// Where a new process goes: the runtime the spawning code runs on.
pub(crate) enum Place {
    Pool(Arc<Scheduler>),
    Det(Rc<Executor>),
}

/// The runtime of the calling code.
///
/// # Panics
///
/// Outside a runtime, with tokio's message.
pub(crate) fn place() -> Place {
    match with_det(|ex| ex.clone()) {
        Some(ex) => Place::Det(ex),
        None => Place::Pool(Scheduler::current()),
    }
}

impl Place {
    /// A fresh process serial number (per deterministic run, so that runs
    /// compare equal).
    pub(crate) fn next_serial(&self) -> u64 {
        match self {
            Place::Pool(_) => fresh_number(),
            Place::Det(ex) => ex.next_serial(),
        }
    }

    /// The node of a new process: [`NodeId::LOCAL`], or on the
    /// deterministic runtime the simulated node it is spawned in (see
    /// [`deterministic::within_node`]).
    pub(crate) fn node(&self) -> NodeId {
        match self {
            Place::Pool(_) => NodeId::LOCAL,
            Place::Det(ex) => ex.spawn_node().unwrap_or(NodeId::LOCAL),
        }
    }

    /// Where the task's own waker sends it: our scheduler on tokio; on the
    /// deterministic runtime nowhere (it polls with wakers of its own).
    pub(crate) fn home(&self) -> Option<Arc<Scheduler>> {
        match self {
            Place::Pool(s) => Some(s.clone()),
            Place::Det(_) => None,
        }
    }

    /// Starts a process's task and enters it in the runtime's table;
    /// `event` tells the runtime's listeners, if any.
    pub(crate) fn start(
        self,
        task: Arc<dyn Run>,
        id: ProcessId,
        core: std::sync::Weak<dyn Core>,
        key: &AtomicU32,
        system: bool,
        event: impl FnOnce() -> Event,
    ) {
        match self {
            Place::Pool(s) => {
                let k = s.table.insert(id.serial, core);
                key.store(k, Ordering::Relaxed);
                s.hub.emit(event);
                task.queued();
                // Queued as a woken process is: the LIFO slot of this
                // worker, if this thread runs one of its workers.
                s.schedule(task);
            }
            Place::Det(ex) => {
                ex.hub.emit(event);
                ex.spawn(
                    Some((id, core, system)),
                    Box::pin(deterministic::unbudgeted(DetRun(task))),
                );
            }
        }
    }
}

/// A process's task polled by the deterministic executor, with its wakers.
struct DetRun(Arc<dyn Run>);

/// A process's task dropped before its end (the run is over, with the
/// process still waiting): its body is dropped now, so that what it holds
/// is released even when it holds its own pid through a cycle (a node's
/// state that keeps the pid of the process running it). Nothing for a
/// process that ended.
impl Drop for DetRun {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Future for DetRun {
    type Output = ();
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0.poll_in(cx) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    }
}

/// Takes an ended process out of its runtime's table (the deterministic
/// runtime does it when the task ends); `event` tells the runtime's
/// listeners, if any.
pub(crate) fn forget_process(key: u32, event: impl FnOnce() -> Event) {
    if is_deterministic() {
        with_det(|ex| ex.hub.emit(event));
    } else {
        sched::with_current(|s| {
            s.table.remove(key);
            s.hub.emit(event);
        });
    }
}

/// Tells the listeners of the runtime of the calling code, if any.
pub(crate) fn emit(event: impl FnOnce() -> Event) {
    match with_det(|ex| ex.clone()) {
        Some(ex) => ex.hub.emit(event),
        None => sched::with_current(|s| s.hub.emit(event)),
    }
}

/// The scheduler to observe for the calling code: `None` on the
/// deterministic runtime.
pub(crate) fn observed_pool() -> Option<Arc<Scheduler>> {
    match place() {
        Place::Pool(s) => Some(s),
        Place::Det(_) => None,
    }
}

/// Every live process of `pool`, or of the deterministic run on this
/// thread (in id order) when `pool` is `None`.
pub(crate) fn all_processes(pool: Option<&Scheduler>) -> Vec<Arc<dyn Core>> {
    match pool {
        Some(s) => s.table.all(),
        None => with_det(|ex| ex.processes()).unwrap_or_default(),
    }
}

/// Runs `f` with the event hub of the deterministic run on this thread.
pub(crate) fn det_hub<R>(f: impl FnOnce(&Hub) -> R) -> Option<R> {
    with_det(|ex| f(&ex.hub))
}

/// tokio's clock, wherever this is called.
pub(crate) fn tokio_now() -> Duration {
    tokio_rt::now()
}

/// Spawns a helper task that is not a process (timers).
pub(crate) fn spawn_task<F>(fut: F)
where
    F: Future<Output = ()> + Send + 'static,
{
    match with_det(|ex| ex.clone()) {
        Some(ex) => ex.spawn(None, Box::pin(deterministic::unbudgeted(fut))),
        None => tokio_rt::spawn(fut),
    }
}

static NEXT_BLOCK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
const BLOCK: u64 = 1024;

thread_local! {
    /// This thread's block of fresh numbers: the next one and the end.
    static NUMBERS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// A number never handed out before in this program: from the thread's
/// block, taking a new block from the shared counter once in 1024 times
/// (so that threads spawning at once do not fight over one counter).
fn fresh_number() -> u64 {
    NUMBERS.with(|c| {
        let (next, end) = c.get();
        if next < end {
            c.set((next + 1, end));
            return next;
        }
        let start = NEXT_BLOCK.fetch_add(BLOCK, std::sync::atomic::Ordering::Relaxed);
        c.set((start + 1, start + BLOCK));
        start
    })
}

/// A fresh monitor reference.
pub(crate) fn next_ref() -> MonitorRef {
    MonitorRef(with_det(|ex| ex.next_serial()).unwrap_or_else(fresh_number))
}

static GLOBAL_REGISTRY: std::sync::LazyLock<Arc<Registry>> =
    std::sync::LazyLock::new(|| Arc::new(Registry::default()));

/// The name registry of the runtime in use.
pub(crate) fn registry() -> Arc<Registry> {
    with_det(|ex| ex.registry()).unwrap_or_else(|| GLOBAL_REGISTRY.clone())
}

/// On the deterministic runtime: when a message sent now to `to` is
/// delivered (`None`: at once; see [`deliver_at`]).
pub(crate) fn hold(to: ProcessId) -> Option<Duration> {
    with_det(|ex| ex.hold(to)).flatten()
}

/// On the deterministic runtime: runs `deliver` at virtual time `at`.
pub(crate) fn deliver_at(at: Duration, to: ProcessId, deliver: impl FnOnce() + 'static) {
    with_det(|ex| ex.deliver_at(at, to, Box::new(deliver)));
}

/// Notes what the current task waits on, for the deadlock report.
pub(crate) fn waiting_on(what: &'static str) {
    with_det(|ex| ex.waiting_on(what));
}

/// The current task, for primitives that hand the processor to a specific
/// task (the rendezvous channel).
pub(crate) fn task_token() -> Option<usize> {
    with_det(|ex| ex.current_task()).flatten()
}

/// Wakes a task so that it runs next (deterministic runtime), or just
/// wakes it (tokio).
pub(crate) fn wake_first(token: Option<usize>, waker: std::task::Waker) {
    // The waker itself first: it may be a combinator's (FuturesUnordered,
    // join_all) that must learn which of its futures to poll. Then, on the
    // deterministic runtime, the task moves to the front of the queue.
    waker.wake();
    if let Some(t) = token {
        with_det(|ex| ex.wake_first(t));
    }
}

pub(crate) fn trace_spawn(id: ProcessId, parent: Option<ProcessId>) {
    with_det(|ex| ex.record(deterministic::Event::Spawn { pid: id, parent }));
}

pub(crate) fn trace_send(to: ProcessId, _delivered: bool) {
    with_det(|ex| {
        let from = crate::process::current();
        ex.record(deterministic::Event::Send {
            from,
            to,
            delay_ns: 0,
        });
        ex.record(deterministic::Event::Deliver { from, to });
    });
}

pub(crate) fn trace_deliver(from: ProcessId, to: ProcessId) {
    with_det(|ex| {
        ex.record(deterministic::Event::Deliver {
            from: Some(from),
            to,
        })
    });
}

/// By reference: a receiver on a tokio runtime does not read the id (a
/// cache line its senders write).
pub(crate) fn trace_receive(id: &ProcessId) {
    with_det(|ex| ex.record(deterministic::Event::Receive { pid: *id }));
}

pub(crate) fn trace_exit(id: ProcessId, reason: &ExitReason) {
    with_det(|ex| {
        ex.record(deterministic::Event::Exit {
            pid: id,
            reason: reason.to_string(),
        })
    });
}

/// The text of a panic payload, with a hint when a tokio-only API was used
/// inside the deterministic runtime.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let msg = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_string()
    };
    if is_deterministic() && (msg.contains("Tokio") || msg.contains("reactor")) {
        format!("{msg} ({})", deterministic::TOKIO_HINT)
    } else {
        msg
    }
}

/// The runtime's clock, as a duration since the runtime's epoch.
pub(crate) fn now() -> Duration {
    with_det(|ex| ex.now()).unwrap_or_else(tokio_rt::now)
}

/// A future that completes at `deadline` on the runtime's clock.
pub(crate) fn sleep_until(deadline: Duration) -> crate::timer::Sleep {
    match with_det(|ex| ex.clone()) {
        Some(ex) => crate::timer::Sleep::det(ex.sleep_until(deadline)),
        None => crate::timer::Sleep::tokio(tokio_rt::sleep_until(deadline)),
    }
}

/// Yields once: the task goes to the back of the run queue
/// (`stackless.schedule()`).
pub(crate) async fn yield_now() {
    // A process goes to the back of its scheduler's queue; tokio's own
    // yield would hold it until tokio's worker is done with ours.
    if is_deterministic() || crate::raw::current_id().is_some() {
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                std::task::Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        })
        .await
    } else {
        tokio::task::yield_now().await
    }
}
