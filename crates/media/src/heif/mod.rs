//! HEIF photos (HEIC, what iPhones save by default): the container is stripped by hand
//! ([`container`]), and the picture is measured and decoded by libheif, the system's library
//! (Debian's `libheif1`, which decodes HEVC with libde265), through the `libheif-rs` binding.
//!
//! libheif applies the file's own rotation, mirroring and cropping properties as it decodes,
//! so a HEIF photo is reported upright (orientation 1) at its displayed size.

pub(crate) mod container;

use libheif_rs::{ColorSpace, DecodingOptions, HeifContext, HeifError, LibHeif, RgbChroma};

use crate::error::{MediaError, Result};
use crate::probe::{Limits, check_dimensions};

fn refused(e: HeifError) -> MediaError {
    let why: String = e.message.chars().take(160).collect();
    MediaError::damaged(format!("it cannot be decoded as HEIF ({why})"))
}

/// The primary picture's displayed width and height, read from its properties before a
/// single pixel is decoded, and checked against `limits`.
pub(crate) fn dimensions(bytes: &[u8], limits: &Limits) -> Result<(u32, u32)> {
    let _library = LibHeif::new();
    let context = HeifContext::read_from_bytes(bytes).map_err(refused)?;
    let handle = context.primary_image_handle().map_err(refused)?;
    let size = (handle.width(), handle.height());
    check_dimensions(size.0, size.1, limits)?;
    Ok(size)
}

/// Decodes the primary picture to 8-bit RGB rows with no padding, its transformations
/// applied; returns the pixels, width and height. The declared size is checked first.
pub(crate) fn decode_rgb(bytes: &[u8], limits: &Limits) -> Result<(Vec<u8>, u32, u32)> {
    let library = LibHeif::new();
    let context = HeifContext::read_from_bytes(bytes).map_err(refused)?;
    let handle = context.primary_image_handle().map_err(refused)?;
    let declared = (handle.width(), handle.height());
    check_dimensions(declared.0, declared.1, limits)?;
    let mut options =
        DecodingOptions::new().ok_or_else(|| MediaError::damaged("libheif is out of memory"))?;
    options.set_convert_hdr_to_8bit(true);
    let image = library
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), Some(options))
        .map_err(refused)?;
    let planes = image.planes();
    let plane = planes
        .interleaved
        .ok_or_else(|| MediaError::damaged("it decoded to no RGB picture"))?;
    let (width, height) = (plane.width, plane.height);
    // The coded stream can say another size than the file declares (libheif 1.15 believes
    // the stream): the photo would be recorded at one size and drawn at another.
    if (width, height) != declared {
        return Err(MediaError::damaged(format!(
            "its picture is {width} × {height} pixels but the file declares {} × {}",
            declared.0, declared.1
        )));
    }
    let row = width as usize * 3;
    let mut pixels = Vec::with_capacity(row * height as usize);
    for y in 0..height as usize {
        let line = plane
            .data
            .get(y * plane.stride..y * plane.stride + row)
            .ok_or_else(|| MediaError::damaged("it decoded to fewer pixels than declared"))?;
        pixels.extend_from_slice(line);
    }
    Ok((pixels, width, height))
}
