//! The audit log as staff read it: listing entries (by time, actor, action, resource, or a
//! patient's whole trail), verifying the chain, and converting an old chain at unlock. The
//! chain itself, which every change appends to, is [`crate::audit_chain`]'s.

use rusqlite::params;
use serde_json::json;

use crate::audit_chain::entry::{Row, SELECT_ROWS};
use crate::audit_chain::{ChainHead, Change, redact, upgrade, verify_chain};
use crate::error::Result;
use crate::patients;
use crate::policy::Action;
use crate::session::Session;

pub use crate::audit_chain::{AuditRecord, ChainProblem, VerifyReport};

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
            Some(key) => Some(patients::resolve(conn, key)?.id),
            None => None,
        };
        let sql = format!(
            "SELECT * FROM ({SELECT_ROWS} WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2) \
             AND (?3 IS NULL OR actor_name = ?3 COLLATE NOCASE) \
             AND (?4 IS NULL OR action = ?4 OR action LIKE ?5) \
             AND (?6 IS NULL OR resource_type = ?6) AND (?7 IS NULL OR resource_id = ?7) \
             AND (?9 IS NULL OR {}) \
             ORDER BY seq DESC LIMIT ?8) ORDER BY seq",
            redact::patient_trail("?9")
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
    let outcome = json!({ "ok": report.ok, "entries": report.entries });
    session.write(Action::AuditVerify, |w| {
        w.record(Change::new("audit_log", None).after(outcome))
    })?;
    Ok(report)
}

/// Converts the chain to v2 if it holds v1 entries and verifies. Returns how many entries
/// were converted (`None` when there was nothing to do or the chain does not verify).
pub(crate) fn upgrade(session: &mut Session) -> Result<Option<u64>> {
    let oldest_is_v1: Option<bool> =
        rusqlite::OptionalExtension::optional(session.conn.query_row(
            "SELECT payload_mac IS NULL FROM audit_log ORDER BY seq LIMIT 1",
            [],
            |r| r.get(0),
        ))?;
    // v1 entries are a prefix of the log: every entry since schema 4 is v2.
    if oldest_is_v1 != Some(true) {
        return Ok(None);
    }
    let header = session.header()?;
    let anchor = header.audit_anchor;
    let report = verify_chain(
        &session.conn,
        &session.audit_key,
        &session.vault_id,
        anchor.as_ref(),
    )?;
    if !report.ok {
        return Ok(None);
    }
    let old_head = ChainHead::load(&session.conn)?;
    let converted = session.commit_audited(upgrade::ACTION, |w| {
        let converted = upgrade::rewrite_chain(w.conn(), w.audit_key(), &w.vault_id())?;
        w.reload_head()?;
        w.record(Change::new("audit_log", None).after(json!({
            "converted": converted,
            "old_head": {
                "count": old_head.count,
                "mac": data_encoding::HEXLOWER.encode(&old_head.mac),
            },
            "old_anchor": anchor.as_ref().map(|a| json!({ "count": a.count, "head": a.head })),
        })))?;
        Ok(converted)
    })?;
    Ok(Some(converted))
}
