//! Exit reasons and the signals a process can receive about other processes.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::id::{MonitorRef, ProcessId};

/// Why a process ended.
///
/// Erlang's rules apply: [`Normal`](ExitReason::Normal) does not propagate
/// along links, every other reason kills linked processes that do not trap
/// exits. The reason is cheap to clone.
///
/// # Examples
///
/// ```
/// use actor_core::ExitReason;
///
/// assert!(ExitReason::Normal.is_normal());
/// assert!(!ExitReason::Killed.is_normal());
/// let e = ExitReason::error(std::io::Error::other("disk full"));
/// assert_eq!(e.to_string(), "error: disk full");
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub enum ExitReason {
    /// The body returned: the process finished its work.
    Normal,
    /// Asked to stop, typically by its supervisor.
    Shutdown,
    /// Killed by an untrappable kill.
    Killed,
    /// The process panicked; the panic message.
    Panicked(Arc<str>),
    /// The process failed with an error.
    Error(Arc<dyn std::error::Error + Send + Sync>),
    /// The process did not exist (or had already ended) when it was asked for.
    NoProc,
    /// The node that ran the process can no longer be reached.
    NoConnection,
    /// A reason of the user's own, as a short text (Erlang's atoms).
    Other(Arc<str>),
}

impl ExitReason {
    /// An [`ExitReason::Error`] from any error value.
    pub fn error<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        ExitReason::Error(Arc::new(e))
    }

    /// An [`ExitReason::Other`] with the given text.
    pub fn other(text: impl Into<String>) -> Self {
        ExitReason::Other(Arc::from(text.into()))
    }

    /// `true` for [`ExitReason::Normal`]: the one reason that does not kill
    /// linked processes.
    pub fn is_normal(&self) -> bool {
        matches!(self, ExitReason::Normal)
    }

    /// `true` for the reasons a supervisor treats as a clean stop of a
    /// transient child: normal and shutdown.
    pub fn is_clean(&self) -> bool {
        matches!(self, ExitReason::Normal | ExitReason::Shutdown)
    }
}

impl PartialEq for ExitReason {
    fn eq(&self, other: &Self) -> bool {
        use ExitReason::*;
        match (self, other) {
            (Normal, Normal)
            | (Shutdown, Shutdown)
            | (Killed, Killed)
            | (NoProc, NoProc)
            | (NoConnection, NoConnection) => true,
            (Panicked(a), Panicked(b)) | (Other(a), Other(b)) => a == b,
            (Error(a), Error(b)) => Arc::ptr_eq(a, b) || a.to_string() == b.to_string(),
            _ => false,
        }
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::Panicked(m) => write!(f, "panicked: {m}"),
            ExitReason::Error(e) => write!(f, "error: {e}"),
            ExitReason::NoProc => f.write_str("noproc"),
            ExitReason::NoConnection => f.write_str("noconnection"),
            ExitReason::Other(m) => f.write_str(m),
        }
    }
}

impl fmt::Debug for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Panicked(m) => f.debug_tuple("Panicked").field(m).finish(),
            ExitReason::Error(e) => f.debug_tuple("Error").field(&e.to_string()).finish(),
            ExitReason::Other(m) => f.debug_tuple("Other").field(m).finish(),
            other => fmt::Display::fmt(other, f),
        }
    }
}

impl Serialize for ExitReason {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ExitReason {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "normal" => ExitReason::Normal,
            "shutdown" => ExitReason::Shutdown,
            "killed" => ExitReason::Killed,
            "noproc" => ExitReason::NoProc,
            "noconnection" => ExitReason::NoConnection,
            _ => match s.strip_prefix("panicked: ") {
                Some(m) => ExitReason::Panicked(Arc::from(m)),
                None => ExitReason::Other(Arc::from(s)),
            },
        })
    }
}

/// The one message a monitor delivers when the watched process ends.
///
/// A process that monitors others converts it into its own message type
/// (`M: From<Down>`), so that it arrives in the same receive loop as
/// everything else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Down {
    /// The monitor this message answers.
    pub monitor: MonitorRef,
    /// The process that ended.
    pub id: ProcessId,
    /// Why it ended; [`ExitReason::NoProc`] if it was already gone.
    pub reason: ExitReason,
}

/// An exit signal turned into a message, for a process that traps exits
/// (Erlang's `{'EXIT', From, Reason}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exit {
    /// The process the signal comes from.
    pub from: ProcessId,
    /// Its exit reason.
    pub reason: ExitReason,
}
