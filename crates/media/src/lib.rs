//! # tessera-media
//!
//! What Tessera does to a photo before it is sealed into the vault, as pure functions over
//! bytes (no vault, no files, no keys), so the whole path from untrusted input to the
//! stored image can be fuzzed on its own:
//!
//! 1. [`sniff`] the format from its magic bytes (the file name is never consulted), and
//!    check the byte size against [`Limits`];
//! 2. [`strip`](strip::strip) the metadata losslessly at the container level, which also
//!    checks the container's structure, so the decoders below never see hostile metadata;
//! 3. check the pixel count the header declares before anything is decoded
//!    (decompression bombs stop here);
//! 4. read capture time, camera and (only if asked) location from the original EXIF block;
//! 5. [`render`](render::render) a JPEG thumbnail with the orientation applied.
//!
//! [`process`] runs all of it.

pub mod capture;
mod error;
mod format;
mod heif;
pub mod probe;
pub mod render;
pub mod strip;

pub use capture::Capture;
pub use error::{MediaError, Result};
pub use format::{Format, sniff};
pub use probe::{Limits, probe};
pub use render::Rendered;

/// Long edge of the thumbnails shown in galleries, in pixels.
pub const THUMBNAIL_EDGE: u32 = 320;
/// Long edge of the preview shown in the viewer, in pixels.
pub const PREVIEW_EDGE: u32 = 1280;

/// A photo made safe to store: stripped, described and thumbnailed.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The format told by the magic bytes.
    pub format: Format,
    /// The image without identifying metadata; decodes to the same pixels as the input.
    pub stripped: Vec<u8>,
    /// Stored width and height, in pixels (before orientation).
    pub width: u32,
    /// See `width`.
    pub height: u32,
    /// EXIF orientation (1 = upright), kept in `stripped`.
    pub orientation: u16,
    /// What the EXIF block said about when, with what and (if kept) where.
    pub capture: Capture,
    /// The gallery thumbnail.
    pub thumbnail: Rendered,
}

impl Processed {
    /// Width and height as displayed, the orientation applied.
    pub fn display_size(&self) -> (u32, u32) {
        if self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Runs the whole pipeline on untrusted bytes. `keep_location` keeps the GPS position in
/// [`Capture`] (the vault setting); it never stays in the image.
pub fn process(bytes: &[u8], limits: &Limits, keep_location: bool) -> Result<Processed> {
    let format = sniff(bytes)?;
    probe::check_size(bytes, limits)?;
    let stripped = strip::strip(bytes)?;
    let (width, height) = probe(&stripped.bytes, format, limits)?;
    let capture = capture::read(bytes, keep_location);
    let thumbnail = render::render(
        &stripped.bytes,
        format,
        stripped.orientation,
        THUMBNAIL_EDGE,
        limits,
    )?;
    Ok(Processed {
        format,
        width,
        height,
        orientation: stripped.orientation,
        capture,
        thumbnail,
        stripped: stripped.bytes,
    })
}
