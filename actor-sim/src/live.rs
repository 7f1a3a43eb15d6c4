//! The live view: the world drawn in a browser as it runs, served beside
//! the observer (`robot-world --observe 127.0.0.1:PORT`).
//!
//! The Display [publishes](LiveView::publish) each `WORLD_STATE` into a
//! one-slot channel that keeps only the latest, so publishing never waits.
//! The page asks for the next frame only when it has drawn the last one
//! (`GET world/frame?after=TICK` answers with the first tick after `TICK`),
//! so it draws at the rate the browser can take and skips the ticks it
//! had no time for: a slow browser drops frames, it never slows the world.
//!
//! A frame is little-endian binary: the tick (`u64`), the robot count
//! (`u32`), then per robot its id (`u32`) and `x`, `y`, angle (`f32`
//! each), ids ascending.

use std::sync::Arc;
use std::time::Duration;

use actor_observer::Observer;
use actor_observer::axum::Router;
use actor_observer::axum::extract::{Query, State};
use actor_observer::axum::http::{StatusCode, header};
use actor_observer::axum::response::{IntoResponse, Response};
use actor_observer::axum::routing::get;
use serde::Deserialize;
use tokio::sync::watch;

use crate::world::WorldState;

const PAGE: &str = include_str!("../assets/world.html");

/// How long a request for the next frame waits before it is answered
/// with no frame (204), so that nothing between the page and the server
/// gives up on it first.
const LONG_POLL: Duration = Duration::from_secs(20);

/// The latest `WORLD_STATE`, for the page.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use actor_sim::{live::LiveView, world::WorldState};
///
/// let view = LiveView::new();
/// view.publish(Arc::new(WorldState { tick: 3, robots: vec![] }));
/// assert_eq!(view.latest().unwrap().tick, 3);
/// ```
#[derive(Clone, Debug)]
pub struct LiveView {
    tx: Arc<watch::Sender<Option<Arc<WorldState>>>>,
}

impl Default for LiveView {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveView {
    /// A view with no frame yet.
    #[must_use]
    pub fn new() -> Self {
        LiveView {
            tx: Arc::new(watch::channel(None).0),
        }
    }

    /// Makes `state` the latest frame, replacing the one before whether or
    /// not a page has fetched it. Never waits.
    pub fn publish(&self, state: Arc<WorldState>) {
        self.tx.send_replace(Some(state));
    }

    /// The latest frame, if any.
    #[must_use]
    pub fn latest(&self) -> Option<Arc<WorldState>> {
        self.tx.borrow().clone()
    }

    /// The page (`world`) and its frames (`world/frame`), as routes.
    pub fn routes(&self) -> Router {
        Router::new()
            .route("/world", get(page))
            .route("/world/frame", get(frame))
            .with_state(self.clone())
    }

    /// An observer whose navigation links to the live view.
    #[must_use]
    pub fn observer(&self) -> Observer {
        Observer::new().page("Robot world", "world", self.routes())
    }
}

async fn page() -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
}

#[derive(Deserialize)]
struct FrameQuery {
    after: Option<u64>,
}

async fn frame(State(view): State<LiveView>, Query(q): Query<FrameQuery>) -> Response {
    let mut rx = view.tx.subscribe();
    let newer = |s: &Option<Arc<WorldState>>| {
        s.as_ref()
            .is_some_and(|s| q.after.is_none_or(|after| s.tick > after))
    };
    let found = actor_core::timeout(LONG_POLL, async {
        rx.wait_for(newer).await.ok().and_then(|s| s.clone())
    })
    .await;
    match found {
        Ok(Some(state)) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            encode(&state),
        )
            .into_response(),
        _ => StatusCode::NO_CONTENT.into_response(),
    }
}

/// A frame as the page reads it (see the module's docs).
///
/// # Examples
///
/// ```
/// use actor_sim::{live, rules::RobotState, world::{RobotRecord, WorldState}};
///
/// let state = WorldState {
///     tick: 7,
///     robots: vec![RobotRecord { id: 1, state: RobotState::new(10.0, 20.0, 90.0, 5.0) }],
/// };
/// let bytes = live::encode(&state);
/// assert_eq!(bytes.len(), 12 + 16);
/// assert_eq!(&bytes[..8], &7u64.to_le_bytes());
/// ```
#[must_use]
pub fn encode(state: &WorldState) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + 16 * state.robots.len());
    out.extend_from_slice(&state.tick.to_le_bytes());
    out.extend_from_slice(&(state.robots.len() as u32).to_le_bytes());
    for r in &state.robots {
        out.extend_from_slice(&r.id.to_le_bytes());
        for v in [r.state.x, r.state.y, r.state.angle] {
            out.extend_from_slice(&(v as f32).to_le_bytes());
        }
    }
    out
}
