//! Supervisors: processes that start children, watch them, and restart
//! them by a strategy, within a restart intensity.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::call::Reply;
use crate::ctx::Ctx;
use crate::error::{CallError, StartError};
use crate::id::ProcessId;
use crate::observe::Event;
use crate::pid::{AnyPid, Pid};
use crate::process::current;
use crate::signal::{Exit, ExitReason};
use crate::spawn::Spawn;

/// Which children a supervisor restarts when one of them ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Strategy {
    /// Only the child that ended.
    OneForOne,
    /// Every child: the others are stopped (in reverse order), then all are
    /// started again in order.
    OneForAll,
    /// The child that ended and those started after it.
    RestForOne,
}

/// When a child is restarted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Restart {
    /// Always.
    Permanent,
    /// Only when it ends abnormally (not `normal` or `shutdown`); one that
    /// ended cleanly keeps its place and starts again with its siblings
    /// under `OneForAll` and `RestForOne`, as in OTP.
    Transient,
    /// Never; the child is forgotten when it ends.
    Temporary,
}

/// How a child is stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shutdown {
    /// Killed at once.
    BrutalKill,
    /// Sent a `shutdown` exit signal, then killed if it has not ended
    /// within the time.
    Timeout(Duration),
    /// Sent a `shutdown` exit signal and waited for, however long it takes
    /// (for children that are supervisors).
    Infinity,
}

type StartFn = Arc<dyn Fn() -> BoxFuture<'static, Result<AnyPid, StartError>> + Send + Sync>;

/// How to start one child, and how to treat it.
///
/// The start function runs inside the supervisor's process. It should
/// spawn the child linked to the supervisor at once, with
/// [`Spawn::link`] (OTP's `spawn_link`), so that nothing the child does
/// can go unseen; a child spawned without a link is linked by the
/// supervisor when the start function returns. A child that has already
/// ended abnormally by then is a start failure with its own exit reason
/// ([`StartError::Failed`]); one that has already ended `normal` did its
/// work, and is handled as a child that ended (its restart type decides).
///
/// # Examples
///
/// ```
/// use actor_core::{AnyPid, ChildSpec, Ctx, Restart, Shutdown, Spawn};
/// use std::time::Duration;
///
/// let spec = ChildSpec::new("worker", || async {
///     let child = Spawn::new().link().spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
///     Ok(AnyPid::from(child))
/// })
/// .restart(Restart::Transient)
/// .shutdown(Shutdown::Timeout(Duration::from_secs(1)));
/// assert_eq!(spec.id(), "worker");
/// ```
#[derive(Clone)]
pub struct ChildSpec {
    id: Arc<str>,
    start: StartFn,
    restart: Restart,
    shutdown: Shutdown,
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .finish()
    }
}

impl ChildSpec {
    /// A permanent child named `id`, started by `start`, stopped with a
    /// 5-second shutdown timeout.
    pub fn new<F, Fut>(id: impl Into<String>, start: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<AnyPid, StartError>> + Send + 'static,
    {
        ChildSpec {
            id: Arc::from(id.into()),
            start: Arc::new(move || Box::pin(start())),
            restart: Restart::Permanent,
            shutdown: Shutdown::Timeout(Duration::from_secs(5)),
        }
    }

    /// Sets the restart type.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets how the child is stopped.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// The child's id within its supervisor.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The messages a supervisor handles. Use the methods on
/// `Pid<SupervisorMsg>` ([`start_child`](Pid::start_child),
/// [`terminate_child`](Pid::terminate_child),
/// [`which_children`](Pid::which_children)) rather than building them.
pub struct SupervisorMsg(Req);

enum Req {
    Exit(Exit),
    StartChild(ChildSpec, Reply<Result<AnyPid, StartError>>),
    TerminateChild(String, Reply<bool>),
    RestartChild(String, Reply<Result<AnyPid, StartError>>),
    WhichChildren(Reply<Vec<(String, AnyPid)>>),
}

impl From<Exit> for SupervisorMsg {
    fn from(e: Exit) -> Self {
        SupervisorMsg(Req::Exit(e))
    }
}

impl fmt::Debug for SupervisorMsg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Req::Exit(_) => "SupervisorMsg::Exit",
            Req::StartChild(..) => "SupervisorMsg::StartChild",
            Req::TerminateChild(..) => "SupervisorMsg::TerminateChild",
            Req::RestartChild(..) => "SupervisorMsg::RestartChild",
            Req::WhichChildren(_) => "SupervisorMsg::WhichChildren",
        })
    }
}

