//! Live capture with nokhwa (V4L2 on Linux, Media Foundation on Windows, AVFoundation on
//! macOS; chosen per system in Cargo.toml). `Camera::frame` blocks until the camera delivers,
//! so capture runs on a thread of its own and hands frames over a small bounded channel: a slow
//! consumer loses frames, never falls behind.
//!
//! Formats are asked for in the order YUYV (its grey is every other byte, no decoding), GREY,
//! NV12 (grey is its first plane), then MJPEG, decoded by the pure-Rust `jpeg-decoder`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::time::Duration;

use nokhwa::Camera;
use nokhwa::NokhwaError;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
    Resolution,
};

use crate::error::CameraError;
use crate::frame::{Frame, MAX_PIXELS};
use crate::source::FrameSource;

/// Frames waiting for the consumer. Two: one being handed over and one spare; anything more
/// is only latency between the card in front of the camera and its decode.
const QUEUE: usize = 2;

/// How long opening a camera may take before it is reported as failed; some drivers hang on a
/// device another program holds.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// The resolution asked for: enough for a card-sized QR code at arm's length, and a frame
/// rqrr decodes in tens of milliseconds.
const WANTED: (u32, u32) = (1280, 720);

/// A camera the system reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraInfo {
    /// The index to give [`CameraSource::open`].
    pub index: u32,
    /// The name the driver gives, for a camera picker.
    pub name: String,
}

/// The cameras the system reports; empty when there are none or the system cannot list them
/// (that is reported when one is opened).
pub fn list_cameras() -> Vec<CameraInfo> {
    // The backends have assertions of their own; a failure to list is no camera.
    let listed = catch_unwind(|| nokhwa::query(ApiBackend::Auto)).unwrap_or_else(|_| {
        Err(NokhwaError::GeneralError(
            "the camera backend panicked".into(),
        ))
    });
    let mut cameras: Vec<CameraInfo> = listed
        .unwrap_or_default()
        .into_iter()
        .filter_map(|info| match info.index() {
            CameraIndex::Index(index) => Some(CameraInfo {
                index: *index,
                name: info.human_name(),
            }),
            CameraIndex::String(_) => None,
        })
        .collect();
    cameras.sort_by_key(|c| c.index);
    cameras
}

/// Frames from a live camera, captured on a thread of its own.
///
/// Dropping it stops the capture thread after its current frame, which releases the camera.
#[derive(Debug)]
pub struct CameraSource {
    frames: Receiver<Result<Frame, CameraError>>,
    stop: Arc<AtomicBool>,
}

impl CameraSource {
    /// Opens camera `index` (see [`list_cameras`]) and starts capturing.
    ///
    /// # Errors
    /// [`CameraError::NotFound`], [`CameraError::Busy`], [`CameraError::PermissionDenied`],
    /// [`CameraError::UnsupportedFormat`] or [`CameraError::Failed`].
    pub fn open(index: u32) -> Result<CameraSource, CameraError> {
        probe_device(index)?;
        let (send_open, opened) = mpsc::sync_channel(1);
        let (send_frame, frames) = mpsc::sync_channel(QUEUE);
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        std::thread::Builder::new()
            .name(format!("camera-{index}"))
            .spawn(move || capture(index, &send_open, &send_frame, &thread_stop))
            .map_err(|e| CameraError::Failed {
                detail: e.to_string(),
            })?;
        match opened.recv_timeout(OPEN_TIMEOUT) {
            Ok(Ok(())) => Ok(CameraSource { frames, stop }),
            Ok(Err(e)) => Err(e),
            Err(_) => {
                stop.store(true, Ordering::Relaxed);
                Err(CameraError::Failed {
                    detail: "the camera did not open in time".into(),
                })
            }
        }
    }
}

