//! Introspection: what runs on a runtime, as Erlang's `observer` shows it.
//!
//! A [`Snapshot`] lists every live process of the runtime it is taken on:
//! its id, registered name, label, parent, status, mailbox length, the
//! messages it received and sent, its links and monitors, whether it traps
//! exits, how often its supervisor restarted it, and its uptime. The
//! supervision tree comes out of it with [`Snapshot::tree`]. [`Events`]
//! streams spawns, exits, restarts and supervisors giving up, for live
//! views.
//!
//! What it costs a running system: every process counts the messages it
//! receives and sends with plain stores into its own header (no atomic
//! read-modify-write), a label or a restart count lives in the part of a
//! process allocated on first use (which supervised children have for their
//! link anyway), and the event stream costs one relaxed load per spawn and
//! exit while nobody listens. A slow listener misses events and is told
//! how many ([`EventsError::Missed`]); it never slows the system.
//!
//! Works on both runtimes. On the deterministic runtime a snapshot is
//! taken inside the run, and a failing seed's report lists the processes
//! alive at the end (see [`testing`](crate::testing)).
//!
//! # Examples
//!
//! ```
//! use actor_core::observe::{self, Status};
//! use actor_core::{register, Ctx, Runtime, Spawn};
//!
//! Runtime::tokio_current_thread().block_on(async {
//!     let pid = Spawn::new().label("greeter").spawn(|mut ctx: Ctx<String>| async move {
//!         loop { ctx.recv().await; }
//!     });
//!     register("greeter", &pid).unwrap();
//!     pid.send("hello".into()).await.unwrap();
//!     actor_core::yield_now().await; // let it receive
//!
//!     let snapshot = observe::snapshot();
//!     let info = snapshot.get(pid.id()).unwrap();
//!     assert_eq!(info.label.as_deref(), Some("greeter"));
//!     assert_eq!(info.name.as_deref(), Some("greeter"));
//!     assert_eq!(info.received, 1);
//!     assert_eq!(info.status, Status::Receiving);
//!     // Ids print the way Erlang prints pids, in JSON too.
//!     let json = serde_json::to_value(info).unwrap();
//!     assert_eq!(json["id"], pid.id().to_string());
//!     pid.kill();
//! });
//! ```

use std::any::TypeId;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::error::EventsError;
use crate::id::{NodeId, ProcessId};
use crate::pid::AnyPid;
use crate::process::Shared;
use crate::runtime;
use crate::signal::ExitReason;
use crate::supervisor::SupervisorMsg;

/// What one process is doing, as far as its runtime can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// Being run right now.
    Running,
    /// Ready, waiting for its turn in a run queue.
    Runnable,
    /// Waiting in a receive for a message.
    Receiving,
    /// Waiting for the reply to a call to this process.
    Calling(ProcessId),
    /// Waiting for room in this process's bounded mailbox.
    Sending(ProcessId),
    /// Waiting for something else: a timer, IO, another process's end, a
    /// primitive of [`sync`](crate::sync).
    Waiting,
    /// An exit is pending: it ends at its next `.await`.
    Exiting,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Running => f.write_str("running"),
            Status::Runnable => f.write_str("runnable"),
            Status::Receiving => f.write_str("receiving"),
            Status::Calling(p) => write!(f, "calling {p}"),
            Status::Sending(p) => write!(f, "sending to {p} (mailbox full)"),
            Status::Waiting => f.write_str("waiting"),
            Status::Exiting => f.write_str("exiting"),
        }
    }
}

/// Serialized as `{"state": "calling", "on": "<0.7>"}` (`on` only for
/// `calling` and `sending`).
impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (state, on) = match self {
            Status::Running => ("running", None),
            Status::Runnable => ("runnable", None),
            Status::Receiving => ("receiving", None),
            Status::Calling(p) => ("calling", Some(p)),
            Status::Sending(p) => ("sending", Some(p)),
            Status::Waiting => ("waiting", None),
            Status::Exiting => ("exiting", None),
        };
        let mut m = s.serialize_map(Some(1 + usize::from(on.is_some())))?;
        m.serialize_entry("state", state)?;
        if let Some(p) = on {
            m.serialize_entry("on", &p.to_string())?;
        }
        m.end()
    }
}

