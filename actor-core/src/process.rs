//! Processes: spawning, the context a body receives, links, monitors, exit
//! signals and what happens when a process ends.

use std::any::Any;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::error::RegistryError;
use crate::handle::{Core, Watcher};
use crate::id::{MonitorRef, ProcessId};
use crate::mailbox::Item;
use crate::observe::{self, Event, Labels, ProcessInfo, Stats};
use crate::raw::{Body, Ring, Run, SpinGuard, SpinLock, Task};
use crate::runtime;
use crate::signal::{Down, Exit, ExitReason};

thread_local! {
    /// Set while a process's state and mailbox are being dropped: the exit
    /// reason that pending calls in them fail with.
    static DYING: std::cell::RefCell<Option<ExitReason>> = const { std::cell::RefCell::new(None) };
}

type Deferred = Box<dyn FnOnce(Option<&ExitReason>) + Send>;

thread_local! {
    /// Work queued during a poll of a process body, to be done when the poll
    /// ends and it is known whether the process ended in it.
    static DEFERRED: std::cell::RefCell<Vec<Deferred>> = const { std::cell::RefCell::new(Vec::new()) };
    /// The poll of a process body under way on this thread, if any.
    static BODY: PollState = const {
        PollState {
            flags: Cell::new(0),
            owner: Cell::new(0),
            taken: Cell::new(0),
        }
    };
}

/// See [`BODY`].
struct PollState {
    /// [`IN_BODY`] and [`HAS_DEFERRED`] in the low bits, the budget of
    /// the poll under way above them (in [`BUDGET_UNIT`]s, below bit 32),
    /// and the messages sent during the poll from bit 32 up (in
    /// [`SENT_ONE`]s): one load and one store per poll.
    flags: Cell<u64>,
    /// The address of the polled process's [`Shared`].
    owner: Cell<usize>,
    /// What that process received during the poll (from bit 32) and its
    /// own buffer's length plus one (below; 0: not noted), written to its
    /// [`Shared`] when the poll ends: its senders write that `Shared` on
    /// every send, and a receiver that wrote its counters there on every
    /// receive would take the cache line from them each time (fan-in on
    /// two cores ran 3× slower).
    taken: Cell<u64>,
}

/// A process's body is being polled on this thread (not its end).
const IN_BODY: u64 = 1;
/// DEFERRED has work.
const HAS_DEFERRED: u64 = 2;
/// The budget takes the bits from here up to bit 31.
const BUDGET_UNIT: u64 = 4;
/// The bits of the budget.
const BUDGET_MASK: u64 = 0xFFFF_FFFC;
/// One message sent, counted above the budget.
const SENT_ONE: u64 = 1 << 32;
/// Sends and receives a process makes in one poll before it lets others
/// run (Erlang's reductions, tokio's cooperative budget): a process that
/// sends in a loop that never waits cannot hold its worker, or the tokio
/// tasks beside it, for longer.
const BUDGET: u64 = 128;

/// Spends one unit of the current process's budget: `true` once it is
/// spent, when the caller should yield. Outside a process body, never.
pub(crate) fn budget_spent() -> bool {
    BODY.with(|b| {
        let flags = b.flags.get();
        if flags & IN_BODY == 0 {
            return false;
        }
        if flags & BUDGET_MASK == 0 {
            return true;
        }
        b.flags.set(flags - BUDGET_UNIT);
        false
    })
}

/// Counts one message sent by whatever runs on this thread: the process
/// being polled learns how many when its poll ends (what is sent outside a
/// poll is counted for no one).
#[inline]
pub(crate) fn count_sent() {
    BODY.with(|b| b.flags.set(b.flags.get().wrapping_add(SENT_ONE)));
}

/// Runs `f` when the current poll of the current process ends, with the
/// exit reason if the process ended in that poll; at once (with the dying
/// process's reason, if any) outside a process.
pub(crate) fn at_poll_end(f: impl FnOnce(Option<&ExitReason>) + Send + 'static) {
    let flags = BODY.with(|b| b.flags.get());
    if flags & IN_BODY != 0 {
        DEFERRED.with(|d| d.borrow_mut().push(Box::new(f)));
        BODY.with(|b| b.flags.set(flags | HAS_DEFERRED));
    } else {
        f(dying().as_ref());
    }
}

