//! The crate's errors. Their `Display` texts are shown to nurses as they are, so they say what
//! happened and what to do instead, never an OS error number; the technical detail, where there
//! is one, is kept in a field for the logs.

use std::path::PathBuf;

/// What can go wrong getting frames from a camera or from image files.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    /// No camera at the index asked for (none plugged in, or it was unplugged).
    #[error("No camera was found. You can open an image or type the code instead.")]
    NotFound,
    /// The camera exists but another program is using it.
    #[error(
        "The camera is being used by another program. Close the other program (a video call, for example) and try again, or open an image or type the code instead."
    )]
    Busy,
    /// The system refused this program access to the camera.
    #[error(
        "Tessera is not allowed to use the camera. Ask your administrator to allow camera access, or open an image or type the code instead."
    )]
    PermissionDenied,
    /// The camera stopped delivering pictures after it had started (unplugged, driver reset).
    #[error("The camera stopped working. Check its cable and try again, or type the code instead.")]
    Disconnected {
        /// What the capture backend reported, for the logs.
        detail: String,
    },
    /// The camera opened but offers no picture format this program can read.
    #[error(
        "This camera sends pictures in a format Tessera cannot read. You can open an image or type the code instead."
    )]
    UnsupportedFormat {
        /// The formats the camera offered, for the logs.
        detail: String,
    },
    /// Any other camera failure.
    #[error("The camera could not be started. You can open an image or type the code instead.")]
    Failed {
        /// What the capture backend reported, for the logs.
        detail: String,
    },
    /// An image is larger than [`crate::frame::MAX_PIXELS`] pixels or its file than
    /// [`crate::frame::MAX_INPUT_BYTES`] bytes: refused before decoding, so a hostile file
    /// cannot exhaust memory.
    #[error(
        "This image is too large to scan (at most 40 megapixels and 64 MiB). Take a smaller picture of the code, or type it instead."
    )]
    ImageTooLarge {
        /// What was too large, for the logs.
        detail: String,
    },
    /// An image file that is not a PNG, JPEG or PGM picture, or is damaged.
    #[error("This file is not a picture Tessera can read (PNG, JPEG or PGM).")]
    ImageUnreadable {
        /// What the decoder reported, for the logs.
        detail: String,
    },
    /// A folder or file of a replay could not be read.
    #[error("The file {path} could not be read.")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}