/// One process, as a [`Snapshot`] saw it.
///
/// Serialized (for the observer's JSON API) with every process id printed
/// as `<node.serial>` and durations in seconds.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ProcessInfo {
    /// Its id.
    pub id: ProcessId,
    /// Its registered name, if any.
    pub name: Option<Arc<str>>,
    /// The label it was spawned with ([`Spawn::label`](crate::Spawn::label)),
    /// else its child id under its supervisor.
    pub label: Option<Arc<str>>,
    /// Its id under its supervisor, if it is a supervisor's child.
    pub child_id: Option<Arc<str>>,
    /// The process that spawned it (a supervisor, for its children).
    pub parent: Option<ProcessId>,
    /// Whether it is a [`Supervisor`](crate::Supervisor).
    pub supervisor: bool,
    /// What it is doing.
    pub status: Status,
    /// Messages waiting in its mailbox (those a selective receive skipped
    /// included).
    pub mailbox: usize,
    /// Messages (and exit and down signals) it has received.
    pub received: u64,
    /// Messages it has sent to processes of this node.
    pub sent: u64,
    /// The processes it is linked to.
    pub links: Vec<ProcessId>,
    /// The processes it monitors.
    pub monitors: Vec<ProcessId>,
    /// How many monitors watch it (processes, and waits for its end).
    pub monitored_by: usize,
    /// Whether it traps exits.
    pub trap_exit: bool,
    /// How many times its supervisor has restarted it (under this child
    /// id; 0 for the first start and for processes no supervisor started).
    pub restarts: u32,
    /// How long it has run (by the runtime's clock: virtual on the
    /// deterministic runtime).
    pub uptime: Duration,
    /// The type of the messages it accepts.
    pub message_type: &'static str,
}

fn id_text(id: &ProcessId) -> String {
    id.to_string()
}

impl Serialize for ProcessInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ids = |v: &[ProcessId]| v.iter().map(id_text).collect::<Vec<_>>();
        let mut st = s.serialize_struct("ProcessInfo", 17)?;
        st.serialize_field("id", &id_text(&self.id))?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("label", &self.label)?;
        st.serialize_field("child_id", &self.child_id)?;
        st.serialize_field("parent", &self.parent.as_ref().map(id_text))?;
        st.serialize_field("supervisor", &self.supervisor)?;
        st.serialize_field("status", &self.status)?;
        st.serialize_field("mailbox", &self.mailbox)?;
        st.serialize_field("received", &self.received)?;
        st.serialize_field("sent", &self.sent)?;
        st.serialize_field("links", &ids(&self.links))?;
        st.serialize_field("monitors", &ids(&self.monitors))?;
        st.serialize_field("monitored_by", &self.monitored_by)?;
        st.serialize_field("trap_exit", &self.trap_exit)?;
        st.serialize_field("restarts", &self.restarts)?;
        st.serialize_field("uptime", &self.uptime.as_secs_f64())?;
        st.serialize_field("message_type", self.message_type)?;
        st.end()
    }
}

/// Every live process of one runtime at one moment, ordered by id.
///
/// The processes are read one after another while the system runs, so a
/// snapshot of a busy system is not one instant (as with Erlang's
/// `processes()`): a process spawned or ended meanwhile may be in or out.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Snapshot {
    /// The runtime's clock when it was taken, in seconds in JSON.
    #[serde(serialize_with = "secs")]
    pub at: Duration,
    /// The processes, by id.
    pub processes: Vec<ProcessInfo>,
}

