//! Patients: registration, the profile, search, edits with optimistic concurrency, and the
//! bin (soft delete, restorable for 30 days).
//!
//! Every function takes the acting [`Session`]; each read of a record and each change is
//! audited in the same transaction, with the state before and after.

pub mod desk;
pub(crate) mod duplicates;
pub mod human_id;
pub(crate) mod merges;
pub mod profile;
pub(crate) mod search;
pub mod sections;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

pub use profile::Profile;

use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::listing::Listing;
use crate::policy::Action;
use crate::session::{Session, WriteTx};

/// How long a deleted patient can be restored before retention purges it.
pub const RESTORE_WINDOW_DAYS: i64 = 30;
const DAY_MS: i64 = 86_400_000;
/// Most rows a list or search returns.
pub const MAX_RESULTS: u32 = 500;

/// A patient record: identifiers, the profile and its bookkeeping.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patient {
    /// UUIDv7.
    pub id: String,
    /// Short id with a check symbol, `TS-7K3M-9Q2X`.
    pub human_id: String,
    /// Increases with every edit; an edit must name the version it was based on.
    pub version: u32,
    /// The profile.
    #[serde(flatten)]
    pub profile: Profile,
    /// Registration time, RFC 3339.
    pub created_at: String,
    /// Last change, RFC 3339.
    pub updated_at: String,
    /// When it was moved to the bin, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub deleted_at: Option<String>,
}

/// What lists and searches show: enough to tell patients apart, nothing clinical.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatientSummary {
    /// UUIDv7.
    pub id: String,
    /// Short id.
    pub human_id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// Date of birth.
    pub date_of_birth: Option<String>,
    /// Status.
    pub status: String,
    /// When it was moved to the bin.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub deleted_at: Option<String>,
}

/// A patient row located by id or human id.
#[derive(Debug, Clone)]
pub(crate) struct PatientRef {
    pub(crate) rowid: i64,
    pub(crate) id: String,
    pub(crate) deleted_at: Option<i64>,
}

/// Whether a registration goes ahead when the patient seems to have a record already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Refuse with [`Error::LikelyDuplicate`] when [`duplicates`] finds a match.
    CheckDuplicates,
    /// A person looked at the matches and says this is someone else.
    NotADuplicate,
}

/// Registers a patient, unless (with [`Registration::CheckDuplicates`]) they seem to have a
/// record already.
pub fn create(
    session: &mut Session,
    profile: Profile,
    registration: Registration,
) -> Result<Patient> {
    let profile = profile.normalize_and_validate(clock::today_utc())?;
    desk::check_registration(session.actor().principal, &profile)?;
    if registration == Registration::CheckDuplicates {
        let matches = duplicates(session, &profile)?;
        if !matches.is_empty() {
            return Err(Error::LikelyDuplicate {
                human_ids: matches.into_iter().map(|p| p.human_id).collect(),
            });
        }
    }
    session.write(Action::PatientCreate, |w| {
        let patient = insert(w, &profile, clock::now_ms())?;
        search::reindex(w.conn(), rowid_of(w.conn(), &patient.id)?)?;
        Ok(patient)
    })
}

/// Patients not in the bin who are likely the same person as `profile` (same folded name
/// and date of birth, or the same phone number): what a registration warns about. Audited
/// as a search, with the number of matches.
pub fn duplicates(session: &mut Session, profile: &Profile) -> Result<Vec<PatientSummary>> {
    let profile = profile.clone().normalize_and_validate(clock::today_utc())?;
    session.write(Action::PatientSearch, |w| {
        let matches = duplicates::likely_duplicates(w.conn(), &profile, None)?;
        // The matches are named, so the log says whom a check found, as a chart view would.
        let ids: Vec<&str> = matches.iter().map(|m| m.id.as_str()).collect();
        w.record(Change::new("patient", None).after(json!({
            "duplicates_of": "registration",
            "results": matches.len(),
            "matches": ids,
        })))?;
        Ok(matches)
    })
}

/// Reads one patient's whole record (by id or human id; a record merged into another opens
/// the one it was merged into). Audited as a view.
pub fn get(session: &mut Session, key: &str) -> Result<Patient> {
    session.write(Action::PatientView, |w| {
        let found = resolve_following_merges(w.conn(), key)?;
        let patient = load(w.conn(), found.rowid)?;
        w.record(Change::new("patient", Some(&found.id)))?;
        Ok(patient)
    })
}

