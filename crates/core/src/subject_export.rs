//! Subject access export: everything the vault holds on one patient, in one archive.
//!
//! A plain tar file (readable by any tar tool, no lock-in), optionally inside an `age` file
//! (a passphrase or public keys, as backups are; `age -d` opens it), with:
//! - `README.txt`: what the archive is and what each member holds;
//! - `record.json`: the profile, every visit, every narrative with all its revisions, every
//!   consent decision, each photo's record, and the patient's audit trail (who read or
//!   changed what, when);
//! - `photos/<id>.<jpg|png|webp|heic>`: each photo as stored (metadata stripped at import).
//!
//! The archive is written under a temporary name beside the target, synced, and renamed
//! into place only when complete, so a failure leaves no partial file that could pass for an
//! export. The export is audited as `patient.subject_export` with the archive's SHA-256.
//! Admins only: the archive holds private photos and the names of the staff in the trail.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;

use crate::archive::{self, Encryption};
use crate::audit_chain::Change;
use crate::clock;
use crate::error::{Error, Result};
use crate::export::record::{self, ExportKind, Exporter, Record};
use crate::media::blob_id;
use crate::outside;
use crate::patients;
use crate::policy::{Action, Role};
use crate::session::Session;
use crate::store::blobs::BlobStore;

/// What [`subject_export`] wrote.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubjectExport {
    /// The archive.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub path: PathBuf,
    /// Hex SHA-256 of the archive, as recorded in the audit log.
    pub sha256: String,
    /// Size of the archive in bytes.
    pub bytes: u64,
    /// The patient's id.
    pub patient_id: String,
    /// Photos included.
    pub photos: u64,
    /// Audit entries included.
    pub audit_entries: u64,
}

/// Writes everything held on `patient` (id or human id) to a tar archive at `out`, which
/// must not exist yet; with `encryption`, the archive is an `age` file around the tar (the
/// standard `age` tool opens it), so the record does not lie in the clear on a drive on its
/// way to the patient. Admins only.
pub fn subject_export(
    session: &mut Session,
    patient: &str,
    out: &Path,
    encryption: Option<&Encryption>,
) -> Result<SubjectExport> {
    let vault_id = session.vault_id().to_string();
    let actor = session.actor().clone();
    let (patient_id, record) = session.read(Action::PatientSubjectExport, |s| {
        let found = patients::resolve(&s.conn, patient)?;
        let collected = record::collect(
            &s.conn,
            &found,
            record::Request {
                kind: ExportKind::SubjectAccess,
                range: Default::default(),
                referral: None,
                exporter: Exporter {
                    username: actor.username.clone(),
                    role: Role::Admin,
                    credentials: None,
                },
                vault_id,
                actor: &actor,
            },
        )?;
        Ok((found.id, collected.record))
    })?;
    let photos = record.photos.as_deref().unwrap_or_default();
    let audit_entries = record.audit_trail.as_ref().map_or(0, Vec::len) as u64;
    let media = session.media.clone();
    let written = outside::write_new_file(
        session,
        out,
        encryption,
        |out| write_tar(&media.blobs, out, &record),
        |session, written| {
            session.write(Action::PatientSubjectExport, |w| {
                w.record(Change::new("patient", Some(&patient_id)).after(json!({
                    "format": if encryption.is_some() { "tar.age" } else { "tar" },
                    "sha256": written.sha256,
                    "bytes": written.bytes,
                    "photos": photos.len(),
                    "audit_entries": audit_entries,
                })))
            })
        },
    )?;
    Ok(SubjectExport {
        path: out.to_path_buf(),
        sha256: written.sha256,
        bytes: written.bytes,
        patient_id,
        photos: photos.len() as u64,
        audit_entries,
    })
}

const README: &str = "\
This archive holds everything a Tessera vault held on one person when it was written
(a subject access export).

record.json  The complete record, as JSON (the layout every Tessera JSON export uses,
             format tessera-record):
             patient      who the record is about (names, birth date, ids)
             emergency    alerts, blood type, organ donation, emergency contacts
             profile      sex, contacts, language, status, insurance
             medications  allergies, medications, chronic conditions
             encounters   every visit, with reasons, notes, diagnoses, treatments, vitals
             narratives   every narrative, each with all its earlier revisions
             consents     every consent decision, granted and withdrawn
             access_grants every access code and QR card given, its sections, expiry and uses
             photos       each photo's record; \"file\" names its image in this archive
             audit_trail  every recorded read or change of this record: who, what, when
photos/      each photo as stored, with its camera and location metadata removed

Times are UTC, in RFC 3339. The archive's SHA-256 is recorded in the vault's audit log.
";

/// The archive's members, written through `out`.
fn write_tar(blobs: &BlobStore, out: &mut dyn Write, record: &Record) -> Result<()> {
    let io = |what: &str| Error::io(format!("cannot write {what} to the archive"));
    let mut tar = tar::Builder::new(out);
    let mtime = (clock::now_ms() / 1000).max(0) as u64;
    let append = |tar: &mut tar::Builder<&mut dyn Write>, name: &str, data: &[u8]| {
        let mut header = archive::file_header(data.len() as u64, mtime);
        tar.append_data(&mut header, name, data).map_err(io(name))
    };
    append(&mut tar, "README.txt", README.as_bytes())?;
    let json = serde_json::to_vec_pretty(record)
        .map_err(|_| Error::Internal("cannot serialise the record"))?;
    append(&mut tar, "record.json", &json)?;
    for entry in record.photos.as_deref().unwrap_or_default() {
        let bytes = blobs.get(&blob_id(&entry.photo.id)?)?;
        append(&mut tar, &record::subject_member_name(&entry.photo), &bytes)?;
    }
    tar.finish().map_err(io("the archive's end"))
}