impl FrameSource for CameraSource {
    /// The next frame, waiting for the camera. Never `Ok(None)`: a camera does not end, it
    /// fails ([`CameraError::Disconnected`]).
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        match self.frames.recv() {
            Ok(frame) => frame.map(Some),
            Err(_) => Err(CameraError::Disconnected {
                detail: "the capture thread ended".into(),
            }),
        }
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        // Not joined: the thread may be blocked in `frame()` on a camera that stopped
        // delivering, and dropping must not hang the caller.
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The capture thread: opens the camera, says how that went, then streams frames until told
/// to stop, the consumer goes away, or the camera fails.
fn capture(
    index: u32,
    opened: &SyncSender<Result<(), CameraError>>,
    frames: &SyncSender<Result<Frame, CameraError>>,
    stop: &AtomicBool,
) {
    let camera = catch_unwind(|| open_camera(index)).unwrap_or_else(|_| {
        Err(CameraError::Failed {
            detail: "the camera backend panicked while opening".into(),
        })
    });
    let mut camera = match camera {
        Ok(camera) => {
            let _ = opened.send(Ok(()));
            camera
        }
        Err(e) => {
            let _ = opened.send(Err(e));
            return;
        }
    };
    while !stop.load(Ordering::Relaxed) {
        let frame = catch_unwind(AssertUnwindSafe(|| camera.frame()));
        let result = match frame {
            Ok(Ok(buffer)) => to_frame(
                buffer.buffer(),
                buffer.source_frame_format(),
                buffer.resolution(),
            ),
            Ok(Err(e)) => Err(CameraError::Disconnected {
                detail: e.to_string(),
            }),
            Err(_) => Err(CameraError::Disconnected {
                detail: "the camera backend panicked while capturing".into(),
            }),
        };
        let fatal = matches!(result, Err(CameraError::Disconnected { .. }));
        match frames.try_send(result) {
            // The consumer is slow: this frame is dropped, a newer one will follow.
            Ok(()) | Err(TrySendError::Full(_)) => {}
            Err(TrySendError::Disconnected(_)) => return,
        }
        if fatal {
            return;
        }
    }
}

/// Opens the camera in the first format it offers from the preferred list.
fn open_camera(index: u32) -> Result<Camera, CameraError> {
    let (w, h) = WANTED;
    let attempts = [
        (FrameFormat::YUYV, Some((w, h))),
        (FrameFormat::GRAY, Some((w, h))),
        (FrameFormat::NV12, Some((w, h))),
        (FrameFormat::MJPEG, Some((w, h))),
        (FrameFormat::YUYV, None),
        (FrameFormat::GRAY, None),
        (FrameFormat::NV12, None),
        (FrameFormat::MJPEG, None),
    ];
    let mut last = None;
    for (format, resolution) in attempts {
        let formats = [format];
        let request = match resolution {
            // nokhwa's `Closest` only succeeds when the exact resolution exists, hence the
            // second round at whatever resolution the camera has.
            Some((w, h)) => RequestedFormat::with_formats(
                RequestedFormatType::Closest(CameraFormat::new(Resolution::new(w, h), format, 30)),
                &formats,
            ),
            None => RequestedFormat::with_formats(RequestedFormatType::None, &formats),
        };
        let opened = Camera::new(CameraIndex::Index(index), request).and_then(|mut camera| {
            camera.open_stream()?;
            Ok(camera)
        });
        match opened {
            Ok(camera) => return Ok(camera),
            Err(e) => {
                let error = classify(&e);
                // Absent, busy or refused is so whatever the format: stop asking.
                if !matches!(error, CameraError::Failed { .. }) {
                    return Err(error);
                }
                last = Some(e);
            }
        }
    }
    Err(CameraError::UnsupportedFormat {
        detail: last.map_or_else(String::new, |e| e.to_string()),
    })
}

/// Sorts a backend error into what a nurse can act on. nokhwa's errors carry the OS error as
/// text only, so this reads the text.
fn classify(error: &NokhwaError) -> CameraError {
    let text = error.to_string();
    let lower = text.to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if has(&["os error 16", "busy", "in use"]) {
        CameraError::Busy
    } else if has(&[
        "os error 13",
        "os error 1)",
        "permission",
        "access denied",
        "not authorized",
    ]) {
        CameraError::PermissionDenied
    } else if has(&[
        "os error 2)",
        "os error 19",
        "os error 6)",
        "no such",
        "not found",
    ]) {
        CameraError::NotFound
    } else {
        CameraError::Failed { detail: text }
    }
}

/// On Linux the device node tells absent and forbidden apart precisely, before nokhwa (whose
/// errors are text) is involved.
#[cfg(target_os = "linux")]
fn probe_device(index: u32) -> Result<(), CameraError> {
    let path = format!("/dev/video{index}");
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
    {
        Ok(_) => Ok(()),
        Err(e) => Err(match (e.kind(), e.raw_os_error()) {
            (std::io::ErrorKind::NotFound, _) | (_, Some(19 | 6)) => CameraError::NotFound,
            (std::io::ErrorKind::PermissionDenied, _) => CameraError::PermissionDenied,
            (_, Some(16)) => CameraError::Busy,
            _ => CameraError::Failed {
                detail: format!("{path}: {e}"),
            },
        }),
    }
}

#[cfg(not(target_os = "linux"))]
fn probe_device(_index: u32) -> Result<(), CameraError> {
    Ok(())
}

/// A captured buffer as a grey frame.
fn to_frame(
    data: &[u8],
    format: FrameFormat,
    resolution: Resolution,
) -> Result<Frame, CameraError> {
    let (width, height) = (resolution.width(), resolution.height());
    let pixels = u64::from(width) * u64::from(height);
    if pixels == 0 || pixels > MAX_PIXELS {
        return Err(unsupported(format!("{width}x{height}")));
    }
    let pixels = pixels as usize;
    let short = || {
        unsupported(format!(
            "{format} buffer of {} bytes for {width}x{height}",
            data.len()
        ))
    };
    let luma = match format {
        // Y0 U Y1 V: the Ys are the even bytes.
        FrameFormat::YUYV => data
            .get(..pixels * 2)
            .ok_or_else(short)?
            .iter()
            .step_by(2)
            .copied()
            .collect(),
        // NV12's first plane is the grey one; GREY is nothing else.
        FrameFormat::NV12 | FrameFormat::GRAY => data.get(..pixels).ok_or_else(short)?.to_vec(),
        FrameFormat::RAWRGB => rgb_to_luma(data.get(..pixels * 3).ok_or_else(short)?, false),
        FrameFormat::RAWBGR => rgb_to_luma(data.get(..pixels * 3).ok_or_else(short)?, true),
        FrameFormat::MJPEG => return decode_mjpeg(data),
    };
    Ok(Frame {
        width,
        height,
        luma,
    })
}

fn decode_mjpeg(data: &[u8]) -> Result<Frame, CameraError> {
    let mut decoder = jpeg_decoder::Decoder::new(data);
    decoder.set_max_decoding_buffer_size(MAX_PIXELS as usize * 4);
    let pixels = decoder
        .decode()
        .map_err(|e| unsupported(format!("MJPEG: {e}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| unsupported("MJPEG without a header".into()))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let luma = match info.pixel_format {
        jpeg_decoder::PixelFormat::L8 => pixels,
        jpeg_decoder::PixelFormat::RGB24 => rgb_to_luma(&pixels, false),
        other => return Err(unsupported(format!("MJPEG in {other:?}"))),
    };
    let frame = Frame {
        width,
        height,
        luma,
    };
    if frame.is_consistent() {
        Ok(frame)
    } else {
        Err(unsupported("MJPEG of an unexpected size".into()))
    }
}

/// BT.601 luma in integers.
fn rgb_to_luma(rgb: &[u8], bgr: bool) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            let (r, g, b) = if bgr {
                (p[2], p[1], p[0])
            } else {
                (p[0], p[1], p[2])
            };
            ((77 * u32::from(r) + 150 * u32::from(g) + 29 * u32::from(b)) >> 8) as u8
        })
        .collect()
}

