//! Opening `vault.db` with SQLCipher, checking it really is encrypted, and migrating it.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::crypto::{SecretKey, Subkey, VaultKeys};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::store::database_file::DatabaseFileReader;

/// Numbered migrations, embedded at build time. Each runs in one transaction that also
/// records its number in `user_version`.
pub(crate) const MIGRATIONS: &[(u32, &str)] = &[
    (
        1,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0001_init.sql"
        )),
    ),
    (
        2,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0002_records.sql"
        )),
    ),
    (
        3,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0003_photos.sql"
        )),
    ),
    (
        4,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0004_backups.sql"
        )),
    ),
    (
        5,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0005_redaction.sql"
        )),
    ),
    (
        6,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0006_access.sql"
        )),
    ),
    (
        7,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0007_exports.sql"
        )),
    ),
    (
        8,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0008_no_backup_secret.sql"
        )),
    ),
    (
        9,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0009_encounter_corrections.sql"
        )),
    ),
    (
        10,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0010_password_change.sql"
        )),
    ),
    (
        11,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0011_patient_merge.sql"
        )),
    ),
    (
        12,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0012_narrative_privacy.sql"
        )),
    ),
    (
        13,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0013_heic_photos.sql"
        )),
    ),
    (
        14,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0014_transfer.sql"
        )),
    ),
];

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

const PLAIN_SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Whether `open` may create the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpenMode {
    Create,
    Existing,
}

/// Opens (or creates) the SQLCipher database keyed with a raw 256-bit key, applies the
/// connection settings and migrations, and refuses a plaintext or foreign file.
pub(crate) fn open(path: &Path, key: &SecretKey, mode: OpenMode) -> Result<Connection> {
    let mut conn = open_unmigrated(path, key, mode)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// [`open`] without the migrations: a sign-in first keeps a copy of a vault whose schema an
/// upgrade is about to change.
pub(crate) fn open_unmigrated(path: &Path, key: &SecretKey, mode: OpenMode) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if mode == OpenMode::Create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)?;
    if mode == OpenMode::Create {
        // SQLite creates files world-readable; its -wal and -shm copy the database's mode.
        fsutil::restrict_to_owner(path)?;
    } else {
        refuse_plaintext(&conn, path)?;
    }
    apply_key(&conn, key)?;
    let cipher: Option<String> = conn
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .unwrap_or(None);
    if cipher.is_none() {
        // A build linked against plain SQLite would silently write plaintext.
        return Err(Error::PlaintextDatabase);
    }
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| match Error::from(e) {
        Error::Database(inner) => Error::CorruptDatabase(inner.to_string()),
        other => other,
    })?;
    configure(&conn)?;
    Ok(conn)
}

/// Opens the database read-only only to check its pages: keyed, with no migration, no
/// settings and nothing written, for a vault too damaged to open a session on.
pub(crate) fn open_to_check(path: &Path, key: &SecretKey) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    refuse_plaintext(&conn, path)?;
    apply_key(&conn, key)?;
    Ok(conn)
}

/// How long a connection waits for another's lock before reporting the vault busy.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The settings every vault connection runs with: WAL with a full sync at each commit (a
/// saved record survives a power cut), foreign keys, overwriting deleted content.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32768;",
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(())
}

/// Keys a connection to vault `vault_id`'s database with the subkey derived from its data
/// key (a snapshot or a copy of it has the same key).
pub(crate) fn apply_data_key(conn: &Connection, keys: &VaultKeys, vault_id: &Uuid) -> Result<()> {
    apply_key(conn, &keys.subkey(vault_id, Subkey::Database))
}

/// Keys a connection. SQLCipher's raw-key form skips its own KDF: the key is already strong.
/// SQLCipher's own logging is silenced: its messages would land on the user's terminal, and
/// every failure it reports reaches the caller as an error anyway.
pub fn apply_key(conn: &Connection, key: &SecretKey) -> Result<()> {
    let pragma = Zeroizing::new(format!(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = \"x'{}'\"; PRAGMA cipher_compatibility = 4; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;",
        key.to_hex().as_str()
    ));
    conn.execute_batch(&pragma)?;
    Ok(())
}

