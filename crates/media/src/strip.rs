//! Lossless metadata stripping at the container level: the compressed image data is copied
//! byte for byte, so the decoded pixels cannot change. Only what identifies a person, a
//! place or a device goes: EXIF (GPS, camera, serials, embedded previews), XMP, IPTC and
//! Photoshop blocks, comments, text chunks, timestamps, and anything after the image's end.
//! What decoding or display needs stays: JFIF, the ICC profile, Adobe's colour transform,
//! PNG's colour and transparency chunks, WebP's ICC, alpha and animation chunks. The display
//! orientation is kept as a minimal EXIF block holding the Orientation tag alone. HEIF has
//! a container of its own, stripped in [`crate::heif`].
//!
//! Hand-written because no maintained crate rewrites these containers without re-encoding;
//! each format is a simple sequence of length-prefixed segments.

use crate::error::{MediaError, Result};
use crate::format::{Format, PNG_SIGNATURE, sniff};

/// The stripped image, and the orientation it carried (1 = upright).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The image without its metadata.
    pub bytes: Vec<u8>,
    /// EXIF orientation (1-8) found in the original, kept in `bytes`.
    pub orientation: u16,
}

/// Strips `bytes` of its metadata, whatever its format.
pub fn strip(bytes: &[u8]) -> Result<Stripped> {
    match sniff(bytes)? {
        Format::Jpeg => jpeg(bytes),
        Format::Png => png(bytes),
        Format::Webp => webp(bytes),
        // HEIF's orientation is in item properties that stay, applied by its decoder.
        Format::Heic => Ok(Stripped {
            bytes: crate::heif::container::strip(bytes)?,
            orientation: 1,
        }),
    }
}

fn damaged(what: &str) -> MediaError {
    MediaError::damaged(what)
}

/// JPEG: a sequence of marker segments; entropy-coded data follows each SOS until the next
/// marker that is not a restart marker or a stuffed 0xFF.
fn jpeg(bytes: &[u8]) -> Result<Stripped> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    // From the first EXIF block that has one, as viewers read it; reported only if kept.
    let mut orientation = None;
    let mut kept_orientation = false;
    let mut i = 2;
    loop {
        // Fill bytes (0xFF runs) may precede a marker.
        while bytes.get(i) == Some(&0xFF) && bytes.get(i + 1) == Some(&0xFF) {
            i += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(i), bytes.get(i + 1)) else {
            return Err(damaged("a JPEG segment is missing its marker"));
        };
        i += 2;
        match marker {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                // Anything after the end of the image (previews, appended files) is dropped.
                // An orientation found after the last table or frame segment had nowhere to
                // go: the stripped image shows unturned, so it is reported as upright.
                return Ok(Stripped {
                    bytes: out,
                    orientation: orientation.filter(|_| kept_orientation).unwrap_or(1),
                });
            }
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            _ => {}
        }
        let len = match (bytes.get(i), bytes.get(i + 1)) {
            (Some(&hi), Some(&lo)) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => return Err(damaged("a JPEG segment is cut short")),
        };
        if len < 2 || i + len > bytes.len() {
            return Err(damaged("a JPEG segment runs past the end of the file"));
        }
        let segment = &bytes[i - 2..i + len];
        let payload = &bytes[i + 2..i + len];
        i += len;
        match marker {
            0xE1 if payload.starts_with(b"Exif\0\0") => {
                orientation = orientation.or_else(|| exif_orientation(&payload[6..]));
            }
            // JFIF's optional embedded thumbnail could show the photo before a crop.
            0xE0 if payload.starts_with(b"JFIF\0") => {
                out.extend_from_slice(&jfif_without_thumbnail(payload))
            }
            0xE2 if payload.starts_with(b"ICC_PROFILE\0") => out.extend_from_slice(segment),
            0xEE if payload.starts_with(b"Adobe") => out.extend_from_slice(segment),
            // Every other APPn (EXIF, XMP, IPTC, Photoshop, maker data) and comments go, and
            // so does any marker that is not part of decoding (JPG extensions, a stray SOI).
            _ if !is_frame_or_table(marker) => {}
            _ => {
                if let Some(turned) = orientation.filter(|&o| o != 1)
                    && !kept_orientation
                    && is_frame_or_table(marker)
                {
                    out.extend_from_slice(&orientation_app1(turned));
                    kept_orientation = true;
                }
                out.extend_from_slice(segment);
                if marker == 0xDA {
                    let end = scan_end(bytes, i)?;
                    out.extend_from_slice(&bytes[i..end]);
                    i = end;
                }
            }
        }
    }
}