/// Drops a message that could not be delivered because its receiver has
/// ended: calls inside it fail with the receiver's exit reason.
pub(crate) fn drop_undeliverable<T>(msg: T, reason: ExitReason) {
    set_dying(Some(reason));
    drop(msg);
    set_dying(None);
}

fn set_dying(reason: Option<ExitReason>) {
    DYING.with(|d| *d.borrow_mut() = reason);
}

/// The exit reason of the process whose state is being dropped on this
/// thread, if any.
pub(crate) fn dying() -> Option<ExitReason> {
    DYING.with(|d| d.borrow().clone())
}

/// The process whose body is running on this thread right now, if any.
///
/// # Examples
///
/// ```
/// use actor_core::{spawn, Ctx, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     assert_eq!(actor_core::current(), None);
///     let pid = spawn(|ctx: Ctx<()>| async move {
///         assert_eq!(actor_core::current(), Some(ctx.id()));
///     });
///     assert!(pid.wait().await.is_normal());
/// });
/// ```
pub fn current() -> Option<ProcessId> {
    crate::raw::current_id()
}

/// What a process body may return: `()` (a normal exit), an
/// [`ExitReason`], or a `Result` whose error becomes
/// [`ExitReason::Error`].
pub trait IntoExitReason {
    /// The exit reason this value stands for.
    fn into_exit_reason(self) -> ExitReason;
}

impl IntoExitReason for () {
    fn into_exit_reason(self) -> ExitReason {
        ExitReason::Normal
    }
}
impl IntoExitReason for ExitReason {
    fn into_exit_reason(self) -> ExitReason {
        self
    }
}
impl<T: IntoExitReason, E: std::error::Error + Send + Sync + 'static> IntoExitReason
    for Result<T, E>
{
    fn into_exit_reason(self) -> ExitReason {
        match self {
            Ok(t) => t.into_exit_reason(),
            Err(e) => ExitReason::error(e),
        }
    }
}

/// The state a process shares with its handles: its mailbox and its
/// relations, behind one lock. It is the header of the process's task, so
/// that a process is one allocation.
pub(crate) struct Shared<M> {
    pub(crate) id: ProcessId,
    /// `u32::MAX` for an unbounded mailbox.
    pub(crate) capacity: u32,
    /// An exit is pending (kill, or an untrapped exit signal): checked on
    /// every poll of the body.
    pub(crate) exiting: AtomicBool,
    /// It has not ended. Read and written only under `state`'s lock, which
    /// orders it (`Relaxed` is enough); outside the lock's cell, with
    /// `waiting`, because here they fill the header's spare bytes, where in
    /// [`State`] they would take a word of their own.
    alive: AtomicBool,
    /// The receiver is parked waiting for a message. As `alive`: under
    /// the lock only.
    waiting: AtomicBool,
    /// Its place in the runtime's table of processes.
    pub(crate) key: AtomicU32,
    /// Messages in the receiver's own buffer (taken from the shared
    /// queue, not yet received), for observers; beside the other small
    /// fields rather than in `stats`, where it would take a word.
    pub(crate) local: AtomicU32,
    /// Counters and marks for observers.
    pub(crate) stats: Stats,
    pub(crate) state: SpinLock<State<M>>,
}

pub(crate) struct State<M> {
    pub(crate) queue: Ring<Item<M>>,
    pub(crate) waker: Option<Waker>,
    /// While alive: a pending exit. Once dead: the final reason.
    pub(crate) exit: Option<Kept>,
    /// Relations, allocated on first use.
    pub(crate) ext: Option<Box<Ext<M>>>,
}

pub(crate) struct Ext<M> {
    pub(crate) links: Links,
    /// Who watches this process, by monitor.
    pub(crate) watchers: Keyed<MonitorRef, Arc<dyn Watcher>>,
    /// The monitors this process holds on others, removed from their
    /// targets when it ends.
    pub(crate) monitoring: Keyed<MonitorRef, Arc<dyn Core>>,
    /// Senders waiting for room in a bounded mailbox, by ticket.
    pub(crate) send_waiters: BTreeMap<u64, Waker>,
    pub(crate) next_ticket: u64,
    pub(crate) trap: Option<fn(Exit) -> M>,
    pub(crate) down: Option<fn(Down) -> M>,
    /// Its registered name (one per process, as Erlang's `register/2`).
    pub(crate) name: Option<Arc<str>>,
    /// Bounded mailboxes only: messages the receiver moved to its own
    /// buffer (selective receive leftovers), which still take room.
    pub(crate) held: usize,
    /// Its label, child id and restarts, for observers.
    pub(crate) labels: Labels,
}

