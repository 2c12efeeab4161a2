//! Erasure: the right to be forgotten.
//!
//! One transaction removes (or anonymises) everything held on a patient and redacts their
//! audit trail; a `patient.erase` tombstone records that it happened, with counts and the
//! mode only. After the commit the photo files are deleted, the search index is merged and
//! the WAL is checkpointed and truncated, so no copy of the removed text stays in the vault's
//! files (the connection runs with `secure_delete`, and the search index with FTS5's
//! `secure-delete`, so deleted content is overwritten, not only unlinked).
//!
//! What anonymising keeps: the patient row with a new id and human id, sex, birth year,
//! blood type, organ donor flag and status; every visit, under a new id, with its month,
//! kind, recording staff member and vital signs (every time kept is cut to its month). Everything else goes: names, birth date (but its year), phone, location,
//! language, allergies, conditions, medications, contacts, insurance, alerts, communication
//! preferences; visits' reasons, notes, diagnoses and treatments; narratives with every
//! revision; consents; photos and their files.

use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::audit_chain::Change;
use crate::audit_chain::redact::{self, Redacted};
use crate::clock;
use crate::encounters;
use crate::error::{Error, Result};
use crate::media::blob_id;
use crate::patients::{self, PatientRef, Profile, human_id, search};
use crate::policy::Action;
use crate::session::{Session, WriteTx};
use crate::{access, export};

/// What erasure does to a patient's record.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureMode {
    /// Every row removed.
    #[default]
    Delete,
    /// The record kept for statistics with nothing that identifies the person (see the
    /// module notes for exactly what stays).
    Anonymise,
}

impl ErasureMode {
    /// The name in reports and the tombstone.
    pub fn as_str(self) -> &'static str {
        match self {
            ErasureMode::Delete => "delete",
            ErasureMode::Anonymise => "anonymise",
        }
    }
}

/// What an erasure did. Counts only (but for `anonymised_as`): it is also what the
/// tombstone records.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ErasureReport {
    /// The patient's id (a random UUID, kept in the tombstone).
    pub patient_id: String,
    /// Delete or anonymise.
    pub mode: ErasureMode,
    /// Visits removed (delete) or stripped of their text (anonymise).
    pub encounters: u64,
    /// Narratives removed.
    pub narratives: u64,
    /// Narrative revisions removed.
    pub narrative_revisions: u64,
    /// Consent decisions removed.
    pub consents: u64,
    /// Photos removed.
    pub photos: u64,
    /// Photo files (originals, thumbnails, previews) deleted from `media/`.
    pub photo_files_deleted: u64,
    /// Audit entries whose payload was redacted.
    pub audit_entries_redacted: u64,
    /// Audit entries that hold the patient's data but could not be redacted (v1 entries of
    /// a chain that did not verify at unlock; `audit verify` says where it breaks).
    pub audit_entries_not_redactable: u64,
    /// Access grants removed with the patient (their codes and QR cards stop working).
    pub access_grants_revoked: u64,
    /// Export log entries removed (the exported files themselves are outside the vault).
    pub export_log_entries: u64,
    /// Duplicate records merged into this one and still in the bin, erased with it (always
    /// deleted: they are the same person).
    pub merged_records: u64,
    /// Whether the WAL was checkpointed and truncated (false if another connection was
    /// reading; the next checkpoint finishes the job).
    pub wal_truncated: bool,
    /// The new human id an anonymised record is kept under. Told to the admin who asked,
    /// never written to the tombstone, which would link the two.
    pub anonymised_as: Option<String>,
}

/// Erases a patient (by id or human id), in the bin or not. Admins only.
pub fn erase(session: &mut Session, patient: &str, mode: ErasureMode) -> Result<ErasureReport> {
    erase_checked(session, patient, mode, None)
}

