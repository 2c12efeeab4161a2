//! Exports: one patient's record as a PDF report, a complete JSON file, or CSV tables,
//! optionally encrypted as an `age` file, logged and audited; and checking a document or
//! file that comes back.
//!
//! - What an export holds is decided by `record` from its kind and the exporting role;
//!   every format is written from that one record.
//! - The file is written under a temporary name, synced, logged, then renamed into place
//!   (`outside::write_new_file`): a failure, a cancel or a kill leaves nothing that could
//!   pass for an export, and the next export into that folder sweeps what a killed one
//!   left.
//! - The export log (`exports` table) keeps who, of whom, what kind and format, the date
//!   range, and the SHA-256 and size of the file as written; the audit chain records the
//!   same under the patient. [`verify_file`] checks a file against it, and a PDF also
//!   against the signed seal in its footer.

pub mod csv;
mod log;
mod pdf;
pub mod record;
pub mod seal;

use std::fmt;
use std::io::Write;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::archive::Encryption;
use crate::audit_chain::Change;
use crate::credentials;
use crate::error::{Error, Result};
use crate::outside;
use crate::patients;
use crate::policy::{Action, Principal};
use crate::session::Session;
use crate::signing::TokenProblem;

pub use log::ExportEntry;
pub use record::{DateRange, ExportKind, Exporter, Record, Referral};

/// The file format of an export.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// A PDF report with a verification seal on every page.
    Pdf,
    /// The record as JSON (`docs/record.schema.json`).
    Json,
    /// CSV tables, zipped when there are several.
    Csv,
}

impl ExportFormat {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Pdf => "pdf",
            ExportFormat::Json => "json",
            ExportFormat::Csv => "csv",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<ExportFormat> {
        match s.trim().to_lowercase().as_str() {
            "pdf" => Ok(ExportFormat::Pdf),
            "json" => Ok(ExportFormat::Json),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(Error::invalid(
                "format",
                format!("unknown format {s:?}; use pdf, json or csv"),
            )),
        }
    }
}

/// What to export.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExportRequest {
    /// The patient's id or human id.
    pub patient: String,
    /// Summary, full record or referral.
    pub kind: ExportKind,
    /// PDF, JSON or CSV.
    pub format: ExportFormat,
    /// Dates to limit it to.
    #[serde(default)]
    pub range: DateRange,
    /// For a referral: to whom, and why.
    #[serde(default)]
    pub referral: Option<Referral>,
    /// For CSV: begin each file with a byte-order mark (for spreadsheet programs).
    #[serde(default)]
    pub csv_bom: bool,
}

/// How far an export has got.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStage {
    /// Reading the record.
    Reading,
    /// Laying out or formatting it.
    Formatting,
    /// Writing (and encrypting) the file.
    Writing,
}

/// Exports one patient's record to a new file at `out`, encrypted with `encryption` when
/// given. `progress` hears each stage; setting `cancel` stops the export at the next stage
/// and leaves no file.
pub fn export(
    session: &mut Session,
    request: &ExportRequest,
    out: &Path,
    encryption: Option<&Encryption>,
    progress: &dyn Fn(ExportStage),
    cancel: &AtomicBool,
) -> Result<ExportEntry> {
    if request.kind == ExportKind::SubjectAccess {
        return Err(Error::invalid(
            "kind",
            "a subject access export is written by the subject access command",
        ));
    }
    let range = request.range.clone().checked()?;
    let referral = match request.kind {
        ExportKind::Referral => Some(
            request
                .referral
                .clone()
                .ok_or_else(|| Error::invalid("to", "a referral needs an addressee and a purpose"))?
                .checked()?,
        ),
        _ => None,
    };
    let stop = || match cancel.load(Ordering::Relaxed) {
        true => Err(Error::Cancelled),
        false => Ok(()),
    };
    progress(ExportStage::Reading);
    let actor = session.actor().clone();
    let action = record::required_action(request.kind, actor.principal);
    let vault_id = session.vault_id();
    let (patient_id, collected) = session.read(action, |s| {
        let found = patients::resolve_current(&s.conn, &request.patient)?;
        let credentials = match request.kind {
            ExportKind::Referral => credentials::one_line(&s.conn, &actor.username)?,
            _ => None,
        };
        let collected = record::collect(
            &s.conn,
            &found,
            record::Request {
                kind: request.kind,
                range: range.clone(),
                referral: referral.clone(),
                exporter: Exporter {
                    username: actor.username.clone(),
                    role: match actor.principal {
                        Principal::Staff(role) => role,
                        Principal::RecoveryKey => {
                            return Err(Error::Internal("the recovery key cannot export"));
                        }
                    },
                    credentials,
                },
                vault_id: vault_id.to_string(),
                actor: &actor,
            },
        )?;
        Ok((found.id, collected))
    })?;
    stop()?;
    progress(ExportStage::Formatting);
    let record = &collected.record;
    let (body, content_sha256) = match request.format {
        ExportFormat::Pdf => {
            let mut thumbnails = Vec::with_capacity(collected.thumbnails.len());
            for (id, blob) in &collected.thumbnails {
                thumbnails.push((id.clone(), session.media.blobs.get(blob)?));
            }
            let rendered = pdf::render(record, &thumbnails, &session.signer())?;
            let content = data_encoding::HEXLOWER.encode(&rendered.content_sha256);
            (Body::Pdf(rendered.bytes), Some(content))
        }
        ExportFormat::Json => (Body::Json(record), None),
        ExportFormat::Csv => (Body::Csv(csv::tables(record), request.csv_bom), None),
    };
    stop()?;
    progress(ExportStage::Writing);
    let mut entry = None;
    outside::write_new_file(
        session,
        out,
        encryption,
        |out| body.write(out),
        |session, written| {
            stop()?;
            let logged = log::Logged {
                id: &record.export_id,
                patient_id: &patient_id,
                human_id: &record.patient.human_id,
                kind: request.kind,
                format: request.format,
                range: &range,
                encrypted: encryption.is_some(),
                sha256: &written.sha256,
                content_sha256: content_sha256.as_deref(),
                bytes: written.bytes,
                created_by: &actor.username,
            };
            entry = Some(session.write(action, |w| {
                let entry = log::insert(w.conn(), &logged)?;
                w.record(Change::new("patient", Some(&patient_id)).after(json!({
                    "export_id": entry.id,
                    "kind": entry.kind,
                    "format": entry.format,
                    "range": range,
                    "encrypted": entry.encrypted,
                    "sha256": entry.sha256,
                    "bytes": entry.bytes,
                })))?;
                Ok(entry)
            })?);
            Ok(())
        },
    )?;
    entry.ok_or(Error::Internal("an export was written but not logged"))
}

