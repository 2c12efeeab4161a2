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
use crate::patients;
use crate::patients::sections::{EmergencySection, Identity, MedicationSection, ProfileSection};

/// A read-only window on one patient's record, opened by an access code or QR.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedView {
    /// The grant that opened it.
    pub grant: Grant,
    /// Who the record is about (always shown, so the desk can check it is the right person).
    pub patient: Identity,
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

/// Builds the view of `grant` over its patient.
pub(crate) fn build(conn: &Connection, grant: Grant, patient_rowid: i64) -> Result<SharedView> {
    let patient = patients::load(conn, patient_rowid)?;
    let opens = |permission: Permission| grant.permissions.contains(&permission);
    let id = &patient.id;
    Ok(SharedView {
        emergency: opens(Permission::Emergency).then(|| patient.emergency()),
        profile: opens(Permission::Profile).then(|| patient.demographics()),
        medications: opens(Permission::Medications).then(|| patient.medications()),
        visits: match opens(Permission::Visits) {
            true => Some(encounters::in_force(conn, id)?),
            false => None,
        },
        photos: match opens(Permission::Photos) {
            true => Some(shared_photos(conn, id)?),
            false => None,
        },
        narratives: match opens(Permission::Narratives) {
            true => Some(narratives::for_patient(conn, id, None)?),
            false => None,
        },
        patient: patient.identity(),
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
