//! The decoding worker: the process [`crate::Scanner`] starts, which decodes frames from its
//! stdin and answers on its stdout (see [`crate::protocol`]).
//!
//! It is the app's or CLI's own executable started with [`WORKER_FLAG`], so no separate binary
//! has to be shipped and found: such a binary's `main` calls [`serve_if_requested`] first.

use std::io::{self, BufReader, BufWriter};

use crate::decode::decode_contained;
use crate::protocol::{self, Reply, RequestError};

/// The argument that turns a Tessera executable into a decoding worker, given as its first
/// argument: `Command::new(std::env::current_exe()?).arg(WORKER_FLAG)`.
pub const WORKER_FLAG: &str = "--qr-worker";

/// The worker's address-space limit, 1 GiB: ten times what decoding a 40-megapixel frame
/// needs, so reaching it means a decoder ran away. The allocation that fails aborts the
/// worker, and the scanner counts the frame as a miss.
pub const MEMORY_LIMIT_BYTES: u64 = 1024 * 1024 * 1024;

/// For a binary's `main`, before anything else (no window, no vault, no logging set up): when
/// the first argument is [`WORKER_FLAG`], serves as a worker until its stdin closes and exits
/// the process, never returning; otherwise returns at once.
pub fn serve_if_requested() {
    if std::env::args_os().nth(1).is_some_and(|a| a == WORKER_FLAG) {
        let code = match serve() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("qr worker: {e}");
                1
            }
        };
        std::process::exit(code);
    }
}

/// The worker's main loop on stdin and stdout, after limiting the process's memory to
/// [`MEMORY_LIMIT_BYTES`]. Returns when stdin closes.
///
/// # Errors
/// Setting the limit failed, a request was refused or unreadable (the stream is then out of
/// step, so the worker stops after answering a miss), or stdout failed.
pub fn serve() -> io::Result<()> {
    limit_memory(MEMORY_LIMIT_BYTES)?;
    serve_io(
        &mut BufReader::new(io::stdin().lock()),
        &mut BufWriter::new(io::stdout().lock()),
    )
}

/// The loop of [`serve`] on any streams, without the memory limit: for tests.
///
/// # Errors
/// As [`serve`].
pub fn serve_io(input: &mut impl io::Read, output: &mut impl io::Write) -> io::Result<()> {
    loop {
        let frame = match protocol::read_request(input) {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ok(()),
            Err(RequestError::Size { width, height }) => {
                let why = format!("frame of {width}x{height} pixels refused");
                protocol::write_reply(output, &Reply::Miss(why.clone()))?;
                return Err(io::Error::new(io::ErrorKind::InvalidData, why));
            }
            Err(RequestError::Io(e)) => return Err(e),
        };
        let reply = match decode_contained(&frame) {
            Ok(texts) => Reply::Found(texts),
            Err(panic) => Reply::Miss(format!("the decoder failed: {panic}")),
        };
        protocol::write_reply(output, &reply)?;
    }
}

/// RLIMIT_AS through rustix, so no `unsafe` is needed. Only lowers the limit: a worker already
/// started under a tighter one keeps it.
#[cfg(unix)]
fn limit_memory(bytes: u64) -> io::Result<()> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let current = getrlimit(Resource::As);
    let cap = |limit: Option<u64>| Some(limit.map_or(bytes, |l| l.min(bytes)));
    let limit = Rlimit {
        current: cap(current.current),
        maximum: cap(current.maximum),
    };
    setrlimit(Resource::As, limit).map_err(io::Error::from)
}

/// Elsewhere the worker runs without a memory limit; the scanner's time limit still applies.
#[cfg(not(unix))]
fn limit_memory(_bytes: u64) -> io::Result<()> {
    Ok(())
}
