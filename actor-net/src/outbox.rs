//! Frames to other nodes: handed to the wire at once by the sending thread
//! when their destination is idle, else queued, many frames to a NATS
//! message, for one publishing process on the node's one connection.
//!
//! Pushing never waits. A frame for an idle destination (nothing queued
//! for it, nothing published to it since the publisher last ran) goes to
//! the wire at once, as a batch of one, from the thread that sends it: no
//! wake-up of another process between the sender and the connection. The
//! destination is then busy until the publisher has run; meanwhile frames
//! for it are appended to its last batch (a new batch when that one is
//! full), so a burst of tells costs few NATS messages and a lone message
//! goes out at once. A direct publish happens under the outbox's lock and
//! only when nothing is queued or being published for its destination, and
//! the publisher takes a destination's batches in order, so each pair of
//! nodes (and so each pair of processes) stays in FIFO order.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actor_core::NodeId;
use bytes::Bytes;
use futures::FutureExt;
use tokio::sync::Notify;

use crate::error::Error;
use crate::frame::{self, Frame};
use crate::wire::Wire;

/// The queues and the publisher's wake-up.
#[derive(Debug)]
pub(crate) struct Outbox {
    from: NodeId,
    /// The largest NATS message the server takes.
    max_batch: usize,
    /// The size of a batch's header.
    header_len: usize,
    state: Mutex<State>,
    wake: Notify,
    /// The wire that frames for idle destinations are handed to from the
    /// sending thread (none: every frame is queued for the publisher).
    direct: Option<Arc<dyn Wire>>,
    /// Frames refused because their node is known to be down.
    pub(crate) dropped_to_down: AtomicU64,
    /// Batches handed to the wire.
    pub(crate) batches_out: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    /// Batches per destination, oldest first; the last one may still grow.
    queues: HashMap<NodeId, VecDeque<Vec<u8>>>,
    /// Destinations with batches waiting, in the order they got their first.
    ready: Vec<NodeId>,
    /// Destinations published to directly, or whose batches the publisher
    /// holds, since the publisher last looked: frames for them are queued.
    busy: HashSet<NodeId>,
    /// Nodes known to be down: frames for them are dropped.
    down: HashSet<NodeId>,
    /// The encoding buffer.
    scratch: Vec<u8>,
    /// No more frames: the publisher drains what is left and ends.
    closed: bool,
}

/// A batch taken for publishing.
pub(crate) type Batch = (NodeId, Bytes);

impl Outbox {
    /// The outbox of node `from`; `direct` is the wire that frames for
    /// idle destinations go to from the sending thread.
    pub(crate) fn new(from: NodeId, max_payload: usize, direct: Option<Arc<dyn Wire>>) -> Outbox {
        Outbox {
            from,
            max_batch: max_payload,
            header_len: frame::new_batch(from, 0).len(),
            state: Mutex::default(),
            wake: Notify::new(),
            direct,
            dropped_to_down: AtomicU64::new(0),
            batches_out: AtomicU64::new(0),
        }
    }

    /// The largest user payload a [`Frame::Message`] may carry: the
    /// server's maximum less the batch header, the length prefix and the
    /// frame's own fields at their largest.
    pub(crate) fn max_payload(&self) -> usize {
        // Header: version byte and a u32 varint; frame: variant, two
        // process ids (u32 + u64 varints each, an Option tag) and the
        // payload's length varint.
        const OVERHEAD: usize = (1 + 5) + frame::LEN_MAX + 1 + (5 + 10) + 1 + (5 + 10) + 10;
        self.max_batch.saturating_sub(OVERHEAD)
    }

