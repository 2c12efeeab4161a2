//! The copy of a vault kept before an upgrade migrates it: the first sign-in after a newer
//! Tessera is installed copies the vault as it was to `<vault>.pre-upgrade-<time stamp>`
//! beside it, then migrates. The copy is a whole vault (header, database, photos) that opens
//! with the same passwords, so a site whose upgrade went wrong puts it back in place (or
//! reinstalls the older package and opens it). It is removed with the other earlier states
//! after [`REPLACED_VAULT_DAYS`].

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::backup::Backup;
use serde::Serialize;

use super::database::{self, SCHEMA_VERSION};
use super::{REPLACED_VAULT_DAYS, VaultPaths, lock};
use crate::clock;
use crate::crypto::SecretKey;
use crate::error::{Error, Result};
use crate::fsutil;

/// What the first sign-in after an upgrade did, for the app and the CLI to say.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upgrade {
    /// The schema version the vault had.
    pub from_schema: u32,
    /// The schema version it has now.
    pub to_schema: u32,
    /// Where the copy of the vault as it was is kept.
    pub pre_upgrade_copy: String,
    /// Days the copy is kept before a sign-in removes it.
    pub kept_for_days: u32,
}

/// A killed copy's leftover folder is removed by the next upgrade after this long.
const STALE_PARTIAL: Duration = Duration::from_secs(3600);
const PARTIAL_SUFFIX: &str = ".partial";
/// Pages copied per step of SQLite's online backup.
const PAGES_PER_STEP: std::ffi::c_int = 1024;

/// Copies the vault at `paths` (whose database `conn` is open, keyed with `db_key`, at
/// schema `from_schema`) to a new `.pre-upgrade-` folder beside it. Nothing is migrated
/// until this returns: a copy that cannot be made (a full disk) keeps the vault unchanged.
pub(crate) fn keep_copy(
    paths: &VaultPaths,
    conn: &Connection,
    db_key: &SecretKey,
    from_schema: u32,
) -> Result<Upgrade> {
    let target = paths.pre_upgrade(clock::now_ms());
    let parent = target
        .parent()
        .ok_or(Error::Internal("a vault folder has a parent"))?
        .to_path_buf();
    let name = target
        .file_name()
        .ok_or(Error::Internal("a vault copy has a name"))?
        .to_string_lossy()
        .into_owned();
    fsutil::remove_stale_files(&parent, STALE_PARTIAL, |n| {
        n.starts_with('.') && n.contains(".pre-upgrade-") && n.ends_with(PARTIAL_SUFFIX)
    });
    let staging = parent.join(format!(".{name}{PARTIAL_SUFFIX}"));
    let copied = copy_into(paths, conn, db_key, &staging).and_then(|()| {
        fs::rename(&staging, &target).map_err(Error::io(format!(
            "cannot name the copy of the vault {}",
            target.display()
        )))?;
        fsutil::sync_dir(&parent)
    });
    if let Err(e) = copied {
        let _ = fs::remove_dir_all(&staging);
        return Err(Error::UpgradeCopy(Box::new(e)));
    }
    Ok(Upgrade {
        from_schema,
        to_schema: SCHEMA_VERSION,
        pre_upgrade_copy: target.display().to_string(),
        kept_for_days: REPLACED_VAULT_DAYS,
    })
}

fn copy_into(
    paths: &VaultPaths,
    conn: &Connection,
    db_key: &SecretKey,
    staging: &Path,
) -> Result<()> {
    fsutil::create_private_dir(staging)?;
    let copy = VaultPaths::new(staging);
    {
        // The header changes under this lock only (failed sign-ins, new slots).
        let _lock = lock::HeaderLock::acquire(&paths.lock_file())?;
        fs::copy(paths.header(), copy.header()).map_err(Error::io("cannot copy header.json"))?;
    }
    fsutil::restrict_to_owner(&copy.header())?;
    copy_database(conn, db_key, &copy.database())?;
    link_tree(&paths.dir.join("media"), &staging.join("media"))?;
    for file in [copy.header(), copy.database()] {
        fs::File::open(&file)
            .and_then(|f| f.sync_all())
            .map_err(Error::io(format!("cannot flush {}", file.display())))?;
    }
    fsutil::sync_dir(staging)
}

/// SQLite's online backup into a new database keyed alike: a consistent image even while
/// another session writes, with every page still encrypted on disk.
fn copy_database(conn: &Connection, db_key: &SecretKey, to: &Path) -> Result<()> {
    let mut dest = Connection::open(to)?;
    fsutil::restrict_to_owner(to)?;
    database::apply_key(&dest, db_key)?;
    Backup::new(conn, &mut dest)?.run_to_completion(PAGES_PER_STEP, Duration::ZERO, None)?;
    Ok(())
}

/// Photo files never change once written, so the copy shares them by hard link (no space
/// used); a file system without hard links gets real copies.
fn link_tree(from: &Path, to: &Path) -> Result<()> {
    let entries = match fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(Error::Io {
                context: format!("cannot read {}", from.display()),
                source: e,
            });
        }
    };
    fsutil::create_private_dir(to)?;
    for entry in entries {
        let entry = entry.map_err(Error::io(format!("cannot read {}", from.display())))?;
        let (source, dest): (PathBuf, PathBuf) = (entry.path(), to.join(entry.file_name()));
        let kind = entry
            .file_type()
            .map_err(Error::io(format!("cannot read {}", source.display())))?;
        if kind.is_dir() {
            link_tree(&source, &dest)?;
        } else if kind.is_file() && fs::hard_link(&source, &dest).is_err() {
            fs::copy(&source, &dest)
                .map_err(Error::io(format!("cannot copy {}", source.display())))?;
        }
    }
    fsutil::sync_dir(to)
}