/// A supervisor, to be configured and then [`start`](Supervisor::start)ed.
///
/// Children start in order and stop in reverse order. If children restart
/// more than `max_restarts` times within `within`, the supervisor stops
/// them all and exits with reason [`shutdown`](ExitReason::Shutdown), as
/// OTP's does (the tracing event says `reached_max_restart_intensity`), so
/// that its own supervisor applies its restart type: a
/// [`Transient`](Restart::Transient) child supervisor that gave up stays
/// down, a [`Permanent`](Restart::Permanent) one is started again.
/// Supervisors nest: use [`child_spec`](Supervisor::child_spec).
///
/// [`start`](Supervisor::start) links the supervisor to the process that
/// starts it (OTP's `start_link`): when that process ends, for any reason,
/// the supervisor stops its children in reverse order and ends with the
/// same reason, so nothing is left orphaned; and if the supervisor gives
/// up, the link takes its starter down unless it traps exits. A top-level
/// supervisor that should outlive the code that starts it is started with
/// [`start_unlinked`](Supervisor::start_unlinked). A supervisor stops, too,
/// on an abnormal exit signal sent to it with [`Pid::exit`] (from outside
/// any process, or from a process that is not one of its children).
///
/// A restarted child is a new process. Whoever monitors the old one gets
/// its `Down` from the old process, and messages from the new one come from
/// a different sender, so they may arrive before that `Down` (Erlang gives
/// the same guarantee: order holds per sender only).
///
/// A supervisor with no children is valid (children can be added with
/// [`start_child`](Pid::start_child)); [`Supervisor::dynamic`] is that.
///
/// # Examples
///
/// ```
/// use actor_core::{spawn, AnyPid, ChildSpec, Ctx, Runtime, Strategy, Supervisor};
/// use std::time::Duration;
///
/// Runtime::tokio().block_on(async {
///     let sup = Supervisor::new(Strategy::OneForOne)
///         .child(ChildSpec::new("worker", || async {
///             Ok(AnyPid::from(spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await })))
///         }))
///         .start()
///         .await
///         .unwrap();
///     let first = sup.which_children().await.unwrap()[0].1.clone();
///     first.kill();
///     first.wait().await;
///     // The supervisor restarts it: a new process under the same id.
///     let second = loop {
///         let now = sup.which_children().await.unwrap()[0].1.clone();
///         if now != first { break now; }
///         actor_core::yield_now().await;
///     };
///     assert!(second.is_alive());
/// });
/// ```
#[derive(Clone, Debug)]
pub struct Supervisor {
    strategy: Strategy,
    max_restarts: u32,
    within: Duration,
    children: Vec<ChildSpec>,
}

impl Supervisor {
    /// A supervisor with `strategy`, no children yet, and OTP's default
    /// intensity of 1 restart in 5 seconds... raised to 3, which suits more
    /// programs.
    pub fn new(strategy: Strategy) -> Self {
        Supervisor {
            strategy,
            max_restarts: 3,
            within: Duration::from_secs(5),
            children: Vec::new(),
        }
    }

    /// A dynamic supervisor: one-for-one, children added at run time with
    /// [`start_child`](Pid::start_child).
    pub fn dynamic() -> Self {
        Self::new(Strategy::OneForOne)
    }

    /// At most `max_restarts` restarts within `within`.
    pub fn intensity(mut self, max_restarts: u32, within: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.within = within;
        self
    }

