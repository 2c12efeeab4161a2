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
//! <vault>.previous-<t>/ beside it: the vault a restore replaced
//! <vault>.pre-upgrade-<t>/ beside it: the vault as it was before an upgrade migrated it
//! ```

pub mod blobs;
pub mod database;
pub(crate) mod database_file;
pub mod header;
pub mod keyslot;
pub(crate) mod lock;
pub mod recovery;
pub mod upgrade;

use std::path::PathBuf;

/// The files of a vault directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultPaths {
    /// The vault directory.
    pub dir: PathBuf,
}

/// Days an earlier state of a vault (one a restore replaced, or the copy kept before an
/// upgrade changed its format) is kept beside it before an unlock removes it: long enough to
/// notice a restore or an upgrade went wrong, short enough that patients erased since do
/// not linger in it.
pub const REPLACED_VAULT_DAYS: u32 = 30;

/// The kinds of earlier state kept beside a vault, by the word in their folder names.
const EARLIER_STATES: [&str; 2] = ["previous", "pre-upgrade"];

impl VaultPaths {
    /// Where a restore puts the vault it replaces: `<vault>.previous-<time stamp>` beside it.
    pub(crate) fn replaced(&self, now_ms: i64) -> PathBuf {
        self.earlier_state("previous", now_ms)
    }

    /// Where the vault is copied before an upgrade migrates it:
    /// `<vault>.pre-upgrade-<time stamp>` beside it.
    pub(crate) fn pre_upgrade(&self, now_ms: i64) -> PathBuf {
        self.earlier_state("pre-upgrade", now_ms)
    }

    fn earlier_state(&self, kind: &str, now_ms: i64) -> PathBuf {
        let name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "vault".into());
        self.dir.with_file_name(format!(
            "{name}.{kind}-{}",
            crate::clock::file_stamp(now_ms)
        ))
    }

    /// Removes the earlier states of this vault made more than [`REPLACED_VAULT_DAYS`] ago
    /// (by the date in their names). Returns how many went; one that cannot be removed stays.
    pub(crate) fn remove_old_replaced(&self, now_ms: i64) -> u32 {
        let (Some(parent), Some(name)) = (self.dir.parent(), self.dir.file_name()) else {
            return 0;
        };
        let name = name.to_string_lossy();
        let prefixes = EARLIER_STATES.map(|kind| format!("{name}.{kind}-"));
        let Ok(entries) = std::fs::read_dir(parent) else {
            return 0;
        };
        let today = crate::clock::date_of(now_ms);
        let mut removed = 0;
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let replaced_on = prefixes
                .iter()
                .find_map(|prefix| file_name.strip_prefix(prefix.as_str()))
                .and_then(crate::clock::date_of_file_stamp);
            if let (Some(day), Some(today)) = (replaced_on, today)
                && (today - day).whole_days() > i64::from(REPLACED_VAULT_DAYS)
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

    /// What `vault rekey` builds beside `name` before switching to it.
    pub(crate) fn rekeyed(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.rekey"))
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
