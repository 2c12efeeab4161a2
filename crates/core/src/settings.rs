//! Vault-wide settings that every front end honours, kept in the encrypted `vault_meta` table.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit_chain::Change;
use crate::error::{Error, Result};
use crate::policy::Action;
use crate::session::Session;

/// Minutes of inactivity before a front end locks the vault, unless an admin set otherwise.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 5;
const AUTO_LOCK_KEY: &str = "auto_lock_minutes";
const KEEP_LOCATION_KEY: &str = "keep_photo_location";

/// The settings.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaultSettings {
    /// Minutes of inactivity before the vault locks itself (1 to 60).
    pub auto_lock_minutes: u32,
    /// Whether a photo's GPS position is kept in the record at import (off by default). It
    /// never stays in the image itself.
    pub keep_photo_location: bool,
}

/// The current settings. Every signed-in user may read them.
pub fn get(session: &mut Session) -> Result<VaultSettings> {
    session.read(Action::SessionOpen, |s| {
        let value = |key: &str| stored(&s.conn, key);
        Ok(VaultSettings {
            auto_lock_minutes: value(AUTO_LOCK_KEY)?
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_AUTO_LOCK_MINUTES),
            keep_photo_location: value(KEEP_LOCATION_KEY)?.as_deref() == Some("true"),
        })
    })
}

fn stored(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM vault_meta WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Changes the settings (admins).
pub fn set(session: &mut Session, settings: VaultSettings) -> Result<VaultSettings> {
    if !(1..=60).contains(&settings.auto_lock_minutes) {
        return Err(Error::invalid(
            "auto-lock",
            "must be between 1 and 60 minutes",
        ));
    }
    let before = get(session)?;
    session.write(Action::SettingsManage, |w| {
        for (key, value) in [
            (AUTO_LOCK_KEY, settings.auto_lock_minutes.to_string()),
            (KEEP_LOCATION_KEY, settings.keep_photo_location.to_string()),
        ] {
            w.conn().execute(
                "INSERT INTO vault_meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        w.record(
            Change::new("settings", None)
                .before(json!(before))
                .after(json!(settings)),
        )?;
        Ok(settings)
    })
}