    /// Queues `frame` for node `to`; never waits.
    ///
    /// # Errors
    ///
    /// [`Error::FrameTooLarge`] if it cannot fit in one NATS message,
    /// [`Error::NodeDown`] if `to` is known to be down (the frame is
    /// dropped and counted), [`Error::Shutdown`] after [`close`](Self::close).
    pub(crate) fn push(&self, to: NodeId, frame: &Frame<'_>) -> Result<(), Error> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.closed {
            return Err(Error::Shutdown);
        }
        if st.down.contains(&to) {
            self.dropped_to_down.fetch_add(1, Ordering::Relaxed);
            return Err(Error::NodeDown(to));
        }
        let mut scratch = std::mem::take(&mut st.scratch);
        let encoded = frame::encode(frame, &mut scratch);
        let result = match encoded {
            Err(e) => Err(Error::Nats(std::sync::Arc::new(e))),
            Ok(()) => self.queue(&mut st, to, &scratch),
        };
        st.scratch = scratch;
        result
    }

    fn queue(&self, st: &mut State, to: NodeId, encoded: &[u8]) -> Result<(), Error> {
        let size = self.header_len + frame::LEN_MAX + encoded.len();
        if size > self.max_batch {
            return Err(Error::FrameTooLarge {
                size,
                max: self.max_batch,
            });
        }
        let was_empty = st.queues.get(&to).is_none_or(VecDeque::is_empty);
        if was_empty && !st.busy.contains(&to) {
            if let Some(wire) = &self.direct {
                return self.publish_now(st, wire, to, encoded);
            }
        }
        let queue = st.queues.entry(to).or_default();
        let fits = queue
            .back()
            .is_some_and(|b| b.len() + frame::LEN_MAX + encoded.len() <= self.max_batch);
        if !fits {
            // Small first: a lone message should not cost a large allocation.
            queue.push_back(frame::new_batch(self.from, 256));
        }
        frame::push(queue.back_mut().expect("a batch"), encoded);
        if was_empty {
            st.ready.push(to);
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Hands `encoded`, a frame for idle destination `to`, to the wire at
    /// once if the wire takes it without waiting, else queues it. `st` is
    /// held throughout, so that nothing for `to` can overtake it.
    fn publish_now(
        &self,
        st: &mut State,
        wire: &Arc<dyn Wire>,
        to: NodeId,
        encoded: &[u8],
    ) -> Result<(), Error> {
        let mut batch =
            frame::new_batch(self.from, self.header_len + frame::LEN_MAX + encoded.len());
        frame::push(&mut batch, encoded);
        let batch = Bytes::from(batch);
        // Busy until the publisher has run: frames sent meanwhile are
        // batched. It is woken first, so that the wire's own writer, woken
        // by the publish, runs before it.
        st.busy.insert(to);
        self.wake.notify_one();
        match wire.publish(to, batch.clone()).now_or_never() {
            Some(Ok(())) => {
                self.batches_out.fetch_add(1, Ordering::Relaxed);
            }
            Some(Err(e)) => {
                tracing::warn!(node = to.0, error = %e, "cannot publish a batch; dropped");
            }
            None => {
                // The wire has no room now: the publisher sends it.
                st.queues.entry(to).or_default().push_back(Vec::from(batch));
                st.ready.push(to);
            }
        }
        Ok(())
    }

    /// Takes every waiting batch, in queue order per destination; waits
    /// for some if there are none. `None` once closed and drained.
    ///
    /// Destinations with nothing queued are idle again: what was published
    /// for them, by the publisher or a sending thread, reached the wire.
    pub(crate) async fn take(&self) -> Option<Vec<Batch>> {
        loop {
            {
                let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let st = &mut *st;
                let queues = &st.queues;
                st.busy
                    .retain(|node| queues.get(node).is_some_and(|q| !q.is_empty()));
                if !st.ready.is_empty() {
                    let ready = std::mem::take(&mut st.ready);
                    let mut out = Vec::new();
                    for node in ready {
                        if let Some(queue) = st.queues.get_mut(&node) {
                            out.extend(queue.drain(..).map(|b| (node, Bytes::from(b))));
                            st.busy.insert(node);
                        }
                    }
                    return Some(out);
                }
                if st.closed {
                    return None;
                }
            }
            self.wake.notified().await;
        }
    }

    /// `node` is down: its queued frames are dropped (counted) and new ones
    /// refused until it is up again.
    pub(crate) fn node_down(&self, node: NodeId) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.down.insert(node);
        if let Some(queue) = st.queues.remove(&node) {
            let frames: u64 = queue.iter().map(|b| count_frames(b)).sum();
            self.dropped_to_down.fetch_add(frames, Ordering::Relaxed);
        }
        st.ready.retain(|n| *n != node);
    }

    /// `node` is up (again).
    pub(crate) fn node_up(&self, node: NodeId) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.down.remove(&node);
    }

    /// Refuses new frames; the publisher drains what is queued, then ends.
    pub(crate) fn close(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.closed = true;
        drop(st);
        self.wake.notify_one();
    }
}

