//! `check`: is everything the vault holds still readable? SQLite's own integrity check over
//! the decrypted pages, then every photo file opened and authenticated, then the crash
//! leftovers swept. Read-only apart from the sweep.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit_chain::Change;
use crate::error::Result;
use crate::media;
use crate::policy::Action;
use crate::session::Session;

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
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

/// Checks the vault (admins). The finding is audited.
pub fn check(session: &mut Session) -> Result<CheckReport> {
    session.authorize(Action::VaultCheck)?;
    let database_problems: Vec<String> = {
        let mut stmt = session.conn.prepare("PRAGMA integrity_check")?;
        stmt.query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|line| line != "ok")
            .collect()
    };
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
    session.write(Action::VaultCheck, |w| {
        w.record(Change::new("vault", None).after(json!({
            "sound": report.is_sound(),
            "database_problems": report.database_problems.len(),
            "photo_files_checked": report.photo_files_checked,
            "photo_problems": report.photo_problems.len(),
            "orphans_removed": report.orphans_removed,
        })))
    })?;
    Ok(report)
}
