//! Patients, their chart and their visits.

use tauri::State;
use tessera_app_macros::command;
use tessera_core::chart::{self, Chart};
use tessera_core::encounters::{self, Encounter, EncounterRevision, NewEncounter};
use tessera_core::listing::Listing;
use tessera_core::merge::{self, PatientMerge};
use tessera_core::patients::desk::{self, DeskCorrection, DeskRecord};
use tessera_core::patients::{self, Patient, PatientSummary, Profile, Registration};

use crate::api_error::ApiError;
use crate::state::AppState;

/// Visits shown with a chart.
const CHART_ENCOUNTERS: u32 = 50;

/// Finds patients; an empty query lists them by name.
#[command]
pub async fn patient_search(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> Result<Vec<PatientSummary>, ApiError> {
    state
        .with_session(move |s| {
            if query.trim().is_empty() {
                patients::list(s, Listing::Current, limit)
            } else {
                patients::search(s, &query, limit)
            }
        })
        .await
}

/// Registers a patient. Unless `not_duplicate` (a person looked at the matches), a patient
/// who seems to have a record already is refused with `likely_duplicate`.
#[command]
pub async fn patient_create(
    state: State<'_, AppState>,
    profile: Profile,
    not_duplicate: bool,
) -> Result<Patient, ApiError> {
    let registration = if not_duplicate {
        Registration::NotADuplicate
    } else {
        Registration::CheckDuplicates
    };
    state
        .with_session(move |s| patients::create(s, profile, registration))
        .await
}

/// Patients who may be the same person as the one being registered (same name and date of
/// birth, or the same phone), for the warning before saving.
#[command]
pub async fn patient_duplicates(
    state: State<'_, AppState>,
    profile: Profile,
) -> Result<Vec<PatientSummary>, ApiError> {
    state
        .with_session(move |s| patients::duplicates(s, &profile))
        .await
}

/// The front desk's part of a record: identity, contact details, emergency contacts and
/// medical alerts (every role).
#[command]
pub async fn patient_desk(
    state: State<'_, AppState>,
    patient: String,
) -> Result<DeskRecord, ApiError> {
    state.with_session(move |s| desk::record(s, &patient)).await
}

/// Corrects names and contact details from the desk, based on `expected_version`.
#[command]
pub async fn patient_desk_correct(
    state: State<'_, AppState>,
    patient: String,
    correction: DeskCorrection,
    expected_version: u32,
) -> Result<DeskRecord, ApiError> {
    state
        .with_session(move |s| desk::correct(s, &patient, correction, expected_version))
        .await
}

/// Merges the duplicate `other` into `survivor` (admins).
#[command]
pub async fn patient_merge(
    state: State<'_, AppState>,
    survivor: String,
    other: String,
) -> Result<PatientMerge, ApiError> {
    state
        .with_session(move |s| merge::merge(s, &survivor, &other))
        .await
}

/// Undoes the merge of `merged` into another record, while it is in the bin (admins).
#[command]
pub async fn patient_unmerge(
    state: State<'_, AppState>,
    merged: String,
) -> Result<PatientMerge, ApiError> {
    state.with_session(move |s| merge::undo(s, &merged)).await
}

/// The records merged into `patient`, newest first (admins).
#[command]
pub async fn patient_merges(
    state: State<'_, AppState>,
    patient: String,
) -> Result<Vec<PatientMerge>, ApiError> {
    state.with_session(move |s| merge::list(s, &patient)).await
}

/// Opens a patient: the profile and the newest visits, in one audited read.
#[command]
pub async fn patient_chart(state: State<'_, AppState>, patient: String) -> Result<Chart, ApiError> {
    state
        .with_session(move |s| chart::open(s, &patient, CHART_ENCOUNTERS))
        .await
}

/// Saves a profile edited from `expected_version`; a newer version is a conflict.
#[command]
pub async fn patient_update(
    state: State<'_, AppState>,
    patient: String,
    profile: Profile,
    expected_version: u32,
) -> Result<Patient, ApiError> {
    state
        .with_session(move |s| patients::edit(s, &patient, profile, expected_version))
        .await
}

/// Records a visit and its vital signs.
#[command]
pub async fn encounter_add(
    state: State<'_, AppState>,
    patient: String,
    encounter: NewEncounter,
) -> Result<Encounter, ApiError> {
    state
        .with_session(move |s| encounters::add(s, &patient, encounter))
        .await
}

/// Corrects a visit: `encounter` replaces its content, the earlier version is kept, and
/// `reason` (required) says why.
#[command]
pub async fn encounter_amend(
    state: State<'_, AppState>,
    id: String,
    encounter: NewEncounter,
    reason: String,
) -> Result<Encounter, ApiError> {
    state
        .with_session(move |s| encounters::amend(s, &id, encounter, &reason))
        .await
}

/// Voids a visit recorded by mistake: kept, marked with `reason`, left out of the chart.
#[command]
pub async fn encounter_void(
    state: State<'_, AppState>,
    id: String,
    reason: String,
) -> Result<Encounter, ApiError> {
    state
        .with_session(move |s| encounters::void(s, &id, &reason))
        .await
}

/// The versions of a visit that amendments replaced, oldest first.
#[command]
pub async fn encounter_history(
    state: State<'_, AppState>,
    id: String,
) -> Result<Vec<EncounterRevision>, ApiError> {
    state
        .with_session(move |s| encounters::history(s, &id))
        .await
}
