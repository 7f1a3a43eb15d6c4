//! Request/reply (`call`), the reply handle, and the other operations on a
//! [`Pid`]: waiting for it, stopping it.

use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use crate::error::{CallError, SendError};
use crate::handle::{Core, Watcher};
use crate::id::{MonitorRef, NodeId, ProcessId};
use crate::observe::WaitMark;
use crate::pid::{AnyPid, Pid};
use crate::process::Proc;
use crate::runtime;
use crate::signal::{Down, ExitReason};

struct Slot<R> {
    state: Mutex<SlotState<R>>,
}

struct SlotState<R> {
    result: Option<Result<R, CallError>>,
    waker: Option<Waker>,
    /// The caller stopped waiting (timeout or cancellation).
    closed: bool,
}

impl<R> Slot<R> {
    fn new() -> Arc<Self> {
        Arc::new(Slot {
            state: Mutex::new(SlotState {
                result: None,
                waker: None,
                closed: false,
            }),
        })
    }

    /// Stores the outcome unless one is there already; gives `value` back
    /// if the caller has gone.
    fn complete(&self, value: Result<R, CallError>) -> Result<(), Result<R, CallError>> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if st.closed || st.result.is_some() {
            return Err(value);
        }
        st.result = Some(value);
        if let Some(w) = st.waker.take() {
            w.wake();
        }
        Ok(())
    }
}

impl<R: Send> Watcher for Slot<R> {
    fn down(&self, down: Down) {
        let _ = self.complete(Err(CallError::Exited(down.reason)));
    }
}

/// The handle a callee uses to answer a [`call`](Pid::call). It can be used
/// once; dropping it without replying fails the call at once with
/// [`CallError::NoReply`].
pub struct Reply<R> {
    slot: Option<Arc<Slot<R>>>,
    /// Type-erases the slot, to fail the call if this is dropped (a plain
    /// function made where `R: Send + 'static` is known).
    erase: fn(Arc<Slot<R>>) -> Arc<dyn Fail>,
}

fn erase<R: Send + 'static>(slot: Arc<Slot<R>>) -> Arc<dyn Fail> {
    slot
}

trait Fail: Send + Sync {
    fn fail(&self, err: CallError);
}

impl<R: Send> Fail for Slot<R> {
    fn fail(&self, err: CallError) {
        let _ = self.complete(Err(err));
    }
}

impl<R> std::fmt::Debug for Reply<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reply(..)")
    }
}

impl<R> Reply<R> {
    /// Answers the call.
    ///
    /// # Errors
    ///
    /// The value is given back if the caller is no longer waiting (it
    /// timed out or was cancelled).
    pub fn send(mut self, value: R) -> Result<(), SendError<R>> {
        let slot = self.slot.take().expect("a reply is sent once");
        slot.complete(Ok(value)).map_err(|v| match v {
            Ok(v) => SendError(v),
            Err(_) => unreachable!("only Ok values are sent back here"),
        })
    }
}

impl<R> Drop for Reply<R> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            // Dropped as the callee dies: the call fails with its reason.
            let fail = (self.erase)(slot);
            crate::process::at_poll_end(move |dying| {
                fail.fail(match dying {
                    Some(reason) => CallError::Exited(reason.clone()),
                    None => CallError::NoReply,
                });
            });
        }
    }
}

/// Removes the call's monitor and closes its slot however the call ends.
struct CallGuard<'a, R> {
    callee: &'a dyn Core,
    mref: MonitorRef,
    slot: &'a Slot<R>,
}

impl<R> Drop for CallGuard<'_, R> {
    fn drop(&mut self) {
        self.callee.remove_watcher(self.mref);
        self.slot
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .closed = true;
    }
}

/// Tells a late [`Reply`] that its caller has stopped waiting.
struct Closed<'a, R>(&'a Slot<R>);

impl<R> Drop for Closed<'_, R> {
    fn drop(&mut self) {
        self.0
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .closed = true;
    }
}

