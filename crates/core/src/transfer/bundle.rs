//! What a transfer bundle holds, and how it is written and read.
//!
//! ```text
//! age to the receiving vault's X25519 key ( tar(
//!   bundle.sig        the sender's signed word that this is its bundle number N for
//!                     this receiver (`TS1:`; see [`HeaderClaims`]): checked against the
//!                     paired sender's key before anything else is read, so nobody but a
//!                     paired vault can make this one parse a large member
//!   records.json      the records, patient by patient (see [`Contents`]), each with
//!                     the sender's audit entries that name them
//!   photos/<id>       each new photo's stripped original and thumbnail, as the sender
//!                     holds them (decrypted from its store; age encrypts them here)
//!   manifest.json     sender, receiver, bundle number, the range of the sender's audit log
//!                     it covers, counts, and the size and SHA-256 of every member above
//!   manifest.sig      the sender's signature over the manifest's SHA-256 (`TS1:` COSE)
//! ))
//! ```
//!
//! The manifest comes last so that the sender can write in one pass; the receiver hashes
//! each member as it reads and compares at the end, and applies nothing before then. The
//! file may be cut into parts (`….tbundle.001`, `.002`, …) for small sticks: age's stream
//! is authenticated chunk by chunk and at its end, so a missing, reordered or cut part is
//! refused like a flipped byte.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::rows::Row;
use crate::archive::{self, Hashing, PARTIAL_PREFIX};
use crate::audit_chain::AuditRecord;
use crate::error::{Error, Result, TransferRefusal};
use crate::signing::{self, PublicKey, Signer25519};

/// The manifest's `format`.
pub const FORMAT: &str = "tessera-transfer";
/// The bundle layout this build writes and reads.
pub const VERSION: u32 = 1;
/// A bundle file's extension.
pub const EXTENSION: &str = "tbundle";

pub(crate) const HEADER: &str = "bundle.sig";
pub(crate) const RECORDS: &str = "records.json";
pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const SIGNATURE: &str = "manifest.sig";
const PHOTOS_DIR: &str = "photos/";

/// Largest records member read (about 2 million visits).
const MAX_RECORDS: u64 = 2 << 30;
/// Largest photo member read.
const MAX_PHOTO: u64 = 512 << 20;
/// Largest header read (a token).
const MAX_HEADER: u64 = signing::MAX_TOKEN_CHARS as u64;
/// Largest manifest or signature read.
const MAX_MANIFEST: u64 = 64 << 20;

/// A row whose state can change on both sides, with every state the sender knows it has
/// passed through (its own included), by hex SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Head {
    pub(crate) row: Row,
    pub(crate) history: Vec<String>,
}

/// One patient's records in a bundle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PatientRecords {
    pub(crate) patient: Option<Head>,
    pub(crate) photos: Vec<Head>,
    pub(crate) encounters: Vec<Head>,
    pub(crate) encounter_revisions: Vec<Row>,
    pub(crate) narratives: Vec<Row>,
    pub(crate) narrative_revisions: Vec<Row>,
    pub(crate) consents: Vec<Row>,
    /// The sender's audit entries in the bundle's range about this patient's records.
    pub(crate) audit: Vec<AuditRecord>,
}

/// `records.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Contents {
    pub(crate) patients: Vec<PatientRecords>,
}

/// How many records of each kind a bundle holds.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Patients.
    pub patients: u64,
    /// Visits, with their earlier versions.
    pub encounters: u64,
    /// Narratives, with every revision.
    pub narratives: u64,
    /// Consent decisions.
    pub consents: u64,
    /// Photos' records.
    pub photos: u64,
    /// Image files carried (originals and thumbnails of new photos).
    pub images: u64,
    /// The sender's audit entries carried.
    pub audit_entries: u64,
}

