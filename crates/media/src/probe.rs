//! Limits checked before decoding: the byte size first, then the dimensions the header
//! declares. A 30000 × 30000 PNG of a few kilobytes is refused here, before a single pixel
//! buffer is allocated.

use std::io::Cursor;

use crate::error::{MediaError, Result};
use crate::format::Format;

/// How big a photo may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file, in bytes.
    pub max_bytes: u64,
    /// Most pixels (width × height).
    pub max_pixels: u64,
    /// Longest side, in pixels.
    pub max_side: u32,
}

impl Limits {
    /// What the vault accepts: 64 MB and 100 megapixels (a 108 MP phone sensor's full
    /// output is the largest photo staff are likely to take), no side over 20000 pixels.
    pub const STANDARD: Limits = Limits {
        max_bytes: 64_000_000,
        max_pixels: 100_000_000,
        max_side: 20_000,
    };

    /// The most memory one decode may allocate: four bytes a pixel at the pixel limit, plus
    /// room for the decoder's own tables.
    pub(crate) fn max_alloc(&self) -> u64 {
        self.max_pixels * 4 + 64_000_000
    }
}

/// Checks the size, reads the declared width and height from the header, and checks them.
pub fn probe(bytes: &[u8], format: Format, limits: &Limits) -> Result<(u32, u32)> {
    check_size(bytes, limits)?;
    let Some(image_format) = format.image_format() else {
        return crate::heif::dimensions(bytes, limits);
    };
    let reader = image::ImageReader::with_format(Cursor::new(bytes), image_format);
    let (width, height) = reader
        .into_dimensions()
        .map_err(|e| MediaError::damaged(format!("its header cannot be read ({})", plain(&e))))?;
    check_dimensions(width, height, limits)?;
    Ok((width, height))
}

/// Refuses more bytes than the limit.
pub fn check_size(bytes: &[u8], limits: &Limits) -> Result<()> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(MediaError::TooLarge {
            bytes: size,
            limit: limits.max_bytes,
        });
    }
    Ok(())
}

pub(crate) fn check_dimensions(width: u32, height: u32, limits: &Limits) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(MediaError::damaged("it declares no pixels"));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels
        || width.max(height) > limits.max_side
    {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
        });
    }
    Ok(())
}

/// A decoder's error in a few words, without its Debug noise.
pub(crate) fn plain(e: &image::ImageError) -> String {
    let text = e.to_string();
    text.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG claiming `w` × `h`, with a token of image data.
    fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut chunk = 13u32.to_be_bytes().to_vec();
        chunk.extend_from_slice(b"IHDR");
        chunk.extend_from_slice(&ihdr);
        let crc = crc32fast::hash(&chunk[4..]);
        chunk.extend_from_slice(&crc.to_be_bytes());
        let mut png = crate::format::PNG_SIGNATURE.to_vec();
        png.extend(chunk);
        let idat = b"IDAT\x78\x9C\x03\x00";
        png.extend_from_slice(&4u32.to_be_bytes());
        png.extend_from_slice(idat);
        png.extend_from_slice(&crc32fast::hash(idat).to_be_bytes());
        png
    }

    #[test]
    fn declared_dimensions_are_checked_before_decoding() {
        let limits = Limits::STANDARD;
        assert_eq!(
            probe(&png_header(4000, 3000), Format::Png, &limits),
            Ok((4000, 3000))
        );
        let bomb = probe(&png_header(30_000, 30_000), Format::Png, &limits).unwrap_err();
        assert!(matches!(
            bomb,
            MediaError::TooManyPixels { width: 30_000, .. }
        ));
        assert!(bomb.to_string().contains("30000 × 30000"), "{bomb}");
        let strip = probe(&png_header(25_000, 10), Format::Png, &limits).unwrap_err();
        assert!(matches!(strip, MediaError::TooManyPixels { .. }));
    }

    #[test]
    fn the_byte_limit_comes_first() {
        let small = Limits {
            max_bytes: 10,
            ..Limits::STANDARD
        };
        let err = probe(&png_header(10, 10), Format::Png, &small).unwrap_err();
        assert!(matches!(err, MediaError::TooLarge { limit: 10, .. }));
    }
}