fn secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Snapshot {
    /// The process with this id, if it was alive.
    pub fn get(&self, id: ProcessId) -> Option<&ProcessInfo> {
        self.processes
            .binary_search_by_key(&id, |p| p.id)
            .ok()
            .map(|i| &self.processes[i])
    }

    /// The processes as a forest: each process under the process that
    /// spawned it (a supervisor's children under it), the roots being
    /// those whose parent is gone or who had none. Children are in id
    /// order.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{observe, AnyPid, ChildSpec, Ctx, Runtime, Spawn, Strategy, Supervisor};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let sup = Supervisor::new(Strategy::OneForOne)
    ///         .child(ChildSpec::new("worker", || async {
    ///             let w = Spawn::new().link().spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
    ///             Ok(AnyPid::from(w))
    ///         }))
    ///         .start()
    ///         .await
    ///         .unwrap();
    ///     let tree = observe::snapshot().tree();
    ///     let root = tree.iter().find(|t| t.process.id == sup.id()).unwrap();
    ///     assert!(root.process.supervisor);
    ///     assert_eq!(root.children[0].process.label.as_deref(), Some("worker"));
    ///     sup.kill();
    /// });
    /// ```
    pub fn tree(&self) -> Vec<Tree> {
        let n = self.processes.len();
        let mut kids: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, p) in self.processes.iter().enumerate() {
            let parent = p
                .parent
                .and_then(|pp| self.processes.binary_search_by_key(&pp, |q| q.id).ok());
            match parent {
                Some(j) if j != i => kids[j].push(i),
                _ => roots.push(i),
            }
        }
        // Built from the leaves up, in an order found without recursion:
        // ids say nothing of who came first (each thread numbers from a
        // block of its own).
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<usize> = roots.clone();
        while let Some(i) = stack.pop() {
            order.push(i);
            stack.extend(kids[i].iter().copied());
        }
        let mut built: Vec<Option<Tree>> = vec![None; n];
        for &i in order.iter().rev() {
            let children = kids[i].iter().filter_map(|&k| built[k].take()).collect();
            built[i] = Some(Tree {
                process: self.processes[i].clone(),
                children,
            });
        }
        roots.into_iter().filter_map(|i| built[i].take()).collect()
    }

    /// Every process's line, as a failing seed's report prints them.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.processes.iter().map(|p| p.to_string())
    }
}

impl fmt::Display for ProcessInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.id)?;
        if let Some(name) = &self.name {
            write!(f, " {name:?}")?;
        }
        if let Some(label) = &self.label {
            write!(f, " [{label}]")?;
        }
        if self.supervisor {
            f.write_str(" supervisor")?;
        }
        write!(
            f,
            ": {}, mailbox {}, received {}, sent {}",
            self.status, self.mailbox, self.received, self.sent
        )?;
        if let Some(parent) = self.parent {
            write!(f, ", parent {parent}")?;
        }
        if self.restarts > 0 {
            write!(f, ", restarts {}", self.restarts)?;
        }
        if !self.links.is_empty() {
            let links: Vec<String> = self.links.iter().map(id_text).collect();
            write!(f, ", links {}", links.join(" "))?;
        }
        if !self.monitors.is_empty() {
            let m: Vec<String> = self.monitors.iter().map(id_text).collect();
            write!(f, ", monitors {}", m.join(" "))?;
        }
        if self.trap_exit {
            f.write_str(", traps exits")?;
        }
        Ok(())
    }
}

/// One process and the processes it spawned: see [`Snapshot::tree`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Tree {
    /// The process.
    #[serde(flatten)]
    pub process: ProcessInfo,
    /// The processes it spawned that are alive, in id order.
    pub children: Vec<Tree>,
}