    /// Adds a child, started after those added before it.
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
        self
    }

    /// This supervisor as the child of another: `Shutdown::Infinity`, so
    /// that it has all the time it needs to stop its own children. It is
    /// started with [`start`](Supervisor::start), inside the parent
    /// supervisor, so it is linked to it from the start.
    pub fn child_spec(self, id: impl Into<String>) -> ChildSpec {
        ChildSpec::new(id, move || {
            let sup = self.clone();
            async move { sup.start().await.map(AnyPid::from) }
        })
        .shutdown(Shutdown::Infinity)
    }

    /// Starts the supervisor and its children, in order; returns once all
    /// have started. Called from inside a process, the supervisor is
    /// linked to that process from the moment it exists (OTP's
    /// `start_link`): the supervisor is its starter's, and ends with it.
    /// Called from outside any process (the future given to
    /// [`Runtime::block_on`](crate::Runtime::block_on)), there is no one
    /// to link to and this is [`start_unlinked`](Supervisor::start_unlinked).
    ///
    /// If a child fails to start, the supervisor stops the ones started
    /// before it, ends (`normal`, so that the link does not take the
    /// starter down too) and this returns the child's error.
    ///
    /// # Errors
    ///
    /// [`StartError`] of the first child that failed to start, or
    /// [`StartError::DuplicateChild`] if two children share an id.
    ///
    /// # Panics
    ///
    /// Outside a runtime, as [`spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, ExitReason, Runtime, Supervisor};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let (tx, rx) = tokio::sync::oneshot::channel();
    ///     let owner = spawn(move |mut ctx: Ctx<()>| async move {
    ///         let sup = Supervisor::dynamic().start().await.unwrap();
    ///         let _ = tx.send(sup);
    ///         ctx.recv().await
    ///     });
    ///     let sup = rx.await.unwrap();
    ///     owner.kill();
    ///     // The supervisor ends with its owner.
    ///     assert_eq!(sup.wait().await, ExitReason::Killed);
    /// });
    /// ```
    pub async fn start(self) -> Result<Pid<SupervisorMsg>, StartError> {
        self.start_with(true).await
    }

    /// Starts a top-level supervisor, linked to no one (OTP's
    /// `supervisor:start`): it outlives the process that starts it, and
    /// runs until it is stopped ([`Pid::exit`], [`Pid::kill`]) or gives
    /// up. Otherwise as [`start`](Supervisor::start).
    ///
    /// # Errors
    ///
    /// As [`start`](Supervisor::start).
    ///
    /// # Panics
    ///
    /// Outside a runtime, as [`spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, ExitReason, Runtime, Supervisor};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let (tx, rx) = tokio::sync::oneshot::channel();
    ///     let starter = spawn(move |_: Ctx<()>| async move {
    ///         let _ = tx.send(Supervisor::dynamic().start_unlinked().await.unwrap());
    ///         ExitReason::other("starter crashed")
    ///     });
    ///     let sup = rx.await.unwrap();
    ///     starter.wait().await;
    ///     assert!(sup.is_alive(), "it outlives its starter");
    ///     sup.exit(ExitReason::Shutdown);
    ///     assert_eq!(sup.wait().await, ExitReason::Shutdown);
    /// });
    /// ```
    pub async fn start_unlinked(self) -> Result<Pid<SupervisorMsg>, StartError> {
        self.start_with(false).await
    }

    async fn start_with(self, link: bool) -> Result<Pid<SupervisorMsg>, StartError> {
        let mut ids = HashSet::new();
        for c in &self.children {
            if !ids.insert(&*c.id) {
                return Err(StartError::DuplicateChild(c.id.to_string()));
            }
        }
        let (parent, spawn) = match current() {
            Some(starter) if link => (Some(starter), Spawn::new().system().link()),
            _ => (None, Spawn::new().system()),
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let pid = spawn.spawn(move |ctx: Ctx<SupervisorMsg>| run(self, parent, ctx, tx));
        match rx.await {
            Ok(Ok(())) => Ok(pid),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StartError::Failed(pid.wait().await)),
        }
    }
}

struct Child {
    spec: ChildSpec,
    pid: AnyPid,
    /// How many times it has been restarted.
    restarts: u32,
    /// False for a child that ended and was not restarted (a transient one
    /// that ended cleanly): it keeps its place, as in OTP, and starts again
    /// when a sibling's exit restarts it with others, or by hand.
    running: bool,
}

/// The running children in start order, indexed by pid and by id so that
/// a supervisor of many children handles an exit without a scan.
#[derive(Default)]
struct Children {
    list: Vec<Child>,
    by_pid: HashMap<ProcessId, usize>,
    ids: HashSet<Arc<str>>,
}

