//! The backup schedule the app runs while it is open: an interval, one or more destinations
//! (a removable drive that is not plugged in is recorded as a failed attempt and tried
//! again later), pruning after each backup, and a warning when the last good backup is
//! older than the configured age.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use age::secrecy::SecretString;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::policy::{self, Action};
use crate::session::Session;

use super::create::{self, CreateOptions, Progress, Trigger};
use super::history::{self, BackupRecord};
use crate::archive::{Encryption, check_new_passphrase, parse_recipient};

const SCHEDULE_KEY: &str = "backup_schedule";
const PASSPHRASE_KEY: &str = "backup_passphrase";
const HOUR_MS: i64 = 3_600_000;

/// The schedule, as an admin set it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSchedule {
    /// Whether the app backs up on its own.
    pub enabled: bool,
    /// Hours between backups to each destination (1 to 720).
    pub interval_hours: u32,
    /// Destination directories.
    pub destinations: Vec<String>,
    /// Prune: always keep this many newest backups per destination (at least 1).
    pub keep_last: u32,
    /// Prune: also keep every backup younger than this many days.
    pub keep_days: u32,
    /// Warn when the newest good backup is older than this many hours.
    pub warn_after_hours: u32,
    /// Encrypt to this age public key instead of the stored passphrase.
    pub recipient: Option<String>,
    /// Whether a passphrase is stored for scheduled backups (it is never shown again).
    #[serde(default)]
    pub has_passphrase: bool,
}

impl Default for BackupSchedule {
    fn default() -> Self {
        BackupSchedule {
            enabled: false,
            interval_hours: 24,
            destinations: Vec::new(),
            keep_last: 7,
            keep_days: 30,
            warn_after_hours: 72,
            recipient: None,
            has_passphrase: false,
        }
    }
}

/// The current schedule.
pub fn schedule(session: &mut Session) -> Result<BackupSchedule> {
    session.read(Action::BackupList, |s| stored(&s.conn))
}

fn stored(conn: &Connection) -> Result<BackupSchedule> {
    let text: Option<String> = conn
        .query_row(
            "SELECT value FROM vault_meta WHERE key = ?1",
            [SCHEDULE_KEY],
            |r| r.get(0),
        )
        .optional()?;
    let mut schedule: BackupSchedule = text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    schedule.has_passphrase = passphrase(conn)?.is_some();
    Ok(schedule)
}

fn passphrase(conn: &Connection) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM vault_meta WHERE key = ?1",
            [PASSPHRASE_KEY],
            |r| r.get(0),
        )
        .optional()?)
}

/// Changes the schedule (admins). `passphrase`, when given, replaces the stored one; it is
/// kept in the encrypted database, which anyone able to read already holds the vault's key.
pub fn set_schedule(
    session: &mut Session,
    schedule: BackupSchedule,
    new_passphrase: Option<SecretString>,
) -> Result<BackupSchedule> {
    use age::secrecy::ExposeSecret;
    if !(1..=720).contains(&schedule.interval_hours) {
        return Err(Error::invalid(
            "interval",
            "must be between 1 and 720 hours",
        ));
    }
    if schedule.keep_last == 0 {
        return Err(Error::invalid("keep-last", "must keep at least one backup"));
    }
    if schedule.warn_after_hours == 0 {
        return Err(Error::invalid("warn-after", "must be at least one hour"));
    }
    for dest in &schedule.destinations {
        if !Path::new(dest).is_absolute() {
            return Err(Error::invalid(
                "destination",
                format!("{dest} is not an absolute path"),
            ));
        }
    }
    if let Some(key) = &schedule.recipient {
        parse_recipient(key)?;
    }
    if let Some(p) = &new_passphrase {
        check_new_passphrase(p.expose_secret())?;
    }
    let before = schedule_for_audit(&stored(&session.conn)?);
    let has_passphrase = new_passphrase.is_some() || passphrase(&session.conn)?.is_some();
    if schedule.enabled {
        if schedule.destinations.is_empty() {
            return Err(Error::invalid(
                "destination",
                "add at least one destination",
            ));
        }
        if schedule.recipient.is_none() && !has_passphrase {
            return Err(Error::invalid(
                "passphrase",
                "scheduled backups need a passphrase or an age public key",
            ));
        }
    }
    let mut saved = BackupSchedule {
        has_passphrase,
        ..schedule
    };
    session.write(Action::BackupManage, |w| {
        let text = serde_json::to_string(&saved).map_err(|_| Error::Internal("schedule JSON"))?;
        put(w.conn(), SCHEDULE_KEY, &text)?;
        if let Some(p) = &new_passphrase {
            put(w.conn(), PASSPHRASE_KEY, p.expose_secret())?;
        }
        w.record(
            Change::new("backup_schedule", None)
                .before(before)
                .after(schedule_for_audit(&saved)),
        )
    })?;
    saved.has_passphrase = has_passphrase;
    Ok(saved)
}

