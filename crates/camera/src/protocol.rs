//! The bytes between [`crate::Scanner`] and its worker, over the worker's stdin and stdout.
//!
//! Request: width and height as little-endian `u32`, then `width * height` grey bytes.
//! Reply: a little-endian `u32` length, then that many bytes of JSON, either
//! `{"found": ["text", ...]}` or `{"miss": "why"}`.
//!
//! Both sides check sizes before allocating: a header over [`MAX_PIXELS`] or a reply over
//! [`MAX_REPLY_BYTES`] is refused as it is read.

use std::io::{self, Read, Write};

use crate::frame::{Frame, MAX_PIXELS};

/// The largest reply accepted: far above any QR code's text (a QR code holds under 3 kB).
pub const MAX_REPLY_BYTES: u32 = 1024 * 1024;

/// What the worker says about one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The texts decoded, possibly none.
    Found(Vec<String>),
    /// The frame was not decoded (a decoder panicked, or the frame was refused).
    Miss(String),
}

/// A request the worker cannot take. After one, the stream is out of step and the worker
/// stops.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// The header claims an empty frame or one over [`MAX_PIXELS`].
    #[error("frame of {width}x{height} pixels refused (at most {MAX_PIXELS} pixels)")]
    Size {
        /// Width claimed.
        width: u32,
        /// Height claimed.
        height: u32,
    },
    /// Reading failed or the stream ended inside a frame.
    #[error("reading a frame: {0}")]
    Io(#[from] io::Error),
}

/// Writes one frame request.
///
/// # Errors
/// The writer's error.
pub fn write_request(out: &mut impl Write, frame: &Frame) -> io::Result<()> {
    out.write_all(&frame.width.to_le_bytes())?;
    out.write_all(&frame.height.to_le_bytes())?;
    out.write_all(&frame.luma)?;
    out.flush()
}

/// Reads one frame request; `Ok(None)` when the stream ends cleanly between frames. The size
/// is checked from the 8-byte header, before the pixel buffer is allocated.
///
/// # Errors
/// [`RequestError::Size`] for a refused header, [`RequestError::Io`] otherwise.
pub fn read_request(input: &mut impl Read) -> Result<Option<Frame>, RequestError> {
    let mut header = [0u8; 8];
    let mut filled = 0;
    while filled < header.len() {
        match input.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let [w0, w1, w2, w3, h0, h1, h2, h3] = header;
    let width = u32::from_le_bytes([w0, w1, w2, w3]);
    let height = u32::from_le_bytes([h0, h1, h2, h3]);
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 || pixels > MAX_PIXELS {
        return Err(RequestError::Size { width, height });
    }
    let mut luma = vec![0u8; pixels as usize];
    input.read_exact(&mut luma)?;
    Ok(Some(Frame {
        width,
        height,
        luma,
    }))
}

/// Writes one reply.
///
/// # Errors
/// The writer's error.
pub fn write_reply(out: &mut impl Write, reply: &Reply) -> io::Result<()> {
    let json = match reply {
        Reply::Found(texts) => serde_json::json!({ "found": texts }),
        Reply::Miss(reason) => serde_json::json!({ "miss": reason }),
    };
    let bytes = json.to_string().into_bytes();
    let len = u32::try_from(bytes.len())
        .ok()
        .filter(|&len| len <= MAX_REPLY_BYTES)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "reply too large"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&bytes)?;
    out.flush()
}

/// Reads one reply. Anything but a well-formed reply within [`MAX_REPLY_BYTES`] is an error of
/// kind [`io::ErrorKind::InvalidData`]; the end of the stream is
/// [`io::ErrorKind::UnexpectedEof`].
///
/// # Errors
/// As above, or the reader's error.
pub fn read_reply(input: &mut impl Read) -> io::Result<Reply> {
    let mut len = [0u8; 4];
    input.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len);
    if len > MAX_REPLY_BYTES {
        return Err(invalid(format!("reply of {len} bytes")));
    }
    let mut bytes = vec![0u8; len as usize];
    input.read_exact(&mut bytes)?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| invalid(e.to_string()))?;
    if let Some(texts) = value.get("found").and_then(|v| v.as_array()) {
        let texts = texts
            .iter()
            .map(|t| t.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| invalid("a found text is not a string".into()))?;
        return Ok(Reply::Found(texts));
    }
    if let Some(reason) = value.get("miss").and_then(|v| v.as_str()) {
        return Ok(Reply::Miss(reason.to_string()));
    }
    Err(invalid("neither found nor miss".into()))
}

fn invalid(detail: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, detail)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn requests_and_replies_round_trip() {
        let frame = Frame {
            width: 3,
            height: 2,
            luma: vec![1, 2, 3, 4, 5, 6],
        };
        let mut bytes = Vec::new();
        write_request(&mut bytes, &frame).unwrap();
        let mut input = bytes.as_slice();
        assert_eq!(read_request(&mut input).unwrap(), Some(frame));
        assert_eq!(read_request(&mut input).unwrap(), None);

        for reply in [
            Reply::Found(vec!["TS1:ABC".into(), "é".into()]),
            Reply::Found(vec![]),
            Reply::Miss("panicked".into()),
        ] {
            let mut bytes = Vec::new();
            write_reply(&mut bytes, &reply).unwrap();
            assert_eq!(read_reply(&mut bytes.as_slice()).unwrap(), reply);
        }
    }

    #[test]
    fn a_huge_header_is_refused_from_its_eight_bytes() {
        let mut header = Vec::new();
        header.extend_from_slice(&100_000u32.to_le_bytes());
        header.extend_from_slice(&100_000u32.to_le_bytes());
        let err = read_request(&mut header.as_slice()).unwrap_err();
        assert!(matches!(
            err,
            RequestError::Size {
                width: 100_000,
                height: 100_000
            }
        ));
    }

    #[test]
    fn garbage_replies_are_invalid_data() {
        let mut huge = Vec::new();
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        let mut not_json = 3u32.to_le_bytes().to_vec();
        not_json.extend_from_slice(b"abc");
        let mut wrong_shape = 2u32.to_le_bytes().to_vec();
        wrong_shape.extend_from_slice(b"{}");
        for bytes in [huge, not_json, wrong_shape] {
            let err = read_reply(&mut bytes.as_slice()).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        }
    }
}
