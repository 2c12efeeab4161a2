//! What an import could not settle alone, waiting for a person: a record changed on both
//! sides since the two vaults last agreed (ours stays in its table, theirs waits here), or
//! a patient registered elsewhere who may be someone this vault already has.
//!
//! Settling is audited with both versions. Choosing ours keeps ours and records theirs as
//! seen, so the next bundle from here brings the sender to ours; choosing theirs replaces
//! ours. To combine the two, choose the closer one and edit it as usual: both versions
//! stay in the audit log.

use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{Value, json};

use super::bundle::Head;
use super::rows::{self, Row, Table};
use super::{apply, versions};
use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::policy::Action;
use crate::session::Session;

/// What a person chooses.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// Keep this vault's version (edited on both sides).
    Ours,
    /// Take the other vault's version (edited on both sides).
    Theirs,
    /// They are different people (possible duplicate).
    Different,
}

impl FromStr for Choice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Choice> {
        match s.trim() {
            "ours" => Ok(Choice::Ours),
            "theirs" => Ok(Choice::Theirs),
            "different" => Ok(Choice::Different),
            _ => Err(Error::invalid(
                "keep",
                format!("unknown choice {s:?}; use ours, theirs or different"),
            )),
        }
    }
}

/// One field that differs between the two versions.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    /// The field (a column, or a profile field).
    pub field: String,
    /// This vault's value.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub ours: Value,
    /// The other vault's value.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub theirs: Value,
}

/// A conflict, with both sides.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    /// Its id.
    pub id: String,
    /// `edited_on_both_sides` or `possible_duplicate`.
    pub kind: String,
    /// The kind of record: `patient`, `encounter` or `photo`.
    pub record: String,
    /// The record's id.
    pub record_id: String,
    /// The patient's id, human id and name.
    pub patient_id: String,
    /// See `patient_id`.
    pub human_id: String,
    /// See `patient_id`.
    pub patient_name: String,
    /// The vault it came from, and the name it was paired under.
    pub from_vault: String,
    /// See `from_vault`.
    pub from_name: String,
    /// When it arrived (RFC 3339).
    pub received_at: String,
    /// What differs (edits), or the patients here it may be (human ids, for a duplicate).
    pub differences: Vec<Difference>,
    /// The patients here a possible duplicate may be (ids).
    pub matches: Vec<String>,
    /// When, by whom and how it was settled.
    pub resolved_at: Option<String>,
    /// See `resolved_at`.
    pub resolved_by: Option<String>,
    /// See `resolved_at`.
    pub resolution: Option<String>,
}

/// The open conflicts (with `all`, the settled ones too), oldest first. Audited as a read
/// of the records they show.
pub fn list(session: &mut Session, all: bool) -> Result<Vec<Conflict>> {
    session.write(Action::TransferResolve, |w| {
        let ids: Vec<String> = w
            .conn()
            .prepare(
                "SELECT id FROM transfer_conflicts WHERE ?1 OR resolved_at IS NULL \
                 ORDER BY received_at, id",
            )?
            .query_map([all], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let conflicts: Vec<Conflict> = ids
            .iter()
            .map(|id| load(w.conn(), id))
            .collect::<Result<_>>()?;
        w.record(Change::new("transfer_conflict", None).after(json!({
            "listed": conflicts.len(),
            "patients": conflicts.iter().map(|c| &c.patient_id).collect::<Vec<_>>(),
        })))?;
        Ok(conflicts)
    })
}

/// Settles a conflict as a person chose.
pub fn resolve(session: &mut Session, id: &str, choice: Choice) -> Result<Conflict> {
    session.write(Action::TransferResolve, |w| {
        let conflict = load(w.conn(), id)?;
        if conflict.resolved_at.is_some() {
            return Err(Error::Conflict(format!("conflict {id} is settled already")));
        }
        let (kind, table_name, incoming): (String, String, String) = w.conn().query_row(
            "SELECT kind, resource_type, incoming FROM transfer_conflicts WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let fits = match kind.as_str() {
            "possible_duplicate" => choice == Choice::Different,
            _ => choice != Choice::Different,
        };
        if !fits {
            return Err(Error::invalid(
                "keep",
                match kind.as_str() {
                    "possible_duplicate" => {
                        "a possible duplicate is settled as different people, or by merging the two records"
                    }
                    _ => "a record edited on both sides is settled by keeping ours or theirs",
                },
            ));
        }
        let mut change = Change::new(&conflict.record, Some(&conflict.record_id));
        if kind == "edited_on_both_sides" {
            let table = table_named(&table_name)?;
            let head: Head = serde_json::from_str(&incoming)
                .map_err(|_| Error::CorruptDatabase(format!("conflict {id} is damaged")))?;
            let ours = table
                .find(w.conn(), &head.row)?
                .ok_or_else(|| Error::Conflict(format!("the record of conflict {id} is gone")))?;
            let theirs_hash = table.state_hash(&head.row);
            versions::note(w.conn(), table, &conflict.record_id, &theirs_hash)?;
            for hash in &head.history {
                if let Ok(bytes) = data_encoding::HEXLOWER.decode(hash.as_bytes())
                    && let Ok(hash) = <[u8; 32]>::try_from(bytes.as_slice())
                {
                    versions::note(w.conn(), table, &conflict.record_id, &hash)?;
                }
            }
            if choice == Choice::Theirs {
                apply::replace(w.conn(), table, &ours, &head.row)?;
                if table == rows::PATIENTS {
                    reindex(w.conn(), &conflict.patient_id)?;
                }
            }
            change = change
                .before(json!({ "ours": ours }))
                .after(json!({ "theirs": head.row, "kept": choice }));
        } else {
            change = change.after(json!({ "kept": "different_people", "matches": conflict.matches }));
        }
        w.conn().execute(
            "UPDATE transfer_conflicts SET resolved_at = ?1, resolved_by = ?2, resolution = ?3 WHERE id = ?4",
            rusqlite::params![clock::now_ms(), w.actor_name(), choice_name(choice), id],
        )?;
        w.record(change.reason(Some("transfer conflict settled")))?;
        load(w.conn(), id)
    })
}

fn choice_name(choice: Choice) -> &'static str {
    match choice {
        Choice::Ours => "kept_ours",
        Choice::Theirs => "took_theirs",
        Choice::Different => "different_people",
    }
}

