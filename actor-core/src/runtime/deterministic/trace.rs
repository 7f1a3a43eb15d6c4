//! The event trace of a deterministic run, and its hash.

use std::collections::VecDeque;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::ProcessId;

/// One thing that happened in a deterministic run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A process was spawned (by `parent`, if a process spawned it).
    Spawn {
        /// The new process.
        pid: ProcessId,
        /// The process that spawned it.
        parent: Option<ProcessId>,
    },
    /// A process was scheduled to run.
    Run {
        /// The process.
        pid: ProcessId,
    },
    /// A message was sent and will be delivered after `delay_ns` of virtual time.
    Send {
        /// The sending process, if the sender is one.
        from: Option<ProcessId>,
        /// The receiver.
        to: ProcessId,
        /// How long it stays in flight.
        delay_ns: u64,
    },
    /// A message reached the receiver's mailbox.
    Deliver {
        /// The sending process, if the sender is one.
        from: Option<ProcessId>,
        /// The receiver.
        to: ProcessId,
    },
    /// A process took a message from its mailbox.
    Receive {
        /// The process.
        pid: ProcessId,
    },
    /// A timer fired.
    Timer,
    /// The runtime killed a process (kill injection).
    Kill {
        /// The process.
        pid: ProcessId,
    },
    /// A process ended.
    Exit {
        /// The process.
        pid: ProcessId,
        /// Its exit reason, as text.
        reason: String,
    },
    /// Something the code under test said happened, with
    /// [`note`](super::note): a simulated network's partition, a node's
    /// crash. Every note is kept in [`Trace::notes`].
    Note {
        /// What happened.
        text: String,
    },
}

/// An event and the virtual time at which it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Virtual nanoseconds since the start of the run.
    pub time_ns: u64,
    /// What happened.
    pub event: Event,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.time_ns as f64 / 1e6;
        match &self.event {
            Event::Spawn { pid, parent } => match parent {
                Some(p) => write!(f, "{t:>12.3}ms spawn {pid} by {p}"),
                None => write!(f, "{t:>12.3}ms spawn {pid}"),
            },
            Event::Run { pid } => write!(f, "{t:>12.3}ms run {pid}"),
            Event::Send { from, to, delay_ns } => {
                let from = from.map_or("-".to_string(), |p| p.to_string());
                write!(
                    f,
                    "{t:>12.3}ms send {from} -> {to} (in flight {delay_ns}ns)"
                )
            }
            Event::Deliver { from, to } => {
                let from = from.map_or("-".to_string(), |p| p.to_string());
                write!(f, "{t:>12.3}ms deliver {from} -> {to}")
            }
            Event::Receive { pid } => write!(f, "{t:>12.3}ms receive {pid}"),
            Event::Timer => write!(f, "{t:>12.3}ms timer"),
            Event::Kill { pid } => write!(f, "{t:>12.3}ms kill {pid}"),
            Event::Exit { pid, reason } => write!(f, "{t:>12.3}ms exit {pid} {reason}"),
            Event::Note { text } => write!(f, "{t:>12.3}ms note {text}"),
        }
    }
}

/// The trace of a run: every event is hashed, the last ones are kept, and
/// so are all the [notes](super::note).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trace {
    hash: u64,
    len: u64,
    capacity: usize,
    tail: VecDeque<Entry>,
    #[serde(default)]
    notes: Vec<Entry>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn pid_bytes(h: u64, p: Option<ProcessId>) -> u64 {
    match p {
        Some(p) => fnv(fnv(h, &p.node.0.to_le_bytes()), &p.serial.to_le_bytes()),
        None => fnv(h, &[0xff]),
    }
}

impl Trace {
    pub(crate) fn new(capacity: usize) -> Self {
        Trace {
            hash: FNV_OFFSET,
            len: 0,
            capacity,
            tail: VecDeque::new(),
            notes: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, entry: Entry) {
        let mut h = fnv(self.hash, &entry.time_ns.to_le_bytes());
        h = match &entry.event {
            Event::Spawn { pid, parent } => pid_bytes(pid_bytes(fnv(h, &[1]), Some(*pid)), *parent),
            Event::Run { pid } => pid_bytes(fnv(h, &[2]), Some(*pid)),
            Event::Send { from, to, delay_ns } => fnv(
                pid_bytes(pid_bytes(fnv(h, &[3]), *from), Some(*to)),
                &delay_ns.to_le_bytes(),
            ),
            Event::Deliver { from, to } => pid_bytes(pid_bytes(fnv(h, &[4]), *from), Some(*to)),
            Event::Receive { pid } => pid_bytes(fnv(h, &[5]), Some(*pid)),
            Event::Timer => fnv(h, &[6]),
            Event::Kill { pid } => pid_bytes(fnv(h, &[7]), Some(*pid)),
            Event::Exit { pid, reason } => {
                fnv(pid_bytes(fnv(h, &[8]), Some(*pid)), reason.as_bytes())
            }
            Event::Note { text } => fnv(fnv(h, &[9]), text.as_bytes()),
        };
        if matches!(entry.event, Event::Note { .. }) {
            self.notes.push(entry.clone());
        }
        self.hash = h;
        self.len += 1;
        if self.capacity > 0 {
            if self.tail.len() == self.capacity {
                self.tail.pop_front();
            }
            self.tail.push_back(entry);
        }
    }

    /// A hash of every event of the run, in order: two runs with the same
    /// hash did the same things at the same virtual times.
    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// How many events the run had.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the run had no events.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The last events (as many as [`Config::trace_tail`](super::Config::trace_tail) keeps).
    pub fn tail(&self) -> impl Iterator<Item = &Entry> {
        self.tail.iter()
    }

    /// Every [note](super::note) of the run, in order (they are also
    /// events, hashed and in the tail like the others).
    pub fn notes(&self) -> impl Iterator<Item = &Entry> {
        self.notes.iter()
    }
}