/// Something that happened on a runtime, for live views.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A process was spawned.
    Spawned {
        /// The new process.
        id: ProcessId,
        /// Who spawned it.
        parent: Option<ProcessId>,
        /// Its label, if it was spawned with one.
        label: Option<Arc<str>>,
        /// When, by the runtime's clock.
        at: Duration,
    },
    /// A process ended.
    Exited {
        /// The process.
        id: ProcessId,
        /// Who spawned it.
        parent: Option<ProcessId>,
        /// Its label (or child id under its supervisor).
        label: Option<Arc<str>>,
        /// Why it ended.
        reason: ExitReason,
        /// When, by the runtime's clock.
        at: Duration,
    },
    /// A supervisor restarted a child.
    Restarted {
        /// The supervisor.
        supervisor: ProcessId,
        /// The child's id under the supervisor.
        child_id: Arc<str>,
        /// The process that ended.
        old: ProcessId,
        /// The process that replaces it.
        new: ProcessId,
        /// How many times this child has been restarted.
        restarts: u32,
        /// When, by the runtime's clock.
        at: Duration,
    },
    /// A supervisor reached its restart intensity and gives up: it stops
    /// its children and exits with `shutdown`.
    IntensityReached {
        /// The supervisor.
        supervisor: ProcessId,
        /// Its limit: at most this many restarts...
        max_restarts: u32,
        /// ... within this time.
        within: Duration,
        /// When, by the runtime's clock.
        at: Duration,
    },
}

impl Event {
    /// When it happened, by the runtime's clock.
    pub fn at(&self) -> Duration {
        match self {
            Event::Spawned { at, .. }
            | Event::Exited { at, .. }
            | Event::Restarted { at, .. }
            | Event::IntensityReached { at, .. } => *at,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label =
            |l: &Option<Arc<str>>| l.as_ref().map(|l| format!(" [{l}]")).unwrap_or_default();
        match self {
            Event::Spawned {
                id,
                parent,
                label: l,
                ..
            } => {
                write!(f, "spawned {id}{}", label(l))?;
                if let Some(p) = parent {
                    write!(f, " by {p}")?;
                }
                Ok(())
            }
            Event::Exited {
                id,
                label: l,
                reason,
                ..
            } => {
                write!(f, "exited {id}{}: {reason}", label(l))
            }
            Event::Restarted {
                supervisor,
                child_id,
                old,
                new,
                restarts,
                ..
            } => write!(
                f,
                "{supervisor} restarted {child_id:?}: {old} -> {new} (restart {restarts})"
            ),
            Event::IntensityReached {
                supervisor,
                max_restarts,
                within,
                ..
            } => write!(
                f,
                "{supervisor} reached its restart intensity ({max_restarts} in {within:?}) and gives up"
            ),
        }
    }
}

/// Serialized as an object with a `kind` (`spawned`, `exited`,
/// `restarted`, `intensity_reached`), ids as `<node.serial>`, times in
/// seconds, and the event's text as `text`.
impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        let opt = |p: &Option<ProcessId>| p.as_ref().map(id_text);
        match self {
            Event::Spawned {
                id, parent, label, ..
            } => {
                m.serialize_entry("kind", "spawned")?;
                m.serialize_entry("id", &id_text(id))?;
                m.serialize_entry("parent", &opt(parent))?;
                m.serialize_entry("label", label)?;
            }
            Event::Exited {
                id,
                parent,
                label,
                reason,
                ..
            } => {
                m.serialize_entry("kind", "exited")?;
                m.serialize_entry("id", &id_text(id))?;
                m.serialize_entry("parent", &opt(parent))?;
                m.serialize_entry("label", label)?;
                m.serialize_entry("reason", reason)?;
            }
            Event::Restarted {
                supervisor,
                child_id,
                old,
                new,
                restarts,
                ..
            } => {
                m.serialize_entry("kind", "restarted")?;
                m.serialize_entry("supervisor", &id_text(supervisor))?;
                m.serialize_entry("child_id", child_id)?;
                m.serialize_entry("old", &id_text(old))?;
                m.serialize_entry("new", &id_text(new))?;
                m.serialize_entry("restarts", restarts)?;
            }
            Event::IntensityReached {
                supervisor,
                max_restarts,
                within,
                ..
            } => {
                m.serialize_entry("kind", "intensity_reached")?;
                m.serialize_entry("supervisor", &id_text(supervisor))?;
                m.serialize_entry("max_restarts", max_restarts)?;
                m.serialize_entry("within", &within.as_secs_f64())?;
            }
        }
        m.serialize_entry("at", &self.at().as_secs_f64())?;
        m.serialize_entry("text", &self.to_string())?;
        m.end()
    }
}

