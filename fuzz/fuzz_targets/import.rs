//! The photo import path on untrusted bytes: everything `tessera photo import` does before
//! encrypting. Beyond "never panics", it checks what the rest of Tessera relies on:
//!
//! - stripping keeps the format and is idempotent: a stripped image strips to the same bytes,
//!   so nothing the stripper removes can survive one pass and go in a second;
//! - the orientation it reports is the one kept in the bytes (JPEG and PNG; a WebP keeps no
//!   EXIF, so a second pass finds none; a HEIF is upright, turned by its decoder), because
//!   thumbnails are turned by the first and viewers by the second;
//! - an accepted photo is within the limits, its thumbnail really decodes, is no larger than
//!   320 pixels a side nor than the photo, and is turned the way the photo is displayed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_media::strip::{self, Stripped};
use tessera_media::{Format, Limits, MediaError, Processed, THUMBNAIL_EDGE, process, sniff};

fuzz_target!(|data: &[u8]| {
    let stripped = strip::strip(data);
    if let Ok(first) = &stripped {
        check_strip(data, first);
    }
    if let Ok(processed) = process(data, &Limits::STANDARD, true) {
        check_processed(data, &processed, &stripped);
    }
});

fn check_strip(data: &[u8], first: &Stripped) {
    let format = sniff(data).expect("strip succeeded, so the format was known");
    assert_eq!(
        sniff(&first.bytes),
        Ok(format),
        "stripping keeps the format"
    );
    assert!(
        (1..=8).contains(&first.orientation),
        "orientation {} is not an EXIF orientation",
        first.orientation
    );
    let second = strip::strip(&first.bytes).expect("a stripped image strips again");
    assert!(
        second.bytes == first.bytes,
        "stripping is not idempotent: {} bytes became {}",
        first.bytes.len(),
        second.bytes.len()
    );
    let kept = match format {
        // HEIF's orientation is in properties its decoder applies: always reported upright.
        Format::Webp | Format::Heic => 1,
        Format::Jpeg | Format::Png => first.orientation,
    };
    assert_eq!(
        second.orientation, kept,
        "the orientation reported is not the one kept in the stripped bytes"
    );
}

fn check_processed(data: &[u8], p: &Processed, stripped: &Result<Stripped, MediaError>) {
    let stripped = stripped
        .as_ref()
        .expect("process succeeded, so stripping alone succeeds");
    assert_eq!(Ok(p.format), sniff(data));
    assert!(p.stripped == stripped.bytes, "process strips as strip does");
    assert_eq!(p.orientation, stripped.orientation);

    let limits = Limits::STANDARD;
    assert!(p.width >= 1 && p.height >= 1);
    assert!(u64::from(p.width) * u64::from(p.height) <= limits.max_pixels);
    assert!(p.width.max(p.height) <= limits.max_side);

    let (tw, th) = (p.thumbnail.width, p.thumbnail.height);
    let (dw, dh) = p.display_size();
    assert!(
        (1..=THUMBNAIL_EDGE).contains(&tw) && (1..=THUMBNAIL_EDGE).contains(&th),
        "thumbnail is {tw} × {th}"
    );
    assert!(
        tw <= dw && th <= dh,
        "thumbnail {tw} × {th} is larger than the photo, {dw} × {dh} as displayed"
    );
    // Landscape stays landscape and portrait portrait once the orientation is applied
    // (rounding can make a nearly square photo's thumbnail square, never turn it).
    assert!(
        (dw > dh && tw >= th) || (dw < dh && tw <= th) || (dw == dh && tw == th),
        "thumbnail {tw} × {th} is turned unlike the photo, {dw} × {dh} as displayed"
    );
    let decoded = image::load_from_memory_with_format(&p.thumbnail.jpeg, image::ImageFormat::Jpeg)
        .expect("the thumbnail is a JPEG that decodes");
    assert_eq!((decoded.width(), decoded.height()), (tw, th));

    if let Some((lat, lon)) = p.capture.location {
        assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon));
    }
}
