//! Retention: applying the vault's [`RetentionPolicy`], or showing what it would do.
//!
//! One function, [`plan`], decides what each rule affects; the dry run reports it, and the
//! real run computes it again inside its transaction and carries out exactly that list, so
//! the two agree (a test compares them). Each affected item gets its own audit entry
//! (`retention.delete` / `retention.anonymise`, or the `patient.erase` tombstone for a
//! patient) naming only its id; one `retention.run` entry sums up the run. Rules apply in a
//! fixed order and an item is never counted twice: a patient erased by one rule takes their
//! photos, narratives and visits with them, and those are not listed again.

mod policy;

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

pub use policy::{
    AUDIT_MIN_YEARS, DEFAULT_BINNED_DAYS, MAX_YEARS, RetentionAction, RetentionPolicy, Rule, get,
    set,
};

use crate::audit_chain::redact::{self, Redacted};
use crate::audit_chain::{Change, checkpoint};
use crate::clock;
use crate::erasure::{self, ErasureMode};
use crate::error::{Error, Result};
use crate::patients::{self, search};
use crate::policy::Action;
use crate::session::{Session, WriteTx};

const DAY_MS: i64 = 86_400_000;

/// The rules, in the order they apply.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// Patients in the bin longer than the bin period: erased.
    BinnedPatients,
    /// Patients without activity for the period.
    InactivePatients,
    /// Photos in the bin longer than the bin period: deleted with their files.
    BinnedPhotos,
    /// Photos imported longer ago than the period.
    Photos,
    /// Narratives last edited longer ago than the period.
    Narratives,
    /// Visits older than the period.
    Encounters,
    /// Audit entries older than the period.
    AuditEntries,
}

impl RuleKind {
    fn as_str(self) -> &'static str {
        match self {
            RuleKind::BinnedPatients => "binned_patients",
            RuleKind::InactivePatients => "inactive_patients",
            RuleKind::BinnedPhotos => "binned_photos",
            RuleKind::Photos => "photos",
            RuleKind::Narratives => "narratives",
            RuleKind::Encounters => "encounters",
            RuleKind::AuditEntries => "audit_entries",
        }
    }
}

/// One record a rule affects. Shown to the admin running retention; audit entries carry
/// the id only.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionItem {
    /// The record's id.
    pub id: String,
    /// The patient's human id: the patient's, or that of the patient the record belongs to
    /// (what an admin reads in the report).
    pub human_id: Option<String>,
    /// The patient it belongs to (photos, narratives, visits).
    pub patient_id: Option<String>,
}

/// What one rule affects.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleReport {
    /// The rule.
    pub rule: RuleKind,
    /// What happens to its items.
    pub action: RetentionAction,
    /// Records older than this (RFC 3339) are affected.
    pub cutoff: String,
    /// How many records (for audit entries, how many entries).
    pub count: u64,
    /// The records (empty for audit entries, which are counted).
    pub items: Vec<RetentionItem>,
    /// Audit entries up to this seq are removed.
    pub through_seq: Option<u64>,
}

/// What a retention run did, or would do.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    /// Nothing was changed.
    pub dry_run: bool,
    /// The time the periods were counted back from (RFC 3339).
    pub as_of: String,
    /// One report per rule that is on, in the order they apply.
    pub rules: Vec<RuleReport>,
    /// Photo files deleted.
    pub photo_files_deleted: u64,
}

/// Applies the retention policy, or with `dry_run` only reports what it would do. Admins.
pub fn run(session: &mut Session, dry_run: bool) -> Result<RetentionReport> {
    run_at(session, dry_run, clock::now_ms())
}

/// [`run`] with the periods counted back from `now` (tests age records this way).
pub(crate) fn run_at(session: &mut Session, dry_run: bool, now: i64) -> Result<RetentionReport> {
    let (rules, blobs) = session.write(Action::RetentionManage, |w| {
        let policy = policy::load(w.conn())?;
        let rules = plan(w.conn(), &policy, now)?;
        let mut blobs = Vec::new();
        let mut redacted = Redacted::default();
        if !dry_run {
            for rule in &rules {
                apply(w, rule, now, &mut blobs, &mut redacted)?;
            }
        }
        let counts: serde_json::Map<String, serde_json::Value> = rules
            .iter()
            .map(|r| (r.rule.as_str().to_owned(), json!(r.count)))
            .collect();
        w.record_as(
            "retention.run",
            Change::new("retention_policy", None).after(json!({
                "dry_run": dry_run,
                "rules": counts,
                "redacted_seqs": redacted.ranges(),
            })),
        )?;
        Ok((rules, blobs))
    })?;
    let changed = rules.iter().any(|r| r.count > 0);
    let photo_files_deleted = erasure::delete_blobs(session, &blobs);
    if !dry_run && changed {
        erasure::scrub(session)?;
    }
    Ok(RetentionReport {
        dry_run,
        as_of: clock::to_rfc3339(now),
        rules,
        photo_files_deleted,
    })
}

