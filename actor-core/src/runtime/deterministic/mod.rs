//! The deterministic runtime: one thread, virtual time, and a seeded choice
//! of which ready process runs next and how long each message stays in
//! flight. The same seed and the same code give the same run, event for
//! event; [`Trace::hash`] tells.
//!
//! Time is virtual: when nothing can run, the clock jumps to the next timer,
//! so an hour of timeouts takes microseconds. Messages from one sender to
//! one receiver are never reordered, and never dropped while the receiver
//! lives. In [`Config::fifo`] mode there is no randomness at all and tasks
//! run in Stackless's run-queue order.
//!
//! tokio's own timers and sockets do not work in here (there is no tokio
//! reactor); use [`sleep`](crate::sleep), [`timeout`](crate::timeout) and
//! [`send_after`](crate::send_after), which follow virtual time.
//!
//! # Examples
//!
//! ```
//! use actor_core::deterministic::{self, Config};
//! use actor_core::{spawn, Ctx};
//! use std::time::Duration;
//!
//! let run = |seed| deterministic::run(Config::seeded(seed), async {
//!     let pid = spawn(|mut ctx: Ctx<u32>| async move {
//!         // An hour of virtual time passes in no time at all.
//!         assert_eq!(ctx.recv_timeout(Duration::from_secs(3600)).await, None);
//!     });
//!     pid.wait().await
//! });
//! let (a, b) = (run(7), run(7));
//! assert!(a.result.unwrap().is_normal());
//! assert_eq!(a.trace.hash(), b.trace.hash());
//! assert!(a.elapsed >= Duration::from_secs(3600));
//! ```

mod budget;
mod tasks;
mod trace;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

pub use trace::{Entry, Event, Trace};

use budget::{Budget, Spent};
use tasks::{MAIN, Task, TaskTable};

use crate::handle::Core;
use crate::id::{NodeId, ProcessId};
use crate::registry::Registry;

pub(crate) const TOKIO_HINT: &str = "this is the deterministic runtime, which has no tokio \
    reactor or timer: use actor_core::sleep, timeout, send_after and send_interval instead of \
    tokio::time, and run socket and pipe IO on the tokio runtime";

/// How a deterministic run chooses and what it records.
///
/// # Examples
///
/// ```
/// use actor_core::deterministic::Config;
/// use std::time::Duration;
///
/// let config = Config::seeded(42)
///     .max_delay(Duration::from_millis(5))
///     .timer_jitter(Duration::from_millis(1))
///     .kills(2, Duration::from_secs(1))
///     .deadline(Duration::from_secs(60))
///     .max_steps(1_000_000)
///     .watchdog(Duration::from_secs(30));
/// assert_eq!(config.seed(), Some(42));
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    seed: Option<u64>,
    max_delay: Duration,
    timer_jitter: Duration,
    kills: u32,
    kill_window: Duration,
    deadline: Option<Duration>,
    trace_tail: usize,
    quiescent: bool,
    max_steps: u64,
    watchdog: Option<Duration>,
    snapshot: bool,
}

/// The default [step budget](Config::max_steps): ten million polls, some
/// 10,000 times what one seed of a 10-process, 1,000-message protocol
/// takes (about 1,000 polls). A livelock spends it in a few seconds.
pub const DEFAULT_MAX_STEPS: u64 = 10_000_000;

/// The default [watchdog](Config::watchdog): five minutes of wall-clock
/// time for one run.
pub const DEFAULT_WATCHDOG: Duration = Duration::from_secs(300);

impl Config {
    /// No randomness: ready tasks run first-in first-out (Stackless's run
    /// queue), messages are delivered at once.
    pub fn fifo() -> Self {
        Config {
            seed: None,
            max_delay: Duration::ZERO,
            timer_jitter: Duration::ZERO,
            kills: 0,
            kill_window: Duration::ZERO,
            deadline: None,
            trace_tail: 64,
            quiescent: false,
            max_steps: DEFAULT_MAX_STEPS,
            watchdog: Some(DEFAULT_WATCHDOG),
            snapshot: false,
        }
    }

    /// The seed chooses which ready task runs next (and, with
    /// [`max_delay`](Config::max_delay), how long messages stay in flight).
    pub fn seeded(seed: u64) -> Self {
        Config {
            seed: Some(seed),
            ..Config::fifo()
        }
    }

    /// The seed, if any.
    pub fn seed(&self) -> Option<u64> {
        self.seed
    }

    /// The same knobs under another seed.
    pub(crate) fn reseeded(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Holds each message in flight for a seeded delay in `0..=max` of
    /// virtual time (seeded mode only). One sender's messages to one
    /// receiver keep their order. Messages to bounded mailboxes are not
    /// held: they take room at once, as the sender waits for it.
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.max_delay = max;
        self
    }

    /// Adds a seeded delay in `0..=max` to every timer (seeded mode only).
    pub fn timer_jitter(mut self, max: Duration) -> Self {
        self.timer_jitter = max;
        self
    }

    /// Kills `count` random processes at random virtual times within
    /// `window` (seeded mode only). Supervisors and other processes spawned
    /// with [`Spawn::system`](crate::Spawn::system) are spared.
    pub fn kills(mut self, count: u32, window: Duration) -> Self {
        self.kills = count;
        self.kill_window = window;
        self
    }

