//! A consistent image of `vault.db` while the vault is in use (the file itself under a read
//! transaction that pins it, or a copy made with SQLite's online backup API; never the file
//! read unguarded, which a checkpoint could change mid-read), and the checks of a snapshot
//! read back from a backup.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use std::fs::File;
use std::io::Read;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use uuid::Uuid;

use crate::audit_chain::{self, ChainHead};
use crate::crypto::SecretKey;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::media;
use crate::session::Session;
use crate::store::database;
use crate::store::database_file::DatabaseFileReader;

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

/// A consistent image of `vault.db` for a backup to archive, and what the manifest says
/// about it.
#[derive(Debug)]
pub(crate) struct Snapshot<'c> {
    pub(crate) facts: Facts,
    /// Bytes in the image.
    pub(crate) size: u64,
    image: Image<'c>,
}

#[derive(Debug)]
enum Image<'c> {
    /// The live file itself, read under a read transaction that began with the WAL empty:
    /// such a reader sees the file alone, and SQLite lets no checkpoint write into the file
    /// until it ends (writers go on, into the WAL). No page is decrypted or re-encrypted.
    Live {
        conn: &'c Connection,
        _read: Transaction<'c>,
    },
    /// A copy made with the online backup API, when the WAL could not be emptied (another
    /// process was reading or writing the vault): in a private temp file beside `vault.db`,
    /// removed when dropped.
    Copy(PathBuf),
}

impl Drop for Image<'_> {
    fn drop(&mut self) {
        if let Image::Copy(path) = self {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

impl Snapshot<'_> {
    /// The image's bytes.
    pub(crate) fn reader(&self) -> Result<Box<dyn Read + '_>> {
        match &self.image {
            Image::Live { conn, .. } => DatabaseFileReader::new(conn, self.size)
                .map(|r| Box::new(r) as Box<dyn Read>)
                .ok_or(Error::Internal("the vault database file cannot be read")),
            Image::Copy(path) => {
                let file = File::open(path).map_err(Error::io("cannot read the snapshot"))?;
                Ok(Box::new(file))
            }
        }
    }
}

/// Takes a snapshot of the session's vault: the live file when its WAL can be emptied first,
/// else a copy.
pub(crate) fn take(session: &Session) -> Result<Snapshot<'_>> {
    if let Some(read) = pin_live(session)? {
        let facts = facts(&read, None)?;
        let size = database_size(&read)?;
        let conn = &session.conn;
        if DatabaseFileReader::new(conn, size).is_some() {
            return Ok(Snapshot {
                facts,
                size,
                image: Image::Live { conn, _read: read },
            });
        }
    }
    copy(session)
}

/// Empties the WAL into `vault.db` (without waiting on anyone) and begins a read transaction
/// that sees the file alone. `None` when another connection is in the way.
fn pin_live(session: &Session) -> Result<Option<Transaction<'_>>> {
    let conn = &session.conn;
    conn.busy_timeout(Duration::ZERO)?;
    let checkpoint = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    conn.busy_timeout(database::BUSY_TIMEOUT)?;
    if checkpoint? != 0 {
        return Ok(None);
    }
    let read = Transaction::new_unchecked(conn, TransactionBehavior::Deferred)?;
    read.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))?;
    // An empty WAL now, after the read began, means it was empty when it began (only a
    // truncating checkpoint empties it, and none can while a reader uses its frames).
    let wal_len = match std::fs::metadata(session.paths.wal()) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => return Err(Error::io("cannot read the vault's WAL")(e)),
    };
    Ok((wal_len == 0).then_some(read))
}

fn database_size(conn: &Connection) -> Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    // SQLCipher answers `page_size` itself, as text.
    let page_size: String = conn.query_row("PRAGMA cipher_page_size", [], |r| r.get(0))?;
    let page_size: i64 = page_size
        .parse()
        .map_err(|_| Error::Internal("SQLCipher's page size is not a number"))?;
    Ok((pages * page_size).max(0) as u64)
}

/// Copies the vault's database with SQLite's online backup API into a temp file.
fn copy(session: &Session) -> Result<Snapshot<'_>> {
    remove_stale(session.vault_dir());
    let path = session
        .vault_dir()
        .join(format!("{PREFIX}{}.db", Uuid::now_v7().simple()));
    fsutil::create_private_file(&path)?;
    let image = Image::Copy(path.clone());
    let mut copy = Connection::open(&path)?;
    database::apply_data_key(&copy, &session.keys, &session.vault_id)?;
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
    let facts = facts(&copy, None)?;
    drop(copy);
    let size = std::fs::metadata(&path)
        .map_err(Error::io("cannot read the snapshot"))?
        .len();
    Ok(Snapshot { facts, size, image })
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
    let anchor = audit_chain::anchor_for(audit_key, vault_id, head);
    let report = audit_chain::verify_chain(conn, audit_key, vault_id, Some(&anchor))?;
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
    fsutil::remove_stale_files(vault_dir, STALE_AFTER, |name| name.starts_with(PREFIX));
}
