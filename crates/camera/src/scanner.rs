//! The client side of the decoding worker: sends frames to a worker process and waits, with a
//! time limit, for its answer. Whatever a frame does to the worker (a panic it could not catch,
//! an abort at its memory limit, an endless loop, garbage on its stdout), the caller gets a
//! [`ScanOutcome::Miss`] and the next frame goes to a fresh worker.

use std::io::{self, BufReader, BufWriter};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crate::CameraError;
use crate::frame::Frame;
use crate::protocol::{self, Reply};
use crate::worker::WORKER_FLAG;

/// How long one frame may take by default: rqrr and rxing take tens of milliseconds on a
/// camera frame, so this is only reached by a worker that is stuck.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(2);

/// What scanning one frame gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// The frame was decoded: the distinct QR texts found, empty when it holds none.
    Found(Vec<String>),
    /// The frame could not be decoded; scanning may go on with the next one.
    Miss {
        /// Why, for the logs.
        reason: MissReason,
    },
}

/// Why a frame was a miss.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MissReason {
    /// The worker did not answer within the time limit; it was killed.
    #[error("the decoder took too long and was stopped")]
    TimedOut,
    /// The worker exited or was killed before answering (a crash, or its memory limit).
    #[error("the decoder stopped unexpectedly")]
    WorkerDied,
    /// The worker answered something that is not a reply; it was killed.
    #[error("the decoder answered garbage: {0}")]
    Garbage(String),
    /// The worker caught a failure of the decoder itself (a panic).
    #[error("the decoder failed: {0}")]
    DecoderFailed(String),
    /// The frame is empty, too large or inconsistent; it was not sent.
    #[error("the frame was refused: {0}")]
    FrameRefused(String),
    /// The worker could not be started.
    #[error("the decoder could not be started: {0}")]
    WorkerUnavailable(String),
}

/// Scans frames in a worker process, restarting it whenever a frame costs it its life.
///
/// The worker is started on the first frame, from the command given: for the app and CLI,
/// their own executable with [`WORKER_FLAG`] ([`Scanner::this_executable`]; see
/// [`crate::worker`]). Its stdin and stdout are replaced by pipes; its stderr is left as the
/// command sets it.
#[derive(Debug)]
pub struct Scanner {
    command: Command,
    time_limit: Duration,
    worker: Option<Worker>,
}

impl Scanner {
    /// A scanner that will start workers with `command`, allowing each frame
    /// [`DEFAULT_TIME_LIMIT`].
    pub fn new(mut command: Command) -> Scanner {
        command.stdin(Stdio::piped()).stdout(Stdio::piped());
        Scanner {
            command,
            time_limit: DEFAULT_TIME_LIMIT,
            worker: None,
        }
    }

    /// A scanner whose workers are this executable started with [`WORKER_FLAG`]: what a
    /// binary that calls [`crate::worker::serve_if_requested`] first thing in `main` uses.
    ///
    /// # Errors
    /// When the path of the running executable cannot be found.
    pub fn this_executable() -> std::io::Result<Scanner> {
        let mut command = Command::new(std::env::current_exe()?);
        command.arg(WORKER_FLAG);
        Ok(Scanner::new(command))
    }

    /// Sets the time one frame may take, from sending it to its answer.
    #[must_use]
    pub fn with_time_limit(mut self, limit: Duration) -> Scanner {
        self.time_limit = limit;
        self
    }

    /// The time one frame may take.
    pub fn time_limit(&self) -> Duration {
        self.time_limit
    }

    /// The QR codes' texts in an encoded image (PNG or JPEG: a photo or scan of a card or a
    /// printed page); an empty list when it holds none or could not be decoded.
    pub fn scan_image(&mut self, encoded: &[u8]) -> Result<Vec<String>, CameraError> {
        let frame = Frame::from_encoded(encoded)?;
        Ok(match self.scan(&frame) {
            ScanOutcome::Found(texts) => texts,
            ScanOutcome::Miss { .. } => Vec::new(),
        })
    }

    /// Scans one frame. Never fails and never panics because of the frame or the worker: a
    /// frame that could not be decoded is a [`ScanOutcome::Miss`].
    pub fn scan(&mut self, frame: &Frame) -> ScanOutcome {
        if !frame.is_consistent() {
            return miss(MissReason::FrameRefused(format!(
                "{}x{} with {} bytes",
                frame.width,
                frame.height,
                frame.luma.len()
            )));
        }
        // A worker that exited while idle (killed from outside, say) is replaced rather than
        // blamed on this frame.
        let mut idle = self.worker.take();
        if let Some(worker) = idle.as_mut()
            && !matches!(worker.child.try_wait(), Ok(None))
        {
            idle = None;
        }
        let worker = match idle {
            Some(worker) => worker,
            None => match Worker::spawn(&mut self.command) {
                Ok(worker) => worker,
                Err(e) => return miss(MissReason::WorkerUnavailable(e.to_string())),
            },
        };
        // The writer thread may be gone if the worker died since the last frame; the reply
        // channel then reports it.
        let _ = worker.requests.send(frame.clone());
        match worker.replies.recv_timeout(self.time_limit) {
            Ok(Ok(Reply::Found(texts))) => {
                self.worker = Some(worker);
                ScanOutcome::Found(texts)
            }
            // The worker caught the decoder's panic and is still sound: keep it.
            Ok(Ok(Reply::Miss(why))) => {
                self.worker = Some(worker);
                miss(MissReason::DecoderFailed(why))
            }
            Ok(Err(e)) if e.kind() == io::ErrorKind::InvalidData => {
                miss(MissReason::Garbage(e.to_string()))
            }
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => miss(MissReason::WorkerDied),
            Err(RecvTimeoutError::Timeout) => miss(MissReason::TimedOut),
        }
        // A worker not put back is dropped here, which kills it.
    }
}

fn miss(reason: MissReason) -> ScanOutcome {
    ScanOutcome::Miss { reason }
}

/// One running worker. Its pipes are served by two threads so that the scanner waits on a
/// channel with a timeout, never on a pipe: a stuck worker could otherwise block a write of a
/// frame larger than the pipe's buffer, or a read, forever.
#[derive(Debug)]
struct Worker {
    child: Child,
    requests: Sender<Frame>,
    replies: Receiver<io::Result<Reply>>,
}

impl Worker {
    fn spawn(command: &mut Command) -> io::Result<Worker> {
        let mut child = command.spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("the worker's pipes were not set up"));
        };
        let (requests, to_write) = mpsc::channel::<Frame>();
        std::thread::Builder::new()
            .name("qr-worker-stdin".into())
            .spawn(move || {
                let mut stdin = BufWriter::new(stdin);
                for frame in to_write {
                    if protocol::write_request(&mut stdin, &frame).is_err() {
                        break;
                    }
                }
            })?;
        let (send_reply, replies) = mpsc::channel();
        std::thread::Builder::new()
            .name("qr-worker-stdout".into())
            .spawn(move || {
                let mut stdout = BufReader::new(stdout);
                loop {
                    let reply = protocol::read_reply(&mut stdout);
                    let failed = reply.is_err();
                    if send_reply.send(reply).is_err() || failed {
                        break;
                    }
                }
            })?;
        Ok(Worker {
            child,
            requests,
            replies,
        })
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Killed rather than asked to stop: a worker being dropped is idle (its stdin closes as
        // `requests` drops, and it would exit) or is the one that misbehaved.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
