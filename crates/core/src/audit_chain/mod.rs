//! The audit chain: an append-only, HMAC-chained log of every change and every view.
//!
//! Entry `n` stores `mac_n = HMAC(audit key, mac_{n-1} || canonical(entry_n))`, with
//! `mac_0` all zeros. SQL triggers refuse UPDATE and DELETE; someone holding the raw
//! database key can still drop them, which is what the MACs and the header anchor are for:
//! an altered, reordered or removed entry breaks the chain, and removing the newest entries
//! leaves the chain shorter than the count anchored in `header.json`.
//!
//! Entries are v2 (see [`entry`]): the chain covers a MAC of each payload rather than the
//! payload itself, so redaction ([`redact`]) can remove personal data of an erased patient
//! without breaking the chain; retention can remove the oldest entries behind a MAC'd
//! checkpoint ([`checkpoint`]); vaults written before v2 are converted at unlock ([`upgrade`]).

pub(crate) mod checkpoint;
pub(crate) mod entry;
pub(crate) mod redact;
pub(crate) mod upgrade;

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::clock;
use crate::crypto::{self, SecretKey};
use crate::error::{Error, Result};
use crate::store::header::AuditAnchor;
use entry::{GENESIS, MAC_LEN, Row, SELECT_ROWS};

/// What a change did to one resource; the caller describes it, the chain records it.
/// Never put secrets (passwords, keys, access codes) in `before` or `after`.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// Kind of resource (`staff`, `patient`, `vault`, ...).
    pub resource_type: String,
    /// Its id, if it has one.
    pub resource_id: Option<String>,
    /// State before the change.
    pub before: Option<Value>,
    /// State after the change.
    pub after: Option<Value>,
    /// Why, when the user gave a reason.
    pub reason: Option<String>,
}

impl Change {
    /// A change to `resource_type`/`resource_id`.
    pub fn new(resource_type: &str, resource_id: Option<&str>) -> Self {
        Change {
            resource_type: resource_type.to_owned(),
            resource_id: resource_id.map(str::to_owned),
            ..Change::default()
        }
    }

    /// Sets the state before.
    pub fn before(mut self, value: Value) -> Self {
        self.before = Some(value);
        self
    }

    /// Sets the state after.
    pub fn after(mut self, value: Value) -> Self {
        self.after = Some(value);
        self
    }

    /// Sets the reason.
    pub fn reason(mut self, reason: Option<&str>) -> Self {
        self.reason = reason.map(str::to_owned);
        self
    }
}

/// The newest entry of the chain: where the next one attaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainHead {
    pub(crate) count: u64,
    pub(crate) mac: [u8; MAC_LEN],
}

impl ChainHead {
    pub(crate) fn load(conn: &Connection) -> Result<ChainHead> {
        let last: Option<(i64, Vec<u8>)> = conn
            .query_row(
                "SELECT seq, mac FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match last {
            None => ChainHead {
                count: 0,
                mac: GENESIS,
            },
            Some((seq, mac)) => ChainHead {
                count: seq as u64,
                mac: mac.try_into().map_err(|_| Error::AuditChainBroken {
                    seq: seq as u64,
                    reason: "its MAC has the wrong length".into(),
                })?,
            },
        })
    }
}

/// Who is writing: the fields every entry of a session shares.
#[derive(Debug)]
pub(crate) struct Author<'a> {
    pub(crate) actor_id: Option<&'a str>,
    pub(crate) actor_name: &'a str,
    pub(crate) session_id: &'a str,
    pub(crate) key: &'a SecretKey,
}

