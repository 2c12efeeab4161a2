//! Merging a duplicate patient record into another (admins): the other's visits, narratives,
//! photos and consents move to the survivor, the other goes to the bin, and its ids resolve
//! to the survivor from then on. Until the bin empties the merge can be undone: exactly the
//! rows that moved go back (what was added to the survivor since stays), and the other comes
//! out of the bin. Both directions are audited with what moved.
//!
//! The survivor's profile is kept as it is: which name, phone or alert is right is a
//! person's decision, made by editing the survivor, with the other's profile still there to
//! read in the bin.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::patients::{self, PatientRef, search};
use crate::policy::Action;
use crate::session::Session;

/// The tables whose rows belong to a patient and move with a merge. Access grants stay with
/// the record they were issued for (a card names it), and so does the export log.
const MOVED_TABLES: [&str; 4] = ["encounters", "narratives", "photos", "consents"];

/// A merge as admins see it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientMerge {
    /// The merged-away patient's id.
    pub merged_id: String,
    /// Its human id (it now opens the survivor).
    pub merged_human_id: String,
    /// The surviving patient's id.
    pub survivor_id: String,
    /// Rows that moved, by table (`encounters`, `narratives`, `photos`, `consents`).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub moved: BTreeMap<String, u64>,
    /// When, RFC 3339.
    pub merged_at: String,
    /// Who merged (user name).
    pub merged_by: String,
    /// When the merge was undone, RFC 3339.
    pub undone_at: Option<String>,
    /// Whether it can still be undone (not undone, and the merged-away record still in the
    /// bin).
    pub undoable: bool,
}

/// Merges `other` into `survivor` (each by id or human id). Both must be current records
/// and different; `other` must not be a survivor of an earlier merge still undoable, so an
/// undo never has to follow a chain.
pub fn merge(session: &mut Session, survivor: &str, other: &str) -> Result<PatientMerge> {
    let staff = session.actor().username.clone();
    session.write(Action::PatientMerge, |w| {
        let conn = w.conn();
        let kept = patients::resolve_current(conn, survivor)?;
        let gone = patients::resolve_current(conn, other)?;
        if kept.id == gone.id {
            return Err(Error::invalid(
                "patient",
                "a record cannot be merged into itself",
            ));
        }
        if !patients::merges::merged_into(conn, &gone.id)?.is_empty() {
            return Err(Error::Conflict(format!(
                "other records were merged into {other}; merge into {other} instead, or undo \
                 those merges first"
            )));
        }
        let mut moved: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for table in MOVED_TABLES {
            let ids = ids_of(conn, table, &gone.id)?;
            conn.execute(
                &format!("UPDATE {table} SET patient_id = ?1 WHERE patient_id = ?2"),
                params![kept.id, gone.id],
            )?;
            moved.insert(table.to_owned(), ids);
        }
        let now = clock::now_ms();
        conn.execute(
            "UPDATE patients SET deleted_at = ?1, deleted_by = ?2 WHERE rowid = ?3",
            params![now, staff, gone.rowid],
        )?;
        search::unindex(conn, gone.rowid)?;
        search::reindex(conn, kept.rowid)?;
        let merged_human_id = human_id_of(conn, &gone)?;
        // A merge of this record undone earlier is history the audit log keeps.
        conn.execute(
            "DELETE FROM patient_merges WHERE merged_id = ?1 AND undone_at IS NOT NULL",
            [&gone.id],
        )?;
        conn.execute(
            "INSERT INTO patient_merges (merged_id, merged_human_id, survivor_id, moved, \
             merged_at, merged_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                gone.id,
                merged_human_id,
                kept.id,
                serde_json::to_string(&moved)
                    .map_err(|_| Error::Internal("cannot serialise a merge"))?,
                now,
                staff
            ],
        )?;
        let merge = load(conn, &gone.id)?;
        w.record(
            Change::new("patient", Some(&gone.id))
                .after(json!({ "merged_into": kept.id, "moved": merge.moved })),
        )?;
        w.record(
            Change::new("patient", Some(&kept.id))
                .after(json!({ "merged_from": gone.id, "moved": merge.moved })),
        )?;
        Ok(merge)
    })
}