/// A short list that is indexed once it grows: a process's links (by the
/// other process) and its watchers (by monitor). Entries keep an order
/// that depends only on the inserts and removals made (exit signals and
/// Downs go out the same way on every run), a few are found by a scan, and
/// many (a supervisor's children, a server's monitoring clients) by the
/// index, so removal never scans a long list.
pub(crate) struct Keyed<K, V> {
    list: Vec<(K, V)>,
    /// Boxed: most lists never grow long, and an empty `Keyed` is then
    /// four words, cheap to make and to hold.
    #[allow(clippy::box_collection)] // one word, not six, while unused
    index: Option<Box<HashMap<K, usize>>>,
}

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed {
            list: Vec::new(),
            index: None,
        }
    }
}

impl<K: Copy + Eq + std::hash::Hash, V> Keyed<K, V> {
    const INDEX_FROM: usize = 16;

    fn position(&self, key: K) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(&key).copied(),
            None => self.list.iter().position(|(k, _)| *k == key),
        }
    }

    /// Adds an entry; `false` (and nothing changed) if the key is there.
    pub(crate) fn insert(&mut self, key: K, value: V) -> bool {
        if self.position(key).is_some() {
            return false;
        }
        if self.list.capacity() == 0 {
            // Most lists hold one entry (a parent's link, one `wait`).
            self.list.reserve_exact(1);
        }
        self.list.push((key, value));
        if let Some(index) = &mut self.index {
            index.insert(key, self.list.len() - 1);
        } else if self.list.len() > Self::INDEX_FROM {
            let index = self.list.iter().enumerate().map(|(i, (k, _))| (*k, i));
            self.index = Some(Box::new(index.collect()));
        }
        true
    }

    /// Removes an entry.
    pub(crate) fn remove(&mut self, key: K) -> Option<V> {
        let i = self.position(key)?;
        let (_, value) = self.list.swap_remove(i);
        if let Some(index) = &mut self.index {
            index.remove(&key);
            if let Some((moved, _)) = self.list.get(i) {
                index.insert(*moved, i);
            }
        }
        Some(value)
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The values, in the list's order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.list.iter().map(|(_, v)| v)
    }

    /// The keys, in the list's order.
    pub(crate) fn keys(&self) -> Vec<K> {
        self.list.iter().map(|(k, _)| *k).collect()
    }

    pub(crate) fn into_values(self) -> impl Iterator<Item = (K, V)> {
        self.list.into_iter()
    }
}

/// A process's links, by the other process.
pub(crate) type Links = Keyed<ProcessId, Arc<dyn Core>>;

impl<M> Default for Ext<M> {
    fn default() -> Self {
        Ext {
            links: Links::default(),
            watchers: Keyed::default(),
            monitoring: Keyed::default(),
            send_waiters: BTreeMap::new(),
            next_ticket: 0,
            trap: None,
            down: None,
            name: None,
            held: 0,
            labels: Labels::default(),
        }
    }
}

impl<M> State<M> {
    pub(crate) fn new() -> Self {
        State {
            queue: Ring::new(),
            waker: None,
            exit: None,
            ext: None,
        }
    }

    pub(crate) fn ext(&mut self) -> &mut Ext<M> {
        self.ext.get_or_insert_with(Default::default)
    }
}

/// An exit reason as a process's state keeps it: two words, where an
/// [`ExitReason`] takes three, and a kill, a shutdown or a normal end
/// allocates nothing.
pub(crate) enum Kept {
    Normal,
    Killed,
    Shutdown,
    Other(Box<ExitReason>),
}

impl Kept {
    fn new(reason: ExitReason) -> Self {
        match reason {
            ExitReason::Normal => Kept::Normal,
            ExitReason::Killed => Kept::Killed,
            ExitReason::Shutdown => Kept::Shutdown,
            other => Kept::Other(Box::new(other)),
        }
    }

    fn reason(&self) -> ExitReason {
        match self {
            Kept::Normal => ExitReason::Normal,
            Kept::Killed => ExitReason::Killed,
            Kept::Shutdown => ExitReason::Shutdown,
            Kept::Other(reason) => (**reason).clone(),
        }
    }
}