/// Appends one entry to the chain inside the caller's transaction.
pub(crate) fn append(
    conn: &Connection,
    author: &Author<'_>,
    head: &mut ChainHead,
    action: &str,
    change: &Change,
) -> Result<()> {
    let to_text = |v: &Option<Value>| v.as_ref().map(Value::to_string);
    let row = Row {
        seq: head.count as i64 + 1,
        at: clock::now_ms(),
        actor_id: author.actor_id.map(str::to_owned),
        actor_name: author.actor_name.to_owned(),
        session_id: author.session_id.to_owned(),
        action: action.to_owned(),
        resource_type: change.resource_type.clone(),
        resource_id: change.resource_id.clone(),
        before_json: to_text(&change.before),
        after_json: to_text(&change.after),
        reason: change.reason.clone(),
        payload_mac: None,
        redacted_at: None,
    };
    let payload_mac = row.compute_payload_mac(author.key);
    let mac = row.mac_v2(author.key, &head.mac, &payload_mac);
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor_id, actor_name, session_id, action, resource_type, \
         resource_id, before_json, after_json, reason, mac, payload_mac) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        row.seq,
        row.at,
        row.actor_id,
        row.actor_name,
        row.session_id,
        row.action,
        row.resource_type,
        row.resource_id,
        row.before_json,
        row.after_json,
        row.reason,
        mac.as_slice(),
        payload_mac.as_slice(),
    ])?;
    head.count += 1;
    head.mac = mac;
    Ok(())
}

/// The anchor for a chain head, MAC'd with the audit key.
pub(crate) fn anchor_for(key: &SecretKey, vault_id: &Uuid, head: &ChainHead) -> AuditAnchor {
    AuditAnchor {
        count: head.count,
        head: data_encoding::HEXLOWER.encode(&head.mac),
        mac: data_encoding::HEXLOWER.encode(&anchor_mac(key, vault_id, head.count, &head.mac)),
    }
}

fn anchor_mac(key: &SecretKey, vault_id: &Uuid, count: u64, head: &[u8]) -> [u8; MAC_LEN] {
    crypto::hmac_sha256(
        key,
        &[
            b"tessera-audit-anchor-v1\0",
            vault_id.as_bytes(),
            &count.to_be_bytes(),
            head,
        ],
    )
}

/// An entry as read back from the log.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When, RFC 3339.
    pub at: String,
    /// Staff id of the actor (none for the recovery key or the system).
    pub actor_id: Option<String>,
    /// User name of the actor.
    pub actor: String,
    /// The session the entry was written in.
    pub session_id: String,
    /// What was done (`staff.add`, `auth.login_failed`, ...).
    pub action: String,
    /// Kind of resource.
    pub resource_type: String,
    /// Its id.
    pub resource_id: Option<String>,
    /// State before.
    pub before: Option<Value>,
    /// State after.
    pub after: Option<Value>,
    /// Reason given.
    pub reason: Option<String>,
    /// When the payload (before, after, reason) was removed because it held personal data
    /// of an erased patient, RFC 3339. The entry itself stays in the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub redacted_at: Option<String>,
}

impl From<Row> for AuditRecord {
    fn from(row: Row) -> Self {
        let parse =
            |t: Option<String>| t.map(|t| serde_json::from_str(&t).unwrap_or(Value::String(t)));
        AuditRecord {
            seq: row.seq as u64,
            at: clock::to_rfc3339(row.at),
            actor_id: row.actor_id,
            actor: row.actor_name,
            session_id: row.session_id,
            action: row.action,
            resource_type: row.resource_type,
            resource_id: row.resource_id,
            before: parse(row.before_json),
            after: parse(row.after_json),
            reason: row.reason,
            redacted_at: row.redacted_at.map(clock::to_rfc3339),
        }
    }
}

/// A patient's whole trail (see [`AuditFilter::patient`]), oldest first, without the policy
/// check: for the subject access export, whose caller has been authorized.
pub(crate) fn trail(conn: &Connection, patient_id: &str) -> Result<Vec<AuditRecord>> {
    let sql = format!(
        "{SELECT_ROWS} WHERE {} ORDER BY seq",
        redact::patient_trail("?1")
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([patient_id], Row::from_sql)?;
    rows.map(|r| Ok(AuditRecord::from(r?.0))).collect()
}

/// The entries after `from_seq` up to `to_seq`, oldest first, without the policy check:
/// for a transfer bundle, whose caller has been authorized.
pub(crate) fn range(conn: &Connection, from_seq: u64, to_seq: u64) -> Result<Vec<AuditRecord>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT_ROWS} WHERE seq > ?1 AND seq <= ?2 ORDER BY seq"
    ))?;
    let rows = stmt.query_map([from_seq as i64, to_seq as i64], Row::from_sql)?;
    rows.map(|r| Ok(AuditRecord::from(r?.0))).collect()
}