/// How many events a listener may fall behind before it misses some.
pub const EVENTS_BUFFERED: usize = 4096;

/// A runtime's event stream: a broadcast channel made when the first
/// listener comes, and a count of listeners that spawns and exits check
/// with one relaxed load.
#[derive(Default)]
pub(crate) struct Hub {
    listeners: Arc<AtomicUsize>,
    tx: std::sync::OnceLock<tokio::sync::broadcast::Sender<Event>>,
}

impl Hub {
    /// Whether anyone listens.
    #[inline(always)]
    pub(crate) fn listening(&self) -> bool {
        self.listeners.load(Ordering::Relaxed) != 0
    }

    /// Sends the event `make` builds, if anyone listens: one relaxed load
    /// when nobody does.
    #[inline(always)]
    pub(crate) fn emit(&self, make: impl FnOnce() -> Event) {
        if self.listening() {
            self.send(make());
        }
    }

    #[cold]
    #[inline(never)]
    fn send(&self, event: Event) {
        if let Some(tx) = self.tx.get() {
            let _ = tx.send(event);
        }
    }

    fn subscribe(&self) -> Events {
        let rx = self
            .tx
            .get_or_init(|| tokio::sync::broadcast::channel(EVENTS_BUFFERED).0)
            .subscribe();
        self.listeners.fetch_add(1, Ordering::Relaxed);
        Events {
            rx,
            listeners: self.listeners.clone(),
        }
    }
}

/// A subscription to a runtime's [`Event`]s, from [`events`] or
/// [`Observed::events`]. Events are kept only while someone listens;
/// dropping the last subscription stops them.
pub struct Events {
    rx: tokio::sync::broadcast::Receiver<Event>,
    listeners: Arc<AtomicUsize>,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Events(..)")
    }
}

impl Events {
    /// The next event.
    ///
    /// # Errors
    ///
    /// [`EventsError::Missed`] with how many events were missed when this
    /// subscription fell more than [`EVENTS_BUFFERED`] behind (the next
    /// call gets the oldest event still kept); [`EventsError::Closed`]
    /// once the runtime is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is taken only when the future completes.
    pub async fn recv(&mut self) -> Result<Event, EventsError> {
        use tokio::sync::broadcast::error::RecvError;
        self.rx.recv().await.map_err(|e| match e {
            RecvError::Lagged(n) => EventsError::Missed(n),
            RecvError::Closed => EventsError::Closed,
        })
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.listeners.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A runtime to observe: a handle that can be kept and used from anywhere
/// (a web server's tasks, another thread) to look at the runtime it was
/// taken on.
///
/// On the deterministic runtime it can only be used inside the run (it
/// looks at the run on the calling thread).
///
/// # Examples
///
/// ```
/// use actor_core::{observe::Observed, spawn, Ctx, Runtime};
///
/// let rt = Runtime::tokio();
/// let (observed, pid) = rt.block_on(async {
///     let pid = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
///     (Observed::current(), pid)
/// });
/// // From a plain thread, outside any runtime:
/// let found = std::thread::spawn(move || observed.find(pid.id()).is_some()).join().unwrap();
/// assert!(found);
/// ```
#[derive(Clone)]
pub struct Observed {
    pool: Option<Arc<runtime::Scheduler>>,
}

impl fmt::Debug for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.pool.is_some() {
            "Observed(tokio)"
        } else {
            "Observed(deterministic)"
        })
    }
}

impl Observed {
    /// The runtime of the calling code.
    ///
    /// # Panics
    ///
    /// Outside a runtime, as [`spawn`](crate::spawn).
    pub fn current() -> Self {
        Observed {
            pool: runtime::observed_pool(),
        }
    }

