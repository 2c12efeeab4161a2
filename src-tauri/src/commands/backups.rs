//! Backups: the status and history, a backup made now (progress over a channel, cancel by a
//! second command), verifying and restoring a file, pruning, and the schedule that
//! `scheduler` runs. Paths are typed by the user (no file dialogs); who may do what is
//! decided in core.
//!
//! Verifying and restoring read a backup without the open session: the backup's own key
//! slots are opened with the signed-in user's name and the password typed again in the
//! dialog (the session never keeps it). A real restore replaces the vault directory, which
//! no session may hold open, so it signs out first.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use tauri::State;
use tauri::ipc::Channel;
use tessera_app_macros::command;
use tessera_core::archive::{self, Decryption, Encryption};
use tessera_core::backup::{
    self, BackupRecord, BackupSchedule, BackupStatus, CreateOptions, Progress, PruneReport,
    RestoreOptions, RestoreReport, ScheduledRun, Trigger, VerifyReport,
};
use tessera_core::vault::Credentials;
use tessera_core::{Error, Session};

use crate::api_error::ApiError;
use crate::boot_clock::BootInstant;
use crate::input::{given, invalid, typed_path};
use crate::secret::Secret;
use crate::state::{self, AppState, blocking};

/// Whether backups are current (for the overdue warning). Not counted as activity.
#[command]
pub async fn backup_status(state: State<'_, AppState>) -> Result<BackupStatus, ApiError> {
    // The UI reads this on its own after a scheduled backup: not the user's activity.
    state.with_session_quietly(backup::status).await
}

/// Every backup attempt, newest first.
#[command]
pub async fn backup_list(state: State<'_, AppState>) -> Result<Vec<BackupRecord>, ApiError> {
    state.with_session(backup::list).await
}

/// The backup schedule and its destinations.
#[command]
pub async fn backup_schedule_get(state: State<'_, AppState>) -> Result<BackupSchedule, ApiError> {
    state.with_session(backup::schedule).await
}

/// Saves the schedule: its folders and the age public key its backups are encrypted to.
#[command]
pub async fn backup_schedule_set(
    state: State<'_, AppState>,
    schedule: BackupSchedule,
) -> Result<BackupSchedule, ApiError> {
    let destinations = schedule
        .destinations
        .iter()
        .filter(|d| !d.trim().is_empty())
        .map(|d| typed_path("destination", d).map(|p| p.display().to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let schedule = BackupSchedule {
        destinations,
        recipient: schedule
            .recipient
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty()),
        ..schedule
    };
    state
        .with_session(move |s| backup::set_schedule(s, schedule))
        .await
}

/// Writes a backup into `destination` now, encrypted to `passphrase` or to the age public
/// key `recipient`, reporting progress on `on_progress`. `backup_cancel` stops it. Admins.
#[command]
pub async fn backup_create(
    state: State<'_, AppState>,
    destination: String,
    passphrase: Option<Secret>,
    recipient: Option<String>,
    full: bool,
    on_progress: Channel<Progress>,
) -> Result<BackupRecord, ApiError> {
    let options = CreateOptions {
        destination: typed_path("destination", &destination)?,
        encryption: encryption(passphrase, recipient)?,
        full,
        trigger: Trigger::Manual,
    };
    with_backup_slot(&state, on_progress, move |s, progress, cancel| {
        backup::create(s, &options, progress, cancel)
    })
    .await
}

/// Runs the backup an admin configured, now, to each of its folders and encrypted to its
/// public key, reporting progress on `on_progress`. For everyone who may not choose a folder.
#[command]
pub async fn backup_run_now(
    state: State<'_, AppState>,
    on_progress: Channel<Progress>,
) -> Result<Vec<ScheduledRun>, ApiError> {
    with_backup_slot(&state, on_progress, |s, progress, cancel| {
        backup::run_now(s, &mut |_, p| progress(p), cancel)
    })
    .await
}

/// Runs `work` on the session while holding the one backup slot (a scheduled backup may be
/// under way), with progress throttled onto `on_progress` and the shared cancel flag.
async fn with_backup_slot<T: Send + 'static>(
    state: &State<'_, AppState>,
    on_progress: Channel<Progress>,
    work: impl FnOnce(&mut Session, &mut dyn FnMut(Progress), &AtomicBool) -> tessera_core::Result<T>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let cancel = Arc::clone(&state.backup_cancel);
    let running = Arc::clone(&state.backup_running);
    state
        .with_session(move |s| {
            let _running = state::try_backup_slot(&running).ok_or_else(|| {
                Error::Conflict(
                    "a scheduled backup is under way; try again when it has finished".into(),
                )
            })?;
            cancel.store(false, Ordering::SeqCst);
            let mut throttle = Throttle::default();
            work(
                s,
                &mut |p| {
                    if throttle.due(&p) {
                        // A closed window only stops the progress, not the backup.
                        let _ = on_progress.send(p);
                    }
                },
                &cancel,
            )
        })
        .await
}

