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
use tessera_core::policy::{Action, Principal, Role};
use tessera_core::vault::Upgrade;
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
    /// The upgrade of the vault's format this sign-in made, if it was the first after a
    /// newer Tessera was installed: the UI says so, and where the earlier copy is.
    pub upgrade: Option<Upgrade>,
    /// Someone else chose this password: the user must choose their own before anything else
    /// (`permissions` then holds nothing more).
    pub must_change_password: bool,
}

impl SessionInfo {
    /// What the UI is told about `session`'s user; refused for the recovery key, which the
    /// app opens only to repair an admin's password, never as a session.
    pub(crate) fn of(session: &Session, auto_lock_minutes: u32) -> Result<SessionInfo, ApiError> {
        let actor = session.actor();
        let Principal::Staff(role) = actor.principal else {
            return Err(ApiError::new(
                ErrorCode::Denied,
                "sign in as a staff member",
            ));
        };
        Ok(SessionInfo {
            username: actor.username.clone(),
            role,
            auto_lock_minutes,
            permissions: session.permitted(),
            upgrade: session.upgrade().cloned(),
            must_change_password: actor.must_change_password,
        })
    }
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
    /// Set to stop the export under way.
    pub(crate) export_cancel: Arc<AtomicBool>,
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
            export_cancel: Arc::new(AtomicBool::new(false)),
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

/// Locks the vault now: stops any backup under way (made now or by the schedule; it ends
/// as cancelled and leaves no file), which would otherwise hold the session, and the keys
/// with it, until it finished; then takes the session out, for the caller to drop.
pub(crate) fn lock_now(
    unlocked: &Mutex<Option<Unlocked>>,
    backup_cancel: &AtomicBool,
) -> Option<Unlocked> {
    backup_cancel.store(true, std::sync::atomic::Ordering::SeqCst);
    lock(unlocked).take()
}

/// Locks the session slot (or another of the shell's slots). A command that panicked while
/// holding it leaves it poisoned; the slot is still taken, so the auto-lock and sign-out
/// keep working (an open transaction was rolled back when the panic unwound).
pub(crate) fn lock<T>(slot: &Mutex<T>) -> MutexGuard<'_, T> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A real vault, unlocked as the shell holds it, for the shell's unit tests.
#[cfg(test)]
pub(crate) mod test_vault {
    use std::path::Path;
    use std::sync::Mutex;
    use std::time::Duration;

    use tessera_core::crypto::Argon2Params;
    use tessera_core::policy::{Principal, Role};
    use tessera_core::vault::{self, Credentials, NewVault};

    use super::{SessionInfo, Unlocked};
    use crate::boot_clock::BootInstant;

    /// The public key from age's own documentation (no scrypt: fast to encrypt to).
    pub(crate) const RECIPIENT: &str =
        "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
    const PASSWORD: &str = "correct horse battery";

    pub(crate) fn unlocked(dir: &Path) -> Mutex<Option<Unlocked>> {
        vault::create(
            dir,
            &NewVault {
                admin_username: "ana",
                admin_display_name: "Ana",
                admin_password: PASSWORD,
                kdf: Argon2Params::MINIMUM,
            },
        )
        .unwrap();
        let session = vault::unlock(
            dir,
            &Credentials::Password {
                username: "ana",
                password: PASSWORD,
            },
        )
        .unwrap();
        assert_eq!(session.actor().principal, Principal::Staff(Role::Admin));
        Mutex::new(Some(Unlocked {
            session,
            info: SessionInfo {
                username: "ana".into(),
                role: Role::Admin,
                auto_lock_minutes: 5,
                permissions: Vec::new(),
                upgrade: None,
                must_change_password: false,
            },
            last_activity: BootInstant::now(),
            auto_lock: Duration::from_secs(300),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};

    use tessera_core::Error;
    use tessera_core::archive::Encryption;
    use tessera_core::backup::{self, CreateOptions, Trigger};

    use super::lock_now;
    use super::test_vault::{RECIPIENT, unlocked};

    /// Lock pressed while a long backup holds the session: the backup stops as cancelled,
    /// leaving no file, and the session (with its keys) is gone as soon as it has.
    #[test]
    fn lock_during_a_long_backup_stops_it_and_locks_at_once() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("usb");
        std::fs::create_dir(&dest).unwrap();
        let state = Arc::new(unlocked(&tmp.path().join("vault")));
        let cancel = Arc::new(AtomicBool::new(false));
        let started = Arc::new(Barrier::new(2));
        let backup = {
            let (state, cancel, started, dest) =
                (state.clone(), cancel.clone(), started.clone(), dest.clone());
            std::thread::spawn(move || {
                let mut guard = state.lock().unwrap();
                let session = &mut guard.as_mut().unwrap().session;
                let options = CreateOptions {
                    destination: dest,
                    encryption: Encryption::recipients(&[RECIPIENT]).unwrap(),
                    full: true,
                    trigger: Trigger::Manual,
                };
                let mut first = true;
                // Each progress report takes a while: a backup of a large vault.
                backup::create(
                    session,
                    &options,
                    &mut |_| {
                        if std::mem::take(&mut first) {
                            started.wait();
                        }
                        std::thread::sleep(Duration::from_millis(200));
                    },
                    &cancel,
                )
            })
        };
        started.wait();
        let pressed = Instant::now();
        let taken = lock_now(&state, &cancel);
        assert!(taken.is_some(), "the session was open");
        drop(taken);
        assert!(
            pressed.elapsed() < Duration::from_secs(5),
            "{:?}",
            pressed.elapsed()
        );
        assert!(state.lock().unwrap().is_none(), "the vault is locked");
        let outcome = backup.join().unwrap();
        assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
        let left: Vec<_> = std::fs::read_dir(&dest).unwrap().collect();
        assert!(
            left.is_empty(),
            "a cancelled backup leaves nothing: {left:?}"
        );
        assert!(cancel.load(Ordering::SeqCst));
    }
}
