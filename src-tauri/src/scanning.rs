//! Scanning QR cards at the desk: one scan at a time, on its own thread, from a webcam or
//! (when `TESSERA_REPLAY_FRAMES` names a folder) from recorded frames. Each frame goes to
//! the QR worker process (tessera-camera), so a hostile frame is a miss, never a crash; a
//! few times a second a small grey preview goes to the UI. The first code found ends the
//! scan: the UI then asks core to open it, like a typed one.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Serialize;
use tauri::ipc::Channel;
use tessera_camera::{CameraError, Frame, FrameSource, ReplaySource, ScanOutcome, Scanner};
use ts_rs::TS;

use crate::state::{self, Unlocked};

/// The folder of recorded frames offered as a camera, for demonstrations and tests.
pub const REPLAY_ENV: &str = "TESSERA_REPLAY_FRAMES";
/// The id of the recorded-frames source.
pub const REPLAY_ID: &str = "replay";

/// Widest preview sent to the UI: enough to aim a card, small enough for several a second.
const PREVIEW_WIDTH: u32 = 320;
/// Time between previews.
const PREVIEW_EVERY: Duration = Duration::from_millis(250);
/// Time between recorded frames, about a webcam's pace.
const REPLAY_PACE: Duration = Duration::from_millis(100);

/// A camera the desk may pick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CameraChoice {
    /// `camera:<index>`, or `replay` for recorded frames.
    pub id: String,
    /// What the system calls it.
    pub name: String,
}

/// What a scan tells the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScanEvent {
    /// A small grey image of what the camera sees: `luma` is base64 of `width * height`
    /// bytes, one per pixel.
    Preview {
        /// Pixels across.
        width: u32,
        /// Pixels down.
        height: u32,
        /// Grey levels, base64.
        luma: String,
    },
    /// A QR code's text: the scan has ended.
    Found {
        /// The text, for core to check.
        text: String,
    },
    /// The scan ended without a code: stopped, the recording ran out, or the camera failed
    /// (`message` says so in words).
    Stopped {
        /// Why, when it was not asked for.
        message: Option<String>,
    },
}

/// The scan under way, if any.
#[derive(Debug, Default)]
pub struct Scanning {
    stop: Mutex<Option<Arc<AtomicBool>>>,
}

/// Cameras on this machine, and the recorded frames when the environment names them.
pub fn choices() -> Vec<CameraChoice> {
    let mut out: Vec<CameraChoice> = tessera_camera::list_cameras()
        .into_iter()
        .map(|c| CameraChoice {
            id: format!("camera:{}", c.index),
            name: c.name,
        })
        .collect();
    if std::env::var_os(REPLAY_ENV).is_some() {
        out.push(CameraChoice {
            id: REPLAY_ID.into(),
            name: "Recorded frames".into(),
        });
    }
    out
}

fn open(source: &str) -> Result<Box<dyn FrameSource + Send>, CameraError> {
    if source == REPLAY_ID {
        let dir = std::env::var_os(REPLAY_ENV)
            .map(PathBuf::from)
            .ok_or(CameraError::NotFound)?;
        return Ok(Box::new(Paced(ReplaySource::from_dir(dir)?)));
    }
    let index = source
        .strip_prefix("camera:")
        .and_then(|i| i.parse().ok())
        .ok_or(CameraError::NotFound)?;
    Ok(Box::new(tessera_camera::CameraSource::open(index)?))
}

/// Recorded frames at a camera's pace, so the preview shows them.
struct Paced(ReplaySource);

impl FrameSource for Paced {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        std::thread::sleep(REPLAY_PACE);
        self.0.next_frame()
    }
}

impl Scanning {
    /// Starts scanning from `source`, ending any scan under way. Runs while the vault is
    /// unlocked: a lock ends it.
    pub fn start(
        &self,
        source: String,
        unlocked: Arc<Mutex<Option<Unlocked>>>,
        events: Channel<ScanEvent>,
    ) {
        let stop = Arc::new(AtomicBool::new(false));
        if let Some(previous) = state::lock(&self.stop).replace(Arc::clone(&stop)) {
            previous.store(true, Ordering::SeqCst);
        }
        std::thread::spawn(move || {
            let message = run(&source, &stop, &unlocked, &events);
            let _ = events.send(ScanEvent::Stopped { message });
        });
    }

    /// Ends the scan under way.
    pub fn stop(&self) {
        if let Some(stop) = state::lock(&self.stop).take() {
            stop.store(true, Ordering::SeqCst);
        }
    }
}

/// Scans until a code is found (sent as `Found`, then `None`), the scan is stopped or the
/// vault locked (`None`), or the source fails or ends (a message in words).
fn run(
    source: &str,
    stop: &AtomicBool,
    unlocked: &Mutex<Option<Unlocked>>,
    events: &Channel<ScanEvent>,
) -> Option<String> {
    let mut frames = match open(source) {
        Ok(frames) => frames,
        Err(e) => return Some(e.to_string()),
    };
    let mut scanner = match Scanner::this_executable() {
        Ok(scanner) => scanner,
        Err(_) => return Some("The QR decoder could not start.".into()),
    };
    let mut last_preview: Option<Instant> = None;
    while !stop.load(Ordering::SeqCst) && state::lock(unlocked).is_some() {
        let frame = match frames.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => return Some("The recording ended without a QR code.".into()),
            // A recorded frame that cannot be read is skipped, like a dropped camera frame.
            Err(CameraError::ImageUnreadable { .. } | CameraError::ImageTooLarge { .. }) => {
                continue;
            }
            Err(e) => return Some(e.to_string()),
        };
        if last_preview.is_none_or(|t| t.elapsed() >= PREVIEW_EVERY) {
            last_preview = Some(Instant::now());
            if events.send(preview(&frame)).is_err() {
                return None;
            }
        }
        if let ScanOutcome::Found(texts) = scanner.scan(&frame)
            && let Some(text) = texts.into_iter().next()
        {
            let _ = events.send(ScanEvent::Found { text });
            return None;
        }
    }
    None
}

/// The frame shrunk to [`PREVIEW_WIDTH`] by nearest neighbour: enough to aim a card.
fn preview(frame: &Frame) -> ScanEvent {
    let scale = (frame.width / PREVIEW_WIDTH).max(1);
    let (width, height) = (frame.width / scale, frame.height / scale);
    let mut luma = Vec::with_capacity((width * height) as usize);
    for y in 0..height {
        let row = (y * scale * frame.width) as usize;
        for x in 0..width {
            luma.push(
                frame
                    .luma
                    .get(row + (x * scale) as usize)
                    .copied()
                    .unwrap_or(0),
            );
        }
    }
    ScanEvent::Preview {
        width,
        height,
        luma: base64::engine::general_purpose::STANDARD.encode(luma),
    }
}
