//! Signing in and out, and keeping the session alive while someone works.

use std::sync::Arc;
use std::time::Duration;

use tauri::{AppHandle, State};
use tessera_app_macros::command;
use tessera_core::accounts::{self, StaffAccount};
use tessera_core::policy::Role;
use tessera_core::settings;
use tessera_core::store::recovery::RecoveryKey;
use tessera_core::vault::{self, Credentials};

use crate::api_error::{ApiError, ErrorCode};
use crate::autolock::{self, LockReason};
use crate::boot_clock::BootInstant;
use crate::secret::Secret;
use crate::state::{self, AppState, SessionInfo, Unlocked, blocking};

/// Signs in; a wrong password or a locked-out account is refused with why.
#[command]
pub async fn session_unlock(
    state: State<'_, AppState>,
    username: String,
    password: Secret,
) -> Result<SessionInfo, ApiError> {
    let dir = state.vault_dir.clone();
    let override_secs = state.auto_lock_override;
    let unlocked = std::sync::Arc::clone(&state.unlocked);
    blocking(move || {
        let mut session = vault::unlock(
            &dir,
            &Credentials::Password {
                username: &username,
                password: &password,
            },
        )?;
        let minutes = settings::get(&mut session)?.auto_lock_minutes;
        let info = SessionInfo::of(&session, minutes)?;
        // Signing in replaces any session still open (its keys are wiped on drop).
        *state::lock(&unlocked) = Some(Unlocked {
            session,
            info: info.clone(),
            last_activity: BootInstant::now(),
            auto_lock: override_secs.unwrap_or(Duration::from_secs(u64::from(minutes) * 60)),
        });
        Ok(info)
    })
    .await
}

/// Locks at the user's request: a backup under way is stopped, the session's keys are
/// wiped, the UI is told.
#[command]
pub async fn session_lock(app: AppHandle, state: State<'_, AppState>) -> Result<(), ApiError> {
    let unlocked = Arc::clone(&state.unlocked);
    let cancel = Arc::clone(&state.backup_cancel);
    // Waiting for a backup to notice the cancel must not hold up the async runtime.
    blocking(move || {
        drop(state::lock_now(&unlocked, &cancel));
        Ok(())
    })
    .await?;
    autolock::notify(&app, LockReason::Manual);
    Ok(())
}

/// Changes the signed-in user's own password, proving the current one first (a wrong one
/// counts towards the lock-out). Lifts a required change; returns what the user may now do.
#[command]
pub async fn session_change_password(
    state: State<'_, AppState>,
    current: Secret,
    new_password: Secret,
) -> Result<SessionInfo, ApiError> {
    let unlocked = Arc::clone(&state.unlocked);
    blocking(move || {
        let mut guard = state::lock(&unlocked);
        let open = guard.as_mut().ok_or_else(ApiError::no_session)?;
        open.last_activity = BootInstant::now();
        vault::change_own_password(&mut open.session, &current, &new_password)?;
        open.info = SessionInfo::of(&open.session, open.info.auto_lock_minutes)?;
        Ok(open.info.clone())
    })
    .await
}

/// The active admins, for someone who lost their password and holds the recovery key: the
/// vault is opened with the key, read and closed again (each opening is audited). The app
/// never keeps a recovery-key session.
#[command]
pub async fn recovery_admins(
    state: State<'_, AppState>,
    recovery_key: Secret,
) -> Result<Vec<StaffAccount>, ApiError> {
    let dir = state.vault_dir.clone();
    blocking(move || {
        let key = RecoveryKey::parse(&recovery_key)?;
        let mut session = vault::unlock(&dir, &Credentials::Recovery(&key))?;
        let admins = accounts::list(&mut session)?
            .into_iter()
            .filter(|a| a.role == Role::Admin && a.status == "active")
            .collect();
        Ok(admins)
    })
    .await
}

/// Sets an admin's password with the recovery key, so they can sign in again. The vault is
/// opened with the key only for this change.
#[command]
pub async fn recovery_set_password(
    state: State<'_, AppState>,
    recovery_key: Secret,
    username: String,
    new_password: Secret,
) -> Result<(), ApiError> {
    let dir = state.vault_dir.clone();
    blocking(move || {
        let key = RecoveryKey::parse(&recovery_key)?;
        let mut session = vault::unlock(&dir, &Credentials::Recovery(&key))?;
        let is_admin = accounts::list(&mut session)?
            .iter()
            .any(|a| a.username == username && a.role == Role::Admin);
        if !is_admin {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                "the recovery key sets admins' passwords here; choose an admin",
            ));
        }
        accounts::set_password(&mut session, &username, &new_password)?;
        Ok(())
    })
    .await
}

/// Counts as activity (typing, clicking) for the auto-lock, without touching the vault.
#[command]
pub async fn session_touch(state: State<'_, AppState>) -> Result<(), ApiError> {
    match state::lock(&state.unlocked).as_mut() {
        Some(open) => {
            open.last_activity = BootInstant::now();
            Ok(())
        }
        None => Err(ApiError::no_session()),
    }
}
