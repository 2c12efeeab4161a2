//! Locks the vault after inactivity: the session (connection and keys) is dropped in the
//! backend, then the UI is told, so it returns to the unlock screen.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use ts_rs::TS;

use crate::state::{self, AppState};

/// Why the vault locked, sent with the `session-locked` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// Nobody used it for the configured time.
    Inactivity,
    /// Someone pressed Lock.
    Manual,
    /// The machine was about to sleep.
    Sleep,
    /// The desktop locked its screen.
    ScreenLock,
}

/// The `session-locked` event's payload.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SessionLocked {
    /// Why.
    pub reason: LockReason,
}

/// The event name the UI listens to.
pub const SESSION_LOCKED: &str = "session-locked";

/// Starts the watcher thread. It checks twice a second; the cost is a mutex.
pub fn start(app: AppHandle) {
    let unlocked = Arc::clone(&app.state::<AppState>().unlocked);
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let expired = {
                let mut guard = state::lock(&unlocked);
                let idle = guard
                    .as_ref()
                    .is_some_and(|open| open.last_activity.elapsed() >= open.auto_lock);
                // Dropping the session anchors the audit log, closes the database and wipes
                // the keys.
                idle.then(|| guard.take())
            };
            if expired.is_some() {
                drop(expired);
                notify(&app, LockReason::Inactivity);
            }
        }
    });
}

/// Tells the UI the vault is locked.
pub fn notify(app: &AppHandle, reason: LockReason) {
    let _ = app.emit(SESSION_LOCKED, SessionLocked { reason });
}
