//! Replays the pictures of a folder as frames: the tests' stand-in for a camera, and the app's
//! demo mode. Files are read one at a time, when asked for, so a long recording costs the
//! memory of one frame.

use std::path::{Path, PathBuf};

use crate::error::CameraError;
use crate::frame::{Frame, MAX_INPUT_BYTES};
use crate::source::FrameSource;

/// The file extensions played, compared case-insensitively.
const EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "pgm"];

/// Plays the PNG, JPEG and PGM files of a folder in file-name order; other files are ignored.
#[derive(Debug)]
pub struct ReplaySource {
    files: std::vec::IntoIter<PathBuf>,
}

impl ReplaySource {
    /// Lists the folder's pictures (not its subfolders), sorted by file name.
    ///
    /// # Errors
    /// [`CameraError::Io`] when the folder cannot be listed.
    pub fn from_dir(path: impl AsRef<Path>) -> Result<ReplaySource, CameraError> {
        let dir = path.as_ref();
        let io_error = |source| CameraError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io_error)? {
            let path = entry.map_err(io_error)?.path();
            let wanted = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| EXTENSIONS.iter().any(|w| e.eq_ignore_ascii_case(w)));
            if wanted && path.is_file() {
                files.push(path);
            }
        }
        files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        Ok(ReplaySource {
            files: files.into_iter(),
        })
    }

    /// How many files are left to play.
    pub fn remaining(&self) -> usize {
        self.files.len()
    }
}

impl FrameSource for ReplaySource {
    /// The next file as a grey frame. An unreadable or oversized file is an error for that
    /// file only: the following call moves on to the next one.
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        let Some(path) = self.files.next() else {
            return Ok(None);
        };
        let io_error = |source| CameraError::Io {
            path: path.clone(),
            source,
        };
        // The size is checked on the metadata first so a huge file is never read into memory.
        let len = std::fs::metadata(&path).map_err(io_error)?.len();
        if len > MAX_INPUT_BYTES as u64 {
            return Err(CameraError::ImageTooLarge {
                detail: format!("{}: {len} bytes", path.display()),
            });
        }
        let bytes = std::fs::read(&path).map_err(io_error)?;
        Frame::from_encoded(&bytes).map(Some)
    }
}