/// Stops the backup under way, made now or by the schedule. It ends with `cancelled` and
/// leaves no file behind.
#[command]
pub async fn backup_cancel(state: State<'_, AppState>) -> Result<(), ApiError> {
    state.backup_cancel.store(true, Ordering::SeqCst);
    Ok(())
}

/// Checks a backup file completely, with its passphrase (or an age identity file) and the
/// signed-in user's password, then records in the history that it was verified.
#[command]
pub async fn backup_verify(
    state: State<'_, AppState>,
    file: String,
    passphrase: Option<Secret>,
    identity_file: Option<String>,
    password: Secret,
) -> Result<VerifyReport, ApiError> {
    let username = state.username()?;
    let file = typed_path("file", &file)?;
    let live = state.vault_dir.clone();
    touch(&state);
    let report = blocking(move || {
        let key = decryption(passphrase, identity_file)?;
        let credentials = Credentials::Password {
            username: &username,
            password: &password,
        };
        Ok(backup::verify(&file, &key, &credentials, Some(&live))?)
    })
    .await?;
    let verified = report.clone();
    state
        .with_session(move |s| backup::mark_verified(s, &verified))
        .await?;
    Ok(report)
}

/// Restores a backup into the app's vault directory. A dry run checks everything and
/// reports what would change. A real run signs out first (no session may hold the vault
/// being replaced) and the UI returns to sign-in whatever the outcome; the replaced vault is
/// kept beside the restored one. Signed in, it acts as the signed-in user; signed out (a
/// vault too damaged to open), as `username`, whose password must open the backup: the
/// same authority `tessera backup restore` asks for. Patients erased since the backup are
/// erased again; when the vault being replaced cannot be read, that needs `override_reason`.
#[command]
#[allow(clippy::too_many_arguments)]
pub async fn backup_restore(
    state: State<'_, AppState>,
    file: String,
    passphrase: Option<Secret>,
    identity_file: Option<String>,
    username: Option<String>,
    password: Secret,
    dry_run: bool,
    override_reason: Option<String>,
) -> Result<RestoreReport, ApiError> {
    let options = RestoreOptions {
        file: typed_path("file", &file)?,
        target: state.vault_dir.clone(),
        dry_run,
        override_reason,
    };
    let signed_in = state.username().ok();
    let username = match (signed_in, username) {
        (Some(signed_in), _) => signed_in,
        (None, Some(typed)) if !typed.trim().is_empty() => typed,
        (None, _) => return Err(ApiError::no_session()),
    };
    // Read the key before signing out, so a mistyped identity file path keeps the session.
    let key = blocking(move || decryption(passphrase, identity_file)).await?;
    if dry_run {
        touch(&state);
        let report = blocking(move || {
            let credentials = Credentials::Password {
                username: &username,
                password: &password,
            };
            Ok(backup::restore(&options, &key, &credentials)?)
        })
        .await?;
        touch(&state);
        return Ok(report);
    }
    // A backup under way is about to be replaced: stop it rather than wait for it to finish,
    // then wait for it to stop (a scheduled one runs on a session of its own, which keeps
    // the vault in use until it ends).
    state.backup_cancel.store(true, Ordering::SeqCst);
    let unlocked = Arc::clone(&state.unlocked);
    let running = Arc::clone(&state.backup_running);
    blocking(move || {
        let _no_backup = running.lock().unwrap_or_else(PoisonError::into_inner);
        // Anchors the audit log, closes the database, wipes the keys, releases the vault
        // (when a session was open: a damaged vault is restored signed out).
        drop(state::lock(&unlocked).take());
        let credentials = Credentials::Password {
            username: &username,
            password: &password,
        };
        Ok(backup::restore(&options, &key, &credentials)?)
    })
    .await
}

/// Removes old backups in `destination`: beyond the newest `keep_last` and older than
/// `keep_days`, never one a kept backup needs. A dry run only lists them.
#[command]
pub async fn backup_prune(
    state: State<'_, AppState>,
    destination: String,
    keep_last: u32,
    keep_days: u32,
    dry_run: bool,
) -> Result<PruneReport, ApiError> {
    let destination = typed_path("destination", &destination)?;
    state
        .with_session(move |s| backup::prune(s, &destination, keep_last, keep_days, dry_run))
        .await
}

/// Counts as activity: checking a large backup takes a while, and the user is waiting for it.
fn touch(state: &AppState) {
    if let Some(open) = state::lock(&state.unlocked).as_mut() {
        open.last_activity = BootInstant::now();
    }
}

/// How often progress reaches the UI at most: a backup of many small photos reports after
/// each one, far more often than a progress bar can show.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Lets progress through at most every [`PROGRESS_EVERY`], and always the first and the last.
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    last: Option<Instant>,
}

impl Throttle {
    pub(crate) fn due(&mut self, progress: &Progress) -> bool {
        self.due_at(progress, Instant::now())
    }

