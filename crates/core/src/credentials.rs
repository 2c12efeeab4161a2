//! Provider credentials of clinician accounts: licence, specialisations, certifications with
//! their expiry, affiliations, and whether an admin has verified them.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::Date;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::patients::profile;
use crate::policy::{Action, Role};
use crate::session::Session;

/// Whether the credentials were checked against the issuing body.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "ts", ts(rename = "CredentialVerification"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Not checked yet.
    #[default]
    Unverified,
    /// Checked and valid.
    Verified,
    /// Checked and found invalid, suspended or revoked.
    Rejected,
}

impl Verification {
    fn as_str(self) -> &'static str {
        match self {
            Verification::Unverified => "unverified",
            Verification::Verified => "verified",
            Verification::Rejected => "rejected",
        }
    }
}

/// A certification with its validity.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Certification {
    /// What it certifies (`Advanced Life Support`).
    pub name: String,
    /// Who issued it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Issued on, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_on: Option<String>,
    /// Expires on, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
}

/// A clinician's credentials as entered.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Professional licence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence_number: Option<String>,
    /// Specialisations.
    #[serde(default)]
    pub specialisations: Vec<String>,
    /// Certifications.
    #[serde(default)]
    pub certifications: Vec<Certification>,
    /// Hospitals, clinics, associations.
    #[serde(default)]
    pub affiliations: Vec<String>,
    /// Verification status; only an admin may set it.
    #[serde(default)]
    pub verification: Verification,
}

/// Credentials as stored, with their owner and version.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderCredentials {
    /// The clinician's user name.
    pub username: String,
    /// Version, from 1; an update names the version it was based on.
    pub version: u32,
    /// The credentials.
    #[serde(flatten)]
    pub credentials: Credentials,
    /// Last change, RFC 3339.
    pub updated_at: String,
    /// Who changed them last.
    pub updated_by: String,
}

/// A certification that has expired or expires soon.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiringCertification {
    /// The clinician.
    pub username: String,
    /// The certification.
    pub certification: String,
    /// Its expiry date.
    pub expires_on: String,
    /// Days left (negative when already expired).
    pub days_left: i64,
}

/// Sets a clinician's credentials. `expected_version` is the version the change was based
/// on (`None` when there were none yet); a stale change is refused.
pub fn set(
    session: &mut Session,
    username: &str,
    credentials: Credentials,
    expected_version: Option<u32>,
) -> Result<ProviderCredentials> {
    let credentials = validate(credentials)?;
    let username = username.trim().to_lowercase();
    session.write(Action::CredentialManage, |w| {
        let (staff_id, role) = staff(w.conn(), &username)?;
        if role != Role::Clinician.as_str() {
            return Err(Error::invalid(
                "account",
                format!("{username} is a {role}; credentials are kept for clinicians"),
            ));
        }
        let before = load(w.conn(), &staff_id, &username)?;
        let current = before.as_ref().map(|c| c.version);
        if current != expected_version {
            return Err(Error::Conflict(format!(
                "the credentials of {username} were changed since you opened them (you edited \
                 version {}, they are now version {}); reload and apply your change again",
                expected_version.map_or("none".into(), |v| v.to_string()),
                current.map_or("none".into(), |v| v.to_string()),
            )));
        }
        w.conn().execute(
            "INSERT INTO provider_credentials (staff_id, version, credentials_json, \
             verification_status, updated_at, updated_by) VALUES (?1, 1, ?2, ?3, ?4, ?5) \
             ON CONFLICT (staff_id) DO UPDATE SET version = version + 1, \
             credentials_json = excluded.credentials_json, \
             verification_status = excluded.verification_status, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
            params![
                staff_id,
                serde_json::to_string(&credentials)
                    .map_err(|_| Error::Internal("cannot serialise credentials"))?,
                credentials.verification.as_str(),
                clock::now_ms(),
                w.actor_name(),
            ],
        )?;
        let after =
            load(w.conn(), &staff_id, &username)?.ok_or(Error::Internal("credentials vanished"))?;
        w.record(
            Change::new("credentials", Some(&staff_id))
                .before(json!(before))
                .after(json!(after)),
        )?;
        Ok(after)
    })
}

/// A staff member's credentials; `None` when none were recorded yet.
pub fn show(session: &mut Session, username: &str) -> Result<Option<ProviderCredentials>> {
    let username = username.trim().to_lowercase();
    session.write(Action::CredentialView, |w| {
        let (staff_id, _) = staff(w.conn(), &username)?;
        let found = load(w.conn(), &staff_id, &username)?;
        w.record(Change::new("credentials", Some(&staff_id)))?;
        Ok(found)
    })
}

