//! Telling the format from the content.

use crate::error::{MediaError, Result};

/// Image formats Tessera accepts, told by their magic bytes (the file name is ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// HEIF still image (HEIC on iPhones).
    Heic,
}

impl Format {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Heic => "heic",
        }
    }

    /// The stored name back into a format.
    pub fn from_name(name: &str) -> Option<Format> {
        [Format::Jpeg, Format::Png, Format::Webp, Format::Heic]
            .into_iter()
            .find(|f| f.as_str() == name)
    }

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Heic => "image/heic",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Heic => "heic",
        }
    }

    /// The `image` crate's decoder for the formats it reads; HEIF goes through libheif.
    pub(crate) fn image_format(self) -> Option<image::ImageFormat> {
        match self {
            Format::Jpeg => Some(image::ImageFormat::Jpeg),
            Format::Png => Some(image::ImageFormat::Png),
            Format::Webp => Some(image::ImageFormat::WebP),
            Format::Heic => None,
        }
    }
}

pub(crate) const PNG_SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Tells the format from the first bytes.
pub fn sniff(bytes: &[u8]) -> Result<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(Format::Jpeg)
    } else if bytes.starts_with(PNG_SIGNATURE) {
        Ok(Format::Png)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok(Format::Webp)
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        // The major brand says what the file is: a still image (HEIC from a phone, or any
        // HEIF image file) or an image sequence (a burst, an animation).
        match &bytes[8..12] {
            b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" => Ok(Format::Heic),
            b"hevc" | b"hevx" | b"msf1" => Err(MediaError::HeifSequence),
            _ => Err(MediaError::UnknownFormat),
        }
    } else if bytes.is_empty() {
        Err(MediaError::Empty)
    } else {
        Err(MediaError::UnknownFormat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_by_content() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Ok(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Ok(Format::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Ok(Format::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0"), Ok(Format::Heic));
        assert_eq!(sniff(b"\0\0\0\x18ftypmif1\0\0"), Ok(Format::Heic));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypmsf1\0\0"),
            Err(MediaError::HeifSequence)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0"),
            Err(MediaError::UnknownFormat),
            "an MP4 is not a HEIC"
        );
        assert_eq!(sniff(b""), Err(MediaError::Empty));
        assert_eq!(sniff(b"GIF89a......"), Err(MediaError::UnknownFormat));
        for f in [Format::Jpeg, Format::Png, Format::Webp, Format::Heic] {
            assert_eq!(Format::from_name(f.as_str()), Some(f));
        }
    }
}