impl Children {
    fn len(&self) -> usize {
        self.list.len()
    }

    fn push(&mut self, child: Child) {
        self.by_pid.insert(child.pid.id(), self.list.len());
        self.ids.insert(child.spec.id.clone());
        self.list.push(child);
    }

    fn has_id(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    fn position_of_pid(&self, pid: ProcessId) -> Option<usize> {
        self.by_pid.get(&pid).copied()
    }

    fn position_of_id(&self, id: &str) -> Option<usize> {
        if !self.has_id(id) {
            return None;
        }
        self.list.iter().position(|c| &*c.spec.id == id)
    }

    /// The child at `i` runs as `pid` now, after a restart.
    fn restarted(&mut self, i: usize, pid: AnyPid) {
        self.by_pid.remove(&self.list[i].pid.id());
        self.by_pid.insert(pid.id(), i);
        self.list[i].pid = pid;
        self.list[i].running = true;
    }

    fn remove(&mut self, i: usize) -> Child {
        let child = self.list.remove(i);
        self.by_pid.remove(&child.pid.id());
        self.ids.remove(&child.spec.id);
        for (k, c) in self.list.iter().enumerate().skip(i) {
            self.by_pid.insert(c.pid.id(), k);
        }
        child
    }

    fn pop(&mut self) -> Option<Child> {
        let i = self.list.len().checked_sub(1)?;
        Some(self.remove(i))
    }
}

struct State {
    sup: Supervisor,
    parent: Option<ProcessId>,
    children: Children,
    restarts: VecDeque<Duration>,
    /// Exits of children that ended `normal` before their start function
    /// returned (their signals already taken from the mailbox): handled
    /// before the next message.
    ended: VecDeque<Exit>,
}

async fn run(
    sup: Supervisor,
    parent: Option<ProcessId>,
    mut ctx: Ctx<SupervisorMsg>,
    started: tokio::sync::oneshot::Sender<Result<(), StartError>>,
) -> ExitReason {
    ctx.trap_exit();
    let specs = sup.children.clone();
    let mut st = State {
        sup,
        parent,
        children: Children::default(),
        restarts: VecDeque::new(),
        ended: VecDeque::new(),
    };
    for spec in specs {
        match start_one(&mut ctx, &spec, 0, &mut st.ended).await {
            Ok(pid) => st.children.push(Child {
                spec,
                pid,
                restarts: 0,
                running: true,
            }),
            Err(e) => {
                st.stop_all(&mut ctx).await;
                tracing::warn!(sup = %ctx.id(), child = %spec.id, error = %e, "supervisor failed to start");
                // The starter learns why from `start`; a `normal` end keeps
                // the link from killing it as well.
                let _ = started.send(Err(e));
                return ExitReason::Normal;
            }
        }
    }
    let _ = started.send(Ok(()));
    tracing::debug!(sup = %ctx.id(), children = st.children.len(), "supervisor started");
    loop {
        let req = match st.ended.pop_front() {
            Some(exit) => Req::Exit(exit),
            None => ctx.recv().await.0,
        };
        match req {
            Req::Exit(exit) => {
                if let Some(reason) = st.on_exit(&mut ctx, exit).await {
                    st.stop_all(&mut ctx).await;
                    return reason;
                }
            }
            Req::StartChild(spec, reply) => {
                let result = if st.children.has_id(&spec.id) {
                    Err(StartError::DuplicateChild(spec.id.to_string()))
                } else {
                    start_one(&mut ctx, &spec, 0, &mut st.ended)
                        .await
                        .inspect(|pid| {
                            st.children.push(Child {
                                spec,
                                pid: pid.clone(),
                                restarts: 0,
                                running: true,
                            })
                        })
                };
                let _ = reply.send(result);
            }
            Req::RestartChild(id, reply) => {
                let result = match st.children.position_of_id(&id) {
                    Some(i) => st.restart_by_hand(&mut ctx, i).await,
                    None => Err(StartError::NoChild(id)),
                };
                let _ = reply.send(result);
            }
            Req::TerminateChild(id, reply) => {
                let found = match st.children.position_of_id(&id) {
                    Some(i) => {
                        let child = st.children.remove(i);
                        stop_one(&mut ctx, &child, &mut st.ended).await;
                        true
                    }
                    None => false,
                };
                let _ = reply.send(found);
            }
            Req::WhichChildren(reply) => {
                let list = st
                    .children
                    .list
                    .iter()
                    .filter(|c| c.running)
                    .map(|c| (c.spec.id.to_string(), c.pid.clone()))
                    .collect();
                let _ = reply.send(list);
            }
        }
    }
}

/// Starts a child and links it. A child that ended `normal` before its
/// start function returned is started, its exit queued in `ended`.
async fn start_one(
    ctx: &mut Ctx<SupervisorMsg>,
    spec: &ChildSpec,
    restarts: u32,
    ended: &mut VecDeque<Exit>,
) -> Result<AnyPid, StartError> {
    let pid = (spec.start)().await?;
    // Linked already if spawned with `Spawn::link`; else linked now.
    ctx.link(pid.clone());
    pid.core.set_child(&spec.id, restarts);
    if pid.is_alive() {
        // Alive once linked: its end, whenever it comes, is one exit
        // signal, handled as a child's.
        tracing::debug!(sup = %ctx.id(), child = %spec.id, pid = %pid.id(), "child started");
        return Ok(pid);
    }
    // It ended before its start function returned.
    let reason = pid.core.final_reason().unwrap_or(ExitReason::NoProc);
    consume_exits(ctx, pid.id()).await;
    if reason.is_normal() {
        // It did its work: handled as a child that ended.
        tracing::debug!(sup = %ctx.id(), child = %spec.id, pid = %pid.id(), "child started and ended");
        ended.push_back(Exit {
            from: pid.id(),
            reason,
        });
        return Ok(pid);
    }
    tracing::warn!(sup = %ctx.id(), child = %spec.id, pid = %pid.id(), %reason, "child ended before it started");
    Err(StartError::Failed(reason))
}

/// Takes from the mailbox the exit signals of `id`, a child that ended
/// before its start function returned, so that none is later taken for a
/// child's or a stranger's: those already queued (its own along the link,
/// and the `noproc` of linking to it when it had ended), or else the one on
/// its way along the link that still stands.
///
/// Exact once [`Ctx::link`] does nothing for a process it is linked to
/// already (Erlang's `link/1`). Until then, on tokio's multi-thread
/// runtime, a child spawned linked that ended an instant before the start
/// function returned can have its exit signal still on its way when the
/// link's `noproc` is taken here; it then arrives as a stranger's.
async fn consume_exits(ctx: &mut Ctx<SupervisorMsg>, id: ProcessId) {
    let is_its_exit = |m: &SupervisorMsg| matches!(&m.0, Req::Exit(e) if e.from == id);
    let mut taken = false;
    while ctx
        .recv_match_timeout(is_its_exit, Duration::ZERO)
        .await
        .is_some()
    {
        taken = true;
    }
    if !taken {
        ctx.recv_match(is_its_exit).await;
    }
}

/// Stops one child as its spec says and consumes its exit signal (or its
/// exit in `ended`, for a child that ended as it started).
async fn stop_one(ctx: &mut Ctx<SupervisorMsg>, child: &Child, ended: &mut VecDeque<Exit>) {
    if !child.running {
        return;
    }
    let id = child.pid.id();
    if let Some(i) = ended.iter().position(|e| e.from == id) {
        ended.remove(i);
        return;
    }
    let is_its_exit = |m: &SupervisorMsg| matches!(&m.0, Req::Exit(e) if e.from == id);
    match child.spec.shutdown {
        Shutdown::BrutalKill => child.pid.kill(),
        Shutdown::Timeout(t) => {
            child.pid.exit(ExitReason::Shutdown);
            if ctx.recv_match_timeout(is_its_exit, t).await.is_some() {
                return;
            }
            tracing::debug!(sup = %ctx.id(), child = %child.spec.id, "shutdown timed out; killing");
            child.pid.kill();
        }
        Shutdown::Infinity => child.pid.exit(ExitReason::Shutdown),
    }
    ctx.recv_match(is_its_exit).await;
}

impl State {
    /// Handles an exit signal; `Some(reason)` if the supervisor must stop.
    async fn on_exit(&mut self, ctx: &mut Ctx<SupervisorMsg>, exit: Exit) -> Option<ExitReason> {
        let Some(i) = self.children.position_of_pid(exit.from) else {
            // Not a child: the parent, or someone who linked to us, asking
            // us to stop (a normal exit of a non-parent is ignored).
            if Some(exit.from) == self.parent || !exit.reason.is_normal() {
                return Some(exit.reason);
            }
            return None;
        };
        let restart = match self.children.list[i].spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !exit.reason.is_clean(),
            Restart::Temporary => false,
        };
        tracing::debug!(sup = %ctx.id(), child = %self.children.list[i].spec.id, reason = %exit.reason, restart, "child exited");
        if !restart {
            if self.children.list[i].spec.restart == Restart::Temporary {
                self.children.remove(i);
            } else {
                self.children.list[i].running = false;
            }
            return None;
        }
        // The children to restart: [i] alone, all, or [i..].
        let range = match self.sup.strategy {
            Strategy::OneForOne => i..i + 1,
            Strategy::OneForAll => 0..self.children.len(),
            Strategy::RestForOne => i..self.children.len(),
        };
        let mut i = i;
        for j in range.clone().rev() {
            if j != i {
                stop_one(ctx, &self.children.list[j], &mut self.ended).await;
                // As in OTP, a temporary child stopped because a sibling
                // died is not restarted: it leaves the supervisor.
                if self.children.list[j].spec.restart == Restart::Temporary {
                    self.children.remove(j);
                    if j < i {
                        i -= 1;
                    }
                }
            }
        }
        let range = range.start.min(i)..self.children.len().min(range.end);
        let end = range.end;
        // One restart per exit, however many children it restarts (as in
        // OTP); a child that fails to start again counts as another.
        let mut exceeded = self.intensity_exceeded();
        for j in range {
            loop {
                if exceeded {
                    let (sup, max_restarts, within) =
                        (ctx.id(), self.sup.max_restarts, self.sup.within);
                    crate::runtime::emit(|| Event::IntensityReached {
                        supervisor: sup,
                        max_restarts,
                        within,
                        at: crate::timer::now(),
                    });
                    tracing::error!(
                        sup = %ctx.id(),
                        reason = "reached_max_restart_intensity",
                        max_restarts = self.sup.max_restarts,
                        within = ?self.sup.within,
                        "supervisor gives up and shuts down"
                    );
                    // Children j..end are stopped already (or, for j, never
                    // restarted); stop_all stops the others, last first.
                    for _ in j..end {
                        self.children.remove(j);
                    }
                    // OTP's reason: its own supervisor applies the restart
                    // type (a transient supervisor that gave up stays down).
                    return Some(ExitReason::Shutdown);
                }
                let restarts = self.children.list[j].restarts + 1;
                let spec = &self.children.list[j].spec;
                match start_one(ctx, spec, restarts, &mut self.ended).await {
                    Ok(pid) => {
                        tracing::info!(sup = %ctx.id(), child = %spec.id, pid = %pid.id(), "child restarted");
                        self.restarted(ctx, j, pid);
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(sup = %ctx.id(), child = %self.children.list[j].spec.id, error = %e, "restart failed");
                        exceeded = self.intensity_exceeded();
                    }
                }
            }
        }
        None
    }

