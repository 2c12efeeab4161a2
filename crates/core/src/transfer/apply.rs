//! Applying a bundle's records, in the importing session's one transaction.
//!
//! Changeable rows (a patient's profile, a visit, a photo's details) are compared by state
//! (see [`super::rows`]), against the states this vault knows the record has passed
//! through ([`super::versions`]) and those the sender knows:
//!
//! - the same state as ours, or one of ours from before: nothing to do;
//! - our state is among the sender's history: the sender's is newer, and replaces ours;
//! - neither: both sides changed it since they last agreed. Ours stays, theirs is kept
//!   in `transfer_conflicts`, and a person decides.
//!
//! Append-only rows (earlier versions of a visit, narrative revisions, consents) are taken
//! in when missing; they cannot conflict. Two vaults may number the same narrative's
//! revisions differently once both have added some, so a revision is recognised by what
//! it says, who wrote it and when, and a narrative reads as its latest revision by time.

use std::collections::HashMap;

use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::bundle::{Head, PatientRecords};
use super::rows::{self, Row, Table};
use super::versions;
use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::patients::{self, Profile};
use crate::policy::{self, Action};
use crate::session::WriteTx;

/// What an import did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// Records this vault did not have.
    pub added: u64,
    /// Records replaced by a newer state.
    pub updated: u64,
    /// Records this vault already held as they are (or newer).
    pub unchanged: u64,
    /// Records changed on both sides: both versions kept, listed for a person.
    pub conflicts: u64,
    /// New patients who may be someone this vault already has: listed for a person.
    pub possible_duplicates: u64,
    /// Patients erased here, whose records were left out.
    pub erased_here: u64,
}

/// Every kind of change an import can make, which the importing user must be allowed.
const CHANGES: [Action; 8] = [
    Action::PatientCreate,
    Action::PatientEdit,
    Action::EncounterRecord,
    Action::EncounterAmend,
    Action::NarrativeWrite,
    Action::ConsentRecord,
    Action::PhotoImport,
    Action::PhotoEdit,
];

/// Refuses an importer who may not make every kind of change a bundle carries.
pub(crate) fn check_policy(w: &WriteTx<'_>) -> Result<()> {
    let principal = w.actor().principal;
    match CHANGES.into_iter().find(|a| !policy::allows(principal, *a)) {
        Some(action) => Err(Error::Denied {
            role: principal.to_string(),
            action: action.description().to_owned(),
        }),
        None => Ok(()),
    }
}

/// Who sent the bundle, for the audit entries and the conflicts list.
pub(crate) struct Source<'a> {
    pub(crate) vault_id: &'a str,
    pub(crate) name: &'a str,
}

/// What happened to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Added,
    Updated,
    Unchanged,
    Conflict,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Added => "added",
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Conflict => "conflict",
        }
    }
}

/// The applier of one bundle.
pub(crate) struct Applier<'a> {
    pub(crate) source: Source<'a>,
    /// Content fingerprints of the photo originals the bundle carried, by blob id.
    pub(crate) macs: &'a HashMap<Uuid, [u8; 32]>,
    /// Computes a fingerprint of a photo already in this vault's store.
    pub(crate) local_mac: &'a dyn Fn(&Uuid) -> Result<[u8; 32]>,
    pub(crate) applied: Applied,
}