impl<M: Send + 'static> Shared<M> {
    pub(crate) fn lock(&self) -> SpinGuard<'_, State<M>> {
        self.state.lock()
    }

    fn push_signal_msg(&self, st: &mut State<M>, m: Item<M>) {
        st.queue.push_back(m);
        self.wake_receiver(st);
    }

    /// Marks a pending exit and wakes the task wherever it is parked.
    fn set_exit(&self, st: &mut State<M>, reason: ExitReason) {
        if st.exit.is_none() || matches!(reason, ExitReason::Killed) {
            st.exit = Some(Kept::new(reason));
        }
        self.exiting.store(true, Ordering::Release);
        if let Some(w) = &st.waker {
            w.wake_by_ref();
        }
    }
}

impl<M> Shared<M> {
    /// The fields beside the lock, as a new process has them.
    pub(crate) fn new(id: ProcessId, capacity: u32, stats: Stats, state: State<M>) -> Self {
        Shared {
            id,
            capacity,
            exiting: AtomicBool::new(false),
            alive: AtomicBool::new(true),
            waiting: AtomicBool::new(false),
            key: AtomicU32::new(0),
            local: AtomicU32::new(0),
            stats,
            state: SpinLock::new(state),
        }
    }

    /// It has not ended; `_st`: its state, locked.
    #[inline]
    pub(crate) fn alive(&self, _st: &State<M>) -> bool {
        self.alive.load(Ordering::Relaxed)
    }

    /// The receiver is parked waiting for a message; `_st`: its state,
    /// locked.
    #[inline]
    pub(crate) fn waiting(&self, _st: &State<M>) -> bool {
        self.waiting.load(Ordering::Relaxed)
    }

    /// The receiver parks waiting for a message.
    #[inline]
    pub(crate) fn set_waiting(&self, _st: &mut State<M>) {
        self.waiting.store(true, Ordering::Relaxed);
    }

    /// Wakes the receiver if it is parked waiting for a message.
    #[inline]
    pub(crate) fn wake_receiver(&self, st: &mut State<M>) {
        if self.waiting.load(Ordering::Relaxed) {
            self.waiting.store(false, Ordering::Relaxed);
            if let Some(w) = &st.waker {
                w.wake_by_ref();
            }
        }
    }
}

impl<M> Shared<M> {
    fn addr(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// The receiver took `received` messages, and its own buffer now
    /// holds `local`: noted until the poll ends if this process is the
    /// one being polled on this thread (see [`PollState::taken`]), else
    /// written at once.
    #[inline]
    pub(crate) fn note_taken(&self, received: u64, local: usize) {
        let local = (local as u64).min(u64::from(u32::MAX) - 1);
        let noted = BODY.with(|b| {
            if b.owner.get() != self.addr() {
                return false;
            }
            let t = b.taken.get();
            b.taken.set(((t >> 32) + received) << 32 | (local + 1));
            true
        });
        if !noted {
            self.publish_taken(received << 32 | (local + 1));
        }
    }

    /// Writes what [`note_taken`](Shared::note_taken) noted.
    #[inline]
    fn publish_taken(&self, taken: u64) {
        if taken >> 32 != 0 {
            self.stats.received(taken >> 32);
        }
        if taken & 0xFFFF_FFFF != 0 {
            self.local
                .store((taken & 0xFFFF_FFFF) as u32 - 1, Ordering::Relaxed);
        }
    }
}

impl<M: Send + 'static> Shared<M> {
    pub(crate) fn down(&self, down: Down) {
        let mut st = self.lock();
        if !self.alive(&st) {
            return;
        }
        let Some(ext) = st.ext.as_mut() else { return };
        // The monitor is spent: forget its target.
        ext.monitoring.remove(down.monitor);
        if let Some(conv) = ext.down {
            runtime::trace_deliver(down.id, self.id);
            let mref = down.monitor;
            self.push_signal_msg(&mut st, Item::Down(Box::new((mref, conv(down)))));
        }
    }
}