/// One member of the archive, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Member {
    pub(crate) name: String,
    pub(crate) bytes: u64,
    pub(crate) sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) format: String,
    pub(crate) version: u32,
    /// The sender's schema: rows travel column by column, so both must agree.
    pub(crate) schema_version: u32,
    pub(crate) bundle_id: Uuid,
    pub(crate) from_vault: Uuid,
    pub(crate) to_vault: Uuid,
    /// 1 for the first bundle from this sender to this receiver, then 2, 3, …
    pub(crate) bundle: u64,
    /// The sender's audit log from after `from_seq` up to `to_seq` is covered.
    pub(crate) from_seq: u64,
    pub(crate) to_seq: u64,
    pub(crate) created_at: String,
    pub(crate) created_by: String,
    pub(crate) counts: Counts,
    pub(crate) members: Vec<Member>,
}

const HEADER_BUNDLE_ID: i64 = -65_621;
const HEADER_FROM: i64 = -65_622;
const HEADER_TO: i64 = -65_623;
const HEADER_NUMBER: i64 = -65_624;

/// What the first member says: which bundle this is, from whom, for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderClaims {
    pub(crate) bundle_id: Uuid,
    pub(crate) from_vault: Uuid,
    pub(crate) to_vault: Uuid,
    pub(crate) bundle: u64,
}

impl HeaderClaims {
    pub(crate) fn sign(&self, signer: &Signer25519) -> String {
        use ciborium::Value;
        signer.sign(signing::encode_claims(vec![
            (
                HEADER_BUNDLE_ID,
                Value::Bytes(self.bundle_id.as_bytes().to_vec()),
            ),
            (
                HEADER_FROM,
                Value::Bytes(self.from_vault.as_bytes().to_vec()),
            ),
            (HEADER_TO, Value::Bytes(self.to_vault.as_bytes().to_vec())),
            (HEADER_NUMBER, self.bundle.into()),
        ]))
    }

    /// The claims of a header whose signature is not checked yet: to find its sender.
    pub(crate) fn peek(token: &str) -> Result<HeaderClaims> {
        let payload = signing::unverified_payload(token)
            .map_err(|p| Error::BundleDamaged(format!("its header is not a signed token: {p}")))?;
        HeaderClaims::from_cbor(&payload)
    }

    /// The claims of a header signed by `key`.
    pub(crate) fn open(token: &str, key: &PublicKey) -> std::result::Result<HeaderClaims, String> {
        let payload = signing::open(token, key).map_err(|p| p.to_string())?;
        HeaderClaims::from_cbor(&payload).map_err(|e| e.to_string())
    }

    fn from_cbor(bytes: &[u8]) -> Result<HeaderClaims> {
        use ciborium::Value;
        let bad = |why: &str| Error::BundleDamaged(format!("its header {why}"));
        let mut claims = signing::decode_claims(
            bytes,
            &[HEADER_BUNDLE_ID, HEADER_FROM, HEADER_TO, HEADER_NUMBER],
        )
        .map_err(|why| bad(&why))?;
        let mut id = |key| match claims.remove(&key) {
            Some(Value::Bytes(b)) => Uuid::from_slice(&b).map_err(|_| bad("has a damaged id")),
            _ => Err(bad("lacks an id")),
        };
        let (bundle_id, from_vault, to_vault) =
            (id(HEADER_BUNDLE_ID)?, id(HEADER_FROM)?, id(HEADER_TO)?);
        let bundle = claims
            .remove(&HEADER_NUMBER)
            .and_then(|v| v.as_integer())
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| bad("lacks the bundle number"))?;
        Ok(HeaderClaims {
            bundle_id,
            from_vault,
            to_vault,
            bundle,
        })
    }
}

/// The name of a photo blob's member.
pub(crate) fn photo_member(blob: &Uuid) -> String {
    format!("{PHOTOS_DIR}{blob}")
}

