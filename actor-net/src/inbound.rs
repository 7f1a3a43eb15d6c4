//! The node's inbox: every batch another node sends here, frame by frame,
//! in the order it was sent.

use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::frame::{self, Bad, Frame};
use crate::membership::Liveness;
use crate::node::Shared;
use crate::stats::Counters;

/// Reads the inbox until it ends.
pub(crate) async fn run(shared: Arc<Shared>, mut inbox: BoxStream<'static, Bytes>) {
    while let Some(batch) = inbox.next().await {
        handle(&shared, &batch);
    }
}

/// One batch.
pub(crate) fn handle(shared: &Shared, batch: &[u8]) {
    let counters = &shared.counters;
    Counters::bump(&counters.batches_in);
    let (header, frames) = match frame::read(batch) {
        Ok(read) => read,
        Err(_) => {
            Counters::bump(&counters.dropped_undecodable);
            tracing::warn!(
                node = shared.id.0,
                bytes = batch.len(),
                "undecodable batch dropped (sender unknown: its header does not decode)"
            );
            return;
        }
    };
    let from = header.from;
    if shared.liveness(from) == Liveness::Down {
        Counters::bump(&counters.dropped_from_down);
        tracing::debug!(from = from.0, "batch from a node declared down dropped");
        return;
    }
    for frame in frames {
        match frame {
            Ok(frame) => {
                Counters::bump(&counters.frames_in);
                match frame {
                    Frame::Message {
                        to,
                        from: sender,
                        payload,
                    } => {
                        crate::remote::deliver(shared, from, to, sender, payload);
                    }
                    Frame::Signal { to, signal } => crate::remote::apply(shared, to, signal),
                    Frame::Reply { call, result } => {
                        crate::remote::complete_call(shared, call, result);
                    }
                    Frame::Ping(n) => {
                        if let Err(e) = shared.outbox.push(from, &Frame::Pong(n)) {
                            tracing::debug!(to = from.0, error = %e, "pong not sent");
                        }
                    }
                    Frame::Pong(n) => shared.pong(n),
                }
            }
            Err(bad) => {
                Counters::bump(&counters.dropped_undecodable);
                let what = match bad {
                    Bad::Truncated => "truncated batch: the rest of it",
                    _ => "undecodable frame",
                };
                tracing::warn!(from = from.0, "{what} dropped");
            }
        }
    }
}
