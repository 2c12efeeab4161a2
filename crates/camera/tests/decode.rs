//! The decoder on real QR pictures (no mock): codes made by the `qrcode` crate, turned, scaled
//! and noised, found exactly; frames without a code find nothing; arbitrary frames and files
//! never get a panic past the worker's wrapper. Also the camera's "absent" error.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Cursor;

use image::{GrayImage, ImageFormat, Luma};
use proptest::prelude::*;
use support::{Rng, add_noise, camera_frame, card_frame, frame_of, qr_image, rotate, token};
use tessera_camera::Frame;
use tessera_camera::decode::{decode, decode_contained};

#[test]
fn a_turned_scaled_noisy_card_in_a_camera_frame_decodes_exactly() {
    let text = token(1);
    assert_eq!(decode(&card_frame(&text)), vec![text]);
}

#[test]
fn codes_turned_at_many_angles_decode() {
    let text = token(2);
    let code = qr_image(&text, 3);
    for degrees in [0.0, 5.0, 33.0, 45.0, 90.0, 137.0, 200.0, 315.0] {
        let turned = rotate(&code, degrees);
        let frame = camera_frame(800, 700, &turned, 60, 40, degrees as u64 + 1);
        assert_eq!(decode(&frame), vec![text.clone()], "at {degrees} degrees");
    }
}

#[test]
fn a_large_frame_decodes_through_the_downscaled_copy() {
    let text = token(3);
    let code = qr_image(&text, 10);
    let frame = camera_frame(3200, 1800, &rotate(&code, 8.0), 1000, 300, 3);
    assert_eq!(decode(&frame), vec![text]);
}

/// A light-on-dark code (a phone screen in dark mode, an inverted print) decodes too.
#[test]
fn an_inverted_code_decodes() {
    let text = token(7);
    let mut code = qr_image(&text, 4);
    image::imageops::invert(&mut code);
    let frame = camera_frame(1280, 720, &code, 300, 100, 7);
    assert_eq!(decode(&frame), vec![text]);
}

#[test]
fn two_codes_give_both_texts_once_each() {
    let (a, b) = (token(4), token(5));
    let (ca, cb) = (qr_image(&a, 3), qr_image(&b, 3));
    let mut img = GrayImage::from_pixel(1200, 600, Luma([230]));
    image::imageops::replace(&mut img, &ca, 50, 50);
    image::imageops::replace(&mut img, &cb, 650, 50);
    let mut found = decode(&frame_of(img));
    found.sort();
    let mut wanted = vec![a, b];
    wanted.sort();
    assert_eq!(found, wanted);
}

#[test]
fn png_and_jpeg_files_decode_through_frame_from_encoded() {
    let text = token(6);
    let code = image::DynamicImage::ImageLuma8(qr_image(&text, 4)).to_rgb8();
    for format in [ImageFormat::Png, ImageFormat::Jpeg] {
        let mut bytes = Vec::new();
        code.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
        let frame = Frame::from_encoded(&bytes).unwrap();
        assert_eq!(decode(&frame), vec![text.clone()], "{format:?}");
    }
}

#[test]
fn no_false_positive_on_frames_without_a_qr() {
    let mut rng = Rng::new(11);
    // Noise.
    let mut noise = GrayImage::new(1280, 720);
    add_noise(&mut noise, &mut rng, 127);
    for p in noise.pixels_mut() {
        p[0] = p[0].wrapping_add(128);
    }
    // A photo-like frame: smooth gradients, a bright window, soft shapes, sensor noise.
    let mut photo = GrayImage::from_fn(1280, 720, |x, y| {
        let base = 60 + (x * 120 / 1280) + (y * 40 / 720);
        let window = if (900..1150).contains(&x) && (100..400).contains(&y) {
            60
        } else {
            0
        };
        let dx = x as i32 - 400;
        let dy = y as i32 - 400;
        let blob = if dx * dx + dy * dy < 150 * 150 { 30 } else { 0 };
        Luma([(base + window + blob).min(255) as u8])
    });
    add_noise(&mut photo, &mut rng, 6);
    // Text-like stripes: short dark bars in lines, as on a printed page.
    let text = GrayImage::from_fn(1280, 720, |x, y| {
        let line = y / 24;
        let in_line = y % 24 < 14;
        let glyph = (x / 9 + line * 7) % 11;
        let dark = in_line && glyph < 6 && (x % 9) < 5 && (x / 90 + line) % 9 != 0;
        Luma([if dark { 30 } else { 235 }])
    });
    // Blank and a checkerboard (finder-like squares everywhere).
    let blank = GrayImage::from_pixel(640, 480, Luma([255]));
    let checker = GrayImage::from_fn(640, 480, |x, y| {
        Luma([if (x / 16 + y / 16) % 2 == 0 { 0 } else { 255 }])
    });
    for (name, img) in [
        ("noise", noise),
        ("photo", photo),
        ("text", text),
        ("blank", blank),
        ("checker", checker),
    ] {
        assert_eq!(decode(&frame_of(img)), Vec::<String>::new(), "{name}");
    }
}

#[cfg(feature = "camera")]
#[test]
fn opening_a_camera_that_does_not_exist_is_the_absent_error() {
    use tessera_camera::{CameraError, CameraSource, list_cameras};
    // No /dev/video* on the test machines; index 63 is absent on any machine.
    match CameraSource::open(63) {
        Err(CameraError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
    let message = CameraError::NotFound.to_string();
    assert!(message.contains("No camera was found"), "{message}");
    assert!(list_cameras().iter().all(|c| c.index != 63));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary (small) frames, consistent or not: the wrapper the worker uses returns,
    /// whatever the decoders do.
    #[test]
    fn arbitrary_frames_never_panic_through_the_wrapper(
        width in 0u32..96,
        height in 0u32..96,
        luma in proptest::collection::vec(any::<u8>(), 0..9216),
    ) {
        let frame = Frame { width, height, luma };
        let _ = decode_contained(&frame);
    }

    /// Arbitrary bytes, alone or behind a PNG, JPEG or PGM signature, as an opened file.
    #[test]
    fn arbitrary_files_are_an_error_or_a_frame(
        prefix in prop::sample::select(vec![&b""[..], b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"P5 4 4 255\n"]),
        body in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&body);
        if let Ok(frame) = Frame::from_encoded(&bytes) {
            prop_assert!(frame.is_consistent());
            let _ = decode_contained(&frame);
        }
    }
}
