//! Thumbnails and previews: decoded at the smallest size that still covers the target
//! (JPEG's DCT scaling decodes a 12 MP photo straight to 1/8 of its size), resized with a
//! SIMD convolution, turned upright, and encoded as JPEG.

use std::io::Cursor;

use fast_image_resize as fr;
use image::{DynamicImage, ImageEncoder, RgbImage, metadata::Orientation};

use crate::error::{MediaError, Result};
use crate::format::Format;
use crate::probe::{Limits, check_dimensions, plain};

/// JPEG quality of thumbnails and previews: visually clean at their size.
const QUALITY: u8 = 82;

/// A rendered JPEG and its size as displayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The encoded JPEG.
    pub jpeg: Vec<u8>,
    /// Width, orientation applied.
    pub width: u32,
    /// Height, orientation applied.
    pub height: u32,
}

/// Renders `bytes` (a stripped image of `format`) with its long edge at most `long_edge`
/// pixels (never enlarged), with EXIF `orientation` applied.
pub fn render(
    bytes: &[u8],
    format: Format,
    orientation: u16,
    long_edge: u32,
    limits: &Limits,
) -> Result<Rendered> {
    let (pixels, width, height) = match format {
        Format::Jpeg => decode_jpeg_scaled(bytes, long_edge, limits)?,
        Format::Png | Format::Webp => decode_flat(bytes, format, limits)?,
        Format::Heic => crate::heif::decode_rgb(bytes, limits)?,
    };
    let (fit_w, fit_h) = fit(width, height, long_edge);
    let pixels = if (fit_w, fit_h) == (width, height) {
        pixels
    } else {
        resize(pixels, (width, height), (fit_w, fit_h))?
    };
    let mut image = DynamicImage::ImageRgb8(
        RgbImage::from_raw(fit_w, fit_h, pixels)
            .ok_or_else(|| MediaError::damaged("it decoded to fewer pixels than declared"))?,
    );
    if let Some(orientation) = u8::try_from(orientation)
        .ok()
        .and_then(Orientation::from_exif)
    {
        image.apply_orientation(orientation);
    }
    let mut jpeg = Vec::with_capacity(64 * 1024);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| {
            MediaError::damaged(format!("its thumbnail cannot be encoded ({})", plain(&e)))
        })?;
    Ok(Rendered {
        jpeg,
        width: image.width(),
        height: image.height(),
    })
}

/// The size that fits within `long_edge` keeping the aspect ratio; never larger than now.
fn fit(width: u32, height: u32, long_edge: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_edge {
        return (width, height);
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(long_edge) + u64::from(long) / 2) / u64::from(long)).max(1)
            as u32
    };
    (scale(width), scale(height))
}

/// Decodes a JPEG at the smallest DCT scale (1/8, 1/4, 1/2 or 1) still at least as big as
/// the target, as RGB.
fn decode_jpeg_scaled(
    bytes: &[u8],
    long_edge: u32,
    limits: &Limits,
) -> Result<(Vec<u8>, u32, u32)> {
    let broken = |e: jpeg_decoder::Error| {
        MediaError::damaged(format!("the JPEG data cannot be decoded ({e})"))
    };
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc()).unwrap_or(usize::MAX));
    decoder.read_info().map_err(broken)?;
    let info = decoder
        .info()
        .ok_or_else(|| MediaError::damaged("the JPEG header is missing"))?;
    check_dimensions(u32::from(info.width), u32::from(info.height), limits)?;
    let (want_w, want_h) = fit(u32::from(info.width), u32::from(info.height), long_edge);
    let (w, h) = decoder
        .scale(
            u16::try_from(want_w).unwrap_or(u16::MAX),
            u16::try_from(want_h).unwrap_or(u16::MAX),
        )
        .map_err(broken)?;
    let raw = decoder.decode().map_err(broken)?;
    let (w, h) = (u32::from(w), u32::from(h));
    let rgb = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => raw,
        jpeg_decoder::PixelFormat::L8 => raw.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 => raw
            .chunks_exact(2)
            .flat_map(|l| [l[0], l[0], l[0]])
            .collect(),
        // The decoder undoes Adobe's inversion, so ink is 0 at full coverage here.
        jpeg_decoder::PixelFormat::CMYK32 => raw
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                let ink = |c: u8| ((u16::from(c) * k + 127) / 255) as u8;
                [ink(p[0]), ink(p[1]), ink(p[2])]
            })
            .collect(),
    };
    if rgb.len() < (w as usize) * (h as usize) * 3 {
        return Err(MediaError::damaged("the JPEG data ends early"));
    }
    Ok((rgb, w, h))
}

