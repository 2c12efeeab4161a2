//! Photo records: listing, opening a variant, captions and privacy, the bin.
//!
//! A photo is either shared with the staff who may see the patient's record, or private to
//! the staff member who imported it (and admins). The listing is audited with the ids it
//! returned; gallery thumbnails are served under that entry without one of their own, while
//! opening the preview or the original is audited each time.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::listing::Listing;
use crate::patients;
use crate::policy::{Action, Principal, Role};
use crate::session::{Actor, Session};
use tessera_media::{Format, Limits, PREVIEW_EDGE};

/// Who may see a photo.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Privacy {
    /// The staff member who imported it, and admins.
    Private,
    /// Every staff member who may see the patient's record.
    #[default]
    Staff,
}

impl Privacy {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Privacy::Private => "private",
            Privacy::Staff => "staff",
        }
    }

    /// Anything but `staff` reads as private: an unexpected value must not widen access.
    pub(crate) fn parse(stored: &str) -> Privacy {
        if stored == "staff" {
            Privacy::Staff
        } else {
            Privacy::Private
        }
    }
}

impl std::str::FromStr for Privacy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Privacy> {
        match s.trim().to_lowercase().as_str() {
            "private" => Ok(Privacy::Private),
            "staff" | "shared" => Ok(Privacy::Staff),
            _ => Err(Error::invalid(
                "privacy",
                format!("unknown privacy {s:?}; use private or staff"),
            )),
        }
    }
}

/// Where a photo was taken (kept only when the vault is set to keep photo locations).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Degrees north.
    pub latitude: f64,
    /// Degrees east.
    pub longitude: f64,
}

/// A photo's record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// Photo id.
    pub id: String,
    /// The patient it belongs to.
    pub patient_id: String,
    /// `jpeg`, `png`, `webp` or `heic`.
    pub format: String,
    /// Size of the stored (stripped) image, in bytes.
    pub byte_size: u64,
    /// Width as displayed (orientation applied).
    pub width: u32,
    /// Height as displayed.
    pub height: u32,
    /// Thumbnail width.
    pub thumb_width: u32,
    /// Thumbnail height.
    pub thumb_height: u32,
    /// When it was taken, by the camera's clock.
    pub taken_at: Option<String>,
    /// Camera maker.
    pub camera_make: Option<String>,
    /// Camera model.
    pub camera_model: Option<String>,
    /// Where it was taken, when the vault keeps locations.
    pub location: Option<Location>,
    /// Caption.
    pub caption: Option<String>,
    /// The imported file's name.
    pub source_name: Option<String>,
    /// Who may see it.
    pub privacy: Privacy,
    /// Who imported it.
    pub imported_by: String,
    /// When (RFC 3339).
    pub imported_at: String,
    /// When it was moved to the bin.
    pub deleted_at: Option<String>,
}

impl Photo {
    /// When it was taken by the camera's clock, or when it was imported if the camera did
    /// not say: the date a photo is shown, listed and limited by.
    pub fn taken_or_imported_at(&self) -> &str {
        self.taken_at.as_deref().unwrap_or(&self.imported_at)
    }
}

/// Which image of a photo.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The stripped original.
    Original,
    /// The 1280-pixel preview, made on first request.
    Preview,
    /// The 320-pixel thumbnail.
    Thumbnail,
}

impl Variant {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Preview => "preview",
            Variant::Thumbnail => "thumbnail",
        }
    }
}

/// An image of a photo, decrypted in memory.
#[derive(Debug)]
pub struct PhotoFile {
    /// Its record.
    pub photo: Photo,
    /// MIME type of `bytes`.
    pub mime: &'static str,
    /// The image.
    pub bytes: Zeroizing<Vec<u8>>,
}

/// A change to a photo's caption and privacy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoEdit {
    /// New caption (`Some("")` clears it); `None` leaves it.
    pub caption: Option<String>,
    /// New privacy; `None` leaves it.
    pub privacy: Option<Privacy>,
}

