//! The grey frame every source produces and every decoder reads, and its constructors from
//! images. Decoders need only luminance, so colour is dropped as early as possible: a third of
//! the memory, and the same bytes whether the picture came from a webcam or a file.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

use crate::error::CameraError;

/// The most pixels a frame may have: 40 megapixels, above any phone photo of a card. Larger
/// images are refused before decoding.
pub const MAX_PIXELS: u64 = 40_000_000;

/// The largest encoded image file accepted: 64 MiB.
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

/// Decoder allocation cap. A 40-megapixel RGBA picture at 16 bits a channel is 320 MB; the cap
/// leaves room for that and no more, whatever a header claims.
const MAX_DECODE_ALLOC: u64 = 384 * 1024 * 1024;

/// An 8-bit grey picture, row-major, `luma.len() == width * height`.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// One byte of luminance per pixel, rows top to bottom.
    pub luma: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    // The pixels would flood any log or assertion message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("luma_len", &self.luma.len())
            .finish()
    }
}

impl Frame {
    /// Whether the fields agree (`luma` holds exactly `width * height` bytes), the frame is not
    /// empty and it is within [`MAX_PIXELS`]. Fields are public, so every consumer checks.
    pub fn is_consistent(&self) -> bool {
        let pixels = u64::from(self.width) * u64::from(self.height);
        pixels > 0 && pixels <= MAX_PIXELS && self.luma.len() as u64 == pixels
    }

    /// The grey version of a decoded image.
    ///
    /// # Errors
    /// [`CameraError::ImageTooLarge`] over [`MAX_PIXELS`], [`CameraError::ImageUnreadable`]
    /// for an empty image.
    pub fn from_image(image: &DynamicImage) -> Result<Frame, CameraError> {
        check_dimensions(image.width(), image.height())?;
        let grey = image.to_luma8();
        Ok(Frame {
            width: grey.width(),
            height: grey.height(),
            luma: grey.into_raw(),
        })
    }

    /// Decodes a PNG, JPEG or binary PGM file's bytes into a grey frame. The size is checked
    /// from the header before any pixel is decoded, and the decoder's allocations are capped.
    ///
    /// # Errors
    /// [`CameraError::ImageTooLarge`] over [`MAX_INPUT_BYTES`] or [`MAX_PIXELS`],
    /// [`CameraError::ImageUnreadable`] for any other format or a damaged file.
    pub fn from_encoded(bytes: &[u8]) -> Result<Frame, CameraError> {
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(CameraError::ImageTooLarge {
                detail: format!("{} bytes", bytes.len()),
            });
        }
        if bytes.starts_with(b"P5") {
            return Frame::from_pgm(bytes);
        }
        let format = image::guess_format(bytes).map_err(unreadable)?;
        if !matches!(format, ImageFormat::Png | ImageFormat::Jpeg) {
            return Err(CameraError::ImageUnreadable {
                detail: format!("{format:?} is not accepted"),
            });
        }
        let mut limits = Limits::default();
        limits.max_image_width = Some(u32::MAX);
        limits.max_image_height = Some(u32::MAX);
        limits.max_alloc = Some(MAX_DECODE_ALLOC);
        let header = ImageReader::with_format(Cursor::new(bytes), format);
        let (width, height) = header.into_dimensions().map_err(unreadable)?;
        check_dimensions(width, height)?;
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        reader.limits(limits);
        let image = reader.decode().map_err(|e| match e {
            image::ImageError::Limits(_) => CameraError::ImageTooLarge {
                detail: e.to_string(),
            },
            other => unreadable(other),
        })?;
        Frame::from_image(&image)
    }

    /// Reads a binary PGM (`P5`, 8-bit). `image` is built without PNM support for the rest of
    /// Tessera, and this one format is a dozen lines.
    fn from_pgm(bytes: &[u8]) -> Result<Frame, CameraError> {
        let mut fields = Vec::with_capacity(3);
        let mut pos = 2;
        while fields.len() < 3 {
            // Whitespace and `#` comments separate the header fields.
            while let Some(&b) = bytes.get(pos) {
                if b == b'#' {
                    while bytes.get(pos).is_some_and(|&c| c != b'\n') {
                        pos += 1;
                    }
                } else if b.is_ascii_whitespace() {
                    pos += 1;
                } else {
                    break;
                }
            }
            let start = pos;
            while bytes.get(pos).is_some_and(u8::is_ascii_digit) {
                pos += 1;
            }
            let digits = std::str::from_utf8(&bytes[start..pos]).unwrap_or_default();
            let value: u32 = digits.parse().map_err(|_| CameraError::ImageUnreadable {
                detail: "damaged PGM header".into(),
            })?;
            fields.push(value);
        }
        let (width, height, max) = (fields[0], fields[1], fields[2]);
        if max == 0 || max > 255 {
            return Err(CameraError::ImageUnreadable {
                detail: format!("PGM maximum value {max} (only 8-bit PGM is read)"),
            });
        }
        check_dimensions(width, height)?;
        // Exactly one whitespace byte ends the header.
        let data = bytes.get(pos + 1..).unwrap_or_default();
        let len = width as usize * height as usize;
        let Some(pixels) = data.get(..len) else {
            return Err(CameraError::ImageUnreadable {
                detail: "PGM file is truncated".into(),
            });
        };
        let luma = if max == 255 {
            pixels.to_vec()
        } else {
            pixels
                .iter()
                .map(|&p| (u32::from(p.min(max as u8)) * 255 / max) as u8)
                .collect()
        };
        Ok(Frame {
            width,
            height,
            luma,
        })
    }
}