/// An export's content, ready to be written.
enum Body<'a> {
    /// A laid-out, sealed PDF.
    Pdf(Vec<u8>),
    /// The record, streamed as JSON.
    Json(&'a Record),
    /// The tables, and whether to begin each with a byte-order mark.
    Csv(Vec<csv::Table>, bool),
}

impl Body<'_> {
    fn write(self, out: &mut dyn Write) -> Result<()> {
        match self {
            Body::Pdf(bytes) => out
                .write_all(&bytes)
                .map_err(Error::io("cannot write the PDF")),
            Body::Json(record) => {
                serde_json::to_writer_pretty(&mut *out, record)
                    .map_err(|_| Error::Internal("cannot write the JSON record"))?;
                out.write_all(b"\n")
                    .map_err(Error::io("cannot write the JSON record"))
            }
            Body::Csv(tables, bom) => csv::write(out, &tables, bom),
        }
    }
}

/// The export log, newest first: every export, or one patient's.
pub fn list(session: &mut Session, patient: Option<&str>) -> Result<Vec<ExportEntry>> {
    session.read(Action::ExportList, |s| {
        let patient_id = match patient {
            Some(key) => Some(patients::resolve(&s.conn, key)?.id),
            None => None,
        };
        log::list(&s.conn, patient_id.as_deref())
    })
}

/// What checking a document or file found: it is genuine, and this is where it came from.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// How it was checked: `document` (a PDF's content against its seal), `seal` (a seal
    /// read from a photo or scan of a page: it proves the page's origin, not its content)
    /// or `file` (a JSON, CSV or encrypted file against the export log).
    pub method: String,
    /// The export it is.
    pub export_id: String,
    /// The patient's human id.
    pub patient: String,
    /// Summary, full record or referral.
    pub kind: String,
    /// Who made it.
    pub issued_by: String,
    /// When (RFC 3339).
    pub issued_at: String,
    /// The id of the vault key that signed it (none for a file checked against the log).
    pub key_id: Option<String>,
    /// The export log's entry, when this vault's log has it.
    pub logged: Option<ExportEntry>,
}

/// Checks a file: a PDF by its seal and content, anything else (JSON, CSV, an encrypted
/// export) against the export log. Audited with the outcome.
pub fn verify_file(session: &mut Session, bytes: &[u8]) -> Result<Verification> {
    let outcome = match bytes.starts_with(b"%PDF-") {
        true => check_document(session, bytes),
        false => check_logged_file(session, bytes),
    };
    audited_check(session, outcome)
}

/// Whether `bytes` are a PNG or JPEG image: a photo or scan of a printed page.
pub fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.starts_with(&[0xff, 0xd8, 0xff])
}