/// As [`erase`], for an admin who typed the patient's human id again as `confirmation`
/// (any case, dashes and spaces optional). It is checked against the record inside the
/// erasure's own transaction, so the wrong chart left open or a slip of the hand changes
/// nothing, and the check itself reads nothing into the audit log.
pub fn erase_confirmed(
    session: &mut Session,
    patient: &str,
    mode: ErasureMode,
    confirmation: &str,
) -> Result<ErasureReport> {
    erase_checked(session, patient, mode, Some(confirmation))
}

fn erase_checked(
    session: &mut Session,
    patient: &str,
    mode: ErasureMode,
    confirmation: Option<&str>,
) -> Result<ErasureReport> {
    let (mut report, blobs) = session.write(Action::PatientErase, |w| {
        let found = patients::resolve(w.conn(), patient)?;
        // The person's records are in the survivor now: erasing the emptied duplicate would
        // report an erasure that erased nothing, and end the merge.
        if let Some(survivor) = patients::merges::active_merge(w.conn(), &found.id)? {
            let survivor: String = w.conn().query_row(
                "SELECT human_id FROM patients WHERE id = ?1",
                [&survivor],
                |r| r.get(0),
            )?;
            return Err(Error::Conflict(format!(
                "patient {patient} was merged into {survivor}: erase {survivor} instead, which \
                 erases this record with it"
            )));
        }
        if let Some(typed) = confirmation {
            let expected: String = w.conn().query_row(
                "SELECT human_id FROM patients WHERE rowid = ?1",
                [found.rowid],
                |r| r.get(0),
            )?;
            check_confirmation(typed, &expected)?;
        }
        erase_in(w, &found, mode, "request")
    })?;
    report.photo_files_deleted = delete_blobs(session, &blobs);
    report.wal_truncated = scrub(session)?;
    Ok(report)
}

/// The guard against slips: `typed` must be the patient's human id.
fn check_confirmation(typed: &str, human_id: &str) -> Result<()> {
    if human_id::parse(typed).is_ok_and(|id| id == human_id) {
        return Ok(());
    }
    Err(Error::Invalid {
        field: "confirmation",
        message: format!("type the patient's id, {human_id}, to confirm the erasure"),
    })
}