    /// Every live process, by id.
    pub fn snapshot(&self) -> Snapshot {
        let now = self.now();
        let mut processes: Vec<ProcessInfo> = runtime::all_processes(self.pool.as_deref())
            .iter()
            .filter_map(|c| c.info(now))
            .collect();
        processes.sort_by_key(|p| p.id);
        Snapshot { at: now, processes }
    }

    /// One process, if it is alive.
    pub fn process(&self, id: ProcessId) -> Option<ProcessInfo> {
        self.find_core(id)?.info(self.now())
    }

    /// A handle to a live process, to kill it or send it an exit signal.
    pub fn find(&self, id: ProcessId) -> Option<AnyPid> {
        self.find_core(id).map(|core| AnyPid { core })
    }

    fn find_core(&self, id: ProcessId) -> Option<Arc<dyn crate::handle::Core>> {
        if id.node != NodeId::LOCAL {
            return None;
        }
        runtime::all_processes(self.pool.as_deref())
            .into_iter()
            .find(|c| c.id() == id && c.is_alive())
    }

    /// How many processes are alive, and the messages they have received
    /// and sent in all: cheaper than a snapshot, for rates.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for c in runtime::all_processes(self.pool.as_deref()) {
            if let Some((received, sent)) = c.counts() {
                t.processes += 1;
                t.received += received;
                t.sent += sent;
            }
        }
        t
    }

    /// Subscribes to the runtime's events from now on.
    ///
    /// # Panics
    ///
    /// On the deterministic runtime, outside the run.
    pub fn events(&self) -> Events {
        match &self.pool {
            Some(s) => s.hub.subscribe(),
            None => runtime::det_hub(|hub| hub.subscribe())
                .expect("a deterministic runtime is observed inside its run"),
        }
    }

    /// The runtime's clock.
    pub fn now(&self) -> Duration {
        match &self.pool {
            Some(_) => runtime::tokio_now(),
            None => runtime::now(),
        }
    }
}

/// Counts over every live process: see [`Observed::totals`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Totals {
    /// Live processes.
    pub processes: usize,
    /// Messages they have received.
    pub received: u64,
    /// Messages they have sent.
    pub sent: u64,
}

/// A snapshot of every live process of the runtime of the calling code:
/// [`Observed::current`]`().snapshot()`.
///
/// # Panics
///
/// Outside a runtime, as [`spawn`](crate::spawn).
pub fn snapshot() -> Snapshot {
    Observed::current().snapshot()
}

/// Subscribes to the events of the runtime of the calling code:
/// [`Observed::current`]`().events()`.
///
/// # Examples
///
/// ```
/// use actor_core::observe::{self, Event};
/// use actor_core::{spawn, Ctx, ExitReason, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let mut events = observe::events();
///     let pid = spawn(|_: Ctx<()>| async { ExitReason::other("done") });
///     pid.wait().await;
///     let Event::Spawned { id, .. } = events.recv().await.unwrap() else { panic!() };
///     assert_eq!(id, pid.id());
///     let Event::Exited { reason, .. } = events.recv().await.unwrap() else { panic!() };
///     assert_eq!(reason, ExitReason::other("done"));
/// });
/// ```
///
/// # Panics
///
/// Outside a runtime, as [`spawn`](crate::spawn).
pub fn events() -> Events {
    Observed::current().events()
}

/// What a process's header holds for observers: written by the process
/// itself (or, for `parent`, before it runs) with plain stores, read by
/// anyone with relaxed loads.
#[derive(Default)]
pub(crate) struct Stats {
    /// The serial of the process that spawned it; 0 for none.
    pub(crate) parent: u64,
    /// The runtime's clock when it first ran, in nanoseconds plus one (0:
    /// it has not run yet).
    started: AtomicU64,
    received: AtomicU64,
    sent: AtomicU64,
    /// What it waits on, besides receives: `kind << 62 | serial`.
    waiting: AtomicU64,
}

