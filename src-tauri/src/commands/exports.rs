//! Exports: a patient's record written as a PDF report, the JSON record or CSV tables
//! (progress over a channel, cancel by a second command), the export log, and checking a
//! document that comes back. What an export holds, and who may make one, is decided in
//! core.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tauri::State;
use tauri::ipc::Channel;
use tessera_app_macros::command;
use tessera_core::Error;
use tessera_core::export::{
    self, DateRange, ExportEntry, ExportFormat, ExportKind, ExportRequest, ExportStage, Referral,
    Verification,
};

use crate::api_error::ApiError;
use crate::commands::backups::encryption;
use crate::input::{given, invalid, typed_path};
use crate::secret::Secret;
use crate::state::AppState;

/// Writes `patient`'s record to a new file at `out` (a typed path; `~` is the home
/// directory; an existing file is refused): `kind` and `format` as chosen, limited to the
/// days `from`..`to` when given, encrypted to `passphrase` or the age key `recipient`.
/// Without either, `unencrypted` must say the user chose a plain file. The stages arrive
/// on `on_progress`; `export_cancel` stops it and leaves no file.
#[command]
#[allow(clippy::too_many_arguments)]
pub async fn export_write(
    state: State<'_, AppState>,
    patient: String,
    kind: ExportKind,
    format: ExportFormat,
    out: String,
    from: Option<String>,
    to: Option<String>,
    referral: Option<Referral>,
    csv_bom: bool,
    passphrase: Option<Secret>,
    recipient: Option<String>,
    unencrypted: bool,
    on_progress: Channel<ExportStage>,
) -> Result<ExportEntry, ApiError> {
    let out = typed_path("out", &out)?;
    let encryption = match (given(passphrase), given(recipient)) {
        (None, None) if unencrypted => None,
        (None, None) => {
            return Err(invalid(
                "passphrase",
                "give a passphrase or an age public key, or choose to write the file unencrypted",
            ));
        }
        (passphrase, recipient) => Some(encryption(passphrase, recipient)?),
    };
    let request = ExportRequest {
        patient,
        kind,
        format,
        range: DateRange {
            from: given(from),
            to: given(to),
        },
        referral,
        csv_bom,
    };
    let cancel = Arc::clone(&state.export_cancel);
    cancel.store(false, Ordering::SeqCst);
    state
        .with_session(move |s| {
            export::export(
                s,
                &request,
                &out,
                encryption.as_ref(),
                // A closed window only stops the progress, not the export.
                &|stage| {
                    let _ = on_progress.send(stage);
                },
                &cancel,
            )
        })
        .await
}

/// Stops the export under way; it ends with `cancelled` and leaves no file behind.
#[command]
pub async fn export_cancel(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.export_cancel.store(true, Ordering::SeqCst);
    Ok(())
}

/// The export log, newest first: every export, or `patient`'s.
#[command]
pub async fn export_list(
    state: State<'_, AppState>,
    patient: Option<String>,
) -> Result<Vec<ExportEntry>, ApiError> {
    state
        .with_session(move |s| export::list(s, patient.as_deref()))
        .await
}

/// Checks the file at `path` (a typed path): a PDF by its seal and content, a photo or
/// scan of a printed page (PNG or JPEG) by the seal's QR code, a JSON, CSV or encrypted
/// export against the export log. A refusal (`integrity`) says why it is not genuine.
#[command]
pub async fn export_verify(
    state: State<'_, AppState>,
    path: String,
) -> Result<Verification, ApiError> {
    let path = typed_path("path", &path)?;
    state
        .with_session(move |s| {
            let bytes = std::fs::read(&path).map_err(|e| Error::Invalid {
                field: "path",
                message: format!("cannot read {}: {}", path.display(), e.kind()),
            })?;
            let mut scanner = tessera_camera::Scanner::this_executable()
                .map_err(|_| Error::Internal("the QR decoder could not start"))?;
            export::verify_any(s, &bytes, &mut |image| {
                scanner.scan_image(image).map_err(|e| Error::Invalid {
                    field: "path",
                    message: e.to_string(),
                })
            })
        })
        .await
}

/// Checks a seal's text read from a photo, a scan or the camera (a printed page): where the
/// page came from, not what it says.
#[command]
pub async fn export_verify_seal(
    state: State<'_, AppState>,
    token: String,
) -> Result<Verification, ApiError> {
    state
        .with_session(move |s| export::verify_seal(s, &token))
        .await
}
