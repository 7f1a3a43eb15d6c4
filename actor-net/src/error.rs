//! The crate's error type: every failure of connecting a node, of the
//! global registry, of a frame or of a local `nats-server` is one of these.

use std::fmt;
use std::sync::Arc;

use actor_core::{NodeId, ProcessId};

/// A NATS or JetStream failure, kept whole for its `source()`.
pub(crate) type Source = Arc<dyn std::error::Error + Send + Sync>;

/// What went wrong with a node, a frame, a global name or a local
/// `nats-server`.
///
/// Cheap to clone (sources are shared).
///
/// # Examples
///
/// ```
/// use actor_net::Error;
///
/// let e = Error::InvalidClusterName("a.b".to_string());
/// assert_eq!(
///     e.to_string(),
///     "invalid cluster name \"a.b\": use letters, digits, '-' and '_' only"
/// );
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// The cluster name is empty or has characters other than ASCII
    /// letters, digits, `-` and `_` (it is a subject token and part of
    /// JetStream bucket names).
    InvalidClusterName(String),
    /// A global name is empty, starts or ends with `.`, or has characters
    /// other than ASCII letters, digits, `-`, `_`, `/`, `=` and `.` (it is a
    /// JetStream key-value key).
    InvalidName(String),
    /// The configuration cannot be used (no URL, a grace period not longer
    /// than the heartbeat interval, an unreadable credentials file).
    Config(String),
    /// Connecting to NATS failed.
    Connect(Source),
    /// The server has no JetStream (start it with `-js`), or a JetStream
    /// request failed: node ids and global names live there.
    JetStream(Source),
    /// A NATS operation failed (a publish, a subscription).
    Nats(Source),
    /// A frame is larger than the server's maximum payload allows.
    FrameTooLarge {
        /// The frame's size in bytes.
        size: usize,
        /// The largest frame the server takes.
        max: usize,
    },
    /// The node is down (or was never seen).
    NodeDown(NodeId),
    /// Something did not happen in time.
    Timeout,
    /// The global name is taken by another process.
    AlreadyRegistered {
        /// The name.
        name: String,
        /// The process holding it.
        owner: ProcessId,
    },
    /// The global name is held by a process of another message type.
    WrongType {
        /// The name.
        name: String,
        /// The message type it was registered with.
        registered: String,
        /// The message type asked for.
        expected: &'static str,
    },
    /// The global name is not registered.
    NotRegistered(String),
    /// This node has been shut down.
    Shutdown,
    /// Starting or stopping a local `nats-server` failed.
    Server(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidClusterName(name) => write!(
                f,
                "invalid cluster name {name:?}: use letters, digits, '-' and '_' only"
            ),
            Error::InvalidName(name) => write!(
                f,
                "invalid global name {name:?}: use letters, digits, '-', '_', '/', '=' and inner '.'"
            ),
            Error::Config(why) => write!(f, "invalid node configuration: {why}"),
            Error::Connect(e) => write!(f, "cannot connect to NATS: {e}"),
            Error::JetStream(e) => write!(f, "JetStream: {e}"),
            Error::Nats(e) => write!(f, "NATS: {e}"),
            Error::FrameTooLarge { size, max } => write!(
                f,
                "frame of {size} bytes is larger than the server's maximum of {max}"
            ),
            Error::NodeDown(node) => write!(f, "node {} is down", node.0),
            Error::Timeout => f.write_str("timed out"),
            Error::AlreadyRegistered { name, owner } => {
                write!(f, "global name {name:?} is already registered to {owner}")
            }
            Error::WrongType {
                name,
                registered,
                expected,
            } => write!(
                f,
                "global name {name:?} is a process of {registered}, not of {expected}"
            ),
            Error::NotRegistered(name) => write!(f, "global name {name:?} is not registered"),
            Error::Shutdown => f.write_str("the node has been shut down"),
            Error::Server(why) => write!(f, "nats-server: {why}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Connect(e) | Error::JetStream(e) | Error::Nats(e) => Some(&**e),
            _ => None,
        }
    }
}

impl Error {
    /// Wraps a JetStream failure.
    pub(crate) fn jetstream(e: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::JetStream(Arc::new(e))
    }

    /// Wraps a core NATS failure.
    pub(crate) fn nats(e: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Nats(Arc::new(e))
    }
}
