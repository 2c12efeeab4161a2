//! Restoring a backup: always into a new directory beside the target, fully checked, opened
//! once (which upgrades an older schema, re-applies the erasures the vault it replaces
//! recorded after the backup, and records the restore in the restored vault's own audit
//! log), then swapped in atomically. The vault it replaces is kept beside it, renamed, and
//! removed after [`crate::store::REPLACED_VAULT_DAYS`]. A dry run does every check and
//! reports what would change, writing nothing but a temp copy of the snapshot.
//!
//! Erasures are re-applied because a right to be forgotten that a restore could undo would
//! be no right at all: a patient erased after the backup was made stays erased. When the
//! vault being replaced cannot be read (it is damaged), its erasures are unknown and the
//! restore is refused unless an admin gives a reason to go on, which is audited.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit_chain::{self, ChainHead, Change};
use crate::clock;
use crate::crypto::{Subkey, VaultKeys};
use crate::erasure;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::policy::Action;
use crate::store::{VaultPaths, database, header::Header, lock::InUseLock};
use crate::vault::{self, Credentials};

use super::format::{self, Marker};
use super::read::{self, BlobSink, Inspected, Opener, TempDir, VerifyReport};
use super::snapshot;
use crate::archive::Decryption;

/// What [`restore`] needs.
#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// The backup file (an incremental one finds its earlier backups beside it).
    pub file: PathBuf,
    /// The vault directory to restore into: new, empty, or holding the same vault (which is
    /// then replaced and kept beside it).
    pub target: PathBuf,
    /// Check and report only.
    pub dry_run: bool,
    /// Restore even though the vault being replaced cannot be read, so the erasures it
    /// recorded after the backup cannot be re-applied: why (audited). Without it, such a
    /// restore is refused.
    pub override_reason: Option<String>,
}

/// One table's rows in the backup and in the vault it would replace.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDifference {
    /// The table.
    pub table: String,
    /// Rows in the backup.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub in_backup: u64,
    /// Rows in the current vault.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub current: u64,
}

/// What a restore did, or in a dry run would do.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "BackupRestoreReport"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// The backup, fully verified.
    pub backup: VerifyReport,
    /// Where it goes.
    pub target: String,
    /// Nothing was changed.
    pub dry_run: bool,
    /// Whether a vault is there now (and would be, or was, kept beside it).
    pub replaces_vault: bool,
    /// Tables whose row counts differ between the backup and the current vault.
    pub differences: Vec<TableDifference>,
    /// Audit entries in the current vault, if it could be read: more than the backup's
    /// means work done since the backup, which the restore sets aside with the old vault.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub current_audit_entries: Option<u64>,
    /// Where the replaced vault was kept (after a real restore).
    pub previous_vault: Option<String>,
    /// Patients erased in the current vault after the backup was made, whom the restore
    /// erases again (in a dry run: would erase).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub erasures_reapplied: u64,
    /// The current vault could not be read, so erasures made since the backup are unknown
    /// (a real restore then needs an override reason).
    pub erasures_unknown: bool,
}

/// What is at the target now.
enum Target {
    /// Nothing, or an empty directory.
    Empty,
    /// A vault with this id.
    Vault(Uuid),
}

fn examine(target: &Path) -> Result<Target> {
    if !target.exists() {
        return Ok(Target::Empty);
    }
    let paths = VaultPaths::new(target);
    if paths.header().exists() {
        return Ok(Target::Vault(Header::read(&paths.header())?.vault_id));
    }
    let empty = fs::read_dir(target)
        .map_err(Error::io(format!("cannot read {}", target.display())))?
        .next()
        .is_none();
    if empty {
        Ok(Target::Empty)
    } else {
        Err(Error::invalid(
            "target",
            format!(
                "{} holds files but no vault; choose an empty or new directory",
                target.display()
            ),
        ))
    }
}

