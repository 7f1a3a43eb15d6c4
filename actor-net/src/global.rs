//! Global names on a key-value [`Store`] (JetStream key-value on NATS, the
//! simulated store on the simulated network): one owner per name across
//! the cluster, no node's memory the source of truth.
//!
//! A name is a key of the bucket `actor_<cluster>_names`; its value is the
//! owner's [`ProcessId`] and the name of its message type. Registering is a
//! create-if-absent, so of two nodes registering one name at once exactly
//! one wins. An entry whose owner's node is down is stale: it is purged
//! with a revision check (so that a name registered again meanwhile is
//! never removed) by whoever finds it: every surviving node when a node
//! goes down, and any node that meets it in a lookup or a registration.
//! A node shutting down deletes the names of its processes.
//!
//! # Names after an outage
//!
//! Survivors purge (not delete) the names of a node they declare down, so
//! that its node, if it was only cut off, can tell them from an
//! unregistration. Every node watches the bucket's stream: a purge of a
//! name it holds for a live process, or its own reconnection, makes it
//! create the name again for that process; a name another process took
//! meanwhile is let go, and the process gets an exit signal
//! [`NAME_CONFLICT`]. Only names a node registered for its own processes
//! are re-asserted. What users see is in the crate docs ("When NATS goes
//! away").

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use actor_core::{AnyPid, NodeId, Pid, ProcessId};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::error::Error;
use crate::membership::{Liveness, NodeEvent};
use crate::node::Shared;
use crate::wire::{Entry, Op, Store};

/// How many times a registration or removal that lost a race is tried again.
const ATTEMPTS: usize = 100;

/// The exit reason of a process whose global name another process took
/// while its node was cut off (see the crate docs, "When NATS goes away").
///
/// # Examples
///
/// ```
/// use actor_core::ExitReason;
///
/// let reason = ExitReason::other(actor_net::NAME_CONFLICT);
/// assert_eq!(reason.to_string(), "global_name_conflict");
/// ```
pub const NAME_CONFLICT: &str = "global_name_conflict";

/// The value of a name's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Owner {
    /// The process holding the name.
    pub(crate) pid: ProcessId,
    /// Its message type's name (`std::any::type_name`).
    pub(crate) type_name: String,
}

/// A name this node registered for one of its processes.
#[derive(Debug)]
struct Owned {
    /// The revision of its entry, as this node last wrote it.
    revision: u64,
    /// The entry's value, to write it again.
    value: Bytes,
    /// The process.
    pid: AnyPid,
}

/// The bucket and the names this node registered for its own processes.
#[derive(Debug)]
pub(crate) struct Names {
    store: Arc<dyn Store>,
    /// In name order, so that re-asserting them goes in one order.
    owned: Mutex<BTreeMap<String, Owned>>,
}

impl Names {
    pub(crate) fn new(store: Arc<dyn Store>) -> Names {
        Names {
            store,
            owned: Mutex::default(),
        }
    }