    /// Stops the run with [`RunError::DeadlineReached`] once virtual time
    /// passes `at`.
    ///
    /// Virtual time only advances when nothing can run, so a deadline
    /// never stops a livelock (a loop that only yields, two processes
    /// that keep answering each other at once): the
    /// [step budget](Config::max_steps) does.
    pub fn deadline(mut self, at: Duration) -> Self {
        self.deadline = Some(at);
        self
    }

    /// Stops the run with [`RunError::StepBudgetExhausted`] when it would
    /// poll a task (a process, a timer task or the main future) for the
    /// `steps + 1`th time: a livelock or a spawn storm, which never let
    /// virtual time advance, end with a report instead of running forever.
    /// The default is [`DEFAULT_MAX_STEPS`]; [`Outcome::steps`] tells what
    /// a run took, and `u64::MAX` turns the budget off (for a long run
    /// that is known to end, such as a large simulation).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::deterministic::{self, Config, RunError};
    /// use actor_core::{spawn, yield_now, Ctx};
    ///
    /// let out = deterministic::run(Config::fifo().max_steps(1000), async {
    ///     // Yields forever: virtual time never moves.
    ///     spawn(|_: Ctx<()>| async { loop { yield_now().await } }).wait().await
    /// });
    /// assert!(matches!(out.result, Err(RunError::StepBudgetExhausted(_))));
    /// assert_eq!(out.steps, 1000);
    /// ```
    pub fn max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps;
        self
    }

    /// Stops the run with [`RunError::WatchdogExpired`] once it has taken
    /// `limit` of wall-clock time (checked every 1,024 polls, so a poll
    /// that never returns — a loop with no `.await` — is not stopped). The
    /// default is [`DEFAULT_WATCHDOG`]. The wall clock decides only
    /// whether the run goes on, never what it does; a run it stops does
    /// not replay to the same point.
    pub fn watchdog(mut self, limit: Duration) -> Self {
        self.watchdog = Some(limit);
        self
    }

    /// No wall-clock watchdog: the run goes on as long as it needs.
    pub fn no_watchdog(mut self) -> Self {
        self.watchdog = None;
        self
    }

    /// How many of the last events the [`Trace`] keeps (all are hashed).
    pub fn trace_tail(mut self, events: usize) -> Self {
        self.trace_tail = events;
        self
    }

    /// Takes a [snapshot](crate::observe::Snapshot) of the processes alive
    /// when the run ends, however it ends, into [`Outcome::processes`]
    /// (the [`Harness`](crate::testing::Harness) prints it in a failing
    /// seed's report).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::deterministic::{self, Config};
    /// use actor_core::{spawn, Ctx, Spawn};
    ///
    /// let out = deterministic::run(Config::fifo().snapshot_at_end(), async {
    ///     let stuck = Spawn::new().label("stuck").spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
    ///     stuck.wait().await // nobody sends: a deadlock
    /// });
    /// assert!(out.result.is_err());
    /// let processes = out.processes.unwrap();
    /// assert_eq!(processes.processes[0].label.as_deref(), Some("stuck"));
    /// ```
    pub fn snapshot_at_end(mut self) -> Self {
        self.snapshot = true;
        self
    }

    /// After the main future completes, keeps running until nothing is
    /// runnable and no timer is pending (or the deadline).
    pub fn until_quiescent(mut self) -> Self {
        self.quiescent = true;
        self
    }

    pub(crate) fn describe(&self) -> String {
        format!(
            "seed={} max_delay={:?} timer_jitter={:?} kills={} within {:?}",
            self.seed.map_or("fifo".to_string(), |s| s.to_string()),
            self.max_delay,
            self.timer_jitter,
            self.kills,
            self.kill_window
        )
    }
}

/// What a deterministic run produced.
#[derive(Debug)]
pub struct Outcome<T> {
    /// The main future's output, or why the run stopped without it.
    pub result: Result<T, RunError>,
    /// The events of the run.
    pub trace: Trace,
    /// Virtual time at the end of the run.
    pub elapsed: Duration,
    /// How many times the run polled a task (the unit of
    /// [`Config::max_steps`]).
    pub steps: u64,
    /// The processes alive when the run ended, if
    /// [`Config::snapshot_at_end`] asked for them.
    pub processes: Option<crate::observe::Snapshot>,
}

/// Why a deterministic run stopped before its main future completed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunError {
    /// Nothing could run, no timer was pending, and the main future was not
    /// done. A live `send_interval` is a pending timer: a run stuck behind
    /// one goes on in virtual time until its [deadline](Config::deadline),
    /// so give runs that use intervals a deadline (the
    /// [`Harness`](crate::testing::Harness) sets one hour by default).
    Deadlock(Deadlock),
    /// Virtual time passed the configured deadline.
    DeadlineReached(Duration),
    /// The main future panicked, with this message.
    Panicked(String),
    /// The run spent its [step budget](Config::max_steps) without
    /// finishing: a livelock (processes that keep one another busy
    /// without ever letting virtual time advance: a loop that only
    /// yields, a ping-pong) or a spawn storm.
    StepBudgetExhausted(Overrun),
    /// The run took longer than its [wall-clock watchdog](Config::watchdog).
    WatchdogExpired {
        /// The wall-clock time the run had taken.
        after: Duration,
        /// Where the run was.
        overrun: Overrun,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Deadlock(d) => d.fmt(f),
            RunError::DeadlineReached(t) => write!(f, "virtual deadline of {t:?} reached"),
            RunError::Panicked(m) => write!(f, "panicked: {m}"),
            RunError::StepBudgetExhausted(o) => write!(
                f,
                "step budget of {} polls spent at {:?} of virtual time: a livelock (processes \
                 that keep one another busy without letting virtual time advance) or a spawn \
                 storm; raise Config::max_steps if the run is only long; {}",
                o.steps,
                o.at,
                o.runnable_text()
            ),
            RunError::WatchdogExpired { after, overrun: o } => write!(
                f,
                "wall-clock watchdog expired after {after:?}, {} polls and {:?} of virtual time; {}",
                o.steps,
                o.at,
                o.runnable_text()
            ),
        }
    }
}
impl std::error::Error for RunError {}