/// Appends one member to the tar stream, returning its manifest line.
pub(crate) fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    bytes: &[u8],
    mtime: u64,
) -> io::Result<Member> {
    let mut header = archive::file_header(bytes.len() as u64, mtime);
    tar.append_data(&mut header, name, bytes)?;
    Ok(Member {
        name: name.to_owned(),
        bytes: bytes.len() as u64,
        sha256: data_encoding::HEXLOWER.encode(&crate::crypto::sha256(&[bytes])),
    })
}

/// The bundle's file (or parts) being written in `dir`: each part under a partial name
/// until the whole bundle is written and synced, then renamed into place, so no partial
/// bundle can be mistaken for a whole one. Dropped unfinished, its parts are removed.
pub(crate) struct SplitWriter {
    dir: PathBuf,
    name: String,
    part_bytes: u64,
    parts: Vec<PathBuf>,
    current: Option<BufWriter<File>>,
    in_current: u64,
    finished: bool,
}

impl SplitWriter {
    /// A bundle named `name` in `dir`, cut every `part_bytes` (never, when `None`).
    pub(crate) fn new(dir: &Path, name: String, part_bytes: Option<u64>) -> Result<SplitWriter> {
        if !dir.is_dir() {
            return Err(Error::invalid(
                "folder",
                format!(
                    "{} is not a folder (is the stick plugged in?)",
                    dir.display()
                ),
            ));
        }
        let part_bytes = part_bytes.unwrap_or(u64::MAX);
        if part_bytes < 1_000_000 {
            return Err(Error::invalid("split", "parts must be at least 1 MB"));
        }
        archive::sweep_partial_files(dir);
        Ok(SplitWriter {
            dir: dir.to_path_buf(),
            name,
            part_bytes,
            parts: Vec::new(),
            current: None,
            in_current: 0,
            finished: false,
        })
    }

    fn next_part(&mut self) -> io::Result<()> {
        self.close_part()?;
        let path = self
            .dir
            .join(format!("{PARTIAL_PREFIX}{}", Uuid::now_v7().simple()));
        let file = crate::fsutil::create_private_file(&path).map_err(io::Error::other)?;
        self.parts.push(path);
        self.current = Some(BufWriter::with_capacity(1 << 20, file));
        self.in_current = 0;
        Ok(())
    }

    fn close_part(&mut self) -> io::Result<()> {
        if let Some(part) = self.current.take() {
            part.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        Ok(())
    }

    /// Syncs the parts and renames them into place; returns their final paths.
    pub(crate) fn finish(mut self) -> Result<Vec<PathBuf>> {
        let shown = self.dir.display().to_string();
        let failed = |e| Error::io(format!("cannot write the bundle in {shown}"))(e);
        if self.parts.is_empty() {
            self.next_part().map_err(failed)?;
        }
        self.close_part().map_err(failed)?;
        let count = self.parts.len();
        let finals: Vec<PathBuf> = (1..=count)
            .map(|n| match count {
                1 => self.dir.join(&self.name),
                _ => self.dir.join(format!("{}.{n:03}", self.name)),
            })
            .collect();
        if let Some(taken) = finals.iter().find(|p| p.exists()) {
            return Err(Error::Conflict(format!(
                "{} already exists; nothing was replaced",
                taken.display()
            )));
        }
        for (from, to) in self.parts.iter().zip(&finals) {
            std::fs::rename(from, to).map_err(Error::io(format!(
                "cannot move the bundle to {}",
                to.display()
            )))?;
        }
        crate::fsutil::sync_dir(&self.dir)?;
        self.finished = true;
        Ok(finals)
    }
}

impl Write for SplitWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.current.is_none() || self.in_current >= self.part_bytes {
            self.next_part()?;
        }
        let room = (self.part_bytes - self.in_current).min(buf.len() as u64) as usize;
        let n = match self.current.as_mut() {
            Some(part) => part.write(&buf[..room])?,
            None => return Err(io::Error::other("no part open")),
        };
        self.in_current += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.current.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for SplitWriter {
    fn drop(&mut self) {
        if !self.finished {
            self.current = None;
            for part in &self.parts {
                let _ = std::fs::remove_file(part);
            }
        }
    }
}

/// A bundle file's name without a part's `.001`-style suffix, and whether it had one.
fn whole_name(path: &Path) -> (String, bool) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.rsplit_once('.') {
        Some((base, n)) if n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()) => {
            (base.to_owned(), true)
        }
        _ => (name, false),
    }
}