/// The first problem found by [`verify`].
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// The first bad (or first missing) entry; 0 for problems not tied to an entry.
    pub seq: u64,
    /// What is wrong.
    pub reason: String,
}

/// What [`verify`] found.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// True when the chain, the anchor and the append-only triggers are all intact.
    pub ok: bool,
    /// Entries read.
    pub entries: u64,
    /// Count anchored in the header.
    pub anchored: Option<u64>,
    /// Entries newer than the anchor (written after the last header update; normally 0).
    pub unanchored: u64,
    /// The oldest entries removed by retention (the chain starts after them).
    pub removed: u64,
    /// Entries whose payload was redacted (erasure, retention).
    pub redacted: u64,
    /// Entries still in the v1 form (written before redaction existed and not upgraded
    /// because the chain did not verify); they cannot be redacted.
    pub legacy: u64,
    /// The first problem, if any.
    pub problem: Option<ChainProblem>,
}

impl VerifyReport {
    /// Turns a failed report into [`Error::AuditChainBroken`].
    pub fn into_result(self) -> Result<VerifyReport> {
        match &self.problem {
            Some(p) => Err(Error::AuditChainBroken {
                seq: p.seq,
                reason: p.reason.clone(),
            }),
            None => Ok(self),
        }
    }
}

/// Checks the chain in `conn` with `key` against `anchor`, naming the first bad entry.
pub fn verify_chain(
    conn: &Connection,
    key: &SecretKey,
    vault_id: &Uuid,
    anchor: Option<&AuditAnchor>,
) -> Result<VerifyReport> {
    let mut report = VerifyReport {
        ok: false,
        entries: 0,
        anchored: anchor.map(|a| a.count),
        unanchored: 0,
        removed: 0,
        redacted: 0,
        legacy: 0,
        problem: None,
    };
    report.problem = if let Some(problem) = missing_triggers(conn)? {
        Some(problem)
    } else if let Some(problem) = walk_entries(conn, key, vault_id, &mut report)? {
        Some(problem)
    } else {
        check_anchor(conn, key, vault_id, anchor, &mut report)?
    };
    report.ok = report.problem.is_none();
    Ok(report)
}

fn problem(seq: u64, reason: impl Into<String>) -> Option<ChainProblem> {
    Some(ChainProblem {
        seq,
        reason: reason.into(),
    })
}

/// Whether someone dropped the triggers that refuse UPDATE and DELETE.
fn missing_triggers(conn: &Connection) -> Result<Option<ChainProblem>> {
    let triggers: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' \
         AND name IN ('audit_log_no_update', 'audit_log_no_delete')",
        [],
        |r| r.get(0),
    )?;
    Ok(match triggers {
        2 => None,
        _ => problem(0, "the append-only triggers were removed"),
    })
}

