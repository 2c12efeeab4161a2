//! The front desk's part of a record: who the patient is, how to reach them, whom to call,
//! and the medical alerts someone at a desk must not miss. Every staff role may read it and
//! correct names and contact details; nothing clinical beyond the alerts is in it, and the
//! desk corrects nothing clinical. Registration by a role that may not read the whole
//! profile holds only what this part shows (and birth date and sex, which identify).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::patients::profile::{CommunicationPreferences, EmergencyContact, Profile};
use crate::patients::sections::Identity;
use crate::patients::{self, load, resolve_current, save_profile, stale};
use crate::policy::{self, Action, Principal};
use crate::session::Session;

/// How to reach a patient.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskContact {
    /// Phone.
    pub phone: Option<String>,
    /// Where they live or can be found.
    pub location: Option<String>,
    /// Preferred language.
    pub preferred_language: Option<String>,
    /// How to reach them.
    pub communication: Option<CommunicationPreferences>,
}

/// The front desk's view of a patient.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeskRecord {
    /// Who the patient is.
    pub identity: Identity,
    /// The record's version, for a correction.
    pub version: u32,
    /// How to reach them.
    pub contact: DeskContact,
    /// Whom to call.
    pub emergency_contacts: Vec<EmergencyContact>,
    /// Alerts shown wherever the patient is seen (allergies and treatment stay clinical).
    pub medical_alerts: Vec<String>,
}

/// What the desk may correct.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskCorrection {
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Preferred name.
    pub preferred_name: Option<String>,
    /// How to reach them.
    pub contact: DeskContact,
    /// Whom to call.
    pub emergency_contacts: Vec<EmergencyContact>,
}

impl DeskCorrection {
    /// `profile` with the desk's fields replaced by this correction's.
    fn applied_to(&self, mut profile: Profile) -> Profile {
        profile.given_name.clone_from(&self.given_name);
        profile.family_name.clone_from(&self.family_name);
        profile.preferred_name.clone_from(&self.preferred_name);
        profile.phone.clone_from(&self.contact.phone);
        profile.location.clone_from(&self.contact.location);
        profile
            .preferred_language
            .clone_from(&self.contact.preferred_language);
        profile
            .communication
            .clone_from(&self.contact.communication);
        profile
            .emergency_contacts
            .clone_from(&self.emergency_contacts);
        profile
    }

    fn of(profile: &Profile) -> DeskCorrection {
        DeskCorrection {
            given_name: profile.given_name.clone(),
            family_name: profile.family_name.clone(),
            preferred_name: profile.preferred_name.clone(),
            contact: DeskContact {
                phone: profile.phone.clone(),
                location: profile.location.clone(),
                preferred_language: profile.preferred_language.clone(),
                communication: profile.communication.clone(),
            },
            emergency_contacts: profile.emergency_contacts.clone(),
        }
    }
}

/// Reads a patient's desk record (any staff role). Audited as a view of the desk's part.
pub fn record(session: &mut Session, key: &str) -> Result<DeskRecord> {
    session.write(Action::PatientViewDesk, |w| {
        let found = resolve_current(w.conn(), key)?;
        let patient = load(w.conn(), found.rowid)?;
        w.record(Change::new("patient", Some(&found.id)).after(json!({ "desk": true })))?;
        Ok(desk_record(&patient))
    })
}

/// Corrects the names and contact details of a patient from the desk, based on the version
/// read; a newer one is a conflict. The rest of the profile is kept as it is. Audited with
/// the desk's fields before and after (nothing clinical goes into the entry).
pub fn correct(
    session: &mut Session,
    key: &str,
    correction: DeskCorrection,
    expected_version: u32,
) -> Result<DeskRecord> {
    let today = clock::today_utc();
    session.write(Action::PatientEditDesk, |w| {
        let found = resolve_current(w.conn(), key)?;
        let before = load(w.conn(), found.rowid)?;
        if before.version != expected_version {
            return Err(stale(&before, expected_version));
        }
        let profile = correction
            .applied_to(before.profile.clone())
            .normalize_and_validate(today)?;
        if profile == before.profile {
            // Nothing to save; the entry says it was looked at and left as it was.
            w.record(Change::new("patient", Some(&found.id)).after(json!({ "unchanged": true })))?;
            return Ok(desk_record(&before));
        }
        save_profile(w, found.rowid, &profile)?;
        let after = load(w.conn(), found.rowid)?;
        w.record(
            Change::new("patient", Some(&found.id))
                .before(json!(DeskCorrection::of(&before.profile)))
                .after(json!(DeskCorrection::of(&after.profile))),
        )?;
        Ok(desk_record(&after))
    })
}

/// Refuses a registration that holds more than `principal` may read back: a role without
/// the whole profile registers names, birth date, sex and the desk's details only, so it
/// never writes (and cannot later check) clinical details.
pub(crate) fn check_registration(principal: Principal, profile: &Profile) -> Result<()> {
    if policy::allows(principal, Action::PatientView) {
        return Ok(());
    }
    let mut allowed = DeskCorrection::of(profile).applied_to(Profile::named("", ""));
    allowed.date_of_birth.clone_from(&profile.date_of_birth);
    allowed.sex = profile.sex;
    allowed.status = profile.status;
    if &allowed == profile {
        return Ok(());
    }
    Err(Error::Denied {
        role: principal.to_string(),
        action: "record clinical details at registration".to_owned(),
    })
}

fn desk_record(patient: &patients::Patient) -> DeskRecord {
    let correction = DeskCorrection::of(&patient.profile);
    DeskRecord {
        identity: patient.identity(),
        version: patient.version,
        contact: correction.contact,
        emergency_contacts: correction.emergency_contacts,
        medical_alerts: patient.profile.medical_alerts.clone(),
    }
}
