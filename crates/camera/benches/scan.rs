//! How long `decode` takes on what a webcam sends: a 1280×720 frame with a card-sized QR code
//! (a `TS1:` token, 4 pixels a module, turned and noised), and the same frame without a code,
//! which runs both decoders. Target: a mean of at most 30 ms for the frame with the code, so
//! a scan keeps up with a camera at 30 frames a second.
//!
//! Run: `cargo bench -p tessera-camera --bench scan`.
#![allow(clippy::unwrap_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use tessera_camera::decode::decode;

fn scan(c: &mut Criterion) {
    let text = support::token(1);
    let card = support::card_frame(&text);
    assert_eq!(decode(&card), vec![text]);
    c.bench_function("decode 1280x720 with a card QR", |b| {
        b.iter(|| decode(black_box(&card)))
    });

    let empty = support::camera_frame(1280, 720, &image::GrayImage::new(0, 0), 0, 0, 9);
    assert!(decode(&empty).is_empty());
    c.bench_function("decode 1280x720 without a QR", |b| {
        b.iter(|| decode(black_box(&empty)))
    });
}

criterion_group!(benches, scan);
criterion_main!(benches);
