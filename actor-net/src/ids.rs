//! Node ids: one per incarnation, from a counter on JetStream key-value.
//!
//! The counter is the key `last` of the bucket `actor_<cluster>_nodes`;
//! a node takes the next value with a revision-checked update (or creates
//! the key with 1), retrying when another node was quicker. A node that
//! restarts gets a new id, as an Erlang node gets a new creation, so that
//! pids of its previous life never reach its new processes. Id 0 is
//! [`NodeId::LOCAL`], never handed out.

use actor_core::NodeId;
use async_nats::jetstream::{self, kv};

use crate::error::Error;

/// The key holding the last id handed out.
const KEY: &str = "last";

/// How many lost races a node tolerates before giving up.
const ATTEMPTS: usize = 1000;

/// The counter's bucket, created if absent.
pub(crate) async fn bucket(js: &jetstream::Context, cluster: &str) -> Result<kv::Store, Error> {
    crate::nats::open_bucket(js, &format!("actor_{cluster}_nodes"), 1).await
}

/// Takes the next node id.
pub(crate) async fn next(store: &kv::Store) -> Result<NodeId, Error> {
    for _ in 0..ATTEMPTS {
        match store.entry(KEY).await.map_err(Error::jetstream)? {
            Some(entry) if entry.operation == kv::Operation::Put => {
                let last: u32 = postcard::from_bytes(&entry.value)
                    .map_err(|e| Error::JetStream(std::sync::Arc::new(e)))?;
                let next = last
                    .checked_add(1)
                    .ok_or_else(|| Error::Config("node ids exhausted".into()))?;
                let value = postcard::to_allocvec(&next).expect("a u32 encodes");
                match store.update(KEY, value.into(), entry.revision).await {
                    Ok(_) => return Ok(NodeId(next)),
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => continue,
                    Err(e) => return Err(Error::jetstream(e)),
                }
            }
            _ => {
                let value = postcard::to_allocvec(&1u32).expect("a u32 encodes");
                match store.create(KEY, value.into()).await {
                    Ok(_) => return Ok(NodeId(1)),
                    Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(Error::jetstream(e)),
                }
            }
        }
    }
    Err(Error::Timeout)
}