/// Where the receipt for the bundle `path` (its file or any part) is written by default:
/// `X.tbundle.receipt` beside it, on the stick that goes back.
pub fn receipt_path(path: &Path) -> PathBuf {
    path.with_file_name(format!("{}.receipt", whole_name(path).0))
}

/// Every file of the bundle `path` is (or is a part of), in order: `X.tbundle` alone, or
/// `X.tbundle.001`, `.002`, … as long as they follow on.
pub(crate) fn parts_of(path: &Path) -> Result<Vec<PathBuf>> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let (base, is_part) = whole_name(path);
    if !is_part {
        if !path.is_file() {
            return Err(Error::NotFound {
                what: "bundle file",
                id: path.display().to_string(),
            });
        }
        return Ok(vec![path.to_path_buf()]);
    }
    let parts: Vec<PathBuf> = (1..1000)
        .map(|n| dir.join(format!("{base}.{n:03}")))
        .take_while(|p| p.is_file())
        .collect();
    if parts.is_empty() {
        return Err(Error::BundleDamaged(format!(
            "its first part {base}.001 is missing: copy every part into one folder"
        )));
    }
    Ok(parts)
}

/// What reading a bundle gave: its manifest and signature (not yet checked against the
/// sender's key: the caller knows it), its records, and the SHA-256 of its bytes.
pub(crate) struct Read_ {
    pub(crate) manifest: Manifest,
    pub(crate) signature: String,
    pub(crate) manifest_sha256: [u8; 32],
    pub(crate) contents: Contents,
    pub(crate) sha256: String,
}