/// What each rule that is on affects, as of `now`. A patient taken by an earlier rule is
/// not listed again, nor are their records; a photo is listed once.
pub(crate) fn plan(
    conn: &Connection,
    policy: &RetentionPolicy,
    now: i64,
) -> Result<Vec<RuleReport>> {
    let mut rules = Vec::new();
    let mut patients_done: HashSet<String> = HashSet::new();
    let years = |rule: Rule| clock::years_before(now, rule.years);
    let bin_cutoff = policy.binned_days.map(|d| now - i64::from(d) * DAY_MS);

    if let Some(cutoff) = bin_cutoff {
        let items = patient_items(conn, BINNED_PATIENTS, cutoff, &mut patients_done)?;
        let kind = RuleKind::BinnedPatients;
        rules.push(report(kind, RetentionAction::Delete, cutoff, items));
    }
    if let Some(rule) = policy.inactive_patients {
        let cutoff = years(rule);
        let items = patient_items(conn, INACTIVE_PATIENTS, cutoff, &mut patients_done)?;
        rules.push(report(
            RuleKind::InactivePatients,
            rule.action,
            cutoff,
            items,
        ));
    }
    let records = RecordItems {
        conn,
        patients_done: &patients_done,
    };
    let mut photos_done: HashSet<String> = HashSet::new();
    if let Some(cutoff) = bin_cutoff {
        let items = records.list(BINNED_PHOTOS, cutoff, &mut photos_done)?;
        let kind = RuleKind::BinnedPhotos;
        rules.push(report(kind, RetentionAction::Delete, cutoff, items));
    }
    if let Some(rule) = policy.photos {
        let cutoff = years(rule);
        let sql = "SELECT id, patient_id FROM photos WHERE imported_at < ?1 ORDER BY id";
        let items = records.list(sql, cutoff, &mut photos_done)?;
        rules.push(report(RuleKind::Photos, rule.action, cutoff, items));
    }
    if let Some(rule) = policy.narratives {
        let cutoff = years(rule);
        let sql = "SELECT id, patient_id FROM narratives WHERE updated_at < ?1 ORDER BY id";
        let items = records.list(sql, cutoff, &mut HashSet::new())?;
        rules.push(report(RuleKind::Narratives, rule.action, cutoff, items));
    }
    if let Some(rule) = policy.encounters {
        let cutoff = years(rule);
        let sql = match rule.action {
            RetentionAction::Delete => OLD_ENCOUNTERS,
            RetentionAction::Anonymise => OLD_ENCOUNTERS_NOT_ANONYMISED,
        };
        let items = records.list(sql, cutoff, &mut HashSet::new())?;
        rules.push(report(RuleKind::Encounters, rule.action, cutoff, items));
    }
    if let Some(years) = policy.audit_entries_years {
        rules.push(audit_entries(conn, clock::years_before(now, years))?);
    }
    Ok(rules)
}

const BINNED_PATIENTS: &str = "SELECT id, human_id FROM patients \
    WHERE deleted_at IS NOT NULL AND deleted_at < ?1 ORDER BY id";

/// Patients with nothing new (profile, visit, narrative, photo) since the cutoff.
const INACTIVE_PATIENTS: &str = "SELECT p.id, p.human_id FROM patients p WHERE max(p.updated_at, \
       coalesce((SELECT max(max(e.occurred_at, e.created_at)) FROM encounters e \
                 WHERE e.patient_id = p.id), 0), \
       coalesce((SELECT max(n.updated_at) FROM narratives n WHERE n.patient_id = p.id), 0), \
       coalesce((SELECT max(f.imported_at) FROM photos f WHERE f.patient_id = p.id), 0)) < ?1 \
     ORDER BY p.id";