    /// Notes that child `i` runs as `pid` after a restart, and tells the
    /// runtime's listeners.
    fn restarted(&mut self, ctx: &Ctx<SupervisorMsg>, i: usize, pid: AnyPid) {
        let child = &mut self.children.list[i];
        child.restarts += 1;
        let (old, new) = (child.pid.id(), pid.id());
        let (child_id, restarts) = (child.spec.id.clone(), child.restarts);
        crate::runtime::emit(|| Event::Restarted {
            supervisor: ctx.id(),
            child_id,
            old,
            new,
            restarts,
            at: crate::timer::now(),
        });
        self.children.restarted(i, pid);
    }

    /// Stops child `i` as its spec says and starts it again, asked to from
    /// outside ([`Pid::restart_child`]): not a failure, so it does not
    /// count towards the restart intensity.
    async fn restart_by_hand(
        &mut self,
        ctx: &mut Ctx<SupervisorMsg>,
        i: usize,
    ) -> Result<AnyPid, StartError> {
        stop_one(ctx, &self.children.list[i], &mut self.ended).await;
        let restarts = self.children.list[i].restarts + 1;
        let spec = self.children.list[i].spec.clone();
        match start_one(ctx, &spec, restarts, &mut self.ended).await {
            Ok(pid) => {
                tracing::info!(sup = %ctx.id(), child = %spec.id, pid = %pid.id(), "child restarted on request");
                self.restarted(ctx, i, pid.clone());
                Ok(pid)
            }
            Err(e) => {
                self.children.remove(i);
                Err(e)
            }
        }
    }