impl Applier<'_> {
    /// Applies one patient's records.
    pub(crate) fn patient(&mut self, w: &mut WriteTx<'_>, records: &PatientRecords) -> Result<()> {
        let Some(patient) = &records.patient else {
            return Ok(());
        };
        let patient_id = rows::PATIENTS.id_of(&patient.row)?;
        if erased_here(w, &patient_id)? {
            self.applied.erased_here += 1;
            return Ok(());
        }
        for row in records
            .encounters
            .iter()
            .chain(&records.photos)
            .map(|h| &h.row)
            .chain(&records.narratives)
            .chain(&records.consents)
        {
            if rows::text(row, "patient_id", "records")? != patient_id {
                return Err(Error::BundleDamaged(format!(
                    "a record filed under patient {patient_id} names another patient"
                )));
            }
        }
        let added = self.head(w, rows::PATIENTS, patient, &patient_id)? == Outcome::Added;
        if added {
            self.check_new_patient(w, &patient_id, &patient.row)?;
        }
        for photo in &records.photos {
            self.head(w, rows::PHOTOS, photo, &patient_id)?;
        }
        for encounter in &records.encounters {
            self.head(w, rows::ENCOUNTERS, encounter, &patient_id)?;
        }
        let visits: Vec<String> = records
            .encounters
            .iter()
            .map(|h| rows::ENCOUNTERS.id_of(&h.row))
            .collect::<Result<_>>()?;
        for revision in &records.encounter_revisions {
            if !visits.contains(&rows::text(
                revision,
                "encounter_id",
                "encounter_revisions",
            )?) {
                return Err(Error::BundleDamaged(format!(
                    "an earlier version filed under patient {patient_id} is of another patient's visit"
                )));
            }
            self.append(w, rows::ENCOUNTER_REVISIONS, revision)?;
        }
        for narrative in &records.narratives {
            let fresh = self.append(w, rows::NARRATIVES, narrative)? == Outcome::Added;
            let id = rows::NARRATIVES.id_of(narrative)?;
            let theirs: Vec<&Row> = records
                .narrative_revisions
                .iter()
                .filter(|r| r.get("narrative_id").and_then(Value::as_str) == Some(id.as_str()))
                .collect();
            self.narrative_revisions(w, &id, &theirs, fresh)?;
        }
        for consent in &records.consents {
            self.append(w, rows::CONSENTS, consent)?;
        }
        for entry in &records.audit {
            w.conn()
                .prepare_cached(
                    "INSERT OR IGNORE INTO transfer_source_audit (from_vault, seq, patient_id, entry) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(rusqlite::params![
                    self.source.vault_id,
                    entry.seq as i64,
                    patient_id,
                    serde_json::to_string(entry).map_err(|_| Error::Internal("cannot serialise a transfer record"))?
                ])?;
        }
        let rowid: i64 = w
            .conn()
            .prepare_cached("SELECT rowid FROM patients WHERE id = ?1")?
            .query_row([&patient_id], |r| r.get(0))?;
        patients::search::reindex(w.conn(), rowid)
    }

    /// Applies a changeable row.
    fn head(
        &mut self,
        w: &mut WriteTx<'_>,
        table: Table,
        head: &Head,
        patient_id: &str,
    ) -> Result<Outcome> {
        let id = table.id_of(&head.row)?;
        let theirs = table.state_hash(&head.row);
        let history: Vec<[u8; 32]> = head
            .history
            .iter()
            .filter_map(|h| data_encoding::HEXLOWER.decode(h.as_bytes()).ok())
            .filter_map(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
            .collect();
        let outcome = match table.find(w.conn(), &head.row)? {
            None => {
                self.insert_new(w, table, &head.row)?;
                Outcome::Added
            }
            Some(ours) => {
                let current = table.state_hash(&ours);
                versions::note(w.conn(), table, &id, &current)?;
                if current == theirs || versions::is_known(w.conn(), table, &id, &theirs)? {
                    Outcome::Unchanged
                } else if history.contains(&current) {
                    replace(w.conn(), table, &ours, &head.row)?;
                    settle_superseded(w, table, &id, &history)?;
                    Outcome::Updated
                } else {
                    self.conflict(w, table, head, &id, patient_id, &theirs)?;
                    Outcome::Conflict
                }
            }
        };
        if outcome != Outcome::Conflict {
            for hash in history.iter().chain([&theirs]) {
                versions::note(w.conn(), table, &id, hash)?;
            }
        }
        self.count(w, table, &id, &head.row, outcome)?;
        Ok(outcome)
    }

    /// Inserts a row this vault does not have, with what only this vault can compute.
    fn insert_new(&self, w: &WriteTx<'_>, table: Table, row: &Row) -> Result<()> {
        if table == rows::PHOTOS {
            let blob = crate::media::blob_id(&table.id_of(row)?)?;
            let mac = match self.macs.get(&blob) {
                Some(mac) => *mac,
                None => (self.local_mac)(&blob).map_err(|_| {
                    Error::BundleDamaged(format!("the image of photo {blob} is not in the bundle"))
                })?,
            };
            return table.insert(
                w.conn(),
                row,
                &[("content_mac", SqlValue::Blob(mac.to_vec()))],
            );
        }
        if table == rows::PATIENTS {
            let human_id = rows::text(row, "human_id", table.name)?;
            let taken: bool = w
                .conn()
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM patients WHERE human_id = ?1)")?
                .query_row([&human_id], |r| r.get(0))?;
            if taken {
                // Two vaults drew the same short id (35 random bits): this one keeps its own,
                // and the newcomer gets a fresh one here; its UUID still matches.
                let mut row = row.clone();
                row.insert(
                    "human_id".into(),
                    Value::String(patients::human_id::generate()?),
                );
                return table.insert(w.conn(), &row, &[]);
            }
        }
        table.insert(w.conn(), row, &[])
    }

    /// Takes in an append-only row this vault does not have.
    fn append(&mut self, w: &mut WriteTx<'_>, table: Table, row: &Row) -> Result<Outcome> {
        let outcome = match table.find(w.conn(), row)? {
            Some(_) => Outcome::Unchanged,
            None => {
                table.insert(w.conn(), row, &[])?;
                Outcome::Added
            }
        };
        let id = table.id_of(row)?;
        self.count(w, table, &id, row, outcome)?;
        Ok(outcome)
    }

    /// Takes in the revisions of a narrative this vault does not have (by content), numbered
    /// after its own, and makes the narrative read as its latest revision by time. A
    /// narrative `fresh` from the bundle was counted and audited as added already.
    fn narrative_revisions(
        &mut self,
        w: &mut WriteTx<'_>,
        id: &str,
        theirs: &[&Row],
        fresh: bool,
    ) -> Result<()> {
        let table = rows::NARRATIVE_REVISIONS;
        let ours = table.select(w.conn(), "narrative_id = ?1", id)?;
        let mut known: Vec<[u8; 32]> = ours.iter().map(|r| table.state_hash(r)).collect();
        let mut next = ours
            .iter()
            .filter_map(|r| r.get("revision").and_then(Value::as_u64))
            .max()
            .unwrap_or(0);
        let mut added = 0;
        for revision in theirs {
            let hash = table.state_hash(revision);
            if known.contains(&hash) {
                continue;
            }
            next += 1;
            let mut row = (*revision).clone();
            row.insert("revision".into(), Value::from(next));
            table.insert(w.conn(), &row, &[])?;
            known.push(hash);
            added += 1;
        }
        // A narrative new here came with its current text; otherwise the latest revision
        // by time (then by number) is the text, as in every vault that holds the same set.
        if added == 0 || fresh {
            return Ok(());
        }
        w.conn().execute(
            "UPDATE narratives SET (title, body, photo_id, updated_at, revision) = \
             (SELECT title, body, photo_id, edited_at, \
                     (SELECT max(revision) FROM narrative_revisions WHERE narrative_id = ?1) \
              FROM narrative_revisions WHERE narrative_id = ?1 \
              ORDER BY edited_at DESC, revision DESC LIMIT 1) \
             WHERE id = ?1",
            [id],
        )?;
        self.applied.updated += 1;
        w.record(Change::new("narrative", Some(id)).after(json!({
            "from_vault": self.source.vault_id,
            "from": self.source.name,
            "outcome": "revisions_added",
            "revisions": added,
        })))
    }

    /// Keeps their version of a row changed on both sides, for a person to decide.
    fn conflict(
        &mut self,
        w: &WriteTx<'_>,
        table: Table,
        head: &Head,
        id: &str,
        patient_id: &str,
        theirs: &[u8; 32],
    ) -> Result<()> {
        w.conn()
            .prepare_cached(
                "INSERT OR IGNORE INTO transfer_conflicts (id, kind, resource_type, resource_id, \
                 patient_id, from_vault, incoming, incoming_hash, received_at) \
                 VALUES (?1, 'edited_on_both_sides', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(rusqlite::params![
                Uuid::now_v7().to_string(),
                table.name,
                id,
                patient_id,
                self.source.vault_id,
                serde_json::to_string(head)
                    .map_err(|_| Error::Internal("cannot serialise a transfer record"))?,
                theirs.as_slice(),
                clock::now_ms(),
            ])?;
        Ok(())
    }

    /// Lists a new patient who may be one this vault has (the same test registration makes:
    /// same name and birth date, or same phone) for a person to merge or keep apart.
    fn check_new_patient(&mut self, w: &WriteTx<'_>, patient_id: &str, row: &Row) -> Result<()> {
        let profile: Profile = serde_json::from_str(&rows::text(row, "profile_json", "patients")?)
            .map_err(|e| {
                Error::BundleDamaged(format!("a patient's profile cannot be read ({e})"))
            })?;
        let matches: Vec<String> =
            patients::duplicates::likely_duplicates(w.conn(), &profile, Some(patient_id))?
                .into_iter()
                .map(|m| m.id)
                .collect();
        if matches.is_empty() {
            return Ok(());
        }
        let incoming = json!({ "matches": matches });
        let hash = crate::crypto::sha256(&[b"possible_duplicate", incoming.to_string().as_bytes()]);
        w.conn()
            .prepare_cached(
                "INSERT OR IGNORE INTO transfer_conflicts (id, kind, resource_type, resource_id, \
                 patient_id, from_vault, incoming, incoming_hash, received_at) \
                 VALUES (?1, 'possible_duplicate', 'patients', ?2, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(rusqlite::params![
                Uuid::now_v7().to_string(),
                patient_id,
                self.source.vault_id,
                incoming.to_string(),
                hash.as_slice(),
                clock::now_ms(),
            ])?;
        self.applied.possible_duplicates += 1;
        Ok(())
    }

    /// Counts an outcome and audits every change (an unchanged record is not a change).
    fn count(
        &mut self,
        w: &mut WriteTx<'_>,
        table: Table,
        id: &str,
        row: &Row,
        outcome: Outcome,
    ) -> Result<()> {
        match outcome {
            Outcome::Added => self.applied.added += 1,
            Outcome::Updated => self.applied.updated += 1,
            Outcome::Unchanged => {
                self.applied.unchanged += 1;
                return Ok(());
            }
            Outcome::Conflict => self.applied.conflicts += 1,
        }
        w.record(Change::new(table.resource, Some(id)).after(json!({
            "from_vault": self.source.vault_id,
            "from": self.source.name,
            "by": author(table, row),
            "table": table.name,
            "outcome": outcome.as_str(),
        })))
    }
}

