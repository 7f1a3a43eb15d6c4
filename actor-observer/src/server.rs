//! The observer's configuration, its router and its server.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use actor_core::observe::Observed;
use actor_core::{AnyPid, Ctx, Spawn};
use axum::Router;
use axum::routing::{get, post};
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::error::ObserverError;
use crate::state::{Page, State, start_sampler};
use crate::{api, assets, stream};

/// The observer, to be [served](Observer::serve) or [embedded](Observer::router).
///
/// Reading (the page, `GET /api/...`) is open to whoever reaches the
/// address; acting (kill, restart) needs the token, sent as
/// `Authorization: Bearer TOKEN`. Without [`token`](Observer::token), a
/// random one is made.
///
/// # Examples
///
/// ```
/// use actor_observer::{Observer, ObserverError};
///
/// actor_core::Runtime::tokio().block_on(async {
///     let serving = Observer::new().token("s3cret")?.serve("127.0.0.1:0").await?;
///     assert_eq!(serving.token(), "s3cret");
///     assert!(matches!(Observer::new().token("has space"), Err(ObserverError::BadToken)));
///     serving.stop();
///     Ok::<(), ObserverError>(())
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct Observer {
    token: Arc<str>,
    pages: Vec<Page>,
    extra: Router,
    nodes: Option<NodesFn>,
    pub(crate) remote: Option<Arc<dyn crate::remote::Remote>>,
}

/// Lists the nodes this one is connected to.
pub(crate) type NodesFn = Arc<dyn Fn() -> Vec<Node> + Send + Sync>;

/// A node the overview lists: see [`Observer::nodes`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Node {
    /// Its id (the `node` of its processes' ids).
    pub id: u32,
    /// Its name.
    pub name: String,
}

impl Node {
    /// A node with this id and name.
    pub fn new(id: actor_core::NodeId, name: impl Into<String>) -> Self {
        Node {
            id: id.0,
            name: name.into(),
        }
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observer")
            .field("pages", &self.pages)
            .finish_non_exhaustive()
    }
}

impl Default for Observer {
    fn default() -> Self {
        Self::new()
    }
}

impl Observer {
    /// An observer with a fresh random token.
    pub fn new() -> Self {
        Observer {
            token: Arc::from(random_token()),
            pages: Vec::new(),
            extra: Router::new(),
            nodes: None,
            remote: None,
        }
    }

    /// Lists other nodes on the overview (and at `GET /api/nodes`): `nodes`
    /// is asked each time a page wants them. With actor-net, use
    /// `Observer::cluster` instead (feature `net`): it lists the cluster's
    /// nodes and shows their processes too.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::NodeId;
    /// use actor_observer::{Node, Observer};
    ///
    /// let observer = Observer::new().nodes(|| vec![Node::new(NodeId(2), "b@host")]);
    /// # drop(observer);
    /// ```
    pub fn nodes(mut self, nodes: impl Fn() -> Vec<Node> + Send + Sync + 'static) -> Self {
        self.nodes = Some(Arc::new(nodes));
        self
    }