const WAIT_CALL: u64 = 1 << 62;
const WAIT_ROOM: u64 = 2 << 62;
const WAIT_MASK: u64 = 3 << 62;

impl Stats {
    pub(crate) fn new(parent: Option<ProcessId>) -> Self {
        Stats {
            parent: parent.map_or(0, |p| p.serial),
            ..Stats::default()
        }
    }

    /// `n` more messages received.
    #[inline]
    pub(crate) fn received(&self, n: u64) {
        bump(&self.received, n);
    }

    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.received.load(Ordering::Relaxed),
            self.sent.load(Ordering::Relaxed),
        )
    }

    /// It has been polled (see [`first_poll`]).
    #[inline]
    pub(crate) fn has_started(&self) -> bool {
        self.started.load(Ordering::Relaxed) != 0
    }

    pub(crate) fn uptime(&self, now: Duration) -> Duration {
        match self.started.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            s => now.saturating_sub(Duration::from_nanos(s - 1)),
        }
    }

    fn waiting_on(&self) -> Option<Status> {
        let w = self.waiting.load(Ordering::Relaxed);
        let id = ProcessId {
            node: NodeId::LOCAL,
            serial: w & !WAIT_MASK,
        };
        match w & WAIT_MASK {
            WAIT_CALL => Some(Status::Calling(id)),
            WAIT_ROOM => Some(Status::Sending(id)),
            _ => None,
        }
    }
}

/// Adds to a counter only its own process writes: a load and a store, no
/// read-modify-write.
#[inline]
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

thread_local! {
    /// The runtime's clock as this thread's scheduler last read it, in
    /// nanoseconds plus one.
    static CLOCK: Cell<u64> = const { Cell::new(0) };
}

/// Counts one message sent by whatever runs on this thread.
#[inline]
pub(crate) fn count_sent() {
    crate::process::count_sent();
}

/// A process's first poll: it notes its start time (never 0, which
/// [`Stats::has_started`] reads as not yet).
pub(crate) fn first_poll(stats: &Stats) {
    let now = if runtime::is_deterministic() {
        runtime::now().as_nanos() as u64 + 1
    } else {
        CLOCK.with(|c| c.get())
    };
    stats.started.store(now.max(1), Ordering::Relaxed);
}

/// A process's poll ended having sent `n` messages.
#[inline]
pub(crate) fn sent(stats: &Stats, n: u64) {
    if n != 0 {
        bump(&stats.sent, n);
    }
}

/// The scheduler of this thread read the clock (once per turn of its loop,
/// not per process): processes that start now take it as their start.
pub(crate) fn clock_read(now: Duration) {
    CLOCK.with(|c| c.set(now.as_nanos() as u64 + 1));
}

/// The process being polled on this thread waits for `on`'s reply (`room`:
/// for room in `on`'s mailbox); `None`: it waits no more.
pub(crate) fn set_waiting(on: Option<(ProcessId, bool)>) {
    let code = match on {
        None => 0,
        Some((id, room)) => (id.serial & !WAIT_MASK) | if room { WAIT_ROOM } else { WAIT_CALL },
    };
    crate::raw::with_current_stats(|s| s.waiting.store(code, Ordering::Relaxed));
}

/// Clears the waiting mark when a call or a send ends, however it ends.
pub(crate) struct WaitMark(bool);

impl WaitMark {
    pub(crate) fn new() -> Self {
        WaitMark(false)
    }

    /// Marks the current process as waiting on `on` (once).
    pub(crate) fn set(&mut self, on: ProcessId, room: bool) {
        if !self.0 {
            self.0 = true;
            set_waiting(Some((on, room)));
        }
    }
}

impl Drop for WaitMark {
    fn drop(&mut self) {
        if self.0 {
            set_waiting(None);
        }
    }
}

/// What a process's `Ext` holds for observers.
#[derive(Default)]
pub(crate) struct Labels {
    pub(crate) label: Option<Arc<str>>,
    pub(crate) child_id: Option<Arc<str>>,
    pub(crate) restarts: u32,
}

