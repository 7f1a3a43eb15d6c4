//! The crate's error type.

use std::fmt;
use std::path::PathBuf;

use crate::rules::RobotId;

/// Everything that can go wrong when setting up or running the robot world.
///
/// # Examples
///
/// ```
/// use actor_sim::{Scenario, SimError};
///
/// let err = Scenario::random(0, 1).unwrap_err();
/// assert!(matches!(err, SimError::NoRobots));
/// assert_eq!(err.to_string(), "the world needs at least one robot");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// A scenario without robots.
    NoRobots,
    /// More robots than ids.
    TooManyRobots(usize),
    /// A message named a robot id that is not in the scenario.
    UnknownRobot(RobotId),
    /// A robot sent `JOIN` while it was joined already.
    AlreadyJoined(RobotId),
    /// A file or directory could not be created, written or read.
    Io {
        /// What was being done, e.g. "create the trace file".
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A PNG could not be encoded.
    Png {
        /// Where it was going.
        path: PathBuf,
        /// The encoder's message.
        message: String,
    },
    /// A trace line could not be written or read back.
    Trace(serde_json::Error),
    /// An argument combination that cannot run.
    Invalid(String),
    /// The process machinery failed: a process the run needs ended early or
    /// could not be reached.
    Actor(String),
    /// A node of a run across nodes could not connect to NATS or use it.
    Net(actor_net::Error),
    /// The observer (the live view) could not start.
    Observer(actor_observer::ObserverError),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRobots => f.write_str("the world needs at least one robot"),
            Self::TooManyRobots(n) => write!(f, "too many robots: {n}"),
            Self::UnknownRobot(id) => write!(f, "no robot with id {id} in this world"),
            Self::AlreadyJoined(id) => write!(f, "robot {id} joined twice"),
            Self::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Self::Png { path, message } => {
                write!(f, "cannot encode the PNG {}: {message}", path.display())
            }
            Self::Trace(e) => write!(f, "trace: {e}"),
            Self::Invalid(msg) => f.write_str(msg),
            Self::Actor(msg) => write!(f, "actor failure: {msg}"),
            Self::Net(e) => write!(f, "NATS: {e}"),
            Self::Observer(e) => write!(f, "observer: {e}"),
        }
    }
}

impl std::error::Error for SimError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Trace(e) => Some(e),
            Self::Net(e) => Some(e),
            Self::Observer(e) => Some(e),
            _ => None,
        }
    }
}

impl From<serde_json::Error> for SimError {
    fn from(e: serde_json::Error) -> Self {
        Self::Trace(e)
    }
}

impl SimError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
