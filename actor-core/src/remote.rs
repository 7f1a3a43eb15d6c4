//! The seam between processes and a transport to other nodes.
//!
//! A transport (the `actor-net` crate, over NATS) implements [`Transport`]
//! and makes an [`Endpoint`] with it: the node's end of the wire. From then
//! on, a [`Pid`](crate::Pid) or a [`Reply`](crate::Reply) inside a message that the
//! endpoint encodes travels as plain data, and comes out on the other node
//! as a pid of the same type whose methods reach back over the transport:
//! `send`, `call`, `link`, `monitor`, `exit`, `kill`, `wait`. Nothing here
//! opens a connection; without a transport nothing changes.
//!
//! Messages are encoded with postcard (serde), into the target's own
//! message type: when a local `Pid<M>` first leaves the node, the endpoint
//! keeps a decoder for `M` under that process, so no global type registry
//! is needed.
//!
//! Delivery across nodes is at most once, in order per pair of processes
//! (the transport keeps one ordered stream per destination node), as in
//! Erlang.
//!
//! # Examples
//!
//! Two endpoints joined by a transport that hands frames straight to the
//! other one, in one program:
//!
//! ```
//! use actor_core::remote::{CallRef, Endpoint, Signal, Transport};
//! use actor_core::{spawn, CallError, Ctx, NodeId, Pid, ProcessId, Reply, Runtime};
//! use serde::{Deserialize, Serialize};
//! use std::sync::{Arc, OnceLock};
//! use std::time::Duration;
//!
//! /// Hands every frame to the other endpoint at once.
//! #[derive(Default)]
//! struct Wire(OnceLock<Endpoint>);
//!
//! impl Transport for Wire {
//!     fn send(&self, to: ProcessId, from: Option<ProcessId>, payload: Vec<u8>) {
//!         let _ = self.0.get().unwrap().deliver(to, from, &payload);
//!     }
//!     fn signal(&self, to: ProcessId, signal: Signal) {
//!         self.0.get().unwrap().apply(to, signal);
//!     }
//!     fn reply(&self, call: CallRef, result: Result<Vec<u8>, CallError>) {
//!         self.0.get().unwrap().complete_call(call, result.as_deref().map_err(Clone::clone));
//!     }
//!     fn max_payload(&self) -> usize {
//!         1 << 20
//!     }
//! }
//!
//! #[derive(Serialize, Deserialize)]
//! enum Msg {
//!     Double(u32, Reply<u32>),
//! }
//!
//! Runtime::tokio().block_on(async {
//!     let (to_b, to_a) = (Arc::new(Wire::default()), Arc::new(Wire::default()));
//!     let a = Endpoint::new(NodeId(1), to_b.clone());
//!     let b = Endpoint::new(NodeId(2), to_a.clone());
//!     to_b.0.set(b.clone()).ok();
//!     to_a.0.set(a.clone()).ok();
//!
//!     let doubler = spawn(|mut ctx: Ctx<Msg>| async move {
//!         let Msg::Double(n, reply) = ctx.recv().await;
//!         let _ = reply.send(2 * n);
//!     });
//!     // The pid leaves node 1 and comes out on node 2 as a remote pid.
//!     let bytes = a.encode(NodeId(2), &doubler).unwrap();
//!     let remote: Pid<Msg> = b.decode(&bytes).unwrap();
//!     assert_eq!(remote.id(), ProcessId { node: NodeId(1), serial: doubler.id().serial });
//!     let answer = remote.call(|r| Msg::Double(21, r), Duration::from_secs(5)).await;
//!     assert_eq!(answer, Ok(42));
//! });
//! ```

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{CallError, RegistryError};
use crate::handle::{Core, Watcher};
use crate::id::{MonitorRef, NodeId, ProcessId};
use crate::process::Proc;
use crate::signal::{Down, ExitReason};

