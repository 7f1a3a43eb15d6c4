//! Ids that name an IO source in the events it sends.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Names one IO source (a watch, a connection, a port) in the events it
/// delivers, so that a process owning several can tell them apart.
///
/// # Examples
///
/// ```
/// # actor_core::Runtime::tokio_current_thread().block_on(async {
/// let (a, b) = rustix::pipe::pipe().unwrap();
/// let (a, b) = (actor_io::Fd::new(a).unwrap(), actor_io::Fd::new(b).unwrap());
/// let me = actor_core::spawn(|mut ctx: actor_core::Ctx<actor_io::FdEvent>| async move {
///     ctx.recv().await;
/// });
/// let wa = a.watch(&me, actor_io::Interest::Read);
/// let wb = b.watch(&me, actor_io::Interest::Write);
/// assert_ne!(wa.id(), wb.id());
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IoId(u64);

static NEXT: AtomicU64 = AtomicU64::new(1);

impl IoId {
    pub(crate) fn next() -> Self {
        IoId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number inside.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for IoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#io{}", self.0)
    }
}

impl fmt::Debug for IoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