/// Where a run was when its [step budget](Config::max_steps) or its
/// [watchdog](Config::watchdog) stopped it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Overrun {
    /// The polls the run had made.
    pub steps: u64,
    /// Virtual time at the stop.
    pub at: Duration,
    /// The tasks that were ready to run, in run-queue order: processes,
    /// and `None` for the main future. These are the ones keeping the run
    /// busy.
    pub runnable: Vec<Option<ProcessId>>,
}

impl Overrun {
    fn runnable_text(&self) -> String {
        if self.runnable.is_empty() {
            return "nothing was ready to run".to_string();
        }
        let names: Vec<String> = self
            .runnable
            .iter()
            .map(|p| p.map_or("the main task".to_string(), |p| p.to_string()))
            .collect();
        format!("ready to run: {}", names.join(", "))
    }
}

/// The deadlock report: who was still waiting, and on what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deadlock {
    /// Virtual time of the deadlock.
    pub at: Duration,
    /// Every task still alive: its process (if it is one) and what it
    /// waits on.
    pub waiting: Vec<(Option<ProcessId>, &'static str)>,
}

impl fmt::Display for Deadlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "deadlock at {:?}: nothing can run, no timer is pending, and the main future is not done; still waiting:",
            self.at
        )?;
        for (pid, on) in &self.waiting {
            match pid {
                Some(p) => writeln!(f, "  process {p}: {on}")?,
                None => writeln!(f, "  main task: {on}")?,
            }
        }
        Ok(())
    }
}

struct TaskWaker {
    id: usize,
    ready: Arc<Mutex<VecDeque<usize>>>,
    scheduled: AtomicBool,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        if !self.scheduled.swap(true, Ordering::AcqRel) {
            self.ready
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push_back(self.id);
        }
    }
}

enum TimerAction {
    Wake(Waker),
    Deliver(Box<dyn FnOnce()>),
    Kill,
}

struct ProcEntry {
    core: Weak<dyn Core>,
    system: bool,
}

/// `pair_last` is first pruned at twice this many pairs.
const PAIRS_PRUNE_FROM: usize = 512;

/// The executor of one deterministic run.
pub(crate) struct Executor {
    config: Config,
    tasks: RefCell<TaskTable>,
    ready: Arc<Mutex<VecDeque<usize>>>,
    now: Cell<Duration>,
    timers: RefCell<BTreeMap<(Duration, u64), TimerAction>>,
    seq: Cell<u64>,
    rng: Cell<u64>,
    serial: Cell<u64>,
    current: Cell<Option<usize>>,
    main_waiting: Cell<&'static str>,
    /// The main future's waker, so that it too can be made to run next.
    main_waker: RefCell<Option<Arc<TaskWaker>>>,
    pair_last: RefCell<HashMap<(Option<ProcessId>, ProcessId), Duration>>,
    /// The size of `pair_last` after its last pruning (at least
    /// `PAIRS_PRUNE_FROM`): it is pruned again when it doubles.
    pairs_pruned_at: Cell<usize>,
    processes: RefCell<BTreeMap<ProcessId, ProcEntry>>,
    trace: RefCell<Trace>,
    /// The registry of code outside every simulated node.
    registry: Arc<Registry>,
    /// The run's process groups (each run starts with none), outside
    /// every simulated node.
    groups: Arc<crate::pg::Scope>,
    /// The node that [`within_node`] makes new tasks belong to.
    scope: Cell<Option<NodeId>>,
    /// Each simulated node's own registry and process groups, as if it
    /// were a program of its own.
    node_registries: RefCell<BTreeMap<NodeId, Arc<Registry>>>,
    node_groups: RefCell<BTreeMap<NodeId, Arc<crate::pg::Scope>>>,
    /// The run's event stream, for observers.
    pub(crate) hub: crate::observe::Hub,
}

