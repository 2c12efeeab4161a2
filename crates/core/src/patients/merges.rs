//! The record of merges (`patient_merges`): which record a merged-away patient went into,
//! read wherever a patient is looked up. The merge itself is `crate::merge`.

use rusqlite::{Connection, OptionalExtension, params};

use crate::clock;
use crate::error::Result;
use crate::patients::human_id;

/// The survivor a patient in the bin was merged into, while the merge can still be undone.
pub(crate) fn active_merge(conn: &Connection, patient_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT survivor_id FROM patient_merges WHERE merged_id = ?1 \
             AND undone_at IS NULL AND settled_at IS NULL",
        )?
        .query_row([patient_id], |r| r.get(0))
        .optional()?)
}

/// The survivor of a merged-away patient that has left the bin for good, by its id or human
/// id: its ids keep leading to the record it became part of.
pub(crate) fn redirect(conn: &Connection, key: &str) -> Result<Option<String>> {
    let key = key.trim();
    let by_human_id = human_id::parse(key).ok();
    Ok(conn
        .prepare_cached(
            "SELECT survivor_id FROM patient_merges \
             WHERE (merged_id = ?1 OR merged_human_id = ?2) AND undone_at IS NULL",
        )?
        .query_row(params![key, by_human_id], |r| r.get(0))
        .optional()?)
}

/// The patients merged into `survivor_id` that are still in the bin.
pub(crate) fn merged_into(conn: &Connection, survivor_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT merged_id FROM patient_merges WHERE survivor_id = ?1 \
         AND undone_at IS NULL AND settled_at IS NULL",
    )?;
    let ids = stmt
        .query_map([survivor_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// What an erasure of `patient_id` leaves of the merges it took part in. Retention emptying
/// the bin of a merged-away record keeps its redirect (ids only; the merge can no longer be
/// undone); anything else erases every row that names the patient.
pub(crate) fn forget(conn: &Connection, patient_id: &str, keep_redirect: bool) -> Result<()> {
    if keep_redirect {
        conn.execute(
            "UPDATE patient_merges SET settled_at = ?2, moved = '{}' \
             WHERE merged_id = ?1 AND undone_at IS NULL",
            params![patient_id, clock::now_ms()],
        )?;
        // Records merged into this one earlier went on with it: their ids now lead to where
        // it went.
        conn.execute(
            "UPDATE patient_merges SET survivor_id = \
             (SELECT survivor_id FROM patient_merges WHERE merged_id = ?1) \
             WHERE survivor_id = ?1",
            [patient_id],
        )?;
    } else {
        conn.execute(
            "DELETE FROM patient_merges WHERE merged_id = ?1 OR survivor_id = ?1",
            [patient_id],
        )?;
    }
    Ok(())
}
