//! Processes: spawning, the context a body receives, links, monitors, exit
//! signals and what happens when a process ends.

use std::any::Any;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use crate::mailbox::Item;
use crate::pid::{AnyPid, NodeId, Pid, ProcessId};
use crate::runtime;
use crate::signal::{Down, Exit, ExitReason, MonitorRef};

thread_local! {
    static CURRENT: Cell<Option<ProcessId>> = const { Cell::new(None) };
    /// The process whose body is being polled on this thread, for
    /// [`Spawn::link`].
    static CURRENT_CORE: std::cell::RefCell<Option<Arc<dyn Core>>> = const { std::cell::RefCell::new(None) };
    /// Set while a process's state and mailbox are being dropped: the exit
    /// reason that pending calls in them fail with.
    static DYING: std::cell::RefCell<Option<ExitReason>> = const { std::cell::RefCell::new(None) };
}

type Deferred = Box<dyn FnOnce(Option<&ExitReason>) + Send>;

thread_local! {
    /// Work queued during a poll of a process body, to be done when the poll
    /// ends and it is known whether the process ended in it.
    static DEFERRED: std::cell::RefCell<Vec<Deferred>> = const { std::cell::RefCell::new(Vec::new()) };
    /// Whether DEFERRED has anything: one load per poll instead of a borrow.
    static HAS_DEFERRED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` when the current poll of the current process ends, with the
/// exit reason if the process ended in that poll; at once (with the dying
/// process's reason, if any) outside a process.
pub(crate) fn at_poll_end(f: impl FnOnce(Option<&ExitReason>) + Send + 'static) {
    if current().is_some() {
        DEFERRED.with(|d| d.borrow_mut().push(Box::new(f)));
        HAS_DEFERRED.with(|h| h.set(true));
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
    CURRENT.with(|c| c.get())
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

/// The shared half of a process: its mailbox and its relations. Everything
/// sits behind one lock so that a process costs one allocation.
pub(crate) struct Inner<M> {
    pub(crate) id: ProcessId,
    /// `u32::MAX` for an unbounded mailbox.
    pub(crate) capacity: u32,
    /// An exit is pending (kill, or an untrapped exit signal): checked on
    /// every poll of the body.
    pub(crate) exiting: AtomicBool,
    pub(crate) state: Mutex<State<M>>,
}

pub(crate) struct State<M> {
    pub(crate) queue: VecDeque<Item<M>>,
    pub(crate) waker: Option<Waker>,
    /// The receiver is parked waiting for a message.
    pub(crate) waiting: bool,
    pub(crate) alive: bool,
    /// While alive: a pending exit. Once dead: the final reason.
    pub(crate) exit: Option<ExitReason>,
    /// Relations, allocated on first use.
    pub(crate) ext: Option<Box<Ext<M>>>,
}

pub(crate) struct Ext<M> {
    pub(crate) links: Links,
    /// Who watches this process, by monitor: ordered by reference (the
    /// order they were set up on the deterministic runtime), removed
    /// without a scan.
    pub(crate) watchers: BTreeMap<MonitorRef, Arc<dyn Watcher>>,
    /// The monitors this process holds on others, removed from their
    /// targets when it ends.
    pub(crate) monitoring: HashMap<MonitorRef, Arc<dyn Core>>,
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
}

/// A process's links: a list (exit signals go out in an order that depends
/// only on the links made and removed, the same on every run), indexed by
/// id once it grows, so that a supervisor of many children links and
/// unlinks without a scan.
#[derive(Default)]
pub(crate) struct Links {
    list: Vec<Arc<dyn Core>>,
    index: Option<std::collections::HashMap<ProcessId, usize>>,
}

impl Links {
    const INDEX_FROM: usize = 16;

    fn position(&self, id: ProcessId) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(&id).copied(),
            None => self.list.iter().position(|l| l.id() == id),
        }
    }

    /// Adds a link; linking twice is one link.
    fn insert(&mut self, id: ProcessId, other: Arc<dyn Core>) {
        if self.position(id).is_some() {
            return;
        }
        self.list.push(other);
        if let Some(index) = &mut self.index {
            index.insert(id, self.list.len() - 1);
        } else if self.list.len() > Self::INDEX_FROM {
            let index = self.list.iter().enumerate().map(|(i, l)| (l.id(), i));
            self.index = Some(index.collect());
        }
    }

    fn remove(&mut self, id: ProcessId) {
        let Some(i) = self.position(id) else { return };
        self.list.swap_remove(i);
        if let Some(index) = &mut self.index {
            index.remove(&id);
            if let Some(moved) = self.list.get(i) {
                index.insert(moved.id(), i);
            }
        }
    }
}

impl<M> Default for Ext<M> {
    fn default() -> Self {
        Ext {
            links: Links::default(),
            watchers: BTreeMap::new(),
            monitoring: HashMap::new(),
            send_waiters: BTreeMap::new(),
            next_ticket: 0,
            trap: None,
            down: None,
            name: None,
            held: 0,
        }
    }
}

impl<M> State<M> {
    pub(crate) fn ext(&mut self) -> &mut Ext<M> {
        self.ext.get_or_insert_with(Default::default)
    }

    fn wake_receiver(&mut self) {
        if self.waiting {
            self.waiting = false;
            if let Some(w) = &self.waker {
                w.wake_by_ref();
            }
        }
    }

    /// Marks a pending exit and wakes the task wherever it is parked.
    fn set_exit(&mut self, reason: ExitReason, exiting: &AtomicBool) {
        if self.exit.is_none() || matches!(reason, ExitReason::Killed) {
            self.exit = Some(reason);
        }
        exiting.store(true, Ordering::Release);
        if let Some(w) = &self.waker {
            w.wake_by_ref();
        }
    }
}

/// Someone to tell when a process ends: a monitoring process, a pending
/// call, a `wait`.
pub(crate) trait Watcher: Send + Sync {
    fn down(&self, down: Down);
}

/// The type-erased face of a process, for links, monitors, supervisors and
/// the registry.
pub(crate) trait Core: Send + Sync + 'static {
    fn id(&self) -> ProcessId;
    fn is_alive(&self) -> bool;
    fn final_reason(&self) -> Option<ExitReason>;
    /// An exit signal from `from`; `linked` when it travels along a link.
    fn exit_signal(&self, from: ProcessId, reason: &ExitReason, linked: bool);
    /// The untrappable kill.
    fn kill(&self);
    /// Adds `other` to this process's links; `Err` with the final reason if
    /// this process has already ended.
    fn add_link(&self, other: Arc<dyn Core>) -> Result<(), ExitReason>;
    fn remove_link(&self, other: ProcessId);
    /// Adds a watcher; `Err` if this process has already ended.
    fn add_watcher(&self, mref: MonitorRef, w: Arc<dyn Watcher>) -> Result<(), ExitReason>;
    fn remove_watcher(&self, mref: MonitorRef);
    /// Records its registered name so that it is freed on exit.
    fn add_name(&self, name: Arc<str>) -> Result<(), crate::error::RegistryError>;
    fn remove_name(&self, name: &str);
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl<M: Send + 'static> Inner<M> {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State<M>> {
        // A panic never happens while the lock is held (user code never
        // runs under it), so poisoning cannot leave the state half-written.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push_signal_msg(&self, st: &mut State<M>, m: Item<M>) {
        st.queue.push_back(m);
        st.wake_receiver();
    }
}

impl<M: Send + 'static> Watcher for Inner<M> {
    fn down(&self, down: Down) {
        let mut st = self.lock();
        if !st.alive {
            return;
        }
        let Some(ext) = st.ext.as_mut() else { return };
        // The monitor is spent: forget its target.
        ext.monitoring.remove(&down.monitor);
        if let Some(conv) = ext.down {
            runtime::trace_deliver(down.id, self.id);
            let mref = down.monitor;
            self.push_signal_msg(&mut st, Item::Down(Box::new((mref, conv(down)))));
        }
    }
}

impl<M: Send + 'static> Core for Inner<M> {
    fn id(&self) -> ProcessId {
        self.id
    }

    fn is_alive(&self) -> bool {
        self.lock().alive
    }

    fn final_reason(&self) -> Option<ExitReason> {
        let st = self.lock();
        if st.alive { None } else { st.exit.clone() }
    }

    fn exit_signal(&self, from: ProcessId, reason: &ExitReason, linked: bool) {
        let mut st = self.lock();
        if !st.alive {
            return;
        }
        if linked {
            if let Some(ext) = st.ext.as_mut() {
                ext.links.remove(from);
            }
        }
        if let Some(trap) = st.ext.as_ref().and_then(|e| e.trap) {
            let msg = trap(Exit {
                from,
                reason: reason.clone(),
            });
            self.push_signal_msg(&mut st, Item::Msg(msg));
        } else if !reason.is_normal() || from == self.id {
            st.set_exit(reason.clone(), &self.exiting);
        }
    }

    fn kill(&self) {
        let mut st = self.lock();
        if st.alive {
            st.set_exit(ExitReason::Killed, &self.exiting);
        }
    }

    fn add_link(&self, other: Arc<dyn Core>) -> Result<(), ExitReason> {
        let mut st = self.lock();
        if !st.alive {
            return Err(st.exit.clone().unwrap_or(ExitReason::NoProc));
        }
        let id = other.id();
        st.ext().links.insert(id, other);
        Ok(())
    }

    fn remove_link(&self, other: ProcessId) {
        if let Some(ext) = self.lock().ext.as_mut() {
            ext.links.remove(other);
        }
    }

    fn add_watcher(&self, mref: MonitorRef, w: Arc<dyn Watcher>) -> Result<(), ExitReason> {
        let mut st = self.lock();
        if !st.alive {
            return Err(st.exit.clone().unwrap_or(ExitReason::NoProc));
        }
        st.ext().watchers.insert(mref, w);
        Ok(())
    }

    fn remove_watcher(&self, mref: MonitorRef) {
        let removed = self
            .lock()
            .ext
            .as_mut()
            .and_then(|ext| ext.watchers.remove(&mref));
        // Dropped outside the lock: a watcher may be another process.
        drop(removed);
    }

    fn add_name(&self, name: Arc<str>) -> Result<(), crate::error::RegistryError> {
        let mut st = self.lock();
        if !st.alive {
            return Err(crate::error::RegistryError::NoProc);
        }
        let ext = st.ext();
        if let Some(old) = &ext.name {
            return Err(crate::error::RegistryError::AlreadyNamed(old.to_string()));
        }
        ext.name = Some(name);
        Ok(())
    }

    fn remove_name(&self, name: &str) {
        if let Some(ext) = self.lock().ext.as_mut() {
            if ext.name.as_deref() == Some(name) {
                ext.name = None;
            }
        }
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// Options for a new process: its mailbox, a link to the spawner.
///
/// # Examples
///
/// ```
/// use actor_core::{Ctx, Runtime, Spawn, TrySendError};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let pid = Spawn::new().bounded(1).spawn(|mut ctx: Ctx<u8>| async move {
///         ctx.recv().await;
///     });
///     pid.try_send(1).unwrap();
///     assert!(matches!(pid.try_send(2), Err(TrySendError::Full(2))));
/// });
/// ```
#[derive(Clone, Debug, Default)]
pub struct Spawn {
    capacity: Option<u32>,
    system: bool,
    link: bool,
}

impl Spawn {
    /// Default options: an unbounded mailbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// A mailbox that holds at most `capacity` messages (at least 1):
    /// [`Pid::send`] waits for room and [`Pid::try_send`] fails with
    /// [`Full`](crate::TrySendError::Full).
    pub fn bounded(mut self, capacity: usize) -> Self {
        self.capacity = Some(capacity.clamp(1, u32::MAX as usize - 1) as u32);
        self
    }

    /// Marks the process as part of the system (supervisors): the
    /// deterministic runtime's kill injection leaves it alone.
    pub fn system(mut self) -> Self {
        self.system = true;
        self
    }

    /// Links the new process to the process that spawns it, atomically:
    /// the link exists before the new process runs, so that it cannot end
    /// unseen (Erlang's `spawn_link`). Outside a process there is nothing
    /// to link to and the option does nothing.
    ///
    /// This is how a supervisor's child starts linked: a child's start
    /// function runs inside the supervisor.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Exit, ExitReason, Runtime, Spawn};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let parent = spawn(|mut ctx: Ctx<Exit>| async move {
    ///         ctx.trap_exit();
    ///         let child = Spawn::new().link().spawn(|_c: Ctx<()>| async { ExitReason::other("early") });
    ///         let exit = ctx.recv().await;
    ///         assert_eq!((exit.from, exit.reason), (child.id(), ExitReason::other("early")));
    ///     });
    ///     assert!(parent.wait().await.is_normal());
    /// });
    /// ```
    pub fn link(mut self) -> Self {
        self.link = true;
        self
    }

    /// Spawns `body` as a new process and returns its pid.
    ///
    /// # Panics
    ///
    /// Outside a runtime (neither inside a tokio runtime nor inside
    /// [`Runtime::block_on`](crate::Runtime::block_on)).
    pub fn spawn<M, F, Fut>(self, body: F) -> Pid<M>
    where
        M: Send + 'static,
        F: FnOnce(Ctx<M>) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExitReason,
    {
        let link = if self.link {
            CURRENT_CORE.with(|c| c.borrow().clone())
        } else {
            None
        };
        spawn_with(self, link, body)
    }
}

/// Spawns `body` as a new process with an unbounded mailbox.
///
/// The body receives the process's [`Ctx`] and may return `()`, an
/// [`ExitReason`] or a `Result`. A panic in the body becomes the exit reason
/// [`ExitReason::Panicked`]; nothing else is affected.
///
/// # Panics
///
/// Outside a runtime (neither inside a tokio runtime nor inside
/// [`Runtime::block_on`](crate::Runtime::block_on)).
///
/// # Examples
///
/// ```
/// use actor_core::{spawn, Ctx, ExitReason, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let pid = spawn(|mut ctx: Ctx<u32>| async move {
///         let n = ctx.recv().await;
///         if n > 10 { panic!("too big: {n}") }
///     });
///     pid.send(11).await.unwrap();
///     assert_eq!(pid.wait().await, ExitReason::Panicked("too big: 11".into()));
/// });
/// ```
pub fn spawn<M, F, Fut>(body: F) -> Pid<M>
where
    M: Send + 'static,
    F: FnOnce(Ctx<M>) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoExitReason,
{
    spawn_with(Spawn::new(), None, body)
}

pub(crate) fn spawn_with<M, F, Fut>(opts: Spawn, link: Option<Arc<dyn Core>>, body: F) -> Pid<M>
where
    M: Send + 'static,
    F: FnOnce(Ctx<M>) -> Fut + Send + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoExitReason,
{
    let id = ProcessId {
        node: NodeId::LOCAL,
        serial: runtime::next_serial(),
    };
    let mut state = State {
        queue: VecDeque::new(),
        waker: None,
        waiting: false,
        alive: true,
        exit: None,
        ext: None,
    };
    if let Some(parent) = &link {
        state.ext().links.insert(parent.id(), parent.clone());
    }
    if opts.capacity.is_some() {
        state.ext();
    }
    let inner = Arc::new(Inner {
        id,
        capacity: opts.capacity.unwrap_or(u32::MAX),
        exiting: AtomicBool::new(false),
        state: Mutex::new(state),
    });
    if let Some(parent) = link {
        let me: Arc<dyn Core> = inner.clone();
        if parent.add_link(me).is_err() {
            // The parent is gone already: as Erlang's link to a dead
            // process, an exit signal with reason `noproc` at once.
            inner.exit_signal(parent.id(), &ExitReason::NoProc, true);
        }
    }
    let pid = Pid {
        inner: inner.clone(),
    };
    let ctx = Ctx {
        inner: inner.clone(),
        local: VecDeque::new(),
        locals: Vec::new(),
    };
    runtime::trace_spawn(id, current());
    tracing::trace!(pid = %id, "spawn");
    let core: Arc<dyn Core> = inner.clone();
    let fut = Run {
        inner,
        started: false,
        stage: Stage::Running { body: body(ctx) },
    };
    runtime::spawn_process(id, core, opts.system, fut);
    pid
}

pin_project_lite::pin_project! {
    /// A process's task: its body, polled only while no exit is pending,
    /// with panics caught. Written by hand rather than as an `async fn` so
    /// that the task holds the body once (an idle process stays small).
    struct Run<M, F> {
        inner: Arc<Inner<M>>,
        started: bool,
        #[pin]
        stage: Stage<F>,
    }
}

pin_project_lite::pin_project! {
    #[project = StageProj]
    enum Stage<F> {
        Running { #[pin] body: F },
        Done,
    }
}

impl<M: Send + 'static, F> Future for Run<M, F>
where
    F: Future,
    F::Output: IntoExitReason,
{
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let mut this = self.project();
        if !*this.started {
            *this.started = true;
            this.inner.lock().waker = Some(cx.waker().clone());
        }
        let mut deferred = Vec::new();
        let outcome = if this.inner.exiting.load(Ordering::Acquire) {
            None
        } else {
            let StageProj::Running { body } = this.stage.as_mut().project() else {
                return Poll::Ready(());
            };
            let prev = CURRENT.with(|c| c.replace(Some(this.inner.id)));
            let core: Arc<dyn Core> = this.inner.clone();
            let prev_core = CURRENT_CORE.with(|c| c.replace(Some(core)));
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx)));
            CURRENT.with(|c| c.set(prev));
            drop(CURRENT_CORE.with(|c| c.replace(prev_core)));
            if HAS_DEFERRED.with(|h| h.replace(false)) {
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
            None => this.inner.lock().exit.clone().unwrap_or(ExitReason::Killed),
        };
        deferred.into_iter().for_each(|f| f(Some(&reason)));
        // The body, and with it the process's state, is dropped here, before
        // anyone hears of the exit; pending calls in it fail with the reason.
        set_dying(Some(reason.clone()));
        this.stage.set(Stage::Done);
        finish(this.inner, reason);
        Poll::Ready(())
    }
}

