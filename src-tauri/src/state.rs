//! What the shell holds between commands: where the vault is, and the unlocked session.
//!
//! Every command that touches the vault goes through [`AppState::with_session`], which runs
//! the core call on a blocking thread and counts as activity for the auto-lock.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use serde::Serialize;
use tessera_core::Session;
use tessera_core::policy::{Action, Role};
use ts_rs::TS;

use crate::api_error::{ApiError, ErrorCode};
use crate::boot_clock::BootInstant;

/// Who is signed in, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SessionInfo {
    /// User name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Minutes of inactivity before the vault locks itself.
    pub auto_lock_minutes: u32,
    /// Every action core's policy lets this user take: the UI offers only these.
    pub permissions: Vec<Action>,
}

#[derive(Debug)]
pub(crate) struct Unlocked {
    pub(crate) session: Session,
    pub(crate) info: SessionInfo,
    pub(crate) last_activity: BootInstant,
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
    /// Set to stop the backup under way (made now or by the schedule); each backup clears it
    /// when it starts.
    pub(crate) backup_cancel: Arc<AtomicBool>,
    /// Held by the backup under way: one at a time, whoever started it.
    pub(crate) backup_running: Arc<Mutex<()>>,
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
            backup_cancel: Arc::new(AtomicBool::new(false)),
            backup_running: Arc::new(Mutex::new(())),
        }
    }

    /// Runs `f` on the open session on a blocking thread; refuses when the vault is locked.
    /// It counts as activity for the auto-lock, from its start to its end (a long backup is
    /// not idle time).
    pub async fn with_session<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session) -> tessera_core::Result<T> + Send + 'static,
    {
        self.on_session(true, f).await
    }

    /// Like [`AppState::with_session`], but not counted as activity: for what the UI reads
    /// on its own (the backup status after a scheduled backup), which must not keep an
    /// unattended session open.
    pub async fn with_session_quietly<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session) -> tessera_core::Result<T> + Send + 'static,
    {
        self.on_session(false, f).await
    }

    async fn on_session<T, F>(&self, activity: bool, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Session) -> tessera_core::Result<T> + Send + 'static,
    {
        let unlocked = Arc::clone(&self.unlocked);
        blocking(move || {
            let mut guard = lock(&unlocked);
            let open = guard.as_mut().ok_or_else(ApiError::no_session)?;
            if activity {
                open.last_activity = BootInstant::now();
            }
            let result = f(&mut open.session).map_err(ApiError::from);
            if activity {
                open.last_activity = BootInstant::now();
            }
            result
        })
        .await
    }

    /// The signed-in user's name, or `no_session`.
    pub fn username(&self) -> Result<String, ApiError> {
        lock(&self.unlocked)
            .as_ref()
            .map(|open| open.info.username.clone())
            .ok_or_else(ApiError::no_session)
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

/// Takes the backup slot if no backup holds it. A backup that panicked leaves it poisoned,
/// yet free: the next one may run.
pub(crate) fn try_backup_slot(running: &Mutex<()>) -> Option<MutexGuard<'_, ()>> {
    match running.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}

/// Locks the session slot (or another of the shell's slots). A command that panicked while
/// holding it leaves it poisoned; the slot is still taken, so the auto-lock and sign-out
/// keep working (an open transaction was rolled back when the panic unwound).
pub(crate) fn lock<T>(slot: &Mutex<T>) -> MutexGuard<'_, T> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}
