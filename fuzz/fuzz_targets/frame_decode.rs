//! actor-io's frame decoder (a worker's wire format: a 4-byte big-endian
//! length, then JSON), fed arbitrary bytes.
//!
//! Checks: decoding never panics; it takes whole frames only, and a
//! frame is taken the same whether the bytes arrive at once or one
//! piece at a time; every decoded value encodes to a frame that decodes
//! back to it.
#![no_main]

use actor_io::fuzzing::{decode_frame, encode_frame};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

/// Decodes frames until one is incomplete or bad.
fn decode_all(buf: &mut BytesMut) -> (Vec<serde_json::Value>, bool) {
    let mut values = Vec::new();
    loop {
        match decode_frame(buf) {
            Ok(Some(v)) => values.push(v),
            Ok(None) => return (values, false),
            Err(_) => return (values, true),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // At once.
    let mut whole = BytesMut::from(data);
    let (values, failed) = decode_all(&mut whole);

    // In pieces: the first byte sets their size.
    let step = usize::from(data.first().copied().unwrap_or(1)).max(1);
    let mut buf = BytesMut::new();
    let mut pieces = Vec::new();
    let mut piece_failed = false;
    for chunk in data.chunks(step) {
        buf.extend_from_slice(chunk);
        let (mut vs, f) = decode_all(&mut buf);
        pieces.append(&mut vs);
        if f {
            piece_failed = true;
            break;
        }
    }
    assert_eq!(values, pieces, "decoding in pieces of {step} differs");
    assert_eq!(failed, piece_failed, "an error at once and not in pieces");

    // Round trip.
    for v in &values {
        let mut out = BytesMut::new();
        encode_frame(&mut out, v).expect("a decoded value encodes");
        let back = decode_frame(&mut out).expect("an encoded frame decodes");
        assert_eq!(back.as_ref(), Some(v));
        assert!(out.is_empty(), "one frame, all taken");
    }
});