impl<M: Send + 'static> Pid<M> {
    /// Whether the process is still running.
    pub fn is_alive(&self) -> bool {
        self.inner.shared().is_alive()
    }

    /// Request/reply: builds a message around a fresh [`Reply`] handle,
    /// sends it, and waits for the answer.
    ///
    /// A callee that ends before replying fails the call at once with its
    /// exit reason rather than at the timeout: the reply handle, in its
    /// mailbox or its state, dies with it and says why. (If the callee has
    /// handed the handle on to another process, the call waits for that one.)
    /// This costs nothing per call: no monitor is set up.
    ///
    /// # Errors
    ///
    /// [`CallError::Timeout`] after `timeout` (never with
    /// [`INFINITY`](crate::INFINITY), which arms no timer); [`CallError::Exited`] if the
    /// callee ends first (or was gone: [`ExitReason::NoProc`]);
    /// [`CallError::NoReply`] if it drops the handle without replying.
    ///
    /// # Cancel safety
    ///
    /// If cancelled the request may still be handled; its reply is then
    /// discarded.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, CallError, Ctx, ExitReason, Reply, Runtime};
    /// use std::time::Duration;
    ///
    /// enum Msg { Double(u64, Reply<u64>), Crash }
    ///
    /// Runtime::tokio_current_thread().block_on(async {
    ///     let server = spawn(|mut ctx: Ctx<Msg>| async move {
    ///         loop {
    ///             match ctx.recv().await {
    ///                 Msg::Double(n, reply) => { let _ = reply.send(2 * n); }
    ///                 Msg::Crash => return ExitReason::other("crashed"),
    ///             }
    ///         }
    ///     });
    ///     let t = Duration::from_secs(1);
    ///     assert_eq!(server.call(|r| Msg::Double(21, r), t).await, Ok(42));
    ///     server.send(Msg::Crash).await.unwrap();
    ///     let err = server.call(|r| Msg::Double(1, r), t).await.unwrap_err();
    ///     assert!(matches!(err, CallError::Exited(_)));
    /// });
    /// ```
    pub async fn call<R: Send + 'static>(
        &self,
        make: impl FnOnce(Reply<R>) -> M,
        timeout: Duration,
    ) -> Result<R, CallError> {
        let slot = Slot::<R>::new();
        let _closed = Closed(&slot);
        let msg = make(Reply {
            slot: Some(slot.clone()),
            erase: erase::<R>,
        });
        let exchange = async {
            if self.send(msg).await.is_err() {
                return Err(CallError::Exited(ExitReason::NoProc));
            }
            let mut mark = WaitMark::new();
            poll_fn(|cx| {
                let mut st = slot.state.lock().unwrap_or_else(|p| p.into_inner());
                match st.result.take() {
                    Some(r) => Poll::Ready(r),
                    None => {
                        mark.set(self.id(), false);
                        st.waker = Some(cx.waker().clone());
                        runtime::waiting_on("call reply");
                        Poll::Pending
                    }
                }
            })
            .await
        };
        if timeout == crate::timer::INFINITY {
            // No deadline: no timer to arm, and no wrapper to poll through.
            return exchange.await;
        }
        crate::timer::timeout(timeout, exchange)
            .await
            .unwrap_or(Err(CallError::Timeout))
    }

    /// Waits until the process has ended and returns its exit reason
    /// (gevent's `join`). Returns at once for a process that has ended.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait(&self) -> ExitReason {
        wait_core(self.core()).await
    }

    /// Sends an exit signal with `reason`, from the calling process (Erlang's
    /// `exit/2`). A process that traps exits receives it as a message;
    /// otherwise a reason other than normal ends it, at its next `.await`.
    pub fn exit(&self, reason: ExitReason) {
        exit_core(self.core(), reason);
    }

    /// Kills the process: an exit signal that cannot be trapped. It ends
    /// with [`ExitReason::Killed`] at its next `.await` (killing is
    /// cooperative: a body that never awaits cannot be stopped). Its state
    /// is dropped, so `Drop` releases what it held.
    pub fn kill(&self) {
        self.inner.kill();
    }

    fn core(&self) -> &dyn Core {
        &*self.inner
    }
}

fn exit_core(core: &dyn Core, reason: ExitReason) {
    let from = crate::process::current().unwrap_or(ProcessId {
        node: NodeId::LOCAL,
        serial: 0,
    });
    core.exit_signal(from, &reason, false);
}

async fn wait_core(core: &dyn Core) -> ExitReason {
    let slot = Slot::<()>::new();
    let mref = runtime::next_ref();
    let watcher: Arc<dyn Watcher> = slot.clone();
    if core.add_watcher(mref, watcher).is_err() {
        return core.final_reason().unwrap_or(ExitReason::NoProc);
    }
    let _guard = CallGuard {
        callee: core,
        mref,
        slot: &slot,
    };
    poll_fn(|cx| {
        let mut st = slot.state.lock().unwrap_or_else(|p| p.into_inner());
        match st.result.take() {
            Some(Err(CallError::Exited(reason))) => Poll::Ready(reason),
            Some(_) => unreachable!("a wait slot only receives Down"),
            None => {
                st.waker = Some(cx.waker().clone());
                runtime::waiting_on("wait for exit");
                Poll::Pending
            }
        }
    })
    .await
}

impl AnyPid {
    /// The process's id.
    pub fn id(&self) -> ProcessId {
        self.core.id()
    }

    /// Whether the process is still running.
    pub fn is_alive(&self) -> bool {
        self.core.is_alive()
    }

    /// Waits until the process has ended; see [`Pid::wait`].
    pub async fn wait(&self) -> ExitReason {
        wait_core(&*self.core).await
    }

    /// Sends an exit signal; see [`Pid::exit`].
    pub fn exit(&self, reason: ExitReason) {
        exit_core(&*self.core, reason);
    }

    /// Kills the process; see [`Pid::kill`].
    pub fn kill(&self) {
        self.core.kill();
    }

    /// The typed pid, if the process accepts messages of type `M`.
    pub fn downcast<M: Send + 'static>(&self) -> Option<Pid<M>> {
        let mut typed: Option<Arc<dyn Proc<M>>> = None;
        self.core.clone().downcast_into(&mut typed);
        typed.map(|inner| Pid { inner })
    }
}