/// Decodes a PNG or WebP in full, within the allocation limit, and lays any transparency
/// over white (thumbnails are JPEG).
fn decode_flat(bytes: &[u8], format: Format, limits: &Limits) -> Result<(Vec<u8>, u32, u32)> {
    let image_format = format
        .image_format()
        .ok_or_else(|| MediaError::damaged("no decoder for this format"))?;
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), image_format);
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    decode_limits.max_alloc = Some(limits.max_alloc());
    reader.limits(decode_limits);
    let decoded = reader.decode().map_err(|e| {
        MediaError::damaged(format!("the image data cannot be decoded ({})", plain(&e)))
    })?;
    let (w, h) = (decoded.width(), decoded.height());
    let rgb = if decoded.color().has_alpha() {
        decoded
            .to_rgba8()
            .pixels()
            .flat_map(|p| {
                let a = u16::from(p[3]);
                let over_white = |c: u8| ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
                [over_white(p[0]), over_white(p[1]), over_white(p[2])]
            })
            .collect()
    } else {
        decoded.to_rgb8().into_raw()
    };
    Ok((rgb, w, h))
}

fn resize(pixels: Vec<u8>, from: (u32, u32), to: (u32, u32)) -> Result<Vec<u8>> {
    let failed = |what: String| MediaError::damaged(format!("it cannot be resized ({what})"));
    let src = fr::images::Image::from_vec_u8(from.0, from.1, pixels, fr::PixelType::U8x3)
        .map_err(|e| failed(e.to_string()))?;
    let mut dst = fr::images::Image::new(to.0, to.1, fr::PixelType::U8x3);
    let options =
        fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom));
    fr::Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| failed(e.to_string()))?;
    Ok(dst.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_the_aspect_and_never_enlarges() {
        assert_eq!(fit(4000, 3000, 320), (320, 240));
        assert_eq!(fit(3000, 4000, 320), (240, 320));
        assert_eq!(fit(200, 100, 320), (200, 100));
        assert_eq!(fit(10_000, 1, 320), (320, 1));
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn thumbnails_have_a_320_long_edge_and_turn_upright() {
        let bytes = jpeg(1600, 1200);
        let flat = render(&bytes, Format::Jpeg, 1, 320, &Limits::STANDARD).unwrap();
        assert_eq!((flat.width, flat.height), (320, 240));
        let turned = render(&bytes, Format::Jpeg, 6, 320, &Limits::STANDARD).unwrap();
        assert_eq!((turned.width, turned.height), (240, 320));
        let decoded = image::load_from_memory(&turned.jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (240, 320));
    }

    #[test]
    fn transparent_png_is_laid_over_white() {
        let img = image::RgbaImage::from_pixel(400, 200, image::Rgba([0, 0, 0, 0]));
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(img.as_raw(), 400, 200, image::ExtendedColorType::Rgba8)
            .unwrap();
        let out = render(&png, Format::Png, 1, 320, &Limits::STANDARD).unwrap();
        let decoded = image::load_from_memory(&out.jpeg).unwrap().to_rgb8();
        assert!(decoded.pixels().all(|p| p.0.iter().all(|&c| c > 245)));
    }
}
