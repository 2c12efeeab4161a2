//! The audit chain: an append-only, HMAC-chained log of every change and every view.
//!
//! Entry `n` stores `mac_n = HMAC(audit key, mac_{n-1} || canonical(entry_n))`, with
//! `mac_0` all zeros. SQL triggers refuse UPDATE and DELETE; someone holding the raw
//! database key can still drop them, which is what the MACs and the header anchor are for:
//! an altered, reordered or removed entry breaks the chain, and removing the newest entries
//! leaves the chain shorter than the count anchored in `header.json`.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::clock;
use crate::crypto::{self, SecretKey};
use crate::error::{Error, Result};
use crate::policy::Action;
use crate::session::Session;
use crate::vault::header::AuditAnchor;

const MAC_LEN: usize = 32;
const GENESIS: [u8; MAC_LEN] = [0; MAC_LEN];

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

/// One row of the log, as stored (JSON kept as text so the MAC is over exact bytes).
#[derive(Debug, Clone, PartialEq)]
struct Row {
    seq: i64,
    at: i64,
    actor_id: Option<String>,
    actor_name: String,
    session_id: String,
    action: String,
    resource_type: String,
    resource_id: Option<String>,
    before_json: Option<String>,
    after_json: Option<String>,
    reason: Option<String>,
}

impl Row {
    /// Unambiguous encoding: each field length-prefixed, `u32::MAX` for NULL.
    fn canonical(&self) -> Vec<u8> {
        fn put(out: &mut Vec<u8>, field: Option<&[u8]>) {
            match field {
                Some(bytes) => {
                    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
                    out.extend_from_slice(bytes);
                }
                None => out.extend_from_slice(&u32::MAX.to_be_bytes()),
            }
        }
        let mut out = b"tessera-audit-v1\0".to_vec();
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.at.to_be_bytes());
        put(&mut out, self.actor_id.as_deref().map(str::as_bytes));
        put(&mut out, Some(self.actor_name.as_bytes()));
        put(&mut out, Some(self.session_id.as_bytes()));
        put(&mut out, Some(self.action.as_bytes()));
        put(&mut out, Some(self.resource_type.as_bytes()));
        put(&mut out, self.resource_id.as_deref().map(str::as_bytes));
        put(&mut out, self.before_json.as_deref().map(str::as_bytes));
        put(&mut out, self.after_json.as_deref().map(str::as_bytes));
        put(&mut out, self.reason.as_deref().map(str::as_bytes));
        out
    }

    fn mac(&self, key: &SecretKey, prev: &[u8]) -> [u8; MAC_LEN] {
        crypto::hmac_sha256(key, &[prev, &self.canonical()])
    }

    fn from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Row, Vec<u8>)> {
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
            },
            r.get(11)?,
        ))
    }
}

const SELECT_ROWS: &str = "SELECT seq, at, actor_id, actor_name, session_id, action, resource_type, \
     resource_id, before_json, after_json, reason, mac FROM audit_log";

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
    };
    let mac = row.mac(author.key, &head.mac);
    conn.prepare_cached(
        "INSERT INTO audit_log (seq, at, actor_id, actor_name, session_id, action, resource_type, \
         resource_id, before_json, after_json, reason, mac) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
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
#[derive(Debug, Clone, Serialize)]
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
        }
    }
}

/// Which entries [`list`] returns. Empty fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Entries at or after this time (unix ms).
    pub since: Option<i64>,
    /// Entries before this time (unix ms).
    pub until: Option<i64>,
    /// Entries by this user name.
    pub actor: Option<String>,
    /// Entries whose action equals this, or starts with it followed by a dot (`staff`).
    pub action: Option<String>,
    /// Entries about this resource type.
    pub resource_type: Option<String>,
    /// Entries about this resource id.
    pub resource_id: Option<String>,
    /// Entries about this patient (id or human id) or any of their visits, narratives,
    /// consents and photos: the patient's whole trail.
    pub patient: Option<String>,
    /// At most this many, newest first when set.
    pub limit: Option<u32>,
}