fn table_named(name: &str) -> Result<Table> {
    [rows::PATIENTS, rows::ENCOUNTERS, rows::PHOTOS]
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| Error::CorruptDatabase(format!("a conflict names table {name:?}")))
}

fn reindex(conn: &Connection, patient_id: &str) -> Result<()> {
    let rowid: i64 = conn.query_row(
        "SELECT rowid FROM patients WHERE id = ?1",
        [patient_id],
        |r| r.get(0),
    )?;
    crate::patients::search::reindex(conn, rowid)
}

fn load(conn: &Connection, id: &str) -> Result<Conflict> {
    let row = conn
        .query_row(
            "SELECT c.kind, c.resource_type, c.resource_id, c.patient_id, c.from_vault, \
             coalesce(p.name, c.from_vault), c.received_at, c.incoming, c.resolved_at, \
             c.resolved_by, c.resolution, pa.human_id, pa.given_name || ' ' || pa.family_name \
             FROM transfer_conflicts c LEFT JOIN transfer_peers p ON p.vault_id = c.from_vault \
             LEFT JOIN patients pa ON pa.id = c.patient_id WHERE c.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, Option<String>>(12)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| Error::NotFound {
            what: "transfer conflict",
            id: id.to_owned(),
        })?;
    let (kind, table_name, record_id, patient_id, from_vault, from_name, received_at, incoming) =
        (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7);
    let table = table_named(&table_name)?;
    let (differences, matches) = match kind.as_str() {
        "possible_duplicate" => {
            let value: Value = serde_json::from_str(&incoming).unwrap_or(Value::Null);
            let matches = value["matches"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (Vec::new(), matches)
        }
        _ => {
            let head: Head = serde_json::from_str(&incoming)
                .map_err(|_| Error::CorruptDatabase(format!("conflict {id} is damaged")))?;
            let ours = table.find(conn, &head.row)?.unwrap_or_default();
            (differences(&ours, &head.row), Vec::new())
        }
    };
    Ok(Conflict {
        id: id.to_owned(),
        kind,
        record: table.resource.to_owned(),
        record_id,
        patient_id,
        human_id: row.11.unwrap_or_default(),
        patient_name: row.12.unwrap_or_default(),
        from_vault,
        from_name,
        received_at: clock::to_rfc3339(received_at),
        differences,
        matches,
        resolved_at: row.8.map(clock::to_rfc3339),
        resolved_by: row.9,
        resolution: row.10,
    })
}

/// The fields that differ, a profile's field by field; bookkeeping left out.
fn differences(ours: &Row, theirs: &Row) -> Vec<Difference> {
    const BOOKKEEPING: [&str; 4] = ["version", "updated_at", "updated_by", "profile_json"];
    let mut out = Vec::new();
    let profile = |row: &Row| -> Row {
        row.get("profile_json")
            .and_then(Value::as_str)
            .and_then(|t| serde_json::from_str::<Row>(t).ok())
            .unwrap_or_default()
    };
    let (our_profile, their_profile) = (profile(ours), profile(theirs));
    let mut fields: Vec<&String> = our_profile.keys().chain(their_profile.keys()).collect();
    fields.sort();
    fields.dedup();
    for field in fields {
        let (a, b) = (
            our_profile.get(field).cloned().unwrap_or(Value::Null),
            their_profile.get(field).cloned().unwrap_or(Value::Null),
        );
        if a != b {
            out.push(Difference {
                field: field.clone(),
                ours: a,
                theirs: b,
            });
        }
    }
    for (column, theirs_value) in theirs {
        if BOOKKEEPING.contains(&column.as_str()) || out.iter().any(|d| &d.field == column) {
            continue;
        }
        let ours_value = ours.get(column).cloned().unwrap_or(Value::Null);
        if &ours_value != theirs_value {
            out.push(Difference {
                field: column.clone(),
                ours: ours_value,
                theirs: theirs_value.clone(),
            });
        }
    }
    out
}
