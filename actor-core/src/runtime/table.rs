//! The live processes of one runtime: what a snapshot lists and what a
//! runtime drops when it shuts down. Sharded, each shard a slab, so that a
//! spawn and an exit each take one uncontended lock and no hashing. The
//! locks are the kernel's spin locks: held for a push or a pop, released
//! with one store.

use std::sync::Weak;

use crate::handle::Core;
use crate::raw::{SpinGuard, SpinLock};

const SHARDS: usize = 16;

#[derive(Default)]
struct Slab {
    entries: Vec<Option<Weak<dyn Core>>>,
    free: Vec<u32>,
}

/// Where a process sits in its table, to be removed without a search.
pub(crate) type Key = u32;

/// The table itself.
pub(crate) struct Table {
    shards: [SpinLock<Slab>; SHARDS],
}

impl Default for Table {
    fn default() -> Self {
        Table {
            shards: std::array::from_fn(|_| SpinLock::new(Slab::default())),
        }
    }
}

impl Table {
    fn shard(&self, i: usize) -> SpinGuard<'_, Slab> {
        self.shards[i].lock()
    }

    /// Adds a process; `hint` spreads processes over the shards.
    pub(crate) fn insert(&self, hint: u64, core: Weak<dyn Core>) -> Key {
        let s = (hint as usize) % SHARDS;
        let mut shard = self.shard(s);
        let slot = match shard.free.pop() {
            Some(i) => {
                shard.entries[i as usize] = Some(core);
                i
            }
            None => {
                shard.entries.push(Some(core));
                (shard.entries.len() - 1) as u32
            }
        };
        (slot << 4) | s as u32
    }

    /// Removes the process at `key`.
    pub(crate) fn remove(&self, key: Key) {
        let (slot, s) = (key >> 4, (key & 0xf) as usize);
        let old = {
            let mut shard = self.shard(s);
            let old = shard.entries.get_mut(slot as usize).and_then(Option::take);
            if old.is_some() {
                shard.free.push(slot);
            }
            old
        };
        drop(old);
    }

    /// Every live process (those still reachable), shard by shard.
    pub(crate) fn all(&self) -> Vec<std::sync::Arc<dyn Core>> {
        let mut out = Vec::new();
        for s in 0..SHARDS {
            let shard = self.shard(s);
            out.extend(shard.entries.iter().flatten().filter_map(Weak::upgrade));
        }
        out
    }
}