/// Erases one patient inside the caller's transaction and writes the tombstone. Returns
/// the report and the blob ids to delete once the transaction has committed (deleting them
/// before would lose photos if it rolled back; a crash in between leaves orphans that the
/// sweep at the next unlock removes). `origin` says who asked: `request`, `retention`, or `restore` (an erasure
/// re-applied over a restored backup made before it).
pub(crate) fn erase_in(
    w: &mut WriteTx<'_>,
    found: &PatientRef,
    mode: ErasureMode,
    origin: &str,
) -> Result<(ErasureReport, Vec<Uuid>)> {
    let id = found.id.as_str();
    // Records merged into this one are the same person and go with it, deleted: anonymised,
    // they would count the person twice.
    let mut merged_blobs = Vec::new();
    let merged = patients::merges::merged_into(w.conn(), id)?;
    for merged_id in &merged {
        // Erased with its survivor, it is no longer a merge to keep: the whole person goes.
        patients::merges::forget(w.conn(), merged_id, false)?;
        let found = patients::resolve(w.conn(), merged_id)?;
        merged_blobs.extend(erase_in(w, &found, ErasureMode::Delete, origin)?.1);
    }
    // A merged-away record emptied from the bin by retention settles its merge: the row goes
    // (deleted, never kept as a second anonymised person), but the person lives on in the
    // survivor, so their trail is not redacted, and the export log and access grants move to
    // the survivor instead of being deleted.
    let survivor = patients::merges::active_merge(w.conn(), id)?;
    let settling = survivor.as_deref().filter(|_| origin == "retention");
    let mode = if survivor.is_some() {
        ErasureMode::Delete
    } else {
        mode
    };
    let conn = w.conn();
    let now = clock::now_ms();
    let patient = patients::load(conn, found.rowid)?;

    // The trail is found through the rows, so it is redacted before they go.
    let mut redacted = Redacted::default();
    if settling.is_none() {
        redacted.add(redact::redact_patient_trail(conn, id, now)?);
        let could_have_found =
            search::CouldHaveFound::new(conn, &patient.human_id, &patient.profile)?;
        redacted.add(redact::redact_searches(
            conn,
            &|query| could_have_found.matches(query),
            now,
        )?);
    }
    if let Some(survivor) = settling {
        for table in ["access_grants", "exports"] {
            conn.execute(
                &format!("UPDATE {table} SET patient_id = ?1 WHERE patient_id = ?2"),
                params![survivor, id],
            )?;
        }
    }

    let blobs = photo_blobs(conn, "patient_id", id)?;
    let count = |sql: &str| -> Result<u64> {
        Ok(conn.query_row(sql, [id], |r| r.get::<_, i64>(0))? as u64)
    };
    let mut report = ErasureReport {
        patient_id: id.to_owned(),
        mode,
        encounters: count("SELECT count(*) FROM encounters WHERE patient_id = ?1")?,
        narratives: count("SELECT count(*) FROM narratives WHERE patient_id = ?1")?,
        narrative_revisions: count(
            "SELECT count(*) FROM narrative_revisions WHERE narrative_id IN \
             (SELECT id FROM narratives WHERE patient_id = ?1)",
        )?,
        consents: count("SELECT count(*) FROM consents WHERE patient_id = ?1")?,
        photos: count("SELECT count(*) FROM photos WHERE patient_id = ?1")?,
        audit_entries_redacted: redacted.seqs.len() as u64,
        audit_entries_not_redactable: redacted.not_redactable,
        access_grants_revoked: access::delete_for_patient(conn, id)?,
        export_log_entries: export::delete_for_patient(conn, id)?,
        merged_records: merged.len() as u64,
        ..ErasureReport::default()
    };
    patients::merges::forget(conn, id, settling.is_some())?;
    crate::transfer::forget_patient(conn, id)?;
    for sql in [
        "DELETE FROM narrative_revisions WHERE narrative_id IN \
         (SELECT id FROM narratives WHERE patient_id = ?1)",
        "DELETE FROM narratives WHERE patient_id = ?1",
        "DELETE FROM consents WHERE patient_id = ?1",
        "DELETE FROM photos WHERE patient_id = ?1",
    ] {
        conn.execute(sql, [id])?;
    }
    search::unindex(conn, found.rowid)?;
    encounters::drop_revisions(conn, "patient_id = ?1", id)?;
    match mode {
        ErasureMode::Delete => {
            conn.execute("DELETE FROM encounters WHERE patient_id = ?1", [id])?;
            conn.execute("DELETE FROM patients WHERE rowid = ?1", [found.rowid])?;
        }
        ErasureMode::Anonymise => {
            let new_id = Uuid::new_v4().to_string();
            // The patient and each visit take a new id, and every date is cut to its month:
            // the old ids stay in the redacted audit trail and the tombstone, and exact times
            // would match those entries' times, either of which would link the statistics
            // kept back to the person.
            conn.execute_batch("PRAGMA defer_foreign_keys = ON")?;
            let visits: Vec<String> = conn
                .prepare("SELECT id FROM encounters WHERE patient_id = ?1")?
                .query_map([id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            for visit in visits {
                conn.execute(
                    &format!(
                        "UPDATE encounters SET id = ?2, patient_id = ?3, reason = '', \
                         notes = NULL, diagnoses = '[]', treatments = '[]', \
                         version = version + 1, occurred_at = {occurred}, \
                         created_at = {created}, updated_at = {updated}, \
                         voided_at = {voided}, voided_by = NULL, \
                         void_reason = CASE WHEN voided_at IS NULL THEN NULL ELSE '' END \
                         WHERE id = ?1",
                        voided = month_of("voided_at"),
                        occurred = month_of("occurred_at"),
                        created = month_of("created_at"),
                        updated = month_of("?4"),
                    ),
                    params![visit, Uuid::new_v4().to_string(), new_id, now],
                )?;
            }
            report.anonymised_as = Some(anonymise_patient(
                w,
                found.rowid,
                &new_id,
                &patient.profile,
                now,
            )?);
        }
    }
    w.record_as(
        redact::TOMBSTONE_ACTION,
        Change::new("patient", Some(id)).after(json!({
            "mode": mode.as_str(),
            "by": origin,
            "encounters": report.encounters,
            "narratives": report.narratives,
            "narrative_revisions": report.narrative_revisions,
            "consents": report.consents,
            "photos": report.photos,
            "photo_files": blobs.len(),
            "access_grants_revoked": report.access_grants_revoked,
            "export_log_entries": report.export_log_entries,
            "merged_records": report.merged_records,
            "audit_entries_redacted": report.audit_entries_redacted,
            "audit_entries_not_redactable": report.audit_entries_not_redactable,
            "redacted_seqs": redacted.ranges(),
        })),
    )?;
    merged_blobs.extend(blobs);
    Ok((report, merged_blobs))
}

/// An erasure as its tombstone in a vault's audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tombstone {
    /// The erased patient's id as it was.
    pub(crate) patient_id: String,
    /// Delete or anonymise.
    pub(crate) mode: ErasureMode,
}

/// Every erasure `conn`'s audit log records, oldest first. Tombstones are never redacted.
pub(crate) fn tombstones(conn: &Connection) -> Result<Vec<Tombstone>> {
    let mut stmt = conn.prepare(
        "SELECT resource_id, after_json FROM audit_log WHERE action = ?1 AND resource_id IS NOT NULL \
         ORDER BY seq",
    )?;
    let rows = stmt.query_map([redact::TOMBSTONE_ACTION], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (patient_id, after) = row?;
        let mode = after
            .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
            .and_then(|a| serde_json::from_value::<ErasureMode>(a["mode"].clone()).ok())
            .unwrap_or(ErasureMode::Delete);
        out.push(Tombstone { patient_id, mode });
    }
    Ok(out)
}

/// The erasures of `recorded` (another copy of the vault's) that `conn`'s vault has not
/// applied: the patient is still there and no tombstone of its own says so.
pub(crate) fn unapplied(conn: &Connection, recorded: &[Tombstone]) -> Result<Vec<Tombstone>> {
    let applied = tombstones(conn)?;
    let mut exists = conn.prepare("SELECT 1 FROM patients WHERE id = ?1")?;
    let mut out = Vec::new();
    for t in recorded {
        if !applied.contains(t) && !out.contains(t) && exists.exists([&t.patient_id])? {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// Applies `erasures` again (a restored backup older than them), in one transaction allowed
/// by `action`, each with a tombstone of its own that says so. Returns how many erased a
/// patient still there.
pub(crate) fn reapply(
    session: &mut Session,
    action: Action,
    erasures: &[Tombstone],
) -> Result<u64> {
    if erasures.is_empty() {
        return Ok(0);
    }
    let (applied, blobs) = session.write(action, |w| {
        let mut applied = 0;
        let mut blobs = Vec::new();
        for t in erasures {
            let found = match patients::resolve(w.conn(), &t.patient_id) {
                Ok(found) => found,
                Err(Error::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            blobs.extend(erase_in(w, &found, t.mode, "restore")?.1);
            applied += 1;
        }
        Ok((applied, blobs))
    })?;
    delete_blobs(session, &blobs);
    scrub(session)?;
    Ok(applied)
}

/// Every blob of the photos whose `column` (`id` or `patient_id`) is `value`: originals
/// (the photo's id), thumbnails, previews.
pub(crate) fn photo_blobs(conn: &Connection, column: &str, value: &str) -> Result<Vec<Uuid>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT id, thumb_id, preview_id FROM photos WHERE {column} = ?1"
    ))?;
    let mut rows = stmt.query([value])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        for column in 0..3 {
            if let Some(id) = row.get::<_, Option<String>>(column)? {
                out.push(blob_id(&id)?);
            }
        }
    }
    Ok(out)
}

/// SQL for the first instant of the UTC month of `ms` (a column or parameter in unix
/// milliseconds).
fn month_of(ms: &str) -> String {
    format!("(CAST(strftime('%s', {ms} / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000)")
}

/// Keeps the patient row for statistics under `new_id`, with nothing left that identifies
/// the person.
fn anonymise_patient(
    w: &WriteTx<'_>,
    rowid: i64,
    new_id: &str,
    old: &Profile,
    now: i64,
) -> Result<String> {
    let mut profile = Profile::named("Anonymised", "patient");
    profile.sex = old.sex;
    profile.blood_type = old.blood_type;
    profile.organ_donor = old.organ_donor;
    profile.status = old.status;
    profile.date_of_birth = old
        .date_of_birth
        .as_deref()
        .and_then(|d| d.get(..4))
        .map(str::to_owned);
    let new_human_id = loop {
        let candidate = human_id::generate()?;
        let taken: bool = w.conn().query_row(
            "SELECT EXISTS (SELECT 1 FROM patients WHERE human_id = ?1)",
            [&candidate],
            |r| r.get(0),
        )?;
        if !taken {
            break candidate;
        }
    };
    let profile_json = serde_json::to_string(&profile)
        .map_err(|_| Error::Internal("cannot serialise a record"))?;
    let sex = profile
        .sex
        .and_then(|s| json!(s).as_str().map(str::to_owned));
    w.conn().execute(
        &format!(
            "UPDATE patients SET id = ?11, human_id = ?2, version = version + 1, \
             given_name = ?3, family_name = ?4, date_of_birth = ?5, sex = ?6, phone = NULL, \
             status = ?7, profile_json = ?8, created_at = {created}, updated_at = {updated}, \
             updated_by = ?10, deleted_at = {deleted} WHERE rowid = ?1",
            created = month_of("created_at"),
            updated = month_of("?9"),
            deleted = month_of("deleted_at"),
        ),
        params![
            rowid,
            new_human_id,
            profile.given_name,
            profile.family_name,
            profile.date_of_birth,
            sex,
            profile.status.as_str(),
            profile_json,
            now,
            w.actor_name(),
            new_id,
        ],
    )?;
    Ok(new_human_id)
}

/// Deletes blobs after their rows are gone; one that cannot go is left for the sweep.
pub(crate) fn delete_blobs(session: &Session, blobs: &[Uuid]) -> u64 {
    blobs
        .iter()
        .filter(|id| session.media.blobs.delete(id).is_ok())
        .count() as u64
}

/// Leaves no copy of removed content in the files: merges the search index (its segments
/// are rewritten without the removed tokens) and checkpoints the WAL into the database,
/// truncating it. Returns whether the truncation completed.
pub(crate) fn scrub(session: &Session) -> Result<bool> {
    session
        .conn
        .execute_batch("INSERT INTO patient_search (patient_search) VALUES ('optimize');")?;
    let busy: i64 = session
        .conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    Ok(busy == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_is_the_patients_own_human_id_however_typed() {
        let id = human_id::generate().unwrap();
        let other = loop {
            let other = human_id::generate().unwrap();
            if other != id {
                break other;
            }
        };
        assert!(check_confirmation(&id, &id).is_ok());
        // As typed by hand: lower case, no dashes, spaces around.
        let loose = format!("  {} ", id.replace('-', "").to_lowercase());
        assert!(check_confirmation(&loose, &id).is_ok(), "{loose}");

        let mut one_off = id.clone().into_bytes();
        let last = one_off.len() - 1;
        one_off[last] = if one_off[last] == b'0' { b'1' } else { b'0' };
        let one_off = String::from_utf8(one_off).unwrap();
        for wrong in [
            "",
            "   ",
            "yes",
            other.as_str(),
            one_off.as_str(),
            &id[..id.len() - 1],
        ] {
            match check_confirmation(wrong, &id) {
                Err(Error::Invalid { field, message }) => {
                    assert_eq!(field, "confirmation", "{wrong:?}");
                    assert!(message.contains(&id), "{message}");
                }
                other => panic!("{wrong:?} was taken: {other:?}"),
            }
        }
    }
}
