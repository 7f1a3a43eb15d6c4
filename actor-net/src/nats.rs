//! The wire on NATS: one connection per node, one inbox subject per node,
//! the beacon subject, and global names on JetStream key-value.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::NodeId;
use async_nats::jetstream::{self, kv};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::mpsc;

use crate::config::{NodeConfig, Subjects};
use crate::error::Error;
use crate::wire::{BoxFuture, Connection, Entry, Incoming, Op, Store, Wire};

/// A node's NATS connection, as its wire.
pub(crate) struct Nats {
    client: async_nats::Client,
    subjects: Subjects,
    /// Inbox subjects by node, made once each.
    inboxes: Mutex<HashMap<NodeId, async_nats::Subject>>,
}

impl fmt::Debug for Nats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nats")
            .field("subjects", &self.subjects)
            .finish_non_exhaustive()
    }
}

/// What connecting gives: the node's id and everything it runs on.
pub(crate) struct Connected {
    pub(crate) id: NodeId,
    pub(crate) max_payload: usize,
    pub(crate) wire: Arc<Nats>,
    pub(crate) names: Arc<NatsNames>,
    pub(crate) incoming: Incoming,
}

/// Connects to NATS as `config` says, takes a fresh node id from
/// JetStream and subscribes to the node's inbox and the beacons.
pub(crate) async fn connect(config: &NodeConfig) -> Result<Connected, Error> {
    let (event_tx, mut event_rx) = mpsc::unbounded_channel();
    let options = config
        .connect_options()
        .await?
        .name(format!("actor-net {}/{}", config.cluster, config.name))
        .connection_timeout(config.grace)
        .reconnect_delay_callback(|attempt| Duration::from_millis(100 * (attempt as u64).min(10)))
        .max_reconnects(None)
        .event_callback(move |event| {
            let tx = event_tx.clone();
            async move {
                let _ = tx.send(event);
            }
        });
    let client = options
        .connect(config.urls.clone())
        .await
        .map_err(|e| Error::Connect(Arc::new(e)))?;
    let max_payload = client.server_info().max_payload;
    let js = jetstream::new(client.clone());
    let ids = crate::ids::bucket(&js, &config.cluster).await?;
    let id = crate::ids::next(&ids).await?;
    let store = open_bucket(&js, &format!("actor_{}_names", config.cluster), 1).await?;
    // Watched from before the node starts, so that no change of its names
    // is missed.
    let names = store
        .watch_all()
        .await
        .map_err(Error::jetstream)?
        .map(|change| change.map(entry).map_err(Error::jetstream));
    let subjects = Subjects::new(&config.cluster);
    let inbox = client
        .subscribe(subjects.inbox(id))
        .await
        .map_err(Error::nats)?;
    let beacons = client
        .subscribe(subjects.beacon())
        .await
        .map_err(Error::nats)?;
    let events = futures::stream::poll_fn(move |cx| event_rx.poll_recv(cx)).map(|e| match e {
        async_nats::Event::Disconnected => Connection::Lost,
        async_nats::Event::Connected => Connection::Back,
        other => Connection::Other(other.to_string()),
    });
    Ok(Connected {
        id,
        max_payload,
        wire: Arc::new(Nats {
            client,
            subjects,
            inboxes: Mutex::default(),
        }),
        names: Arc::new(NatsNames { store }),
        incoming: Incoming {
            inbox: inbox.map(|m| m.payload).boxed(),
            beacons: beacons.map(|m| m.payload).boxed(),
            events: events.boxed(),
            names: names.boxed(),
        },
    })
}

impl Wire for Nats {
    fn publish(&self, to: NodeId, batch: Bytes) -> BoxFuture<'_, Result<(), Error>> {
        let subject = self
            .inboxes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(to)
            .or_insert_with(|| self.subjects.inbox(to).into())
            .clone();
        Box::pin(async move {
            self.client
                .publish(subject, batch)
                .await
                .map_err(Error::nats)
        })
    }

    fn beacon(&self, beacon: Bytes) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            self.client
                .publish(self.subjects.beacon(), beacon)
                .await
                .map_err(Error::nats)
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Err(e) = self.client.flush().await {
                tracing::debug!(error = %e, "cannot flush at shutdown");
            }
            if let Err(e) = self.client.drain().await {
                tracing::debug!(error = %e, "cannot drain the connection at shutdown");
            }
        })
    }
}

/// Opens the key-value bucket `name`, creating it (file storage, `history`
/// values per key) if it does not exist yet.
///
/// The bucket's stream is created directly, with the settings async-nats
/// gives a key-value stream, because async-nats' own `create_key_value`
/// first asks for account information in a form nats-server 2.9 does not
/// answer in.
pub(crate) async fn open_bucket(
    js: &jetstream::Context,
    name: &str,
    history: i64,
) -> Result<kv::Store, Error> {
    if let Ok(store) = js.get_key_value(name).await {
        return Ok(store);
    }
    let config = jetstream::stream::Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: history,
        storage: jetstream::stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        num_replicas: 1,
        discard: jetstream::stream::DiscardPolicy::New,
        ..Default::default()
    };
    // Creating an identical stream twice is not an error, so two nodes
    // starting at once both succeed here.
    js.create_stream(config).await.map_err(Error::jetstream)?;
    js.get_key_value(name).await.map_err(Error::jetstream)
}

/// The global names' bucket, `actor_<cluster>_names`.
pub(crate) struct NatsNames {
    store: kv::Store,
}

impl fmt::Debug for NatsNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsNames").finish_non_exhaustive()
    }
}

/// A JetStream key-value entry as the [`Store`] gives it.
fn entry(e: kv::Entry) -> Entry {
    Entry {
        key: e.key,
        value: e.value,
        revision: e.revision,
        op: match e.operation {
            kv::Operation::Put => Op::Put,
            kv::Operation::Delete => Op::Delete,
            kv::Operation::Purge => Op::Purge,
        },
    }
}

impl Store for NatsNames {
    fn entry<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Entry>, Error>> {
        Box::pin(async move {
            let e = self.store.entry(key).await.map_err(Error::jetstream)?;
            Ok(e.map(entry))
        })
    }

    fn create<'a>(
        &'a self,
        key: &'a str,
        value: Bytes,
    ) -> BoxFuture<'a, Result<Option<u64>, Error>> {
        Box::pin(async move {
            match self.store.create(key, value).await {
                Ok(revision) => Ok(Some(revision)),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => Ok(None),
                Err(e) => Err(Error::jetstream(e)),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str, revision: u64) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            match self.store.delete_expect_revision(key, Some(revision)).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == kv::DeleteErrorKind::WrongLastRevision => Ok(false),
                Err(e) => Err(Error::jetstream(e)),
            }
        })
    }

    fn purge<'a>(&'a self, key: &'a str, revision: u64) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            match self.store.purge_expect_revision(key, Some(revision)).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == kv::PurgeErrorKind::WrongLastRevision => Ok(false),
                Err(e) => Err(Error::jetstream(e)),
            }
        })
    }

    fn keys(&self) -> BoxFuture<'_, Result<Vec<String>, Error>> {
        Box::pin(async move {
            let keys = self.store.keys().await.map_err(Error::jetstream)?;
            keys.try_collect().await.map_err(Error::jetstream)
        })
    }
}