/// Refuses a plain SQLite file, before any key is applied. Read through the connection's
/// own file: a second handle, once closed, would drop the SQLite locks this process holds on
/// the vault through its other sessions (POSIX locks are per process).
fn refuse_plaintext(conn: &Connection, path: &Path) -> Result<()> {
    let mut magic = [0u8; 16];
    let mut reader = DatabaseFileReader::new(conn, magic.len() as u64)
        .ok_or(Error::Internal("the vault database file cannot be read"))?;
    match reader.read_exact(&mut magic) {
        Ok(()) if &magic == PLAIN_SQLITE_MAGIC => Err(Error::PlaintextDatabase),
        Ok(()) => Ok(()),
        Err(_) => Err(Error::CorruptDatabase(format!(
            "{} is empty or truncated",
            path.display()
        ))),
    }
}

/// The schema version of an existing vault that this build will migrate, if any; a vault
/// written by a newer build is refused here, before anything is copied or changed.
pub(crate) fn older_schema(conn: &Connection) -> Result<Option<u32>> {
    let current = schema_version(conn)?;
    Ok((current > 0 && current < SCHEMA_VERSION).then_some(current))
}

fn schema_version(conn: &Connection) -> Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(Error::FutureVersion {
            what: "database schema",
            found: current.into(),
            supported: SCHEMA_VERSION.into(),
        });
    }
    Ok(current)
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let current = schema_version(conn)?;
    for (number, sql) in MIGRATIONS.iter().filter(|(n, _)| *n > current) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", number)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded_in_order() {
        // Cargo's own variable at run time: a test binary built in another checkout that
        // shares the target directory would otherwise read that checkout's files.
        let manifest = std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
        let dir = format!("{manifest}/../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files.len(), MIGRATIONS.len());
        for (i, name) in files.iter().enumerate() {
            let number: u32 = name[..4].parse().unwrap();
            assert_eq!(number, MIGRATIONS[i].0, "{name}");
            assert_eq!(
                number as usize,
                i + 1,
                "migrations are numbered from 1 without gaps"
            );
        }
    }

    #[test]
    fn upgrading_deletes_a_stored_backup_passphrase_and_stops_the_schedule_that_used_it() {
        let mut conn = Connection::open_in_memory().unwrap();
        for (_, sql) in &MIGRATIONS[..7] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 7).unwrap();
        conn.execute_batch(
            "INSERT INTO vault_meta (key, value) VALUES ('backup_passphrase', 'kept in the vault'); \
             INSERT INTO vault_meta (key, value) VALUES ('backup_schedule', \
               '{\"enabled\":true,\"interval_hours\":24,\"destinations\":[\"/media/usb\"],\
                 \"keep_last\":7,\"keep_days\":30,\"warn_after_hours\":72,\
                 \"recipient\":null,\"has_passphrase\":true}');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let meta: Vec<(String, String)> = conn
            .prepare("SELECT key, value FROM vault_meta")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert!(
            meta.iter()
                .all(|(k, v)| k != "backup_passphrase" && !v.contains("kept in the vault")),
            "{meta:?}"
        );
        let (_, schedule) = meta.iter().find(|(k, _)| k == "backup_schedule").unwrap();
        let schedule: serde_json::Value = serde_json::from_str(schedule).unwrap();
        assert_eq!(schedule["enabled"], false);
        assert_eq!(schedule["destinations"][0], "/media/usb");
        assert!(schedule.get("has_passphrase").is_none());
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let key = SecretKey::from_bytes([1; 32]);
        let conn = open(&path, &key, OpenMode::Create).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(conn);
        assert!(matches!(
            open(&path, &key, OpenMode::Existing),
            Err(Error::FutureVersion {
                what: "database schema",
                ..
            })
        ));
    }

    #[test]
    fn the_wrong_key_is_a_corrupt_database_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        drop(open(&path, &SecretKey::from_bytes([1; 32]), OpenMode::Create).unwrap());
        assert!(matches!(
            open(&path, &SecretKey::from_bytes([2; 32]), OpenMode::Existing),
            Err(Error::CorruptDatabase(_))
        ));
    }

    #[test]
    fn a_plain_sqlite_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let mut bytes = PLAIN_SQLITE_MAGIC.to_vec();
        bytes.resize(4096, 0);
        std::fs::write(&path, bytes).unwrap();
        assert!(matches!(
            open(&path, &SecretKey::from_bytes([1; 32]), OpenMode::Existing),
            Err(Error::PlaintextDatabase)
        ));
    }
}
