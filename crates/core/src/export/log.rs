//! The export log: one row per export written (migration `0007_exports.sql`).

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::ExportFormat;
use super::record::{DateRange, ExportKind};
use crate::clock;
use crate::error::{Error, Result};

/// An export as logged.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportEntry {
    /// The export's id (UUIDv7).
    pub id: String,
    /// The patient's id.
    pub patient_id: String,
    /// The patient's human id.
    pub human_id: String,
    /// Summary, full record or referral.
    pub kind: ExportKind,
    /// PDF, JSON or CSV.
    pub format: ExportFormat,
    /// The dates it was limited to.
    pub range: DateRange,
    /// Whether the file is an `age` file.
    pub encrypted: bool,
    /// Lowercase hex SHA-256 of the file as written.
    pub sha256: String,
    /// For a PDF, the SHA-256 its seal signs (its canonical content).
    pub content_sha256: Option<String>,
    /// Size of the file.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// When (RFC 3339).
    pub created_at: String,
    /// Who (user name).
    pub created_by: String,
}

/// What to log.
#[derive(Debug)]
pub(super) struct Logged<'a> {
    pub(super) id: &'a str,
    pub(super) patient_id: &'a str,
    pub(super) human_id: &'a str,
    pub(super) kind: ExportKind,
    pub(super) format: ExportFormat,
    pub(super) range: &'a DateRange,
    pub(super) encrypted: bool,
    pub(super) sha256: &'a str,
    pub(super) content_sha256: Option<&'a str>,
    pub(super) bytes: u64,
    pub(super) created_by: &'a str,
}

pub(super) fn insert(conn: &Connection, e: &Logged<'_>) -> Result<ExportEntry> {
    let now = clock::now_ms();
    conn.execute(
        "INSERT INTO exports (id, patient_id, kind, format, range_from, range_to, encrypted, \
         sha256, content_sha256, bytes, created_at, created_by) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            e.id,
            e.patient_id,
            e.kind.as_str(),
            e.format.as_str(),
            e.range.from,
            e.range.to,
            e.encrypted,
            e.sha256,
            e.content_sha256,
            i64::try_from(e.bytes).map_err(|_| Error::Internal("an export over 8 EiB"))?,
            now,
            e.created_by,
        ],
    )?;
    Ok(ExportEntry {
        id: e.id.to_owned(),
        patient_id: e.patient_id.to_owned(),
        human_id: e.human_id.to_owned(),
        kind: e.kind,
        format: e.format,
        range: e.range.clone(),
        encrypted: e.encrypted,
        sha256: e.sha256.to_owned(),
        content_sha256: e.content_sha256.map(str::to_owned),
        bytes: e.bytes,
        created_at: clock::to_rfc3339(now),
        created_by: e.created_by.to_owned(),
    })
}

const SELECT: &str = "SELECT e.id, e.patient_id, p.human_id, e.kind, e.format, e.range_from, \
     e.range_to, e.encrypted, e.sha256, e.content_sha256, e.bytes, e.created_at, e.created_by \
     FROM exports e JOIN patients p ON p.id = e.patient_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ExportEntry> {
    let kind: String = r.get(3)?;
    let format: String = r.get(4)?;
    Ok(ExportEntry {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        human_id: r.get(2)?,
        kind: kind.parse().unwrap_or(ExportKind::Full),
        format: format.parse().unwrap_or(ExportFormat::Pdf),
        range: DateRange {
            from: r.get(5)?,
            to: r.get(6)?,
        },
        encrypted: r.get(7)?,
        sha256: r.get(8)?,
        content_sha256: r.get(9)?,
        bytes: r.get::<_, i64>(10)?.unsigned_abs(),
        created_at: clock::to_rfc3339(r.get(11)?),
        created_by: r.get(12)?,
    })
}

/// Every export, or one patient's, newest first.
pub(super) fn list(conn: &Connection, patient_id: Option<&str>) -> Result<Vec<ExportEntry>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE ?1 IS NULL OR e.patient_id = ?1 ORDER BY e.created_at DESC, e.id DESC"
    ))?;
    let rows = stmt
        .query_map([patient_id], from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<ExportEntry>> {
    Ok(conn
        .query_row(&format!("{SELECT} WHERE e.id = ?1"), [id], from_row)
        .optional()?)
}

pub(super) fn by_sha256(conn: &Connection, sha256: &str) -> Result<Option<ExportEntry>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE e.sha256 = ?1 ORDER BY e.created_at DESC LIMIT 1"),
            [sha256],
            from_row,
        )
        .optional()?)
}

pub(super) fn delete_for_patient(conn: &Connection, patient_id: &str) -> Result<u64> {
    Ok(conn.execute("DELETE FROM exports WHERE patient_id = ?1", [patient_id])? as u64)
}