impl Executor {
    fn new(config: Config) -> Self {
        let seed = config.seed.unwrap_or(0);
        Executor {
            tasks: RefCell::new(TaskTable::default()),
            ready: Arc::new(Mutex::new(VecDeque::new())),
            now: Cell::new(Duration::ZERO),
            timers: RefCell::new(BTreeMap::new()),
            seq: Cell::new(0),
            rng: Cell::new(seed ^ 0x9e37_79b9_7f4a_7c15),
            serial: Cell::new(0),
            current: Cell::new(None),
            main_waiting: Cell::new("its own future"),
            main_waker: RefCell::new(None),
            pair_last: RefCell::new(HashMap::new()),
            pairs_pruned_at: Cell::new(PAIRS_PRUNE_FROM),
            processes: RefCell::new(BTreeMap::new()),
            trace: RefCell::new(Trace::new(config.trace_tail)),
            registry: Arc::new(Registry::default()),
            groups: crate::pg::Scope::new(),
            scope: Cell::new(None),
            node_registries: RefCell::new(BTreeMap::new()),
            node_groups: RefCell::new(BTreeMap::new()),
            hub: crate::observe::Hub::default(),
            config,
        }
    }

    /// The simulated node of the running task, if it belongs to one.
    pub(crate) fn current_node(&self) -> Option<NodeId> {
        match self.current.get() {
            None | Some(MAIN) => None,
            Some(t) => self.tasks.borrow().get(t).and_then(|task| task.node),
        }
    }

    /// The node a task spawned now belongs to: the [`within_node`] scope,
    /// else the spawner's.
    pub(crate) fn spawn_node(&self) -> Option<NodeId> {
        self.scope.get().or_else(|| self.current_node())
    }

    /// The registry of the running code: its node's, or the run's.
    pub(crate) fn registry(&self) -> Arc<Registry> {
        match self.current_node() {
            None => self.registry.clone(),
            Some(n) => self
                .node_registries
                .borrow_mut()
                .entry(n)
                .or_default()
                .clone(),
        }
    }

    /// The process groups of the running code: its node's, or the run's.
    fn groups(&self) -> Arc<crate::pg::Scope> {
        match self.current_node() {
            None => self.groups.clone(),
            Some(n) => self
                .node_groups
                .borrow_mut()
                .entry(n)
                .or_insert_with(crate::pg::Scope::new)
                .clone(),
        }
    }

    /// Kills every process of `node` and drops its other tasks (timers);
    /// returns how many processes were killed.
    fn crash_node(&self, node: NodeId) -> usize {
        let victims: Vec<Arc<dyn Core>> = self
            .processes
            .borrow()
            .iter()
            .filter(|(pid, _)| pid.node == node)
            .filter_map(|(_, p)| p.core.upgrade())
            .filter(|c| c.is_alive())
            .collect();
        for v in &victims {
            self.record(Event::Kill { pid: v.id() });
            v.kill();
        }
        let helpers: Vec<usize> = self
            .tasks
            .borrow()
            .iter_tokens()
            .filter(|(_, t)| t.pid.is_none() && t.node == Some(node))
            .map(|(token, _)| token)
            .collect();
        for token in helpers {
            // Dropped outside the borrow: a destructor may reach the
            // executor (a pending sleep removes its timer).
            let task = self.tasks.borrow_mut().remove(token);
            drop(task);
        }
        self.node_registries.borrow_mut().remove(&node);
        self.node_groups.borrow_mut().remove(&node);
        victims.len()
    }

