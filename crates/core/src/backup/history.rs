//! The backup history in the vault's database: every attempt with its outcome, and which
//! blobs each backup file holds (what makes the next backup to that destination
//! incremental). Pruning by keep-last-N and keep-days.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::policy::Action;
use crate::session::Session;

use super::create::{CreateOptions, Written};

/// One backup attempt.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupRecord {
    /// The backup's id (also inside the file).
    pub id: String,
    /// When it started, RFC 3339.
    pub started_at: String,
    /// When it finished (successfully or not), RFC 3339.
    pub finished_at: Option<String>,
    /// The destination directory.
    pub destination: String,
    /// The file's name in the destination, once written.
    pub file_name: Option<String>,
    /// The file's full path, once written.
    pub file: Option<String>,
    /// `full` or `incremental`.
    pub kind: String,
    /// `manual` or `scheduled`.
    pub trigger: String,
    /// `ok`, `failed`, `pruned` (removed by pruning) or `missing` (the file is gone).
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    /// Size of the file in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub byte_size: Option<u64>,
    /// Blobs the file holds.
    pub blobs_stored: u32,
    /// Blobs it refers to in earlier backups.
    pub blobs_referred: u32,
    /// Earlier backups (ids) it needs for a restore.
    pub depends_on: Vec<String>,
    /// `passphrase` or `recipient`.
    pub encryption: String,
    /// When it was last verified, RFC 3339.
    pub verified_at: Option<String>,
    /// Who made it.
    pub created_by: String,
}

/// A blob an earlier backup in a destination holds.
#[derive(Debug, Clone)]
pub(crate) struct StoredBlob {
    pub(crate) backup_id: Uuid,
    pub(crate) file_name: String,
    pub(crate) size: u64,
    pub(crate) sha256: String,
}

const SELECT: &str = "SELECT id, started_at, finished_at, destination, file_name, kind, \
     trigger_kind, status, error, byte_size, blobs_stored, blobs_referred, depends_on, \
     encryption, verified_at, created_by FROM backups";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BackupRecord> {
    let destination: String = r.get(3)?;
    let file_name: Option<String> = r.get(4)?;
    let depends: String = r.get(12)?;
    let mut record = BackupRecord {
        id: r.get(0)?,
        started_at: clock::to_rfc3339(r.get(1)?),
        finished_at: r.get::<_, Option<i64>>(2)?.map(clock::to_rfc3339),
        file: file_name
            .as_ref()
            .map(|n| Path::new(&destination).join(n).display().to_string()),
        destination,
        file_name,
        kind: r.get(5)?,
        trigger: r.get(6)?,
        status: r.get(7)?,
        error: r.get(8)?,
        byte_size: r.get::<_, Option<i64>>(9)?.map(|n| n as u64),
        blobs_stored: r.get(10)?,
        blobs_referred: r.get(11)?,
        depends_on: serde_json::from_str(&depends).unwrap_or_default(),
        encryption: r.get(13)?,
        verified_at: r.get::<_, Option<i64>>(14)?.map(clock::to_rfc3339),
        created_by: r.get(15)?,
    };
    if record.status == "ok" && !present(&record) {
        record.status = "missing".into();
    }
    Ok(record)
}

/// Whether the file is still where it was written, at the size it was written.
fn present(record: &BackupRecord) -> bool {
    match (&record.file, record.byte_size) {
        (Some(file), Some(size)) => std::fs::metadata(file).is_ok_and(|m| m.len() == size),
        _ => false,
    }
}

/// Every backup attempt, newest first.
pub fn list(session: &mut Session) -> Result<Vec<BackupRecord>> {
    session.read(Action::BackupList, |s| all(&s.conn))
}