/// Marks the process dead and tells everyone who asked to know.
fn finish<M: Send + 'static>(inner: &Arc<Inner<M>>, reason: ExitReason) {
    let (ext, queue) = {
        let mut st = inner.lock();
        st.alive = false;
        st.exit = Some(reason.clone());
        st.waker = None;
        (st.ext.take(), std::mem::take(&mut st.queue))
    };
    drop(queue);
    set_dying(None);
    let id = inner.id;
    runtime::trace_exit(id, &reason);
    if reason.is_normal() {
        tracing::trace!(pid = %id, "exit normal");
    } else {
        tracing::debug!(pid = %id, %reason, "exit");
    }
    if let Some(ext) = ext {
        let ext = *ext;
        if let Some(name) = &ext.name {
            runtime::registry().remove_if(name, id);
        }
        // The monitors it held die with it (Erlang removes them too).
        for (mref, target) in ext.monitoring {
            target.remove_watcher(mref);
        }
        for link in ext.links.list {
            link.exit_signal(id, &reason, true);
        }
        for (mref, w) in ext.watchers {
            w.down(Down {
                monitor: mref,
                id,
                reason: reason.clone(),
            });
        }
        for (_, w) in ext.send_waiters {
            w.wake();
        }
    }
}

/// The context of a running process: its mailbox and its relations to
/// other processes. Only the process's own body holds it.
///
/// Receiving is in [`recv`](Ctx::recv) and the selective forms beside it;
/// links, monitors and trapping exits are here too.
pub struct Ctx<M> {
    pub(crate) inner: Arc<Inner<M>>,
    /// Messages taken from the shared queue but not yet received
    /// (selective receive leaves non-matching ones here, in order).
    pub(crate) local: VecDeque<Item<M>>,
    /// Process-local storage, dropped with the context.
    locals: Vec<Box<dyn Any + Send>>,
}