    /// splitmix64: small, fast, and the same on every platform.
    fn random(&self) -> u64 {
        let mut z = self.rng.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.rng.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn random_duration(&self, max: Duration) -> Duration {
        if self.config.seed.is_none() || max.is_zero() {
            return Duration::ZERO;
        }
        let nanos = max.as_nanos().min(u128::from(u64::MAX)) as u64;
        Duration::from_nanos(self.random() % nanos.saturating_add(1))
    }

    fn next_seq(&self) -> u64 {
        let s = self.seq.get() + 1;
        self.seq.set(s);
        s
    }

    pub(crate) fn next_serial(&self) -> u64 {
        let s = self.serial.get() + 1;
        self.serial.set(s);
        s
    }

    pub(crate) fn now(&self) -> Duration {
        self.now.get()
    }

    /// The live processes, in id order.
    pub(crate) fn processes(&self) -> Vec<Arc<dyn Core>> {
        self.processes
            .borrow()
            .values()
            .filter_map(|p| p.core.upgrade())
            .collect()
    }

    pub(crate) fn record(&self, event: Event) {
        let entry = Entry {
            time_ns: self.now.get().as_nanos() as u64,
            event,
        };
        self.trace.borrow_mut().push(entry);
    }

    pub(crate) fn current_task(&self) -> Option<usize> {
        self.current.get()
    }

    pub(crate) fn waiting_on(&self, what: &'static str) {
        match self.current.get() {
            Some(MAIN) => self.main_waiting.set(what),
            Some(t) => {
                if let Some(task) = self.tasks.borrow_mut().get_mut(t) {
                    task.waiting = what;
                }
            }
            None => {}
        }
    }

    pub(crate) fn spawn(
        &self,
        process: Option<(ProcessId, Weak<dyn Core>, bool)>,
        fut: Pin<Box<dyn Future<Output = ()> + Send>>,
    ) {
        let id = self.tasks.borrow().next_token();
        let waker = Arc::new(TaskWaker {
            id,
            ready: self.ready.clone(),
            scheduled: AtomicBool::new(false),
        });
        let pid = process.as_ref().map(|p| p.0);
        let node = match pid {
            Some(pid) => (pid.node != NodeId::LOCAL).then_some(pid.node),
            None => self.spawn_node(),
        };
        if let Some((pid, core, system)) = process {
            self.processes
                .borrow_mut()
                .insert(pid, ProcEntry { core, system });
        }
        self.tasks.borrow_mut().insert(
            id,
            Task {
                fut: Some(fut),
                waker: waker.clone(),
                pid,
                node,
                waiting: "its first run",
            },
        );
        waker.wake_by_ref();
    }

    /// Moves task `t` to the front of the run queue.
    pub(crate) fn wake_first(&self, t: usize) {
        let waker = match self.tasks.borrow().get(t) {
            Some(task) => task.waker.clone(),
            _ if t == MAIN => match self.main_waker.borrow().as_ref() {
                Some(w) => w.clone(),
                None => return,
            },
            _ => return,
        };
        let mut ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
        if waker.scheduled.swap(true, Ordering::AcqRel) {
            ready.retain(|&x| x != t);
        }
        ready.push_front(t);
    }

    fn pop_ready(&self) -> Option<usize> {
        let mut ready = self.ready.lock().unwrap_or_else(|p| p.into_inner());
        if ready.is_empty() {
            return None;
        }
        if self.config.seed.is_none() || ready.len() == 1 {
            ready.pop_front()
        } else {
            let i = (self.random() % ready.len() as u64) as usize;
            ready.swap_remove_back(i)
        }
    }

    fn poll_task(&self, id: usize) {
        let (mut fut, waker, pid) = {
            let mut tasks = self.tasks.borrow_mut();
            let Some(task) = tasks.get_mut(id) else {
                return;
            };
            let Some(fut) = task.fut.take() else { return };
            // Each poll says anew what it waits on, if it says.
            task.waiting = "something it did not name";
            (fut, task.waker.clone(), task.pid)
        };
        waker.scheduled.store(false, Ordering::Release);
        if let Some(pid) = pid {
            self.record(Event::Run { pid });
        }
        self.current.set(Some(id));
        let w = Waker::from(waker);
        let mut cx = Context::from_waker(&w);
        let done = match std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx))) {
            Ok(Poll::Pending) => false,
            Ok(Poll::Ready(())) | Err(_) => true,
        };
        self.current.set(None);
        if done {
            let task = self.tasks.borrow_mut().remove(id);
            if let Some(pid) = pid {
                self.processes.borrow_mut().remove(&pid);
            }
            drop(fut);
            drop(task);
        } else if let Some(task) = self.tasks.borrow_mut().get_mut(id) {
            task.fut = Some(fut);
        }
    }

    fn fire_next_timer(&self) -> bool {
        let next = self.timers.borrow_mut().pop_first();
        let Some(((at, _), action)) = next else {
            return false;
        };
        if at > self.now.get() {
            self.now.set(at);
        }
        match action {
            TimerAction::Wake(w) => {
                self.record(Event::Timer);
                w.wake();
            }
            TimerAction::Deliver(f) => f(),
            TimerAction::Kill => self.kill_random(),
        }
        true
    }

    fn next_timer_at(&self) -> Option<Duration> {
        self.timers
            .borrow()
            .first_key_value()
            .map(|((at, _), _)| *at)
    }

    fn kill_random(&self) {
        let victims: Vec<Arc<dyn Core>> = self
            .processes
            .borrow()
            .values()
            .filter(|p| !p.system)
            .filter_map(|p| p.core.upgrade())
            .filter(|c| c.is_alive())
            .collect();
        if victims.is_empty() {
            return;
        }
        let victim = &victims[(self.random() % victims.len() as u64) as usize];
        self.record(Event::Kill { pid: victim.id() });
        victim.kill();
    }

    /// A sleep registered on this executor's timer wheel.
    pub(crate) fn sleep_until(&self, deadline: Duration) -> DetSleep {
        DetSleep {
            deadline: deadline.saturating_add(self.random_duration(self.config.timer_jitter)),
            key: None,
        }
    }

    /// Decides when a message sent now to `to` arrives: `None` for at
    /// once (the send and the delivery are recorded), or the virtual time
    /// to deliver it at (the send is recorded; [`deliver_at`] records the
    /// delivery). One sender's messages to one receiver keep their order.
    pub(crate) fn hold(&self, to: ProcessId) -> Option<Duration> {
        let from = crate::process::current();
        if to.node != NodeId::LOCAL {
            self.check_crossing(from, to);
        }
        let now = self.now.get();
        if self.config.seed.is_none() || self.config.max_delay.is_zero() {
            self.record(Event::Send {
                from,
                to,
                delay_ns: 0,
            });
            self.record(Event::Deliver { from, to });
            return None;
        }
        let key = (from, to);
        let last = self.pair_last.borrow().get(&key).copied();
        let at = now
            .saturating_add(self.random_duration(self.config.max_delay))
            .max(last.unwrap_or(now));
        self.pair_last.borrow_mut().insert(key, at);
        self.prune_pairs();
        self.record(Event::Send {
            from,
            to,
            delay_ns: (at - now).as_nanos() as u64,
        });
        if at == now && last.is_none_or(|l| l < now) {
            self.record(Event::Deliver { from, to });
            return None;
        }
        // Counted as sent now: the delivery is the runtime's.
        crate::observe::count_sent();
        Some(at)
    }

    /// A send from one simulated node straight to a process of another
    /// would bypass the network: it is a bug in the test, reported at the
    /// sender.
    fn check_crossing(&self, from: Option<ProcessId>, to: ProcessId) {
        if let Some(here) = self.current_node() {
            if here != to.node {
                let from = from.map_or("a task".to_string(), |p| p.to_string());
                panic!(
                    "{from} of simulated node {} sent to {to} of node {} without the network: \
                     a pid reaches another node inside a message or through a global name, \
                     not by being captured or shared",
                    here.0, to.node.0
                );
            }
        }
    }

    /// Runs `deliver` at virtual time `at`, recording the delivery of a
    /// message from the current process to `to` then.
    pub(crate) fn deliver_at(&self, at: Duration, to: ProcessId, deliver: Box<dyn FnOnce()>) {
        let from = crate::process::current();
        let action = TimerAction::Deliver(Box::new(move || {
            super::with_det(|ex| ex.record(Event::Deliver { from, to }));
            deliver();
        }));
        let seq = self.next_seq();
        self.timers.borrow_mut().insert((at, seq), action);
    }

    fn waiting_report(&self) -> Vec<(Option<ProcessId>, &'static str)> {
        // Processes only: helper tasks (timers) have no pid, and would read
        // as the main task. In spawn order (slots are reused, pids are not).
        let mut processes: Vec<_> = self
            .tasks
            .borrow()
            .iter()
            .filter_map(|t| Some((Some(t.pid?), t.waiting)))
            .collect();
        processes.sort_by_key(|(pid, _)| *pid);
        let mut waiting = vec![(None, self.main_waiting.get())];
        waiting.extend(processes);
        waiting
    }

    /// Where the run is, for a run stopped by its budget: the processes
    /// (and the main future) in the run queue, in order.
    fn overrun(&self, steps: u64) -> Overrun {
        let queued: Vec<usize> = self
            .ready
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect();
        let tasks = self.tasks.borrow();
        let runnable = queued
            .into_iter()
            .filter_map(|t| match t {
                MAIN => Some(None),
                t => tasks.get(t)?.pid.map(Some),
            })
            .collect();
        Overrun {
            steps,
            at: self.now.get(),
            runnable,
        }
    }

    /// Forgets the last delivery time of sender-receiver pairs whose last
    /// message is due before now: such an entry orders nothing any more
    /// (a delivery is never earlier than now), and a run that keeps
    /// spawning senders and receivers would otherwise keep one per pair.
    fn prune_pairs(&self) {
        let mut pairs = self.pair_last.borrow_mut();
        if pairs.len() < self.pairs_pruned_at.get() * 2 {
            return;
        }
        let now = self.now.get();
        pairs.retain(|_, last| *last >= now);
        self.pairs_pruned_at.set(pairs.len().max(PAIRS_PRUNE_FROM));
    }
}

