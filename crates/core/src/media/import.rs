//! Importing photos: one from bytes (the app hands over what the user picked or dropped),
//! or many files from disk (the CLI), processed on every core while one thread commits.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use rayon::prelude::*;
use rusqlite::params;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::photos::{Photo, Privacy, load_visible, visible_to};
use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::patients::{self, profile};
use crate::policy::Action;
use crate::session::{Actor, Session, WriteTx};
use crate::settings;
use crate::store::blobs::MediaStore;
use tessera_media::{Capture, Format, Limits, MediaError, Processed};

/// How photos in an import are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Who may see them.
    pub privacy: Privacy,
    /// A caption for each.
    pub caption: Option<String>,
}

/// A photo to import, as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSource {
    /// The file name it came with, if any (kept for the record; never used to tell the type).
    pub name: Option<String>,
    /// The file's content.
    pub bytes: Vec<u8>,
}

/// An imported photo.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Imported {
    /// Its record.
    pub photo: Photo,
    /// The patient already had this exact photo; `photo` is that one, and nothing was added.
    pub duplicate: bool,
}

/// What happened to one file of a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum FileOutcome {
    /// Imported.
    Imported {
        /// The new photo.
        photo: Photo,
    },
    /// Already there; nothing added.
    Duplicate {
        /// The photo it duplicates.
        photo: Photo,
    },
    /// Refused or failed, with why; the other files are not affected.
    Failed {
        /// Why.
        message: String,
    },
    /// Not started: the batch was cancelled first.
    Cancelled,
}

/// One file's result in a batch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileResult {
    /// The file as given.
    pub path: PathBuf,
    /// What happened.
    pub outcome: FileOutcome,
}

/// How far a batch has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchProgress {
    /// Files finished (in any way).
    pub done: usize,
    /// Files in the batch.
    pub total: usize,
    /// Files imported so far.
    pub imported: usize,
    /// Files that failed so far.
    pub failed: usize,
}

/// A processed photo whose blobs are sealed in the store, waiting for its row: only what
/// the row needs, so a batch does not hold every image in memory until its commit.
struct Sealed {
    id: Uuid,
    thumb_id: Uuid,
    mac: [u8; 32],
    source_name: Option<String>,
    format: Format,
    byte_size: usize,
    width: u32,
    height: u32,
    orientation: u16,
    thumb_width: u32,
    thumb_height: u32,
    capture: Capture,
}

enum Prepared {
    Sealed(Box<Sealed>),
    /// The patient already has a photo with this content (its id).
    Known(String),
}

/// What a batch needs to know before its workers start.
struct Context {
    patient_id: String,
    keep_location: bool,
    /// Content fingerprints of the patient's photos, to their ids.
    known: HashMap<[u8; 32], String>,
}

/// The patient's photos a new one may duplicate: those out of the bin. Only those the
/// importer may see count (filtered by the caller): a duplicate of a photo someone else keeps
/// private is imported as the importer's own, and reveals nothing.
const DUPLICATE_CANDIDATES: &str = "SELECT content_mac, id, privacy, imported_by FROM photos \
     WHERE patient_id = ?1 AND deleted_at IS NULL";

fn context(session: &mut Session, patient: &str) -> Result<Context> {
    session.authorize(Action::PhotoImport)?;
    let keep_location = settings::get(session)?.keep_photo_location;
    let patient_id = patients::resolve_current(&session.conn, patient)?.id;
    let mut known = HashMap::new();
    let mut stmt = session.conn.prepare(DUPLICATE_CANDIDATES)?;
    let mut rows = stmt.query([&patient_id])?;
    while let Some(row) = rows.next()? {
        let (mac, id, privacy, imported_by): (Vec<u8>, String, String, Option<String>) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        if let Ok(mac) = <[u8; 32]>::try_from(mac)
            && visible_to(
                session.actor(),
                Privacy::parse(&privacy),
                imported_by.as_deref(),
            )
        {
            known.insert(mac, id);
        }
    }
    drop(rows);
    drop(stmt);
    Ok(Context {
        patient_id,
        keep_location,
        known,
    })
}

/// Imports one photo for `patient`.
pub fn import(
    session: &mut Session,
    patient: &str,
    source: ImportSource,
    options: &ImportOptions,
) -> Result<Imported> {
    let options = checked(options)?;
    let context = context(session, patient)?;
    let store = session.media.clone();
    let prepared = prepare(&store, &context, &source.bytes, source.name)?;
    commit(session, &context, prepared, &options)
}