/// Decrypts and reads the bundle in `parts` with `identity`, passing each photo blob to
/// `photo` as it comes; every member is checked against the manifest before this returns.
pub(crate) fn read(
    parts: &[PathBuf],
    identity: &age::x25519::Identity,
    check_header: impl FnOnce(&str) -> Result<HeaderClaims>,
    mut photo: impl FnMut(Uuid, Vec<u8>) -> Result<()>,
) -> Result<Read_> {
    let mut input: Box<dyn Read> = Box::new(io::empty());
    for part in parts.iter().rev() {
        let file =
            File::open(part).map_err(Error::io(format!("cannot read {}", part.display())))?;
        input = Box::new(io::BufReader::with_capacity(1 << 20, file).chain(input));
    }
    let mut hashing = Hashing::new(input);
    let damaged = |why: String| Error::BundleDamaged(why);
    let decryptor = age::Decryptor::new(&mut hashing).map_err(|_| {
        damaged("it is not a Tessera bundle (no age header), or its first part is damaged".into())
    })?;
    let plain = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => {
                Error::BundleRefused(TransferRefusal::ForAnotherVault(None))
            }
            _ => damaged("its encryption header is damaged".into()),
        })?;
    let mut tar = tar::Archive::new(plain);
    let mut seen: Vec<Member> = Vec::new();
    let mut check_header = Some(check_header);
    let mut header = None;
    let mut contents = None;
    let mut manifest_bytes = None;
    let mut signature = None;
    let entries = tar
        .entries()
        .map_err(|e| damaged(format!("cannot read its members: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| damaged(format!("a member is cut or damaged ({e})")))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(damaged("it holds something other than files".into()));
        }
        let name = entry
            .path()
            .map_err(|_| damaged("a member has an unreadable name".into()))?
            .to_string_lossy()
            .into_owned();
        if header.is_none() != (name == HEADER) {
            return Err(damaged(match header {
                None => "it does not begin with its signed header".into(),
                Some(_) => format!("{name} appears twice"),
            }));
        }
        let limit = match name.as_str() {
            HEADER => MAX_HEADER,
            RECORDS => MAX_RECORDS,
            MANIFEST | SIGNATURE => MAX_MANIFEST,
            _ if name.starts_with(PHOTOS_DIR) => MAX_PHOTO,
            _ => return Err(damaged(format!("it holds an unexpected member {name:?}"))),
        };
        if manifest_bytes.is_some() && name != SIGNATURE || signature.is_some() {
            return Err(damaged(format!("{name} comes after the manifest")));
        }
        if entry.size() > limit {
            return Err(damaged(format!(
                "{name} is larger than any bundle member may be"
            )));
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| damaged(format!("{name} is cut or damaged ({e})")))?;
        match name.as_str() {
            HEADER => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| damaged("its header is not text".into()))?;
                let check = check_header
                    .take()
                    .ok_or_else(|| damaged("its header appears twice".into()))?;
                header = Some(check(&text)?);
            }
            MANIFEST => manifest_bytes = Some(bytes),
            SIGNATURE => {
                signature = Some(
                    String::from_utf8(bytes)
                        .map_err(|_| damaged("its signature is not text".into()))?,
                )
            }
            _ => {
                let member = Member {
                    name: name.clone(),
                    bytes: bytes.len() as u64,
                    sha256: data_encoding::HEXLOWER.encode(&crate::crypto::sha256(&[&bytes])),
                };
                if seen.iter().any(|m| m.name == name) {
                    return Err(damaged(format!("{name} appears twice")));
                }
                seen.push(member);
                if name == RECORDS {
                    contents = Some(
                        serde_json::from_slice::<Contents>(&bytes)
                            .map_err(|e| damaged(format!("its records cannot be read ({e})")))?,
                    );
                } else {
                    let id = name[PHOTOS_DIR.len()..]
                        .parse::<Uuid>()
                        .map_err(|_| damaged(format!("{name} is not named by a photo id")))?;
                    photo(id, bytes)?;
                }
            }
        }
    }
    // Reading to the end makes age check its final tag: a cut-off last part fails here.
    let mut rest = tar.into_inner();
    io::copy(&mut rest, &mut io::sink())
        .map_err(|_| damaged("its end is missing or damaged (is a part missing?)".into()))?;
    drop(rest);
    let (_, _, sha256) = hashing.into_parts();
    let manifest_bytes = manifest_bytes.ok_or_else(|| damaged("it has no manifest".into()))?;
    let signature = signature.ok_or_else(|| damaged("it is not signed".into()))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| damaged(format!("its manifest cannot be read ({e})")))?;
    if manifest.format != FORMAT {
        return Err(damaged("it is not a Tessera transfer bundle".into()));
    }
    if manifest.version > VERSION {
        return Err(Error::BundleRefused(TransferRefusal::NewerLayout(
            manifest.version,
        )));
    }
    let header = header.ok_or_else(|| damaged("it has no header".into()))?;
    if (
        header.bundle_id,
        header.from_vault,
        header.to_vault,
        header.bundle,
    ) != (
        manifest.bundle_id,
        manifest.from_vault,
        manifest.to_vault,
        manifest.bundle,
    ) {
        return Err(damaged("its header and its manifest disagree".into()));
    }
    if manifest.members != seen {
        let first = manifest
            .members
            .iter()
            .zip(&seen)
            .find(|(a, b)| a != b)
            .map_or_else(
                || "a member is missing or extra".to_owned(),
                |(a, _)| format!("{} does not match its manifest", a.name),
            );
        return Err(damaged(first));
    }
    Ok(Read_ {
        manifest_sha256: crate::crypto::sha256(&[&manifest_bytes]),
        manifest,
        signature,
        contents: contents.ok_or_else(|| damaged("it has no records".into()))?,
        sha256,
    })
}