/// A staff member's licence and specialisations in one line, as a letter is signed; `None`
/// when none were recorded. Read for the staff member's own referral letters.
pub(crate) fn one_line(conn: &Connection, username: &str) -> Result<Option<String>> {
    let username = username.trim().to_lowercase();
    let (staff_id, _) = staff(conn, &username)?;
    let Some(found) = load(conn, &staff_id, &username)? else {
        return Ok(None);
    };
    let c = found.credentials;
    let mut parts = c.specialisations.clone();
    if let Some(licence) = c.licence_number {
        parts.push(format!("licence {licence}"));
    }
    Ok((!parts.is_empty()).then(|| parts.join(", ")))
}

/// Certifications of active clinicians that expired or expire within `days`, soonest first.
pub fn expiring(session: &mut Session, days: i64) -> Result<Vec<ExpiringCertification>> {
    let today = clock::today_utc();
    session.write(Action::CredentialView, |w| {
        let mut stmt = w.conn().prepare(
            "SELECT s.username, c.credentials_json FROM provider_credentials c \
             JOIN staff s ON s.id = c.staff_id WHERE s.status = 'active'",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut found = Vec::new();
        for (username, json) in rows {
            let credentials: Credentials = serde_json::from_str(&json).map_err(|e| {
                Error::CorruptDatabase(format!("credentials of {username} cannot be read: {e}"))
            })?;
            for cert in credentials.certifications {
                let Some(expires) = cert.expires_on.as_deref().and_then(clock::parse_date) else {
                    continue;
                };
                let days_left = (expires - today).whole_days();
                if days_left <= days {
                    found.push(ExpiringCertification {
                        username: username.clone(),
                        certification: cert.name,
                        expires_on: expires.to_string(),
                        days_left,
                    });
                }
            }
        }
        found.sort_by(|a, b| {
            a.days_left
                .cmp(&b.days_left)
                .then(a.username.cmp(&b.username))
        });
        drop(stmt);
        w.record(
            Change::new("credentials", None)
                .after(json!({ "expiring_within_days": days, "results": found.len() })),
        )?;
        Ok(found)
    })
}

fn validate(mut c: Credentials) -> Result<Credentials> {
    c.licence_number = profile::optional("licence number", c.licence_number)?;
    c.specialisations = profile::texts("specialisation", &c.specialisations)?;
    c.affiliations = profile::texts("affiliation", &c.affiliations)?;
    for cert in &mut c.certifications {
        cert.name = profile::required("certification name", &cert.name)?;
        cert.issuer = profile::optional("certification issuer", cert.issuer.take())?;
        let issued = date("certification issue date", cert.issued_on.take())?;
        let expires = date("certification expiry", cert.expires_on.take())?;
        if let (Some(i), Some(e)) = (issued, expires)
            && e < i
        {
            return Err(Error::invalid(
                "certification expiry",
                format!("{} expires ({e}) before it was issued ({i})", cert.name),
            ));
        }
        cert.issued_on = issued.map(|d| d.to_string());
        cert.expires_on = expires.map(|d| d.to_string());
    }
    Ok(c)
}

fn date(field: &'static str, text: Option<String>) -> Result<Option<Date>> {
    profile::optional(field, text)?
        .map(|t| profile::calendar_date(field, &t))
        .transpose()
}

fn staff(conn: &Connection, username: &str) -> Result<(String, String)> {
    conn.query_row(
        "SELECT id, role FROM staff WHERE username = ?1",
        [username],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| Error::NotFound {
        what: "staff account",
        id: username.to_owned(),
    })
}

fn load(conn: &Connection, staff_id: &str, username: &str) -> Result<Option<ProviderCredentials>> {
    let row: Option<(u32, String, i64, String)> = conn
        .query_row(
            "SELECT version, credentials_json, updated_at, updated_by FROM provider_credentials \
             WHERE staff_id = ?1",
            [staff_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    row.map(|(version, json, updated_at, updated_by)| {
        Ok(ProviderCredentials {
            username: username.to_owned(),
            version,
            credentials: serde_json::from_str(&json).map_err(|e| {
                Error::CorruptDatabase(format!("credentials of {username} cannot be read: {e}"))
            })?,
            updated_at: clock::to_rfc3339(updated_at),
            updated_by,
        })
    })
    .transpose()
}