impl<M: Send + 'static> Shared<M> {
    pub(crate) fn is_alive(&self) -> bool {
        let st = self.lock();
        self.alive(&st)
    }

    pub(crate) fn final_reason(&self) -> Option<ExitReason> {
        let st = self.lock();
        if self.alive(&st) {
            None
        } else {
            Some(st.exit.as_ref().map_or(ExitReason::Normal, Kept::reason))
        }
    }

    pub(crate) fn exit_signal(&self, from: ProcessId, reason: &ExitReason, linked: bool) {
        let mut st = self.lock();
        if !self.alive(&st) {
            return;
        }
        // A signal along a link that no longer exists (it was removed as
        // the signal was sent) is dropped, as Erlang's unlink guarantees.
        if linked {
            let had_link = st.ext.as_mut().and_then(|ext| ext.links.remove(from));
            if had_link.is_none() {
                return;
            }
        }
        if let Some(trap) = st.ext.as_ref().and_then(|e| e.trap) {
            let msg = trap(Exit {
                from,
                reason: reason.clone(),
            });
            self.push_signal_msg(&mut st, Item::Msg(msg));
        } else if !reason.is_normal() || from == self.id {
            self.set_exit(&mut st, reason.clone());
        }
    }

    pub(crate) fn kill(&self) {
        let mut st = self.lock();
        if self.alive(&st) {
            self.set_exit(&mut st, ExitReason::Killed);
        }
    }

    /// Adds a link; `Ok(false)` if it existed, `Err` if this process has
    /// ended.
    pub(crate) fn add_link(&self, other: Arc<dyn Core>) -> Result<bool, ()> {
        let mut st = self.lock();
        if !self.alive(&st) {
            return Err(());
        }
        let id = other.id();
        Ok(st.ext().links.insert(id, other))
    }

    pub(crate) fn remove_link(&self, other: ProcessId) {
        if let Some(ext) = self.lock().ext.as_mut() {
            ext.links.remove(other);
        }
    }

    pub(crate) fn add_watcher(&self, mref: MonitorRef, w: Arc<dyn Watcher>) -> Result<(), ()> {
        let mut st = self.lock();
        if !self.alive(&st) {
            return Err(());
        }
        st.ext().watchers.insert(mref, w);
        Ok(())
    }

    pub(crate) fn remove_watcher(&self, mref: MonitorRef) {
        let removed = self
            .lock()
            .ext
            .as_mut()
            .and_then(|ext| ext.watchers.remove(mref));
        // Dropped outside the lock: a watcher may be another process.
        drop(removed);
    }

    pub(crate) fn add_name(&self, name: Arc<str>) -> Result<(), RegistryError> {
        let mut st = self.lock();
        if !self.alive(&st) {
            return Err(RegistryError::NoProc);
        }
        let ext = st.ext();
        if let Some(old) = &ext.name {
            return Err(RegistryError::AlreadyNamed(old.to_string()));
        }
        ext.name = Some(name);
        Ok(())
    }

    pub(crate) fn remove_name(&self, name: &str) {
        if let Some(ext) = self.lock().ext.as_mut() {
            if ext.name.as_deref() == Some(name) {
                ext.name = None;
            }
        }
    }
}

/// The typed face of a process: what its [`Pid`](crate::Pid) holds. A
/// process of this node has its shared state here; one on another node
/// (see [`remote`](crate::remote)) is sent to over the wire.
pub(crate) trait Proc<M>: Core {
    /// Its shared state, if it runs on this node.
    fn local(&self) -> Option<&Shared<M>>;

    /// Sends to it over the wire (a process on another node).
    fn send_remote(&self, m: M) -> Result<(), (M, crate::remote::RemoteError)> {
        Err((
            m,
            crate::remote::RemoteError::Encode("not a remote process".into()),
        ))
    }
}

/// A process of this node, as its own [`Ctx`](crate::Ctx) holds it.
pub(crate) trait LocalProc<M>: Proc<M> {
    fn shared(&self) -> &Shared<M>;
}

pin_project_lite::pin_project! {
    /// A process's body as its task runs it: polled only while no exit is
    /// pending, panics caught, and the end of the process told to everyone
    /// who asked to know.
    pub(crate) struct ProcessBody<M, F> {
        #[pin]
        body: Option<F>,
        _mailbox: PhantomData<fn(M)>,
    }
}

impl<M, F> ProcessBody<M, F> {
    /// A body to be [filled](ProcessBody::fill) before the task first runs.
    pub(crate) fn new() -> Self {
        ProcessBody {
            body: None,
            _mailbox: PhantomData,
        }
    }

