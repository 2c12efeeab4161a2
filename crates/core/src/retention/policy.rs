//! The retention policy: how long each kind of record is kept, and what happens after.
//! Stored as JSON in `vault_meta` (like the vault settings); admins read and change it.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit_chain::Change;
use crate::error::{Error, Result};
use crate::patients::RESTORE_WINDOW_DAYS;
use crate::policy::Action;
use crate::session::Session;

/// The shortest time audit entries are kept: six years, the longest of the usual legal
/// minimums for health-record access logs (HIPAA's six-year documentation rule; most EU
/// member states ask for less). A policy cannot go below it.
pub const AUDIT_MIN_YEARS: u32 = 6;
/// Longest period a rule may name, in years.
pub const MAX_YEARS: u32 = 200;
/// Default days an item stays in the bin before it is purged: the restore window.
pub const DEFAULT_BINNED_DAYS: u32 = RESTORE_WINDOW_DAYS as u32;
const KEY: &str = "retention_policy";

/// What happens to a record whose time is up.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    /// Removed (patients: erased, see `erasure`).
    Delete,
    /// Kept without what identifies the person (patients: see `erasure`; visits: reason,
    /// notes, diagnoses and treatments removed, date, kind and vitals kept).
    Anonymise,
}

impl RetentionAction {
    /// The name in reports and audit entries.
    pub fn as_str(self) -> &'static str {
        match self {
            RetentionAction::Delete => "delete",
            RetentionAction::Anonymise => "anonymise",
        }
    }
}

/// One rule: records older than `years` get `action`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Age in years (1 to 200).
    pub years: u32,
    /// What happens then.
    pub action: RetentionAction,
}

/// The vault's retention policy. `None` turns a rule off. By default everything is kept
/// except what sits in the bin: items binned more than 30 days ago are purged.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Patients with no activity (profile edit, visit, narrative, photo) for this long:
    /// erased or anonymised.
    #[serde(default)]
    pub inactive_patients: Option<Rule>,
    /// Photos imported this long ago: deleted with their files (delete only).
    #[serde(default)]
    pub photos: Option<Rule>,
    /// Narratives last edited this long ago: deleted with every revision (delete only).
    #[serde(default)]
    pub narratives: Option<Rule>,
    /// Visits that happened this long ago: deleted or anonymised.
    #[serde(default)]
    pub encounters: Option<Rule>,
    /// Audit entries older than this many years are removed (at least [`AUDIT_MIN_YEARS`]).
    #[serde(default)]
    pub audit_entries_years: Option<u32>,
    /// Patients and photos in the bin for more than this many days are purged (at least 30).
    #[serde(default)]
    pub binned_days: Option<u32>,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            inactive_patients: None,
            photos: None,
            narratives: None,
            encounters: None,
            audit_entries_years: None,
            binned_days: Some(DEFAULT_BINNED_DAYS),
        }
    }
}

impl RetentionPolicy {
    /// Checks every rule; the error names the rule at fault.
    pub fn validate(&self) -> Result<()> {
        for (field, rule, anonymise_allowed) in [
            ("inactive patients", self.inactive_patients, true),
            ("photos", self.photos, false),
            ("narratives", self.narratives, false),
            ("encounters", self.encounters, true),
        ] {
            let Some(rule) = rule else { continue };
            if !(1..=MAX_YEARS).contains(&rule.years) {
                return Err(Error::invalid(
                    field,
                    format!("must be between 1 and {MAX_YEARS} years"),
                ));
            }
            if rule.action == RetentionAction::Anonymise && !anonymise_allowed {
                return Err(Error::invalid(
                    field,
                    "can only be deleted: there is nothing to keep once the person is removed",
                ));
            }
        }
        if let Some(years) = self.audit_entries_years
            && !(AUDIT_MIN_YEARS..=MAX_YEARS).contains(&years)
        {
            return Err(Error::invalid(
                "audit entries",
                format!(
                    "must be kept at least {AUDIT_MIN_YEARS} years (the legal minimum) and at most {MAX_YEARS}"
                ),
            ));
        }
        if let Some(days) = self.binned_days
            && !(DEFAULT_BINNED_DAYS..=36_500).contains(&days)
        {
            return Err(Error::invalid(
                "binned items",
                format!(
                    "must stay in the bin at least {DEFAULT_BINNED_DAYS} days (the restore window)"
                ),
            ));
        }
        Ok(())
    }
}

pub(crate) fn load(conn: &rusqlite::Connection) -> Result<RetentionPolicy> {
    let stored: Option<String> = conn
        .query_row("SELECT value FROM vault_meta WHERE key = ?1", [KEY], |r| {
            r.get(0)
        })
        .optional()?;
    match stored {
        None => Ok(RetentionPolicy::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            Error::CorruptDatabase(format!("the retention policy cannot be read: {e}"))
        }),
    }
}

/// The vault's retention policy (admins).
pub fn get(session: &mut Session) -> Result<RetentionPolicy> {
    session.read(Action::RetentionManage, |s| load(&s.conn))
}

/// Replaces the retention policy (admins). Audited as `retention.set` with both versions.
pub fn set(session: &mut Session, policy: RetentionPolicy) -> Result<RetentionPolicy> {
    policy.validate()?;
    session.write(Action::RetentionManage, |w| {
        let before = load(w.conn())?;
        let text = serde_json::to_string(&policy)
            .map_err(|_| Error::Internal("cannot serialise the retention policy"))?;
        w.conn().execute(
            "INSERT INTO vault_meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![KEY, text],
        )?;
        w.record_as(
            "retention.set",
            Change::new("retention_policy", None)
                .before(json!(before))
                .after(json!(policy)),
        )?;
        Ok(policy)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bin_is_purged_by_default_and_floors_hold() {
        let default = RetentionPolicy::default();
        assert_eq!(default.binned_days, Some(30));
        assert!(default.inactive_patients.is_none() && default.audit_entries_years.is_none());
        default.validate().unwrap();
        let bad = |p: RetentionPolicy| p.validate().unwrap_err().to_string();
        let audit_5 = RetentionPolicy {
            audit_entries_years: Some(AUDIT_MIN_YEARS - 1),
            ..default
        };
        assert!(bad(audit_5).contains("legal minimum"));
        let bin_7 = RetentionPolicy {
            binned_days: Some(7),
            ..default
        };
        assert!(bad(bin_7).contains("restore window"));
        let anonymised_photos = RetentionPolicy {
            photos: Some(Rule {
                years: 5,
                action: RetentionAction::Anonymise,
            }),
            ..default
        };
        assert!(bad(anonymised_photos).starts_with("photos"));
        let zero = RetentionPolicy {
            encounters: Some(Rule {
                years: 0,
                action: RetentionAction::Delete,
            }),
            ..default
        };
        assert!(bad(zero).starts_with("encounters"));
    }
}