/// Checks every entry's MAC against the one before it (from the retention checkpoint, if
/// any), and that every redacted entry is accounted for by a later redaction record. Fills
/// in the counts; the chain's last seq is then `removed + entries`.
fn walk_entries(
    conn: &Connection,
    key: &SecretKey,
    vault_id: &Uuid,
    report: &mut VerifyReport,
) -> Result<Option<ChainProblem>> {
    let (mut prev, mut last) = match checkpoint::load(conn, key, vault_id)? {
        None => (GENESIS.to_vec(), 0),
        Some(Err(reason)) => return Ok(problem(0, reason)),
        Some(Ok(c)) => (c.mac, c.seq),
    };
    report.removed = last;
    let mut redacted = Vec::new();
    let mut accounted = BTreeSet::new();
    let mut stmt = conn.prepare(&format!("{SELECT_ROWS} ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (row, stored_mac) = Row::from_sql(r)?;
        let expected = last + 1;
        if row.seq as u64 != expected {
            let reason = format!("missing: the next stored entry is #{}", row.seq);
            return Ok(problem(expected, reason));
        }
        match row.expected_mac(key, &prev) {
            Ok(mac) if crypto::ct_eq(&mac, &stored_mac) => {}
            Ok(_) => {
                let reason = "altered, reordered or inserted (its MAC does not match)";
                return Ok(problem(expected, reason));
            }
            Err(reason) => return Ok(problem(expected, reason)),
        }
        if row.is_redacted() {
            redacted.push(expected);
        }
        if row.payload_mac.is_none() {
            report.legacy += 1;
        }
        for [first, end] in redact::accounted_ranges(row.after_json.as_deref()) {
            if end >= first && end < expected {
                accounted.insert((first, end));
            }
        }
        prev = stored_mac;
        last = expected;
        report.entries += 1;
    }
    report.redacted = redacted.len() as u64;
    Ok(redacted
        .iter()
        .find(|seq| !accounted.iter().any(|(a, b)| a <= *seq && *seq <= b))
        .and_then(|seq| {
            let reason = "its content was removed, and no later entry records a redaction";
            problem(*seq, reason)
        }))
}

/// Checks the chain's end against the MAC'd anchor in `header.json`: a removed anchor, an
/// altered one, a log cut short of it, or a log rewritten under it.
fn check_anchor(
    conn: &Connection,
    key: &SecretKey,
    vault_id: &Uuid,
    anchor: Option<&AuditAnchor>,
    report: &mut VerifyReport,
) -> Result<Option<ChainProblem>> {
    let last = report.removed + report.entries;
    let Some(anchor) = anchor else {
        return Ok(match last {
            0 => None,
            _ => problem(0, "header.json holds no audit anchor (it was removed)"),
        });
    };
    let head = data_encoding::HEXLOWER
        .decode(anchor.head.as_bytes())
        .unwrap_or_default();
    let expected_mac =
        data_encoding::HEXLOWER.encode(&anchor_mac(key, vault_id, anchor.count, &head));
    if !crypto::ct_eq(expected_mac.as_bytes(), anchor.mac.as_bytes()) {
        return Ok(problem(0, "the anchor in header.json was altered"));
    }
    if last < anchor.count {
        let reason = format!(
            "missing: the log ends at #{last} but header.json anchors {} entries (truncated)",
            anchor.count
        );
        return Ok(problem(last + 1, reason));
    }
    // An anchor at or before the checkpoint names an entry retention removed; the
    // checkpoint (MAC'd) vouches for the chain up to there.
    if anchor.count > report.removed {
        let anchored_mac: Option<Vec<u8>> = conn
            .query_row(
                "SELECT mac FROM audit_log WHERE seq = ?1",
                [anchor.count as i64],
                |r| r.get(0),
            )
            .optional()?;
        if anchored_mac.as_deref() != Some(head.as_slice())
            && !upgrade::explains_anchor(conn, anchor)?
        {
            let reason = "does not match the anchor in header.json (the log was rewritten)";
            return Ok(problem(anchor.count, reason));
        }
    }
    report.unanchored = last - anchor.count;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VAULT: Uuid = Uuid::from_u128(99);

    fn chain(n: usize) -> (Connection, SecretKey, ChainHead) {
        let conn = Connection::open_in_memory().unwrap();
        for (_, sql) in crate::store::database::MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        let key = SecretKey::from_bytes([4; 32]);
        let mut head = ChainHead::load(&conn).unwrap();
        let author = Author {
            actor_id: Some("a1"),
            actor_name: "alice",
            session_id: "s1",
            key: &key,
        };
        for i in 0..n {
            let change =
                Change::new("staff", Some(&format!("id{i}"))).after(serde_json::json!({ "n": i }));
            append(&conn, &author, &mut head, "staff.add", &change).unwrap();
        }
        (conn, key, head)
    }

    fn unprotect(conn: &Connection) {
        conn.execute_batch("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
            .unwrap();
    }

    fn restore_triggers(conn: &Connection) {
        conn.execute_batch(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'x'); END;
             CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'x'); END;",
        )
        .unwrap();
    }

    fn first_bad(conn: &Connection, key: &SecretKey, anchor: Option<&AuditAnchor>) -> Option<u64> {
        verify_chain(conn, key, &VAULT, anchor)
            .unwrap()
            .problem
            .map(|p| p.seq)
    }

    #[test]
    fn triggers_refuse_update_and_delete() {
        let (conn, _, _) = chain(2);
        assert!(
            conn.execute("UPDATE audit_log SET action = 'x' WHERE seq = 1", [])
                .is_err()
        );
        assert!(
            conn.execute("DELETE FROM audit_log WHERE seq = 2", [])
                .is_err()
        );
    }

    /// The update trigger lets through exactly one change: a payload set to NULL with
    /// `redacted_at`, every chained column untouched, and only once.
    #[test]
    fn only_a_payload_redaction_gets_past_the_trigger() {
        let (conn, _, _) = chain(2);
        let refused = |sql: &str| conn.execute(sql, []).is_err();
        let redact = "before_json = NULL, after_json = NULL, reason = NULL, redacted_at = 5";
        assert!(refused(&format!(
            "UPDATE audit_log SET {redact}, action = 'x' WHERE seq = 1"
        )));
        assert!(refused(&format!(
            "UPDATE audit_log SET {redact}, mac = x'00' WHERE seq = 1"
        )));
        assert!(refused(&format!(
            "UPDATE audit_log SET {redact}, payload_mac = x'00' WHERE seq = 1"
        )));
        assert!(refused(
            "UPDATE audit_log SET after_json = '{}', redacted_at = 5 WHERE seq = 1"
        ));
        assert!(refused(
            "UPDATE audit_log SET after_json = NULL WHERE seq = 1"
        ));
        assert!(!refused(&format!(
            "UPDATE audit_log SET {redact} WHERE seq = 1"
        )));
        assert!(refused(
            "UPDATE audit_log SET redacted_at = 6 WHERE seq = 1"
        ));
    }

    fn redact_seq(conn: &Connection, seq: u64) {
        conn.execute(
            "UPDATE audit_log SET before_json = NULL, after_json = NULL, reason = NULL, \
             redacted_at = 1 WHERE seq = ?1",
            [seq as i64],
        )
        .unwrap();
    }

    /// Appends the entry that accounts for redactions, as erasure's tombstone does.
    fn account(conn: &Connection, key: &SecretKey, head: &mut ChainHead, seqs: &[u64]) {
        let ranges = redact::Redacted {
            seqs: seqs.to_vec(),
            not_redactable: 0,
        }
        .ranges();
        let author = Author {
            actor_id: Some("a1"),
            actor_name: "alice",
            session_id: "s1",
            key,
        };
        let change = Change::new("patient", Some("p1"))
            .after(serde_json::json!({ "redacted_seqs": ranges }));
        append(conn, &author, head, redact::TOMBSTONE_ACTION, &change).unwrap();
    }

    #[test]
    fn a_redaction_nothing_accounts_for_is_reported() {
        let (conn, key, mut head) = chain(4);
        redact_seq(&conn, 2);
        let anchor = anchor_for(&key, &VAULT, &head);
        assert_eq!(first_bad(&conn, &key, Some(&anchor)), Some(2));
        account(&conn, &key, &mut head, &[2]);
        let anchor = anchor_for(&key, &VAULT, &head);
        let report = verify_chain(&conn, &key, &VAULT, Some(&anchor)).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.redacted, 1);
    }

    /// Entries written in the v1 form (before schema 4), the way the old code did.
    fn v1_chain(n: usize) -> (Connection, SecretKey, ChainHead) {
        let (conn, key, _) = chain(0);
        let mut prev = GENESIS.to_vec();
        for i in 0..n {
            let row = Row {
                seq: i as i64 + 1,
                at: 1000 + i as i64,
                actor_id: Some("a1".into()),
                actor_name: "alice".into(),
                session_id: "s1".into(),
                action: "patient.create".into(),
                resource_type: "patient".into(),
                resource_id: Some(format!("p{i}")),
                before_json: None,
                after_json: Some(format!("{{\"given_name\":\"Name{i}\"}}")),
                reason: None,
                payload_mac: None,
                redacted_at: None,
            };
            let mac = row.mac_v1(&key, &prev);
            conn.execute(
                "INSERT INTO audit_log (seq, at, actor_id, actor_name, session_id, action, \
                 resource_type, resource_id, after_json, mac) VALUES (?1, ?2, 'a1', 'alice', 's1', \
                 'patient.create', 'patient', ?3, ?4, ?5)",
                params![
                    row.seq,
                    row.at,
                    row.resource_id,
                    row.after_json,
                    mac.as_slice()
                ],
            )
            .unwrap();
            prev = mac.to_vec();
        }
        let head = ChainHead::load(&conn).unwrap();
        (conn, key, head)
    }

    #[test]
    fn v1_entries_verify_and_refuse_redaction_until_converted() {
        let (conn, key, head) = v1_chain(5);
        let anchor = anchor_for(&key, &VAULT, &head);
        let report = verify_chain(&conn, &key, &VAULT, Some(&anchor)).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.legacy, 5);
        assert!(
            conn.execute(
                "UPDATE audit_log SET after_json = NULL, redacted_at = 1 WHERE seq = 2",
                []
            )
            .is_err()
        );

        let tx = conn.unchecked_transaction().unwrap();
        assert_eq!(upgrade::rewrite_chain_for_test(&tx, &key, &VAULT), 5);
        tx.commit().unwrap();
        let head = ChainHead::load(&conn).unwrap();
        let anchor = anchor_for(&key, &VAULT, &head);
        let report = verify_chain(&conn, &key, &VAULT, Some(&anchor)).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.legacy, 0);
        let redacted = redact::redact_resource(&conn, "p1", 7).unwrap();
        assert_eq!(redacted.seqs, vec![2]);
    }

    #[test]
    fn removing_the_oldest_entries_behind_a_checkpoint_keeps_the_chain() {
        let (conn, key, head) = chain(8);
        let anchor = anchor_for(&key, &VAULT, &head);
        assert!(
            conn.execute("DELETE FROM audit_log WHERE seq <= 3", [])
                .is_err(),
            "no checkpoint, no delete"
        );
        assert_eq!(
            checkpoint::remove_through(&conn, &key, &VAULT, 3, 99).unwrap(),
            3
        );
        let report = verify_chain(&conn, &key, &VAULT, Some(&anchor)).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!((report.removed, report.entries), (3, 5));
        assert!(
            conn.execute("DELETE FROM audit_log WHERE seq = 5", [])
                .is_err(),
            "entries after the checkpoint stay"
        );
        // Moving the checkpoint without the key is caught.
        conn.execute("UPDATE audit_checkpoint SET seq = 4", [])
            .unwrap();
        conn.execute("DELETE FROM audit_log WHERE seq = 4", [])
            .unwrap();
        assert_eq!(first_bad(&conn, &key, Some(&anchor)), Some(0));
    }

    #[test]
    fn intact_chain_verifies_with_its_anchor() {
        let (conn, key, head) = chain(5);
        let anchor = anchor_for(&key, &VAULT, &head);
        let report = verify_chain(&conn, &key, &VAULT, Some(&anchor)).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!((report.entries, report.unanchored), (5, 0));
    }

    #[test]
    fn removed_triggers_are_reported() {
        let (conn, key, _) = chain(1);
        unprotect(&conn);
        let report = verify_chain(&conn, &key, &VAULT, None).unwrap();
        assert!(!report.ok);
        assert!(report.problem.unwrap().reason.contains("triggers"));
    }

    #[test]
    fn truncation_is_caught_by_the_anchor() {
        let (conn, key, head) = chain(6);
        let anchor = anchor_for(&key, &VAULT, &head);
        unprotect(&conn);
        conn.execute("DELETE FROM audit_log WHERE seq > 4", [])
            .unwrap();
        restore_triggers(&conn);
        assert_eq!(
            first_bad(&conn, &key, None),
            Some(0),
            "removing the anchor as well is reported, not taken as a fresh vault"
        );
        assert_eq!(first_bad(&conn, &key, Some(&anchor)), Some(5));
    }

    #[test]
    fn a_forged_anchor_is_reported() {
        let (conn, key, head) = chain(3);
        let mut anchor = anchor_for(&key, &VAULT, &head);
        anchor.count = 2;
        let report = verify_chain(&conn, &key, &VAULT, Some(&anchor)).unwrap();
        assert!(report.problem.unwrap().reason.contains("anchor"));
    }

    #[derive(Debug, Clone)]
    enum Tamper {
        Edit(usize),
        Delete(usize),
        Swap(usize),
        Truncate(usize),
    }

    fn tamper_strategy() -> impl Strategy<Value = (usize, Tamper)> {
        (2usize..30).prop_flat_map(|n| {
            (
                Just(n),
                prop_oneof![
                    (1..=n).prop_map(Tamper::Edit),
                    (1..=n).prop_map(Tamper::Delete),
                    (1..n).prop_map(Tamper::Swap),
                    (1..n).prop_map(Tamper::Truncate),
                ],
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Redacting any subset of entries (accounted for by a later entry) keeps the chain
        /// verifying; then changing any fixed field of a redacted entry breaks it there.
        #[test]
        fn redaction_keeps_the_chain_and_redacted_entries_stay_fixed(
            (n, picks, field, victim) in (1usize..25).prop_flat_map(|n| (
                Just(n),
                proptest::collection::btree_set(1..=n as u64, 0..=n),
                0usize..8,
                any::<proptest::sample::Index>(),
            ))
        ) {
            let (conn, key, mut head) = chain(n);
            let seqs: Vec<u64> = picks.into_iter().collect();
            for seq in &seqs {
                redact_seq(&conn, *seq);
            }
            account(&conn, &key, &mut head, &seqs);
            let anchor = anchor_for(&key, &VAULT, &head);
            let report = verify_chain(&conn, &key, &VAULT, Some(&anchor)).unwrap();
            prop_assert!(report.ok, "{:?}", report);
            prop_assert_eq!(report.redacted, seqs.len() as u64);
            if !seqs.is_empty() {
                let seq = seqs[victim.index(seqs.len())];
                let set = [
                    "at = at + 1", "actor_id = 'mallory'", "actor_name = 'mallory'",
                    "session_id = 's2'", "action = 'patient.view'", "resource_type = 'x'",
                    "resource_id = 'other'", "payload_mac = x'00'",
                ][field];
                unprotect(&conn);
                conn.execute(&format!("UPDATE audit_log SET {set} WHERE seq = ?1"), [seq as i64]).unwrap();
                restore_triggers(&conn);
                prop_assert_eq!(first_bad(&conn, &key, Some(&anchor)), Some(seq));
            }
        }

        #[test]
        fn untouched_chains_of_any_length_verify(n in 0usize..40) {
            let (conn, key, head) = chain(n);
            let anchor = anchor_for(&key, &VAULT, &head);
            prop_assert_eq!(first_bad(&conn, &key, Some(&anchor)), None);
        }

        /// Every kind of tampering is caught, and the report names the right entry.
        #[test]
        fn tampering_is_detected_at_the_right_entry((n, tamper) in tamper_strategy()) {
            let (conn, key, head) = chain(n);
            let anchor = anchor_for(&key, &VAULT, &head);
            unprotect(&conn);
            let expected = match tamper {
                Tamper::Edit(i) => {
                    conn.execute("UPDATE audit_log SET reason = 'covered up' WHERE seq = ?1", [i as i64]).unwrap();
                    i
                }
                Tamper::Delete(i) => {
                    conn.execute("DELETE FROM audit_log WHERE seq = ?1", [i as i64]).unwrap();
                    i
                }
                Tamper::Swap(i) => {
                    // Exchange the contents (and MACs) of entries i and i+1, keeping seq in place.
                    conn.execute_batch(&format!(
                        "UPDATE audit_log SET seq = -1 WHERE seq = {i};
                         UPDATE audit_log SET seq = {i} WHERE seq = {};
                         UPDATE audit_log SET seq = {} WHERE seq = -1;", i + 1, i + 1)).unwrap();
                    i
                }
                Tamper::Truncate(keep) => {
                    conn.execute("DELETE FROM audit_log WHERE seq > ?1", [keep as i64]).unwrap();
                    keep + 1
                }
            };
            restore_triggers(&conn);
            prop_assert_eq!(first_bad(&conn, &key, Some(&anchor)), Some(expected as u64));
        }
    }
}
