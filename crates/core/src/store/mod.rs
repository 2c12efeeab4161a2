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

/// Days a vault replaced by a restore is kept beside the restored one before an unlock of
/// the restored vault removes it: long enough to notice a restore was wrong, short enough
/// that patients erased since the backup do not linger in it.
pub const REPLACED_VAULT_DAYS: i64 = 30;

impl VaultPaths {
    /// Where a restore puts the vault it replaces: `<vault>.previous-<time stamp>` beside it.
    pub(crate) fn replaced(&self, now_ms: i64) -> PathBuf {
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "vault".into());
        self.dir.with_file_name(format!(
            "{name}.previous-{}",
            crate::clock::file_stamp(now_ms)
        ))
    }

    /// Removes the vaults this one replaced more than [`REPLACED_VAULT_DAYS`] ago (by the
    /// date in their names). Returns how many went; one that cannot be removed stays.
    pub(crate) fn remove_old_replaced(&self, now_ms: i64) -> u32 {
        let (Some(parent), Some(name)) = (self.dir.parent(), self.dir.file_name()) else {
            return 0;
        };
        let prefix = format!("{}.previous-", name.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(parent) else {
            return 0;
        };
        let today = crate::clock::date_of(now_ms);
        let mut removed = 0;
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let replaced_on = file_name
                .strip_prefix(&prefix)
                .and_then(crate::clock::date_of_file_stamp);
            if let (Some(day), Some(today)) = (replaced_on, today)
                && (today - day).whole_days() > REPLACED_VAULT_DAYS
                && std::fs::remove_dir_all(entry.path()).is_ok()
            {
                removed += 1;
            }
        }
        removed
    }

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