/// Who wrote a row, by name, as the sender recorded it.
fn author(table: Table, row: &Row) -> Value {
    let column = match table.name {
        "patients" => "updated_by",
        "photos" => "importer_name",
        "narratives" => "author_name",
        "narrative_revisions" => "editor_name",
        "consents" => "recorder",
        "encounter_revisions" => "replaced_by",
        _ => "created_by",
    };
    row.get(column).cloned().unwrap_or(Value::Null)
}

/// Replaces our row by theirs. Version counters only rise here, since an edit in this vault
/// names the version it was based on.
pub(crate) fn replace(
    conn: &rusqlite::Connection,
    table: Table,
    ours: &Row,
    theirs: &Row,
) -> Result<()> {
    let mut row = theirs.clone();
    if let (Some(mine), Some(incoming)) = (
        ours.get("version").and_then(Value::as_u64),
        theirs.get("version").and_then(Value::as_u64),
    ) {
        row.insert("version".into(), Value::from(incoming.max(mine + 1)));
    }
    table.update(conn, &row)
}

/// Marks settled the open conflicts on a record whose versions a newer state descends from:
/// someone settled them in the other vault.
fn settle_superseded(w: &WriteTx<'_>, table: Table, id: &str, history: &[[u8; 32]]) -> Result<()> {
    for hash in history {
        w.conn()
            .prepare_cached(
                "UPDATE transfer_conflicts SET resolved_at = ?1, resolved_by = ?2, \
                 resolution = 'settled_elsewhere' WHERE resource_type = ?3 AND resource_id = ?4 \
                 AND incoming_hash = ?5 AND resolved_at IS NULL",
            )?
            .execute(rusqlite::params![
                clock::now_ms(),
                w.actor_name(),
                table.name,
                id,
                hash.as_slice()
            ])?;
    }
    Ok(())
}

/// Whether this vault erased the patient: a bundle must not bring them back.
fn erased_here(w: &WriteTx<'_>, patient_id: &str) -> Result<bool> {
    Ok(w
        .conn()
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM audit_log WHERE action = 'patient.erase' AND resource_id = ?1)",
        )?
        .query_row([patient_id], |r| r.get(0))?)
}
