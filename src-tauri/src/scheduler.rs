//! Scheduled backups while the app is unlocked: a thread wakes every minute and, if someone
//! is signed in, asks core to run the backups that are due (`backup::run_due` decides which,
//! and does nothing when the schedule is off or the user's role may not back up). It runs
//! them on a session of its own beside the user's (`vault::open_alongside`), so the user's
//! commands go on meanwhile instead of waiting for a large backup. Only one backup runs at
//! a time: a tick while a backup made now is under way waits for the next minute. Progress
//! and the outcome go to the UI as `scheduled-backup` events; the Cancel of a running backup
//! (`backup_cancel`) stops it.
//!
//! A scheduled backup does not count as activity: an unattended app locks itself on time.
//! A backup under way then finishes on its own session, which is dropped (and its keys with
//! it) when the backup ends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tessera_core::Error;
use tessera_core::backup::{self, Progress, ScheduledRun};
use tessera_core::vault;
use ts_rs::TS;

use crate::commands::backups::Throttle;
use crate::state::{self, AppState, Unlocked};

/// The event name the UI listens to.
pub const SCHEDULED_BACKUP: &str = "scheduled-backup";

/// How often the schedule is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(60);

/// The `scheduled-backup` event's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScheduledBackupEvent {
    /// A scheduled backup is being written.
    Progress {
        /// Its destination, as the schedule names it.
        destination: String,
        /// Bytes written so far and in all.
        progress: Progress,
    },
    /// The backups that were due have run, each with its outcome (one may have failed
    /// while another succeeded: an unplugged drive).
    Finished {
        /// One per destination that was due.
        runs: Vec<ScheduledRun>,
    },
    /// The schedule could not run at all, or was cancelled.
    Failed {
        /// Why.
        message: String,
        /// Whether someone cancelled it.
        cancelled: bool,
    },
}

/// Starts the schedule's thread.
pub fn start(app: AppHandle) {
    let state = app.state::<AppState>();
    let unlocked = Arc::clone(&state.unlocked);
    let running = Arc::clone(&state.backup_running);
    let cancel = Arc::clone(&state.backup_cancel);
    std::thread::spawn(move || {
        let mut failures = Repeats::default();
        let emit = |event: &ScheduledBackupEvent| {
            let _ = app.emit(SCHEDULED_BACKUP, event);
        };
        loop {
            std::thread::sleep(CHECK_EVERY);
            let outcome = tick(&unlocked, &running, &cancel, &mut |e| emit(&e));
            if let Some(event) = failures.filter(outcome) {
                emit(&event);
            }
        }
    });
}

/// One look at the schedule: runs what is due beside the open session (if any, and if no
/// other backup is under way), reporting progress to `progress`, and returns the outcome, or
/// `None` when nothing ran.
pub(crate) fn tick(
    unlocked: &Mutex<Option<Unlocked>>,
    running: &Mutex<()>,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(ScheduledBackupEvent),
) -> Option<ScheduledBackupEvent> {
    let _running = state::try_backup_slot(running)?;
    let alongside = {
        let guard = state::lock(unlocked);
        vault::open_alongside(&guard.as_ref()?.session)
    };
    let mut session = match alongside {
        Ok(session) => session,
        Err(e) => return Some(failed(e)),
    };
    cancel.store(false, Ordering::SeqCst);
    let mut throttle = Throttle::default();
    let result = backup::run_due(
        &mut session,
        &mut |destination, p| {
            if throttle.due(&p) {
                progress(ScheduledBackupEvent::Progress {
                    destination: destination.to_owned(),
                    progress: p,
                });
            }
        },
        cancel,
    );
    match result {
        Ok(runs) if runs.is_empty() => None,
        Ok(runs) => Some(ScheduledBackupEvent::Finished { runs }),
        Err(e) => Some(failed(e)),
    }
}

fn failed(e: Error) -> ScheduledBackupEvent {
    ScheduledBackupEvent::Failed {
        cancelled: matches!(e, Error::Cancelled),
        message: e.to_string(),
    }
}

/// Keeps a failure that repeats every minute (a schedule that cannot run) from being
/// announced every minute: each distinct failure is told once, until something runs.
#[derive(Debug, Default)]
struct Repeats {
    last_failure: Option<String>,
}

