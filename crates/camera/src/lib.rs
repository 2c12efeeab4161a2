//! Tessera's QR scanner: reads the `TS1:` access-grant codes (and any other QR code) from a
//! webcam or from image files.
//!
//! # Pipeline
//!
//! ```text
//! source ──► grey Frame ──► Scanner ══ pipe ══► worker process ──► rqrr ──► rxing ──► texts
//! (CameraSource,            (client:             (worker::serve:    (first)  (only when
//!  ReplaySource,             time limit,          memory limit,               rqrr found
//!  Frame::from_encoded)      restarts)            catch_unwind)               nothing)
//! ```
//!
//! 1. A [`FrameSource`] gives 8-bit grey [`Frame`]s: [`CameraSource`] from a webcam (YUYV's
//!    grey bytes, or MJPEG decoded in pure Rust), [`ReplaySource`] from a folder of pictures,
//!    or [`Frame::from_encoded`] from one opened file.
//! 2. [`Scanner::scan`] sends each frame to a worker process and waits for its answer.
//! 3. The worker ([`worker::serve`]) runs [`decode::decode`]: rqrr, then rxing's QR reader if
//!    rqrr found nothing, and for frames over 1280 pixels wide, downscaled copies as well.
//! 4. The answer is every distinct QR text found ([`ScanOutcome::Found`]), or a
//!    [`ScanOutcome::Miss`] saying why the frame could not be decoded.
//!
//! # Why a worker process
//!
//! The frames are untrusted: anyone can hold a crafted picture up to the camera or hand over a
//! file. rqrr 0.11 has assertions such frames reach (a panic), and either decoder may loop or
//! allocate without bound on a hostile frame. In the app that would take the open vault down
//! with it. In a worker process, a panic is caught per frame, a runaway allocation hits the
//! worker's own memory limit and kills only the worker, a loop is cut short by the scanner's
//! time limit; in every case the scanner kills what is left, counts a miss, and starts a fresh
//! worker for the next frame. The caller never crashes because of a frame.
//!
//! The worker is the calling binary itself, started with [`WORKER_FLAG`]: a binary that uses
//! [`Scanner`] must call [`worker::serve_if_requested`] first thing in `main`, and make its
//! scanner with [`Scanner::this_executable`].
//!
//! # Limits
//!
//! - Images: at most [`frame::MAX_PIXELS`] (40 megapixels) and [`frame::MAX_INPUT_BYTES`]
//!   (64 MiB) encoded, checked from the header before decoding; decoder allocations capped.
//! - Worker requests: a header over 40 megapixels is refused from its 8 bytes, before the
//!   pixel buffer is allocated; replies over [`protocol::MAX_REPLY_BYTES`] are refused.
//! - Worker memory: [`worker::MEMORY_LIMIT_BYTES`] (1 GiB of address space, RLIMIT_AS, Unix).
//! - Time: [`scanner::DEFAULT_TIME_LIMIT`] (2 s) per frame, configurable.
//! - Camera: frames queue two deep; a slow consumer loses frames rather than lagging.

pub mod decode;
pub mod error;
pub mod frame;
pub mod protocol;
pub mod replay;
pub mod scanner;
pub mod source;
pub mod worker;

/// Webcam capture: only with the `camera` feature (on by default), on the systems nokhwa has a
/// backend for.
#[cfg(all(
    feature = "camera",
    any(
        target_os = "linux",
        target_os = "windows",
        target_os = "macos",
        target_os = "ios"
    )
))]
pub mod camera;

#[cfg(all(
    feature = "camera",
    any(
        target_os = "linux",
        target_os = "windows",
        target_os = "macos",
        target_os = "ios"
    )
))]
pub use camera::{CameraInfo, CameraSource, list_cameras};
pub use error::CameraError;
pub use frame::Frame;
pub use replay::ReplaySource;
pub use scanner::{MissReason, ScanOutcome, Scanner};
pub use source::FrameSource;
pub use worker::WORKER_FLAG;