    pub(crate) fn fill(&mut self, body: F) {
        self.body = Some(body);
    }
}

impl<M, F> Body for ProcessBody<M, F>
where
    M: Send + 'static,
    F: Future + Send + 'static,
    F::Output: IntoExitReason,
{
    type Header = Shared<M>;
    type Home = runtime::Scheduler;

    fn poll(self: Pin<&mut Self>, task: &Task<Self>, cx: &mut Context<'_>, coop: bool) -> Poll<()> {
        let mut this = self.project();
        let shared = &task.header;
        // Whether it has run is in its counters (only this poll writes
        // it), not in a flag of the body, which would cost a word.
        if !shared.stats.has_started() {
            shared.lock().waker = Some(cx.waker().clone());
            observe::first_poll(&shared.stats);
        }
        let mut deferred = Vec::new();
        let outcome = if shared.exiting.load(Ordering::Acquire) {
            None
        } else {
            let Some(body) = this.body.as_mut().as_pin_mut() else {
                return Poll::Ready(());
            };
            let budget = if coop {
                BUDGET * BUDGET_UNIT
            } else {
                BUDGET_MASK
            };
            let outer = BODY.with(|b| {
                (
                    b.flags.replace(IN_BODY | budget),
                    b.owner.replace(shared.addr()),
                    b.taken.replace(0),
                )
            });
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx)));
            let (flags, taken) = BODY.with(|b| {
                b.owner.set(outer.1);
                (b.flags.replace(outer.0), b.taken.replace(outer.2))
            });
            observe::sent(&shared.stats, flags / SENT_ONE);
            shared.publish_taken(taken);
            if flags & HAS_DEFERRED != 0 {
                deferred = DEFERRED.with(|d| std::mem::take(&mut *d.borrow_mut()));
            }
            match r {
                Ok(Poll::Pending) => {
                    if !deferred.is_empty() {
                        deferred.into_iter().for_each(|f| f(None));
                    }
                    return Poll::Pending;
                }
                Ok(Poll::Ready(out)) => Some(Ok(out)),
                Err(panic) => Some(Err(panic)),
            }
        };
        let reason = match outcome {
            Some(Ok(out)) => out.into_exit_reason(),
            Some(Err(panic)) => ExitReason::Panicked(runtime::panic_message(panic.as_ref()).into()),
            None => shared
                .lock()
                .exit
                .as_ref()
                .map_or(ExitReason::Killed, Kept::reason),
        };
        deferred.into_iter().for_each(|f| f(Some(&reason)));
        // The body, and with it the process's state, is dropped here, before
        // anyone hears of the exit; pending calls in it fail with the reason.
        // A panicking destructor is the process's problem, not the runtime's.
        set_dying(Some(reason.clone()));
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| this.body.set(None)));
        finish(shared, reason);
        Poll::Ready(())
    }

    fn core(task: Arc<Task<Self>>) -> Arc<dyn Core> {
        task
    }

    fn id(header: &Shared<M>) -> ProcessId {
        header.id
    }

    fn stats(header: &Shared<M>) -> &Stats {
        &header.stats
    }
}

type ProcessTask<M, F> = Task<ProcessBody<M, F>>;

impl<M, F> Watcher for ProcessTask<M, F>
where
    M: Send + 'static,
    F: Future + Send + 'static,
    F::Output: IntoExitReason,
{
    fn down(&self, down: Down) {
        self.header.down(down);
    }
}

