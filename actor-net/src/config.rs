//! What a node connects with: NATS URLs, cluster, name, credentials, TLS
//! and the liveness timing.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;

/// How a node connects and how quickly it declares a silent node down.
///
/// The cluster name is the subject prefix (`actor.<cluster>.…`) and part of
/// the JetStream bucket names, so that clusters sharing one NATS server
/// never see each other. Credentials and TLS are handed to async-nats as
/// given.
///
/// # Liveness
///
/// Every node publishes a heartbeat every [`heartbeat`](Self::heartbeat)
/// (default 500 ms) and declares a node down when it has heard nothing
/// from it for [`grace`](Self::grace) (default 2 s), checked every 100 ms:
/// a killed node is detected within the grace period plus about one check,
/// under 2.2 s by default. This is Erlang's net tick. The same grace
/// applies to this node's own NATS connection: lost for longer than the
/// grace period, every other node is down from here (and this node is
/// down for them).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use actor_net::NodeConfig;
///
/// let config = NodeConfig::new("nats://127.0.0.1:4222", "shop", "billing-1")
///     .user_password("billing", "s3cret")
///     .grace(Duration::from_secs(5));
/// assert_eq!(config.cluster(), "shop");
/// assert_eq!(config.grace_period(), Duration::from_secs(5));
/// ```
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub(crate) urls: Vec<String>,
    pub(crate) cluster: String,
    pub(crate) name: String,
    pub(crate) auth: Auth,
    pub(crate) tls: Tls,
    pub(crate) heartbeat: Duration,
    pub(crate) grace: Duration,
}

/// Credentials, passed through to async-nats.
#[derive(Clone, Debug, Default)]
pub(crate) enum Auth {
    #[default]
    None,
    UserPassword(String, String),
    Token(String),
    NKey(String),
    CredentialsFile(PathBuf),
}

/// TLS settings, passed through to async-nats.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tls {
    pub(crate) required: bool,
    pub(crate) root_certificates: Vec<PathBuf>,
    pub(crate) client_certificate: Option<(PathBuf, PathBuf)>,
}

impl NodeConfig {
    /// A node named `name` in cluster `cluster`, connecting to `url`
    /// (`nats://host:port`; add more with [`url`](Self::url)).
    pub fn new(
        url: impl Into<String>,
        cluster: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        NodeConfig {
            urls: vec![url.into()],
            cluster: cluster.into(),
            name: name.into(),
            auth: Auth::None,
            tls: Tls::default(),
            heartbeat: Duration::from_millis(500),
            grace: Duration::from_secs(2),
        }
    }

    /// Another server URL to try (servers of one NATS cluster).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.urls.push(url.into());
        self
    }

    /// Authenticate with a user name and password.
    pub fn user_password(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Auth::UserPassword(user.into(), password.into());
        self
    }

    /// Authenticate with a token.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.auth = Auth::Token(token.into());
        self
    }

    /// Authenticate with an NKey seed (`SU…`).
    pub fn nkey(mut self, seed: impl Into<String>) -> Self {
        self.auth = Auth::NKey(seed.into());
        self
    }

    /// Authenticate with a `.creds` file (a JWT and an NKey seed).
    pub fn credentials_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.auth = Auth::CredentialsFile(path.into());
        self
    }

    /// Refuse to connect without TLS.
    pub fn require_tls(mut self, required: bool) -> Self {
        self.tls.required = required;
        self
    }

    /// Trust the CA certificates in this PEM file.
    pub fn root_certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.root_certificates.push(path.into());
        self
    }

    /// Present this client certificate and key (PEM files) to the server.
    pub fn client_certificate(mut self, cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        self.tls.client_certificate = Some((cert.into(), key.into()));
        self
    }

    /// How often this node says it is alive (default 500 ms).
    pub fn heartbeat(mut self, every: Duration) -> Self {
        self.heartbeat = every;
        self
    }

    /// How long a node may be silent before it is declared down (default
    /// 2 s). Must be longer than the heartbeat interval.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The cluster name.
    pub fn cluster(&self) -> &str {
        &self.cluster
    }

    /// The node's name (for people: logs and [`NodeInfo`](crate::NodeInfo);
    /// nodes are told apart by their id).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The grace period.
    pub fn grace_period(&self) -> Duration {
        self.grace
    }

    /// Checks what can be checked before connecting.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if self.cluster.is_empty() || !self.cluster.chars().all(ok) {
            return Err(Error::InvalidClusterName(self.cluster.clone()));
        }
        if self.urls.is_empty() {
            return Err(Error::Config("no NATS URL".into()));
        }
        if self.heartbeat.is_zero() || self.grace <= self.heartbeat {
            return Err(Error::Config(format!(
                "the grace period ({:?}) must be longer than the heartbeat interval ({:?})",
                self.grace, self.heartbeat
            )));
        }
        Ok(())
    }

    /// The async-nats options for this configuration.
    pub(crate) async fn connect_options(&self) -> Result<async_nats::ConnectOptions, Error> {
        let options = match &self.auth {
            Auth::None => async_nats::ConnectOptions::new(),
            Auth::UserPassword(user, password) => {
                async_nats::ConnectOptions::with_user_and_password(user.clone(), password.clone())
            }
            Auth::Token(token) => async_nats::ConnectOptions::with_token(token.clone()),
            Auth::NKey(seed) => async_nats::ConnectOptions::with_nkey(seed.clone()),
            Auth::CredentialsFile(path) => {
                async_nats::ConnectOptions::with_credentials_file(path.clone())
                    .await
                    .map_err(|e| {
                        Error::Config(format!("credentials file {}: {e}", path.display()))
                    })?
            }
        };
        let mut options = options.require_tls(self.tls.required);
        for ca in &self.tls.root_certificates {
            options = options.add_root_certificates(ca.clone());
        }
        if let Some((cert, key)) = &self.tls.client_certificate {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        Ok(options)
    }
}

/// The subjects of one cluster.
#[derive(Clone, Debug)]
pub(crate) struct Subjects {
    prefix: String,
}

impl Subjects {
    pub(crate) fn new(cluster: &str) -> Self {
        Subjects {
            prefix: format!("actor.{cluster}"),
        }
    }

    /// One node's inbox: frames for any of its processes.
    pub(crate) fn inbox(&self, node: actor_core::NodeId) -> String {
        format!("{}.node.{}", self.prefix, node.0)
    }

    /// Heartbeats, hellos and goodbyes of every node.
    pub(crate) fn beacon(&self) -> String {
        format!("{}.beacon", self.prefix)
    }
}
