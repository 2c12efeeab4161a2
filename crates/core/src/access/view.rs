//! What a grant shows: the patient's identity, and only the sections the grant opens.
//! Built in core, so no front end can show more than the grant allows.

use rusqlite::Connection;
use serde::Serialize;

use super::Grant;
use super::permissions::Permission;
use crate::encounters::{self, Encounter};
use crate::error::Result;
use crate::media::{self, Photo};
use crate::narratives::{self, Narrative};
use crate::patients::profile::{
    Allergy, BloodType, CommunicationPreferences, EmergencyContact, Medication, PatientStatus, Sex,
};
use crate::patients::{self, Patient};

/// A read-only window on one patient's record, opened by an access code or QR.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedView {
    /// The grant that opened it.
    pub grant: Grant,
    /// Who the record is about (always shown, so the desk can check it is the right person).
    pub patient: SharedIdentity,
    /// Alerts and emergency details, when the grant opens them.
    pub emergency: Option<EmergencySection>,
    /// Demographics and contact details, when the grant opens them.
    pub profile: Option<ProfileSection>,
    /// Medications, allergies and conditions, when the grant opens them.
    pub medications: Option<MedicationSection>,
    /// Visits, newest first, when the grant opens them.
    pub visits: Option<Vec<Encounter>>,
    /// Photos shared with staff (never private ones, never the bin), when the grant opens them.
    pub photos: Option<Vec<Photo>>,
    /// Narratives, newest first, when the grant opens them.
    pub narratives: Option<Vec<Narrative>>,
}

/// The patient's identity.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedIdentity {
    /// Human id.
    pub human_id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Preferred name.
    pub preferred_name: Option<String>,
    /// Date of birth.
    pub date_of_birth: Option<String>,
}

/// Emergency information.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmergencySection {
    /// Medical alerts.
    pub medical_alerts: Vec<String>,
    /// Blood type.
    pub blood_type: Option<BloodType>,
    /// Organ donor.
    pub organ_donor: Option<bool>,
    /// Whom to call.
    pub emergency_contacts: Vec<EmergencyContact>,
}

/// Demographics and contact details.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileSection {
    /// Sex.
    pub sex: Option<Sex>,
    /// Phone.
    pub phone: Option<String>,
    /// Where they live or can be found.
    pub location: Option<String>,
    /// Preferred language.
    pub preferred_language: Option<String>,
    /// How to reach them.
    pub communication: Option<CommunicationPreferences>,
    /// Where they are in their recovery.
    pub status: PatientStatus,
}

/// Medications, allergies and chronic conditions.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MedicationSection {
    /// Allergies.
    pub allergies: Vec<Allergy>,
    /// Current medications.
    pub medications: Vec<Medication>,
    /// Chronic conditions.
    pub chronic_conditions: Vec<String>,
}

/// Builds the view of `grant` over its patient.
pub(crate) fn build(conn: &Connection, grant: Grant, patient_rowid: i64) -> Result<SharedView> {
    let Patient {
        id,
        human_id,
        profile: p,
        ..
    } = patients::load(conn, patient_rowid)?;
    let opens = |permission: Permission| grant.permissions.contains(&permission);
    Ok(SharedView {
        patient: SharedIdentity {
            human_id,
            given_name: p.given_name,
            family_name: p.family_name,
            preferred_name: p.preferred_name,
            date_of_birth: p.date_of_birth,
        },
        emergency: opens(Permission::Emergency).then_some(EmergencySection {
            medical_alerts: p.medical_alerts,
            blood_type: p.blood_type,
            organ_donor: p.organ_donor,
            emergency_contacts: p.emergency_contacts,
        }),
        profile: opens(Permission::Profile).then_some(ProfileSection {
            sex: p.sex,
            phone: p.phone,
            location: p.location,
            preferred_language: p.preferred_language,
            communication: p.communication,
            status: p.status,
        }),
        medications: opens(Permission::Medications).then_some(MedicationSection {
            allergies: p.allergies,
            medications: p.medications,
            chronic_conditions: p.chronic_conditions,
        }),
        visits: match opens(Permission::Visits) {
            true => Some(encounters::all(conn, &id)?),
            false => None,
        },
        photos: match opens(Permission::Photos) {
            true => Some(shared_photos(conn, &id)?),
            false => None,
        },
        narratives: match opens(Permission::Narratives) {
            true => Some(narratives::for_patient(conn, &id)?),
            false => None,
        },
        grant,
    })
}

/// The photos a grant may show: shared with staff, not in the bin.
pub(crate) fn shared_photos(conn: &Connection, patient_id: &str) -> Result<Vec<Photo>> {
    Ok(media::all_for_patient(conn, patient_id)?
        .into_iter()
        .filter(media::shown_through_grants)
        .collect())
}
