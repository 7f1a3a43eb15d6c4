//! Unique names for processes. A name is freed when its process ends.
//! Each runtime has its own registry (each deterministic run starts empty).

use std::sync::Arc;

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;

use crate::error::RegistryError;
use crate::handle::Core;
use crate::id::ProcessId;
use crate::pid::{AnyPid, Pid};
use crate::runtime;

#[derive(Default)]
pub(crate) struct Registry {
    names: DashMap<Arc<str>, Arc<dyn Core>>,
}

impl Registry {
    pub(crate) fn remove_if(&self, name: &str, id: ProcessId) {
        self.names.remove_if(name, |_, core| core.id() == id);
    }
}

/// Registers `pid` under `name`.
///
/// # Errors
///
/// [`RegistryError::Taken`] if a live process holds the name,
/// [`RegistryError::NoProc`] if `pid` has ended,
/// [`RegistryError::AlreadyNamed`] if `pid` is registered under another
/// name (one name per process, as Erlang's `register/2`).
///
/// # Examples
///
/// ```
/// use actor_core::{register, whereis, spawn, Ctx, RegistryError, Runtime};
///
/// Runtime::tokio_current_thread().block_on(async {
///     let pid = spawn(|mut ctx: Ctx<u8>| async move { ctx.recv().await; });
///     register("doc-example", &pid).unwrap();
///     assert_eq!(whereis::<u8>("doc-example"), Some(pid.clone()));
///     assert_eq!(register("doc-example", &pid), Err(RegistryError::Taken("doc-example".into())));
///     assert_eq!(register("another", &pid), Err(RegistryError::AlreadyNamed("doc-example".into())));
///     pid.send(0).await.unwrap();
///     pid.wait().await;
///     assert_eq!(whereis::<u8>("doc-example"), None);
/// });
/// ```
pub fn register<M: Send + 'static>(name: &str, pid: &Pid<M>) -> Result<(), RegistryError> {
    let reg = runtime::registry();
    let core: Arc<dyn Core> = pid.inner.clone();
    let key: Arc<str> = Arc::from(name);
    match reg.names.entry(key.clone()) {
        Entry::Occupied(mut e) => {
            if e.get().is_alive() {
                return Err(RegistryError::Taken(name.to_string()));
            }
            core.add_name(key)?;
            e.insert(core);
        }
        Entry::Vacant(e) => {
            core.add_name(key)?;
            e.insert(core);
        }
    }
    Ok(())
}

/// Frees `name`; `true` if it was registered.
pub fn unregister(name: &str) -> bool {
    match runtime::registry().names.remove(name) {
        Some((_, core)) => {
            core.remove_name(name);
            true
        }
        None => false,
    }
}

/// The process registered under `name`, if it accepts messages of type
/// `M`: `None` if the name is free or its process takes another type.
pub fn whereis<M: Send + 'static>(name: &str) -> Option<Pid<M>> {
    let core = runtime::registry().names.get(name)?.clone();
    if !core.is_alive() {
        return None;
    }
    AnyPid { core }.downcast()
}

/// The process registered under `name`, whatever it accepts.
pub fn whereis_any(name: &str) -> Option<AnyPid> {
    let core = runtime::registry().names.get(name)?.clone();
    core.is_alive().then_some(AnyPid { core })
}
