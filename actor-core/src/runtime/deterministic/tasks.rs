//! The task table of a deterministic run: one slot per live task, reused
//! once its task has ended, so that a run which spawns and ends processes
//! forever keeps a table as large as its most tasks alive at once.
//!
//! A task is named by a token: its slot in the low half of a `usize`, the
//! slot's generation in the high half. Ending a task bumps its slot's
//! generation, so that a stale token (in the run queue, in a waker that
//! outlived its task, in a rendezvous channel) never reaches the task that
//! took the slot next: it is skipped, as a token of an ended task always
//! was. Tokens never depend on the reuse order, and nothing reads them
//! into the trace, so reusing slots leaves every trace as it was.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::TaskWaker;
use crate::id::{NodeId, ProcessId};

/// How many bits of a token name the slot; the rest count generations.
const SLOT_BITS: u32 = usize::BITS / 2;
const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;
/// The most tasks alive at once (the slot `SLOT_MASK` is never used, so
/// that no token equals [`MAIN`]).
const MAX_SLOTS: usize = SLOT_MASK;

/// The token of the run's main future, which has no slot.
pub(super) const MAIN: usize = usize::MAX;

pub(super) struct Task {
    pub(super) fut: Option<Pin<Box<dyn Future<Output = ()>>>>,
    pub(super) waker: Arc<TaskWaker>,
    pub(super) pid: Option<ProcessId>,
    /// The simulated node it belongs to, if any (see `within_node`).
    pub(super) node: Option<NodeId>,
    pub(super) waiting: &'static str,
}

struct Slot {
    generation: usize,
    task: Option<Task>,
}

/// The live tasks, by token.
#[derive(Default)]
pub(super) struct TaskTable {
    slots: Vec<Slot>,
    /// Slots whose task has ended, the most recently freed last.
    free: Vec<usize>,
}

fn split(token: usize) -> (usize, usize) {
    (token & SLOT_MASK, token >> SLOT_BITS)
}

impl TaskTable {
    /// The token the next [`insert`](TaskTable::insert) will use (its
    /// waker must know it before the task exists).
    ///
    /// # Panics
    ///
    /// If the run has `MAX_SLOTS` tasks alive at once.
    pub(super) fn next_token(&self) -> usize {
        let slot = match self.free.last() {
            Some(&slot) => slot,
            None => self.slots.len(),
        };
        assert!(
            slot < MAX_SLOTS,
            "a deterministic run has more than {MAX_SLOTS} tasks alive at once"
        );
        let generation = self.slots.get(slot).map_or(0, |s| s.generation);
        slot | (generation << SLOT_BITS)
    }

    /// Adds a task under the token [`next_token`](TaskTable::next_token)
    /// gave.
    pub(super) fn insert(&mut self, token: usize, task: Task) {
        let (slot, generation) = split(token);
        if self.free.last() == Some(&slot) {
            self.free.pop();
            self.slots[slot].task = Some(task);
        } else {
            debug_assert_eq!(slot, self.slots.len(), "the token of next_token");
            self.slots.push(Slot {
                generation,
                task: Some(task),
            });
        }
    }

    /// The live task of `token`; `None` if it has ended (or is [`MAIN`]).
    pub(super) fn get(&self, token: usize) -> Option<&Task> {
        let (slot, generation) = split(token);
        let s = self.slots.get(slot)?;
        if s.generation != generation {
            return None;
        }
        s.task.as_ref()
    }

    /// The live task of `token`, to change.
    pub(super) fn get_mut(&mut self, token: usize) -> Option<&mut Task> {
        let (slot, generation) = split(token);
        let s = self.slots.get_mut(slot)?;
        if s.generation != generation {
            return None;
        }
        s.task.as_mut()
    }

    /// Ends the task of `token` and frees its slot for the next task; its
    /// token (and every copy of it) goes stale.
    pub(super) fn remove(&mut self, token: usize) -> Option<Task> {
        let (slot, generation) = split(token);
        let s = self.slots.get_mut(slot)?;
        if s.generation != generation {
            return None;
        }
        let task = s.task.take()?;
        // Wrapping within the generation bits; a token that stale (2^32
        // tasks later in the same slot, on 64-bit) is not kept anywhere.
        s.generation = (s.generation + 1) & (usize::MAX >> SLOT_BITS);
        self.free.push(slot);
        Some(task)
    }

    /// The live tasks, in slot order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Task> {
        self.slots.iter().filter_map(|s| s.task.as_ref())
    }

    /// The live tasks with their tokens, in slot order.
    pub(super) fn iter_tokens(&self) -> impl Iterator<Item = (usize, &Task)> {
        self.slots.iter().enumerate().filter_map(|(slot, s)| {
            let task = s.task.as_ref()?;
            Some((slot | (s.generation << SLOT_BITS), task))
        })
    }

    /// How many slots the table holds (live tasks and free slots): what a
    /// spawn storm would grow if slots were not reused.
    #[cfg(test)]
    pub(super) fn slots(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Mutex};

    use super::*;

    fn task() -> Task {
        Task {
            fut: None,
            waker: Arc::new(TaskWaker {
                id: 0,
                ready: Arc::new(Mutex::new(Default::default())),
                scheduled: AtomicBool::new(false),
            }),
            pid: None,
            node: None,
            waiting: "a test",
        }
    }

    #[test]
    fn a_freed_slot_is_reused_and_the_old_token_goes_stale() {
        let mut table = TaskTable::default();
        let a = table.next_token();
        table.insert(a, task());
        let b = table.next_token();
        table.insert(b, task());
        assert!(table.remove(a).is_some());
        let c = table.next_token();
        table.insert(c, task());
        assert_eq!(table.slots(), 2, "a's slot was reused");
        assert_ne!(a, c);
        assert!(table.get(a).is_none(), "a's token does not reach c");
        assert!(table.remove(a).is_none());
        assert!(table.get(c).is_some() && table.get(b).is_some());
        assert!(table.get(MAIN).is_none());
    }
}