/// Lists patients by family then given name. Audited (what was listed, not who).
pub fn list(session: &mut Session, listing: Listing, limit: u32) -> Result<Vec<PatientSummary>> {
    let limit = limit.clamp(1, MAX_RESULTS);
    session.write(Action::PatientSearch, |w| {
        let sql = format!(
            "{SELECT_SUMMARY} WHERE deleted_at IS {} NULL \
             ORDER BY family_name COLLATE NOCASE, given_name COLLATE NOCASE LIMIT ?1",
            if listing == Listing::Deleted {
                "NOT"
            } else {
                ""
            }
        );
        let mut stmt = w.conn().prepare_cached(&sql)?;
        let rows = stmt
            .query_map([limit], summary_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        drop(stmt);
        w.record(Change::new("patient", None).after(json!({
            "listing": listing.as_str(),
            "results": rows.len(),
        })))?;
        Ok(rows)
    })
}

/// Finds patients by name, human id, phone or narrative text; best matches first.
/// Audited with the query and the number of results.
pub fn search(session: &mut Session, query: &str, limit: u32) -> Result<Vec<PatientSummary>> {
    let limit = limit.clamp(1, MAX_RESULTS);
    let query = query.trim();
    if query.chars().count() > 200 {
        return Err(Error::invalid(
            "search",
            "is too long (at most 200 characters)",
        ));
    }
    session.write(Action::PatientSearch, |w| {
        let results = match search::match_expression(w.actor().principal, query) {
            None => Vec::new(),
            Some(expression) => {
                let rowids = search::matching_rowids(w.conn(), &expression, limit)?;
                let mut stmt = w
                    .conn()
                    .prepare_cached(&format!("{SELECT_SUMMARY} WHERE rowid = ?1"))?;
                rowids
                    .into_iter()
                    .map(|rowid| stmt.query_row([rowid], summary_from_row))
                    .collect::<rusqlite::Result<Vec<_>>>()?
            }
        };
        w.record(
            Change::new("patient", None).after(json!({ "query": query, "results": results.len() })),
        )?;
        Ok(results)
    })
}

/// Replaces a patient's profile. `expected_version` is the version the edit was based on:
/// if someone else saved in between, the edit is refused and nothing is overwritten.
pub fn edit(
    session: &mut Session,
    key: &str,
    profile: Profile,
    expected_version: u32,
) -> Result<Patient> {
    let profile = profile.normalize_and_validate(clock::today_utc())?;
    session.write(Action::PatientEdit, |w| {
        let found = resolve_current(w.conn(), key)?;
        let before = load(w.conn(), found.rowid)?;
        if before.version != expected_version {
            return Err(stale(&before, expected_version));
        }
        if before.profile == profile {
            // Nothing to save; the entry says it was looked at and left as it was.
            w.record(Change::new("patient", Some(&found.id)).after(json!({ "unchanged": true })))?;
            return Ok(before);
        }
        save_profile(w, found.rowid, &profile)?;
        let after = load(w.conn(), found.rowid)?;
        w.record(
            Change::new("patient", Some(&found.id))
                .before(json!(before))
                .after(json!(after)),
        )?;
        Ok(after)
    })
}

/// Writes a validated profile over a patient's, as a new version, and reindexes it.
fn save_profile(w: &WriteTx<'_>, rowid: i64, profile: &Profile) -> Result<()> {
    w.conn().execute(
        "UPDATE patients SET version = version + 1, given_name = ?1, family_name = ?2, \
         date_of_birth = ?3, sex = ?4, phone = ?5, status = ?6, profile_json = ?7, \
         updated_at = ?8, updated_by = ?9 WHERE rowid = ?10",
        params![
            profile.given_name,
            profile.family_name,
            profile.date_of_birth,
            sex_column(profile),
            profile.phone,
            profile.status.as_str(),
            to_json(profile)?,
            clock::now_ms(),
            w.actor_name(),
            rowid,
        ],
    )?;
    search::reindex(w.conn(), rowid)
}

/// Moves a patient to the bin. Their record stays restorable for [`RESTORE_WINDOW_DAYS`].
pub fn delete(session: &mut Session, key: &str, reason: Option<&str>) -> Result<Patient> {
    let staff = session.actor().username.clone();
    session.write(Action::PatientDelete, |w| {
        // The exact record: a merged-away id must not send its survivor to the bin.
        let found = resolve(w.conn(), key)?;
        if found.deleted_at.is_some() {
            return Err(Error::Conflict(format!(
                "patient {key} is already in the bin"
            )));
        }
        w.conn().execute(
            "UPDATE patients SET deleted_at = ?1, deleted_by = ?2 WHERE rowid = ?3",
            params![clock::now_ms(), staff, found.rowid],
        )?;
        search::unindex(w.conn(), found.rowid)?;
        let after = load(w.conn(), found.rowid)?;
        w.record(
            Change::new("patient", Some(&found.id))
                .after(json!({ "deleted_at": after.deleted_at }))
                .reason(reason),
        )?;
        Ok(after)
    })
}

/// Takes a patient out of the bin, within [`RESTORE_WINDOW_DAYS`] of its deletion.
pub fn restore(session: &mut Session, key: &str) -> Result<Patient> {
    session.write(Action::PatientDelete, |w| {
        let found = resolve(w.conn(), key)?;
        let Some(deleted_at) = found.deleted_at else {
            return Err(Error::Conflict(format!("patient {key} is not deleted")));
        };
        if let Some(survivor) = merges::active_merge(w.conn(), &found.id)? {
            return Err(Error::Conflict(format!(
                "patient {key} was merged into {survivor}; undo the merge instead of restoring it"
            )));
        }
        if clock::now_ms() - deleted_at > RESTORE_WINDOW_DAYS * DAY_MS {
            return Err(Error::Conflict(format!(
                "patient {key} was deleted on {} and can no longer be restored \
                 (the window is {RESTORE_WINDOW_DAYS} days)",
                clock::to_rfc3339(deleted_at)
            )));
        }
        w.conn().execute(
            "UPDATE patients SET deleted_at = NULL, deleted_by = NULL WHERE rowid = ?1",
            [found.rowid],
        )?;
        search::reindex(w.conn(), found.rowid)?;
        w.record_as(
            "patient.restore",
            Change::new("patient", Some(&found.id))
                .before(json!({ "deleted_at": clock::to_rfc3339(deleted_at) })),
        )?;
        load(w.conn(), found.rowid)
    })
}

/// Inserts a validated profile and records it. Does not index it (callers batch that).
pub(crate) fn insert(w: &mut WriteTx<'_>, profile: &Profile, now: i64) -> Result<Patient> {
    let id = Uuid::now_v7().to_string();
    let staff = w.actor_name().to_owned();
    let profile_json = to_json(profile)?;
    // 35 random bits: a collision is rare but possible in a large vault, so retry.
    let mut attempts = 0;
    let human_id = loop {
        let candidate = human_id::generate()?;
        let taken: bool = w
            .conn()
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM patients WHERE human_id = ?1)")?
            .query_row([&candidate], |r| r.get(0))?;
        if !taken {
            break candidate;
        }
        attempts += 1;
        if attempts > 16 {
            return Err(Error::Internal("could not find a free patient id"));
        }
    };
    w.conn()
        .prepare_cached(
            "INSERT INTO patients (id, human_id, version, given_name, family_name, date_of_birth, \
             sex, phone, status, profile_json, created_at, created_by, updated_at, updated_by) \
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?10, ?11)",
        )?
        .execute(params![
            id,
            human_id,
            profile.given_name,
            profile.family_name,
            profile.date_of_birth,
            sex_column(profile),
            profile.phone,
            profile.status.as_str(),
            profile_json,
            now,
            staff,
        ])?;
    let patient = Patient {
        id: id.clone(),
        human_id,
        version: 1,
        profile: profile.clone(),
        created_at: clock::to_rfc3339(now),
        updated_at: clock::to_rfc3339(now),
        deleted_at: None,
    };
    w.record_as(
        Action::PatientCreate.name(),
        Change::new("patient", Some(&id)).after(json!(patient)),
    )?;
    Ok(patient)
}