impl Repeats {
    fn filter(&mut self, outcome: Option<ScheduledBackupEvent>) -> Option<ScheduledBackupEvent> {
        match &outcome {
            Some(ScheduledBackupEvent::Failed { message, .. }) => {
                if self.last_failure.as_ref() == Some(message) {
                    return None;
                }
                self.last_failure = Some(message.clone());
            }
            Some(_) => self.last_failure = None,
            None => {}
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tessera_core::backup::BackupSchedule;

    use super::*;
    use crate::state::test_vault::{RECIPIENT, unlocked};

    fn set_schedule(unlocked: &Mutex<Option<Unlocked>>, destinations: Vec<String>) {
        let mut guard = unlocked.lock().unwrap();
        let session = &mut guard.as_mut().unwrap().session;
        backup::set_schedule(
            session,
            BackupSchedule {
                enabled: true,
                destinations,
                recipient: Some(RECIPIENT.into()),
                ..BackupSchedule::default()
            },
        )
        .unwrap();
    }

    #[test]
    fn a_due_backup_runs_once_with_progress_and_then_waits_for_its_interval() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("usb");
        std::fs::create_dir(&dest).unwrap();
        let state = unlocked(&tmp.path().join("vault"));
        let cancel = AtomicBool::new(true);

        // The schedule is off: nothing runs.
        let mut events = Vec::new();
        assert_eq!(
            tick(&state, &Mutex::new(()), &cancel, &mut |e| events.push(e)),
            None
        );

        set_schedule(&state, vec![dest.display().to_string()]);
        let activity =
            |s: &Mutex<Option<Unlocked>>| s.lock().unwrap().as_ref().unwrap().last_activity;
        let before = activity(&state);
        let outcome = tick(&state, &Mutex::new(()), &cancel, &mut |e| events.push(e));
        let Some(ScheduledBackupEvent::Finished { runs }) = outcome else {
            panic!("{outcome:?}");
        };
        assert_eq!(runs.len(), 1);
        let record = runs[0].backup.as_ref().expect("the backup was made");
        assert_eq!(record.status, "ok");
        assert_eq!(record.trigger, "scheduled");
        assert!(Path::new(record.file.as_deref().unwrap()).exists());
        assert!(!cancel.load(Ordering::SeqCst), "a stale cancel is cleared");
        let Some(ScheduledBackupEvent::Progress { progress, .. }) = events.last() else {
            panic!("no progress: {events:?}");
        };
        assert_eq!(
            progress.done_bytes, progress.total_bytes,
            "the last is sent"
        );

        assert_eq!(
            activity(&state),
            before,
            "a scheduled backup is not activity"
        );
        assert_eq!(
            tick(&state, &Mutex::new(()), &cancel, &mut |_| {}),
            None,
            "not due again yet"
        );
    }

    #[test]
    fn an_unavailable_destination_is_a_failed_run_and_nothing_runs_when_locked() {
        let tmp = tempfile::tempdir().unwrap();
        let state = unlocked(&tmp.path().join("vault"));
        let unplugged = tmp.path().join("not-plugged-in");
        set_schedule(&state, vec![unplugged.display().to_string()]);
        let outcome = tick(
            &state,
            &Mutex::new(()),
            &AtomicBool::new(false),
            &mut |_| {},
        );
        let Some(ScheduledBackupEvent::Finished { runs }) = outcome else {
            panic!("{outcome:?}");
        };
        assert!(runs[0].backup.is_none());
        assert!(
            runs[0]
                .error
                .as_deref()
                .is_some_and(|e| e.contains("not available")),
            "{runs:?}"
        );

        *state.lock().unwrap() = None;
        assert_eq!(
            tick(
                &state,
                &Mutex::new(()),
                &AtomicBool::new(false),
                &mut |_| {}
            ),
            None
        );
    }

    #[test]
    fn the_users_session_stays_free_while_a_scheduled_backup_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("usb");
        std::fs::create_dir(&dest).unwrap();
        let state = unlocked(&tmp.path().join("vault"));
        set_schedule(&state, vec![dest.display().to_string()]);
        let running = Mutex::new(());
        let mut written = None;
        let outcome = tick(&state, &running, &AtomicBool::new(false), &mut |_| {
            // The user registers a patient in the middle of the backup.
            if written.is_none() {
                let mut guard = state.try_lock().expect("the session is not held");
                let session = &mut guard.as_mut().unwrap().session;
                let profile = tessera_core::patients::Profile::named("Ines", "During");
                written = Some(
                    tessera_core::patients::create(
                        session,
                        profile,
                        tessera_core::patients::Registration::CheckDuplicates,
                    )
                    .unwrap(),
                );
                assert!(running.try_lock().is_err(), "the backup holds its slot");
            }
        });
        let Some(ScheduledBackupEvent::Finished { runs }) = outcome else {
            panic!("{outcome:?}");
        };
        let record = runs[0].backup.as_ref().expect("the backup was made");
        assert_eq!(record.status, "ok");
        assert!(written.is_some(), "progress was reported during the backup");

        // While a backup made now holds the slot, the schedule waits.
        let held = running.lock().unwrap();
        assert_eq!(
            tick(&state, &running, &AtomicBool::new(false), &mut |_| {}),
            None
        );
        drop(held);
    }

    #[test]
    fn a_failure_that_repeats_is_told_once_until_something_runs() {
        let failed = |m: &str| {
            Some(ScheduledBackupEvent::Failed {
                message: m.into(),
                cancelled: false,
            })
        };
        let finished = Some(ScheduledBackupEvent::Finished { runs: vec![] });
        let mut repeats = Repeats::default();
        assert_eq!(
            repeats.filter(failed("no passphrase")),
            failed("no passphrase")
        );
        assert_eq!(repeats.filter(failed("no passphrase")), None);
        assert_eq!(repeats.filter(None), None);
        assert_eq!(repeats.filter(failed("no passphrase")), None);
        assert_eq!(repeats.filter(failed("disk error")), failed("disk error"));
        assert_eq!(repeats.filter(finished.clone()), finished);
        assert_eq!(repeats.filter(failed("disk error")), failed("disk error"));
    }
}
