//! Real QR pictures for the tests: codes made by the `qrcode` crate, turned, scaled, blurred
//! and noised, pasted into camera-like frames. Deterministic (a fixed-seed generator), so a
//! failure reproduces.
#![allow(dead_code, clippy::unwrap_used)]

use image::{GrayImage, Luma};
use qrcode::{EcLevel, QrCode};
use tessera_camera::Frame;

/// The base45 alphabet, which QR's alphanumeric mode encodes compactly.
const BASE45: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// A small deterministic generator (xorshift), enough for noise and test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A token like an access grant's: `TS1:` and 200 base45 characters.
pub fn token(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let mut text = String::from("TS1:");
    for _ in 0..200 {
        text.push(BASE45[rng.below(45) as usize] as char);
    }
    text
}

/// The code of `text` at error correction Q, `module` pixels a module, with its quiet zone.
pub fn qr_image(text: &str, module: u32) -> GrayImage {
    let code = QrCode::with_error_correction_level(text, EcLevel::Q).unwrap();
    code.render::<Luma<u8>>()
        .module_dimensions(module, module)
        .quiet_zone(true)
        .build()
}

/// `src` turned by `degrees` about its centre (bilinear), on a white canvas that holds it.
pub fn rotate(src: &GrayImage, degrees: f32) -> GrayImage {
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (w, h) = (src.width() as f32, src.height() as f32);
    let out_w = (w * cos.abs() + h * sin.abs()).ceil() as u32;
    let out_h = (w * sin.abs() + h * cos.abs()).ceil() as u32;
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (ox, oy) = (out_w as f32 / 2.0, out_h as f32 / 2.0);
    GrayImage::from_fn(out_w, out_h, |x, y| {
        let (dx, dy) = (x as f32 + 0.5 - ox, y as f32 + 0.5 - oy);
        let sx = cos * dx + sin * dy + cx - 0.5;
        let sy = -sin * dx + cos * dy + cy - 0.5;
        Luma([sample(src, sx, sy)])
    })
}

fn sample(src: &GrayImage, x: f32, y: f32) -> u8 {
    if x < 0.0 || y < 0.0 || x > (src.width() - 1) as f32 || y > (src.height() - 1) as f32 {
        return 255;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = (
        (x0 + 1).min(src.width() - 1),
        (y0 + 1).min(src.height() - 1),
    );
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let p = |x, y| f32::from(src.get_pixel(x, y)[0]);
    let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
    let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
    (top * (1.0 - fy) + bottom * fy).round() as u8
}

/// A camera-like frame: a soft diagonal gradient with noise, `code` pasted at (`x`, `y`) with
/// its contrast reduced as under room light.
pub fn camera_frame(width: u32, height: u32, code: &GrayImage, x: u32, y: u32, seed: u64) -> Frame {
    let mut rng = Rng::new(seed);
    let mut img = GrayImage::from_fn(width, height, |px, py| {
        Luma([(90 + (px + py) * 80 / (width + height)) as u8])
    });
    for (cx, cy, p) in code.enumerate_pixels() {
        let (fx, fy) = (x + cx, y + cy);
        if fx < width && fy < height {
            // Black 40, white 210: a printed card under indoor light.
            let v = 40 + u32::from(p[0]) * 170 / 255;
            img.put_pixel(fx, fy, Luma([v as u8]));
        }
    }
    add_noise(&mut img, &mut rng, 12);
    frame_of(img)
}

/// Adds uniform noise of ± `amplitude`.
pub fn add_noise(img: &mut GrayImage, rng: &mut Rng, amplitude: i32) {
    for p in img.pixels_mut() {
        let n = rng.below((2 * amplitude + 1) as u64) as i32 - amplitude;
        p[0] = (i32::from(p[0]) + n).clamp(0, 255) as u8;
    }
}

pub fn frame_of(img: GrayImage) -> Frame {
    Frame {
        width: img.width(),
        height: img.height(),
        luma: img.into_raw(),
    }
}

/// The test's standard frame: the token's code, 4 pixels a module (about 270 pixels across,
/// a card at arm's length), turned 12°, scaled by 0.9, in a noisy 1280×720 frame.
pub fn card_frame(text: &str) -> Frame {
    let code = qr_image(text, 4);
    let scaled = image::imageops::resize(
        &code,
        code.width() * 9 / 10,
        code.height() * 9 / 10,
        image::imageops::FilterType::Triangle,
    );
    let turned = rotate(&scaled, 12.0);
    camera_frame(1280, 720, &turned, 420, 180, 7)
}