/// The number of frames in an encoded batch.
fn count_frames(batch: &[u8]) -> u64 {
    frame::read(batch).map_or(0, |(_, frames)| frames.count() as u64)
}

/// Publishes every batch the outbox hands out, in order, until it is
/// closed and drained; counts what it published.
pub(crate) async fn publish(outbox: &Outbox, wire: &dyn Wire) {
    while let Some(batches) = outbox.take().await {
        for (node, payload) in batches {
            if let Err(e) = wire.publish(node, payload).await {
                tracing::warn!(node = node.0, error = %e, "cannot publish a batch; dropped");
            } else {
                outbox.batches_out.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actor_core::ProcessId;

    fn message(payload: &[u8]) -> Frame<'_> {
        Frame::Message {
            to: ProcessId {
                node: NodeId(2),
                serial: 1,
            },
            from: None,
            payload,
        }
    }

    fn frames_of(batches: &[Batch]) -> Vec<Vec<u8>> {
        batches
            .iter()
            .flat_map(|(_, b)| {
                let (_, frames) = frame::read(b).unwrap();
                frames
                    .map(|f| match f.unwrap() {
                        Frame::Message { payload, .. } => payload.to_vec(),
                        other => panic!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[tokio::test]
    async fn frames_keep_their_order_across_batches() {
        let outbox = Outbox::new(NodeId(1), 100, None);
        let sent: Vec<Vec<u8>> = (0u8..50).map(|i| vec![i; 7]).collect();
        for p in &sent {
            outbox.push(NodeId(2), &message(p)).unwrap();
        }
        let batches = outbox.take().await.unwrap();
        assert!(batches.len() > 1, "100-byte batches hold a few frames each");
        assert!(
            batches
                .iter()
                .all(|(n, b)| *n == NodeId(2) && b.len() <= 100)
        );
        assert_eq!(frames_of(&batches), sent);
    }

    #[test]
    fn the_largest_payload_fits_and_one_more_byte_is_refused() {
        let outbox = Outbox::new(NodeId(u32::MAX), 1000, None);
        let max = outbox.max_payload();
        let full = vec![0u8; max];
        let pid = ProcessId {
            node: NodeId(u32::MAX),
            serial: u64::MAX,
        };
        let frame = |payload| Frame::Message {
            to: pid,
            from: Some(pid),
            payload,
        };
        outbox.push(NodeId(u32::MAX), &frame(&full)).unwrap();
        let over = vec![0u8; 1000];
        assert!(matches!(
            outbox.push(NodeId(2), &frame(&over)),
            Err(Error::FrameTooLarge { max: 1000, .. })
        ));
    }

    #[tokio::test]
    async fn frames_for_a_down_node_are_dropped_and_counted() {
        let outbox = Outbox::new(NodeId(1), 1000, None);
        outbox.push(NodeId(2), &message(b"a")).unwrap();
        outbox.push(NodeId(2), &message(b"b")).unwrap();
        outbox.node_down(NodeId(2));
        assert!(matches!(
            outbox.push(NodeId(2), &message(b"c")),
            Err(Error::NodeDown(NodeId(2)))
        ));
        assert_eq!(outbox.dropped_to_down.load(Ordering::Relaxed), 3);
        outbox.node_up(NodeId(2));
        outbox.push(NodeId(2), &message(b"d")).unwrap();
        outbox.close();
        let batches = outbox.take().await.unwrap();
        assert_eq!(frames_of(&batches), vec![b"d".to_vec()]);
        assert!(outbox.take().await.is_none());
    }
}