pub(crate) const SELECT_PHOTO: &str = "SELECT id, patient_id, format, byte_size, width, height, \
     orientation, thumb_width, thumb_height, taken_at, camera_make, camera_model, latitude, \
     longitude, caption, source_name, privacy, importer_name, imported_at, deleted_at, \
     imported_by, thumb_id, preview_id FROM photos";

/// A row with the columns the public record does not show.
#[derive(Debug, Clone)]
pub(crate) struct PhotoRow {
    pub(crate) photo: Photo,
    imported_by_id: Option<String>,
    orientation: u16,
    thumb_id: String,
    preview_id: Option<String>,
}

pub(crate) fn photo_from_row(r: &Row<'_>) -> rusqlite::Result<PhotoRow> {
    let (width, height): (u32, u32) = (r.get(4)?, r.get(5)?);
    let orientation: u16 = r.get(6)?;
    let (width, height) = if orientation >= 5 {
        (height, width)
    } else {
        (width, height)
    };
    let latitude: Option<f64> = r.get(12)?;
    let longitude: Option<f64> = r.get(13)?;
    Ok(PhotoRow {
        photo: Photo {
            id: r.get(0)?,
            patient_id: r.get(1)?,
            format: r.get(2)?,
            byte_size: r.get::<_, i64>(3)?.unsigned_abs(),
            width,
            height,
            thumb_width: r.get(7)?,
            thumb_height: r.get(8)?,
            taken_at: r.get(9)?,
            camera_make: r.get(10)?,
            camera_model: r.get(11)?,
            location: latitude
                .zip(longitude)
                .map(|(latitude, longitude)| Location {
                    latitude,
                    longitude,
                }),
            caption: r.get(14)?,
            source_name: r.get(15)?,
            privacy: Privacy::parse(&r.get::<_, String>(16)?),
            imported_by: r.get(17)?,
            imported_at: clock::to_rfc3339(r.get(18)?),
            deleted_at: r.get::<_, Option<i64>>(19)?.map(clock::to_rfc3339),
        },
        imported_by_id: r.get(20)?,
        orientation,
        thumb_id: r.get(21)?,
        preview_id: r.get(22)?,
    })
}

/// Whether `actor` may see a photo with this privacy, imported by this staff id.
pub(crate) fn visible_to(actor: &Actor, privacy: Privacy, imported_by: Option<&str>) -> bool {
    privacy == Privacy::Staff || may_decide_privacy(actor, imported_by)
}

/// Whether `actor` may see a private photo, and make a photo private or shared: its
/// importer and admins.
fn may_decide_privacy(actor: &Actor, imported_by: Option<&str>) -> bool {
    actor.principal == Principal::Staff(Role::Admin)
        || (actor.staff_id.is_some() && actor.staff_id.as_deref() == imported_by)
}

const SEE_PRIVATE: &str = "see a photo another staff member keeps private";
const SHARE_OTHERS: &str = "change who may see a photo another staff member imported";

fn private_refusal(actor: &Actor, action: &str) -> Error {
    Error::Denied {
        role: actor.principal.to_string(),
        action: action.to_owned(),
    }
}

/// The photo `id`, if `actor` may see it.
pub(crate) fn load_visible(conn: &Connection, actor: &Actor, id: &str) -> Result<PhotoRow> {
    let row = conn
        .query_row(
            &format!("{SELECT_PHOTO} WHERE id = ?1"),
            [id],
            photo_from_row,
        )
        .optional()?
        .ok_or_else(|| Error::NotFound {
            what: "photo",
            id: id.to_owned(),
        })?;
    if !visible_to(actor, row.photo.privacy, row.imported_by_id.as_deref()) {
        return Err(private_refusal(actor, SEE_PRIVATE));
    }
    Ok(row)
}

