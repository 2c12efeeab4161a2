//! Signing in and out, and keeping the session alive while someone works.

use std::sync::Arc;
use std::time::Duration;

use tauri::{AppHandle, State};
use tessera_app_macros::command;
use tessera_core::policy::Principal;
use tessera_core::settings;
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
        let Principal::Staff(role) = session.actor().principal else {
            return Err(ApiError::new(
                ErrorCode::Denied,
                "sign in as a staff member",
            ));
        };
        let info = SessionInfo {
            username: session.actor().username.clone(),
            role,
            auto_lock_minutes: minutes,
            permissions: session.permitted(),
            upgrade: session.upgrade().cloned(),
        };
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
