//! How far a long operation (a backup, a rekey) has got, for a progress bar.

use serde::Serialize;

/// Bytes done of bytes to do.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Bytes done so far.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done_bytes: u64,
    /// Bytes to do in all.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_bytes: u64,
}
