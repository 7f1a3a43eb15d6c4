//! Request/reply (`call`), the reply handle, and the other operations on a
//! [`Pid`]: waiting for it, stopping it.

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{CallError, SendError};
use crate::handle::{Core, Watcher};
use crate::id::{MonitorRef, NodeId, ProcessId};
use crate::observe::WaitMark;
use crate::pid::{AnyPid, Pid};
use crate::process::Proc;
use crate::raw::{Oneshot, spare};
use crate::remote::{self, CallRef, Endpoint, RemoteCall, RemoteError};
use crate::runtime;
use crate::signal::{Down, ExitReason};

/// Where a call's outcome arrives: a lock-free one-value slot, shared by
/// the caller and the reply handle.
struct Slot<R> {
    outcome: Oneshot<Result<R, CallError>>,
    /// The reply handle went to another node: its answer comes from there.
    exported: AtomicBool,
}

impl<R: Send + 'static> Slot<R> {
    /// A fresh slot: this thread's spare one if it is of this type, else
    /// a new one. A caller that calls in a loop reuses one slot instead of
    /// allocating and freeing one per call (with mimalloc, a block freed
    /// and allocated again at once takes its slow path: about 150 of the
    /// 2,000 instructions of a call).
    fn new() -> Arc<Self> {
        spare::take().unwrap_or_else(|| {
            Arc::new(Slot {
                outcome: Oneshot::new(),
                exported: AtomicBool::new(false),
            })
        })
    }

    /// The call is over: the slot becomes this thread's spare, made new,
    /// if no one else holds it any more (else it is dropped by the last).
    fn recycle(mut this: Arc<Self>) {
        if let Some(slot) = Arc::get_mut(&mut this) {
            slot.outcome = Oneshot::new();
            *slot.exported.get_mut() = false;
            spare::put(this);
        }
    }
}

impl<R> Slot<R> {
    /// Stores the outcome unless one is there already; gives `value` back
    /// if the caller has gone.
    fn complete(&self, value: Result<R, CallError>) -> Result<(), Result<R, CallError>> {
        self.outcome.send(value)
    }

    /// Waits for the outcome (the caller's side).
    fn poll_outcome(
        &self,
        cx: &mut std::task::Context<'_>,
        waiting_on: &'static str,
    ) -> Poll<Result<R, CallError>> {
        let polled = self.outcome.poll_recv(cx);
        if polled.is_pending() {
            runtime::waiting_on(waiting_on);
        }
        polled
    }
}

impl<R: Send> Watcher for Slot<R> {
    fn down(&self, down: Down) {
        let _ = self.complete(Err(CallError::Exited(down.reason)));
    }
}

/// Fails a call whose reply handle was dropped (type-erased, so that the
/// handle's destructor needs no bounds).
trait Fail: Send + Sync {
    fn fail(&self, err: CallError);
}

impl<R: Send> Fail for Slot<R> {
    fn fail(&self, err: CallError) {
        let _ = self.complete(Err(err));
    }
}

fn erase<R: Send + 'static>(slot: Arc<Slot<R>>) -> Arc<dyn Fail> {
    slot
}

impl<R> RemoteCall for Slot<R>
where
    R: DeserializeOwned + Send,
{
    fn complete(&self, endpoint: &Endpoint, result: Result<&[u8], CallError>) {
        let outcome = result.and_then(|bytes| {
            remote::decode_reply::<R>(endpoint, endpoint.node(), bytes)
                .map_err(|e| CallError::Unsendable(RemoteError::Encode(e)))
        });
        let _ = Slot::complete(self, outcome);
    }
}

/// A call made from another node: the answer goes back over the wire.
struct RemoteAnswer {
    endpoint: Endpoint,
    call: CallRef,
}

impl Fail for RemoteAnswer {
    fn fail(&self, err: CallError) {
        self.endpoint.transport().reply(self.call, Err(err));
    }
}

enum ReplyTo<R> {
    /// A call of this node's, and how to fail it if the handle is dropped.
    Local(Arc<Slot<R>>, fn(Arc<Slot<R>>) -> Arc<dyn Fail>),
    /// A call from another node.
    Remote(
        Arc<RemoteAnswer>,
        fn(&Endpoint, NodeId, &R) -> Result<Vec<u8>, RemoteError>,
    ),
}

/// The handle a callee uses to answer a [`call`](Pid::call). It can be used
/// once; dropping it without replying fails the call at once with
/// [`CallError::NoReply`] (or, if the callee is ending, with its exit
/// reason).
///
/// A reply handle can travel inside a message to another node (when `R`
/// can be serialized): the answer then goes back over the wire.
pub struct Reply<R> {
    to: Option<ReplyTo<R>>,
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
    /// timed out or was cancelled). An answer to another node is handed to
    /// the transport (a value that cannot be encoded fails the call there
    /// with [`CallError::Unsendable`]).
    pub fn send(mut self, value: R) -> Result<(), SendError<R>> {
        match self.to.take().expect("a reply is sent once") {
            ReplyTo::Local(slot, _) => slot.complete(Ok(value)).map_err(|v| match v {
                Ok(v) => SendError(v),
                Err(_) => unreachable!("only Ok values are sent back here"),
            }),
            ReplyTo::Remote(answer, encode) => {
                let reply = encode(&answer.endpoint, answer.call.node, &value)
                    .map_err(CallError::Unsendable);
                answer.endpoint.transport().reply(answer.call, reply);
                Ok(())
            }
        }
    }
}