/// SOFn, DHT, DAC, SOS, DQT, DNL, DRI, DHP, EXP: the segments decoding needs. The first of
/// them also marks where the kept EXIF block goes, after the APPn segments that must come
/// first.
fn is_frame_or_table(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF | 0xDA..=0xDF)
}

/// A JFIF APP0 segment with the same version, units and density, and no thumbnail.
fn jfif_without_thumbnail(payload: &[u8]) -> Vec<u8> {
    // "JFIF\0", version (2), units (1), densities (2 + 2), thumbnail size (1 + 1).
    let mut kept = payload.get(..12).unwrap_or(payload).to_vec();
    kept.resize(14, 0);
    let mut segment = vec![0xFF, 0xE0];
    segment.extend_from_slice(&((kept.len() + 2) as u16).to_be_bytes());
    segment.extend(kept);
    segment
}

/// Where the entropy-coded data starting at `start` ends: at the first marker that is not
/// a stuffed byte (FF 00) or a restart marker (FF D0-D7). `memchr` finds each 0xFF with SIMD;
/// scanning byte by byte was most of the stripping time for a 12 MP photo.
fn scan_end(bytes: &[u8], start: usize) -> Result<usize> {
    let mut i = start;
    while let Some(found) = bytes.get(i..).and_then(|rest| memchr::memchr(0xFF, rest)) {
        let at = i + found;
        match bytes.get(at + 1) {
            Some(0x00 | 0xD0..=0xD7 | 0xFF) => i = at + 1,
            Some(_) => return Ok(at),
            None => break,
        }
    }
    Err(damaged("the JPEG image data has no end marker"))
}

/// An APP1 segment holding an EXIF block with the Orientation tag alone.
fn orientation_app1(orientation: u16) -> Vec<u8> {
    let tiff = orientation_tiff(orientation);
    let len = (2 + 6 + tiff.len()) as u16;
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&len.to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

/// A big-endian TIFF header and one IFD with one entry: Orientation (0x0112), SHORT.
fn orientation_tiff(orientation: u16) -> Vec<u8> {
    let mut t = b"MM\0\x2A\0\0\0\x08".to_vec();
    t.extend_from_slice(&1u16.to_be_bytes());
    t.extend_from_slice(&0x0112u16.to_be_bytes());
    t.extend_from_slice(&3u16.to_be_bytes());
    t.extend_from_slice(&1u32.to_be_bytes());
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    t.extend_from_slice(&0u32.to_be_bytes());
    t
}

/// The Orientation tag of a TIFF-structured EXIF block, if present and valid (1-8).
fn exif_orientation(tiff: &[u8]) -> Option<u16> {
    let big = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    (0..count.min(512)).find_map(|n| {
        let entry = ifd.checked_add(2 + n * 12)?;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|o| (1..=8).contains(o))
    })
}

