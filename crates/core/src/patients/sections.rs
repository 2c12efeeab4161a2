//! A patient's record cut into the sections that can be shared or exported separately:
//! the identity (always shown, so a reader can check it is the right person), emergency
//! information, demographics, and medications. An access grant opens some of them; an
//! export holds those its kind and the exporting role allow. One cut serves both, so a
//! section means the same thing on a QR card's screen and in a PDF.

use serde::{Deserialize, Serialize};

use super::Patient;
use super::profile::{
    Allergy, BloodType, CommunicationPreferences, EmergencyContact, Insurance, Medication,
    PatientStatus, Sex,
};

/// The patient's identity.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// UUIDv7.
    pub id: String,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Health insurance.
    pub insurance: Option<Insurance>,
}

/// Medications, allergies and chronic conditions.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MedicationSection {
    /// Allergies.
    pub allergies: Vec<Allergy>,
    /// Current medications.
    pub medications: Vec<Medication>,
    /// Chronic conditions.
    pub chronic_conditions: Vec<String>,
}

impl Patient {
    /// Who the record is about.
    pub fn identity(&self) -> Identity {
        let p = &self.profile;
        Identity {
            id: self.id.clone(),
            human_id: self.human_id.clone(),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            preferred_name: p.preferred_name.clone(),
            date_of_birth: p.date_of_birth.clone(),
        }
    }

    /// Alerts and emergency details.
    pub fn emergency(&self) -> EmergencySection {
        let p = &self.profile;
        EmergencySection {
            medical_alerts: p.medical_alerts.clone(),
            blood_type: p.blood_type,
            organ_donor: p.organ_donor,
            emergency_contacts: p.emergency_contacts.clone(),
        }
    }

    /// Demographics and contact details.
    pub fn demographics(&self) -> ProfileSection {
        let p = &self.profile;
        ProfileSection {
            sex: p.sex,
            phone: p.phone.clone(),
            location: p.location.clone(),
            preferred_language: p.preferred_language.clone(),
            communication: p.communication.clone(),
            status: p.status,
            insurance: p.insurance.clone(),
        }
    }

    /// Allergies, medications and chronic conditions.
    pub fn medications(&self) -> MedicationSection {
        let p = &self.profile;
        MedicationSection {
            allergies: p.allergies.clone(),
            medications: p.medications.clone(),
            chronic_conditions: p.chronic_conditions.clone(),
        }
    }
}