    fn owned(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Owned>> {
        self.owned.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Deletes every name this node registered for its processes (at the
    /// revisions it registered them).
    pub(crate) async fn release_all(&self) {
        let owned: Vec<(String, u64)> = std::mem::take(&mut *self.owned())
            .into_iter()
            .map(|(name, o)| (name, o.revision))
            .collect();
        for (name, revision) in owned {
            match self.store.delete(&name, revision).await {
                Ok(true) => {}
                Ok(false) => tracing::debug!(%name, "global name changed meanwhile; left alone"),
                Err(e) => tracing::debug!(%name, error = %e, "global name not deleted at shutdown"),
            }
        }
    }

    /// Forgets that this node holds `name`.
    fn forget(&self, name: &str) {
        self.owned().remove(name);
    }

    /// Whether this node holds `name` for one of its processes.
    fn owns(&self, name: &str) -> bool {
        self.owned().contains_key(name)
    }
}

/// Re-asserts every name this node holds: its connection is back, and
/// other nodes may have purged them meanwhile.
pub(crate) async fn reassert_all(shared: &Shared) {
    let names: Vec<String> = shared.names.owned().keys().cloned().collect();
    for name in names {
        reassert(shared, &name).await;
    }
}

/// Looks at `name`, held by a process of this node: creates it again if it
/// was purged (its node was thought lost), lets it go if it was
/// unregistered or taken by another process, or if the process ended.
async fn reassert(shared: &Shared, name: &str) {
    let names = &shared.names;
    let (value, pid) = match names.owned().get(name) {
        Some(o) => (o.value.clone(), o.pid.clone()),
        None => return,
    };
    if !pid.is_alive() {
        // Its end is being handled: the entry is deleted if still its own.
        names.forget(name);
        return;
    }
    let ours = wire_pid(shared, &pid);
    // The watch and a reconnection may re-assert one name at once: a
    // creation that loses to our own is looked at again.
    for _ in 0..ATTEMPTS {
        let entry = match names.store.entry(name).await {
            Ok(entry) => entry,
            Err(e) => {
                // Looked at again on the next reconnection.
                tracing::debug!(%name, error = %e, "cannot look at a global name of ours");
                return;
            }
        };
        match entry {
            Some(entry) if entry.op == Op::Put => {
                match postcard::from_bytes::<Owner>(&entry.value) {
                    Ok(owner) if owner.pid == ours => {
                        if let Some(o) = names.owned().get_mut(name) {
                            o.revision = entry.revision;
                        }
                    }
                    _ => lose(names, name, &pid, ours),
                }
                return;
            }
            Some(entry) if entry.op == Op::Delete => {
                names.forget(name);
                tracing::info!(%name, process = %ours, "global name unregistered while this node was cut off");
                return;
            }
            // Purged as stale (or gone): ours again.
            _ => match names.store.create(name, value.clone()).await {
                Ok(Some(revision)) => {
                    if let Some(o) = names.owned().get_mut(name) {
                        o.revision = revision;
                    }
                    tracing::info!(%name, process = %ours, "global name re-asserted after an outage");
                    return;
                }
                Ok(None) => continue,
                Err(e) => {
                    tracing::debug!(%name, error = %e, "cannot re-assert a global name");
                    return;
                }
            },
        }
    }
}

/// Another process took `name` from `pid` (whose id on the wire is
/// `ours`): the name is let go and the process gets an exit signal
/// [`NAME_CONFLICT`].
fn lose(names: &Names, name: &str, pid: &AnyPid, ours: ProcessId) {
    names.forget(name);
    tracing::warn!(%name, process = %ours, "global name taken by another process while this node was cut off; exit signal {NAME_CONFLICT}");
    pid.exit(actor_core::ExitReason::other(NAME_CONFLICT));
}

/// Watches every change the bucket stores, until the watch ends: a purge
/// of a name this node holds is answered by re-asserting it; a delete (an
/// unregistration) or another process's registration lets it go.
///
/// The watch reads the bucket's stream, not its subjects: a write the
/// stream refused (the loser of a race, a purge at a stale revision) is
/// never seen.
pub(crate) async fn watch(
    shared: Arc<Shared>,
    mut changes: BoxStream<'static, Result<Entry, Error>>,
) {
    while let Some(change) = changes.next().await {
        let entry = match change {
            Ok(entry) => entry,
            Err(e) => {
                // Missed changes are caught up with on the next reconnection.
                tracing::debug!(error = %e, "global names watch");
                continue;
            }
        };
        let name = entry.key.as_str();
        if !shared.names.owns(name) {
            continue;
        }
        match entry.op {
            Op::Purge => reassert(&shared, name).await,
            Op::Delete => {
                shared.names.forget(name);
                tracing::info!(%name, "global name of ours unregistered");
            }
            Op::Put => {
                let Some(pid) = shared.names.owned().get(name).map(|o| o.pid.clone()) else {
                    continue;
                };
                let ours = wire_pid(&shared, &pid);
                let owner = postcard::from_bytes::<Owner>(&entry.value).ok();
                if owner.is_some_and(|o| o.pid != ours) {
                    lose(&shared.names, name, &pid, ours);
                }
            }
        }
    }
}

/// The id a process of this node has on the wire.
fn wire_pid(shared: &Shared, pid: &AnyPid) -> ProcessId {
    ProcessId {
        node: shared.id,
        serial: pid.id().serial,
    }
}

/// Checks a name against the key-value key alphabet.
pub(crate) fn validate(name: &str) -> Result<(), Error> {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '=' | '.');
    if name.is_empty() || name.starts_with('.') || name.ends_with('.') || !name.chars().all(ok) {
        return Err(Error::InvalidName(name.to_string()));
    }
    Ok(())
}

/// Whether `node` is gone: known down, or unknown (never heard of, or
/// lost while this node's own connection was down) and not up after a
/// grace period during which this node is connected: a live node's
/// heartbeats reach it within that time. A ping would not do for a node
/// lost during our own outage: frames to it are refused until it is up.
async fn gone(shared: &Shared, node: NodeId) -> bool {
    let mut events = shared.events.subscribe();
    match shared.liveness(node) {
        Liveness::Up => return false,
        Liveness::Down => return true,
        Liveness::Unknown => {}
    }
    let up = async {
        loop {
            match events.recv().await {
                Ok(NodeEvent::Up(info)) if info.id == node => return,
                Err(broadcast::error::RecvError::Closed) => return,
                _ => {}
            }
        }
    };
    let _ = actor_core::timeout(shared.grace, up).await;
    shared.is_connected() && shared.liveness(node) != Liveness::Up
}

/// The current owner of `name` and the entry's revision, if it has one.
async fn current(store: &dyn Store, name: &str) -> Result<Option<(Owner, u64)>, Error> {
    let Some(entry) = store.entry(name).await? else {
        return Ok(None);
    };
    if entry.op != Op::Put {
        return Ok(None);
    }
    match postcard::from_bytes::<Owner>(&entry.value) {
        Ok(owner) => Ok(Some((owner, entry.revision))),
        Err(_) => {
            tracing::warn!(%name, "global name entry does not decode; treated as free");
            Ok(None)
        }
    }
}

/// Purges `name` if it is still at `revision`: a purge, not a delete, so
/// that its owner's node, if it comes back, knows to re-assert it.
async fn delete_stale(store: &dyn Store, name: &str, revision: u64) {
    match store.purge(name, revision).await {
        Ok(true) => tracing::info!(%name, "stale global name purged"),
        Ok(false) => tracing::debug!(%name, "stale global name changed meanwhile; left alone"),
        Err(e) => tracing::debug!(%name, error = %e, "stale global name not purged"),
    }
}

/// Registers `name` to `pid`.
pub(crate) async fn register(
    shared: &Shared,
    name: &str,
    pid: ProcessId,
    type_name: &str,
    local: Option<AnyPid>,
) -> Result<(), Error> {
    validate(name)?;
    if shared.is_closing() {
        return Err(Error::Shutdown);
    }
    let value = postcard::to_allocvec(&Owner {
        pid,
        type_name: type_name.to_string(),
    })
    .expect("an owner encodes");
    let store = &*shared.names.store;
    for _ in 0..ATTEMPTS {
        if let Some(revision) = store.create(name, Bytes::from(value.clone())).await? {
            if let Some(local) = &local {
                shared.names.owned().insert(
                    name.to_string(),
                    Owned {
                        revision,
                        value: Bytes::from(value),
                        pid: local.clone(),
                    },
                );
            }
            return Ok(());
        }
        let Some((owner, revision)) = current(store, name).await? else {
            continue;
        };
        if gone(shared, owner.pid.node).await {
            delete_stale(store, name, revision).await;
            continue;
        }
        return Err(Error::AlreadyRegistered {
            name: name.to_string(),
            owner: owner.pid,
        });
    }
    Err(Error::Timeout)
}

/// The owner of `name`, if it has a live one.
pub(crate) async fn whereis(shared: &Shared, name: &str) -> Result<Option<Owner>, Error> {
    validate(name)?;
    let store = &*shared.names.store;
    let Some((owner, revision)) = current(store, name).await? else {
        return Ok(None);
    };
    if gone(shared, owner.pid.node).await {
        delete_stale(store, name, revision).await;
        return Ok(None);
    }
    Ok(Some(owner))
}

/// Removes `name`, whoever holds it.
pub(crate) async fn unregister(shared: &Shared, name: &str) -> Result<(), Error> {
    validate(name)?;
    let store = &*shared.names.store;
    for _ in 0..ATTEMPTS {
        let Some((_, revision)) = current(store, name).await? else {
            return Err(Error::NotRegistered(name.to_string()));
        };
        if store.delete(name, revision).await? {
            shared.names.forget(name);
            return Ok(());
        }
        // Changed meanwhile: look again.
    }
    Err(Error::Timeout)
}

/// Deletes, in the background, every name whose owner is on `node`, as
/// long as `node` stays down.
pub(crate) fn sweep(shared: &Arc<Shared>, node: NodeId) {
    let me = shared.clone();
    shared.spawn(async move {
        let shared = me;
        let store = &*shared.names.store;
        let mut keys = match store.keys().await {
            Ok(keys) => keys,
            Err(e) => {
                tracing::debug!(node = node.0, error = %e, "cannot list global names");
                return;
            }
        };
        // In name order, whatever order the store lists them in.
        keys.sort_unstable();
        for name in keys {
            if shared.liveness(node) != Liveness::Down {
                return;
            }
            if let Ok(Some((owner, revision))) = current(store, &name).await {
                if owner.pid.node == node {
                    delete_stale(store, &name, revision).await;
                }
            }
        }
    });
}

impl crate::Node {
    /// Registers `name` across the cluster to the process `pid` (of this
    /// node or another). The name is freed when the process ends (for a
    /// process of this node), when this node shuts down, or when the
    /// process's node is lost.
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyRegistered`] if a live process holds it (of two
    /// nodes registering one name at once, exactly one wins),
    /// [`Error::InvalidName`], [`Error::JetStream`] if the server cannot be
    /// asked, [`Error::Shutdown`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{spawn, Ctx, Runtime};
    /// use actor_net::{Error, NatsServer, Node, NodeConfig};
    ///
    /// Runtime::tokio().block_on(async {
    ///     let server = NatsServer::start()?;
    ///     let node = Node::connect(NodeConfig::new(server.url(), "demo", "a")).await?;
    ///     let billing = spawn(|mut ctx: Ctx<u64>| async move { ctx.recv().await; });
    ///     node.register_global("billing", &billing).await?;
    ///     let found = node.whereis_global::<u64>("billing").await?.expect("registered");
    ///     assert_eq!(found, billing);
    ///
    ///     let other = spawn(|mut ctx: Ctx<u64>| async move { ctx.recv().await; });
    ///     assert!(matches!(
    ///         node.register_global("billing", &other).await,
    ///         Err(Error::AlreadyRegistered { .. })
    ///     ));
    ///     node.unregister_global("billing").await?;
    ///     assert!(node.whereis_global::<u64>("billing").await?.is_none());
    ///     node.shutdown().await;
    ///     # other.kill(); billing.kill();
    ///     Ok::<(), Error>(())
    /// })?;
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: the name may be registered without this node
    /// remembering to free it.
    pub async fn register_global<M>(&self, name: &str, pid: &Pid<M>) -> Result<(), Error>
    where
        M: Serialize + DeserializeOwned + Send + 'static,
    {
        let shared = &self.shared;
        let id = wire_id(shared, pid)?;
        let local = (id.node == shared.id).then(|| AnyPid::from(pid));
        register(shared, name, id, std::any::type_name::<M>(), local).await?;
        if id.node == shared.id {
            // Free the name when the process ends, if it still holds it.
            let (pid, weak, name) = (pid.clone(), Arc::downgrade(shared), name.to_string());
            shared.spawn(async move {
                pid.wait().await;
                if let Some(shared) = weak.upgrade() {
                    release(&shared, &name, id).await;
                }
            });
        }
        Ok(())
    }

    /// The process registered under `name`, if its node is up, as a pid of
    /// message type `M` that works wherever the process is.
    ///
    /// A registration whose node is down is deleted on the way (with a
    /// revision check) and reported as absent.
    ///
    /// # Errors
    ///
    /// [`Error::WrongType`] if the process was registered with another
    /// message type, [`Error::InvalidName`], [`Error::JetStream`] if the
    /// server cannot be asked.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn whereis_global<M>(&self, name: &str) -> Result<Option<Pid<M>>, Error>
    where
        M: Serialize + DeserializeOwned + Send + 'static,
    {
        let Some(owner) = whereis(&self.shared, name).await? else {
            return Ok(None);
        };
        let expected = std::any::type_name::<M>();
        if owner.type_name != expected {
            return Err(Error::WrongType {
                name: name.to_string(),
                registered: owner.type_name,
                expected,
            });
        }
        let bytes = postcard::to_allocvec(&owner.pid).expect("a process id encodes");
        let pid = self
            .shared
            .endpoint
            .decode::<Pid<M>>(&bytes)
            .expect("a process id decodes as a pid");
        Ok(Some(pid))
    }

    /// Removes the registration of `name`, whoever holds it (Erlang's
    /// `global:unregister_name/1`).
    ///
    /// # Errors
    ///
    /// [`Error::NotRegistered`], [`Error::InvalidName`], [`Error::JetStream`]
    /// if the server cannot be asked.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn unregister_global(&self, name: &str) -> Result<(), Error> {
        unregister(&self.shared, name).await
    }
}

/// The id `pid` has on the wire (this node's id for a local process, which
/// is exported so that other nodes can reach it).
fn wire_id<M>(shared: &Shared, pid: &Pid<M>) -> Result<ProcessId, Error>
where
    M: Serialize + DeserializeOwned + Send + 'static,
{
    let bytes = shared
        .endpoint
        .encode(shared.id, pid)
        .map_err(|e| Error::Config(format!("cannot encode the pid: {e}")))?;
    Ok(postcard::from_bytes(&bytes).expect("a pid encodes as a process id"))
}

/// Deletes `name` if `pid` still holds it (its process ended).
async fn release(shared: &Shared, name: &str, pid: ProcessId) {
    let store = &*shared.names.store;
    if let Ok(Some((owner, revision))) = current(store, name).await {
        if owner.pid == pid {
            shared.names.forget(name);
            match store.delete(name, revision).await {
                Ok(true) => {}
                Ok(false) => tracing::debug!(%name, "name of an ended process changed meanwhile"),
                Err(e) => {
                    tracing::debug!(%name, error = %e, "name of an ended process not deleted")
                }
            }
        }
    }
}
