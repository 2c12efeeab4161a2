//! Consents: what a patient agreed to (treatment, photography, sharing with a referral
//! partner, ...), and when they withdrew it. Decisions are only ever added, so the table is
//! the history and the newest decision per purpose is the current state.

use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::patients::{self, profile};
use crate::policy::Action;
use crate::session::Session;

/// Granted or withdrawn.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    /// The patient agreed.
    Granted,
    /// The patient withdrew an earlier agreement.
    Withdrawn,
}

impl ConsentStatus {
    fn as_str(self) -> &'static str {
        match self {
            ConsentStatus::Granted => "granted",
            ConsentStatus::Withdrawn => "withdrawn",
        }
    }
}

/// A decision to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewConsent {
    /// What it is for, e.g. `photography`, `data sharing with Casa Aberta`.
    pub purpose: String,
    /// Granted or withdrawn.
    pub status: ConsentStatus,
    /// A photo of the signed form, if there is one.
    pub evidence_id: Option<String>,
    /// Anything else worth keeping.
    pub notes: Option<String>,
}

/// A recorded decision.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// UUIDv7.
    pub id: String,
    /// The patient.
    pub patient_id: String,
    /// What it is for (lower case).
    pub purpose: String,
    /// Granted or withdrawn.
    pub status: ConsentStatus,
    /// Who recorded it.
    pub recorded_by: String,
    /// When, RFC 3339.
    pub recorded_at: String,
    /// Evidence (photo id).
    pub evidence_id: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Whether this is the newest decision for its purpose (the one in force).
    pub current: bool,
}

/// Records a consent decision for a patient.
pub fn record(session: &mut Session, patient: &str, new: NewConsent) -> Result<Consent> {
    let purpose = profile::required("purpose", &new.purpose)?.to_lowercase();
    let notes = profile::optional("notes", new.notes)?;
    let evidence_id = profile::reference("evidence", new.evidence_id)?;
    session.write(Action::ConsentRecord, |w| {
        let found = patients::resolve_current(w.conn(), patient)?;
        let current: Option<String> = w
            .conn()
            .query_row(
                "SELECT status FROM consents WHERE patient_id = ?1 AND purpose = ?2 \
                 ORDER BY recorded_at DESC, id DESC LIMIT 1",
                rusqlite::params![found.id, purpose],
                |r| r.get(0),
            )
            .optional()?;
        if new.status == ConsentStatus::Withdrawn && current.as_deref() != Some("granted") {
            return Err(Error::Conflict(format!(
                "there is no consent in force for {purpose:?} to withdraw"
            )));
        }
        let now = clock::now_ms();
        let consent = Consent {
            id: Uuid::now_v7().to_string(),
            patient_id: found.id.clone(),
            purpose,
            status: new.status,
            recorded_by: w.actor_name().to_owned(),
            recorded_at: clock::to_rfc3339(now),
            evidence_id,
            notes,
            current: true,
        };
        w.conn().execute(
            "INSERT INTO consents (id, patient_id, purpose, status, recorded_by, recorder, \
             recorded_at, evidence_id, notes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![
                consent.id,
                consent.patient_id,
                consent.purpose,
                consent.status.as_str(),
                w.actor_id(),
                consent.recorded_by,
                now,
                consent.evidence_id,
                consent.notes,
            ],
        )?;
        w.record(Change::new("consent", Some(&consent.id)).after(json!(consent)))?;
        Ok(consent)
    })
}

/// Every consent decision of a patient, oldest first, each marked whether it is in force.
pub fn list(session: &mut Session, patient: &str) -> Result<Vec<Consent>> {
    session.write(Action::ConsentView, |w| {
        let found = patients::resolve(w.conn(), patient)?;
        let consents = for_patient(w.conn(), &found.id)?;
        w.record(
            Change::new("patient", Some(&found.id)).after(json!({ "consents": consents.len() })),
        )?;
        Ok(consents)
    })
}

/// Every consent decision of a patient, oldest first, without auditing (callers do).
pub(crate) fn for_patient(conn: &rusqlite::Connection, patient_id: &str) -> Result<Vec<Consent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, patient_id, purpose, status, recorder, recorded_at, evidence_id, notes, \
         NOT EXISTS (SELECT 1 FROM consents later WHERE later.patient_id = c.patient_id \
           AND later.purpose = c.purpose AND (later.recorded_at, later.id) > (c.recorded_at, c.id)) \
         FROM consents c WHERE patient_id = ?1 ORDER BY recorded_at, id",
    )?;
    let consents = stmt
        .query_map([patient_id], |r| {
            Ok(Consent {
                id: r.get(0)?,
                patient_id: r.get(1)?,
                purpose: r.get(2)?,
                status: if r.get::<_, String>(3)? == "withdrawn" {
                    ConsentStatus::Withdrawn
                } else {
                    ConsentStatus::Granted
                },
                recorded_by: r.get(4)?,
                recorded_at: clock::to_rfc3339(r.get(5)?),
                evidence_id: r.get(6)?,
                notes: r.get(7)?,
                current: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(consents)
}