/// Undoes the merge of `merged` (the merged-away record, by id or human id): the rows that
/// moved and still belong to the survivor go back, and the record leaves the bin.
pub fn undo(session: &mut Session, merged: &str) -> Result<PatientMerge> {
    session.write(Action::PatientMerge, |w| {
        let conn = w.conn();
        let gone = patients::resolve(conn, merged)?;
        let Some(survivor_id) = patients::merges::active_merge(conn, &gone.id)? else {
            return Err(Error::Conflict(format!(
                "patient {merged} was not merged into another record, or its merge can no \
                 longer be undone"
            )));
        };
        let kept = patients::resolve(conn, &survivor_id)?;
        let moved_json: String = conn.query_row(
            "SELECT moved FROM patient_merges WHERE merged_id = ?1",
            [&gone.id],
            |r| r.get(0),
        )?;
        let moved: BTreeMap<String, Vec<String>> = serde_json::from_str(&moved_json)
            .map_err(|e| Error::CorruptDatabase(format!("a merge record cannot be read: {e}")))?;
        let mut returned = BTreeMap::new();
        for table in MOVED_TABLES {
            let mut count = 0;
            for id in moved.get(table).into_iter().flatten() {
                count += conn.execute(
                    &format!(
                        "UPDATE {table} SET patient_id = ?1 WHERE id = ?2 AND patient_id = ?3"
                    ),
                    params![gone.id, id, kept.id],
                )? as u64;
            }
            returned.insert(table.to_owned(), count);
        }
        let now = clock::now_ms();
        conn.execute(
            "UPDATE patients SET deleted_at = NULL, deleted_by = NULL WHERE rowid = ?1",
            [gone.rowid],
        )?;
        conn.execute(
            "UPDATE patient_merges SET undone_at = ?1, undone_by = ?2 WHERE merged_id = ?3",
            params![now, w.actor_name(), gone.id],
        )?;
        search::reindex(conn, gone.rowid)?;
        search::reindex(conn, kept.rowid)?;
        w.record_as(
            "patient.unmerge",
            Change::new("patient", Some(&gone.id))
                .after(json!({ "merged_into": kept.id, "returned": returned })),
        )?;
        load(w.conn(), &gone.id)
    })
}

/// The merges into `patient` (by id or human id), newest first: what a chart shows its admin.
pub fn list(session: &mut Session, patient: &str) -> Result<Vec<PatientMerge>> {
    session.read(Action::PatientMerge, |s| {
        let found = patients::resolve_following_merges(&s.conn, patient)?;
        let mut stmt = s.conn.prepare(
            "SELECT merged_id FROM patient_merges WHERE survivor_id = ?1 ORDER BY merged_at DESC",
        )?;
        let ids: Vec<String> = stmt
            .query_map([&found.id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter().map(|id| load(&s.conn, id)).collect()
    })
}

fn ids_of(conn: &Connection, table: &str, patient_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(&format!("SELECT id FROM {table} WHERE patient_id = ?1"))?;
    let ids = stmt
        .query_map([patient_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

fn human_id_of(conn: &Connection, found: &PatientRef) -> Result<String> {
    Ok(conn.query_row(
        "SELECT human_id FROM patients WHERE rowid = ?1",
        [found.rowid],
        |r| r.get(0),
    )?)
}

fn load(conn: &Connection, merged_id: &str) -> Result<PatientMerge> {
    let row = conn
        .query_row(
            "SELECT merged_human_id, survivor_id, moved, merged_at, merged_by, undone_at, \
             settled_at FROM patient_merges WHERE merged_id = ?1",
            [merged_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| Error::NotFound {
            what: "merge",
            id: merged_id.to_owned(),
        })?;
    let (merged_human_id, survivor_id, moved, merged_at, merged_by, undone_at, settled_at) = row;
    let moved: BTreeMap<String, Vec<String>> = serde_json::from_str(&moved)
        .map_err(|e| Error::CorruptDatabase(format!("a merge record cannot be read: {e}")))?;
    Ok(PatientMerge {
        merged_id: merged_id.to_owned(),
        merged_human_id,
        survivor_id,
        moved: moved
            .into_iter()
            .map(|(table, ids)| (table, ids.len() as u64))
            .collect(),
        merged_at: clock::to_rfc3339(merged_at),
        merged_by,
        undone_at: undone_at.map(clock::to_rfc3339),
        undoable: undone_at.is_none() && settled_at.is_none(),
    })
}