const BINNED_PHOTOS: &str = "SELECT id, patient_id FROM photos \
    WHERE deleted_at IS NOT NULL AND deleted_at < ?1 ORDER BY id";

const OLD_ENCOUNTERS: &str =
    "SELECT id, patient_id FROM encounters WHERE occurred_at < ?1 ORDER BY id";

/// Visits anonymised already are not listed again at every run.
const OLD_ENCOUNTERS_NOT_ANONYMISED: &str = "SELECT id, patient_id FROM encounters \
    WHERE occurred_at < ?1 AND NOT (reason = '' AND notes IS NULL AND diagnoses = '[]' \
    AND treatments = '[]') ORDER BY id";

/// Lists a patient's records for a rule, leaving out those of patients an earlier rule takes.
struct RecordItems<'a> {
    conn: &'a Connection,
    patients_done: &'a HashSet<String>,
}

impl RecordItems<'_> {
    /// The `(id, patient_id)` rows `sql` selects before `cutoff`, each named with its
    /// patient's human id; ids already in `done` are skipped, and added.
    fn list(
        &self,
        sql: &str,
        cutoff: i64,
        done: &mut HashSet<String>,
    ) -> Result<Vec<RetentionItem>> {
        let mut stmt = self.conn.prepare(sql)?;
        let mut human_id = self
            .conn
            .prepare_cached("SELECT human_id FROM patients WHERE id = ?1")?;
        let rows = stmt.query_map([cutoff], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
        let mut items = Vec::new();
        for row in rows {
            let (id, patient_id): (String, String) = row?;
            if !self.patients_done.contains(&patient_id) && done.insert(id.clone()) {
                items.push(RetentionItem {
                    id,
                    human_id: human_id.query_row([&patient_id], |r| r.get(0)).optional()?,
                    patient_id: Some(patient_id),
                });
            }
        }
        Ok(items)
    }
}

/// The oldest audit entries before `cutoff`: a count and the last seq, not a list.
fn audit_entries(conn: &Connection, cutoff: i64) -> Result<RuleReport> {
    let (through, count): (Option<i64>, i64) = conn.query_row(
        "SELECT max(seq), count(*) FROM audit_log WHERE seq < \
         coalesce((SELECT min(seq) FROM audit_log WHERE at >= ?1), \
                  (SELECT max(seq) + 1 FROM audit_log), 1)",
        [cutoff],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut rule = report(
        RuleKind::AuditEntries,
        RetentionAction::Delete,
        cutoff,
        Vec::new(),
    );
    rule.count = count as u64;
    rule.through_seq = through.map(|t| t as u64);
    Ok(rule)
}

fn report(
    rule: RuleKind,
    action: RetentionAction,
    cutoff: i64,
    items: Vec<RetentionItem>,
) -> RuleReport {
    RuleReport {
        rule,
        action,
        cutoff: clock::to_rfc3339(cutoff),
        count: items.len() as u64,
        items,
        through_seq: None,
    }
}

fn patient_items(
    conn: &Connection,
    sql: &str,
    cutoff: i64,
    done: &mut HashSet<String>,
) -> Result<Vec<RetentionItem>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([cutoff], |r| Ok((r.get::<_, String>(0)?, r.get(1)?)))?;
    let mut items = Vec::new();
    for row in rows {
        let (id, human_id): (String, String) = row?;
        if done.insert(id.clone()) {
            items.push(RetentionItem {
                id,
                human_id: Some(human_id),
                patient_id: None,
            });
        }
    }
    Ok(items)
}

