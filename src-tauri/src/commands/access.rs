//! Access codes and QR cards: giving and revoking grants on the patient screen, and opening
//! what a code or a scanned QR allows at the desk. What a grant shows is decided in core;
//! its photos are served by `media_protocol` under the grant.

use tauri::State;
use tessera_app_macros::command;
use tessera_core::access::{self, Card, Grant, IssuedGrant, NewGrant, Permission, SharedView};

use crate::api_error::ApiError;
use crate::input::given;
use crate::state::AppState;

/// Gives `patient` a grant opening `permissions` for `hours` (1 to 720): returns the 6-digit
/// code, shown only now, and the QR card.
#[command]
pub async fn access_grant(
    state: State<'_, AppState>,
    patient: String,
    permissions: Vec<Permission>,
    hours: u32,
) -> Result<IssuedGrant, ApiError> {
    let new = NewGrant { permissions, hours };
    state
        .with_session(move |s| access::grant(s, &patient, new))
        .await
}

/// The patient's grants, newest first, active or not.
#[command]
pub async fn access_list(
    state: State<'_, AppState>,
    patient: String,
) -> Result<Vec<Grant>, ApiError> {
    state.with_session(move |s| access::list(s, &patient)).await
}

/// Revokes a grant: its code and QR stop working at once.
#[command]
pub async fn access_revoke(
    state: State<'_, AppState>,
    grant_id: String,
) -> Result<Grant, ApiError> {
    state
        .with_session(move |s| access::revoke(s, &grant_id))
        .await
}

/// A grant's QR card again, to print it (the code cannot be shown again).
#[command]
pub async fn access_card(state: State<'_, AppState>, grant_id: String) -> Result<Card, ApiError> {
    state
        .with_session(move |s| access::reprint(s, &grant_id))
        .await
}

/// Opens what a typed 6-digit code allows; `patient`, when the desk typed the patient's id
/// too, ties the attempt to that patient's grants.
#[command]
pub async fn access_open_code(
    state: State<'_, AppState>,
    code: String,
    patient: Option<String>,
) -> Result<SharedView, ApiError> {
    let patient = given(patient);
    state
        .with_session(move |s| access::open_with_code(s, &code, patient.as_deref()))
        .await
}

/// Opens what a scanned QR token allows.
#[command]
pub async fn access_open_token(
    state: State<'_, AppState>,
    token: String,
) -> Result<SharedView, ApiError> {
    state
        .with_session(move |s| access::open_with_token(s, &token))
        .await
}