fn schedule_for_audit(s: &BackupSchedule) -> serde_json::Value {
    json!(s)
}

fn put(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO vault_meta (key, value) VALUES (?1, ?2) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// How current the backups are.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupStatus {
    /// The newest good backup.
    pub last_ok: Option<BackupRecord>,
    /// The newest attempt, good or not.
    pub last_attempt: Option<BackupRecord>,
    /// True when there is no good backup younger than the schedule's warning age.
    pub overdue: bool,
    /// The warning age, in hours.
    pub warn_after_hours: u32,
    /// Whether the schedule is on.
    pub schedule_enabled: bool,
}

/// Whether the backups are current, for the app's warning.
pub fn status(session: &mut Session) -> Result<BackupStatus> {
    session.read(Action::BackupList, |s| {
        let schedule = stored(&s.conn)?;
        let all = history::all(&s.conn)?;
        let last_ok = all.iter().find(|r| r.status == "ok").cloned();
        let age_ms = last_ok
            .as_ref()
            .and_then(|r| clock::parse_instant(&r.started_at))
            .map(|t| clock::now_ms() - t);
        Ok(BackupStatus {
            overdue: age_ms.is_none_or(|ms| ms > i64::from(schedule.warn_after_hours) * HOUR_MS),
            last_attempt: all.first().cloned(),
            last_ok,
            warn_after_hours: schedule.warn_after_hours,
            schedule_enabled: schedule.enabled,
        })
    })
}

/// One scheduled backup's outcome.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledRun {
    /// The destination.
    pub destination: String,
    /// The backup, if it succeeded.
    pub backup: Option<BackupRecord>,
    /// Why it failed.
    pub error: Option<String>,
    /// Old backups pruned after it.
    pub pruned: u32,
}

/// Runs the backups that are due now: each destination whose newest good backup is older
/// than the interval, and whose newest attempt is older than an hour (so an unplugged drive
/// is retried hourly, not every minute). Nothing runs when the schedule is off or the
/// signed-in user may not make backups.
pub fn run_due(
    session: &mut Session,
    progress: &mut dyn FnMut(&str, Progress),
    cancel: &AtomicBool,
) -> Result<Vec<ScheduledRun>> {
    if !policy::allows(session.actor.principal, Action::BackupCreate) {
        return Ok(Vec::new());
    }
    let schedule = stored(&session.conn)?;
    if !schedule.enabled {
        return Ok(Vec::new());
    }
    let now = clock::now_ms();
    let interval = i64::from(schedule.interval_hours) * HOUR_MS;
    let mut runs = Vec::new();
    for dest in &schedule.destinations {
        let path = PathBuf::from(dest);
        let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
        let all = history::all(&session.conn)?;
        let at = |r: &BackupRecord| clock::parse_instant(&r.started_at).unwrap_or(0);
        let mine =
            |r: &&BackupRecord| Path::new(&r.destination) == canonical || r.destination == *dest;
        let last_ok = all.iter().filter(mine).find(|r| r.status == "ok").map(at);
        let last_try = all.iter().find(mine).map(at);
        let due = last_ok.is_none_or(|t| now - t >= interval)
            && last_try.is_none_or(|t| now - t >= interval.min(HOUR_MS));
        if !due {
            continue;
        }
        let encryption = match &schedule.recipient {
            Some(key) => Encryption::Recipients(vec![parse_recipient(key)?]),
            None => match passphrase(&session.conn)? {
                Some(p) => Encryption::Passphrase(SecretString::from(p)),
                None => {
                    return Err(Error::invalid(
                        "passphrase",
                        "no passphrase is stored for scheduled backups",
                    ));
                }
            },
        };
        let options = CreateOptions {
            destination: path.clone(),
            encryption,
            full: false,
            trigger: Trigger::Scheduled,
        };
        let run = match create::create(session, &options, &mut |p| progress(dest, p), cancel) {
            Ok(record) => {
                let pruned = history::prune_as(
                    session,
                    Action::BackupCreate,
                    &canonical,
                    schedule.keep_last,
                    schedule.keep_days,
                    false,
                )
                .map(|r| r.removed.len() as u32)
                .unwrap_or(0);
                ScheduledRun {
                    destination: dest.clone(),
                    backup: Some(record),
                    error: None,
                    pruned,
                }
            }
            Err(Error::Cancelled) => return Err(Error::Cancelled),
            Err(e) => ScheduledRun {
                destination: dest.clone(),
                backup: None,
                error: Some(e.to_string()),
                pruned: 0,
            },
        };
        runs.push(run);
    }
    Ok(runs)
}
