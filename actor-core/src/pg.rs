//! Process groups (Erlang's `pg`): named groups of processes, for finding
//! every process that does a job and for broadcasting to them.
//!
//! A process may be in any number of groups, and joining is idempotent
//! (Erlang counts joins and wants as many leaves; here a process is in a
//! group or not). Members leave a group when they end. Lookup is typed,
//! like the registry's: [`members::<M>`](members) gives the members that
//! accept `M`; [`members_any`] gives them all.
//!
//! [`monitor`] subscribes a process to a group's changes: it gets the
//! members at once, then a [`GroupEvent`] in its mailbox for every join and
//! every leave, in the order they happened; [`monitor_scope`] does it for
//! every group.
//!
//! Each runtime has its own groups, like its own registry: each
//! deterministic run starts with none. The groups of a runtime are a scope
//! that watches every member with a monitor, as Erlang's `pg` scope process
//! does, and whose changes are the events [`monitor_scope`] gives: what a
//! transport between nodes replicates to extend groups across machines
//! without changing these functions.
//!
//! # Examples
//!
//! ```
//! use actor_core::{pg, spawn, Ctx, Runtime};
//!
//! Runtime::tokio().block_on(async {
//!     let worker = || spawn(|mut ctx: Ctx<u32>| async move {
//!         let n = ctx.recv().await;
//!         assert_eq!(n, 7);
//!     });
//!     let (a, b) = (worker(), worker());
//!     pg::join("workers", &a).unwrap();
//!     pg::join("workers", &b).unwrap();
//!     // Broadcast to the group.
//!     for w in pg::members::<u32>("workers") {
//!         w.send(7).await.unwrap();
//!     }
//!     a.wait().await;
//!     b.wait().await;
//!     // Members leave their groups when they end.
//!     assert!(pg::members::<u32>("workers").is_empty());
//! });
//! ```

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};

use crate::ctx::Ctx;
pub use crate::error::GroupError;
use crate::handle::Watcher;
use crate::id::{MonitorRef, ProcessId};
use crate::pid::{AnyPid, Pid};
use crate::process::LocalProc;
use crate::runtime;
use crate::signal::Down;

/// What happened to a group: a [`monitor`]'s notification.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupChange {
    /// The process joined the group.
    Joined,
    /// The process left the group, by [`leave`] or by ending.
    Left,
}

/// A change of a group's members, sent to the processes that
/// [`monitor`] the group (Erlang's `{Ref, join | leave, Group, Pids}`).
/// The subscriber converts it into its own message type
/// (`M: From<GroupEvent>`), as it does [`Down`].
#[derive(Clone, Debug, PartialEq)]
pub struct GroupEvent {
    /// The subscription this event answers.
    pub monitor: MonitorRef,
    /// The group.
    pub group: Arc<str>,
    /// Joined or left.
    pub change: GroupChange,
    /// The process that joined or left.
    pub pid: AnyPid,
}

/// Groups and their members, as [`monitor_scope`] gives them: the groups
/// that have members, in name order, each with its members in pid order.
pub type Membership = Vec<(Arc<str>, Vec<AnyPid>)>;

/// Delivers an event to a subscriber.
type Notify = Box<dyn Fn(GroupEvent) + Send + Sync>;

struct Subscription {
    owner: ProcessId,
    /// `None`: every group.
    group: Option<Arc<str>>,
    notify: Notify,
}

/// A process the scope watches (a member, a subscriber, or both).
struct Watched {
    mref: MonitorRef,
    pid: AnyPid,
    groups: BTreeSet<Arc<str>>,
    subscriptions: BTreeSet<MonitorRef>,
}

#[derive(Default)]
struct Group {
    /// In pid order, so that lookups give the same order on every run.
    members: BTreeMap<ProcessId, AnyPid>,
    monitors: BTreeSet<MonitorRef>,
}

#[derive(Default)]
struct State {
    groups: BTreeMap<Arc<str>, Group>,
    watched: HashMap<ProcessId, Watched>,
    subscriptions: BTreeMap<MonitorRef, Subscription>,
    /// Subscriptions to every group.
    scope_monitors: BTreeSet<MonitorRef>,
}

/// The groups of one runtime.
pub(crate) struct Scope {
    state: Mutex<State>,
    /// Registered on every watched process; it holds the scope weakly, so
    /// that processes do not keep it alive.
    watcher: Arc<ScopeWatcher>,
}

struct ScopeWatcher(Weak<Scope>);

