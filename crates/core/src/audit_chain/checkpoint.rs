//! The retention checkpoint: where the chain starts once its oldest entries were removed.
//!
//! Retention may delete entries older than the legal minimum (see `retention`). The chain
//! must still verify, so before deleting entries `1..=n` the checkpoint records entry `n`'s
//! seq and MAC, MAC'd with the audit key and bound to the vault id; verification then starts
//! from it as if it were the genesis. The delete trigger refuses any row after the checkpoint,
//! and without the audit key nobody can move the checkpoint forward to hide later entries.

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::entry::MAC_LEN;
use crate::crypto::{self, SecretKey};
use crate::error::{Error, Result};

/// Where verification starts: the last removed entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Checkpoint {
    pub(crate) seq: u64,
    pub(crate) mac: Vec<u8>,
}

fn checkpoint_mac(
    key: &SecretKey,
    vault_id: &Uuid,
    seq: u64,
    at: i64,
    mac: &[u8],
) -> [u8; MAC_LEN] {
    crypto::hmac_sha256(
        key,
        &[
            b"tessera-audit-checkpoint-v1\0",
            vault_id.as_bytes(),
            &seq.to_be_bytes(),
            &at.to_be_bytes(),
            mac,
        ],
    )
}

/// The checkpoint, if entries were ever removed. `Err` holds why it cannot be trusted.
pub(crate) fn load(
    conn: &Connection,
    key: &SecretKey,
    vault_id: &Uuid,
) -> Result<Option<std::result::Result<Checkpoint, String>>> {
    let row: Option<(i64, Vec<u8>, i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, mac, at, checkpoint_mac FROM audit_checkpoint WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    Ok(row.map(|(seq, mac, at, stored)| {
        let seq = seq as u64;
        if crypto::ct_eq(&checkpoint_mac(key, vault_id, seq, at, &mac), &stored) {
            Ok(Checkpoint { seq, mac })
        } else {
            Err("the retention checkpoint was altered".to_owned())
        }
    }))
}

/// Removes entries `..=through` (in the caller's transaction), moving the checkpoint to
/// `through` first so the delete trigger allows it. Returns how many entries went.
pub(crate) fn remove_through(
    conn: &Connection,
    key: &SecretKey,
    vault_id: &Uuid,
    through: u64,
    now: i64,
) -> Result<u64> {
    let mac: Vec<u8> = conn
        .query_row(
            "SELECT mac FROM audit_log WHERE seq = ?1",
            [through as i64],
            |r| r.get(0),
        )
        .optional()?
        .ok_or(Error::Internal("the last audit entry to remove is missing"))?;
    let current: Option<i64> = conn
        .query_row("SELECT seq FROM audit_checkpoint WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    if current.is_some_and(|c| c as u64 >= through) {
        return Ok(0);
    }
    conn.execute(
        "INSERT INTO audit_checkpoint (id, seq, mac, at, checkpoint_mac) VALUES (1, ?1, ?2, ?3, ?4) \
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, mac = excluded.mac, at = excluded.at, \
         checkpoint_mac = excluded.checkpoint_mac",
        params![
            through as i64,
            mac,
            now,
            checkpoint_mac(key, vault_id, through, now, &mac).as_slice()
        ],
    )?;
    let removed = conn.execute("DELETE FROM audit_log WHERE seq <= ?1", [through as i64])?;
    Ok(removed as u64)
}
