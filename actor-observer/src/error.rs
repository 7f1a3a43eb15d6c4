//! The crate's error type.

use std::fmt;

/// Why the observer could not start.
///
/// # Examples
///
/// ```
/// use actor_core::deterministic::{self, Config};
/// use actor_observer::ObserverError;
///
/// let out = deterministic::run(Config::fifo(), async {
///     actor_observer::serve("127.0.0.1:0").await.map(|_| ())
/// });
/// assert!(matches!(out.result.unwrap(), Err(ObserverError::Deterministic)));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ObserverError {
    /// The address could not be bound (in use, not this machine's, no
    /// permission).
    Bind {
        /// The address asked for, as given.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The address did not resolve to any socket address.
    NoAddress(String),
    /// Called on the deterministic runtime, which has no sockets: serve
    /// from a tokio runtime.
    Deterministic,
    /// The token is empty or has characters a header cannot carry.
    BadToken,
}

impl fmt::Display for ObserverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObserverError::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            ObserverError::NoAddress(a) => write!(f, "{a:?} names no socket address"),
            ObserverError::Deterministic => f.write_str(
                "the observer serves from a tokio runtime; the deterministic runtime has no sockets",
            ),
            ObserverError::BadToken => f.write_str(
                "a token must be non-empty visible ASCII without spaces (it travels in a header)",
            ),
        }
    }
}

impl std::error::Error for ObserverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ObserverError::Bind { source, .. } => Some(source),
            _ => None,
        }
    }
}