/// The wire to other nodes, as `actor-net` implements it. Every method
/// must return at once: queue, never wait for the network. Frames to one
/// node leave in the order they are given.
pub trait Transport: Send + Sync + 'static {
    /// An encoded message for process `to` on another node, sent by
    /// process `from` (or by code outside any process).
    fn send(&self, to: ProcessId, from: Option<ProcessId>, payload: Vec<u8>);
    /// A signal for process `to` on another node.
    fn signal(&self, to: ProcessId, signal: Signal);
    /// The answer to a call made from another node.
    fn reply(&self, call: CallRef, result: Result<Vec<u8>, CallError>);
    /// The largest payload the wire carries; larger messages are refused
    /// with [`RemoteError::TooLarge`].
    fn max_payload(&self) -> usize;
}

/// A signal between a process on this node and one on another: what links,
/// monitors, exit signals and kills become on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Signal {
    /// `from` linked to the target.
    Link {
        /// The other end of the link.
        from: ProcessId,
    },
    /// `from` removed its link to the target.
    Unlink {
        /// The other end of the link.
        from: ProcessId,
    },
    /// An exit signal from `from`; `linked` when it travels along a link.
    Exit {
        /// The process the signal comes from.
        from: ProcessId,
        /// Its reason.
        reason: ExitReason,
        /// Whether it travels along a link.
        linked: bool,
    },
    /// The untrappable kill.
    Kill {
        /// Who kills.
        from: ProcessId,
    },
    /// `from` monitors the target under `mref` (a reference of `from`'s
    /// node).
    Monitor {
        /// The watcher.
        from: ProcessId,
        /// The watcher's reference.
        mref: MonitorRef,
    },
    /// `from` removed its monitor `mref`.
    Demonitor {
        /// The watcher.
        from: ProcessId,
        /// The watcher's reference.
        mref: MonitorRef,
    },
    /// The monitored process `id` ended with `reason`; for the watcher of
    /// `mref`.
    Down {
        /// The watcher's reference.
        mref: MonitorRef,
        /// The process that ended.
        id: ProcessId,
        /// Why.
        reason: ExitReason,
    },
}

/// Names a call waiting on a caller's node for its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CallRef {
    /// The caller's node.
    pub node: NodeId,
    /// The call, on that node.
    pub id: u64,
}

/// Why a message could not leave this node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RemoteError {
    /// The encoded message is larger than the transport carries.
    TooLarge {
        /// Its encoded size.
        size: usize,
        /// What the transport carries.
        max: usize,
    },
    /// The message could not be encoded.
    Encode(String),
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteError::TooLarge { size, max } => {
                write!(
                    f,
                    "the message is {size} bytes encoded; the transport carries {max}"
                )
            }
            RemoteError::Encode(e) => write!(f, "the message could not be encoded: {e}"),
        }
    }
}
impl std::error::Error for RemoteError {}

/// Why an incoming message was not delivered: the transport counts and
/// logs it, and goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliverError {
    /// No process of this node by that id has ever left it, or it has
    /// ended.
    NoProcess(ProcessId),
    /// The payload is not a message of the target's type.
    Decode {
        /// The target.
        to: ProcessId,
        /// The target's message type.
        message_type: &'static str,
        /// What the decoder said.
        error: String,
    },
    /// The target's bounded mailbox is full (a remote send never waits).
    Full(ProcessId),
}

impl fmt::Display for DeliverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeliverError::NoProcess(id) => write!(f, "no process {id} on this node"),
            DeliverError::Decode {
                to,
                message_type,
                error,
            } => write!(f, "not a {message_type} for {to}: {error}"),
            DeliverError::Full(id) => write!(f, "the mailbox of {id} is full"),
        }
    }
}
impl std::error::Error for DeliverError {}

type Decode =
    Arc<dyn Fn(&Endpoint, Option<ProcessId>, &[u8]) -> Result<(), DeliverError> + Send + Sync>;

/// A local process known to other nodes.
struct Export {
    core: Weak<dyn Core>,
    /// How to decode a message for it, once a typed pid of it has left.
    decode: Option<Decode>,
}

