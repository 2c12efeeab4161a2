//! Finds QR codes in a grey frame: rqrr first (fast, and finds several codes at once), rxing's
//! QR reader when rqrr finds nothing (it binarises differently and reads codes rqrr misses:
//! glare, uneven light). Large frames are also tried downscaled, which is both quicker and
//! often better for a camera's noisy pixels.
//!
//! These decoders run on untrusted pixels and are known to panic (rqrr 0.11 has reachable
//! assertions), loop or allocate without bound on hostile frames: call [`decode`] in-process
//! only on trusted input. The app and CLI call it through [`crate::Scanner`], which runs it in a
//! worker process under [`decode_contained`].

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::frame::Frame;

/// Frames wider than this are also tried downscaled to about this width.
pub const LARGE_WIDTH: u32 = 1280;

/// The texts of every distinct QR code found, in the order found; empty when none.
///
/// Passes, stopping at the first that finds something: for a frame wider than
/// [`LARGE_WIDTH`], a copy downscaled to at most that width; the frame itself; for a large
/// frame, a second, twice-smaller copy. Each pass runs rqrr, then rxing if rqrr found nothing.
/// When every pass finds nothing, the frame (downscaled if large) is tried once more with
/// its grey levels inverted: light-on-dark codes, as phone screens in dark mode and some
/// printed cards show them, decode too.
/// An inconsistent frame (see [`Frame::is_consistent`]) finds nothing.
pub fn decode(frame: &Frame) -> Vec<String> {
    if !frame.is_consistent() {
        return Vec::new();
    }
    let factor = frame.width.div_ceil(LARGE_WIDTH);
    // Made once: the first pass, and the inverted one, work on it.
    let small = (factor > 1).then(|| downscale(frame, factor));
    let first = small.as_ref().unwrap_or(frame);
    let mut found = decode_one_scale(first);
    if found.is_empty() && small.is_some() {
        found = decode_one_scale(frame);
        if found.is_empty() {
            found = decode_one_scale(&downscale(frame, factor * 2));
        }
    }
    if found.is_empty() {
        found = decode_one_scale(&inverted(first));
    }
    found
}

/// A copy of the frame with every grey level inverted.
fn inverted(frame: &Frame) -> Frame {
    Frame {
        width: frame.width,
        height: frame.height,
        luma: frame.luma.iter().map(|level| 255 - level).collect(),
    }
}

/// [`decode`] with any panic caught: `Err` carries the panic's message. This is what the
/// worker runs for each frame, and what the fuzz target checks contains every failure.
///
/// # Errors
/// The panic message when a decoder panicked.
pub fn decode_contained(frame: &Frame) -> Result<Vec<String>, String> {
    catch_unwind(AssertUnwindSafe(|| decode(frame))).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a decoder panicked".to_string())
    })
}

fn decode_one_scale(frame: &Frame) -> Vec<String> {
    let found = decode_rqrr(frame);
    if !found.is_empty() {
        return found;
    }
    decode_rxing(frame).into_iter().collect()
}

fn decode_rqrr(frame: &Frame) -> Vec<String> {
    let width = frame.width as usize;
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width, frame.height as usize, |x, y| {
            frame.luma[y * width + x]
        });
    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for grid in prepared.detect_grids() {
        // A grid that does not decode (damaged, or not a QR code at all) is skipped: another
        // grid, or rxing, may still succeed.
        if let Ok((_meta, text)) = grid.decode()
            && seen.insert(text.clone())
        {
            found.push(text);
        }
    }
    found
}

fn decode_rxing(frame: &Frame) -> Option<String> {
    rxing::helpers::detect_in_luma_slice(
        &frame.luma,
        frame.width,
        frame.height,
        Some(rxing::BarcodeFormat::QR_CODE),
    )
    .ok()
    .map(|result| result.getText().to_string())
}

/// Averages `factor`×`factor` blocks: cheap, and the averaging removes sensor noise rather
/// than aliasing it as nearest-neighbour sampling would. Partial blocks at the right and
/// bottom edges are dropped.
fn downscale(frame: &Frame, factor: u32) -> Frame {
    let factor = factor.max(1);
    let width = (frame.width / factor).max(1);
    let height = (frame.height / factor).max(1);
    let f = factor as usize;
    let src_width = frame.width as usize;
    let mut luma = Vec::with_capacity(width as usize * height as usize);
    for by in 0..height as usize {
        for bx in 0..width as usize {
            let mut sum = 0u32;
            let mut count = 0u32;
            for y in by * f..((by + 1) * f).min(frame.height as usize) {
                let row = &frame.luma[y * src_width..(y + 1) * src_width];
                for &p in &row[bx * f..((bx + 1) * f).min(src_width)] {
                    sum += u32::from(p);
                    count += 1;
                }
            }
            luma.push((sum / count.max(1)) as u8);
        }
    }
    Frame {
        width,
        height,
        luma,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn downscale_averages_blocks() {
        let frame = Frame {
            width: 4,
            height: 2,
            luma: vec![0, 2, 10, 20, 4, 6, 30, 40],
        };
        let small = downscale(&frame, 2);
        assert_eq!((small.width, small.height), (2, 1));
        assert_eq!(small.luma, vec![3, 25]);
    }

    #[test]
    fn inconsistent_frames_find_nothing() {
        let frame = Frame {
            width: 10,
            height: 10,
            luma: vec![0; 5],
        };
        assert!(decode(&frame).is_empty());
        assert_eq!(decode_contained(&frame), Ok(Vec::new()));
    }
}
