//! A patient's consent decisions (practitioners).

use tauri::State;
use tessera_app_macros::command;
use tessera_core::consents::{self, Consent, ConsentStatus, NewConsent};

use crate::api_error::ApiError;
use crate::state::AppState;

/// Every consent decision about a patient, oldest first; `current` marks the one in force
/// for each purpose.
#[command]
pub async fn consent_list(
    state: State<'_, AppState>,
    patient: String,
) -> Result<Vec<Consent>, ApiError> {
    state
        .with_session(move |s| consents::list(s, &patient))
        .await
}

/// Records a decision: consent given for a purpose, or withdrawn (only one in force can be
/// withdrawn). Earlier decisions are kept.
#[command]
pub async fn consent_record(
    state: State<'_, AppState>,
    patient: String,
    purpose: String,
    status: ConsentStatus,
    notes: Option<String>,
) -> Result<Consent, ApiError> {
    state
        .with_session(move |s| {
            let new = NewConsent {
                purpose,
                status,
                evidence_id: None,
                notes,
            };
            consents::record(s, &patient, new)
        })
        .await
}