    fn due_at(&mut self, progress: &Progress, now: Instant) -> bool {
        let last_one = progress.done_bytes >= progress.total_bytes;
        let due = last_one
            || self
                .last
                .is_none_or(|at| now.duration_since(at) >= PROGRESS_EVERY);
        if due {
            self.last = Some(now);
        }
        due
    }
}

/// How a new backup is encrypted: a passphrase or an age public key, exactly one.
pub(crate) fn encryption(
    passphrase: Option<Secret>,
    recipient: Option<String>,
) -> Result<Encryption, ApiError> {
    let recipient = recipient.filter(|r| !r.trim().is_empty());
    match (given(passphrase), recipient) {
        (Some(p), None) => {
            archive::check_new_passphrase(&p)?;
            Ok(Encryption::Passphrase(p.into()))
        }
        (None, Some(key)) => Ok(Encryption::recipients(&[key])?),
        (Some(_), Some(_)) => Err(invalid(
            "passphrase",
            "give a passphrase or an age public key, not both",
        )),
        (None, None) => Err(invalid(
            "passphrase",
            "give a passphrase or an age public key",
        )),
    }
}

/// What opens a backup: its passphrase or an age identity file, exactly one.
pub(crate) fn decryption(
    passphrase: Option<Secret>,
    identity_file: Option<String>,
) -> Result<Decryption, ApiError> {
    let identity_file = identity_file.filter(|f| !f.trim().is_empty());
    match (given(passphrase), identity_file) {
        (Some(p), None) => Ok(Decryption::Passphrase(p.into())),
        (None, Some(file)) => Ok(Decryption::identity_file(&typed_path("identity", &file)?)?),
        (Some(_), Some(_)) => Err(invalid(
            "passphrase",
            "give the passphrase or an identity file, not both",
        )),
        (None, None) => Err(invalid(
            "passphrase",
            "give the backup's passphrase or an age identity file",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_error::ErrorCode;

    /// The public key from age's own documentation.
    const RECIPIENT: &str = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";

    fn field(e: ApiError) -> (ErrorCode, Option<String>) {
        (e.code, e.field)
    }

    #[test]
    fn a_new_backup_takes_one_passphrase_of_twelve_characters_or_one_age_key() {
        let some = |s: &str| Some(s.to_owned());
        let secret = |s: &str| Some(Secret::from(s.to_owned()));
        assert!(matches!(
            encryption(secret("twelve chars"), None),
            Ok(Encryption::Passphrase(_))
        ));
        assert!(matches!(
            encryption(None, some(&format!("  {RECIPIENT} "))),
            Ok(Encryption::Recipients(keys)) if keys.len() == 1
        ));
        // Empty fields count as not given.
        assert!(matches!(
            encryption(secret(""), some(RECIPIENT)),
            Ok(Encryption::Recipients(_))
        ));
        let refused = |p: Option<Secret>, r: Option<String>| match encryption(p, r) {
            Err(e) => field(e),
            Ok(e) => panic!("accepted {e:?}"),
        };
        let passphrase = (ErrorCode::Invalid, some("passphrase"));
        assert_eq!(refused(secret("eleven char"), None), passphrase);
        assert_eq!(refused(None, None), passphrase);
        assert_eq!(refused(secret(""), some("  ")), passphrase);
        assert_eq!(
            refused(secret("twelve chars"), some(RECIPIENT)),
            passphrase,
            "not both"
        );
        assert_eq!(
            refused(None, some("age1nope")),
            (ErrorCode::Invalid, some("recipient"))
        );
    }

    #[test]
    fn a_backup_opens_with_its_passphrase_or_an_identity_file() {
        assert!(matches!(
            decryption(Some(Secret::from("short is fine".to_owned())), None),
            Ok(Decryption::Passphrase(_))
        ));
        let missing = decryption(None, Some("/nonexistent/key.txt".into())).unwrap_err();
        assert_eq!(missing.code, ErrorCode::Internal, "{missing:?}");
        assert!(missing.message.contains("/nonexistent/key.txt"));
        assert_eq!(
            decryption(None, Some("relative/key.txt".into()))
                .unwrap_err()
                .field
                .as_deref(),
            Some("identity")
        );
        assert_eq!(
            decryption(None, None).unwrap_err().field.as_deref(),
            Some("passphrase")
        );
    }

    #[test]
    fn progress_reaches_the_ui_at_most_every_100_ms_but_always_first_and_last() {
        let p = |done| Progress {
            done_bytes: done,
            total_bytes: 100,
        };
        let start = Instant::now();
        let mut throttle = Throttle::default();
        assert!(throttle.due_at(&p(1), start), "the first");
        assert!(!throttle.due_at(&p(2), start + Duration::from_millis(10)));
        assert!(!throttle.due_at(&p(3), start + Duration::from_millis(99)));
        assert!(throttle.due_at(&p(4), start + Duration::from_millis(100)));
        assert!(!throttle.due_at(&p(5), start + Duration::from_millis(150)));
        assert!(
            throttle.due_at(&p(100), start + Duration::from_millis(151)),
            "the last"
        );
    }
}