/// A sleep on the deterministic clock. Holds no reference to the executor
/// (so that it is `Send`): it finds it through the thread.
pub(crate) struct DetSleep {
    deadline: Duration,
    key: Option<(Duration, u64)>,
}

impl DetSleep {
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let deadline = self.deadline;
        let key = &mut self.key;
        super::with_det(|ex| {
            if ex.now.get() >= deadline {
                *key = None;
                return Poll::Ready(());
            }
            let mut timers = ex.timers.borrow_mut();
            match key.and_then(|k| timers.get_mut(&k)) {
                Some(TimerAction::Wake(w)) => {
                    if !w.will_wake(cx.waker()) {
                        *w = cx.waker().clone();
                    }
                }
                _ => {
                    let k = (deadline, ex.next_seq());
                    timers.insert(k, TimerAction::Wake(cx.waker().clone()));
                    *key = Some(k);
                }
            }
            drop(timers);
            ex.waiting_on("sleep");
            Poll::Pending
        })
        .unwrap_or_else(|| panic!("a deterministic-runtime timer was polled outside that runtime"))
    }
}

impl Drop for DetSleep {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            super::with_det(|ex| {
                if let Ok(mut timers) = ex.timers.try_borrow_mut() {
                    timers.remove(&k);
                }
            });
        }
    }
}

/// Restores the thread's previous runtime when a run ends, even by panic.
struct Enter {
    prev: Option<Rc<Executor>>,
}

impl Drop for Enter {
    fn drop(&mut self) {
        // Drop the remaining tasks and timers while this runtime is still
        // the thread's (their destructors may reach it), then restore the
        // previous one.
        if let Some(ex) = super::with_det(|ex| ex.clone()) {
            let tasks = std::mem::take(&mut *ex.tasks.borrow_mut());
            drop(tasks);
            let timers = std::mem::take(&mut *ex.timers.borrow_mut());
            drop(timers);
        }
        super::set_det(self.prev.take());
    }
}

/// The process groups of the deterministic run on this thread (of the
/// running code's simulated node, if it belongs to one), if one runs.
pub(crate) fn groups() -> Option<Arc<crate::pg::Scope>> {
    super::with_det(|ex| ex.groups())
}