/// Checks what a user hands in: a photo or scan of a printed page by the seal's QR code
/// (`read_codes` finds the codes' texts in an image; core does not decode images), any
/// other file with [`verify_file`]. Audited.
pub fn verify_any(
    session: &mut Session,
    bytes: &[u8],
    read_codes: &mut dyn FnMut(&[u8]) -> Result<Vec<String>>,
) -> Result<Verification> {
    if !is_image(bytes) {
        return verify_file(session, bytes);
    }
    let token = read_codes(bytes)?
        .into_iter()
        .find(|t| t.starts_with(crate::signing::TOKEN_PREFIX));
    match token {
        Some(token) => verify_seal(session, &token),
        None => audited_check(
            session,
            Err(Error::NotGenuine(
                "no Tessera seal could be read in this image; photograph the code in the page's \
                 corner, flat and in focus"
                    .into(),
            )),
        ),
    }
}

/// Checks a seal's token read from a photo or scan of a printed page. Audited.
pub fn verify_seal(session: &mut Session, token: &str) -> Result<Verification> {
    let outcome = open_seal(session, token)
        .and_then(|(claims, key_id)| describe(session, &claims, "seal", key_id));
    audited_check(session, outcome)
}

fn audited_check(session: &mut Session, outcome: Result<Verification>) -> Result<Verification> {
    session.authorize(Action::ExportVerify)?;
    let after = match &outcome {
        Ok(v) => json!({ "genuine": true, "method": v.method, "export_id": v.export_id }),
        Err(e) => json!({ "genuine": false, "reason": e.to_string() }),
    };
    session.write(Action::ExportVerify, |w| {
        w.record(Change::new("export", None).after(after))
    })?;
    outcome
}

fn open_seal(session: &mut Session, token: &str) -> Result<(seal::SealClaims, String)> {
    let signer = session.signer();
    let key = signer.public();
    let claims = seal::open(token, key).map_err(|problem| {
        Error::NotGenuine(match problem {
            TokenProblem::BadSignature => {
                "its seal's signature does not match: the seal was altered".to_owned()
            }
            other => format!("its seal is {other}"),
        })
    })?;
    Ok((claims, key.id().to_string()))
}

fn check_document(session: &mut Session, pdf: &[u8]) -> Result<Verification> {
    let regions =
        seal::SealRegions::find(pdf).map_err(|why| Error::NotGenuine(format!("this PDF {why}")))?;
    let token = std::str::from_utf8(&pdf[regions.token.clone()])
        .map_err(|_| Error::NotGenuine("its seal is not readable".into()))?;
    let (claims, key_id) = open_seal(session, token)?;
    if regions.canonical_sha256(pdf) != claims.content_sha256 {
        return Err(Error::NotGenuine(
            "its content was changed after it was exported".into(),
        ));
    }
    let image = seal::SealImage::of(token).map_err(|e| Error::NotGenuine(e.to_owned()))?;
    if pdf[regions.pixels.clone()] != image.bits[..] {
        return Err(Error::NotGenuine(
            "the QR code printed on its pages does not match its seal".into(),
        ));
    }
    describe(session, &claims, "document", key_id)
}

fn describe(
    session: &mut Session,
    claims: &seal::SealClaims,
    method: &str,
    key_id: String,
) -> Result<Verification> {
    let export_id = claims.export_id.to_string();
    let logged = session.read(Action::ExportVerify, |s| log::get(&s.conn, &export_id))?;
    Ok(Verification {
        method: method.to_owned(),
        export_id,
        patient: claims.patient.clone(),
        kind: claims.kind.clone(),
        issued_by: claims.issuer.clone(),
        issued_at: crate::clock::to_rfc3339(claims.issued_at.saturating_mul(1000)),
        key_id: Some(key_id),
        logged,
    })
}

fn check_logged_file(session: &mut Session, bytes: &[u8]) -> Result<Verification> {
    let sha256 = data_encoding::HEXLOWER.encode(&crate::crypto::sha256(&[bytes]));
    let entry = session
        .read(Action::ExportVerify, |s| log::by_sha256(&s.conn, &sha256))?
        .ok_or_else(|| {
            Error::NotGenuine(
                "no export in this vault's log has exactly this content: it was changed, or \
                 it was not exported from this vault"
                    .into(),
            )
        })?;
    Ok(Verification {
        method: "file".into(),
        export_id: entry.id.clone(),
        patient: entry.human_id.clone(),
        kind: entry.kind.as_str().to_owned(),
        issued_by: entry.created_by.clone(),
        issued_at: entry.created_at.clone(),
        key_id: None,
        logged: Some(entry),
    })
}

/// Removes a patient's export log entries (erasure and retention): the files are gone
/// from the vault's reach, and the entries would name the patient.
pub(crate) fn delete_for_patient(conn: &rusqlite::Connection, patient_id: &str) -> Result<u64> {
    log::delete_for_patient(conn, patient_id)
}
