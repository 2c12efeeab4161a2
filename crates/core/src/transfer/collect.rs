//! What goes into a bundle: every patient whose records the sender's audit log says were
//! changed after the entry the receiver last confirmed, with all of that patient's rows, and the images
//! of the photos that arrived in this vault in that range (an image never changes, so it
//! travels once).
//!
//! Whole patients travel rather than single rows so that what a bundle says about a
//! patient is complete at its end: a merge that moved a visit, a revision that names a
//! photo, all arrive together. Rows the receiver already holds are recognised there and
//! cost nothing but bytes.

use std::collections::{BTreeSet, HashMap};

use rusqlite::Connection;

use super::bundle::{Contents, Counts, Head, PatientRecords};
use super::rows::{self, Row, Table};
use super::versions;
use crate::audit_chain::{self, AuditRecord};
use crate::error::Result;
use crate::policy::Action;

/// The resource types whose audit entries name a patient's records.
const RECORD_RESOURCES: [&str; 5] = ["patient", "encounter", "narrative", "photo", "consent"];

/// The actions that change a patient's records (reads are audited too, and would make every
/// bundle carry every record looked at).
const CHANGES: [Action; 14] = [
    Action::PatientCreate,
    Action::PatientEdit,
    Action::PatientEditDesk,
    Action::PatientDelete,
    Action::PatientMerge,
    Action::EncounterRecord,
    Action::EncounterAmend,
    Action::NarrativeWrite,
    Action::ConsentRecord,
    Action::PhotoImport,
    Action::PhotoEdit,
    Action::PhotoDelete,
    Action::TransferReceive,
    Action::TransferResolve,
];

/// Changes recorded under a name of their own rather than their action's.
const CHANGES_NAMED: [&str; 3] = ["patient.restore", "patient.unmerge", "encounter.void"];

fn is_change(action: &str) -> bool {
    CHANGES.iter().any(|a| a.name() == action) || CHANGES_NAMED.contains(&action)
}

/// The actions that bring a photo's image into a vault.
const IMAGE_ARRIVALS: [&str; 2] = ["photo.import", "transfer.receive"];

/// What a bundle will carry.
pub(crate) struct Collected {
    pub(crate) contents: Contents,
    /// Photo blobs (originals and thumbnails) to carry.
    pub(crate) blobs: Vec<uuid::Uuid>,
    pub(crate) counts: Counts,
}

/// Collects the records named by audit entries after `from_seq` up to `to_seq`. The log is
/// read once, in order, and each entry about a patient's records filed under the patient.
pub(crate) fn collect(conn: &Connection, from_seq: u64, to_seq: u64) -> Result<Collected> {
    let mut changed = BTreeSet::new();
    let mut new_images = BTreeSet::new();
    let mut trails: HashMap<String, Vec<AuditRecord>> = HashMap::new();
    let mut owners: HashMap<(String, String), Option<String>> = HashMap::new();
    for entry in audit_chain::range(conn, from_seq, to_seq)? {
        let Some(id) = entry.resource_id.clone() else {
            continue;
        };
        if !RECORD_RESOURCES.contains(&entry.resource_type.as_str()) {
            continue;
        }
        let key = (entry.resource_type.clone(), id.clone());
        let owner = match owners.get(&key) {
            Some(owner) => owner.clone(),
            None => {
                let owner = patient_of(conn, &entry.resource_type, &id)?;
                owners.insert(key, owner.clone());
                owner
            }
        };
        let Some(patient) = owner else {
            continue;
        };
        if is_change(&entry.action) {
            if entry.resource_type == "photo" && IMAGE_ARRIVALS.contains(&entry.action.as_str()) {
                new_images.insert(id);
            }
            changed.insert(patient.clone());
        }
        trails.entry(patient).or_default().push(entry);
    }
    let mut contents = Contents::default();
    let mut counts = Counts::default();
    let mut blobs = Vec::new();
    for patient_id in &changed {
        let mut records = patient_records(conn, patient_id)?;
        records.audit = trails.remove(patient_id).unwrap_or_default();
        counts.audit_entries += records.audit.len() as u64;
        for photo in &records.photos {
            let id = rows::text(&photo.row, "id", "photos")?;
            if new_images.contains(&id) {
                blobs.push(crate::media::blob_id(&id)?);
                blobs.push(crate::media::blob_id(&rows::text(
                    &photo.row, "thumb_id", "photos",
                )?)?);
            }
        }
        counts.patients += 1;
        counts.encounters += records.encounters.len() as u64;
        counts.narratives += records.narratives.len() as u64;
        counts.consents += records.consents.len() as u64;
        counts.photos += records.photos.len() as u64;
        contents.patients.push(records);
    }
    counts.images = blobs.len() as u64;
    Ok(Collected {
        contents,
        blobs,
        counts,
    })
}

