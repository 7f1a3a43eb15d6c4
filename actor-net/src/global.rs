//! Global names on a key-value [`Store`] (JetStream key-value on NATS, the
//! simulated store on the simulated network): one owner per name across
//! the cluster, no node's memory the source of truth.
//!
//! A name is a key of the bucket `actor_<cluster>_names`; its value is the
//! owner's [`ProcessId`] and the name of its message type. Registering is a
//! create-if-absent, so of two nodes registering one name at once exactly
//! one wins. An entry whose owner's node is down is stale: it is deleted
//! with a revision check (so that a name registered again meanwhile is
//! never deleted) by whoever finds it: every surviving node when a node
//! goes down, and any node that meets it in a lookup or a registration.
//! A node shutting down deletes the names of its processes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use actor_core::{NodeId, Pid, ProcessId};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::membership::Liveness;
use crate::node::Shared;
use crate::wire::Store;

/// How many times a registration or removal that lost a race is tried again.
const ATTEMPTS: usize = 100;

/// The value of a name's key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Owner {
    /// The process holding the name.
    pub(crate) pid: ProcessId,
    /// Its message type's name (`std::any::type_name`).
    pub(crate) type_name: String,
}

/// The store and the names this node registered for its own processes.
#[derive(Debug)]
pub(crate) struct Names {
    store: Arc<dyn Store>,
    /// Name to the revision this node created it at, in name order.
    owned: Mutex<BTreeMap<String, u64>>,
}

impl Names {
    pub(crate) fn new(store: Arc<dyn Store>) -> Names {
        Names {
            store,
            owned: Mutex::default(),
        }
    }

    fn owned(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.owned.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Deletes every name this node registered for its processes (at the
    /// revisions it registered them).
    pub(crate) async fn release_all(&self) {
        let owned = std::mem::take(&mut *self.owned());
        for (name, revision) in owned {
            match self.store.delete(&name, revision).await {
                Ok(true) => {}
                Ok(false) => tracing::debug!(%name, "global name changed meanwhile; left alone"),
                Err(e) => tracing::debug!(%name, error = %e, "global name not deleted at shutdown"),
            }
        }
    }

    /// Forgets that this node holds `name` at `revision`.
    fn forget(&self, name: &str) {
        self.owned().remove(name);
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

/// Whether `node` is gone: known down, or unknown and silent to a ping
/// and still not known up when the ping gives up (a ping lost to a short
/// partition must not free the names of a node heard from meanwhile).
async fn gone(shared: &Shared, node: NodeId) -> bool {
    match shared.liveness(node) {
        Liveness::Up => false,
        Liveness::Down => true,
        Liveness::Unknown => {
            shared.ping(node).await.is_err() && shared.liveness(node) != Liveness::Up
        }
    }
}

/// The current owner of `name` and the entry's revision, if it has one.
async fn current(store: &dyn Store, name: &str) -> Result<Option<(Owner, u64)>, Error> {
    let Some((value, revision)) = store.get(name).await? else {
        return Ok(None);
    };
    match postcard::from_bytes::<Owner>(&value) {
        Ok(owner) => Ok(Some((owner, revision))),
        Err(_) => {
            tracing::warn!(%name, "global name entry does not decode; treated as free");
            Ok(None)
        }
    }
}

/// Deletes `name` if it is still at `revision`.
async fn delete_stale(store: &dyn Store, name: &str, revision: u64) {
    match store.delete(name, revision).await {
        Ok(true) => tracing::info!(%name, "stale global name deleted"),
        Ok(false) => tracing::debug!(%name, "stale global name changed meanwhile; left alone"),
        Err(e) => tracing::debug!(%name, error = %e, "stale global name not deleted"),
    }
}

/// Registers `name` to `pid`.
pub(crate) async fn register(
    shared: &Shared,
    name: &str,
    pid: ProcessId,
    type_name: &str,
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
        if let Some(revision) = store.create(name, value.clone().into()).await? {
            if pid.node == shared.id {
                shared.names.owned().insert(name.to_string(), revision);
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
        register(shared, name, id, std::any::type_name::<M>()).await?;
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