impl<M: Send + 'static> Ctx<M> {
    /// This process's pid.
    pub fn pid(&self) -> Pid<M> {
        Pid {
            inner: self.inner.clone(),
        }
    }

    /// This process's id.
    pub fn id(&self) -> ProcessId {
        self.inner.id
    }

    /// Spawns a process linked to this one, atomically: the link exists
    /// before the child runs.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, ExitReason, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let parent = spawn(|mut ctx: Ctx<()>| async move {
    ///         ctx.spawn_link(|_c: Ctx<()>| async { ExitReason::other("boom") });
    ///         ctx.recv().await; // killed by the link before a message comes
    ///     });
    ///     assert_eq!(parent.wait().await, ExitReason::other("boom"));
    /// });
    /// ```
    pub fn spawn_link<N, F, Fut>(&self, body: F) -> Pid<N>
    where
        N: Send + 'static,
        F: FnOnce(Ctx<N>) -> Fut + Send + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: IntoExitReason,
    {
        spawn_with(Spawn::new(), Some(self.inner.clone()), body)
    }

    /// Links this process with `other`: when either ends abnormally the
    /// other gets an exit signal. Linking to a process that has already
    /// ended delivers an exit signal with reason [`ExitReason::NoProc`]
    /// at once, as Erlang's `link/1` does: it ends this process unless it
    /// traps exits. Linking twice is one link; linking to itself does
    /// nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, ExitReason, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let gone = spawn(|_c: Ctx<()>| async {});
    ///     gone.wait().await;
    ///     let linker = spawn(move |mut ctx: Ctx<()>| async move {
    ///         ctx.link(&gone);
    ///         ctx.recv().await;
    ///     });
    ///     assert_eq!(linker.wait().await, ExitReason::NoProc);
    /// });
    /// ```
    pub fn link(&self, other: impl Into<AnyPid>) {
        let other = other.into().core;
        if other.id() == self.inner.id {
            return;
        }
        let me: Arc<dyn Core> = self.inner.clone();
        let _ = self.inner.add_link(other.clone());
        if other.add_link(me).is_err() {
            self.inner
                .exit_signal(other.id(), &ExitReason::NoProc, true);
        }
    }

    /// Removes the link with `other`, both ways.
    pub fn unlink(&self, other: impl Into<AnyPid>) {
        let other = other.into().core;
        self.inner.remove_link(other.id());
        other.remove_link(self.inner.id);
    }

    /// Traps exit signals: from now on they arrive as [`Exit`] messages
    /// (converted into `M`) instead of ending this process. The untrappable
    /// [`Pid::kill`] still ends it.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Exit, ExitReason, Runtime};
    ///
    /// enum Msg { Exit(Exit) }
    /// impl From<Exit> for Msg { fn from(e: Exit) -> Self { Msg::Exit(e) } }
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|mut ctx: Ctx<Msg>| async move {
    ///         ctx.trap_exit();
    ///         let child = ctx.spawn_link(|_c: Ctx<()>| async { ExitReason::other("crash") });
    ///         let Msg::Exit(exit) = ctx.recv().await;
    ///         assert_eq!(exit.from, child.id());
    ///         assert_eq!(exit.reason, ExitReason::other("crash"));
    ///     });
    ///     assert!(pid.wait().await.is_normal());
    /// });
    /// ```
    pub fn trap_exit(&self)
    where
        M: From<Exit>,
    {
        self.inner.lock().ext().trap = Some(M::from);
    }

    /// Stops trapping exits: exit signals end this process again.
    pub fn untrap_exit(&self) {
        if let Some(ext) = self.inner.lock().ext.as_mut() {
            ext.trap = None;
        }
    }

    /// Monitors `other`: exactly one [`Down`] message (converted into `M`)
    /// arrives when it ends, or at once with [`ExitReason::NoProc`] if it
    /// has already ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Down, ExitReason, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let watcher = spawn(|mut ctx: Ctx<Down>| async move {
    ///         let worker = spawn(|_c: Ctx<()>| async { ExitReason::Shutdown });
    ///         let mref = ctx.monitor(&worker);
    ///         let down = ctx.recv().await;
    ///         assert_eq!(down.monitor, mref);
    ///         assert_eq!(down.reason, ExitReason::Shutdown);
    ///     });
    ///     assert!(watcher.wait().await.is_normal());
    /// });
    /// ```
    pub fn monitor(&self, other: impl Into<AnyPid>) -> MonitorRef
    where
        M: From<Down>,
    {
        let other = other.into().core;
        let mref = runtime::next_ref();
        {
            let mut st = self.inner.lock();
            let ext = st.ext();
            ext.down = Some(M::from);
            ext.monitoring.insert(mref, other.clone());
        }
        let me: Arc<dyn Watcher> = self.inner.clone();
        if other.add_watcher(mref, me).is_err() {
            self.inner.down(Down {
                monitor: mref,
                id: other.id(),
                reason: ExitReason::NoProc,
            });
        }
        mref
    }

    /// Removes the monitor `mref` (Erlang's `demonitor/1`). A `Down` for it
    /// that has already arrived stays in the mailbox; see
    /// [`demonitor_flush`](Ctx::demonitor_flush). Removing a monitor that
    /// has fired or was removed does nothing.
    pub fn demonitor(&self, mref: MonitorRef) {
        let target = self
            .inner
            .lock()
            .ext
            .as_mut()
            .and_then(|ext| ext.monitoring.remove(&mref));
        if let Some(target) = target {
            target.remove_watcher(mref);
        }
    }

    /// Removes the monitor `mref` and any `Down` for it already in the
    /// mailbox, so that this process never sees one (Erlang's
    /// `demonitor(Ref, [flush])`).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Down, Runtime};
    /// use std::time::Duration;
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let watcher = spawn(|mut ctx: Ctx<Down>| async move {
    ///         let worker = spawn(|_c: Ctx<()>| async {});
    ///         let mref = ctx.monitor(&worker);
    ///         worker.wait().await; // its Down is on the way, or here
    ///         ctx.demonitor_flush(mref);
    ///         assert_eq!(ctx.recv_timeout(Duration::from_millis(10)).await, None);
    ///     });
    ///     assert!(watcher.wait().await.is_normal());
    /// });
    /// ```
    pub fn demonitor_flush(&mut self, mref: MonitorRef) {
        self.demonitor(mref);
        let is_its_down = |item: &Item<M>| matches!(item, Item::Down(d) if d.0 == mref);
        let before = self.local.len();
        self.local.retain(|i| !is_its_down(i));
        let flushed_here = before - self.local.len();
        let mut st = self.inner.lock();
        st.queue.retain(|i| !is_its_down(i));
        if flushed_here > 0 {
            // Taken out of the local buffer: no longer holding room.
            if let Some(ext) = st.ext.as_mut() {
                ext.held = ext.held.saturating_sub(flushed_here);
            }
        }
    }

    /// Returns the process-local value of type `T`, creating it with `init`
    /// on first use (gevent's `local`). It is dropped when the process ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|mut ctx: Ctx<()>| async move {
    ///         *ctx.local(|| 0u32) += 1;
    ///         assert_eq!(*ctx.local(|| 0u32), 1);
    ///     });
    ///     assert!(pid.wait().await.is_normal());
    /// });
    /// ```
    pub fn local<T: Send + 'static>(&mut self, init: impl FnOnce() -> T) -> &mut T {
        let i = match self.locals.iter().position(|b| b.is::<T>()) {
            Some(i) => i,
            None => {
                self.locals.push(Box::new(init()));
                self.locals.len() - 1
            }
        };
        self.locals[i]
            .downcast_mut::<T>()
            .expect("the slot was chosen by its type")
    }
}

impl<M> Drop for Ctx<M> {
    fn drop(&mut self) {
        // Messages taken but not received go back to the mailbox, in order,
        // to die with the process when it ends (so that pending calls among
        // them fail with its exit reason).
        if !self.local.is_empty() {
            let mut st = self.inner.state.lock().unwrap_or_else(|p| p.into_inner());
            let n = self.local.len();
            if let Some(ext) = st.ext.as_mut() {
                ext.held = ext.held.saturating_sub(n);
            }
            while let Some(m) = self.local.pop_back() {
                st.queue.push_front(m);
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
