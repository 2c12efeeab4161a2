//! Staff accounts (admins).

use tauri::State;
use tessera_app_macros::command;
use tessera_core::accounts::{self, NewStaff, StaffAccount};
use tessera_core::policy::Role;

use crate::api_error::ApiError;
use crate::secret::Secret;
use crate::state::AppState;

/// Every staff account (admins).
#[command]
pub async fn staff_list(state: State<'_, AppState>) -> Result<Vec<StaffAccount>, ApiError> {
    state.with_session(accounts::list).await
}

/// Adds a staff account with its first password (admins).
#[command]
pub async fn staff_add(
    state: State<'_, AppState>,
    username: String,
    display_name: String,
    role: Role,
    password: Secret,
) -> Result<StaffAccount, ApiError> {
    state
        .with_session(move |s| {
            let new = NewStaff {
                username: &username,
                display_name: &display_name,
                role,
            };
            accounts::add(s, &new, &password)
        })
        .await
}

/// Disables an account and removes its key slot (admins).
#[command]
pub async fn staff_disable(
    state: State<'_, AppState>,
    username: String,
    reason: Option<String>,
) -> Result<StaffAccount, ApiError> {
    state
        .with_session(move |s| accounts::disable(s, &username, reason.as_deref()))
        .await
}
