//! Files written outside the vault (exports, subject access exports). Each is written as a
//! locked partial file beside its target ([`PartialFile`]) and noted in the vault's database
//! while it is written, so that the next unlock removes what a killed writer left, even in
//! a folder nobody exports into again: a subject access export written without encryption
//! is a whole health record in plain text.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::archive::{self, Encryption, PartialFile, Written};
use crate::error::{Error, Result};
use crate::session::Session;

/// The `vault_meta` entry listing the partial files being written.
const NOTED: &str = "partial_files";

/// Writes a new file at `target` (see [`PartialFile`]), noted in the vault until it is in
/// place or removed. `record` runs with the session before the file is published, as
/// [`PartialFile::finish`] says.
pub(crate) fn write_new_file(
    session: &mut Session,
    target: &Path,
    encryption: Option<&Encryption>,
    body: impl FnOnce(&mut dyn Write) -> Result<()>,
    record: impl FnOnce(&mut Session, &Written) -> Result<()>,
) -> Result<Written> {
    if let Some(encryption) = encryption {
        encryption.check()?;
    }
    let partial = PartialFile::create(target)?;
    let noted = absolute(partial.path());
    change(&session.conn, |list| list.push(noted.clone()))?;
    let written = partial.finish(encryption, body, |written| record(session, written));
    // Renamed into place or removed: either way nothing is left to sweep.
    let forgotten = change(&session.conn, |list| list.retain(|p| *p != noted));
    let written = written?;
    forgotten?;
    Ok(written)
}

/// Removes the partial files noted in the vault that no live writer holds (a killed export),
/// and forgets them. Held ones (another session writing now) stay noted. Returns how many
/// were removed.
pub(crate) fn sweep(conn: &Connection) -> Result<u32> {
    let mut removed = 0;
    change(conn, |list| {
        list.retain(|path| {
            let existed = path.exists();
            let gone = archive::remove_if_abandoned(path);
            if gone && existed && !path.exists() {
                removed += 1;
            }
            !gone
        });
    })?;
    Ok(removed)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Reads, changes and stores the list of noted partial files, in one transaction that takes
/// the write lock first (a read upgraded to a write would fail at once, not wait, while
/// another session writes).
fn change(conn: &Connection, edit: impl FnOnce(&mut Vec<PathBuf>)) -> Result<()> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    let text: Option<String> = tx
        .query_row(
            "SELECT value FROM vault_meta WHERE key = ?1",
            [NOTED],
            |r| r.get(0),
        )
        .optional()?;
    let mut list: Vec<PathBuf> = text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    edit(&mut list);
    if list.is_empty() {
        tx.execute("DELETE FROM vault_meta WHERE key = ?1", [NOTED])?;
    } else {
        let text = serde_json::to_string(&list).map_err(|_| Error::Internal("a path list"))?;
        tx.execute(
            "INSERT INTO vault_meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [NOTED, &text],
        )?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noted(conn: &Connection) -> Vec<PathBuf> {
        let mut list = Vec::new();
        change(conn, |l| list.clone_from(l)).unwrap();
        list
    }

    #[test]
    fn a_partial_file_on_a_stick_not_plugged_in_is_swept_once_it_is_back() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE vault_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
        )
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let stick = tmp.path().join("stick");
        let partial = stick.join(format!("{}0192c0ffee", archive::PARTIAL_PREFIX));
        change(&conn, |l| l.push(partial.clone())).unwrap();
        // The stick is not plugged in: the note stays for a later unlock.
        assert_eq!(sweep(&conn).unwrap(), 0);
        assert_eq!(noted(&conn), std::slice::from_ref(&partial));
        std::fs::create_dir(&stick).unwrap();
        std::fs::write(&partial, b"half a health record").unwrap();
        assert_eq!(sweep(&conn).unwrap(), 1);
        assert!(!partial.exists());
        assert!(noted(&conn).is_empty());
    }

    #[test]
    fn a_note_that_names_anything_but_a_partial_file_deletes_nothing() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE vault_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
        )
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let precious = tmp.path().join("report.pdf");
        std::fs::write(&precious, b"someone's file").unwrap();
        change(&conn, |l| l.push(precious.clone())).unwrap();
        assert_eq!(sweep(&conn).unwrap(), 0);
        assert!(precious.exists());
        assert!(noted(&conn).is_empty());
    }
}
