//! Staff accounts, and replacing the vault key after one leaves (admins).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tessera_app_macros::command;
use tessera_core::accounts::{self, NewStaff, StaffAccount};
use tessera_core::credentials::{self, Credentials, ExpiringCertification, ProviderCredentials};
use tessera_core::policy::Role;
use tessera_core::progress::Progress;
use tessera_core::vault;

use crate::api_error::ApiError;
use crate::autolock::{self, LockReason};
use crate::commands::backups::Throttle;
use crate::secret::Secret;
use crate::state::{self, AppState, blocking};

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
                must_change_password: true,
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

/// An account and the password an admin hands over, shown once; its owner must replace it at
/// the first sign-in.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct HandedOverPassword {
    /// The account after the change.
    pub account: StaffAccount,
    /// A temporary password (four groups of four characters).
    pub password: String,
}

/// Re-enables a disabled account with a temporary password, shown once (admins).
#[command]
pub async fn staff_enable(
    state: State<'_, AppState>,
    username: String,
) -> Result<HandedOverPassword, ApiError> {
    state
        .with_session(move |s| hand_over(|password| accounts::enable(s, &username, password, true)))
        .await
}

/// Gives a colleague a temporary password, shown once, which they must replace at their next
/// sign-in; it also lifts a lock-out (admins).
#[command]
pub async fn staff_reset(
    state: State<'_, AppState>,
    username: String,
) -> Result<HandedOverPassword, ApiError> {
    state
        .with_session(move |s| {
            hand_over(|password| accounts::reset_password(s, &username, password))
        })
        .await
}

/// Makes a temporary password, gives it to `give` and returns it with the account `give`
/// changed, to be shown once.
fn hand_over(
    give: impl FnOnce(&str) -> tessera_core::Result<StaffAccount>,
) -> tessera_core::Result<HandedOverPassword> {
    let password = accounts::temporary_password()?;
    let account = give(&password)?;
    Ok(HandedOverPassword {
        account,
        password: password.to_string(),
    })
}

/// A staff member's licence, specialisations, certifications and verification; `None` when
/// none were recorded.
#[command]
pub async fn credential_show(
    state: State<'_, AppState>,
    username: String,
) -> Result<Option<ProviderCredentials>, ApiError> {
    state
        .with_session(move |s| credentials::show(s, &username))
        .await
}

/// Sets a staff member's credentials (admins; verification too). `expected_version` is the
/// version the form was based on, `None` for the first; a stale one is a conflict.
#[command]
pub async fn credential_set(
    state: State<'_, AppState>,
    username: String,
    credentials: Credentials,
    expected_version: Option<u32>,
) -> Result<ProviderCredentials, ApiError> {
    state
        .with_session(move |s| credentials::set(s, &username, credentials, expected_version))
        .await
}

/// Certifications of active staff that expired or expire within `days`, soonest first.
#[command]
pub async fn credential_expiring(
    state: State<'_, AppState>,
    days: u32,
) -> Result<Vec<ExpiringCertification>, ApiError> {
    state
        .with_session(move |s| credentials::expiring(s, i64::from(days)))
        .await
}

/// What replacing the vault key did, and the new recovery key, shown once.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct VaultRekeyed {
    /// Staff accounts whose sign-in now opens the new key.
    pub accounts: u32,
    /// Photo files re-encrypted.
    #[ts(type = "number")]
    pub photo_files: u64,
    /// The new recovery key in groups of five; the old one no longer opens the vault.
    pub recovery_key: String,
}

/// Replaces the vault's data key: the database and every photo re-encrypted, every
/// account's key slot re-wrapped, a new recovery key (admins). Progress on `on_progress`.
/// Refused while another window or command has the vault open.
#[command]
pub async fn vault_rekey(
    app: AppHandle,
    state: State<'_, AppState>,
    on_progress: Channel<Progress>,
) -> Result<VaultRekeyed, ApiError> {
    let rekeyed = state
        .with_session(move |s| {
            let mut throttle = Throttle::default();
            let mut progress = |p: Progress| {
                if throttle.due(&p) {
                    let _ = on_progress.send(p);
                }
            };
            let done = vault::rekey(s, &mut progress, &AtomicBool::new(false))?;
            Ok(VaultRekeyed {
                accounts: done.accounts,
                photo_files: done.photo_files,
                recovery_key: done.recovery_key.display().to_string(),
            })
        })
        .await;
    // Stopped half-way through its switch, the session's database is closed: sign out, so
    // the next sign-in finishes the switch (the error says so).
    if rekeyed
        .as_ref()
        .is_err_and(|e| e.code == crate::api_error::ErrorCode::NoSession)
    {
        let unlocked = Arc::clone(&state.unlocked);
        let cancel = Arc::clone(&state.backup_cancel);
        blocking(move || {
            drop(state::lock_now(&unlocked, &cancel));
            Ok(())
        })
        .await?;
        autolock::notify(&app, LockReason::Manual);
    }
    rekeyed
}
