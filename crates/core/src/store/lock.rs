//! Cross-process locks: one on a vault's header, one saying the vault is in use.
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
        let file = open_lock_file(path)?;
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

/// Held (shared) by every open session for its lifetime, so a restore can tell that a vault
/// is in use and refuse to swap it out from under a running app or command.
#[derive(Debug)]
pub(crate) struct InUseLock {
    file: File,
}

impl InUseLock {
    /// Marks the vault in use by one more session.
    pub(crate) fn shared(path: &Path) -> Result<Self> {
        let file = open_lock_file(path)?;
        file.try_lock_shared().map_err(|_| Error::VaultInUse)?;
        Ok(Self { file })
    }

    /// Takes the vault for exclusive use, or fails with [`Error::VaultInUse`] if a session has it.
    pub(crate) fn exclusive(path: &Path) -> Result<Self> {
        let file = open_lock_file(path)?;
        file.try_lock().map_err(|_| Error::VaultInUse)?;
        Ok(Self { file })
    }

    /// Turns this session's shared hold into the only one, or fails with
    /// [`Error::VaultInUse`] while another session has the vault open.
    pub(crate) fn make_exclusive(&self) -> Result<()> {
        if self.file.try_lock().is_ok() {
            return Ok(());
        }
        // A refused conversion may have dropped the shared hold (flock(2) converts by
        // unlocking first): take it back at once, waiting if need be.
        self.make_shared()?;
        Err(Error::VaultInUse)
    }

    /// Turns an exclusive hold back into a shared one.
    pub(crate) fn make_shared(&self) -> Result<()> {
        self.file
            .lock_shared()
            .map_err(Error::io("cannot share the vault's in-use lock"))
    }
}

fn open_lock_file(path: &Path) -> Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(Error::io(format!(
        "cannot open lock file {}",
        path.display()
    )))
}
