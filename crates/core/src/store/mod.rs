//! The vault's files on disk and the keys that open them, below everything that reads
//! records: `header.json` with its key slots and audit anchor, the SQLCipher database and its
//! migrations, the locks, the recovery key and the encrypted blob store.
//!
//! ```text
//! <vault>/header.json   plain: format, vault id, key slots, audit anchor
//! <vault>/vault.db      SQLCipher 4, keyed with a subkey of the data key (+ -wal, -shm)
//! <vault>/media/ab/<id> sealed photo files (originals, previews, thumbnails)
//! <vault>/.lock         cross-process lock for header updates
//! <vault>/.in-use       locked shared by every open session (a restore refuses to swap it)
//! ```

pub mod blobs;
pub mod database;
pub(crate) mod database_file;
pub mod header;
pub mod keyslot;
pub(crate) mod lock;
pub mod recovery;

use std::path::PathBuf;

/// The files of a vault directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultPaths {
    /// The vault directory.
    pub dir: PathBuf,
}

impl VaultPaths {
    /// A vault rooted at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        VaultPaths { dir: dir.into() }
    }

    /// `header.json`.
    pub fn header(&self) -> PathBuf {
        self.dir.join("header.json")
    }

    /// `vault.db`.
    pub fn database(&self) -> PathBuf {
        self.dir.join("vault.db")
    }

    /// SQLite's write-ahead log beside `vault.db`.
    pub(crate) fn wal(&self) -> PathBuf {
        self.dir.join("vault.db-wal")
    }

    pub(crate) fn lock_file(&self) -> PathBuf {
        self.dir.join(".lock")
    }

    /// Locked shared by every open session; a restore needs it exclusively.
    pub(crate) fn in_use_file(&self) -> PathBuf {
        self.dir.join(".in-use")
    }
}

/// Where a vault lives when none is named: the OS data directory (`~/.local/share/tessera`).
pub fn default_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join("tessera"))
}