/// A patient's photos, newest first. Audited with the ids returned.
pub fn list(session: &mut Session, patient: &str, listing: Listing) -> Result<Vec<Photo>> {
    let actor = session.actor().clone();
    session.write(Action::PhotoView, |w| {
        let found = patients::resolve(w.conn(), patient)?;
        let sql = format!(
            "{SELECT_PHOTO} WHERE patient_id = ?1 AND deleted_at IS {} NULL \
             ORDER BY imported_at DESC, id DESC",
            if listing == Listing::Deleted {
                "NOT"
            } else {
                ""
            }
        );
        let mut stmt = w.conn().prepare_cached(&sql)?;
        let photos: Vec<Photo> = stmt
            .query_map([&found.id], photo_from_row)?
            .filter_map(|row| match row {
                Ok(row) if visible_to(&actor, row.photo.privacy, row.imported_by_id.as_deref()) => {
                    Some(Ok(row.photo))
                }
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let ids: Vec<&str> = photos.iter().map(|p| p.id.as_str()).collect();
        w.record(Change::new("patient", Some(&found.id)).after(json!({
            "photos_listed": ids,
            "listing": listing.as_str(),
        })))?;
        Ok(photos)
    })
}

/// Every photo of a patient, in the bin or not, private or not, oldest first, without the
/// policy or privacy check: for the subject access export, whose caller is authorized.
pub(crate) fn all_for_patient(conn: &Connection, patient_id: &str) -> Result<Vec<Photo>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT_PHOTO} WHERE patient_id = ?1 ORDER BY imported_at, id"
    ))?;
    let photos = stmt
        .query_map([patient_id], |r| photo_from_row(r).map(|row| row.photo))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(photos)
}

/// A patient's photos that `actor` may see, not in the bin, oldest first, each with its
/// thumbnail's blob id: what an export shows.
pub(crate) fn visible_for_patient(
    conn: &Connection,
    actor: &Actor,
    patient_id: &str,
) -> Result<Vec<(Photo, Uuid)>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT_PHOTO} WHERE patient_id = ?1 AND deleted_at IS NULL ORDER BY imported_at, id"
    ))?;
    let rows = stmt
        .query_map([patient_id], photo_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .filter(|row| visible_to(actor, row.photo.privacy, row.imported_by_id.as_deref()))
        .map(|row| Ok((row.photo, blob_id(&row.thumb_id)?)))
        .collect()
}

/// One photo's record. Audited.
pub fn get(session: &mut Session, id: &str) -> Result<Photo> {
    let actor = session.actor().clone();
    let result = session.write(Action::PhotoView, |w| {
        let row = load_visible(w.conn(), &actor, id)?;
        w.record(Change::new("photo", Some(id)).after(json!({ "variant": "record" })))?;
        Ok(row.photo)
    });
    noting_refusal(session, id, result)
}

/// Records a refusal on privacy grounds (the policy allowed the action, the photo's
/// privacy did not) in the audit log, like the policy's own refusals (which `authorize`
/// has recorded already).
fn noting_refusal<T>(session: &mut Session, id: &str, result: Result<T>) -> Result<T> {
    if let Err(Error::Denied { action, .. }) = &result
        && (action == SEE_PRIVATE || action == SHARE_OTHERS)
    {
        let change = Change::new("photo", Some(id)).after(json!({ "refused": action }));
        let _ = session.commit_audited("access.denied", |w| w.record(change));
    }
    result
}

/// A photo's gallery thumbnail. Authorized like any view; not audited on its own, since
/// the listing that showed it was (see the module notes).
pub fn thumbnail(session: &mut Session, id: &str) -> Result<PhotoFile> {
    let actor = session.actor().clone();
    let row = session.read(Action::PhotoView, |s| load_visible(&s.conn, &actor, id));
    let row = noting_refusal(session, id, row)?;
    let bytes = session.media.blobs.get(&blob_id(&row.thumb_id)?)?;
    Ok(PhotoFile {
        photo: row.photo,
        mime: Format::Jpeg.mime(),
        bytes,
    })
}

/// Whether an access grant may show `photo`: shared with staff, and not in the bin.
pub(crate) fn shown_through_grants(photo: &Photo) -> bool {
    photo.privacy == Privacy::Staff && photo.deleted_at.is_none()
}