impl Watcher for ScopeWatcher {
    fn down(&self, down: Down) {
        if let Some(scope) = self.0.upgrade() {
            scope.lock().ended(down);
        }
    }
}

impl Scope {
    pub(crate) fn new() -> Arc<Scope> {
        Arc::new_cyclic(|me| Scope {
            state: Mutex::new(State::default()),
            watcher: Arc::new(ScopeWatcher(me.clone())),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Watches `pid` (once); `Err` if it has ended.
    fn watch<'a>(&self, st: &'a mut State, pid: &AnyPid) -> Result<&'a mut Watched, GroupError> {
        match st.watched.entry(pid.id()) {
            Entry::Occupied(w) => Ok(w.into_mut()),
            Entry::Vacant(w) => {
                let mref = runtime::next_ref();
                let watcher: Arc<dyn Watcher> = self.watcher.clone();
                // Under the scope's lock: its `Down` waits for this.
                pid.core
                    .add_watcher(mref, watcher)
                    .map_err(|_| GroupError::NoProc)?;
                Ok(w.insert(Watched {
                    mref,
                    pid: pid.clone(),
                    groups: BTreeSet::new(),
                    subscriptions: BTreeSet::new(),
                }))
            }
        }
    }
}

impl State {
    /// Tells the group's subscribers, then every-group subscribers, in
    /// the order of their subscription. Called under the scope's lock, so
    /// that events reach each subscriber in the order they happened.
    fn notify(&self, group: &Arc<str>, change: GroupChange, pid: &AnyPid) {
        let by_group = self.groups.get(group).map(|g| &g.monitors);
        for mref in by_group.into_iter().flatten().chain(&self.scope_monitors) {
            if let Some(sub) = self.subscriptions.get(mref) {
                runtime::trace_deliver(pid.id(), sub.owner);
                (sub.notify)(GroupEvent {
                    monitor: *mref,
                    group: group.clone(),
                    change: change.clone(),
                    pid: pid.clone(),
                });
            }
        }
    }

    /// Removes `id` from `group`, telling the subscribers; the group goes
    /// when it has neither members nor subscribers.
    fn remove_member(&mut self, group: &Arc<str>, id: ProcessId) {
        let Some(g) = self.groups.get_mut(group) else {
            return;
        };
        let Some(pid) = g.members.remove(&id) else {
            return;
        };
        self.notify(group, GroupChange::Left, &pid);
        self.drop_if_unused(group);
    }

    fn drop_if_unused(&mut self, group: &Arc<str>) {
        if self
            .groups
            .get(group)
            .is_some_and(|g| g.members.is_empty() && g.monitors.is_empty())
        {
            self.groups.remove(group);
        }
    }

    fn remove_subscription(&mut self, mref: MonitorRef) -> Option<Subscription> {
        let sub = self.subscriptions.remove(&mref)?;
        match &sub.group {
            Some(group) => {
                if let Some(g) = self.groups.get_mut(group) {
                    g.monitors.remove(&mref);
                }
                self.drop_if_unused(group);
            }
            None => {
                self.scope_monitors.remove(&mref);
            }
        }
        Some(sub)
    }

    /// Stops watching `id` if it is in no group and subscribed to none.
    fn unwatch_if_unused(&mut self, id: ProcessId) {
        let Some(w) = self.watched.get(&id) else {
            return;
        };
        if w.groups.is_empty() && w.subscriptions.is_empty() {
            let w = self.watched.remove(&id).expect("looked up above");
            w.pid.core.remove_watcher(w.mref);
        }
    }

    /// A watched process ended: it leaves its groups and its
    /// subscriptions end.
    fn ended(&mut self, down: Down) {
        // A `Down` of a watch that has been given up and made again is
        // not this one's.
        if self.watched.get(&down.id).map(|w| w.mref) != Some(down.monitor) {
            return;
        }
        let w = self.watched.remove(&down.id).expect("looked up above");
        for mref in &w.subscriptions {
            self.remove_subscription(*mref);
        }
        for group in &w.groups {
            self.remove_member(group, down.id);
        }
    }

