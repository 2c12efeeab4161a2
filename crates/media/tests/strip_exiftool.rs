//! Metadata stripping on real images: encoded by the `image` crate, loaded with GPS, camera,
//! XMP, IPTC, comment and orientation tags by the standard `exiftool`, stripped, then read
//! back by exiftool (nothing identifying left) and decoded (the same pixels). HEIC photos are
//! made from the same picture by libheif's `heif-enc`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use image::{ImageEncoder, RgbImage};
use tessera_media::{Format, Limits, render, strip};

#[path = "support/exiftool.rs"]
mod support;

use support::{SENTINEL, assert_no_identifying_tags, exiftool, heif_enc};

fn gradient() -> RgbImage {
    RgbImage::from_fn(96, 64, |x, y| {
        image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x + y) % 256) as u8])
    })
}

fn encode(format: &str) -> Vec<u8> {
    let img = gradient();
    let mut out = Vec::new();
    let (w, h) = img.dimensions();
    match format {
        "jpg" => image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap(),
        "png" => image::codecs::png::PngEncoder::new(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap(),
        _ => image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
            .unwrap(),
    }
    out
}

fn tagged(format: &str, dir: &Path) -> std::path::PathBuf {
    let path = dir.join(format!("photo.{format}"));
    std::fs::write(&path, encode(format)).unwrap();
    let mut extra = vec!["-Orientation#=6".to_owned()];
    if format == "jpg" {
        extra.push(format!("-IPTC:Keywords={SENTINEL}Keyword"));
        extra.push(format!("-Comment={SENTINEL}Comment"));
    }
    tag(&path, &extra);
    let before = exiftool(&["-a", "-G1", "-s"], &path);
    assert!(
        before.contains(SENTINEL) && before.contains("GPS"),
        "metadata was written:\n{before}"
    );
    path
}

/// A HEIC of the gradient, encoded by libheif's own `heif-enc`, as a phone's would be.
fn heic(dir: &Path) -> std::path::PathBuf {
    let png = dir.join("source.png");
    std::fs::write(&png, encode("png")).unwrap();
    let path = dir.join("photo.heic");
    heif_enc(&png, &path);
    path
}

/// What a phone's camera and a photo library write about a photo, every identifying value
/// carrying the sentinel.
fn identifying_tags() -> Vec<String> {
    vec![
        "-q".to_owned(),
        "-overwrite_original".to_owned(),
        "-GPSLatitude=38.7223".to_owned(),
        "-GPSLatitudeRef=N".to_owned(),
        "-GPSLongitude=9.1393".to_owned(),
        "-GPSLongitudeRef=W".to_owned(),
        format!("-Make={SENTINEL}Make"),
        format!("-Model={SENTINEL}Model"),
        format!("-SerialNumber={SENTINEL}Serial"),
        "-DateTimeOriginal=2026:01:02 03:04:05".to_owned(),
        format!("-XMP-dc:Creator={SENTINEL}Creator"),
    ]
}

fn tag(path: &Path, extra: &[String]) {
    let args: Vec<String> = identifying_tags()
        .into_iter()
        .chain(extra.iter().cloned())
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    exiftool(&args, path);
}

#[test]
fn an_iphone_style_heic_loses_its_exif_and_xmp_items_and_keeps_its_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let path = heic(dir.path());
    tag(&path, &[]);
    let before = exiftool(&["-a", "-G1", "-s"], &path);
    assert!(
        before.contains(SENTINEL) && before.contains("[GPS]") && before.contains("[XMP-dc]"),
        "exiftool wrote EXIF and XMP items:\n{before}"
    );
    let original = std::fs::read(&path).unwrap();

    let processed = tessera_media::process(&original, &Limits::STANDARD, false).unwrap();
    assert_eq!(processed.format, Format::Heic);
    assert_eq!((processed.width, processed.height), (96, 64));
    assert_eq!(processed.orientation, 1);
    assert_eq!(
        processed.capture.taken_at.as_deref(),
        Some("2026-01-02T03:04:05"),
        "the capture time is read from the EXIF item before it goes"
    );
    assert_eq!(processed.capture.location, None, "not kept unless asked");
    assert_eq!(
        (processed.thumbnail.width, processed.thumbnail.height),
        (96, 64)
    );

    let out = dir.path().join("stripped.heic");
    std::fs::write(&out, &processed.stripped).unwrap();
    let report = assert_no_identifying_tags(&out);
    assert!(report.contains("HEIC"), "still a HEIC:\n{report}");

    // The same pixels: both decode (through libheif) to the same rendering.
    let draw = |bytes: &[u8]| render::render(bytes, Format::Heic, 1, 2000, &Limits::STANDARD);
    assert_eq!(draw(&original).unwrap(), draw(&processed.stripped).unwrap());
    let untouched = strip::strip(&processed.stripped).unwrap();
    assert_eq!(
        untouched.bytes, processed.stripped,
        "a stripped HEIC stays as it is"
    );
}

#[test]
fn real_photos_lose_every_identifying_tag_and_keep_their_pixels_and_orientation() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["jpg", "png", "webp"] {
        let path = tagged(format, dir.path());
        let original = std::fs::read(&path).unwrap();
        let stripped = strip::strip(&original).unwrap();
        // WebP keeps no EXIF orientation, so it reports none (see strip.rs).
        let kept = if format == "webp" { 1 } else { 6 };
        assert_eq!(stripped.orientation, kept, "{format}");
        let out = dir.path().join(format!("stripped.{format}"));
        std::fs::write(&out, &stripped.bytes).unwrap();

        let report = assert_no_identifying_tags(&out);
        if format != "webp" {
            assert!(
                report.contains("Rotate 90 CW"),
                "{format} keeps its orientation:\n{report}"
            );
        }

        let before = image::load_from_memory(&original).unwrap().to_rgb8();
        let after = image::load_from_memory(&stripped.bytes).unwrap().to_rgb8();
        assert!(before == after, "{format}: the decoded pixels changed");
    }
}

/// Found by the `import` fuzz target: a flipped bit in the HEIC seed makes the coded
/// picture 16 × 268 while the file declares 16 × 12. Refused, so a photo is never recorded
/// at one size and drawn at another.
#[test]
fn a_heic_whose_picture_is_not_the_size_it_declares_is_refused() {
    let bytes = include_bytes!("../../../fuzz/corpus/import/seed-regression-heic-size-lie.heic");
    let err = tessera_media::process(bytes, &Limits::STANDARD, false).unwrap_err();
    assert!(err.to_string().contains("but the file declares"), "{err}");
}