/// Runs `f` so that every task it spawns (processes, and timers such as
/// [`send_after`](crate::send_after)'s) belongs to the simulated node
/// `node`, and so does everything those tasks spawn in turn: the hook a
/// simulated network (`actor-net`'s) uses to run several nodes in one
/// deterministic run. A process of a node has `node` in its
/// [`ProcessId`], its own [registry](crate::register) and
/// [process groups](crate::pg) (as if the node were a program of its own),
/// and [`crash_node`] ends it with the rest of the node.
///
/// A process of one node that sends straight to a process of another node
/// (a pid captured by a closure or shared through a variable, instead of
/// travelling inside a message) panics with the reason: between nodes,
/// messages go through the network. Code of no node (the run's main
/// future, the processes it spawns outside `within_node`) may send to
/// anyone: it is the test's own view of the system.
///
/// Outside the deterministic runtime it only runs `f`.
///
/// # Panics
///
/// If `node` is [`NodeId::LOCAL`], which names no simulated node.
///
/// # Examples
///
/// ```
/// use actor_core::deterministic::{self, Config};
/// use actor_core::{spawn, Ctx, NodeId};
///
/// let out = deterministic::run(Config::seeded(1), async {
///     let pid = deterministic::within_node(NodeId(3), || {
///         spawn(|_: Ctx<()>| async {
///             // Its own node, and so is that of whatever it spawns.
///             assert_eq!(deterministic::current_node(), Some(NodeId(3)));
///             assert_eq!(spawn(|_: Ctx<()>| async {}).id().node, NodeId(3));
///         })
///     });
///     assert_eq!(pid.id().node, NodeId(3));
///     assert_eq!(deterministic::current_node(), None);
///     pid.wait().await
/// });
/// assert!(out.result.unwrap().is_normal());
/// ```
pub fn within_node<R>(node: NodeId, f: impl FnOnce() -> R) -> R {
    assert_ne!(node, NodeId::LOCAL, "NodeId::LOCAL names no simulated node");
    struct Restore(Option<Option<NodeId>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(prev) = self.0 {
                super::with_det(|ex| ex.scope.set(prev));
            }
        }
    }
    let _restore = Restore(super::with_det(|ex| ex.scope.replace(Some(node))));
    f()
}

/// The simulated node of the running code (see [`within_node`]), if it
/// belongs to one; `None` outside the deterministic runtime.
pub fn current_node() -> Option<NodeId> {
    super::with_det(|ex| ex.current_node()).flatten()
}

/// Crashes simulated node `node`: kills every process of it (reason
/// `killed`, each recorded as a kill in the trace) and drops its timers,
/// its registry and its process groups. Returns how many processes were
/// killed; 0 outside the deterministic runtime. The network around the
/// node is the caller's business: `actor-net`'s simulated network makes
/// the other nodes see it lost.
///
/// # Examples
///
/// ```
/// use actor_core::deterministic::{self, Config};
/// use actor_core::{spawn, Ctx, ExitReason, NodeId};
///
/// let out = deterministic::run(Config::seeded(1), async {
///     let doomed = deterministic::within_node(NodeId(1), || {
///         spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await })
///     });
///     let bystander = deterministic::within_node(NodeId(2), || {
///         spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await })
///     });
///     assert_eq!(deterministic::crash_node(NodeId(1)), 1);
///     assert_eq!(doomed.wait().await, ExitReason::Killed);
///     assert!(bystander.is_alive());
/// });
/// out.result.unwrap();
/// ```
pub fn crash_node(node: NodeId) -> usize {
    super::with_det(|ex| ex.crash_node(node)).unwrap_or(0)
}

/// Records `text` in the run's trace at the current virtual time: an
/// [`Event::Note`], hashed like every event and kept in
/// [`Trace::notes`], which the [`Harness`](crate::testing::Harness)'s
/// failure report prints. For what the code under test wants a failing
/// run to tell (its knobs, the faults it injected). Does nothing outside
/// the deterministic runtime.
///
/// # Examples
///
/// ```
/// use actor_core::deterministic::{self, Config};
///
/// let out = deterministic::run(Config::seeded(1), async {
///     deterministic::note("partition a | b");
/// });
/// let notes: Vec<String> = out.trace.notes().map(|e| e.to_string()).collect();
/// assert_eq!(notes.len(), 1);
/// assert!(notes[0].ends_with("note partition a | b"));
/// ```
pub fn note(text: impl Into<String>) {
    let text = text.into();
    super::with_det(|ex| ex.record(Event::Note { text }));
}

/// The seed of the deterministic run on this thread (`None` in
/// [`Config::fifo`] mode or outside the deterministic runtime): for code
/// that makes seeded choices of its own, such as a simulated network's
/// delays and faults, with a random stream of its own that scheduling
/// does not disturb.
///
/// # Examples
///
/// ```
/// use actor_core::deterministic::{self, Config};
///
/// assert_eq!(deterministic::seed(), None);
/// let out = deterministic::run(Config::seeded(42), async { deterministic::seed() });
/// assert_eq!(out.result.unwrap(), Some(42));
/// ```
pub fn seed() -> Option<u64> {
    super::with_det(|ex| ex.config.seed).flatten()
}

/// Whether the calling code runs on the deterministic runtime (inside
/// [`run`] or [`Runtime::deterministic`](crate::Runtime::deterministic)),
/// for code that needs tokio's reactor or clock and must refuse politely
/// there.
///
/// # Examples
///
/// ```
/// use actor_core::deterministic::{self, Config};
///
/// assert!(!deterministic::is_current());
/// let out = deterministic::run(Config::fifo(), async { deterministic::is_current() });
/// assert_eq!(out.result.unwrap(), true);
/// ```
pub fn is_current() -> bool {
    super::is_deterministic()
}