/// Finds a patient by UUID or human id, in the bin or not.
pub(crate) fn resolve(conn: &Connection, key: &str) -> Result<PatientRef> {
    let key = key.trim();
    let by_human_id = human_id::parse(key).ok();
    let found = conn
        .prepare_cached(
            "SELECT rowid, id, deleted_at FROM patients WHERE id = ?1 OR human_id = ?2",
        )?
        .query_row(params![key, by_human_id], |r| {
            Ok(PatientRef {
                rowid: r.get(0)?,
                id: r.get(1)?,
                deleted_at: r.get(2)?,
            })
        })
        .optional()?;
    found.ok_or_else(|| Error::NotFound {
        what: "patient",
        id: key.to_owned(),
    })
}

/// Like [`resolve`], but a record merged into another resolves to the one it was merged into
/// (following later merges too), including once it has left the bin for good.
pub(crate) fn resolve_following_merges(conn: &Connection, key: &str) -> Result<PatientRef> {
    let mut found = match resolve(conn, key) {
        Ok(found) => found,
        Err(Error::NotFound { .. }) => match merges::redirect(conn, key)? {
            Some(survivor) => resolve(conn, &survivor)?,
            None => return resolve(conn, key),
        },
        Err(other) => return Err(other),
    };
    // Each merge moves to a record not in the bin, so a chain ends; the bound guards a
    // database someone edited by hand.
    for _ in 0..16 {
        let Some(survivor) = found
            .deleted_at
            .map(|_| merges::active_merge(conn, &found.id))
            .transpose()?
            .flatten()
        else {
            return Ok(found);
        };
        found = resolve(conn, &survivor)?;
    }
    Err(Error::CorruptDatabase(format!(
        "the merges of patient {key} go round in a circle"
    )))
}

