//! The context of a running process: its mailbox's receiving end, its
//! relations to other processes, and process-local storage.

use std::any::Any;
use std::future::{Future, poll_fn};
use std::sync::Arc;
use std::time::Duration;

use crate::handle::{Core, Watcher};
use crate::id::{MonitorRef, ProcessId};
use crate::mailbox::Inbox;
use crate::pid::{AnyPid, Pid};
use crate::process::{IntoExitReason, LocalProc, Shared};
use crate::runtime;
use crate::signal::{Down, Exit, ExitReason};
use crate::spawn::{Spawn, spawn_with};

/// The context of a running process: its mailbox and its relations to
/// other processes. Only the process's own body holds it.
///
/// Receiving is in [`recv`](Ctx::recv) and the selective forms beside it;
/// links, monitors and trapping exits are here too.
pub struct Ctx<M: 'static> {
    pub(crate) inner: Arc<dyn LocalProc<M>>,
    pub(crate) inbox: Inbox<M>,
    /// Process-local storage, dropped with the context; boxed, so that a
    /// process that keeps none holds one word for it.
    #[allow(clippy::box_collection)] // one word, not three, while unused
    locals: Option<Box<Vec<Box<dyn Any + Send>>>>,
}

impl<M: Send + 'static> Ctx<M> {
    pub(crate) fn new(inner: Arc<dyn LocalProc<M>>) -> Self {
        Ctx {
            inner,
            inbox: Inbox::new(),
            locals: None,
        }
    }

    pub(crate) fn shared(&self) -> &Shared<M> {
        self.inner.shared()
    }

    /// This process's pid.
    pub fn pid(&self) -> Pid<M> {
        Pid {
            inner: self.inner.clone(),
        }
    }

    /// This process's id.
    pub fn id(&self) -> ProcessId {
        self.shared().id
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
        if other.id() == self.id() {
            return;
        }
        // Erlang's link/1: nothing is done if the link exists (an exit
        // signal from the other side may be on its way).
        if let Ok(false) = self.inner.add_link(other.clone()) {
            return;
        }
        let me: Arc<dyn Core> = self.inner.clone();
        if other.add_link(me).is_err() {
            self.inner
                .exit_signal(other.id(), &ExitReason::NoProc, true);
        }
    }

    /// Removes the link with `other`, both ways.
    pub fn unlink(&self, other: impl Into<AnyPid>) {
        let other = other.into().core;
        self.shared().remove_link(other.id());
        other.remove_link(self.id());
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
        self.shared().lock().ext().trap = Some(M::from);
    }

    /// Stops trapping exits: exit signals end this process again.
    pub fn untrap_exit(&self) {
        if let Some(ext) = self.shared().lock().ext.as_mut() {
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
            let mut st = self.shared().lock();
            let ext = st.ext();
            ext.down = Some(M::from);
            ext.monitoring.insert(mref, other.clone());
        }
        let me: Arc<dyn Watcher> = self.inner.clone();
        if other.add_watcher(mref, me).is_err() {
            self.shared().down(Down {
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
            .shared()
            .lock()
            .ext
            .as_mut()
            .and_then(|ext| ext.monitoring.remove(mref));
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
        let shared = self.inner.shared();
        self.inbox.flush_down(shared, mref);
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
        let locals = self.locals.get_or_insert_with(Box::default);
        let i = match locals.iter().position(|b| b.is::<T>()) {
            Some(i) => i,
            None => {
                locals.push(Box::new(init()));
                locals.len() - 1
            }
        };
        locals[i]
            .downcast_mut::<T>()
            .expect("the slot was chosen by its type")
    }

    /// Receives the next message, waiting for one.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a message is taken only when the future completes.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let summer = spawn(|mut ctx: Ctx<u64>| async move {
    ///         let mut sum = 0;
    ///         loop {
    ///             match ctx.recv().await {
    ///                 0 => break assert_eq!(sum, 6),
    ///                 n => sum += n,
    ///             }
    ///         }
    ///     });
    ///     for n in [1, 2, 3, 0] {
    ///         summer.send(n).await.unwrap();
    ///     }
    ///     assert!(summer.wait().await.is_normal());
    /// });
    /// ```
    pub fn recv(&mut self) -> impl Future<Output = M> + '_ {
        // A plain future holding the context, one word: as an `async fn`
        // it took four, in the state of every process waiting in it.
        poll_fn(move |cx| self.inbox.poll_recv(self.inner.shared(), cx))
    }

    /// Takes the next message if one is queued, without waiting.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|mut ctx: Ctx<u8>| async move {
    ///         assert_eq!(ctx.try_recv(), None);
    ///         ctx.pid().send(5).await.unwrap();
    ///         assert_eq!(ctx.try_recv(), Some(5));
    ///     });
    ///     assert!(pid.wait().await.is_normal());
    /// });
    /// ```
    pub fn try_recv(&mut self) -> Option<M> {
        self.inbox.try_recv(self.inner.shared())
    }

    /// Receives the next message, or `None` after `timeout` (Erlang's
    /// `after`). Time is the runtime's: virtual on the deterministic runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    /// use std::time::Duration;
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|mut ctx: Ctx<()>| async move {
    ///         assert_eq!(ctx.recv_timeout(Duration::from_millis(5)).await, None);
    ///     });
    ///     assert!(pid.wait().await.is_normal());
    /// });
    /// ```
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Option<M> {
        crate::timer::timeout(timeout, self.recv()).await.ok()
    }

    /// Selective receive: takes the first queued message for which `pred`
    /// is true, waiting until one arrives. The messages it skips stay
    /// queued, in order, for later receives.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    ///
    /// #[derive(Debug, PartialEq)]
    /// enum Msg { Low(u8), High(u8) }
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let pid = spawn(|mut ctx: Ctx<Msg>| async move {
    ///         let first = ctx.recv_match(|m| matches!(m, Msg::High(_))).await;
    ///         assert_eq!(first, Msg::High(9));
    ///         assert_eq!(ctx.recv().await, Msg::Low(1));
    ///         assert_eq!(ctx.recv().await, Msg::Low(2));
    ///     });
    ///     for m in [Msg::Low(1), Msg::Low(2), Msg::High(9)] {
    ///         pid.send(m).await.unwrap();
    ///     }
    ///     assert!(pid.wait().await.is_normal());
    /// });
    /// ```
    pub async fn recv_match(&mut self, mut pred: impl FnMut(&M) -> bool) -> M {
        let mut scanned = 0;
        poll_fn(|cx| {
            self.inbox
                .poll_recv_match(self.inner.shared(), cx, &mut scanned, &mut pred)
        })
        .await
    }

    /// Selective receive with a timeout: the first matching message, or
    /// `None` after `timeout`; nothing is taken on a timeout.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn recv_match_timeout(
        &mut self,
        pred: impl FnMut(&M) -> bool,
        timeout: Duration,
    ) -> Option<M> {
        crate::timer::timeout(timeout, self.recv_match(pred))
            .await
            .ok()
    }

    /// How many messages wait in the mailbox, including those skipped by
    /// selective receives.
    pub fn queued(&self) -> usize {
        self.inbox.len() + self.shared().lock().queue.len()
    }
}

impl<M: 'static> Drop for Ctx<M> {
    fn drop(&mut self) {
        self.inbox.give_back(self.inner.shared());
    }
}