/// `fut` exempt from tokio's cooperative budget. A run inside a tokio task
/// would otherwise spend that task's budget on the tokio primitives it
/// uses (a semaphore, a channel), and once it ran out they would hand
/// their wakeup to tokio's scheduler, which does not run until this run
/// returns: a false deadlock, after a number of operations that depends on
/// where the run was started.
pub(crate) fn unbudgeted<F: Future>(fut: F) -> tokio::task::Unconstrained<F> {
    tokio::task::unconstrained(fut)
}

/// Runs `fut` on a fresh deterministic runtime and reports what happened.
///
/// The run ends when `fut` completes (or, with
/// [`Config::until_quiescent`], when nothing is left to do), when it
/// deadlocks, at the deadline, or when it spends its
/// [step budget](Config::max_steps) or its [watchdog](Config::watchdog).
/// Processes still alive at the end are dropped.
pub fn run<F: Future>(config: Config, fut: F) -> Outcome<F::Output> {
    let ex = Rc::new(Executor::new(config));
    let prev = super::set_det(Some(ex.clone()));
    let enter = Enter { prev };
    for _ in 0..ex.config.kills {
        if ex.config.seed.is_none() {
            break;
        }
        let at = ex.random_duration(ex.config.kill_window);
        let seq = ex.next_seq();
        ex.timers.borrow_mut().insert((at, seq), TimerAction::Kill);
    }
    let main_waker = Arc::new(TaskWaker {
        id: MAIN,
        ready: ex.ready.clone(),
        scheduled: AtomicBool::new(false),
    });
    *ex.main_waker.borrow_mut() = Some(main_waker.clone());
    main_waker.wake_by_ref();
    // Boxed so that it can be dropped while this runtime is still current:
    // its destructors (a pending sleep's timer) belong to this run.
    let mut fut = Box::pin(unbudgeted(fut));
    let mut output = None;
    let mut budget = Budget::new(ex.config.max_steps, ex.config.watchdog);
    let result = loop {
        if output.is_some() && !ex.config.quiescent {
            break Ok(());
        }
        if let Some(d) = ex.config.deadline {
            if ex.now.get() > d {
                break Err(RunError::DeadlineReached(d));
            }
        }
        if let Some(id) = ex.pop_ready() {
            if id == MAIN && output.is_some() {
                continue;
            }
            if let Err(spent) = budget.step() {
                // The task goes back where it was, for the report.
                ex.ready
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_front(id);
                let overrun = ex.overrun(budget.steps());
                break Err(match spent {
                    Spent::Steps => RunError::StepBudgetExhausted(overrun),
                    Spent::Watchdog(after) => RunError::WatchdogExpired { after, overrun },
                });
            }
            if id == MAIN {
                main_waker.scheduled.store(false, Ordering::Release);
                ex.main_waiting.set("its own future");
                ex.current.set(Some(MAIN));
                let w = Waker::from(main_waker.clone());
                let mut cx = Context::from_waker(&w);
                let polled =
                    std::panic::catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)));
                ex.current.set(None);
                match polled {
                    Ok(Poll::Ready(v)) => output = Some(v),
                    Ok(Poll::Pending) => {}
                    Err(p) => break Err(RunError::Panicked(super::panic_message(p.as_ref()))),
                }
            } else {
                ex.poll_task(id);
            }
            continue;
        }
        if let (Some(at), Some(d)) = (ex.next_timer_at(), ex.config.deadline) {
            if at > d {
                ex.now.set(d);
                break Err(RunError::DeadlineReached(d));
            }
        }
        if ex.fire_next_timer() {
            continue;
        }
        if output.is_some() {
            break Ok(());
        }
        break Err(RunError::Deadlock(Deadlock {
            at: ex.now.get(),
            waiting: ex.waiting_report(),
        }));
    };
    let elapsed = ex.now.get();
    let processes = ex.config.snapshot.then(crate::observe::snapshot);
    drop(fut);
    drop(enter);
    let trace = ex.trace.replace(Trace::new(0));
    Outcome {
        result: result.map(|()| output.expect("the loop ends with output on success")),
        trace,
        elapsed,
        steps: budget.steps(),
        processes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ctx;

    /// A process that spawns the next one and exits, `left` more times;
    /// the last one says how many task slots the run holds.
    fn chain(left: u32, slots: std::sync::mpsc::Sender<usize>) {
        crate::spawn(move |_: Ctx<()>| async move {
            if left == 0 {
                let n = super::super::with_det(|ex| ex.tasks.borrow().slots()).unwrap();
                slots.send(n).unwrap();
            } else {
                chain(left - 1, slots);
            }
        });
    }

    #[test]
    fn a_spawn_storm_keeps_the_task_table_as_small_as_the_tasks_alive_at_once() {
        for config in [
            Config::fifo(),
            Config::seeded(3).max_delay(Duration::from_millis(1)),
        ] {
            let (tx, rx) = std::sync::mpsc::channel();
            let out = run(config.until_quiescent(), async move { chain(10_000, tx) });
            out.result.unwrap();
            let slots = rx.recv().unwrap();
            assert!(slots <= 2, "{slots} slots after 10,000 processes");
        }
    }
}