/// Restores (or with `dry_run`, checks and describes restoring) a backup. Only an admin of
/// the backed-up vault, or its recovery key, may. On any failure the target is untouched,
/// but for a wrong password over a vault of the same id: that counts against the account
/// there, as a sign-in would.
pub fn restore(
    options: &RestoreOptions,
    key: &Decryption,
    credentials: &Credentials<'_>,
) -> Result<RestoreReport> {
    let target = &options.target;
    let current = examine(target)?;
    let foreign = |marker: &Marker| match &current {
        Target::Vault(id) if *id != marker.vault_id => Err(Error::BackupForeign {
            backup_vault: marker.vault_id.to_string(),
            target: target.display().to_string(),
            target_vault: id.to_string(),
        }),
        _ => Ok(()),
    };
    let replaces_vault = matches!(current, Target::Vault(_));

    if options.dry_run {
        let work = TempDir::new()?;
        let db_path = work.0.join(format::DATABASE);
        let opener = Opener {
            credentials,
            live: Some(target),
        };
        let inspected = read::inspect(
            &options.file,
            key,
            &opener,
            &db_path,
            BlobSink::Check,
            &foreign,
        )?;
        read::authorize(&inspected.actor, Action::BackupRestore)?;
        let live_keys = live_keys(&current, target, &inspected, credentials);
        let erasures = recorded_erasures(&current, target, live_keys.as_ref(), &inspected);
        let pending = match &erasures {
            Some(recorded) => {
                let conn =
                    open_read_only(&db_path, false, &inspected.keys, &inspected.header.vault_id)?;
                erasure::unapplied(&conn, recorded)?.len() as u64
            }
            None => 0,
        };
        let mut report = report(inspected, live_keys, target, true, replaces_vault, None);
        report.erasures_reapplied = pending;
        report.erasures_unknown = erasures.is_none();
        return Ok(report);
    }

    // Held to the end: no session may open the vault while it is being replaced.
    let _in_use = match current {
        Target::Vault(_) => Some(InUseLock::exclusive(
            &VaultPaths::new(target).in_use_file(),
        )?),
        Target::Empty => None,
    };
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(Error::io(format!("cannot create {}", parent.display())))?;
    let staging = parent.join(format!(".tessera-restoring-{}", Uuid::now_v7().simple()));
    fsutil::create_private_dir(&staging)?;
    let staged = stage(options, key, credentials, &current, &staging, &foreign);
    let result = staged.and_then(|(inspected, live_keys, reapplied, unknown)| {
        let previous = swap(&staging, target, replaces_vault)?;
        let mut report = report(
            inspected,
            live_keys,
            target,
            false,
            replaces_vault,
            previous,
        );
        report.erasures_reapplied = reapplied;
        report.erasures_unknown = unknown;
        Ok(report)
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Writes the backup into `staging` as a complete vault, opens it once and re-applies the
/// erasures the vault it replaces recorded since. Returns how many it re-applied, and
/// whether they were unknown (the vault it replaces could not be read).
fn stage(
    options: &RestoreOptions,
    key: &Decryption,
    credentials: &Credentials<'_>,
    current: &Target,
    staging: &Path,
    foreign: &dyn Fn(&Marker) -> Result<()>,
) -> Result<(Inspected, Option<VaultKeys>, u64, bool)> {
    let paths = VaultPaths::new(staging);
    let opener = Opener {
        credentials,
        live: Some(&options.target),
    };
    let mut inspected = read::inspect(
        &options.file,
        key,
        &opener,
        &paths.database(),
        BlobSink::Write(staging),
        foreign,
    )?;
    read::authorize(&inspected.actor, Action::BackupRestore)?;
    let live_keys = live_keys(current, &options.target, &inspected, credentials);
    let erasures = recorded_erasures(current, &options.target, live_keys.as_ref(), &inspected);
    let override_reason = options
        .override_reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if erasures.is_none() && override_reason.is_none() {
        return Err(Error::invalid(
            "override_reason",
            format!(
                "the vault at {} cannot be read, so patients erased since this backup was made \
                 cannot be erased again after the restore; to restore anyway, give a reason \
                 (it is recorded), then erase those patients again by hand",
                options.target.display()
            ),
        ));
    }
    // The header was copied after the snapshot, so its anchor may be ahead of the chain in
    // the snapshot: anchor it at the head the backup recorded (and the check just verified).
    let head = ChainHead {
        count: inspected.manifest.audit_head.count,
        mac: data_encoding::HEXLOWER
            .decode(inspected.manifest.audit_head.mac.as_bytes())
            .ok()
            .and_then(|m| m.try_into().ok())
            .ok_or(Error::Internal("a verified audit head is not a MAC"))?,
    };
    let vault_id = inspected.header.vault_id;
    let audit_key = inspected.keys.subkey(&vault_id, Subkey::Audit);
    inspected.header.audit_anchor =
        (head.count > 0).then(|| audit_chain::anchor_for(&audit_key, &vault_id, &head));
    inspected.header.write(&paths.header())?;
    sync_tree(staging)?;

    let keys = inspected.keys.duplicate();
    let mut session = vault::unlock_with_key(staging, keys, &inspected.slot_id, credentials)?;
    let pending = match &erasures {
        Some(recorded) => erasure::unapplied(&session.conn, recorded)?,
        None => Vec::new(),
    };
    let reapplied = erasure::reapply(&mut session, Action::BackupRestore, &pending)?;
    let backup = &inspected.manifest;
    session.write(Action::BackupRestore, |w| {
        let change = Change::new("backup", Some(&backup.backup_id.to_string())).after(json!({
            "file": options.file,
            "created_at": backup.created_at,
            "created_by": backup.created_by,
            "audit_head": backup.audit_head.count,
            "restored_at": clock::to_rfc3339(clock::now_ms()),
            "erasures_reapplied": reapplied,
            "erasures_unknown": erasures.is_none(),
        }));
        w.record(change.reason(override_reason.filter(|_| erasures.is_none())))
    })?;
    session.lock();
    Ok((inspected, live_keys, reapplied, erasures.is_none()))
}

/// The keys of the vault a restore replaces: the backup's, when the vault still has that
/// data key; else, after a rekey, what `credentials` unwrap from the vault's own header (one
/// more sign-in attempt there). `None` when neither opens it.
fn live_keys(
    current: &Target,
    target: &Path,
    inspected: &Inspected,
    credentials: &Credentials<'_>,
) -> Option<VaultKeys> {
    if matches!(current, Target::Empty) {
        return None;
    }
    let live = VaultPaths::new(target);
    let opens = |keys: &VaultKeys| {
        open_read_only(
            &live.database(),
            live.wal().exists(),
            keys,
            &inspected.header.vault_id,
        )
        .and_then(|conn| {
            Ok(conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?)
        })
        .is_ok()
    };
    if opens(&inspected.keys) {
        return Some(inspected.keys.duplicate());
    }
    vault::unwrap_keys(target, credentials).ok().filter(opens)
}

/// The erasures the vault being replaced recorded (none when there is no vault there), or
/// `None` when it cannot be read.
fn recorded_erasures(
    current: &Target,
    target: &Path,
    live_keys: Option<&VaultKeys>,
    inspected: &Inspected,
) -> Option<Vec<erasure::Tombstone>> {
    if matches!(current, Target::Empty) {
        return Some(Vec::new());
    }
    let live = VaultPaths::new(target);
    let conn = open_read_only(
        &live.database(),
        live.wal().exists(),
        live_keys?,
        &inspected.header.vault_id,
    )
    .ok()?;
    erasure::tombstones(&conn).ok()
}

/// Puts the staged vault at `target`. Replacing a vault is one atomic exchange of the two
/// directories (Linux `renameat2`), after which the old one is renamed aside; elsewhere,
/// two renames with the first undone if the second fails.
fn swap(staging: &Path, target: &Path, replaces_vault: bool) -> Result<Option<String>> {
    let parent = staging
        .parent()
        .ok_or(Error::Internal("staging has no parent"))?;
    let moved = |e: std::io::Error| Error::Io {
        context: format!("cannot move the restored vault to {}", target.display()),
        source: e,
    };
    if !replaces_vault {
        if target.exists() {
            fs::remove_dir(target).map_err(moved)?;
        }
        fs::rename(staging, target).map_err(moved)?;
        fsutil::sync_dir(parent)?;
        return Ok(None);
    }
    let previous = VaultPaths::new(target).replaced(clock::now_ms());
    if exchange(staging, target).is_ok() {
        fs::rename(staging, &previous).map_err(Error::io(format!(
            "the backup was restored, but the old vault stayed at {}",
            staging.display()
        )))?;
    } else {
        fs::rename(target, &previous).map_err(moved)?;
        if let Err(e) = fs::rename(staging, target) {
            let _ = fs::rename(&previous, target);
            return Err(moved(e));
        }
    }
    fsutil::sync_dir(parent)?;
    Ok(Some(previous.display().to_string()))
}

/// Makes everything written under `dir` durable before it is swapped in: on Linux one
/// `syncfs` of its filesystem (instead of a sync per photo file), elsewhere file by file.
fn sync_tree(dir: &Path) -> Result<()> {
    let failed = Error::io(format!("cannot flush {}", dir.display()));
    #[cfg(target_os = "linux")]
    {
        let handle =
            fs::File::open(dir).map_err(Error::io(format!("cannot open {}", dir.display())))?;
        rustix::fs::syncfs(&handle).map_err(|e| failed(e.into()))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in
                fs::read_dir(&d).map_err(Error::io(format!("cannot read {}", d.display())))?
            {
                let path = entry
                    .map_err(Error::io(format!("cannot read {}", d.display())))?
                    .path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    fs::File::open(&path)
                        .and_then(|f| f.sync_all())
                        .map_err(Error::io(format!("cannot flush {}", path.display())))?;
                }
            }
            fsutil::sync_dir(&d)?;
        }
        let _ = failed;
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(Into::into)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::ErrorKind::Unsupported.into())
}

fn report(
    inspected: Inspected,
    live_keys: Option<VaultKeys>,
    target: &Path,
    dry_run: bool,
    replaces_vault: bool,
    previous_vault: Option<String>,
) -> RestoreReport {
    let live = VaultPaths::new(previous_vault.as_deref().map_or(target, Path::new));
    let vault_id = inspected.header.vault_id;
    let current = live_keys
        .filter(|_| replaces_vault)
        .and_then(|keys| current_counts(&live, &keys, &vault_id).ok());
    let backup_counts = &inspected.report.row_counts;
    let differences = current
        .as_ref()
        .map(|(counts, _)| differences(backup_counts, counts))
        .unwrap_or_default();
    RestoreReport {
        backup: inspected.report,
        target: target.display().to_string(),
        dry_run,
        replaces_vault,
        differences,
        current_audit_entries: current.map(|(_, audit)| audit),
        previous_vault,
        erasures_reapplied: 0,
        erasures_unknown: false,
    }
}

fn differences(
    backup: &BTreeMap<String, u64>,
    current: &BTreeMap<String, u64>,
) -> Vec<TableDifference> {
    let mut tables: Vec<&String> = backup.keys().chain(current.keys()).collect();
    tables.sort();
    tables.dedup();
    tables
        .into_iter()
        .map(|t| TableDifference {
            table: t.clone(),
            in_backup: backup.get(t).copied().unwrap_or(0),
            current: current.get(t).copied().unwrap_or(0),
        })
        .filter(|d| d.in_backup != d.current)
        .collect()
}

/// Row counts and audit entries of a vault's database, read-only (the same vault has the
/// same key, so the backup's unwrapped key opens it).
fn current_counts(
    vault: &VaultPaths,
    keys: &VaultKeys,
    vault_id: &Uuid,
) -> Result<(BTreeMap<String, u64>, u64)> {
    let conn = open_read_only(&vault.database(), vault.wal().exists(), keys, vault_id)?;
    let counts = snapshot::row_counts(&conn)?;
    let audit = ChainHead::load(&conn)?.count;
    Ok((counts, audit))
}

/// A vault database opened read-only with its key. Without a -wal file (no session open,
/// the usual case) it is opened immutable, so SQLite creates no -wal or -shm beside it: a
/// dry run leaves the vault byte for byte.
fn open_read_only(
    db: &Path,
    has_wal: bool,
    keys: &VaultKeys,
    vault_id: &Uuid,
) -> Result<Connection> {
    let uri = format!(
        "file:{}{}",
        db.display()
            .to_string()
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23"),
        if has_wal { "" } else { "?immutable=1" }
    );
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )?;
    database::apply_data_key(&conn, keys, vault_id)?;
    Ok(conn)
}