fn unsupported(detail: String) -> CameraError {
    CameraError::UnsupportedFormat { detail }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn yuyv_grey_is_the_even_bytes() {
        let data = [10, 128, 20, 128, 30, 128, 40, 128];
        let frame = to_frame(&data, FrameFormat::YUYV, Resolution::new(2, 2)).unwrap();
        assert_eq!(frame.luma, vec![10, 20, 30, 40]);
    }

    #[test]
    fn a_short_buffer_is_an_error_not_a_panic() {
        let err = to_frame(&[0; 3], FrameFormat::YUYV, Resolution::new(2, 2)).unwrap_err();
        assert!(matches!(err, CameraError::UnsupportedFormat { .. }));
        let err = to_frame(&[0; 3], FrameFormat::MJPEG, Resolution::new(2, 2)).unwrap_err();
        assert!(matches!(err, CameraError::UnsupportedFormat { .. }));
    }

    #[test]
    fn backend_errors_are_sorted_for_a_nurse() {
        let busy = NokhwaError::OpenStreamError("Device or resource busy (os error 16)".into());
        assert!(matches!(classify(&busy), CameraError::Busy));
        let denied =
            NokhwaError::OpenDeviceError("0".into(), "Permission denied (os error 13)".into());
        assert!(matches!(classify(&denied), CameraError::PermissionDenied));
        let absent = NokhwaError::OpenDeviceError(
            "3".into(),
            "V4L2 Error: No such file or directory (os error 2)".into(),
        );
        assert!(matches!(classify(&absent), CameraError::NotFound));
        assert!(!CameraError::NotFound.to_string().contains("os error"));
    }
}