/// A call of ours whose reply will come from another node.
pub(crate) trait RemoteCall: Send + Sync {
    fn complete(&self, endpoint: &Endpoint, result: Result<&[u8], CallError>);
}

/// A link between a local process and a remote one.
type CrossLink = (Weak<dyn Core>, ProcessId);

#[derive(Default)]
struct Tables {
    exports: HashMap<u64, Export>,
    /// Exports after the last sweep of dead ones.
    swept_at: usize,
    proxies: HashMap<(ProcessId, TypeId), Weak<dyn Any + Send + Sync>>,
    calls: HashMap<u64, (NodeId, Weak<dyn RemoteCall>)>,
    /// Links between local processes and remote ones, by remote node.
    links: HashMap<NodeId, Vec<CrossLink>>,
    /// Monitors of ours on remote processes: the watcher, the target.
    watching: HashMap<MonitorRef, (Arc<dyn Watcher>, ProcessId)>,
    /// Monitors of remote processes on ours: (watcher, its reference) to
    /// the local reference and the target.
    watched: HashMap<(ProcessId, MonitorRef), (MonitorRef, Weak<dyn Core>)>,
    down: Vec<NodeId>,
}

struct Inner {
    node: NodeId,
    transport: Arc<dyn Transport>,
    tables: Mutex<Tables>,
    next_call: AtomicU64,
}

/// This node's end of a transport: what encodes pids and replies on the
/// way out, and applies messages, signals and replies on the way in.
/// Cheap to clone.
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<Inner>,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({:?})", self.inner.node)
    }
}

thread_local! {
    /// The endpoint encoding (with the destination node) or decoding (with
    /// the source node) on this thread.
    static CODEC: RefCell<Option<(Endpoint, NodeId)>> = const { RefCell::new(None) };
}

