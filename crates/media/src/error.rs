//! Why a photo was refused.

/// Result alias of this crate.
pub type Result<T, E = MediaError> = std::result::Result<T, E>;

/// A photo Tessera will not take, and why, in words fit to show the person importing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// A HEIF image sequence (a burst or an animation), not a still photo.
    #[error(
        "the file is a burst or an animation (a HEIF image sequence); save the one photo you want, then import it"
    )]
    HeifSequence,
    /// Neither JPEG, PNG, WebP nor HEIF.
    #[error("not a JPEG, PNG, WebP or HEIC image (judged by its content, not its name)")]
    UnknownFormat,
    /// More bytes than the limit.
    #[error("the file is {} MB; photos up to {} MB are accepted", mb(*.bytes), mb(*.limit))]
    TooLarge {
        /// The file's size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// More pixels than the limit, or a side longer than the limit, read from the header.
    #[error(
        "the image is {width} × {height} pixels; at most {} megapixels and {max_side} pixels a side are accepted",
        .max_pixels / 1_000_000
    )]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The pixel-count limit.
        max_pixels: u64,
        /// The side-length limit.
        max_side: u32,
    },
    /// The container or the image data is broken.
    #[error("the image is damaged or truncated: {0}")]
    Damaged(String),
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1_000_000.0)
}

impl MediaError {
    pub(crate) fn damaged(what: impl Into<String>) -> MediaError {
        MediaError::Damaged(what.into())
    }
}