/// Lists audit entries, oldest first (the newest `limit` when a limit is given).
pub fn list(session: &mut Session, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
    session.read(Action::AuditList, |s| {
        let conn = &s.conn;
        let action_prefix = filter.action.as_ref().map(|a| format!("{a}.%"));
        let patient_id = match &filter.patient {
            Some(key) => Some(crate::patients::resolve(conn, key)?.id),
            None => None,
        };
        let sql = format!(
            "SELECT * FROM ({SELECT_ROWS} WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2) \
             AND (?3 IS NULL OR actor_name = ?3 COLLATE NOCASE) \
             AND (?4 IS NULL OR action = ?4 OR action LIKE ?5) \
             AND (?6 IS NULL OR resource_type = ?6) AND (?7 IS NULL OR resource_id = ?7) \
             AND (?9 IS NULL OR resource_id = ?9 \
               OR resource_id IN (SELECT id FROM encounters WHERE patient_id = ?9) \
               OR resource_id IN (SELECT id FROM narratives WHERE patient_id = ?9) \
               OR resource_id IN (SELECT id FROM consents WHERE patient_id = ?9) \
               OR resource_id IN (SELECT id FROM photos WHERE patient_id = ?9)) \
             ORDER BY seq DESC LIMIT ?8) ORDER BY seq"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map(
            params![
                filter.since,
                filter.until,
                filter.actor,
                filter.action,
                action_prefix,
                filter.resource_type,
                filter.resource_id,
                filter.limit.map_or(-1, i64::from),
                patient_id,
            ],
            Row::from_sql,
        )?;
        rows.map(|r| Ok(AuditRecord::from(r?.0))).collect()
    })
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

/// Walks the whole chain and checks it against the header anchor. Records the check itself.
pub fn verify(session: &mut Session) -> Result<VerifyReport> {
    session.move_anchor()?;
    let header = session.header()?;
    let report = session.read(Action::AuditVerify, |s| {
        verify_chain(
            &s.conn,
            &s.audit_key,
            &s.vault_id,
            header.audit_anchor.as_ref(),
        )
    })?;
    let outcome = serde_json::json!({ "ok": report.ok, "entries": report.entries });
    session.write(Action::AuditVerify, |w| {
        w.record(Change::new("audit_log", None).after(outcome))
    })?;
    Ok(report)
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
        problem: None,
    };
    let fail = |mut report: VerifyReport, seq: u64, reason: String| {
        report.problem = Some(ChainProblem { seq, reason });
        Ok(report)
    };

    let triggers: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' \
         AND name IN ('audit_log_no_update', 'audit_log_no_delete')",
        [],
        |r| r.get(0),
    )?;
    if triggers != 2 {
        return fail(report, 0, "the append-only triggers were removed".into());
    }

    let mut prev = GENESIS.to_vec();
    let mut expected: u64 = 1;
    let mut stmt = conn.prepare(&format!("{SELECT_ROWS} ORDER BY seq"))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (row, stored_mac) = Row::from_sql(r)?;
        if row.seq as u64 != expected {
            let reason = format!("missing: the next stored entry is #{}", row.seq);
            return fail(report, expected, reason);
        }
        if !crypto::ct_eq(&row.mac(key, &prev), &stored_mac) {
            let reason = "altered, reordered or inserted (its MAC does not match)".to_owned();
            return fail(report, expected, reason);
        }
        prev = stored_mac;
        report.entries = expected;
        expected += 1;
    }

    if anchor.is_none() && report.entries > 0 {
        let reason = "header.json holds no audit anchor (it was removed)".into();
        return fail(report, 0, reason);
    }
    if let Some(anchor) = anchor {
        let head = data_encoding::HEXLOWER
            .decode(anchor.head.as_bytes())
            .unwrap_or_default();
        let expected_mac =
            data_encoding::HEXLOWER.encode(&anchor_mac(key, vault_id, anchor.count, &head));
        if !crypto::ct_eq(expected_mac.as_bytes(), anchor.mac.as_bytes()) {
            return fail(report, 0, "the anchor in header.json was altered".into());
        }
        if report.entries < anchor.count {
            let reason = format!(
                "missing: the log ends at #{} but header.json anchors {} entries (truncated)",
                report.entries, anchor.count
            );
            let missing = report.entries + 1;
            return fail(report, missing, reason);
        }
        let anchored_mac: Option<Vec<u8>> = conn
            .query_row(
                "SELECT mac FROM audit_log WHERE seq = ?1",
                [anchor.count as i64],
                |r| r.get(0),
            )
            .optional()?;
        if anchor.count > 0 && anchored_mac.as_deref() != Some(head.as_slice()) {
            let reason = "does not match the anchor in header.json (the log was rewritten)".into();
            return fail(report, anchor.count, reason);
        }
        report.unanchored = report.entries - anchor.count;
    }
    report.ok = true;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VAULT: Uuid = Uuid::from_u128(99);

    fn chain(n: usize) -> (Connection, SecretKey, ChainHead) {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../migrations/0001_init.sql"
        )))
        .unwrap();
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
