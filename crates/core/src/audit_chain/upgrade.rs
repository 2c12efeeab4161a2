//! Converting v1 entries (written before redaction existed) to v2, once, at unlock.
//!
//! A v1 entry's chain MAC covers its payload text, so it can never be redacted. If a vault
//! has v1 entries and its chain verifies, the whole chain is re-MAC'd in the v2 form in one
//! transaction (the update trigger is dropped and recreated from its own stored SQL inside
//! it), and an `audit.upgraded` entry records the old head and anchor. The anchor in
//! `header.json` then moves as after any write; if the process dies before it does,
//! `verify` accepts an anchor that an `audit.upgraded` entry names as the one it replaced.
//! A chain that does not verify is left as it is: converting it would launder the damage.

use rusqlite::Connection;
use serde_json::Value;

use super::checkpoint;
use super::entry::{GENESIS, Row, SELECT_ROWS};
use crate::error::Result;
use crate::store::header::AuditAnchor;

/// Action recorded by the conversion.
pub(crate) const ACTION: &str = "audit.upgraded";

/// Recomputes every entry's payload MAC (v1 rows) and chain MAC in the v2 form.
pub(crate) fn rewrite_chain(
    conn: &Connection,
    key: &crate::crypto::SecretKey,
    vault_id: &uuid::Uuid,
) -> Result<u64> {
    let trigger: String = conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'audit_log_no_update'",
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch("DROP TRIGGER audit_log_no_update")?;
    let mut prev = match checkpoint::load(conn, key, vault_id)? {
        Some(Ok(c)) => c.mac,
        _ => GENESIS.to_vec(),
    };
    let rows: Vec<Row> = conn
        .prepare(&format!("{SELECT_ROWS} ORDER BY seq"))?
        .query_map([], |r| Row::from_sql(r).map(|(row, _)| row))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update =
        conn.prepare("UPDATE audit_log SET mac = ?2, payload_mac = ?3 WHERE seq = ?1")?;
    let mut converted = 0;
    for row in rows {
        let payload_mac = match &row.payload_mac {
            Some(p) => p.clone(),
            None => {
                converted += 1;
                row.compute_payload_mac(key).to_vec()
            }
        };
        let mac = row.mac_v2(key, &prev, &payload_mac);
        update.execute(rusqlite::params![row.seq, mac.as_slice(), payload_mac])?;
        prev = mac.to_vec();
    }
    drop(update);
    conn.execute_batch(&trigger)?;
    Ok(converted)
}

/// Whether an `audit.upgraded` entry names `anchor` as the anchor it replaced: the process
/// stopped between the conversion's commit and the anchor's move.
pub(crate) fn explains_anchor(conn: &Connection, anchor: &AuditAnchor) -> Result<bool> {
    let mut stmt = conn.prepare(
        "SELECT after_json FROM audit_log WHERE action = ?1 AND seq > ?2 AND after_json IS NOT NULL",
    )?;
    let rows = stmt.query_map(rusqlite::params![ACTION, anchor.count as i64], |r| {
        r.get::<_, String>(0)
    })?;
    for text in rows {
        let value: Value = serde_json::from_str(&text?).unwrap_or(Value::Null);
        let old = &value["old_anchor"];
        if old["count"].as_u64() == Some(anchor.count) && old["head"].as_str() == Some(&anchor.head)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
pub(crate) fn rewrite_chain_for_test(
    conn: &Connection,
    key: &crate::crypto::SecretKey,
    vault_id: &uuid::Uuid,
) -> u64 {
    #[allow(clippy::unwrap_used)]
    rewrite_chain(conn, key, vault_id).unwrap()
}