pub(crate) fn all(conn: &Connection) -> Result<Vec<BackupRecord>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY started_at DESC, id DESC"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The blobs held by good backups in `destination` whose files are still there, each from
/// the newest backup that holds it (so chains stay short and older files can be pruned).
pub(crate) fn blobs_at(conn: &Connection, destination: &Path) -> Result<HashMap<Uuid, StoredBlob>> {
    let dest = destination.display().to_string();
    let usable: HashMap<String, String> = all(conn)?
        .into_iter()
        .filter(|r| r.destination == dest && r.status == "ok")
        .filter_map(|r| Some((r.id, r.file_name?)))
        .collect();
    // Backups made before the data key was last replaced hold photo files sealed under the
    // old key, which a restore of a newer backup could not open.
    let key_since: i64 = conn
        .query_row(
            "SELECT value FROM vault_meta WHERE key = ?1",
            [crate::vault::DATA_KEY_SINCE],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .and_then(|v| v.parse().ok())
        .unwrap_or(i64::MIN);
    let mut stmt = conn.prepare(
        "SELECT b.backup_id, b.blob_id, b.byte_size, b.sha256 FROM backup_blobs b \
         JOIN backups k ON k.id = b.backup_id WHERE k.destination = ?1 AND k.status = 'ok' \
         AND k.started_at >= ?2 ORDER BY k.started_at DESC",
    )?;
    let mut rows = stmt.query(rusqlite::params![&dest, key_since])?;
    let mut held = HashMap::new();
    while let Some(row) = rows.next()? {
        let backup_id: String = row.get(0)?;
        let Some(file_name) = usable.get(&backup_id) else {
            continue;
        };
        let (Ok(backup), Ok(blob)) = (
            Uuid::try_parse(&backup_id),
            Uuid::try_parse(&row.get::<_, String>(1)?),
        ) else {
            continue;
        };
        let sha: Vec<u8> = row.get(3)?;
        held.entry(blob).or_insert(StoredBlob {
            backup_id: backup,
            file_name: file_name.clone(),
            size: row.get::<_, i64>(2)? as u64,
            sha256: data_encoding::HEXLOWER.encode(&sha),
        });
    }
    Ok(held)
}

pub(crate) fn record_success(
    session: &mut Session,
    action: Action,
    written: &Written,
    options: &CreateOptions,
) -> Result<BackupRecord> {
    let id = written.id.to_string();
    session.write(action, |w| {
        let depends: Vec<String> = written.depends_on.iter().map(Uuid::to_string).collect();
        w.conn().execute(
            "INSERT INTO backups (id, started_at, finished_at, destination, file_name, kind, \
             trigger_kind, status, byte_size, blobs_stored, blobs_referred, depends_on, \
             encryption, created_by) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'ok', ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                id,
                written.started,
                clock::now_ms(),
                written.destination.display().to_string(),
                written.file_name,
                written.manifest.kind.as_str(),
                options.trigger.as_str(),
                written.byte_size as i64,
                written.stored.len() as i64,
                written.manifest.references.len() as i64,
                serde_json::to_string(&depends).unwrap_or_else(|_| "[]".into()),
                options.encryption.kind(),
                w.actor_name().to_owned(),
            ],
        )?;
        let mut insert = w.conn().prepare(
            "INSERT INTO backup_blobs (backup_id, blob_id, byte_size, sha256) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (blob, size, sha) in &written.stored {
            let sha = data_encoding::HEXLOWER
                .decode(sha.as_bytes())
                .map_err(|_| Error::Internal("a member hash is not hex"))?;
            insert.execute(params![id, blob.to_string(), *size as i64, sha])?;
        }
        drop(insert);
        w.record(Change::new("backup", Some(&id)).after(json!({
            "file": written.destination.join(&written.file_name),
            "kind": written.manifest.kind,
            "trigger": options.trigger.as_str(),
            "byte_size": written.byte_size,
            "blobs_stored": written.stored.len(),
            "blobs_referred": written.manifest.references.len(),
            "audit_head": written.manifest.audit_head.count,
        })))?;
        one(w.conn(), &id)
    })
}

pub(crate) fn record_failure(
    session: &mut Session,
    action: Action,
    id: Uuid,
    started: i64,
    destination: &Path,
    options: &CreateOptions,
    error: &Error,
) -> Result<()> {
    let id = id.to_string();
    let message = error.to_string();
    session.write(action, |w| {
        w.conn().execute(
            "INSERT INTO backups (id, started_at, finished_at, destination, kind, trigger_kind, \
             status, error, encryption, created_by) \
             VALUES (?1, ?2, ?3, ?4, 'full', ?5, 'failed', ?6, ?7, ?8)",
            params![
                id,
                started,
                clock::now_ms(),
                destination.display().to_string(),
                options.trigger.as_str(),
                message,
                options.encryption.kind(),
                w.actor_name().to_owned(),
            ],
        )?;
        w.record_as(
            "backup.failed",
            Change::new("backup", Some(&id)).after(json!({
                "destination": destination,
                "error": message,
            })),
        )
    })
}

