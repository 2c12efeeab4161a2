//! An exclusive, cross-process lock on a vault's header.
//!
//! `header.json` is read-modified-written by every process that uses the vault (sign-in
//! failures, key slots, the audit anchor). The lock serialises those updates. Nobody waits
//! for the database while holding it, so it cannot deadlock with SQLite's own locks.

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{Error, Result};

/// Held while the header is being updated; released on drop.
#[derive(Debug)]
pub(crate) struct HeaderLock {
    file: File,
}

impl HeaderLock {
    pub(crate) fn acquire(path: &Path) -> Result<Self> {
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(path).map_err(Error::io(format!(
            "cannot open lock file {}",
            path.display()
        )))?;
        file.lock()
            .map_err(Error::io(format!("cannot lock {}", path.display())))?;
        Ok(Self { file })
    }
}

impl Drop for HeaderLock {
    fn drop(&mut self) {
        // Closing the descriptor releases the lock as well; unlocking first just makes it prompt.
        let _ = self.file.unlock();
    }
}