impl<M, F> Core for ProcessTask<M, F>
where
    M: Send + 'static,
    F: Future + Send + 'static,
    F::Output: IntoExitReason,
{
    fn id(&self) -> ProcessId {
        self.header.id
    }
    fn is_alive(&self) -> bool {
        self.header.is_alive()
    }
    fn final_reason(&self) -> Option<ExitReason> {
        self.header.final_reason()
    }
    fn exit_signal(&self, from: ProcessId, reason: &ExitReason, linked: bool) {
        self.header.exit_signal(from, reason, linked);
    }
    fn kill(&self) {
        self.header.kill();
    }
    fn add_link(&self, other: Arc<dyn Core>) -> Result<bool, ()> {
        self.header.add_link(other)
    }
    fn remove_link(&self, other: ProcessId) {
        self.header.remove_link(other);
    }
    fn add_watcher(&self, mref: MonitorRef, w: Arc<dyn Watcher>) -> Result<(), ()> {
        self.header.add_watcher(mref, w)
    }
    fn remove_watcher(&self, mref: MonitorRef) {
        self.header.remove_watcher(mref);
    }
    fn add_name(&self, name: Arc<str>) -> Result<(), RegistryError> {
        self.header.add_name(name)
    }
    fn remove_name(&self, name: &str) {
        self.header.remove_name(name);
    }
    fn downcast_into(self: Arc<Self>, out: &mut dyn Any) {
        if let Some(slot) = out.downcast_mut::<Option<Arc<dyn Proc<M>>>>() {
            *slot = Some(self);
        }
    }
    fn abort(&self) {
        Run::abort(self);
    }
    fn info(&self, now: Duration) -> Option<ProcessInfo> {
        observe::info(&self.header, self.run_state(), now)
    }
    fn counts(&self) -> Option<(u64, u64)> {
        self.header.is_alive().then(|| self.header.stats.counts())
    }
    fn set_child(&self, child_id: &Arc<str>, restarts: u32) {
        observe::set_child(&self.header, child_id, restarts);
    }
}

impl<M, F> Proc<M> for ProcessTask<M, F>
where
    M: Send + 'static,
    F: Future + Send + 'static,
    F::Output: IntoExitReason,
{
    fn local(&self) -> Option<&Shared<M>> {
        Some(&self.header)
    }
}

impl<M, F> LocalProc<M> for ProcessTask<M, F>
where
    M: Send + 'static,
    F: Future + Send + 'static,
    F::Output: IntoExitReason,
{
    fn shared(&self) -> &Shared<M> {
        &self.header
    }
}

/// Marks the process dead and tells everyone who asked to know.
fn finish<M: Send + 'static>(inner: &Shared<M>, reason: ExitReason) {
    let (ext, queue) = {
        let mut st = inner.lock();
        inner.alive.store(false, Ordering::Relaxed);
        st.exit = Some(Kept::new(reason.clone()));
        st.waker = None;
        (st.ext.take(), std::mem::take(&mut st.queue))
    };
    drop(queue);
    set_dying(None);
    let id = inner.id;
    runtime::forget_process(inner.key.load(Ordering::Relaxed), || Event::Exited {
        id,
        parent: (inner.stats.parent != 0).then_some(ProcessId {
            node: id.node,
            serial: inner.stats.parent,
        }),
        label: ext
            .as_ref()
            .and_then(|e| e.labels.label.clone().or_else(|| e.labels.child_id.clone())),
        reason: reason.clone(),
        at: runtime::now(),
    });
    runtime::trace_exit(id, &reason);
    if reason.is_normal() {
        tracing::trace!(pid = %id, "exit normal");
    } else {
        tracing::debug!(pid = %id, %reason, "exit");
    }
    if let Some(mut ext) = ext {
        // Taken field by field, not moved out of the box whole: most
        // processes that have relations have one or two of them.
        if let Some(name) = ext.name.take() {
            runtime::registry().remove_if(&name, id);
        }
        // The monitors it held die with it (Erlang removes them too).
        if !ext.monitoring.is_empty() {
            for (mref, target) in std::mem::take(&mut ext.monitoring).into_values() {
                target.remove_watcher(mref);
            }
        }
        if !ext.links.is_empty() {
            for (_, link) in std::mem::take(&mut ext.links).into_values() {
                link.exit_signal(id, &reason, true);
            }
        }
        if !ext.watchers.is_empty() {
            for (mref, w) in std::mem::take(&mut ext.watchers).into_values() {
                w.down(Down {
                    monitor: mref,
                    id,
                    reason: reason.clone(),
                });
            }
        }
        if !ext.send_waiters.is_empty() {
            for (_, w) in std::mem::take(&mut ext.send_waiters) {
                w.wake();
            }
        }
    }
}

/// Names the never type (`!`) on stable Rust, so that a body that loops
/// forever (its output type is `!`) is a valid process body.
trait HasOutput {
    type Output;
}
impl<T> HasOutput for fn() -> T {
    type Output = T;
}
type Never = <fn() -> ! as HasOutput>::Output;

#[allow(private_interfaces)]
impl IntoExitReason for Never {
    fn into_exit_reason(self) -> ExitReason {
        self
    }
}
