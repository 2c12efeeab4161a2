//! The desk's QR scanning: cameras to pick, a live scan with a preview, and a QR read from
//! an image file. Decoding happens in the QR worker process; what a code opens is decided
//! by core when the UI passes the text to `access_open_token`.

use tauri::State;
use tauri::ipc::{Channel, InvokeBody, Request};
use tessera_app_macros::command;

use crate::api_error::{ApiError, ErrorCode};
use crate::scanning::{self, CameraChoice, ScanEvent, Scanning};
use crate::state::{self, AppState};

/// The cameras on this machine (an empty list when there is none: the desk can still type
/// a code or open an image).
#[command]
pub async fn camera_list(state: State<'_, AppState>) -> Result<Vec<CameraChoice>, ApiError> {
    signed_in(&state)?;
    Ok(tauri::async_runtime::spawn_blocking(scanning::choices)
        .await
        .unwrap_or_default())
}

/// Starts scanning from `camera` (an id from `camera_list`): previews, then the first code
/// found, then a stop, arrive on `on_event`. Ends any scan under way.
#[command]
pub async fn scan_start(
    state: State<'_, AppState>,
    scanning: State<'_, Scanning>,
    camera: String,
    on_event: Channel<ScanEvent>,
) -> Result<(), ApiError> {
    signed_in(&state)?;
    scanning.start(camera, state.unlocked.clone(), on_event);
    Ok(())
}

/// Ends the scan under way, if any.
#[command]
pub async fn scan_stop(scanning: State<'_, Scanning>) -> Result<(), ApiError> {
    scanning.stop();
    Ok(())
}

/// The QR codes' texts in an image file sent as the raw body (a photo or scan of a card);
/// an empty list when there is none.
#[command]
pub async fn access_scan_image(
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<Vec<String>, ApiError> {
    signed_in(&state)?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(ApiError::new(
            ErrorCode::Invalid,
            "the image must be sent as raw bytes",
        ));
    };
    let bytes = bytes.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut scanner = tessera_camera::Scanner::this_executable()
            .map_err(|_| ApiError::new(ErrorCode::Internal, "the QR decoder could not start"))?;
        scanner.scan_image(&bytes).map_err(|e| ApiError {
            field: Some("image".into()),
            ..ApiError::new(ErrorCode::Invalid, e.to_string())
        })
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal, "the QR decoder stopped"))?
}

/// Scanning is for a signed-in desk only.
fn signed_in(state: &AppState) -> Result<(), ApiError> {
    match state::lock(&state.unlocked).as_ref() {
        Some(_) => Ok(()),
        None => Err(ApiError::no_session()),
    }
}