/// Runs `f` with `endpoint` as the thread's codec context.
fn with_codec<R>(endpoint: &Endpoint, peer: NodeId, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<(Endpoint, NodeId)>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CODEC.with(|c| *c.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(CODEC.with(|c| c.borrow_mut().replace((endpoint.clone(), peer))));
    f()
}

fn codec() -> Option<(Endpoint, NodeId)> {
    CODEC.with(|c| c.borrow().clone())
}

impl Endpoint {
    /// This node's end of `transport`, as node `node`.
    pub fn new(node: NodeId, transport: Arc<dyn Transport>) -> Endpoint {
        Endpoint {
            inner: Arc::new(Inner {
                node,
                transport,
                tables: Mutex::default(),
                next_call: AtomicU64::new(1),
            }),
        }
    }

    /// This node.
    pub fn node(&self) -> NodeId {
        self.inner.node
    }

    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.inner.tables.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Encodes `value` for node `to`: pids in it are exported (local ones)
    /// and written with their node; replies in it are registered as calls
    /// waiting for an answer from `to`.
    ///
    /// # Errors
    ///
    /// [`RemoteError::Encode`] if serde fails, [`RemoteError::TooLarge`]
    /// above the transport's maximum payload.
    pub fn encode<T: Serialize + ?Sized>(
        &self,
        to: NodeId,
        value: &T,
    ) -> Result<Vec<u8>, RemoteError> {
        let bytes = with_codec(self, to, || postcard::to_allocvec(value))
            .map_err(|e| RemoteError::Encode(e.to_string()))?;
        let max = self.inner.transport.max_payload();
        if bytes.len() > max {
            return Err(RemoteError::TooLarge {
                size: bytes.len(),
                max,
            });
        }
        Ok(bytes)
    }

    /// Decodes a value that another node's endpoint encoded: pids in it
    /// become local pids (for this node's processes) or remote ones.
    ///
    /// # Errors
    ///
    /// The decoder's message if the bytes are not a `T`.
    pub fn decode<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, String> {
        with_codec(self, self.node(), || postcard::from_bytes(bytes)).map_err(|e| e.to_string())
    }

    /// Delivers an incoming message to local process `to`, decoded into its
    /// own message type.
    ///
    /// # Errors
    ///
    /// [`DeliverError`]: an unknown or ended target, a payload of another
    /// type, a full bounded mailbox. Nothing is delivered then.
    pub fn deliver(
        &self,
        to: ProcessId,
        from: Option<ProcessId>,
        payload: &[u8],
    ) -> Result<(), DeliverError> {
        let decode = self
            .tables()
            .exports
            .get(&to.serial)
            .and_then(|e| e.decode.clone());
        match decode {
            Some(decode) => decode(self, from, payload),
            None => Err(DeliverError::NoProcess(local_id(to.serial))),
        }
    }

    /// Applies a signal from a remote process to local process `to`.
    /// Signals for a process that is gone answer as Erlang does: a link
    /// gets an exit signal `noproc` back, a monitor a `Down` with `noproc`.
    pub fn apply(&self, to: ProcessId, signal: Signal) {
        let core = self.local(to);
        match signal {
            Signal::Link { from } => {
                let linked = core.as_ref().is_some_and(|c| {
                    let remote = self.remote_core(from);
                    c.add_link(remote).is_ok()
                });
                if linked {
                    let core = core.expect("linked to a live process");
                    self.note_link(&core, from);
                } else {
                    self.inner.transport.signal(
                        from,
                        Signal::Exit {
                            from: self.wire_id(to),
                            reason: ExitReason::NoProc,
                            linked: true,
                        },
                    );
                }
            }
            Signal::Unlink { from } => {
                if let Some(c) = core {
                    c.remove_link(from);
                    self.forget_link(c.id(), from);
                }
            }
            Signal::Exit {
                from,
                reason,
                linked,
            } => {
                if let Some(c) = core {
                    if linked {
                        self.forget_link(c.id(), from);
                    }
                    c.exit_signal(from, &reason, linked);
                }
            }
            Signal::Kill { .. } => {
                if let Some(c) = core {
                    c.kill();
                }
            }
            Signal::Monitor { from, mref } => {
                let local_ref = crate::runtime::next_ref();
                let watcher: Arc<dyn Watcher> = Arc::new(RemoteWatcher {
                    endpoint: self.clone(),
                    watcher: from,
                    mref,
                });
                let added = core
                    .as_ref()
                    .is_some_and(|c| c.add_watcher(local_ref, watcher).is_ok());
                if added {
                    let weak = Arc::downgrade(core.as_ref().expect("a live process"));
                    self.tables()
                        .watched
                        .insert((from, mref), (local_ref, weak));
                } else {
                    self.inner.transport.signal(
                        from,
                        Signal::Down {
                            mref,
                            id: self.wire_id(to),
                            reason: ExitReason::NoProc,
                        },
                    );
                }
            }
            Signal::Demonitor { from, mref } => {
                let entry = self.tables().watched.remove(&(from, mref));
                if let Some((local_ref, core)) = entry {
                    if let Some(c) = core.upgrade() {
                        c.remove_watcher(local_ref);
                    }
                }
            }
            Signal::Down { mref, id, reason } => {
                let entry = self.tables().watching.remove(&mref);
                if let Some((watcher, _)) = entry {
                    watcher.down(Down {
                        monitor: mref,
                        id,
                        reason,
                    });
                }
            }
        }
    }

    /// Completes a call of this node's with the answer from the callee's
    /// node.
    pub fn complete_call(&self, call: CallRef, result: Result<&[u8], CallError>) {
        let entry = self.tables().calls.remove(&call.id);
        if let Some(call) = entry.and_then(|(_, c)| c.upgrade()) {
            call.complete(self, result);
        }
    }

    /// Node `node` is lost: every local process linked to a process there
    /// gets an exit signal `noconnection`, every monitor of one fires with
    /// `noconnection`, every call waiting for an answer from there fails
    /// with it. Pids of that node's processes stay dead from now on.
    pub fn node_down(&self, node: NodeId) {
        let (links, watching, calls) = {
            let mut t = self.tables();
            if !t.down.contains(&node) {
                t.down.push(node);
            }
            let links = t.links.remove(&node).unwrap_or_default();
            // In monitor and call order, not the hash maps' (the order
            // the processes hear of it decides what they do next).
            let mut refs: Vec<MonitorRef> = t
                .watching
                .iter()
                .filter(|(_, (_, target))| target.node == node)
                .map(|(r, _)| *r)
                .collect();
            refs.sort_unstable();
            let watching: Vec<_> = refs
                .into_iter()
                .filter_map(|r| t.watching.remove(&r).map(|w| (r, w)))
                .collect();
            let mut ids: Vec<u64> = t
                .calls
                .iter()
                .filter(|(_, (n, _))| *n == node)
                .map(|(id, _)| *id)
                .collect();
            ids.sort_unstable();
            let calls: Vec<_> = ids
                .into_iter()
                .filter_map(|id| t.calls.remove(&id))
                .collect();
            t.watched.retain(|(watcher, _), _| watcher.node != node);
            (links, watching, calls)
        };
        for (local, remote) in links {
            if let Some(c) = local.upgrade() {
                c.exit_signal(remote, &ExitReason::NoConnection, true);
            }
        }
        for (mref, (watcher, id)) in watching {
            watcher.down(Down {
                monitor: mref,
                id,
                reason: ExitReason::NoConnection,
            });
        }
        for (_, call) in calls {
            if let Some(call) = call.upgrade() {
                call.complete(self, Err(CallError::Exited(ExitReason::NoConnection)));
            }
        }
    }

    /// Node `node` is reachable again (pids of its new incarnation are
    /// another node id; this only clears the mark of one thought lost).
    pub fn node_up(&self, node: NodeId) {
        self.tables().down.retain(|n| *n != node);
    }

    /// Whether `node` was declared lost.
    pub fn is_down(&self, node: NodeId) -> bool {
        self.tables().down.contains(&node)
    }

    /// The id a local process has on the wire.
    fn wire_id(&self, id: ProcessId) -> ProcessId {
        if id.node == NodeId::LOCAL {
            ProcessId {
                node: self.node(),
                serial: id.serial,
            }
        } else {
            id
        }
    }

    /// A local process by its id on the wire, if it has left the node and
    /// is alive.
    fn local(&self, id: ProcessId) -> Option<Arc<dyn Core>> {
        let core = self.tables().exports.get(&id.serial)?.core.upgrade()?;
        core.is_alive().then_some(core)
    }

    /// Makes a local process known to other nodes (its signals can reach
    /// it), with a decoder for its messages if given.
    fn export(&self, core: &Arc<dyn Core>, decode: Option<Decode>) {
        let mut t = self.tables();
        let serial = core.id().serial;
        match t.exports.get_mut(&serial) {
            Some(e) => {
                if e.decode.is_none() {
                    e.decode = decode;
                }
            }
            None => {
                t.exports.insert(
                    serial,
                    Export {
                        core: Arc::downgrade(core),
                        decode,
                    },
                );
                // Forget ended processes, amortised: when the table has
                // doubled since the last sweep.
                if t.exports.len() > 2 * t.swept_at.max(512) {
                    t.exports
                        .retain(|_, e| e.core.upgrade().is_some_and(|c| c.is_alive()));
                    t.swept_at = t.exports.len();
                    t.proxies.retain(|_, p| p.strong_count() > 0);
                    t.calls.retain(|_, (_, c)| c.strong_count() > 0);
                }
            }
        }
    }

    fn note_link(&self, local: &Arc<dyn Core>, remote: ProcessId) {
        self.export(local, None);
        self.tables()
            .links
            .entry(remote.node)
            .or_default()
            .push((Arc::downgrade(local), remote));
    }

    fn forget_link(&self, local: ProcessId, remote: ProcessId) {
        if let Some(list) = self.tables().links.get_mut(&remote.node) {
            list.retain(|(l, r)| !(*r == remote && l.upgrade().is_none_or(|c| c.id() == local)));
        }
    }

    /// A remote process, for links and monitors (its message type unknown).
    fn remote_core(&self, id: ProcessId) -> Arc<dyn Core> {
        Arc::new(RemoteCore {
            id,
            endpoint: self.clone(),
        })
    }

    /// The typed remote pid of `id`, one per id and type while in use.
    fn proxy<M>(&self, id: ProcessId) -> Arc<dyn Proc<M>>
    where
        M: Serialize + DeserializeOwned + Send + 'static,
    {
        let key = (id, TypeId::of::<M>());
        let mut t = self.tables();
        if let Some(p) = t.proxies.get(&key).and_then(Weak::upgrade) {
            if let Ok(p) = p.downcast::<RemotePid<M>>() {
                return p;
            }
        }
        let p = Arc::new(RemotePid::<M> {
            core: RemoteCore {
                id,
                endpoint: self.clone(),
            },
            _m: std::marker::PhantomData,
        });
        let weak: Weak<dyn Any + Send + Sync> =
            Arc::downgrade(&(p.clone() as Arc<dyn Any + Send + Sync>));
        t.proxies.insert(key, weak);
        p
    }

    /// Registers a call whose reply will come from node `to`.
    fn register_call(&self, to: NodeId, call: Weak<dyn RemoteCall>) -> CallRef {
        let id = self.inner.next_call.fetch_add(1, Ordering::Relaxed);
        self.tables().calls.insert(id, (to, call));
        CallRef {
            node: self.node(),
            id,
        }
    }

    pub(crate) fn transport(&self) -> &dyn Transport {
        &*self.inner.transport
    }
}

fn local_id(serial: u64) -> ProcessId {
    ProcessId {
        node: NodeId::LOCAL,
        serial,
    }
}

/// A remote process's watcher of a local one: its `Down` goes back over
/// the wire.
struct RemoteWatcher {
    endpoint: Endpoint,
    watcher: ProcessId,
    mref: MonitorRef,
}

impl Watcher for RemoteWatcher {
    fn down(&self, down: Down) {
        self.endpoint
            .tables()
            .watched
            .remove(&(self.watcher, self.mref));
        self.endpoint.inner.transport.signal(
            self.watcher,
            Signal::Down {
                mref: self.mref,
                id: self.endpoint.wire_id(down.id),
                reason: down.reason,
            },
        );
    }
}

/// A process on another node, as links and monitors see it.
struct RemoteCore {
    id: ProcessId,
    endpoint: Endpoint,
}

impl Watcher for RemoteCore {
    fn down(&self, _down: Down) {}
}

impl Core for RemoteCore {
    fn id(&self) -> ProcessId {
        self.id
    }
    fn is_alive(&self) -> bool {
        !self.endpoint.is_down(self.id.node)
    }
    fn final_reason(&self) -> Option<ExitReason> {
        self.endpoint
            .is_down(self.id.node)
            .then_some(ExitReason::NoConnection)
    }
    fn exit_signal(&self, from: ProcessId, reason: &ExitReason, linked: bool) {
        let from = self.endpoint.wire_id(from);
        if linked {
            self.endpoint.forget_link(from, self.id);
        }
        self.endpoint.transport().signal(
            self.id,
            Signal::Exit {
                from,
                reason: reason.clone(),
                linked,
            },
        );
    }
    fn kill(&self) {
        let from = self
            .endpoint
            .wire_id(crate::process::current().unwrap_or(local_id(0)));
        self.endpoint
            .transport()
            .signal(self.id, Signal::Kill { from });
    }
    fn add_link(&self, other: Arc<dyn Core>) -> Result<bool, ()> {
        if self.endpoint.is_down(self.id.node) {
            return Err(());
        }
        let from = self.endpoint.wire_id(other.id());
        self.endpoint.note_link(&other, self.id);
        self.endpoint
            .transport()
            .signal(self.id, Signal::Link { from });
        Ok(true)
    }
    fn remove_link(&self, other: ProcessId) {
        self.endpoint.forget_link(other, self.id);
        let from = self.endpoint.wire_id(other);
        self.endpoint
            .transport()
            .signal(self.id, Signal::Unlink { from });
    }
    fn add_watcher(&self, mref: MonitorRef, w: Arc<dyn Watcher>) -> Result<(), ()> {
        if self.endpoint.is_down(self.id.node) {
            return Err(());
        }
        let from = self
            .endpoint
            .wire_id(crate::process::current().unwrap_or(local_id(0)));
        self.endpoint.tables().watching.insert(mref, (w, self.id));
        self.endpoint
            .transport()
            .signal(self.id, Signal::Monitor { from, mref });
        Ok(())
    }
    fn remove_watcher(&self, mref: MonitorRef) {
        let entry = self.endpoint.tables().watching.remove(&mref);
        drop(entry);
        let from = self
            .endpoint
            .wire_id(crate::process::current().unwrap_or(local_id(0)));
        self.endpoint
            .transport()
            .signal(self.id, Signal::Demonitor { from, mref });
    }
    fn add_name(&self, _name: Arc<str>) -> Result<(), RegistryError> {
        Err(RegistryError::NotLocal)
    }
    fn remove_name(&self, _name: &str) {}
    fn downcast_into(self: Arc<Self>, _out: &mut dyn Any) {}
    fn abort(&self) {}
}

/// A typed pid of a process on another node.
struct RemotePid<M> {
    core: RemoteCore,
    _m: std::marker::PhantomData<fn(M)>,
}

impl<M> Watcher for RemotePid<M> {
    fn down(&self, _down: Down) {}
}

impl<M: Serialize + DeserializeOwned + Send + 'static> Core for RemotePid<M> {
    fn id(&self) -> ProcessId {
        self.core.id
    }
    fn is_alive(&self) -> bool {
        self.core.is_alive()
    }
    fn final_reason(&self) -> Option<ExitReason> {
        self.core.final_reason()
    }
    fn exit_signal(&self, from: ProcessId, reason: &ExitReason, linked: bool) {
        self.core.exit_signal(from, reason, linked);
    }
    fn kill(&self) {
        self.core.kill();
    }
    fn add_link(&self, other: Arc<dyn Core>) -> Result<bool, ()> {
        self.core.add_link(other)
    }
    fn remove_link(&self, other: ProcessId) {
        self.core.remove_link(other);
    }
    fn add_watcher(&self, mref: MonitorRef, w: Arc<dyn Watcher>) -> Result<(), ()> {
        self.core.add_watcher(mref, w)
    }
    fn remove_watcher(&self, mref: MonitorRef) {
        self.core.remove_watcher(mref);
    }
    fn add_name(&self, name: Arc<str>) -> Result<(), RegistryError> {
        self.core.add_name(name)
    }
    fn remove_name(&self, _name: &str) {}
    fn downcast_into(self: Arc<Self>, out: &mut dyn Any) {
        if let Some(slot) = out.downcast_mut::<Option<Arc<dyn Proc<M>>>>() {
            *slot = Some(self);
        }
    }
    fn abort(&self) {}
}