/// Carries out one rule's list, with one audit entry per item.
fn apply(
    w: &mut WriteTx<'_>,
    rule: &RuleReport,
    now: i64,
    blobs: &mut Vec<uuid::Uuid>,
    redacted: &mut Redacted,
) -> Result<()> {
    let action = format!("retention.{}", rule.action.as_str());
    let after = json!({ "rule": rule.rule.as_str() });
    for item in &rule.items {
        let conn = w.conn();
        match rule.rule {
            RuleKind::BinnedPatients | RuleKind::InactivePatients => {
                // A record merged into one erased earlier in this run went with it.
                let found = match patients::resolve(conn, &item.id) {
                    Ok(found) => found,
                    Err(Error::NotFound { .. }) => continue,
                    Err(other) => return Err(other),
                };
                let mode = match rule.action {
                    RetentionAction::Delete => ErasureMode::Delete,
                    RetentionAction::Anonymise => ErasureMode::Anonymise,
                };
                blobs.extend(erasure::erase_in(w, &found, mode, "retention")?.1);
                continue;
            }
            RuleKind::BinnedPhotos | RuleKind::Photos => {
                blobs.extend(erasure::photo_blobs(conn, "id", &item.id)?);
                conn.execute("DELETE FROM photos WHERE id = ?1", [&item.id])?;
            }
            RuleKind::Narratives => {
                redacted.add(redact::redact_resource(conn, &item.id, now)?);
                conn.execute(
                    "DELETE FROM narrative_revisions WHERE narrative_id = ?1",
                    [&item.id],
                )?;
                conn.execute("DELETE FROM narratives WHERE id = ?1", [&item.id])?;
                if let Some(patient_id) = &item.patient_id {
                    let found = patients::resolve(conn, patient_id)?;
                    search::reindex(conn, found.rowid)?;
                }
            }
            RuleKind::Encounters => {
                redacted.add(redact::redact_resource(conn, &item.id, now)?);
                crate::encounters::drop_revisions(conn, "id = ?1", &item.id)?;
                match rule.action {
                    RetentionAction::Delete => {
                        conn.execute("DELETE FROM encounters WHERE id = ?1", [&item.id])?;
                    }
                    RetentionAction::Anonymise => {
                        conn.execute(
                            "UPDATE encounters SET reason = '', notes = NULL, diagnoses = '[]', \
                             treatments = '[]', version = version + 1, updated_at = ?2, \
                             voided_by = NULL, \
                             void_reason = CASE WHEN voided_at IS NULL THEN NULL ELSE '' END \
                             WHERE id = ?1",
                            params![item.id, now],
                        )?;
                    }
                }
            }
            RuleKind::AuditEntries => {}
        }
        let kind = match rule.rule {
            RuleKind::Narratives => "narrative",
            RuleKind::Encounters => "encounter",
            _ => "photo",
        };
        w.record_as(
            &action,
            Change::new(kind, Some(&item.id)).after(after.clone()),
        )?;
    }
    if let (RuleKind::AuditEntries, Some(through)) = (rule.rule, rule.through_seq) {
        let removed =
            checkpoint::remove_through(w.conn(), w.audit_key(), &w.vault_id(), through, now)?;
        w.record_as(
            &action,
            Change::new("audit_log", None).after(
                json!({ "rule": rule.rule.as_str(), "through_seq": through, "removed": removed }),
            ),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Argon2Params;
    use crate::vault::{self, Credentials, NewVault};

    /// Audit entries can only be aged by moving the clock: their times are in the chain.
    #[test]
    fn old_audit_entries_go_behind_a_checkpoint_and_the_chain_still_verifies() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let new = NewVault {
            admin_username: "ana",
            admin_display_name: "Ana",
            admin_password: "admin passphrase 1",
            kdf: Argon2Params::MINIMUM,
        };
        vault::create(&dir, &new).unwrap();
        let login = Credentials::Password {
            username: "ana",
            password: "admin passphrase 1",
        };
        let mut s = vault::unlock(&dir, &login).unwrap();
        set(
            &mut s,
            RetentionPolicy {
                audit_entries_years: Some(AUDIT_MIN_YEARS),
                ..RetentionPolicy::default()
            },
        )
        .unwrap();
        let existing: i64 = s
            .conn
            .query_row("SELECT max(seq) FROM audit_log", [], |r| r.get(0))
            .unwrap();
        let later = clock::years_before(clock::now_ms(), 0) + 7 * 366 * DAY_MS;
        let dry = run_at(&mut s, true, later).unwrap();
        let real = run_at(&mut s, false, later).unwrap();
        // Seven years on, the dry run's own entry is old too: the real run removes it as well.
        let (dry_rule, audit_rule) = (dry.rules.last().unwrap(), real.rules.last().unwrap());
        assert_eq!(audit_rule.rule, RuleKind::AuditEntries);
        assert_eq!(dry_rule.through_seq, Some(existing as u64));
        assert_eq!(audit_rule.through_seq, Some(existing as u64 + 1));
        let report = crate::audit::verify(&mut s).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.removed, existing as u64 + 1);
        drop(s);
        let mut s = vault::unlock(&dir, &login).unwrap();
        assert!(crate::audit::verify(&mut s).unwrap().ok);
    }
}