/// Imports files for `patient` on every core. One bad file fails alone, with its reason;
/// `progress` hears after each file; once `cancel` is set, files not yet started are left
/// out (those under way finish). Fails as a whole only when the batch cannot start (the
/// patient is unknown or the user may not import).
pub fn import_files(
    session: &mut Session,
    patient: &str,
    files: &[PathBuf],
    options: &ImportOptions,
    progress: &mut dyn FnMut(BatchProgress),
    cancel: &AtomicBool,
) -> Result<Vec<FileResult>> {
    let options = checked(options)?;
    let context = context(session, patient)?;
    let store = session.media.clone();
    let mut outcomes: Vec<Option<FileOutcome>> = vec![None; files.len()];
    let mut counts = BatchProgress {
        done: 0,
        total: files.len(),
        imported: 0,
        failed: 0,
    };
    std::thread::scope(|scope| {
        // Bounded: workers wait rather than pile up processed photos faster than the
        // database takes them.
        let (sender, finished) = mpsc::sync_channel(4);
        let (store, context) = (&store, &context);
        scope.spawn(move || {
            files
                .par_iter()
                .enumerate()
                .for_each_with(sender, |sender, (index, path)| {
                    let prepared = (!cancel.load(Ordering::Relaxed)).then(|| {
                        let bytes = read_photo(path)?;
                        prepare(store, context, &bytes, file_name(path))
                    });
                    // The receiver lives until every sender is gone.
                    let _ = sender.send((index, prepared));
                });
        });
        for (index, prepared) in finished {
            let outcome = match prepared {
                None => FileOutcome::Cancelled,
                Some(prepared) => {
                    match prepared.and_then(|p| commit(session, context, p, &options)) {
                        Ok(Imported {
                            photo,
                            duplicate: false,
                        }) => FileOutcome::Imported { photo },
                        Ok(Imported {
                            photo,
                            duplicate: true,
                        }) => FileOutcome::Duplicate { photo },
                        Err(e) => FileOutcome::Failed {
                            message: e.to_string(),
                        },
                    }
                }
            };
            counts.done += 1;
            match outcome {
                FileOutcome::Imported { .. } => counts.imported += 1,
                FileOutcome::Failed { .. } => counts.failed += 1,
                _ => {}
            }
            outcomes[index] = Some(outcome);
            progress(counts);
        }
    });
    Ok(files
        .iter()
        .zip(outcomes)
        .map(|(path, outcome)| FileResult {
            path: path.clone(),
            outcome: outcome.unwrap_or(FileOutcome::Cancelled),
        })
        .collect())
}

fn checked(options: &ImportOptions) -> Result<ImportOptions> {
    Ok(ImportOptions {
        privacy: options.privacy,
        caption: profile::optional("caption", options.caption.clone())?,
    })
}

fn file_name(path: &Path) -> Option<String> {
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Reads a photo file, refusing one over the size limit before reading it.
fn read_photo(path: &Path) -> Result<Vec<u8>> {
    let cannot = |e| Error::io(format!("cannot read {}", path.display()))(e);
    let meta = fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(Error::invalid(
            "photo",
            format!("{} is not a file", path.display()),
        ));
    }
    let limit = Limits::STANDARD.max_bytes;
    if meta.len() > limit {
        return Err(MediaError::TooLarge {
            bytes: meta.len(),
            limit,
        }
        .into());
    }
    fs::read(path).map_err(cannot)
}

/// The CPU work, safe to run on any thread: process, fingerprint, seal both blobs.
fn prepare(
    store: &MediaStore,
    context: &Context,
    bytes: &[u8],
    source_name: Option<String>,
) -> Result<Prepared> {
    // A panic in a decoder must fail this one file, not the batch or the app.
    let processed = std::panic::catch_unwind(|| {
        tessera_media::process(bytes, &Limits::STANDARD, context.keep_location)
    })
    .map_err(|_| MediaError::Damaged("an image decoder failed on it".into()))??;
    let mac = store.content_mac(&processed.stripped);
    if let Some(existing) = context.known.get(&mac) {
        return Ok(Prepared::Known(existing.clone()));
    }
    let (id, thumb_id) = (Uuid::now_v7(), Uuid::now_v7());
    store.blobs.put(&id, &processed.stripped)?;
    if let Err(e) = store.blobs.put(&thumb_id, &processed.thumbnail.jpeg) {
        let _ = store.blobs.delete(&id);
        return Err(e);
    }
    let Processed {
        format,
        stripped,
        width,
        height,
        orientation,
        capture,
        thumbnail,
    } = processed;
    Ok(Prepared::Sealed(Box::new(Sealed {
        id,
        thumb_id,
        mac,
        source_name: source_name.map(|n| n.chars().take(255).collect()),
        format,
        byte_size: stripped.len(),
        width,
        height,
        orientation,
        thumb_width: thumbnail.width,
        thumb_height: thumbnail.height,
        capture,
    })))
}

