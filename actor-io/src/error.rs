//! The crate's error type. Every failure of an fd, a socket, a port or a
//! worker is one of these: returned from a call, carried in an event
//! message, or used as a process's exit reason ([`ExitReason::Error`]).
//!
//! [`ExitReason::Error`]: actor_core::ExitReason::Error

use std::fmt;
use std::io;
use std::sync::Arc;

use actor_core::StartError;

use crate::port::ChildExit;

/// What went wrong with an fd, a socket, a subprocess port or a worker.
///
/// Cheap to clone (OS errors are shared), so that it can travel in
/// messages and exit reasons.
///
/// # Examples
///
/// ```
/// use actor_io::Error;
/// use std::io;
///
/// let e = Error::from(io::Error::from(io::ErrorKind::ConnectionReset));
/// assert!(matches!(e, Error::ConnectionReset));
/// assert_eq!(e.to_string(), "connection reset by peer");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Error {
    /// No tokio runtime with IO on this thread: actor-io runs on
    /// [`Runtime::tokio`](actor_core::Runtime::tokio) (or inside any tokio
    /// runtime with IO enabled), not on the deterministic runtime.
    NoReactor,
    /// The fd cannot be watched by epoll (regular files and directories are
    /// always ready, and epoll refuses them).
    NotPollable(Arc<io::Error>),
    /// The program to run was not found.
    NotFound {
        /// The program, as given.
        program: String,
    },
    /// Starting the program failed for another reason.
    Spawn {
        /// The program, as given.
        program: String,
        /// The OS error.
        source: Arc<io::Error>,
    },
    /// The peer reset the connection.
    ConnectionReset,
    /// The other end is closed (broken pipe), or the process behind a handle
    /// has ended.
    Closed,
    /// An operation did not complete in time: a stuck or silent peer.
    TimedOut {
        /// What timed out: `"read"`, `"write"`, ...
        op: &'static str,
    },
    /// A worker process exited while it was in use.
    WorkerExited(ChildExit),
    /// A peer broke the framing protocol (a worker's reply that does not
    /// decode, an oversized frame).
    Protocol(String),
    /// A connection asked to reserve more of its listener's buffer budget
    /// than is free now (see
    /// [`Listener::buffer_limit`](crate::Listener::buffer_limit)).
    BufferLimit {
        /// The bytes asked for.
        wanted: usize,
        /// The bytes reserved by all the connections at the time.
        in_use: usize,
        /// The listener's limit.
        limit: usize,
    },
    /// A supervisor the crate starts (a listener's connection supervisor)
    /// failed to start; why.
    SupervisorStart(StartError),
    /// Any other OS error.
    Io(Arc<io::Error>),
}

impl Error {
    /// The OS error behind this one, if there is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::NotPollable(e) | Error::Io(e) => Some(e),
            Error::Spawn { source, .. } => Some(source),
            _ => None,
        }
    }

    pub(crate) fn spawn(program: &str, e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::NotFound {
            Error::NotFound {
                program: program.to_string(),
            }
        } else {
            Error::Spawn {
                program: program.to_string(),
                source: Arc::new(e),
            }
        }
    }

    /// A registration error from the reactor, as this crate reports it.
    pub(crate) fn register(e: io::Error) -> Self {
        if e.raw_os_error() == Some(rustix::io::Errno::PERM.raw_os_error()) {
            Error::NotPollable(Arc::new(e))
        } else {
            Error::from(e)
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        match e.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => {
                Error::ConnectionReset
            }
            io::ErrorKind::BrokenPipe => Error::Closed,
            _ => Error::Io(Arc::new(e)),
        }
    }
}

impl From<rustix::io::Errno> for Error {
    fn from(e: rustix::io::Errno) -> Self {
        Error::from(io::Error::from(e))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoReactor => {
                f.write_str("no tokio runtime with IO enabled on this thread (actor-io needs one)")
            }
            Error::NotPollable(e) => write!(f, "the fd cannot be watched by epoll: {e}"),
            Error::NotFound { program } => write!(f, "program not found: {program}"),
            Error::Spawn { program, source } => write!(f, "cannot start {program}: {source}"),
            Error::ConnectionReset => f.write_str("connection reset by peer"),
            Error::Closed => f.write_str("closed"),
            Error::TimedOut { op } => write!(f, "{op} timed out"),
            Error::WorkerExited(status) => write!(f, "worker exited: {status}"),
            Error::Protocol(m) => write!(f, "protocol error: {m}"),
            Error::BufferLimit {
                wanted,
                in_use,
                limit,
            } => write!(
                f,
                "no room to buffer {wanted} bytes: {in_use} of the {limit} shared by the \
                 listener's connections are in use"
            ),
            Error::SupervisorStart(e) => write!(f, "cannot start the supervisor: {e}"),
            Error::Io(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::NotPollable(e) | Error::Io(e) => Some(&**e),
            Error::Spawn { source, .. } => Some(&**source),
            Error::SupervisorStart(e) => Some(e),
            _ => None,
        }
    }
}

/// Fails with [`Error::NoReactor`] outside a tokio runtime, or on the
/// deterministic runtime (even one started inside a tokio runtime, whose
/// reactor it never drives), instead of letting tokio panic or the run
/// hang.
pub(crate) fn need_reactor() -> Result<(), Error> {
    if actor_core::deterministic::is_current() {
        return Err(Error::NoReactor);
    }
    tokio::runtime::Handle::try_current()
        .map(drop)
        .map_err(|_| Error::NoReactor)
}
