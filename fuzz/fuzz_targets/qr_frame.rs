//! The QR decoder on untrusted frames, through the wrapper the scanner's worker runs for each
//! frame (`decode_contained`: rqrr, then rxing, with panics caught).
//!
//! rqrr 0.11 is known to panic on crafted frames; that is why decoding runs in a worker
//! process that catches panics per frame. Fuzzing `decode` bare would only rediscover those
//! panics. This target instead checks what the worker relies on: that every failure of the
//! decoders is contained by the wrapper, and turned into an answer. libfuzzer-sys's panic hook
//! aborts on any panic, even a caught one, so the hook is replaced with one that stays silent
//! for panics inside the wrapper and aborts (a finding) for any other. What is left for
//! libFuzzer to find: a panic outside the wrapper, an abort that cannot be caught (stack
//! overflow, allocation failure), memory over -rss_limit_mb (the worker's limit is 1 GiB),
//! and a decode slow enough to hit -timeout (the scanner allows 2 s).
//!
//! Input: width (2 bytes, little-endian), height (2 bytes), then grey pixels, repeated to fill
//! the frame. Sizes are reduced to at most 2048×512 so each run is quick while still reaching
//! the downscaled passes for frames over 1280 pixels wide.
#![no_main]

use std::cell::Cell;
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use tessera_camera::Frame;
use tessera_camera::decode::decode_contained;

thread_local! {
    static IN_WRAPPER: Cell<bool> = const { Cell::new(false) };
}

static HOOK: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    HOOK.call_once(|| {
        // Installed after libfuzzer-sys's own hook (which aborts), so it wraps it.
        let abort_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_WRAPPER.with(Cell::get) {
                abort_hook(info);
            }
        }));
    });
    let Some(frame) = frame_from(data) else {
        return;
    };
    IN_WRAPPER.with(|w| w.set(true));
    let result = decode_contained(&frame);
    IN_WRAPPER.with(|w| w.set(false));
    if let Ok(texts) = result {
        // The worker promises distinct texts.
        let mut sorted = texts.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), texts.len(), "duplicate texts: {texts:?}");
    }
});

fn frame_from(data: &[u8]) -> Option<Frame> {
    let [w0, w1, h0, h1, pixels @ ..] = data else {
        return None;
    };
    let width = 1 + u32::from(u16::from_le_bytes([*w0, *w1])) % 2048;
    let height = 1 + u32::from(u16::from_le_bytes([*h0, *h1])) % 512;
    let len = (width * height) as usize;
    let luma = if pixels.is_empty() {
        vec![255; len]
    } else {
        pixels.iter().copied().cycle().take(len).collect()
    };
    Some(Frame {
        width,
        height,
        luma,
    })
}