    fn members(&self, group: &str) -> Vec<AnyPid> {
        let Some(g) = self.groups.get(group) else {
            return Vec::new();
        };
        // A member whose end is being reported is gone already.
        g.members
            .values()
            .filter(|p| p.is_alive())
            .cloned()
            .collect()
    }
}

static GLOBAL: LazyLock<Arc<Scope>> = LazyLock::new(Scope::new);

/// The groups of the runtime in use.
fn scope() -> Arc<Scope> {
    runtime::deterministic::groups().unwrap_or_else(|| GLOBAL.clone())
}

/// Adds `pid` to `group`. A process may be in many groups; joining a group
/// it is in already changes nothing. It leaves every group when it ends.
///
/// # Errors
///
/// [`GroupError::NoProc`] if the process has ended.
///
/// # Examples
///
/// ```
/// use actor_core::pg::{self, GroupError};
/// use actor_core::{spawn, Ctx, Runtime};
///
/// Runtime::tokio().block_on(async {
///     let p = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
///     pg::join("a", &p).unwrap();
///     pg::join("b", &p).unwrap();
///     assert_eq!(pg::members::<()>("b"), [p.clone()]);
///     p.kill();
///     p.wait().await;
///     assert_eq!(pg::join("a", &p), Err(GroupError::NoProc));
/// });
/// ```
pub fn join(group: &str, pid: impl Into<AnyPid>) -> Result<(), GroupError> {
    let pid = pid.into();
    let scope = scope();
    let mut st = scope.lock();
    let group: Arc<str> = match st.groups.get_key_value(group) {
        Some((name, _)) => name.clone(),
        None => Arc::from(group),
    };
    let w = scope.watch(&mut st, &pid)?;
    if !w.groups.insert(group.clone()) {
        return Ok(());
    }
    let g = st.groups.entry(group.clone()).or_default();
    g.members.insert(pid.id(), pid.clone());
    st.notify(&group, GroupChange::Joined, &pid);
    Ok(())
}

/// Removes `pid` from `group`; `false` if it was not in it.
///
/// # Examples
///
/// ```
/// use actor_core::{pg, spawn, Ctx, Runtime};
///
/// Runtime::tokio().block_on(async {
///     let p = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
///     pg::join("g", &p).unwrap();
///     assert!(pg::leave("g", &p));
///     assert!(!pg::leave("g", &p));
///     assert!(pg::members_any("g").is_empty());
///     p.kill();
/// });
/// ```
pub fn leave(group: &str, pid: impl Into<AnyPid>) -> bool {
    let pid = pid.into();
    let id = pid.id();
    let scope = scope();
    let mut st = scope.lock();
    let Some(w) = st.watched.get_mut(&id) else {
        return false;
    };
    let Some(group) = w.groups.take(group) else {
        return false;
    };
    st.remove_member(&group, id);
    st.unwatch_if_unused(id);
    true
}

/// The members of `group` that accept messages of type `M`, in pid order
/// (typed like [`whereis`](crate::whereis): members of other types are
/// left out).
pub fn members<M: Send + 'static>(group: &str) -> Vec<Pid<M>> {
    members_any(group)
        .iter()
        .filter_map(AnyPid::downcast::<M>)
        .collect()
}

/// Every member of `group`, whatever it accepts, in pid order.
pub fn members_any(group: &str) -> Vec<AnyPid> {
    scope().lock().members(group)
}

/// The groups that have members, in name order.
///
/// # Examples
///
/// ```
/// use actor_core::{pg, spawn, Ctx, Runtime};
/// use actor_core::deterministic::Config;
///
/// Runtime::deterministic(Config::fifo()).block_on(async {
///     let p = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
///     pg::join("b", &p).unwrap();
///     pg::join("a", &p).unwrap();
///     assert_eq!(pg::which_groups(), ["a", "b"]);
/// });
/// ```
pub fn which_groups() -> Vec<String> {
    let scope = scope();
    let st = scope.lock();
    st.groups
        .iter()
        .filter(|(_, g)| g.members.values().any(AnyPid::is_alive))
        .map(|(name, _)| name.to_string())
        .collect()
}

fn subscribe<M>(ctx: &Ctx<M>, group: Option<&str>) -> Result<(MonitorRef, Membership), GroupError>
where
    M: From<GroupEvent> + Send + 'static,
{
    let inner: Arc<dyn LocalProc<M>> = ctx.inner.clone();
    if inner.shared().bounded() {
        return Err(GroupError::BoundedMailbox);
    }
    let me = AnyPid::from(ctx.pid());
    let scope = scope();
    let mut st = scope.lock();
    let w = scope.watch(&mut st, &me)?;
    let mref = runtime::next_ref();
    w.subscriptions.insert(mref);
    let group: Option<Arc<str>> = group.map(|g| match st.groups.get_key_value(g) {
        Some((name, _)) => name.clone(),
        None => Arc::from(g),
    });
    let notify: Notify = Box::new(move |event| {
        // At once, past the runtime's in-flight delays: events keep their
        // order. A subscriber that has ended is unsubscribed by its `Down`.
        let _ = inner.shared().push(M::from(event), None);
    });
    st.subscriptions.insert(
        mref,
        Subscription {
            owner: me.id(),
            group: group.clone(),
            notify,
        },
    );
    let snapshot = match group {
        Some(group) => {
            st.groups
                .entry(group.clone())
                .or_default()
                .monitors
                .insert(mref);
            let members = st.members(&group);
            vec![(group, members)]
        }
        None => {
            st.scope_monitors.insert(mref);
            st.groups
                .keys()
                .map(|g| (g.clone(), st.members(g)))
                .filter(|(_, m)| !m.is_empty())
                .collect()
        }
    };
    Ok((mref, snapshot))
}

