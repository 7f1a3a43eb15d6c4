//! Entry points for the fuzz targets in `fuzz/`, into decoders that are
//! otherwise private. Not part of the API: hidden from the docs, and may
//! change at any time.

use bytes::{Bytes, BytesMut};

use crate::Error;

/// Takes one whole frame (a worker's wire format: a 4-byte big-endian
/// length, then JSON) off the front of `buf`, if there is one.
///
/// # Errors
///
/// [`Error::Protocol`] for a frame that is too large or not JSON.
pub fn decode_frame(buf: &mut BytesMut) -> Result<Option<serde_json::Value>, Error> {
    crate::frame::decode(buf)
}

/// Appends `value` to `out` as one frame.
///
/// # Errors
///
/// [`Error::Protocol`] if the value is too large.
pub fn encode_frame(out: &mut BytesMut, value: &serde_json::Value) -> Result<(), Error> {
    crate::frame::encode(out, value)
}

/// The messages a port in line mode makes of a child's output that
/// arrives in `chunks`, one read at a time, then ends.
pub fn split_lines(chunks: &[&[u8]]) -> Vec<Bytes> {
    crate::port::split_lines(chunks)
}
