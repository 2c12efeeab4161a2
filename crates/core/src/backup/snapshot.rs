//! A consistent copy of `vault.db`, taken with SQLite's online backup API while the vault is
//! in use (never a copy of the live file, which a writer could change mid-copy), and the
//! checks of a snapshot read back from a backup.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use uuid::Uuid;

use crate::audit::{self, ChainHead};
use crate::crypto::{self, SecretKey, Subkey};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::media;
use crate::session::Session;
use crate::vault::database;

use super::format::AuditHead;

const PREFIX: &str = ".snapshot-";
/// Older leftovers than this (from a killed backup) are removed by the next backup.
const STALE_AFTER: Duration = Duration::from_secs(3600);

/// What a backup records about its snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub(crate) audit_head: AuditHead,
    pub(crate) row_counts: BTreeMap<String, u64>,
    /// Every blob the snapshot's photo rows refer to, sorted.
    pub(crate) blob_ids: Vec<Uuid>,
    pub(crate) schema_version: u32,
}

/// A snapshot in a private temp file beside `vault.db`, removed when dropped.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) path: PathBuf,
    pub(crate) facts: Facts,
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

/// Takes a snapshot of the session's vault and checks it (SQLite integrity check, the whole
/// audit chain).
pub(crate) fn take(session: &Session) -> Result<Snapshot> {
    remove_stale(session.vault_dir());
    let path = session
        .vault_dir()
        .join(format!("{PREFIX}{}.db", Uuid::now_v7().simple()));
    let mut snapshot = Snapshot {
        path,
        facts: Facts::default(),
    };
    fsutil::create_private_file(&snapshot.path)?;
    let db_key = crypto::derive_subkey(&session.data_key, &session.vault_id, Subkey::Database);
    let mut copy = Connection::open(&snapshot.path)?;
    database::apply_key(&copy, &db_key)?;
    {
        use rusqlite::backup::{Backup, StepResult};
        let backup = Backup::new(&session.conn, &mut copy)?;
        // All pages in one step: the copy is taken under one read transaction, so it is
        // consistent; in WAL mode writers go on meanwhile.
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More | StepResult::Busy | StepResult::Locked => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => return Err(Error::Internal("unknown backup step result")),
            }
        }
    }
    // The deep checks (integrity, the whole chain) are `backup verify`'s and a restore's:
    // on a large vault they would double the time a backup takes.
    snapshot.facts = facts(&copy, None)?;
    Ok(snapshot)
}

/// What the manifest records about a snapshot. With `deep`, it is first checked: SQLite's
/// integrity check and a walk of the whole audit chain to its head.
pub(crate) fn facts(conn: &Connection, deep: Option<(&SecretKey, &Uuid)>) -> Result<Facts> {
    if deep.is_some() {
        integrity_check(conn)?;
    }
    let head = ChainHead::load(conn)?;
    if let Some((audit_key, vault_id)) = deep {
        check_chain(conn, audit_key, vault_id, &head)?;
    }
    Ok(Facts {
        audit_head: AuditHead {
            count: head.count,
            mac: data_encoding::HEXLOWER.encode(&head.mac),
        },
        row_counts: row_counts(conn)?,
        blob_ids: media::referenced_blobs(conn)?,
        schema_version: conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
    })
}

/// SQLite's full integrity check; any finding is damage.
pub(crate) fn integrity_check(conn: &Connection) -> Result<()> {
    let findings: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if findings.len() == 1 && findings[0] == "ok" {
        Ok(())
    } else {
        Err(Error::VaultDamaged(format!(
            "the database snapshot fails SQLite's integrity check: {}",
            findings.join("; ")
        )))
    }
}

/// Walks the whole chain and checks it ends exactly at `head`.
pub(crate) fn check_chain(
    conn: &Connection,
    audit_key: &SecretKey,
    vault_id: &Uuid,
    head: &ChainHead,
) -> Result<()> {
    let anchor = audit::anchor_for(audit_key, vault_id, head);
    let report = audit::verify_chain(conn, audit_key, vault_id, Some(&anchor))?;
    if report.unanchored != 0 {
        return Err(Error::AuditChainBroken {
            seq: head.count + 1,
            reason: "the chain goes on past the head the backup recorded".into(),
        });
    }
    report.into_result().map(|_| ())
}

/// Rows in every ordinary table (not SQLite's own, not the search index's internals).
pub(crate) fn row_counts(conn: &Connection) -> Result<BTreeMap<String, u64>> {
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut counts = BTreeMap::new();
    for table in tables {
        let quoted = table.replace('"', "\"\"");
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{quoted}\""), [], |r| {
            r.get(0)
        })?;
        counts.insert(table, n as u64);
    }
    Ok(counts)
}

/// Removes snapshots a killed backup left behind, once they are old enough that no running
/// backup can still be writing them.
fn remove_stale(vault_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(vault_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > STALE_AFTER));
        if name.to_string_lossy().starts_with(PREFIX) && stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
