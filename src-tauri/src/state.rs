//! What the shell holds between commands: where the vault is, and the unlocked session.
//!
//! Every command that touches the vault goes through [`AppState::with_session`], which runs
//! the core call on a blocking thread and counts as activity for the auto-lock.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;
use tessera_core::Session;
use tessera_core::policy::Role;
use ts_rs::TS;

use crate::api_error::{ApiError, ErrorCode};

/// Who is signed in, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SessionInfo {
    /// User name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Minutes of inactivity before the vault locks itself.
    pub auto_lock_minutes: u32,
}

#[derive(Debug)]
pub(crate) struct Unlocked {
    pub(crate) session: Session,
    pub(crate) info: SessionInfo,
    pub(crate) last_activity: Instant,
    pub(crate) auto_lock: Duration,
}

/// The shell's managed state.
#[derive(Debug)]
pub struct AppState {
    /// The vault directory this window works on.
    pub vault_dir: PathBuf,
    /// Where the UI's own preferences (language) are kept.
    pub config_dir: PathBuf,
    /// Overrides the vault's auto-lock, in seconds (end-to-end tests).
    pub auto_lock_override: Option<Duration>,
    pub(crate) unlocked: Arc<Mutex<Option<Unlocked>>>,
}

impl AppState {
    pub fn new(
        vault_dir: PathBuf,
        config_dir: PathBuf,
        auto_lock_override: Option<Duration>,
    ) -> Self {
        AppState {
            vault_dir,
            config_dir,
            auto_lock_override,
            unlocked: Arc::new(Mutex::new(None)),
        }
    }

    /// Runs `f` on the open session on a blocking thread; refuses when the vault is locked.
    pub async fn with_session<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session) -> tessera_core::Result<T> + Send + 'static,
    {
        let unlocked = Arc::clone(&self.unlocked);
        blocking(move || {
            let mut guard = lock(&unlocked);
            let open = guard.as_mut().ok_or_else(ApiError::no_session)?;
            open.last_activity = Instant::now();
            f(&mut open.session).map_err(ApiError::from)
        })
        .await
    }
}

/// Runs blocking work (Argon2, SQLCipher, fsync) off the async runtime.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, ApiError> + Send + 'static,
{
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("the task failed: {e}")))?
}

/// Locks the session slot. A command that panicked while holding it leaves it poisoned; the
/// slot is still taken, so the auto-lock and sign-out keep working (an open transaction was
/// rolled back when the panic unwound).
pub(crate) fn lock(unlocked: &Mutex<Option<Unlocked>>) -> MutexGuard<'_, Option<Unlocked>> {
    unlocked.lock().unwrap_or_else(PoisonError::into_inner)
}