/// A photo's thumbnail or preview shown through an access grant over `patient_id`. Only a
/// photo of that patient, shared with staff and not in the bin; anything else is "not
/// found", so a grant cannot learn that other photos exist. A preview not yet made is
/// served as the thumbnail: a grant only reads, it never writes a preview.
pub(crate) fn shared_image(
    session: &Session,
    patient_id: &str,
    id: &str,
    variant: Variant,
) -> Result<PhotoFile> {
    let not_found = || Error::NotFound {
        what: "photo",
        id: id.to_owned(),
    };
    let row = session
        .conn
        .query_row(
            &format!("{SELECT_PHOTO} WHERE id = ?1"),
            [id],
            photo_from_row,
        )
        .optional()?
        .ok_or_else(not_found)?;
    if row.photo.patient_id != patient_id || !shown_through_grants(&row.photo) {
        return Err(not_found());
    }
    let blob = match (variant, &row.preview_id) {
        (Variant::Original, _) => {
            return Err(Error::invalid(
                "variant",
                "a shared view shows thumbnails and previews, not originals",
            ));
        }
        (Variant::Preview, Some(preview)) => preview,
        _ => &row.thumb_id,
    };
    let bytes = session.media.blobs.get(&blob_id(blob)?)?;
    Ok(PhotoFile {
        photo: row.photo,
        mime: Format::Jpeg.mime(),
        bytes,
    })
}

/// Opens the original or the preview (making the preview on first request), or the
/// thumbnail. Audited, with the variant.
pub fn open(session: &mut Session, id: &str, variant: Variant) -> Result<PhotoFile> {
    let actor = session.actor().clone();
    let row = session.read(Action::PhotoView, |s| load_visible(&s.conn, &actor, id));
    let row = noting_refusal(session, id, row)?;
    let format = Format::from_name(&row.photo.format)
        .ok_or(Error::Internal("a stored photo has an unknown format"))?;
    let (bytes, mime, new_preview) = match variant {
        Variant::Original => (session.media.blobs.get(&blob_id(id)?)?, format.mime(), None),
        Variant::Thumbnail => (
            session.media.blobs.get(&blob_id(&row.thumb_id)?)?,
            Format::Jpeg.mime(),
            None,
        ),
        Variant::Preview => match &row.preview_id {
            Some(preview) => (
                session.media.blobs.get(&blob_id(preview)?)?,
                Format::Jpeg.mime(),
                None,
            ),
            None => {
                let (preview_id, bytes) = make_preview(session, id, format, row.orientation)?;
                (bytes, Format::Jpeg.mime(), Some(preview_id))
            }
        },
    };
    // The view is recorded either way; the new preview is kept only if no other session
    // set one meanwhile.
    let kept_preview = session.write(Action::PhotoView, |w| {
        let kept = match &new_preview {
            Some(preview_id) => {
                w.conn().execute(
                    "UPDATE photos SET preview_id = ?2 WHERE id = ?1 AND preview_id IS NULL",
                    params![id, preview_id.to_string()],
                )? == 1
            }
            None => false,
        };
        w.record(Change::new("photo", Some(id)).after(json!({ "variant": variant.as_str() })))?;
        Ok(kept)
    });
    if let Some(preview_id) = new_preview
        && !matches!(kept_preview, Ok(true))
    {
        // Another session made its preview first, or the update failed: ours is spare.
        let _ = session.media.blobs.delete(&preview_id);
    }
    kept_preview?;
    Ok(PhotoFile {
        photo: row.photo,
        mime,
        bytes,
    })
}

fn make_preview(
    session: &Session,
    id: &str,
    format: Format,
    orientation: u16,
) -> Result<(Uuid, Zeroizing<Vec<u8>>)> {
    let original = session.media.blobs.get(&blob_id(id)?)?;
    let rendered = tessera_media::render::render(
        &original,
        format,
        orientation,
        PREVIEW_EDGE,
        &Limits::STANDARD,
    )?;
    let preview_id = Uuid::now_v7();
    session.media.blobs.put(&preview_id, &rendered.jpeg)?;
    Ok((preview_id, Zeroizing::new(rendered.jpeg)))
}

