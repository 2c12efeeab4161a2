//! The backup an admin configures, which the app runs on its schedule while it is open and
//! anyone allowed [`Action::BackupRun`] may run now: an interval, one or more destinations (a
//! removable drive that is not plugged in is recorded as a failed attempt and tried again
//! later), pruning after each backup, and a warning when the last good backup is older than
//! the configured age.
//!
//! It encrypts only to an age public key. The vault holds no secret that opens its backups:
//! whoever can unlock the vault could otherwise open every copy that left the building.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

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
use crate::archive::{Encryption, parse_recipient};

const SCHEDULE_KEY: &str = "backup_schedule";
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
    /// The age public key the backups are encrypted to. Its private half is kept away from
    /// the vault (on paper, or on the machine that restores).
    pub recipient: Option<String>,
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
    Ok(text
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

/// Changes the schedule (admins).
pub fn set_schedule(session: &mut Session, schedule: BackupSchedule) -> Result<BackupSchedule> {
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
    if schedule.enabled {
        runnable(&schedule)?;
    }
    let before = json!(stored(&session.conn)?);
    session.write(Action::BackupManage, |w| {
        let text =
            serde_json::to_string(&schedule).map_err(|_| Error::Internal("schedule JSON"))?;
        put(w.conn(), SCHEDULE_KEY, &text)?;
        w.record(
            Change::new("backup_schedule", None)
                .before(before)
                .after(json!(schedule)),
        )
    })?;
    Ok(schedule)
}

/// The public key a configured backup encrypts to, or why it cannot run.
fn runnable(schedule: &BackupSchedule) -> Result<Encryption> {
    if schedule.destinations.is_empty() {
        return Err(Error::invalid(
            "destination",
            "add at least one destination",
        ));
    }
    match &schedule.recipient {
        Some(key) => Ok(Encryption::Recipients(vec![parse_recipient(key)?])),
        None => Err(Error::invalid(
            "recipient",
            "the configured backup needs an age public key to encrypt to",
        )),
    }
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
/// signed-in user may not run it.
pub fn run_due(
    session: &mut Session,
    progress: &mut dyn FnMut(&str, Progress),
    cancel: &AtomicBool,
) -> Result<Vec<ScheduledRun>> {
    if !policy::allows(session.actor.principal, Action::BackupRun) {
        return Ok(Vec::new());
    }
    let schedule = stored(&session.conn)?;
    if !schedule.enabled {
        return Ok(Vec::new());
    }
    run(session, &schedule, Trigger::Scheduled, progress, cancel)
}

/// Runs the configured backup now to every destination, whether or not the schedule is on
/// or due ("back up now" for those who may not choose a folder of their own).
pub fn run_now(
    session: &mut Session,
    progress: &mut dyn FnMut(&str, Progress),
    cancel: &AtomicBool,
) -> Result<Vec<ScheduledRun>> {
    session.authorize(Action::BackupRun)?;
    let schedule = stored(&session.conn)?;
    runnable(&schedule)?;
    run(session, &schedule, Trigger::Manual, progress, cancel)
}

fn run(
    session: &mut Session,
    schedule: &BackupSchedule,
    trigger: Trigger,
    progress: &mut dyn FnMut(&str, Progress),
    cancel: &AtomicBool,
) -> Result<Vec<ScheduledRun>> {
    runnable(schedule)?;
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
        if trigger == Trigger::Scheduled && !due {
            continue;
        }
        let options = CreateOptions {
            destination: path.clone(),
            encryption: runnable(schedule)?,
            full: false,
            trigger,
        };
        let made = create::create_as(
            session,
            Action::BackupRun,
            &options,
            &mut |p| progress(dest, p),
            cancel,
        );
        let run = match made {
            Ok(record) => {
                let pruned = history::prune_as(
                    session,
                    Action::BackupRun,
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
