//! One audit row as stored, and the bytes its MACs are computed over.
//!
//! Two forms live side by side:
//! - v1 (written before redaction existed, `payload_mac` NULL): the chain MAC covers every
//!   field, the payload text included, under the prefix `tessera-audit-v1\0`.
//! - v2: `payload_mac = HMAC(key, "tessera-audit-payload-v1\0" || before || after || reason)`
//!   and the chain MAC covers the fixed fields and `payload_mac` under `tessera-audit-v2\0`.
//!   Redaction sets the payload to NULL and `redacted_at`; the stored `payload_mac` then
//!   stands in for the text, so the chain still verifies.

use crate::crypto::{self, SecretKey};

pub(crate) const MAC_LEN: usize = 32;
pub(crate) const GENESIS: [u8; MAC_LEN] = [0; MAC_LEN];

/// The columns every query over the log reads, in [`Row::from_sql`]'s order.
pub(crate) const SELECT_ROWS: &str = "SELECT seq, at, actor_id, actor_name, session_id, action, \
     resource_type, resource_id, before_json, after_json, reason, mac, payload_mac, redacted_at \
     FROM audit_log";

/// One row of the log, as stored (JSON kept as text so the MAC is over exact bytes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) seq: i64,
    pub(crate) at: i64,
    pub(crate) actor_id: Option<String>,
    pub(crate) actor_name: String,
    pub(crate) session_id: String,
    pub(crate) action: String,
    pub(crate) resource_type: String,
    pub(crate) resource_id: Option<String>,
    pub(crate) before_json: Option<String>,
    pub(crate) after_json: Option<String>,
    pub(crate) reason: Option<String>,
    /// `None` for a v1 row.
    pub(crate) payload_mac: Option<Vec<u8>>,
    /// When the payload was removed.
    pub(crate) redacted_at: Option<i64>,
}

/// Unambiguous encoding: each field length-prefixed, `u32::MAX` for NULL.
fn put(out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        Some(bytes) => {
            out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
    }
}

/// The MAC standing for an entry's payload in the chain.
pub(crate) fn payload_mac(
    key: &SecretKey,
    before: Option<&str>,
    after: Option<&str>,
    reason: Option<&str>,
) -> [u8; MAC_LEN] {
    let mut out = b"tessera-audit-payload-v1\0".to_vec();
    for field in [before, after, reason] {
        put(&mut out, field.map(str::as_bytes));
    }
    crypto::hmac_sha256(key, &[&out])
}

impl Row {
    fn fixed_fields(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.at.to_be_bytes());
        put(out, self.actor_id.as_deref().map(str::as_bytes));
        put(out, Some(self.actor_name.as_bytes()));
        put(out, Some(self.session_id.as_bytes()));
        put(out, Some(self.action.as_bytes()));
        put(out, Some(self.resource_type.as_bytes()));
        put(out, self.resource_id.as_deref().map(str::as_bytes));
    }

    /// The v1 encoding: fixed fields and the payload text.
    fn canonical_v1(&self) -> Vec<u8> {
        let mut out = b"tessera-audit-v1\0".to_vec();
        self.fixed_fields(&mut out);
        put(&mut out, self.before_json.as_deref().map(str::as_bytes));
        put(&mut out, self.after_json.as_deref().map(str::as_bytes));
        put(&mut out, self.reason.as_deref().map(str::as_bytes));
        out
    }

    /// The v2 encoding: fixed fields and the payload's MAC.
    fn canonical_v2(&self, payload_mac: &[u8]) -> Vec<u8> {
        let mut out = b"tessera-audit-v2\0".to_vec();
        self.fixed_fields(&mut out);
        put(&mut out, Some(payload_mac));
        out
    }

    /// This row's payload MAC computed from its text.
    pub(crate) fn compute_payload_mac(&self, key: &SecretKey) -> [u8; MAC_LEN] {
        payload_mac(
            key,
            self.before_json.as_deref(),
            self.after_json.as_deref(),
            self.reason.as_deref(),
        )
    }

    /// The v1 chain MAC (only for rows written before v2, and the upgrade that converts them).
    pub(crate) fn mac_v1(&self, key: &SecretKey, prev: &[u8]) -> [u8; MAC_LEN] {
        crypto::hmac_sha256(key, &[prev, &self.canonical_v1()])
    }

    /// The v2 chain MAC over a given payload MAC.
    pub(crate) fn mac_v2(&self, key: &SecretKey, prev: &[u8], payload_mac: &[u8]) -> [u8; MAC_LEN] {
        crypto::hmac_sha256(key, &[prev, &self.canonical_v2(payload_mac)])
    }

    /// Whether the payload was removed by a redaction.
    pub(crate) fn is_redacted(&self) -> bool {
        self.redacted_at.is_some()
            && self.before_json.is_none()
            && self.after_json.is_none()
            && self.reason.is_none()
    }

    /// The chain MAC this row should carry after `prev`, or why it cannot: a v2 row whose
    /// payload text no longer matches its payload MAC was altered. A redacted row's stored
    /// payload MAC is trusted: its text is gone on purpose.
    pub(crate) fn expected_mac(
        &self,
        key: &SecretKey,
        prev: &[u8],
    ) -> Result<[u8; MAC_LEN], &'static str> {
        let Some(stored_payload) = &self.payload_mac else {
            return Ok(self.mac_v1(key, prev));
        };
        if !self.is_redacted() && !crypto::ct_eq(&self.compute_payload_mac(key), stored_payload) {
            return Err("its content was altered (the payload MAC does not match)");
        }
        Ok(self.mac_v2(key, prev, stored_payload))
    }

    /// Reads a row selected with [`SELECT_ROWS`], and its stored MAC.
    pub(crate) fn from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Row, Vec<u8>)> {
        Ok((
            Row {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor_id: r.get(2)?,
                actor_name: r.get(3)?,
                session_id: r.get(4)?,
                action: r.get(5)?,
                resource_type: r.get(6)?,
                resource_id: r.get(7)?,
                before_json: r.get(8)?,
                after_json: r.get(9)?,
                reason: r.get(10)?,
                payload_mac: r.get(12)?,
                redacted_at: r.get(13)?,
            },
            r.get(11)?,
        ))
    }
}
