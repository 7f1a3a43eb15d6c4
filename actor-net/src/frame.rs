//! The wire format: postcard throughout.
//!
//! One NATS message on a node's inbox subject is a *batch*: a [`Header`]
//! naming the sending node, then frames, each a postcard `u32` length (a
//! varint) followed by a postcard-encoded [`Frame`]. The length lets a
//! receiver skip one frame that does not decode and read the next.
//! Heartbeats travel on the cluster's beacon subject as a [`Beacon`].

use actor_core::remote::{CallRef, Signal};
use actor_core::{CallError, NodeId, ProcessId};
use serde::{Deserialize, Serialize};

/// The version of this format; a batch of another version is dropped.
pub(crate) const VERSION: u8 = 1;

/// The most bytes a length prefix takes (a `u32` varint).
pub(crate) const LEN_MAX: usize = 5;

/// The start of every batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// [`VERSION`].
    pub(crate) version: u8,
    /// The sending node.
    pub(crate) from: NodeId,
}

/// One frame of a batch.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum Frame<'a> {
    /// A user message for a process of the receiving node, encoded by the
    /// target's own message type.
    Message {
        /// The target process.
        to: ProcessId,
        /// The sending process, when the message was sent from one.
        from: Option<ProcessId>,
        /// The encoded message.
        #[serde(borrow)]
        payload: &'a [u8],
    },
    /// A link, monitor, exit or kill between a process of the receiving
    /// node and one of the sender's.
    Signal {
        /// The target process.
        to: ProcessId,
        /// What happens to it.
        signal: Signal,
    },
    /// The answer to a call a process of the receiving node made.
    Reply {
        /// The waiting call.
        call: CallRef,
        /// The encoded reply, or why there is none.
        #[serde(borrow)]
        result: Result<&'a [u8], CallError>,
    },
    /// "Are you there?", answered by [`Frame::Pong`] with the same number.
    Ping(u64),
    /// The answer to [`Frame::Ping`].
    Pong(u64),
}

/// What nodes say on the beacon subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Beacon {
    /// A node has just connected (or reconnected): everyone answers with
    /// [`Beacon::Alive`] at once.
    Hello {
        /// Its id.
        node: NodeId,
        /// Its name.
        name: String,
    },
    /// The heartbeat.
    Alive {
        /// Its id.
        node: NodeId,
        /// Its name.
        name: String,
    },
    /// A node is shutting down cleanly.
    Bye {
        /// Its id.
        node: NodeId,
    },
}

/// Encodes `frame` into `out` (cleared first, its allocation reused).
pub(crate) fn encode(frame: &Frame<'_>, out: &mut Vec<u8>) -> Result<(), postcard::Error> {
    out.clear();
    *out = postcard::to_extend(frame, std::mem::take(out))?;
    Ok(())
}

/// Appends an encoded frame, length first, to `batch`.
pub(crate) fn push(batch: &mut Vec<u8>, encoded: &[u8]) {
    let len = u32::try_from(encoded.len()).expect("frames are smaller than the max payload");
    *batch = postcard::to_extend(&len, std::mem::take(batch)).expect("a length always encodes");
    batch.extend_from_slice(encoded);
}

/// A new batch holding only the header.
pub(crate) fn new_batch(from: NodeId, capacity: usize) -> Vec<u8> {
    let header = Header {
        version: VERSION,
        from,
    };
    postcard::to_extend(&header, Vec::with_capacity(capacity)).expect("a header always encodes")
}

/// What is wrong with a batch or one of its frames.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Bad {
    /// The header does not decode, or is of another version.
    Header,
    /// A length prefix runs past the end of the batch: the rest is lost.
    Truncated,
    /// One frame does not decode (the others are read).
    Frame,
}

/// Reads a batch: its header, then each frame or why it is bad.
pub(crate) fn read(batch: &[u8]) -> Result<(Header, Frames<'_>), Bad> {
    let (header, rest) = postcard::take_from_bytes::<Header>(batch).map_err(|_| Bad::Header)?;
    if header.version != VERSION {
        return Err(Bad::Header);
    }
    Ok((header, Frames { rest }))
}

/// The frames of a batch, in order.
#[derive(Debug)]
pub(crate) struct Frames<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, Bad>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Ok((len, rest)) = postcard::take_from_bytes::<u32>(self.rest) else {
            self.rest = &[];
            return Some(Err(Bad::Truncated));
        };
        let len = len as usize;
        if len > rest.len() {
            self.rest = &[];
            return Some(Err(Bad::Truncated));
        }
        let (frame, rest) = rest.split_at(len);
        self.rest = rest;
        Some(postcard::from_bytes(frame).map_err(|_| Bad::Frame))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(node: u32, serial: u64) -> ProcessId {
        ProcessId {
            node: NodeId(node),
            serial,
        }
    }

    #[test]
    fn a_batch_reads_back_frame_by_frame() {
        let mut batch = new_batch(NodeId(7), 64);
        let mut scratch = Vec::new();
        let frames = [
            Frame::Message {
                to: pid(3, 9),
                from: Some(pid(7, 1)),
                payload: b"hello",
            },
            Frame::Ping(42),
            Frame::Message {
                to: pid(3, 10),
                from: None,
                payload: &[],
            },
        ];
        for f in &frames {
            encode(f, &mut scratch).unwrap();
            push(&mut batch, &scratch);
        }
        let (header, read_back) = read(&batch).unwrap();
        assert_eq!(header.from, NodeId(7));
        let read_back: Vec<_> = read_back.map(Result::unwrap).collect();
        assert_eq!(read_back, frames);
    }

    #[test]
    fn a_bad_frame_is_skipped_and_the_next_one_read() {
        let mut batch = new_batch(NodeId(1), 64);
        // A frame of three bytes that is no Frame (variant 200).
        batch.extend_from_slice(&[3, 200, 1, 2]);
        let mut pong = Vec::new();
        encode(&Frame::Pong(5), &mut pong).unwrap();
        push(&mut batch, &pong);
        let (_, frames) = read(&batch).unwrap();
        let got: Vec<_> = frames.collect();
        assert_eq!(got, vec![Err(Bad::Frame), Ok(Frame::Pong(5))]);
    }

    #[test]
    fn a_length_past_the_end_loses_only_the_rest() {
        let mut batch = new_batch(NodeId(1), 64);
        let mut pong = Vec::new();
        encode(&Frame::Pong(5), &mut pong).unwrap();
        push(&mut batch, &pong);
        batch.extend_from_slice(&[100, 1]);
        let (_, frames) = read(&batch).unwrap();
        let got: Vec<_> = frames.collect();
        assert_eq!(got, vec![Ok(Frame::Pong(5)), Err(Bad::Truncated)]);
    }

    #[test]
    fn garbage_and_other_versions_are_bad_headers() {
        assert_eq!(read(&[]).unwrap_err(), Bad::Header);
        assert_eq!(read(&[VERSION + 1, 1]).unwrap_err(), Bad::Header);
    }
}
