//! What a node counts: batches and frames in and out, and every drop.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a node's counters, from [`Node::stats`](crate::Node::stats).
///
/// Every frame a node refuses or cannot use is counted here (and logged
/// with its sender), never a crash.
///
/// # Examples
///
/// ```
/// let stats = actor_net::Stats::default();
/// assert_eq!(stats.dropped(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// NATS messages (batches of frames) published to other nodes.
    pub batches_out: u64,
    /// Batches received on this node's inbox.
    pub batches_in: u64,
    /// Frames received and decoded.
    pub frames_in: u64,
    /// Batches or frames that did not decode (garbage, another version, a
    /// truncated batch): dropped.
    pub dropped_undecodable: u64,
    /// Messages for a process this node does not have (never had, or
    /// ended), or that the process's message type could not decode:
    /// dropped.
    pub dropped_unknown_target: u64,
    /// Frames for a node known to be down: dropped at the sender.
    pub dropped_to_down: u64,
    /// Batches from a node this node has declared down: dropped.
    pub dropped_from_down: u64,
}

impl Stats {
    /// All drops together.
    pub fn dropped(&self) -> u64 {
        self.dropped_undecodable
            + self.dropped_unknown_target
            + self.dropped_to_down
            + self.dropped_from_down
    }
}

/// The live counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) batches_in: AtomicU64,
    pub(crate) frames_in: AtomicU64,
    pub(crate) dropped_undecodable: AtomicU64,
    pub(crate) dropped_unknown_target: AtomicU64,
    pub(crate) dropped_from_down: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self, dropped_to_down: u64, batches_out: u64) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            batches_out,
            batches_in: get(&self.batches_in),
            frames_in: get(&self.frames_in),
            dropped_undecodable: get(&self.dropped_undecodable),
            dropped_unknown_target: get(&self.dropped_unknown_target),
            dropped_to_down,
            dropped_from_down: get(&self.dropped_from_down),
        }
    }
}
