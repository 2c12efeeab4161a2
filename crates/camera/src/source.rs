//! Where frames come from: a live camera ([`crate::camera::CameraSource`]) or recorded files
//! ([`crate::replay::ReplaySource`]), behind one trait so the scanning loop is the same for both.

use crate::error::CameraError;
use crate::frame::Frame;

/// A sequence of grey frames.
pub trait FrameSource {
    /// The next frame, waiting for it if need be. `Ok(None)` ends a finite source (the last
    /// file of a replay); a camera never ends on its own.
    ///
    /// # Errors
    /// A [`CameraError`] saying why no frame could be had; the source may still give frames
    /// afterwards (a replay skips an unreadable file) or not (an unplugged camera).
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError>;
}