/// Like [`resolve_following_merges`], but a patient in the bin is refused: it must be
/// restored first.
pub(crate) fn resolve_current(conn: &Connection, key: &str) -> Result<PatientRef> {
    let found = resolve_following_merges(conn, key)?;
    if found.deleted_at.is_some() {
        return Err(Error::Conflict(format!(
            "patient {key} is deleted; restore it first"
        )));
    }
    Ok(found)
}

fn rowid_of(conn: &Connection, id: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT rowid FROM patients WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?)
}

pub(crate) fn load(conn: &Connection, rowid: i64) -> Result<Patient> {
    let (id, human_id, version, profile_json, created, updated, deleted): (
        String,
        String,
        u32,
        String,
        i64,
        i64,
        Option<i64>,
    ) = conn
        .prepare_cached(
            "SELECT id, human_id, version, profile_json, created_at, updated_at, deleted_at \
             FROM patients WHERE rowid = ?1",
        )?
        .query_row([rowid], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
    let profile = serde_json::from_str(&profile_json).map_err(|e| {
        Error::CorruptDatabase(format!("the profile of patient {id} cannot be read: {e}"))
    })?;
    Ok(Patient {
        id,
        human_id,
        version,
        profile,
        created_at: clock::to_rfc3339(created),
        updated_at: clock::to_rfc3339(updated),
        deleted_at: deleted.map(clock::to_rfc3339),
    })
}

/// The sex as stored in its own column: the profile's JSON name (`female`, ...).
fn sex_column(profile: &Profile) -> Option<String> {
    profile
        .sex
        .and_then(|s| json!(s).as_str().map(str::to_owned))
}

pub(super) fn stale(current: &Patient, expected: u32) -> Error {
    Error::Conflict(format!(
        "patient {} was changed since you opened it (you edited version {expected}, it is now \
         version {}, saved {}); reload it and apply your change again",
        current.human_id, current.version, current.updated_at
    ))
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|_| Error::Internal("cannot serialise a record"))
}

/// The columns of a [`PatientSummary`], then the phone (column 7), which the duplicate check
/// compares and the summary leaves out.
pub(super) const SELECT_SUMMARY: &str = "SELECT id, human_id, given_name, family_name, date_of_birth, \
     status, deleted_at, phone FROM patients";

pub(super) fn summary_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PatientSummary> {
    Ok(PatientSummary {
        id: r.get(0)?,
        human_id: r.get(1)?,
        given_name: r.get(2)?,
        family_name: r.get(3)?,
        date_of_birth: r.get(4)?,
        status: r.get(5)?,
        deleted_at: r.get::<_, Option<i64>>(6)?.map(clock::to_rfc3339),
    })
}
