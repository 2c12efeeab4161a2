//! Photos: listing, importing (bytes straight from the UI, no path ever crosses IPC),
//! captions and privacy, the bin. The images themselves are served by `media_protocol`.

use serde::Deserialize;
use tauri::State;
use tauri::ipc::{InvokeBody, Request};
use tessera_app_macros::command;
use tessera_core::listing::Listing;
use tessera_core::media::{self, ImportOptions, ImportSource, Imported, Photo, PhotoEdit, Privacy};
use ts_rs::TS;

use crate::api_error::{ApiError, ErrorCode};
use crate::state::AppState;

/// What the UI sends in the headers of a `photo_import` call; the body is the file.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct PhotoImportMeta {
    /// The patient's id.
    pub patient: String,
    /// The file's name, URI-encoded (headers carry ASCII only).
    pub file_name: Option<String>,
    /// Who may see it.
    pub privacy: Privacy,
}

/// The header carrying [`PhotoImportMeta`] as JSON.
pub const IMPORT_META_HEADER: &str = "tessera-photo";

/// The patient's photos (or those in the bin), newest first. Audited.
#[command]
pub async fn photo_list(
    state: State<'_, AppState>,
    patient: String,
    deleted: bool,
) -> Result<Vec<Photo>, ApiError> {
    let listing = if deleted {
        Listing::Deleted
    } else {
        Listing::Current
    };
    state
        .with_session(move |s| media::list(s, &patient, listing))
        .await
}

/// Imports one photo. The body is the raw file; the metadata travels in a header, so the
/// bytes are not inflated into a JSON array on the way.
#[command]
pub async fn photo_import(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<Imported, ApiError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(bad_request("the photo must be sent as raw bytes"));
    };
    let meta: PhotoImportMeta = request
        .headers()
        .get(IMPORT_META_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| serde_json::from_str(v).ok())
        .ok_or_else(|| bad_request("the photo's patient and privacy are missing"))?;
    let source = ImportSource {
        name: meta.file_name.as_deref().map(|n| {
            percent_encoding::percent_decode_str(n)
                .decode_utf8_lossy()
                .into_owned()
        }),
        bytes: bytes.clone(),
    };
    let options = ImportOptions {
        privacy: meta.privacy,
        caption: None,
    };
    state
        .with_session(move |s| media::import(s, &meta.patient, source, &options))
        .await
}

fn bad_request(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Invalid, message)
}

/// `caption: ''` clears the caption; a missing or null field is left as it is.
#[command]
pub async fn photo_edit(
    state: State<'_, AppState>,
    photo_id: String,
    caption: Option<String>,
    privacy: Option<Privacy>,
) -> Result<Photo, ApiError> {
    state
        .with_session(move |s| media::edit(s, &photo_id, PhotoEdit { caption, privacy }))
        .await
}

/// Moves a photo to the bin.
#[command]
pub async fn photo_delete(state: State<'_, AppState>, photo_id: String) -> Result<Photo, ApiError> {
    state
        .with_session(move |s| media::delete(s, &photo_id))
        .await
}

/// Takes a photo back out of the bin.
#[command]
pub async fn photo_restore(
    state: State<'_, AppState>,
    photo_id: String,
) -> Result<Photo, ApiError> {
    state
        .with_session(move |s| media::restore(s, &photo_id))
        .await
}