pub(crate) fn blob_id(id: &str) -> Result<Uuid> {
    Uuid::try_parse(id).map_err(|_| Error::CorruptDatabase(format!("bad photo blob id {id:?}")))
}

/// Changes a photo's caption or privacy. Only its importer or an admin may make it private
/// or shared.
pub fn edit(session: &mut Session, id: &str, change: PhotoEdit) -> Result<Photo> {
    let actor = session.actor().clone();
    let caption = change
        .caption
        .map(|c| crate::patients::profile::optional("caption", Some(c)))
        .transpose()?;
    let result = session.write(Action::PhotoEdit, |w| {
        let row = load_visible(w.conn(), &actor, id)?;
        if let Some(privacy) = change.privacy
            && privacy != row.photo.privacy
            && !may_decide_privacy(&actor, row.imported_by_id.as_deref())
        {
            return Err(private_refusal(&actor, SHARE_OTHERS));
        }
        let new_caption = caption.clone().unwrap_or(row.photo.caption.clone());
        let new_privacy = change.privacy.unwrap_or(row.photo.privacy);
        w.conn().execute(
            "UPDATE photos SET caption = ?2, privacy = ?3 WHERE id = ?1",
            params![id, new_caption, new_privacy.as_str()],
        )?;
        w.record(
            Change::new("photo", Some(id))
                .before(json!({ "caption_set": row.photo.caption.is_some(), "privacy": row.photo.privacy }))
                .after(json!({ "caption_set": new_caption.is_some(), "privacy": new_privacy })),
        )?;
        Ok(load_visible(w.conn(), &actor, id)?.photo)
    });
    noting_refusal(session, id, result)
}

/// Moves a photo to the bin; it stays restorable until retention removes it.
pub fn delete(session: &mut Session, id: &str) -> Result<Photo> {
    set_deleted(session, id, true)
}

/// Takes a photo out of the bin.
pub fn restore(session: &mut Session, id: &str) -> Result<Photo> {
    set_deleted(session, id, false)
}

fn set_deleted(session: &mut Session, id: &str, delete: bool) -> Result<Photo> {
    let actor = session.actor().clone();
    let result = session.write(Action::PhotoDelete, |w| {
        let row = load_visible(w.conn(), &actor, id)?;
        match (delete, row.photo.deleted_at.is_some()) {
            (true, true) => return Err(Error::Conflict("the photo is already in the bin".into())),
            (false, false) => return Err(Error::Conflict("the photo is not in the bin".into())),
            _ => {}
        }
        if delete {
            w.conn().execute(
                "UPDATE photos SET deleted_at = ?2, deleted_by = ?3 WHERE id = ?1",
                params![id, clock::now_ms(), w.actor_name()],
            )?;
        } else {
            w.conn().execute(
                "UPDATE photos SET deleted_at = NULL, deleted_by = NULL WHERE id = ?1",
                [id],
            )?;
        }
        w.record(
            Change::new("photo", Some(id))
                .after(json!({ "in_bin": delete, "patient_id": row.photo.patient_id })),
        )?;
        Ok(load_visible(w.conn(), &actor, id)?.photo)
    });
    noting_refusal(session, id, result)
}

/// Checks that a narrative may refer to `photo_id`: a photo of the same patient, not in
/// the bin, that the author may see. One answer for every refusal, so it reveals nothing
/// about photos the author may not see.
pub(crate) fn check_attachable(
    conn: &Connection,
    actor: &Actor,
    patient_id: &str,
    photo_id: &str,
) -> Result<()> {
    let found: Option<(String, Option<i64>, String, Option<String>)> = conn
        .query_row(
            "SELECT patient_id, deleted_at, privacy, imported_by FROM photos WHERE id = ?1",
            [photo_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    match found {
        Some((owner, None, privacy, imported_by))
            if owner == patient_id
                && visible_to(actor, Privacy::parse(&privacy), imported_by.as_deref()) =>
        {
            Ok(())
        }
        _ => Err(Error::invalid(
            "photo",
            format!(
                "{photo_id} is not a photo of this patient that you can see (or it is in the bin)"
            ),
        )),
    }
}
