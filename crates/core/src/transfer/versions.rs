//! The states each changeable record is known to have passed through (`transfer_versions`).

use rusqlite::Connection;

use super::rows::Table;
use crate::error::Result;

/// Notes `hash` among the record's known states.
pub(crate) fn note(conn: &Connection, table: Table, id: &str, hash: &[u8; 32]) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO transfer_versions (resource_type, resource_id, hash) VALUES (?1, ?2, ?3)",
    )?
    .execute(rusqlite::params![table.name, id, hash.as_slice()])?;
    Ok(())
}

/// Whether `hash` is among the record's known states.
pub(crate) fn is_known(conn: &Connection, table: Table, id: &str, hash: &[u8; 32]) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM transfer_versions \
             WHERE resource_type = ?1 AND resource_id = ?2 AND hash = ?3)",
        )?
        .query_row(rusqlite::params![table.name, id, hash.as_slice()], |r| {
            r.get(0)
        })?)
}

/// Every known state of the record.
pub(crate) fn known(conn: &Connection, table: Table, id: &str) -> Result<Vec<[u8; 32]>> {
    let mut stmt = conn.prepare_cached(
        "SELECT hash FROM transfer_versions WHERE resource_type = ?1 AND resource_id = ?2 ORDER BY hash",
    )?;
    let rows = stmt.query_map(rusqlite::params![table.name, id], |r| {
        r.get::<_, Vec<u8>>(0)
    })?;
    let mut out = Vec::new();
    for hash in rows {
        if let Ok(hash) = <[u8; 32]>::try_from(hash?.as_slice()) {
            out.push(hash);
        }
    }
    Ok(out)
}

/// Forgets every state of a patient's records, the conflicts waiting on them and their
/// sender's audit entries (erasure).
pub(crate) fn forget_patient(conn: &Connection, patient_id: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM transfer_versions WHERE (resource_type = 'patients' AND resource_id = ?1) \
         OR (resource_type = 'encounters' AND resource_id IN (SELECT id FROM encounters WHERE patient_id = ?1)) \
         OR (resource_type = 'photos' AND resource_id IN (SELECT id FROM photos WHERE patient_id = ?1))",
        [patient_id],
    )?;
    conn.execute(
        "DELETE FROM transfer_conflicts WHERE patient_id = ?1",
        [patient_id],
    )?;
    conn.execute(
        "DELETE FROM transfer_source_audit WHERE patient_id = ?1",
        [patient_id],
    )?;
    Ok(())
}