/// The patient a record belongs to, if it still exists.
fn patient_of(conn: &Connection, resource: &str, id: &str) -> Result<Option<String>> {
    let table = match resource {
        "patient" => return exists(conn, "SELECT id FROM patients WHERE id = ?1", id),
        "encounter" => "encounters",
        "narrative" => "narratives",
        "photo" => "photos",
        _ => "consents",
    };
    exists(
        conn,
        &format!("SELECT patient_id FROM {table} WHERE id = ?1"),
        id,
    )
}

fn exists(conn: &Connection, sql: &str, id: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(sql)?
        .query_row([id], |r| r.get(0))
        .optional()?)
}

/// Every row of one patient, changeable rows with their known versions.
pub(crate) fn patient_records(conn: &Connection, patient_id: &str) -> Result<PatientRecords> {
    let of_patient = "patient_id = ?1";
    let heads = |table: Table, filter: &str| -> Result<Vec<Head>> {
        table
            .select(conn, filter, patient_id)?
            .into_iter()
            .map(|row| head(conn, table, row))
            .collect()
    };
    Ok(PatientRecords {
        patient: heads(rows::PATIENTS, "id = ?1")?.pop(),
        photos: heads(rows::PHOTOS, of_patient)?,
        encounters: heads(rows::ENCOUNTERS, of_patient)?,
        encounter_revisions: rows::ENCOUNTER_REVISIONS.select(
            conn,
            "encounter_id IN (SELECT id FROM encounters WHERE patient_id = ?1)",
            patient_id,
        )?,
        narratives: rows::NARRATIVES.select(conn, of_patient, patient_id)?,
        narrative_revisions: rows::NARRATIVE_REVISIONS.select(
            conn,
            "narrative_id IN (SELECT id FROM narratives WHERE patient_id = ?1)",
            patient_id,
        )?,
        consents: rows::CONSENTS.select(conn, of_patient, patient_id)?,
        audit: Vec::new(),
    })
}

/// A changeable row with its history: every state this vault knows it passed through,
/// its current one included.
fn head(conn: &Connection, table: Table, row: Row) -> Result<Head> {
    let id = table.id_of(&row)?;
    let mut known = versions::known(conn, table, &id)?;
    let current = table.state_hash(&row);
    if !known.contains(&current) {
        known.push(current);
    }
    Ok(Head {
        history: known
            .iter()
            .map(|h| data_encoding::HEXLOWER.encode(h))
            .collect(),
        row,
    })
}

/// Notes the current state of each changeable row sent among its known versions, once the
/// bundle is written: what the receiver may later send back as its ancestor.
pub(crate) fn note_sent(conn: &Connection, records: &PatientRecords) -> Result<()> {
    let heads = records
        .patient
        .iter()
        .map(|h| (rows::PATIENTS, h))
        .chain(records.photos.iter().map(|h| (rows::PHOTOS, h)))
        .chain(records.encounters.iter().map(|h| (rows::ENCOUNTERS, h)));
    for (table, head) in heads {
        versions::note(
            conn,
            table,
            &table.id_of(&head.row)?,
            &table.state_hash(&head.row),
        )?;
    }
    Ok(())
}