/// Writes the row and the audit entry of a prepared photo; a sealed photo whose row does
/// not commit has its blobs removed.
fn commit(
    session: &mut Session,
    context: &Context,
    prepared: Prepared,
    options: &ImportOptions,
) -> Result<Imported> {
    let actor = session.actor().clone();
    let sealed = match prepared {
        Prepared::Known(existing) => {
            return session.write(Action::PhotoImport, |w| duplicate(w, &actor, &existing));
        }
        Prepared::Sealed(sealed) => sealed,
    };
    let result = session.write(Action::PhotoImport, |w| {
        // The same photo twice in one batch: the first one stands.
        match same_photo_seen_by(w, &actor, &context.patient_id, &sealed.mac)? {
            Some(existing) => duplicate(w, &actor, &existing),
            None => insert(w, &actor, &context.patient_id, &sealed, options),
        }
    });
    if !matches!(
        result,
        Ok(Imported {
            duplicate: false,
            ..
        })
    ) {
        let _ = session.media.blobs.delete(&sealed.id);
        let _ = session.media.blobs.delete(&sealed.thumb_id);
    }
    result
}

/// An import of a photo the patient already has: recorded, and answered with that photo.
fn duplicate(w: &mut WriteTx<'_>, actor: &Actor, existing: &str) -> Result<Imported> {
    w.record(Change::new("photo", Some(existing)).after(json!({ "duplicate_import": true })))?;
    Ok(Imported {
        photo: load_visible(w.conn(), actor, existing)?.photo,
        duplicate: true,
    })
}

/// A photo of the patient's with the same content that `actor` may see, if any.
fn same_photo_seen_by(
    w: &WriteTx<'_>,
    actor: &Actor,
    patient_id: &str,
    mac: &[u8; 32],
) -> Result<Option<String>> {
    let mut stmt = w
        .conn()
        .prepare_cached(&format!("{DUPLICATE_CANDIDATES} AND content_mac = ?2"))?;
    let same: Vec<(String, String, Option<String>)> = stmt
        .query_map(params![patient_id, mac.as_slice()], |r| {
            Ok((r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(same
        .into_iter()
        .find(|(_, privacy, by)| visible_to(actor, Privacy::parse(privacy), by.as_deref()))
        .map(|(existing, ..)| existing))
}

/// The photo's row and its audit entry.
fn insert(
    w: &mut WriteTx<'_>,
    actor: &Actor,
    patient_id: &str,
    p: &Sealed,
    options: &ImportOptions,
) -> Result<Imported> {
    let Capture {
        taken_at,
        camera_make,
        camera_model,
        location,
    } = &p.capture;
    let id = p.id.to_string();
    w.conn().execute(
        "INSERT INTO photos (id, patient_id, content_mac, format, byte_size, width, height, \
         orientation, thumb_id, thumb_width, thumb_height, taken_at, camera_make, \
         camera_model, latitude, longitude, caption, source_name, privacy, imported_by, \
         importer_name, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, \
         ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
        params![
            id,
            patient_id,
            p.mac.as_slice(),
            p.format.as_str(),
            p.byte_size as i64,
            p.width,
            p.height,
            p.orientation,
            p.thumb_id.to_string(),
            p.thumb_width,
            p.thumb_height,
            taken_at,
            camera_make,
            camera_model,
            location.map(|l| l.0),
            location.map(|l| l.1),
            options.caption,
            p.source_name,
            options.privacy.as_str(),
            w.actor_id(),
            w.actor_name(),
            clock::now_ms(),
        ],
    )?;
    w.record(Change::new("photo", Some(&id)).after(json!({
        "patient_id": patient_id,
        "format": p.format.as_str(),
        "byte_size": p.byte_size,
        "width": p.width,
        "height": p.height,
        "privacy": options.privacy,
    })))?;
    Ok(Imported {
        photo: load_visible(w.conn(), actor, &id)?.photo,
        duplicate: false,
    })
}