    fn intensity_exceeded(&mut self) -> bool {
        let now = crate::timer::now();
        self.restarts.push_back(now);
        while let Some(&t) = self.restarts.front() {
            if now.saturating_sub(t) >= self.sup.within {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        self.restarts.len() > self.sup.max_restarts as usize
    }

    async fn stop_all(&mut self, ctx: &mut Ctx<SupervisorMsg>) {
        while let Some(child) = self.children.pop() {
            stop_one(ctx, &child, &mut self.ended).await;
        }
    }
}

const CALL_TIMEOUT: Duration = Duration::from_secs(60);

impl Pid<SupervisorMsg> {
    /// Starts a child under this supervisor (any strategy; the way to grow a
    /// [`Supervisor::dynamic`]).
    ///
    /// # Errors
    ///
    /// The child's [`StartError`], [`StartError::DuplicateChild`], or
    /// [`StartError::NoSupervisor`] if the supervisor has ended.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<AnyPid, StartError> {
        self.call(|r| SupervisorMsg(Req::StartChild(spec, r)), CALL_TIMEOUT)
            .await
            .unwrap_or(Err(StartError::NoSupervisor))
    }

    /// Stops the child with this id and forgets it; `false` if there is none.
    ///
    /// # Errors
    ///
    /// [`CallError`] if the supervisor does not answer.
    pub async fn terminate_child(&self, id: &str) -> Result<bool, CallError> {
        let id = id.to_string();
        self.call(|r| SupervisorMsg(Req::TerminateChild(id, r)), CALL_TIMEOUT)
            .await
    }

    /// Stops the child with this id as its spec says and starts it again
    /// under the same id (OTP's `terminate_child` then `restart_child`),
    /// whatever its restart type; returns the new process. A restart asked
    /// for this way is not a failure: it counts in the child's restarts
    /// but not towards the supervisor's restart intensity. If the child
    /// fails to start again, the supervisor forgets it and returns why.
    ///
    /// # Errors
    ///
    /// [`StartError::NoChild`] if there is no child with this id, the
    /// child's [`StartError`] if it fails to start again, or
    /// [`StartError::NoSupervisor`] if the supervisor has ended.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{AnyPid, ChildSpec, Ctx, Runtime, Spawn, StartError, Strategy, Supervisor};
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
    ///     let before = sup.which_children().await.unwrap()[0].1.clone();
    ///     let after = sup.restart_child("worker").await.unwrap();
    ///     assert_ne!(before, after);
    ///     assert!(!before.is_alive() && after.is_alive());
    ///     assert_eq!(sup.restart_child("nobody").await, Err(StartError::NoChild("nobody".into())));
    ///     sup.kill();
    /// });
    /// ```
    pub async fn restart_child(&self, id: &str) -> Result<AnyPid, StartError> {
        let id = id.to_string();
        self.call(|r| SupervisorMsg(Req::RestartChild(id, r)), CALL_TIMEOUT)
            .await
            .unwrap_or(Err(StartError::NoSupervisor))
    }

    /// The running children, in start order: their ids and pids (a
    /// transient child that ended cleanly keeps its place in the
    /// supervisor but is not listed until it runs again).
    ///
    /// # Errors
    ///
    /// [`CallError`] if the supervisor does not answer.
    pub async fn which_children(&self) -> Result<Vec<(String, AnyPid)>, CallError> {
        self.call(|r| SupervisorMsg(Req::WhichChildren(r)), CALL_TIMEOUT)
            .await
    }
}