impl<R> Drop for Reply<R> {
    fn drop(&mut self) {
        let fail = match self.to.take() {
            None => return,
            Some(ReplyTo::Local(slot, erase)) => {
                if slot.exported.load(Ordering::Acquire) {
                    return; // it left for another node, which answers
                }
                erase(slot)
            }
            Some(ReplyTo::Remote(answer, _)) => answer,
        };
        // Dropped as the callee dies: the call fails with its reason.
        crate::process::at_poll_end(move |dying| {
            fail.fail(match dying {
                Some(reason) => CallError::Exited(reason.clone()),
                None => CallError::NoReply,
            });
        });
    }
}

impl<R: Serialize + DeserializeOwned + Send + 'static> Serialize for Reply<R> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let call = match &self.to {
            None => return Err(S::Error::custom("a reply handle is used once")),
            Some(ReplyTo::Local(slot, _)) => {
                let weak: std::sync::Weak<dyn RemoteCall> = Arc::downgrade(slot) as _;
                let call = remote::export_call(weak).ok_or_else(|| {
                    S::Error::custom("a Reply is written only through a remote::Endpoint")
                })?;
                slot.exported.store(true, Ordering::Release);
                call
            }
            // Forwarded on: the answer still goes to the caller's node.
            Some(ReplyTo::Remote(answer, _)) => answer.call,
        };
        call.serialize(s)
    }
}

impl<'de, R: Serialize + DeserializeOwned + Send + 'static> Deserialize<'de> for Reply<R> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let call = CallRef::deserialize(d)?;
        let endpoint = remote::decoding_endpoint().ok_or_else(|| {
            D::Error::custom("a Reply is read back only through a remote::Endpoint")
        })?;
        Ok(Reply {
            to: Some(ReplyTo::Remote(
                Arc::new(RemoteAnswer { endpoint, call }),
                remote::encode_reply::<R>,
            )),
        })
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
        self.slot.outcome.close();
    }
}

/// Tells a late [`Reply`] that its caller has stopped waiting.
struct Closed<'a, R>(&'a Slot<R>);

impl<R> Drop for Closed<'_, R> {
    fn drop(&mut self) {
        self.0.outcome.close();
    }
}

impl<M: Send + 'static> Pid<M> {
    /// Whether the process is still running.
    pub fn is_alive(&self) -> bool {
        self.inner.is_alive()
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
    /// callee ends first (or was gone: [`ExitReason::NoProc`]; on a node
    /// known to be lost: [`ExitReason::NoConnection`]);
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
        let outcome = self.call_with(&slot, make, timeout).await;
        Slot::recycle(slot);
        outcome
    }

    async fn call_with<R: Send + 'static>(
        &self,
        slot: &Arc<Slot<R>>,
        make: impl FnOnce(Reply<R>) -> M,
        timeout: Duration,
    ) -> Result<R, CallError> {
        let _closed = Closed(slot);
        let msg = make(Reply {
            to: Some(ReplyTo::Local(slot.clone(), erase::<R>)),
        });
        let exchange = async {
            if self.send(msg).await.is_err() {
                // A process of a node known to be lost fails the call as
                // one in flight when the node was lost: `noconnection`.
                let reason = match self.inner.local() {
                    None => self.core().final_reason(),
                    Some(_) => None,
                };
                return Err(CallError::Exited(reason.unwrap_or(ExitReason::NoProc)));
            }
            let mut mark = WaitMark::new();
            poll_fn(|cx| {
                let outcome = slot.poll_outcome(cx, "call reply");
                if outcome.is_pending() {
                    mark.set(self.id(), false);
                }
                outcome
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
    let reason = wait_with(core, &slot).await;
    Slot::recycle(slot);
    reason
}

async fn wait_with(core: &dyn Core, slot: &Arc<Slot<()>>) -> ExitReason {
    let mref = runtime::next_ref();
    let watcher: Arc<dyn Watcher> = slot.clone();
    if core.add_watcher(mref, watcher).is_err() {
        return core.final_reason().unwrap_or(ExitReason::NoProc);
    }
    let _guard = CallGuard {
        callee: core,
        mref,
        slot,
    };
    poll_fn(|cx| {
        slot.poll_outcome(cx, "wait for exit")
            .map(|outcome| match outcome {
                Err(CallError::Exited(reason)) => reason,
                _ => unreachable!("a wait slot only receives Down"),
            })
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
