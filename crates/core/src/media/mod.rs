//! Photos in the vault. The image work (sniffing, limits, stripping, thumbnails) is
//! `tessera-media`'s; this module seals the results into the blob store, records them in the
//! database, and decides who may see them.
//!
//! Write order, so a crash loses nothing committed and leaves nothing readable behind:
//! original and thumbnail sealed into `media/` (temp, fsync, rename) → row and audit entry
//! commit together. A blob without a row is a leftover, removed by the sweep at unlock.

mod import;
mod photos;

use std::collections::HashSet;
use std::time::Duration;

use uuid::Uuid;

use crate::error::Result;
use crate::session::Session;

pub use import::{
    BatchProgress, FileOutcome, FileResult, ImportOptions, ImportSource, Imported, import,
    import_files,
};
pub use photos::{
    Location, Photo, PhotoEdit, PhotoFile, Privacy, Variant, delete, edit, get, list, open,
    restore, thumbnail,
};
pub use tessera_media::{Format, Limits, MediaError};

pub(crate) use photos::{
    all_for_patient, blob_id, check_attachable, shared_image, shown_through_grants,
    visible_for_patient,
};

/// How old a blob without a row must be before the sweep removes it: another process may
/// be between writing a blob and committing its row.
pub const SWEEP_MIN_AGE: Duration = Duration::from_secs(3600);

/// Removes blobs that no photo refers to and that are older than `min_age`, and any temp
/// files a crash left. Runs at every unlock with [`SWEEP_MIN_AGE`]. Returns how many
/// files went.
pub fn sweep(session: &Session, min_age: Duration) -> Result<u32> {
    let referenced: HashSet<Uuid> = referenced_blobs(&session.conn)?.into_iter().collect();
    session
        .media
        .blobs
        .sweep(&|id| referenced.contains(id), min_age)
}

/// Every blob id the photo rows refer to (originals, thumbnails, previews), sorted and
/// without duplicates. A malformed id is skipped: it names no file.
pub(crate) fn referenced_blobs(conn: &rusqlite::Connection) -> Result<Vec<Uuid>> {
    let mut ids = Vec::new();
    let mut stmt = conn.prepare("SELECT id, thumb_id, preview_id FROM photos")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        for column in 0..3 {
            if let Some(id) = row.get::<_, Option<String>>(column)?
                && let Ok(id) = Uuid::try_parse(&id)
            {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}