fn one(conn: &Connection, id: &str) -> Result<BackupRecord> {
    Ok(conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], from_row)?)
}

/// Records in the history that a backup of this vault passed [`super::verify`] (a file of
/// another vault, or one not in the history, changes nothing).
pub fn mark_verified(session: &mut Session, report: &super::VerifyReport) -> Result<()> {
    if report.vault_id != session.vault_id.to_string() {
        return Ok(());
    }
    session.write(Action::BackupList, |w| {
        w.conn().execute(
            "UPDATE backups SET verified_at = ?2 WHERE id = ?1",
            params![report.backup_id, clock::now_ms()],
        )?;
        w.record_as(
            "backup.verify",
            Change::new("backup", Some(&report.backup_id))
                .after(json!({ "file": report.file, "ok": true })),
        )
    })
}

/// What [`prune`] removed (or, in a dry run, would remove).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PruneReport {
    /// Backups removed (or to remove), oldest first.
    pub removed: Vec<BackupRecord>,
    /// Backups kept.
    pub kept: u32,
    /// Bytes freed (or to free).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub freed_bytes: u64,
    /// Whether nothing was changed.
    pub dry_run: bool,
}

/// Removes good backups in `destination` beyond the newest `keep_last` that are also older
/// than `keep_days` (a backup either rule keeps is kept), never one that a kept backup
/// depends on. Each removal is audited.
pub fn prune(
    session: &mut Session,
    destination: &Path,
    keep_last: u32,
    keep_days: u32,
    dry_run: bool,
) -> Result<PruneReport> {
    session.authorize(Action::BackupManage)?;
    prune_as(
        session,
        Action::BackupManage,
        destination,
        keep_last,
        keep_days,
        dry_run,
    )
}

/// [`prune`] recorded under `action` (the schedule prunes as part of a scheduled backup).
pub(crate) fn prune_as(
    session: &mut Session,
    action: Action,
    destination: &Path,
    keep_last: u32,
    keep_days: u32,
    dry_run: bool,
) -> Result<PruneReport> {
    if keep_last == 0 {
        return Err(Error::invalid("keep-last", "must keep at least one backup"));
    }
    let dest = destination
        .canonicalize()
        .unwrap_or_else(|_| destination.to_path_buf())
        .display()
        .to_string();
    let now = clock::now_ms();
    let good: Vec<BackupRecord> = all(&session.conn)?
        .into_iter()
        .filter(|r| r.destination == dest && r.status == "ok")
        .collect();
    let keep_ms = i64::from(keep_days) * 86_400_000;
    let mut kept: BTreeSet<String> = good
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            *i < keep_last as usize
                || clock::parse_instant(&r.started_at).is_some_and(|t| now - t < keep_ms)
        })
        .map(|(_, r)| r.id.clone())
        .collect();
    // A kept incremental needs what it refers to; dependencies only point to older backups.
    let by_id: HashMap<&str, &BackupRecord> = good.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut stack: Vec<String> = kept.iter().cloned().collect();
    while let Some(id) = stack.pop() {
        for dep in by_id
            .get(id.as_str())
            .map(|r| r.depends_on.clone())
            .unwrap_or_default()
        {
            if kept.insert(dep.clone()) {
                stack.push(dep);
            }
        }
    }
    let removed: Vec<BackupRecord> = good
        .iter()
        .rev()
        .filter(|r| !kept.contains(&r.id))
        .cloned()
        .collect();
    let report = PruneReport {
        freed_bytes: removed.iter().filter_map(|r| r.byte_size).sum(),
        kept: kept.len() as u32,
        removed,
        dry_run,
    };
    if dry_run {
        return Ok(report);
    }
    for record in &report.removed {
        if let Some(file) = &record.file {
            match std::fs::remove_file(file) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::Io {
                        context: format!("cannot remove {file}"),
                        source: e,
                    });
                }
            }
        }
        session.write(action, |w| {
            w.conn().execute(
                "UPDATE backups SET status = 'pruned' WHERE id = ?1",
                [&record.id],
            )?;
            w.record_as(
                "backup.prune",
                Change::new("backup", Some(&record.id)).after(json!({
                    "file": record.file,
                    "keep_last": keep_last,
                    "keep_days": keep_days,
                })),
            )
        })?;
    }
    Ok(report)
}
