//! A patient's rights over their record: erasure (the right to be forgotten) and the subject
//! access export (everything held, in one archive). Admins only, decided in core.

use tauri::State;
use tessera_app_macros::command;
use tessera_core::archive::Encryption;
use tessera_core::erasure::{self, ErasureMode, ErasureReport};
use tessera_core::subject_export::{self, SubjectExport};

use crate::api_error::ApiError;
use crate::input::{given, typed_path};
use crate::secret::Secret;
use crate::state::AppState;

/// Erases `patient` (id or human id): every row removed, or the record anonymised. The admin
/// types the patient's human id again as `confirmation`; core checks it against the record
/// before anything changes, and decides who may erase.
#[command]
pub async fn patient_erase(
    state: State<'_, AppState>,
    patient: String,
    mode: ErasureMode,
    confirmation: String,
) -> Result<ErasureReport, ApiError> {
    state
        .with_session(move |s| erasure::erase_confirmed(s, &patient, mode, &confirmation))
        .await
}

/// Writes everything held on `patient` to a new tar archive at `out`, a file path typed by
/// the user (`~` is the home directory; an existing file is refused); with a `passphrase`,
/// inside an age file (core wants 12 characters).
#[command]
pub async fn patient_subject_export(
    state: State<'_, AppState>,
    patient: String,
    out: String,
    passphrase: Option<Secret>,
) -> Result<SubjectExport, ApiError> {
    let out = typed_path("out", &out)?;
    let encryption = given(passphrase).map(|p| Encryption::Passphrase(p.into()));
    state
        .with_session(move |s| {
            subject_export::subject_export(s, &patient, &out, encryption.as_ref())
        })
        .await
}