impl<M: Serialize + DeserializeOwned + Send + 'static> Proc<M> for RemotePid<M> {
    fn local(&self) -> Option<&crate::process::Shared<M>> {
        None
    }

    fn send_remote(&self, m: M) -> Result<(), (M, RemoteError)> {
        let endpoint = &self.core.endpoint;
        if endpoint.is_down(self.core.id.node) {
            return Err((m, RemoteError::Encode("the node is down".into())));
        }
        match endpoint.encode(self.core.id.node, &m) {
            Ok(bytes) => {
                let from = crate::process::current().map(|f| endpoint.wire_id(f));
                endpoint.transport().send(self.core.id, from, bytes);
                Ok(())
            }
            Err(e) => Err((m, e)),
        }
    }
}

/// Writes `pid` for the wire: a local process is exported (its signals and
/// messages of type `M` can reach it) and written with this node's id.
pub(crate) fn serialize_pid<M, S>(pid: &Arc<dyn Proc<M>>, s: S) -> Result<S::Ok, S::Error>
where
    M: Serialize + DeserializeOwned + Send + 'static,
    S: serde::Serializer,
{
    let Some((endpoint, _)) = codec() else {
        return pid.id().serialize(s);
    };
    if pid.local().is_some() {
        let core: Arc<dyn Core> = pid.clone();
        let weak = Arc::downgrade(pid);
        let decode: Decode = Arc::new(move |endpoint, from, bytes| {
            let Some(pid) = weak.upgrade() else {
                return Err(DeliverError::NoProcess(local_id(0)));
            };
            let id = pid.id();
            let peer = from.map_or(endpoint.node(), |f| f.node);
            let m: M = with_codec(endpoint, peer, || postcard::from_bytes(bytes)).map_err(|e| {
                DeliverError::Decode {
                    to: id,
                    message_type: std::any::type_name::<M>(),
                    error: e.to_string(),
                }
            })?;
            let shared = pid.local().expect("a local pid");
            shared.push(m, None).map_err(|e| match e {
                crate::error::TrySendError::Full(_) => DeliverError::Full(id),
                _ => DeliverError::NoProcess(id),
            })
        });
        endpoint.export(&core, Some(decode));
    }
    endpoint.wire_id(pid.id()).serialize(s)
}