/// A snapshot of one process, read from its shared state. `None` once it
/// has ended.
pub(crate) fn info<M: Send + 'static>(
    shared: &Shared<M>,
    running: Option<bool>,
    now: Duration,
) -> Option<ProcessInfo> {
    let st = shared.lock();
    if !shared.alive(&st) {
        return None;
    }
    let stats = &shared.stats;
    let exiting = shared.exiting.load(Ordering::Relaxed);
    let status = if exiting {
        Status::Exiting
    } else if running == Some(true) && !shared.waiting(&st) {
        Status::Running
    } else if shared.waiting(&st) {
        Status::Receiving
    } else if let Some(s) = stats.waiting_on() {
        s
    } else if running == Some(false) {
        Status::Runnable
    } else {
        Status::Waiting
    };
    let (received, sent) = stats.counts();
    let ext = st.ext.as_deref();
    let labels = ext.map(|e| &e.labels);
    let info = ProcessInfo {
        id: shared.id,
        name: ext.and_then(|e| e.name.clone()),
        label: labels.and_then(|l| l.label.clone().or_else(|| l.child_id.clone())),
        child_id: labels.and_then(|l| l.child_id.clone()),
        parent: (stats.parent != 0).then_some(ProcessId {
            node: NodeId::LOCAL,
            serial: stats.parent,
        }),
        supervisor: TypeId::of::<M>() == TypeId::of::<SupervisorMsg>(),
        status,
        mailbox: st.queue.len() + shared.local(),
        received,
        sent,
        links: ext.map(|e| e.links.keys()).unwrap_or_default(),
        monitors: ext.map_or_else(Vec::new, |e| {
            let mut m: Vec<ProcessId> = e.monitoring.values().map(|c| c.id()).collect();
            m.sort();
            m
        }),
        monitored_by: ext.map_or(0, |e| e.watchers.len()),
        trap_exit: ext.is_some_and(|e| e.trap.is_some()),
        restarts: labels.map_or(0, |l| l.restarts),
        uptime: stats.uptime(now),
        message_type: std::any::type_name::<M>(),
    };
    Some(info)
}

/// A supervisor notes on its child its child id and how often it was
/// restarted.
pub(crate) fn set_child<M: Send + 'static>(shared: &Shared<M>, child_id: &Arc<str>, restarts: u32) {
    let mut st = shared.lock();
    if shared.alive(&st) {
        let labels = &mut st.ext().labels;
        labels.child_id = Some(child_id.clone());
        labels.restarts = restarts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(serial: u64, parent: Option<u64>) -> ProcessInfo {
        let id = |serial| ProcessId {
            node: NodeId::LOCAL,
            serial,
        };
        ProcessInfo {
            id: id(serial),
            name: None,
            label: None,
            child_id: None,
            parent: parent.map(id),
            supervisor: false,
            status: Status::Waiting,
            mailbox: 0,
            received: 0,
            sent: 0,
            links: Vec::new(),
            monitors: Vec::new(),
            monitored_by: 0,
            trap_exit: false,
            restarts: 0,
            uptime: Duration::ZERO,
            message_type: "()",
        }
    }

    #[test]
    fn the_tree_keeps_children_whose_ids_are_below_their_parents() {
        // On tokio each thread numbers from a block of its own: a child
        // spawned on another thread can have the smaller id.
        let snap = Snapshot {
            at: Duration::ZERO,
            processes: vec![
                process(5, Some(2048)),
                process(7, Some(5)),
                process(2048, None),
                process(2050, Some(2048)),
            ],
        };
        let tree = snap.tree();
        assert_eq!(tree.len(), 1);
        let root = &tree[0];
        assert_eq!(root.process.id.serial, 2048);
        let kids: Vec<u64> = root.children.iter().map(|c| c.process.id.serial).collect();
        assert_eq!(kids, [5, 2050]);
        assert_eq!(root.children[0].children[0].process.id.serial, 7);
    }
}
