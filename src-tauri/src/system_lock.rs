//! Locks the vault the moment the machine is about to sleep or the desktop locks its screen,
//! instead of when the auto-lock delay next runs out: a laptop shut in a bag, or a desk left
//! with its screen locked, holds no open vault.
//!
//! The signals come over D-Bus: logind's `PrepareForSleep(true)` and a session's `Lock` on
//! the system bus, and the screen saver's `ActiveChanged(true)` on the session bus (the
//! freedesktop name KDE and Xfce use, and GNOME's). The sender is not checked: a signal
//! anyone could send only ever locks, which is always safe. Without a bus (a bare X server,
//! a container) nothing is watched and the auto-lock alone applies.

use std::sync::Arc;

use tauri::{AppHandle, Manager};
use zbus::blocking::{Connection, MessageIterator};
use zbus::message::{Message, Type};
use zbus::{MatchRule, Result};

use crate::autolock::{self, LockReason};
use crate::state::{self, AppState};

/// Which bus a signal comes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bus {
    System,
    Session,
}

/// A signal that locks the vault: where it comes from, and when it means "lock now".
#[derive(Debug, Clone, Copy)]
struct Watch {
    bus: Bus,
    interface: &'static str,
    member: &'static str,
    /// The first argument is a boolean that must be true (about to sleep, screen saver
    /// on), or there is no argument (a session's `Lock`).
    needs_true: bool,
    reason: LockReason,
}

const WATCHES: [Watch; 4] = [
    Watch {
        bus: Bus::System,
        interface: "org.freedesktop.login1.Manager",
        member: "PrepareForSleep",
        needs_true: true,
        reason: LockReason::Sleep,
    },
    Watch {
        bus: Bus::System,
        interface: "org.freedesktop.login1.Session",
        member: "Lock",
        needs_true: false,
        reason: LockReason::ScreenLock,
    },
    Watch {
        bus: Bus::Session,
        interface: "org.freedesktop.ScreenSaver",
        member: "ActiveChanged",
        needs_true: true,
        reason: LockReason::ScreenLock,
    },
    Watch {
        bus: Bus::Session,
        interface: "org.gnome.ScreenSaver",
        member: "ActiveChanged",
        needs_true: true,
        reason: LockReason::ScreenLock,
    },
];

/// Starts one listener thread per signal, on the buses this session has.
pub fn start(app: AppHandle) {
    for watch in WATCHES {
        let app = app.clone();
        std::thread::spawn(move || {
            let connection = match watch.bus {
                Bus::System => Connection::system(),
                Bus::Session => Connection::session(),
            };
            if let Ok(messages) = connection.and_then(|c| subscribe(&c, &watch)) {
                listen(messages, &watch, |reason| lock(&app, reason));
            }
        });
    }
}

/// Locks now, as the Lock button does (a backup under way is stopped), and tells the UI.
fn lock(app: &AppHandle, reason: LockReason) {
    let state = app.state::<AppState>();
    let unlocked = Arc::clone(&state.unlocked);
    let cancel = Arc::clone(&state.backup_cancel);
    if state::lock_now(&unlocked, &cancel).is_some() {
        autolock::notify(app, reason);
    }
}

/// The stream of `watch`'s signals on `connection`, subscribed when this returns.
fn subscribe(connection: &Connection, watch: &Watch) -> Result<MessageIterator> {
    let rule = MatchRule::builder()
        .msg_type(Type::Signal)
        .interface(watch.interface)?
        .member(watch.member)?
        .build();
    MessageIterator::for_match_rule(rule, connection, None)
}

/// Calls `on_lock` for each signal that means "lock now", until the bus goes.
fn listen(messages: MessageIterator, watch: &Watch, mut on_lock: impl FnMut(LockReason)) {
    for message in messages {
        let Ok(message) = message else {
            return;
        };
        if locks(&message, watch.needs_true) {
            on_lock(watch.reason);
        }
    }
}

fn locks(message: &Message, needs_true: bool) -> bool {
    !needs_true || message.body().deserialize::<bool>().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// A private bus, as a desktop session has, for the length of a test.
    struct PrivateBus {
        daemon: Child,
        address: String,
    }

    impl PrivateBus {
        fn start() -> PrivateBus {
            let mut daemon = Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("dbus-daemon (scripts/setup.sh installs it)");
            let mut address = String::new();
            BufReader::new(daemon.stdout.take().unwrap())
                .read_line(&mut address)
                .unwrap();
            PrivateBus {
                daemon,
                address: address.trim().to_owned(),
            }
        }

        fn connect(&self) -> Connection {
            zbus::blocking::connection::Builder::address(self.address.as_str())
                .unwrap()
                .build()
                .unwrap()
        }
    }

    impl Drop for PrivateBus {
        fn drop(&mut self) {
            let _ = self.daemon.kill();
            let _ = self.daemon.wait();
        }
    }

    /// Starts a listener for `watch` on `bus`, and returns what it reports.
    fn listening(bus: &PrivateBus, watch: Watch) -> mpsc::Receiver<LockReason> {
        let (sent, received) = mpsc::channel();
        let connection = bus.connect();
        // Subscribed before the test sends anything.
        let messages = subscribe(&connection, &watch).unwrap();
        std::thread::spawn(move || {
            let _connection = connection;
            listen(messages, &watch, |reason| {
                let _ = sent.send(reason);
            });
        });
        received
    }

    fn emit<B: serde::Serialize + zbus::zvariant::DynamicType>(
        sender: &Connection,
        path: &str,
        watch: &Watch,
        body: &B,
    ) {
        sender
            .emit_signal(None::<()>, path, watch.interface, watch.member, body)
            .unwrap();
    }

    #[test]
    fn going_to_sleep_locks_and_waking_up_does_not() {
        let bus = PrivateBus::start();
        let sleep = WATCHES[0];
        let locked = listening(&bus, sleep);
        let logind = bus.connect();
        emit(&logind, "/org/freedesktop/login1", &sleep, &(false,));
        assert!(locked.recv_timeout(Duration::from_millis(500)).is_err());
        emit(&logind, "/org/freedesktop/login1", &sleep, &(true,));
        assert_eq!(
            locked.recv_timeout(Duration::from_secs(10)).unwrap(),
            LockReason::Sleep
        );
    }

    #[test]
    fn the_session_locking_its_screen_locks() {
        let bus = PrivateBus::start();
        let session_lock = WATCHES[1];
        let locked = listening(&bus, session_lock);
        let logind = bus.connect();
        emit(
            &logind,
            "/org/freedesktop/login1/session/_32",
            &session_lock,
            &(),
        );
        assert_eq!(
            locked.recv_timeout(Duration::from_secs(10)).unwrap(),
            LockReason::ScreenLock
        );
        let screen_saver = WATCHES[2];
        let locked = listening(&bus, screen_saver);
        let saver = bus.connect();
        emit(
            &saver,
            "/org/freedesktop/ScreenSaver",
            &screen_saver,
            &(false,),
        );
        assert!(locked.recv_timeout(Duration::from_millis(500)).is_err());
        emit(
            &saver,
            "/org/freedesktop/ScreenSaver",
            &screen_saver,
            &(true,),
        );
        assert_eq!(
            locked.recv_timeout(Duration::from_secs(10)).unwrap(),
            LockReason::ScreenLock
        );
    }
}