/// PNG: critical chunks and the ancillary chunks that change how pixels look are kept;
/// text, EXIF, time and private chunks go, and so does anything after IEND.
fn png(bytes: &[u8]) -> Result<Stripped> {
    const KEEP: [&[u8; 4]; 13] = [
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP", b"sBIT",
        b"cICP", b"acTL", b"fcTL",
    ];
    let mut out = PNG_SIGNATURE.to_vec();
    // From the first eXIf before the image data (where it must be), written back just
    // before the first IDAT; a PNG with no IDAT keeps none, so reports none.
    let mut orientation = None;
    let mut seen_idat = false;
    let mut i = PNG_SIGNATURE.len();
    loop {
        let header = bytes
            .get(i..i + 8)
            .ok_or_else(|| damaged("a PNG chunk is cut short"))?;
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind: [u8; 4] = [header[4], header[5], header[6], header[7]];
        let end = i
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| damaged("a PNG chunk runs past the end of the file"))?;
        if &kind == b"eXIf" {
            if !seen_idat {
                orientation = orientation.or_else(|| exif_orientation(&bytes[i + 8..i + 8 + len]));
            }
        } else if &kind == b"IDAT" && !seen_idat {
            // eXIf must precede the image data, and IDAT chunks must follow one another.
            if let Some(turned) = orientation.filter(|&o| o != 1) {
                out.extend_from_slice(&png_chunk(b"eXIf", &orientation_tiff(turned)));
            }
            out.extend_from_slice(&bytes[i..end]);
            seen_idat = true;
        } else if KEEP.contains(&&kind) || &kind == b"fdAT" {
            out.extend_from_slice(&bytes[i..end]);
        }
        i = end;
        if &kind == b"IEND" {
            return Ok(Stripped {
                bytes: out,
                orientation: orientation.filter(|_| seen_idat).unwrap_or(1),
            });
        }
    }
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let crc = crc32fast::hash(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

/// WebP: RIFF chunks; the image, alpha, animation and ICC chunks stay, everything else goes
/// (EXIF, XMP, unknown chunks) and VP8X's EXIF and XMP flags are cleared. The orientation
/// is not kept, so it is reported as upright: thumbnails, the record and the stored image
/// agree (WebP viewers mostly ignore EXIF orientation anyway).
fn webp(bytes: &[u8]) -> Result<Stripped> {
    const EXIF_FLAG: u8 = 0x08;
    const XMP_FLAG: u8 = 0x04;
    let mut body = Vec::with_capacity(bytes.len());
    let mut i = 12;
    let declared = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    let limit = declared
        .checked_add(8)
        .filter(|&l| l <= bytes.len())
        .ok_or_else(|| damaged("the WebP file is shorter than it says"))?;
    while i < limit {
        let header = bytes
            .get(i..i + 8)
            .ok_or_else(|| damaged("a WebP chunk is cut short"))?;
        let size = u32::from_le_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let end = size
            .checked_add(8 + size % 2)
            .and_then(|n| n.checked_add(i))
            .filter(|&e| e <= limit)
            .ok_or_else(|| damaged("a WebP chunk runs past the end of the file"))?;
        match &header[..4] {
            b"VP8X" => {
                let mut chunk = bytes[i..end].to_vec();
                if let Some(flags) = chunk.get_mut(8) {
                    *flags &= !(EXIF_FLAG | XMP_FLAG);
                }
                body.extend_from_slice(&chunk);
            }
            b"VP8 " | b"VP8L" | b"ALPH" | b"ANIM" | b"ANMF" | b"ICCP" => {
                body.extend_from_slice(&bytes[i..end]);
            }
            _ => {}
        }
        i = end;
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    Ok(Stripped {
        bytes: out,
        orientation: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// EXIF with an Orientation entry and a GPS-looking string, little-endian.
    fn exif_with(orientation: u16) -> Vec<u8> {
        let mut t = b"II\x2A\0\x08\0\0\0".to_vec();
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&0x0112u16.to_le_bytes());
        t.extend_from_slice(&3u16.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&orientation.to_le_bytes());
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&0x8825u16.to_le_bytes());
        t.extend_from_slice(&4u16.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(b"GPS 38.7223 N -9.1393 W secret-camera-serial");
        t
    }

    const SCAN: &[u8] = &[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0x78];

    fn sample_jpeg() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(exif_with(6));
        j.extend(segment(0xE1, &app1));
        j.extend(segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>secret-xmp</x:xmpmeta>",
        ));
        j.extend(segment(0xE2, b"ICC_PROFILE\0\x01\x01profile-bytes"));
        j.extend(segment(0xED, b"Photoshop 3.0\08BIM secret-iptc"));
        j.extend(segment(0xFE, b"secret comment"));
        j.extend(segment(0xDB, &[0u8; 65]));
        j.extend(segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
        j.extend(segment(0xC4, &[0u8; 20]));
        j.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        j.extend_from_slice(SCAN);
        j.extend_from_slice(&[0xFF, 0xD9]);
        j.extend_from_slice(b"appended secret preview");
        j
    }

    #[test]
    fn jpeg_loses_its_metadata_but_keeps_image_data_and_orientation() {
        let input = sample_jpeg();
        let out = strip(&input).unwrap();
        assert_eq!(out.orientation, 6);
        for secret in [&b"secret"[..], b"GPS", b"xmpmeta", b"8BIM"] {
            assert!(
                !contains(&out.bytes, secret),
                "{}",
                String::from_utf8_lossy(secret)
            );
        }
        for kept in [&b"JFIF\0"[..], b"ICC_PROFILE\0", SCAN] {
            assert!(contains(&out.bytes, kept));
        }
        assert!(contains(&out.bytes, &orientation_app1(6)));
        assert!(out.bytes.ends_with(&[0xFF, 0xD9]));
        let again = strip(&out.bytes).unwrap();
        assert_eq!(again, out, "stripping twice changes nothing");
    }

    #[test]
    fn png_keeps_colour_chunks_and_orientation_and_drops_text() {
        let mut p = PNG_SIGNATURE.to_vec();
        p.extend(png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
        p.extend(png_chunk(b"tEXt", b"Author\0secret author"));
        p.extend(png_chunk(b"tIME", &[7, 234, 11, 23, 10, 0, 0]));
        p.extend(png_chunk(b"gAMA", &[0, 0, 177, 143]));
        p.extend(png_chunk(b"eXIf", &exif_with(3)));
        p.extend(png_chunk(b"IDAT", b"compressed-pixels"));
        p.extend(png_chunk(b"IEND", b""));
        p.extend_from_slice(b"trailing secret");
        let out = strip(&p).unwrap();
        assert_eq!(out.orientation, 3);
        assert!(!contains(&out.bytes, b"secret") && !contains(&out.bytes, b"tIME"));
        assert!(contains(&out.bytes, b"gAMA") && contains(&out.bytes, b"compressed-pixels"));
        let exif = png_chunk(b"eXIf", &orientation_tiff(3));
        let at_exif = out
            .bytes
            .windows(exif.len())
            .position(|w| w == exif.as_slice());
        let at_idat = out.bytes.windows(4).position(|w| w == b"IDAT");
        assert!(
            at_exif.unwrap() < at_idat.unwrap(),
            "eXIf precedes the image data"
        );
        assert!(out.bytes.ends_with(&png_chunk(b"IEND", b"")));
        assert_eq!(strip(&out.bytes).unwrap(), out);
    }

    #[test]
    fn webp_drops_exif_and_xmp_and_fixes_flags_and_size() {
        fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
            let mut c = kind.to_vec();
            c.extend_from_slice(&(data.len() as u32).to_le_bytes());
            c.extend_from_slice(data);
            if data.len() % 2 == 1 {
                c.push(0);
            }
            c
        }
        let mut body = chunk(b"VP8X", &[0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        body.extend(chunk(b"VP8 ", b"lossy-frame"));
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend(exif_with(8));
        body.extend(chunk(b"EXIF", &exif));
        body.extend(chunk(b"XMP ", b"<x:xmpmeta>secret</x:xmpmeta>"));
        body.extend(chunk(b"ICCP", b"colour-profile"));
        body.extend(chunk(b"ZZZZ", b"unknown secret chunk"));
        let mut w = b"RIFF".to_vec();
        w.extend_from_slice(&((body.len() + 4) as u32).to_le_bytes());
        w.extend_from_slice(b"WEBP");
        w.extend(body);
        let out = strip(&w).unwrap();
        assert_eq!(out.orientation, 1, "not kept, so not reported");
        assert!(!contains(&out.bytes, b"secret") && !contains(&out.bytes, b"EXIF"));
        assert!(contains(&out.bytes, b"lossy-frame") && contains(&out.bytes, b"colour-profile"));
        assert_eq!(out.bytes[20], 0, "EXIF and XMP flags cleared");
        let size = u32::from_le_bytes([out.bytes[4], out.bytes[5], out.bytes[6], out.bytes[7]]);
        assert_eq!(size as usize, out.bytes.len() - 8);
    }

    #[test]
    fn jfif_thumbnails_and_non_decoding_markers_go() {
        let mut payload = b"JFIF\0\x01\x02\x01\0\x48\0\x48\x02\x01".to_vec();
        payload.extend_from_slice(&[0xAB; 6]);
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xE0, &payload));
        j.extend(segment(0xF1, b"JPG extension secret"));
        j.extend(segment(0xDB, &[0u8; 65]));
        j.extend(segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
        j.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        j.extend_from_slice(SCAN);
        j.extend_from_slice(&[0xFF, 0xD9]);
        let out = strip(&j).unwrap();
        let jfif = segment(0xE0, b"JFIF\0\x01\x02\x01\0\x48\0\x48\0\0");
        assert!(
            out.bytes.starts_with(&[&[0xFF, 0xD8][..], &jfif].concat()),
            "density kept, thumbnail gone"
        );
        assert!(!contains(&out.bytes, &[0xAB; 6]) && !contains(&out.bytes, b"secret"));
        assert_eq!(strip(&out.bytes).unwrap(), out);
    }

    #[test]
    fn other_content_is_refused_by_its_bytes() {
        for (bytes, says) in [
            (&b""[..], "empty"),
            (b"\0\0\0\x18ftypmsf1\0\0\0\0", "burst or an animation"),
            (b"GIF89a......", "not a JPEG, PNG, WebP or HEIC"),
        ] {
            let err = strip(bytes).unwrap_err().to_string();
            assert!(err.contains(says), "{err}");
        }
    }

    fn png_of(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut p = PNG_SIGNATURE.to_vec();
        chunks.iter().for_each(|c| p.extend_from_slice(c));
        p
    }

    /// Found by fuzzing (fuzz/fuzz_targets/import.rs): a PNG with an eXIf but no IDAT to
    /// put it before reported an orientation its stripped bytes did not keep, so thumbnails
    /// and viewers would turn it differently. Its siblings: an eXIf after the image data
    /// (which was also written between two IDATs, breaking the PNG), and a second eXIf.
    #[test]
    fn png_reports_only_the_orientation_it_keeps() {
        let ihdr = png_chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
        let idat = png_chunk(b"IDAT", b"pixels");
        let iend = png_chunk(b"IEND", b"");
        let exif = |o| png_chunk(b"eXIf", &exif_with(o));

        let no_idat = strip(&png_of(&[ihdr.clone(), exif(3), iend.clone()])).unwrap();
        assert_eq!(no_idat.orientation, 1);
        assert_eq!(strip(&no_idat.bytes).unwrap(), no_idat);

        let late = png_of(&[
            ihdr.clone(),
            idat.clone(),
            exif(6),
            idat.clone(),
            iend.clone(),
        ]);
        let late = strip(&late).unwrap();
        assert_eq!(late.orientation, 1);
        assert!(!contains(&late.bytes, b"eXIf"));
        assert_eq!(strip(&late.bytes).unwrap(), late);

        let two = strip(&png_of(&[ihdr, exif(6), exif(3), idat, iend])).unwrap();
        assert_eq!(two.orientation, 6);
        assert_eq!(strip(&two.bytes).unwrap(), two);
    }

    /// The JPEG siblings: an EXIF block after the last table or frame segment (nowhere left
    /// to keep it), and a second EXIF block after the first was kept.
    #[test]
    fn jpeg_reports_only_the_orientation_it_keeps() {
        let exif = |o| {
            let mut app1 = b"Exif\0\0".to_vec();
            app1.extend(exif_with(o));
            segment(0xE1, &app1)
        };
        let jpeg = |head: &[Vec<u8>], tail: &[Vec<u8>]| {
            let mut j = vec![0xFF, 0xD8];
            head.iter().for_each(|s| j.extend_from_slice(s));
            j.extend(segment(0xC0, &[8, 0, 16, 0, 16, 1, 1, 0x11, 0]));
            j.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
            j.extend_from_slice(SCAN);
            tail.iter().for_each(|s| j.extend_from_slice(s));
            j.extend_from_slice(&[0xFF, 0xD9]);
            j
        };
        let dqt = || segment(0xDB, &[0u8; 65]);

        let late = strip(&jpeg(&[dqt()], &[exif(6)])).unwrap();
        assert_eq!(late.orientation, 1);
        assert_eq!(strip(&late.bytes).unwrap(), late);

        let two = strip(&jpeg(&[exif(6), dqt(), exif(3)], &[])).unwrap();
        assert_eq!(two.orientation, 6);
        assert!(contains(&two.bytes, &orientation_app1(6)));
        assert_eq!(strip(&two.bytes).unwrap(), two);
    }

    proptest! {
        /// Every prefix of a valid image, and any bytes at all, give a result or a clear
        /// error: never a panic.
        #[test]
        fn truncated_or_random_input_never_panics(cut in 0usize..400, junk in proptest::collection::vec(any::<u8>(), 0..300)) {
            let jpeg = sample_jpeg();
            let _ = strip(&jpeg[..cut.min(jpeg.len())]);
            let _ = strip(&junk);
            let mut tagged = vec![0xFF, 0xD8, 0xFF];
            tagged.extend_from_slice(&junk);
            let _ = strip(&tagged);
            let mut riff = b"RIFF\xff\xff\xff\x7fWEBP".to_vec();
            riff.extend_from_slice(&junk);
            let _ = strip(&riff);
            let mut png = PNG_SIGNATURE.to_vec();
            png.extend_from_slice(&junk);
            let _ = strip(&png);
        }
    }
}
