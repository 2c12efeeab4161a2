//! Redaction: removing the payload (before, after, reason) of audit entries that hold
//! personal data of someone erased, while the chain keeps proving who did what, to which
//! resource, when. Only v2 entries can be redacted (their chain MAC covers a MAC of the
//! payload, not the text); v1 entries that could not be upgraded are counted and left.
//!
//! Every redaction is listed, as seq ranges, in a later entry's `redacted_seqs` (the
//! erasure tombstone or the retention entry), and `verify` reports a redacted entry that no
//! later entry accounts for.

use rusqlite::{Connection, ToSql, params};
use serde_json::Value;

use crate::error::Result;

/// Action of the erasure tombstone: never redacted, it holds no personal data.
pub(crate) const TOMBSTONE_ACTION: &str = "patient.erase";

/// SQL condition: the entry is about patient `param` (an SQL parameter such as `?9`) or one
/// of their visits, narratives, consents, photos and access grants. Shared by `audit list --patient`,
/// erasure and the subject access export, so all three agree on what the trail is.
pub(crate) fn patient_trail(param: &str) -> String {
    format!(
        "(resource_id = {param} \
          OR resource_id IN (SELECT id FROM encounters WHERE patient_id = {param}) \
          OR resource_id IN (SELECT id FROM narratives WHERE patient_id = {param}) \
          OR resource_id IN (SELECT id FROM consents WHERE patient_id = {param}) \
          OR resource_id IN (SELECT id FROM photos WHERE patient_id = {param}) \
          OR resource_id IN (SELECT id FROM access_grants WHERE patient_id = {param}))"
    )
}

/// What a redaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Redacted {
    /// Entries whose payload was removed.
    pub(crate) seqs: Vec<u64>,
    /// v1 entries that matched but cannot be redacted without breaking the chain.
    pub(crate) not_redactable: u64,
}

impl Redacted {
    pub(crate) fn add(&mut self, other: Redacted) {
        self.seqs.extend(other.seqs);
        self.not_redactable += other.not_redactable;
    }

    /// The redacted seqs as `[first, last]` ranges, for the entry that accounts for them.
    pub(crate) fn ranges(&self) -> Vec<[u64; 2]> {
        let mut seqs = self.seqs.clone();
        seqs.sort_unstable();
        seqs.dedup();
        let mut out: Vec<[u64; 2]> = Vec::new();
        for seq in seqs {
            match out.last_mut() {
                Some(last) if last[1] + 1 == seq => last[1] = seq,
                _ => out.push([seq, seq]),
            }
        }
        out
    }
}

/// Redacts every entry with a payload that matches `condition` (SQL over `audit_log`),
/// except erasure tombstones.
pub(crate) fn redact_where(
    conn: &Connection,
    condition: &str,
    params: &[&dyn ToSql],
    now: i64,
) -> Result<Redacted> {
    let sql = format!(
        "SELECT seq, payload_mac IS NULL FROM audit_log WHERE {condition} \
         AND redacted_at IS NULL AND action <> '{TOMBSTONE_ACTION}' \
         AND (before_json IS NOT NULL OR after_json IS NOT NULL OR reason IS NOT NULL)"
    );
    let matched: Vec<(i64, bool)> = conn
        .prepare(&sql)?
        .query_map(params, |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    redact_seqs(conn, matched, now)
}

fn redact_seqs(conn: &Connection, matched: Vec<(i64, bool)>, now: i64) -> Result<Redacted> {
    let mut out = Redacted::default();
    let mut update = conn.prepare_cached(
        "UPDATE audit_log SET before_json = NULL, after_json = NULL, reason = NULL, \
         redacted_at = ?2 WHERE seq = ?1",
    )?;
    for (seq, v1) in matched {
        if v1 {
            out.not_redactable += 1;
        } else {
            update.execute(params![seq, now])?;
            out.seqs.push(seq as u64);
        }
    }
    Ok(out)
}

/// Redacts a patient's whole trail (see [`patient_trail`]). Run it before their rows go:
/// the trail is found through them.
pub(crate) fn redact_patient_trail(
    conn: &Connection,
    patient_id: &str,
    now: i64,
) -> Result<Redacted> {
    redact_where(conn, &patient_trail("?1"), &[&patient_id], now)
}

/// Redacts the entries about one resource (a narrative or visit removed by retention).
pub(crate) fn redact_resource(conn: &Connection, resource_id: &str, now: i64) -> Result<Redacted> {
    redact_where(conn, "resource_id = ?1", &[&resource_id], now)
}

/// Redacts recorded searches whose query `found` says could have found the erased patient:
/// someone may have typed their name, id or phone into the search box.
pub(crate) fn redact_searches(
    conn: &Connection,
    found: &dyn Fn(&str) -> Result<bool>,
    now: i64,
) -> Result<Redacted> {
    let mut stmt = conn.prepare(
        "SELECT seq, payload_mac IS NULL, after_json FROM audit_log \
         WHERE action = 'patient.search' AND redacted_at IS NULL AND after_json IS NOT NULL",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, bool>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut matched = Vec::new();
    for row in rows {
        let (seq, v1, after) = row?;
        let query = serde_json::from_str::<Value>(&after)
            .ok()
            .and_then(|v| v.get("query").and_then(Value::as_str).map(str::to_owned));
        if let Some(query) = query
            && found(&query)?
        {
            matched.push((seq, v1));
        }
    }
    drop(stmt);
    redact_seqs(conn, matched, now)
}

/// The seqs an entry's payload says were redacted (`after.redacted_seqs`).
pub(crate) fn accounted_ranges(after_json: Option<&str>) -> Vec<[u64; 2]> {
    after_json
        // Parsing every entry's payload would dominate a chain check; only a payload that
        // names the key can hold it (an escaped spelling only makes the check stricter).
        .filter(|text| text.contains("\"redacted_seqs\""))
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .and_then(|v| v.get("redacted_seqs").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seqs_collapse_into_ranges() {
        let r = Redacted {
            seqs: vec![7, 3, 4, 5, 9, 4],
            not_redactable: 0,
        };
        assert_eq!(r.ranges(), vec![[3, 5], [7, 7], [9, 9]]);
        assert_eq!(
            accounted_ranges(Some(r#"{"redacted_seqs":[[3,5],[7,7]]}"#)),
            vec![[3, 5], [7, 7]]
        );
        assert!(accounted_ranges(Some("not json")).is_empty());
    }
}
