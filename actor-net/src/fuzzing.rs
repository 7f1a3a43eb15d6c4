//! Entry points for the fuzz targets in `fuzz/`, into the wire format's
//! decoders, which are otherwise private. Not part of the API: hidden from
//! the docs, and may change at any time.

use crate::frame::{self, Beacon, Frame};

/// Reads `bytes` as a batch, as a node's inbox does, and checks what it
/// reads: every frame that decodes encodes back to a frame that decodes to
/// the same. Returns how many frames decoded.
///
/// # Panics
///
/// If a decoded frame does not survive the round trip.
pub fn check_batch(bytes: &[u8]) -> usize {
    let Ok((header, frames)) = frame::read(bytes) else {
        return 0;
    };
    let mut again = frame::new_batch(header.from, bytes.len());
    let mut scratch = Vec::new();
    let mut good = Vec::new();
    for f in frames.flatten() {
        frame::encode(&f, &mut scratch).expect("a decoded frame encodes");
        frame::push(&mut again, &scratch);
        good.push(f);
    }
    let (back_header, back) = frame::read(&again).expect("a written batch reads");
    assert_eq!(back_header, header);
    let back: Vec<Frame<'_>> = back.map(|f| f.expect("a written frame reads")).collect();
    assert_eq!(back, good);
    good.len()
}

/// Reads `bytes` as a heartbeat, as the beacon subscription does; one that
/// decodes encodes back to the same. Returns whether it decoded.
///
/// # Panics
///
/// If a decoded beacon does not survive the round trip.
pub fn check_beacon(bytes: &[u8]) -> bool {
    let Ok(beacon) = postcard::from_bytes::<Beacon>(bytes) else {
        return false;
    };
    let again = postcard::to_allocvec(&beacon).expect("a decoded beacon encodes");
    assert_eq!(postcard::from_bytes::<Beacon>(&again).ok(), Some(beacon));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use actor_core::{NodeId, ProcessId};

    #[test]
    fn a_written_batch_checks_frame_by_frame() {
        let mut batch = frame::new_batch(NodeId(7), 64);
        let mut scratch = Vec::new();
        let to = ProcessId {
            node: NodeId(3),
            serial: 9,
        };
        for f in [
            Frame::Ping(1),
            Frame::Message {
                to,
                from: None,
                payload: b"hi",
            },
        ] {
            frame::encode(&f, &mut scratch).unwrap();
            frame::push(&mut batch, &scratch);
        }
        assert_eq!(check_batch(&batch), 2);
        assert_eq!(check_batch(&[0xff]), 0);
        let bye = postcard::to_allocvec(&Beacon::Bye { node: NodeId(2) }).unwrap();
        assert!(check_beacon(&bye));
        assert!(!check_beacon(&[9]));
    }
}
