//! Length-prefixed JSON frames: a 4-byte big-endian length, then the
//! value as JSON. Used between a program and its worker processes.

use bytes::{Buf, BufMut, BytesMut};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;

/// The largest frame either side accepts.
pub(crate) const MAX_FRAME: usize = 64 << 20;

/// Appends `value` as one frame to `out`.
pub(crate) fn encode<T: Serialize>(out: &mut BytesMut, value: &T) -> Result<(), Error> {
    let start = out.len();
    out.put_u32(0);
    serde_json::to_writer((&mut *out).writer(), value).map_err(|e| {
        out.truncate(start);
        Error::Protocol(format!("cannot encode a message: {e}"))
    })?;
    let len = out.len() - start - 4;
    if len > MAX_FRAME {
        out.truncate(start);
        return Err(Error::Protocol(format!(
            "message of {len} bytes is too large"
        )));
    }
    out[start..start + 4].copy_from_slice(&(len as u32).to_be_bytes());
    Ok(())
}

/// Takes one whole frame off the front of `buf`, if there is one.
pub(crate) fn decode<T: DeserializeOwned>(buf: &mut BytesMut) -> Result<Option<T>, Error> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if len > MAX_FRAME {
        return Err(Error::Protocol(format!(
            "frame of {len} bytes is too large"
        )));
    }
    if buf.len() < 4 + len {
        buf.reserve(4 + len - buf.len());
        return Ok(None);
    }
    buf.advance(4);
    let body = buf.split_to(len);
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| Error::Protocol(format!("cannot decode a message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_wait_for_whole_frames() {
        let mut buf = BytesMut::new();
        encode(&mut buf, &(1u32, "one")).unwrap();
        encode(&mut buf, &vec![2u8, 3]).unwrap();
        let mut partial = buf.split_to(5);
        assert_eq!(decode::<(u32, String)>(&mut partial).unwrap(), None);
        partial.unsplit(buf);
        let mut buf = partial;
        assert_eq!(
            decode::<(u32, String)>(&mut buf).unwrap(),
            Some((1, "one".to_string()))
        );
        assert_eq!(decode::<Vec<u8>>(&mut buf).unwrap(), Some(vec![2, 3]));
        assert!(buf.is_empty());
    }

    #[test]
    fn oversized_frames_are_protocol_errors() {
        let mut buf = BytesMut::from(&u32::MAX.to_be_bytes()[..]);
        assert!(matches!(decode::<u8>(&mut buf), Err(Error::Protocol(_))));
    }
}
