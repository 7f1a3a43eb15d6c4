//! Spawning: the options of a new process and the one place that makes
//! processes.

use std::future::Future;
use std::sync::Arc;

use crate::ctx::Ctx;
use crate::handle::Core;
use crate::id::ProcessId;
use crate::observe::{Event, Stats};
use crate::pid::Pid;
use crate::process::{IntoExitReason, LocalProc, ProcessBody, Shared, State, current};
use crate::raw::Task;
use crate::runtime;
use crate::signal::ExitReason;

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
    label: Option<Arc<str>>,
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

    /// Labels the process for observers: the
    /// [observer](crate::observe)'s process table and supervision tree show
    /// it (a supervisor's children are labelled with their child id unless
    /// they have a label of their own). A label need not be unique; it is
    /// not a registered name.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{observe, Ctx, Runtime, Spawn};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = Spawn::new().label("cache").spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
    ///     let info = observe::Observed::current().process(pid.id()).unwrap();
    ///     assert_eq!(info.label.as_deref(), Some("cache"));
    ///     pid.kill();
    /// });
    /// ```
    pub fn label(mut self, label: impl Into<Arc<str>>) -> Self {
        self.label = Some(label.into());
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
            crate::raw::current().map(|t| t.core())
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
    let place = runtime::place();
    let id = ProcessId {
        node: place.node(),
        serial: place.next_serial(),
    };
    let mut state = State::new();
    if let Some(parent) = &link {
        state.ext().links.insert(parent.id(), parent.clone());
    }
    if opts.capacity.is_some() {
        state.ext();
    }
    if let Some(label) = &opts.label {
        state.ext().labels.label = Some(label.clone());
    }
    let parent = current();
    let capacity = opts.capacity.unwrap_or(u32::MAX);
    let shared = Shared::new(id, capacity, Stats::new(parent), state);
    // One allocation: the shared state and the body together. The body
    // needs its own context, which needs the task: the task is made
    // first and given its body before it is ever scheduled.
    let task = Task::new(shared, ProcessBody::<M, Fut>::new(), place.home());
    let proc: Arc<dyn LocalProc<M>> = task.clone();
    if let Some(parent) = link {
        if parent.add_link(proc.clone()).is_err() {
            // The parent is gone already: as Erlang's link to a dead
            // process, an exit signal with reason `noproc` at once.
            task.header
                .exit_signal(parent.id(), &ExitReason::NoProc, true);
        }
    }
    let ctx = Ctx::new(proc.clone());
    task.init(|b| b.fill(body(ctx)));
    runtime::trace_spawn(id, parent);
    tracing::trace!(pid = %id, "spawn");
    let core: std::sync::Weak<dyn Core> = Arc::downgrade(&task) as _;
    place.start(task, id, core, &proc.shared().key, opts.system, || {
        Event::Spawned {
            id,
            parent,
            label: opts.label,
            at: runtime::now(),
        }
    });
    Pid { inner: proc }
}