/// Subscribes the calling process to `group`'s changes (Erlang's
/// `pg:monitor/1`): returns the subscription and the members now, then
/// every join and leave arrives as a [`GroupEvent`] (converted into `M`),
/// in the order they happen. The subscription ends with [`demonitor`] or
/// when the process ends.
///
/// # Errors
///
/// [`GroupError::BoundedMailbox`] if the calling process has a bounded
/// mailbox (an event could find no room, and be lost);
/// [`GroupError::NoProc`] if it is ending.
///
/// # Examples
///
/// ```
/// use actor_core::pg::{self, GroupChange, GroupEvent};
/// use actor_core::{spawn, Ctx, Runtime};
///
/// Runtime::tokio().block_on(async {
///     let (tx, rx) = tokio::sync::oneshot::channel();
///     let watcher = spawn(|mut ctx: Ctx<GroupEvent>| async move {
///         let (_, now) = pg::monitor(&ctx, "room").unwrap();
///         assert!(now.is_empty());
///         tx.send(()).unwrap();
///         let joined = ctx.recv().await;
///         let left = ctx.recv().await;
///         assert_eq!((joined.change, left.change), (GroupChange::Joined, GroupChange::Left));
///         assert_eq!(joined.pid, left.pid);
///     });
///     rx.await.unwrap();
///     let guest = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
///     pg::join("room", &guest).unwrap();
///     guest.kill();
///     assert!(watcher.wait().await.is_normal());
/// });
/// ```
pub fn monitor<M>(ctx: &Ctx<M>, group: &str) -> Result<(MonitorRef, Vec<AnyPid>), GroupError>
where
    M: From<GroupEvent> + Send + 'static,
{
    let (mref, mut snapshot) = subscribe(ctx, Some(group))?;
    let members = snapshot.pop().map(|(_, m)| m).unwrap_or_default();
    Ok((mref, members))
}

/// Subscribes the calling process to the changes of every group (Erlang's
/// `pg:monitor_scope/0`): returns the subscription and the groups that
/// have members now, with their members, in name order; then events as
/// for [`monitor`].
///
/// # Errors
///
/// As [`monitor`].
pub fn monitor_scope<M>(ctx: &Ctx<M>) -> Result<(MonitorRef, Membership), GroupError>
where
    M: From<GroupEvent> + Send + 'static,
{
    subscribe(ctx, None)
}

/// Ends a subscription made by [`monitor`] or [`monitor_scope`]; `false` if
/// there was none. Events already in the mailbox stay there.
pub fn demonitor(mref: MonitorRef) -> bool {
    let scope = scope();
    let mut st = scope.lock();
    let Some(sub) = st.remove_subscription(mref) else {
        return false;
    };
    if let Some(w) = st.watched.get_mut(&sub.owner) {
        w.subscriptions.remove(&mref);
    }
    st.unwatch_if_unused(sub.owner);
    drop(st);
    // Its mailbox handle is dropped outside the lock.
    drop(sub);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deterministic::{self, Config};
    use crate::spawn;

    #[test]
    fn the_scope_forgets_members_and_subscribers_that_ended() {
        let out = deterministic::run(Config::seeded(5), async {
            let member = spawn(|mut ctx: Ctx<()>| async move { ctx.recv().await });
            let subscriber = spawn(|ctx: Ctx<GroupEvent>| async move {
                monitor(&ctx, "g").unwrap();
                monitor_scope(&ctx).unwrap();
            });
            join("g", &member).unwrap();
            subscriber.wait().await;
            member.kill();
            member.wait().await;
            let scope = scope();
            let st = scope.lock();
            (
                st.groups.len(),
                st.watched.len(),
                st.subscriptions.len(),
                st.scope_monitors.len(),
            )
        });
        assert_eq!(out.result.unwrap(), (0, 0, 0, 0));
    }
}