fn check_dimensions(width: u32, height: u32) -> Result<(), CameraError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 {
        return Err(CameraError::ImageUnreadable {
            detail: "the image is empty".into(),
        });
    }
    if pixels > MAX_PIXELS {
        return Err(CameraError::ImageTooLarge {
            detail: format!("{width}x{height} pixels"),
        });
    }
    Ok(())
}

fn unreadable(e: image::ImageError) -> CameraError {
    CameraError::ImageUnreadable {
        detail: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pgm_with_a_comment_is_read() {
        let mut bytes = b"P5\n# made by a test\n3 2\n255\n".to_vec();
        bytes.extend_from_slice(&[0, 1, 2, 3, 4, 5]);
        let frame = Frame::from_encoded(&bytes).unwrap();
        assert_eq!((frame.width, frame.height), (3, 2));
        assert_eq!(frame.luma, vec![0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn huge_pgm_header_is_refused_without_reading_pixels() {
        let err = Frame::from_encoded(b"P5 100000 100000 255\n").unwrap_err();
        assert!(matches!(err, CameraError::ImageTooLarge { .. }), "{err:?}");
    }

    #[test]
    fn huge_png_header_is_refused_before_decoding() {
        // A valid PNG claiming 50000x50000, with no pixel data at all.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&50_000u32.to_be_bytes());
        ihdr.extend_from_slice(&50_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc(&ihdr).to_be_bytes());
        // The decoder reads the header up to the first (here empty) image data chunk.
        for chunk in [&b"IDAT"[..], b"IEND"] {
            png.extend_from_slice(&0u32.to_be_bytes());
            png.extend_from_slice(chunk);
            png.extend_from_slice(&crc(chunk).to_be_bytes());
        }
        let err = Frame::from_encoded(&png).unwrap_err();
        assert!(matches!(err, CameraError::ImageTooLarge { .. }), "{err:?}");
    }

    #[test]
    fn other_formats_and_garbage_are_unreadable() {
        let err = Frame::from_encoded(b"GIF89a....").unwrap_err();
        assert!(
            matches!(err, CameraError::ImageUnreadable { .. }),
            "{err:?}"
        );
        let err = Frame::from_encoded(b"not an image").unwrap_err();
        assert!(
            matches!(err, CameraError::ImageUnreadable { .. }),
            "{err:?}"
        );
    }

    fn crc(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
