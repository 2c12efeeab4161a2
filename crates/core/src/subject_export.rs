//! Subject access export: everything the vault holds on one patient, in one archive.
//!
//! A plain tar file (readable by any tar tool, no lock-in), optionally inside an `age` file
//! (a passphrase or public keys, as backups are; `age -d` opens it), with:
//! - `README.txt`: what the archive is and what each member holds;
//! - `record.json`: the profile, every visit, every narrative with all its revisions, every
//!   consent decision, each photo's record, and the patient's audit trail (who read or
//!   changed what, when);
//! - `photos/<id>.<jpg|png|webp>`: each photo as stored (metadata stripped at import).
//!
//! The archive is written under a temporary name beside the target, synced, and renamed
//! into place only when complete, so a failure leaves no partial file that could pass for an
//! export. The export is audited as `patient.subject_export` with the archive's SHA-256.
//! Admins only: the archive holds private photos and the names of the staff in the trail.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::archive::{self, Encryption, Hashing};
use crate::audit_chain::{self, Change};
use crate::clock;
use crate::error::{Error, Result};
use crate::media::{self, blob_id};
use crate::policy::Action;
use crate::session::Session;
use crate::{access, consents, encounters, fsutil, narratives, patients};

/// Version of `record.json`'s layout.
pub const FORMAT_VERSION: u32 = 1;

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
    if let Some(encryption) = encryption {
        encryption.check()?;
    }
    if out.exists() {
        return Err(Error::Conflict(format!(
            "{} already exists; choose a new file name",
            out.display()
        )));
    }
    let vault_id = session.vault_id();
    let exported_by = session.actor().username.clone();
    let (patient_id, record, photos) = session.read(Action::PatientSubjectExport, |s| {
        let found = patients::resolve(&s.conn, patient)?;
        let conn = &s.conn;
        let profile = patients::load(conn, found.rowid)?;
        let mut stories = Vec::new();
        for n in narratives::for_patient(conn, &found.id)? {
            let revisions = narratives::revisions(conn, &n.id)?;
            let mut value = json!(n);
            value["revisions"] = json!(revisions);
            stories.push(value);
        }
        let photos = media::all_for_patient(conn, &found.id)?;
        let photo_values: Vec<_> = photos
            .iter()
            .map(|p| {
                let mut value = json!(p);
                value["file"] = json!(member_name(&p.id, &p.format));
                value
            })
            .collect();
        let trail = audit_chain::trail(conn, &found.id)?;
        let record = json!({
            "format": "tessera-subject-export",
            "format_version": FORMAT_VERSION,
            "exported_at": clock::to_rfc3339(clock::now_ms()),
            "exported_by": exported_by,
            "vault_id": vault_id,
            "patient": profile,
            "encounters": encounters::all(conn, &found.id)?,
            "narratives": stories,
            "consents": consents::for_patient(conn, &found.id)?,
            "access_grants": access::for_patient(conn, &found.id, clock::now_ms())?,
            "photos": photo_values,
            "audit_trail": trail,
        });
        let photos: Vec<(String, String)> = photos.into_iter().map(|p| (p.id, p.format)).collect();
        Ok((found.id, record, photos))
    })?;
    let audit_entries = record["audit_trail"].as_array().map_or(0, Vec::len) as u64;

    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = out
        .file_name()
        .ok_or_else(|| Error::invalid("out", "must name a file"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        Uuid::now_v7().simple()
    ));
    let result = (|| {
        let (sha256, bytes) = write_archive(session, &tmp, &record, &photos, encryption)?;
        session.write(Action::PatientSubjectExport, |w| {
            w.record(Change::new("patient", Some(&patient_id)).after(json!({
                "format": if encryption.is_some() { "tar.age" } else { "tar" },
                "sha256": sha256,
                "bytes": bytes,
                "photos": photos.len(),
                "audit_entries": audit_entries,
            })))
        })?;
        std::fs::rename(&tmp, out).map_err(Error::io(format!(
            "cannot move the export to {}",
            out.display()
        )))?;
        fsutil::sync_dir(dir)?;
        Ok(SubjectExport {
            path: out.to_path_buf(),
            sha256,
            bytes,
            patient_id: patient_id.clone(),
            photos: photos.len() as u64,
            audit_entries,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn member_name(photo_id: &str, format: &str) -> String {
    let ext = if format == "jpeg" { "jpg" } else { format };
    format!("photos/{photo_id}.{ext}")
}

const README: &str = "\
This archive holds everything a Tessera vault held on one person when it was written
(a subject access export).

record.json  The complete record, as JSON:
             patient      the profile (names, birth date, contacts, medical details)
             encounters   every visit, with reasons, notes, diagnoses, treatments, vitals
             narratives   every narrative, each with all its earlier revisions
             consents     every consent decision, granted and withdrawn
             access_grants every access code and QR card given, its sections, expiry and uses
             photos       each photo's record; \"file\" names its image in this archive
             audit_trail  every recorded read or change of this record: who, what, when
photos/      each photo as stored, with its camera and location metadata removed

Times are UTC, in RFC 3339. The archive's SHA-256 is recorded in the vault's audit log.
";

/// Writes the archive (encrypted if asked) and returns the file's SHA-256 (hex) and size,
/// hashed as it is written.
fn write_archive(
    session: &Session,
    path: &Path,
    record: &serde_json::Value,
    photos: &[(String, String)],
    encryption: Option<&Encryption>,
) -> Result<(String, u64)> {
    let failed = || Error::io(format!("cannot write {}", path.display()));
    let file = Hashing::new(BufWriter::new(fsutil::create_private_file(path)?));
    let file = match encryption {
        None => write_tar(session, file, path, record, photos)?,
        Some(encryption) => {
            let age = encryption
                .encryptor()?
                .wrap_output(file)
                .map_err(failed())?;
            write_tar(session, age, path, record, photos)?
                .finish()
                .map_err(failed())?
        }
    };
    let (file, bytes, sha256) = file.into_parts();
    let file = file.into_inner().map_err(|e| failed()(e.into_error()))?;
    file.sync_all().map_err(failed())?;
    Ok((sha256, bytes))
}

/// The archive's members, written through `out`, which is handed back.
fn write_tar<W: Write>(
    session: &Session,
    out: W,
    path: &Path,
    record: &serde_json::Value,
    photos: &[(String, String)],
) -> Result<W> {
    let io = |what: &str| Error::io(format!("cannot write {what} to {}", path.display()));
    let mut tar = tar::Builder::new(out);
    let mtime = (clock::now_ms() / 1000).max(0) as u64;
    let append = |tar: &mut tar::Builder<W>, name: &str, data: &[u8]| {
        let mut header = archive::file_header(data.len() as u64, mtime);
        tar.append_data(&mut header, name, data).map_err(io(name))
    };
    append(&mut tar, "README.txt", README.as_bytes())?;
    let json = serde_json::to_vec_pretty(record)
        .map_err(|_| Error::Internal("cannot serialise the record"))?;
    append(&mut tar, "record.json", &json)?;
    for (id, format) in photos {
        let bytes = session.media.blobs.get(&blob_id(id)?)?;
        append(&mut tar, &member_name(id, format), &bytes)?;
    }
    tar.into_inner().map_err(io("the archive's end"))
}
