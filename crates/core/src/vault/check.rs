//! `check`: is everything the vault holds still readable? SQLCipher's check of every page's
//! HMAC (which names each page that fails), SQLite's own integrity check over the decrypted
//! pages, then every photo file opened and authenticated, then the crash leftovers swept.
//! Read-only apart from the sweep.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::Credentials;
use crate::audit_chain::Change;
use crate::crypto::Subkey;
use crate::error::Result;
use crate::media;
use crate::policy::Action;
use crate::session::Session;
use crate::store::database;

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Pages that fail authentication (`PRAGMA cipher_integrity_check`), then
    /// `PRAGMA integrity_check`'s findings; empty when the database is sound.
    pub database_problems: Vec<String>,
    /// Photo files opened and authenticated (originals, thumbnails, previews).
    pub photo_files_checked: u64,
    /// Photo files missing, damaged or swapped, with the photo they belong to.
    pub photo_problems: Vec<String>,
    /// Leftover files removed by the sweep.
    pub orphans_removed: u32,
}

impl CheckReport {
    /// Whether nothing is wrong.
    pub fn is_sound(&self) -> bool {
        self.database_problems.is_empty() && self.photo_problems.is_empty()
    }
}

/// The pages of vault.db that fail authentication, for a vault that cannot be opened
/// because a page the unlock needs is damaged. The key slot is opened as `unlock` opens it
/// (a wrong password counts), then the database's pages are only read: no session, nothing
/// written, nothing audited (what is damaged may be the audit log). Any account may run
/// it: it shows page numbers, no data.
pub fn damaged_pages(dir: &std::path::Path, credentials: &Credentials<'_>) -> Result<Vec<String>> {
    let paths = super::locate(dir)?;
    let unlocked = super::open_slot(&paths, credentials)?;
    let key = unlocked
        .keys
        .subkey(&unlocked.header.vault_id, Subkey::Database);
    let conn = database::open_to_check(&paths.database(), &key)?;
    Ok(findings(&conn, "PRAGMA cipher_integrity_check"))
}

/// Checks the vault (admins). The finding is audited.
pub fn check(session: &mut Session) -> Result<CheckReport> {
    session.authorize(Action::VaultCheck)?;
    let database_problems = findings(&session.conn, "PRAGMA cipher_integrity_check");
    // After a page failed authentication the connection cannot be trusted to read (SQLCipher
    // reports such a page as "out of memory"), and nothing is written to a damaged file:
    // the pages are the finding, and the check stops there, unaudited.
    if !database_problems.is_empty() {
        return Ok(CheckReport {
            database_problems,
            photo_files_checked: 0,
            photo_problems: Vec::new(),
            orphans_removed: 0,
        });
    }
    let database_problems = findings(&session.conn, "PRAGMA integrity_check");
    let blobs: Vec<(String, Vec<Option<String>>)> = {
        let mut stmt = session
            .conn
            .prepare("SELECT id, thumb_id, preview_id FROM photos ORDER BY id")?;
        stmt.query_map([], |r| {
            let id: String = r.get(0)?;
            Ok((id.clone(), vec![Some(id), Some(r.get(1)?), r.get(2)?]))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut report = CheckReport {
        database_problems,
        photo_files_checked: 0,
        photo_problems: Vec::new(),
        orphans_removed: 0,
    };
    for (photo, files) in &blobs {
        for file in files.iter().flatten() {
            report.photo_files_checked += 1;
            let opened = Uuid::try_parse(file)
                .map_err(|_| crate::Error::CorruptBlob(file.clone()))
                .and_then(|id| session.media.blobs.get(&id));
            if let Err(e) = opened {
                report.photo_problems.push(format!("photo {photo}: {e}"));
            }
        }
    }
    report.orphans_removed = media::sweep(session, media::SWEEP_MIN_AGE)?;
    let recorded = session.write(Action::VaultCheck, |w| {
        w.record(Change::new("vault", None).after(json!({
            "sound": report.is_sound(),
            "database_problems": report.database_problems.len(),
            "photo_files_checked": report.photo_files_checked,
            "photo_problems": report.photo_problems.len(),
            "orphans_removed": report.orphans_removed,
        })))
    });
    // A damaged database may refuse the entry too; the damage is then the finding to report.
    if report.database_problems.is_empty() {
        recorded?;
    }
    Ok(report)
}

/// The rows a checking pragma returns other than "ok", or its error as the one finding.
fn findings(conn: &rusqlite::Connection, pragma: &str) -> Vec<String> {
    let rows = conn.prepare(pragma).and_then(|mut stmt| {
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()
    });
    match rows {
        Ok(rows) => rows.into_iter().filter(|line| line != "ok").collect(),
        Err(e) => vec![format!("{pragma} stopped: {e}")],
    }
}