    /// Uses `token` for the actions instead of a random one.
    ///
    /// # Errors
    ///
    /// [`ObserverError::BadToken`] if it is empty or holds characters other
    /// than visible ASCII (it travels in a header).
    pub fn token(mut self, token: impl Into<String>) -> Result<Self, ObserverError> {
        let token = token.into();
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ObserverError::BadToken);
        }
        self.token = Arc::from(token);
        Ok(self)
    }

    /// The token the actions need.
    pub fn token_text(&self) -> &str {
        &self.token
    }

    /// Adds a page of the program's own: `routes` are served beside the
    /// observer's, and the navigation links `title` to `path`. The robot
    /// world's live view is one.
    pub fn page(
        mut self,
        title: impl Into<String>,
        path: impl Into<String>,
        routes: Router,
    ) -> Self {
        self.pages.push(Page {
            title: title.into(),
            path: path.into(),
        });
        self.extra = self.extra.merge(routes);
        self
    }

    /// The observer as an axum router, to nest in an application of one's
    /// own. It looks at the runtime it is made on (so make it on the
    /// runtime whose processes it should show) and starts a process there
    /// that samples once a second while the router lives.
    ///
    /// # Panics
    ///
    /// Outside a runtime, as [`actor_core::spawn`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_observer::Observer;
    ///
    /// actor_core::Runtime::tokio_current_thread().block_on(async {
    ///     let app = axum::Router::new()
    ///         .route("/", axum::routing::get(|| async { "my service" }))
    ///         .nest("/observer", Observer::new().router());
    ///     # drop(app);
    /// });
    /// ```
    pub fn router(&self) -> Router {
        let state = State::new(
            Observed::current(),
            self.token.clone(),
            self.pages.clone(),
            self.nodes.clone(),
            self.remote.clone(),
        );
        start_sampler(&state);
        Router::new()
            .route("/", get(assets::index))
            .route("/assets/app.js", get(assets::app))
            .route("/assets/style.css", get(assets::style))
            .route("/api/info", get(api::info))
            .route("/api/overview", get(api::overview))
            .route("/api/processes", get(api::processes))
            .route("/api/processes/{id}", get(api::process))
            .route("/api/processes/{id}/kill", post(api::kill))
            .route("/api/processes/{id}/restart", post(api::restart))
            .route("/api/tree", get(api::tree))
            .route("/api/log", get(api::log))
            .route("/api/nodes", get(api::nodes))
            .route("/api/events", get(stream::events))
            .with_state(state)
            .merge(self.extra.clone())
    }

    /// Listens on `addr` and serves the observer for the runtime this is
    /// called on, from a process of its own (labelled `observer`) that
    /// runs until [`Serving::stop`] or until it is killed. Give
    /// `127.0.0.1:PORT` (port 0 for any free one) unless the page should be
    /// reachable from other machines.
    ///
    /// # Errors
    ///
    /// [`ObserverError::Bind`] if the address cannot be bound,
    /// [`ObserverError::NoAddress`] if it resolves to nothing,
    /// [`ObserverError::Deterministic`] on the deterministic runtime.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is served until it returns.
    pub async fn serve(
        self,
        addr: impl ToSocketAddrs + fmt::Debug,
    ) -> Result<Serving, ObserverError> {
        if actor_core::deterministic::is_current() {
            return Err(ObserverError::Deterministic);
        }
        let shown = format!("{addr:?}");
        let listener = TcpListener::bind(addr).await.map_err(|source| {
            if source.kind() == std::io::ErrorKind::InvalidInput {
                ObserverError::NoAddress(shown.clone())
            } else {
                ObserverError::Bind {
                    addr: shown.clone(),
                    source,
                }
            }
        })?;
        let local = listener
            .local_addr()
            .map_err(|source| ObserverError::Bind {
                addr: shown,
                source,
            })?;
        let router = self.router();
        let pid = Spawn::new()
            .label("observer")
            .system()
            .spawn(move |_: Ctx<()>| async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "the observer stopped serving");
                }
            });
        tracing::info!(addr = %local, "observer serving");
        Ok(Serving {
            addr: local,
            token: self.token,
            pid: AnyPid::from(pid),
        })
    }
}

/// Serves the observer on `addr` with a random token: see
/// [`Observer::serve`].
///
/// # Errors
///
/// As [`Observer::serve`].
///
/// # Examples
///
/// ```
/// actor_core::Runtime::tokio().block_on(async {
///     let serving = actor_observer::serve("127.0.0.1:0").await.unwrap();
///     assert!(serving.url().starts_with("http://127.0.0.1:"));
///     assert_eq!(serving.token().len(), 32);
///     serving.stop();
/// });
/// ```
pub async fn serve(addr: impl ToSocketAddrs + fmt::Debug) -> Result<Serving, ObserverError> {
    Observer::new().serve(addr).await
}

/// A running observer: where it listens and the token its actions need.
#[derive(Debug)]
pub struct Serving {
    addr: SocketAddr,
    token: Arc<str>,
    pid: AnyPid,
}

impl Serving {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The page's address, `http://ADDR/`.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The token for `Authorization: Bearer TOKEN`.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The process that serves.
    pub fn pid(&self) -> &AnyPid {
        &self.pid
    }

    /// Stops listening (at the serving process's next `.await`); pages
    /// already open keep their connection until they close it.
    pub fn stop(&self) {
        self.pid.kill();
    }
}

/// 128 random bits as 32 hex digits, from the operating system's
/// randomness that seeds the standard library's hash maps.
fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::with_capacity(32);
    for i in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}