/// Reads a pid from the wire: this node's processes by their local handle,
/// others as remote pids.
pub(crate) fn deserialize_pid<'de, M, D>(d: D) -> Result<Arc<dyn Proc<M>>, D::Error>
where
    M: Serialize + DeserializeOwned + Send + 'static,
    D: serde::Deserializer<'de>,
{
    let id = ProcessId::deserialize(d)?;
    let Some((endpoint, _)) = codec() else {
        return Err(serde::de::Error::custom(
            "a Pid is read back only through a remote::Endpoint (it names a live process)",
        ));
    };
    if id.node == endpoint.node() {
        let local = endpoint
            .tables()
            .exports
            .get(&id.serial)
            .and_then(|e| e.core.upgrade());
        if let Some(core) = local {
            let mut typed: Option<Arc<dyn Proc<M>>> = None;
            core.downcast_into(&mut typed);
            if let Some(p) = typed {
                return Ok(p);
            }
        }
    }
    Ok(endpoint.proxy::<M>(id))
}

/// Registers a local call's slot for the wire, if an endpoint is
/// encoding: its reply will come from the encoding's destination.
pub(crate) fn export_call(call: Weak<dyn RemoteCall>) -> Option<CallRef> {
    let (endpoint, to) = codec()?;
    Some(endpoint.register_call(to, call))
}

/// The endpoint decoding on this thread, for a reply handle read from the
/// wire.
pub(crate) fn decoding_endpoint() -> Option<Endpoint> {
    codec().map(|(e, _)| e)
}

/// Encodes a reply value for the caller's node.
pub(crate) fn encode_reply<R: Serialize>(
    endpoint: &Endpoint,
    to: NodeId,
    value: &R,
) -> Result<Vec<u8>, RemoteError> {
    endpoint.encode(to, value)
}

/// Decodes a reply value that came from another node.
pub(crate) fn decode_reply<R: DeserializeOwned>(
    endpoint: &Endpoint,
    from: NodeId,
    bytes: &[u8],
) -> Result<R, String> {
    with_codec(endpoint, from, || postcard::from_bytes(bytes)).map_err(|e| e.to_string())
}
