//! Reading a backup back: decrypt, walk the tar, hash every member, authenticate every blob
//! with the vault's media key, check the manifest, follow references into earlier backups,
//! then check the snapshot (SQLite integrity, the vault id, the whole audit chain against
//! the recorded head, the row counts). `verify` does this without restoring; `restore` does
//! the same while writing the members into the new vault.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, sync_channel};

use rusqlite::Connection;
use serde::Serialize;
use uuid::Uuid;

use crate::crypto::{Subkey, VaultKeys};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::policy::{self, Action};
use crate::session::Actor;
use crate::store::blobs::BlobStore;
use crate::store::{database, header::Header};
use crate::vault::{self, Credentials};

use super::format::{self, AuditHead, Manifest, Marker, Member};
use super::snapshot;
use crate::archive::Decryption;
use crate::archive::Hashing;

/// Larger blob members than this are refused before being read into memory: photos are
/// capped far below it at import.
const MAX_BLOB: u64 = 1 << 30;

/// What [`verify`] found: a backup that passed every check.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "BackupVerifyReport"))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// The backup file.
    pub file: String,
    /// Its id.
    pub backup_id: String,
    /// The vault it was taken of.
    pub vault_id: String,
    /// When it was taken, RFC 3339.
    pub created_at: String,
    /// Who took it.
    pub created_by: String,
    /// `full` or `incremental`.
    pub kind: format::Kind,
    /// Members checked in this file (manifest excluded).
    pub members: u32,
    /// Blobs checked, in this file and in the earlier backups it refers to.
    pub blobs: u32,
    /// Earlier backup files it needed, by name.
    pub chain: Vec<String>,
    /// Rows per table in the snapshot.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, number>"))]
    pub row_counts: BTreeMap<String, u64>,
    /// The audit chain inside, verified to its recorded head.
    pub audit_head: AuditHead,
    /// Blobs the vault was already missing when it was backed up.
    pub missing_blobs: u32,
}

/// Where the blobs read from a backup go.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BlobSink<'a> {
    /// Only checked.
    Check,
    /// Checked and written into this vault directory's `media/`.
    Write(&'a Path),
}

/// A backup read and checked.
#[derive(Debug)]
pub(crate) struct Inspected {
    pub(crate) report: VerifyReport,
    pub(crate) manifest: Manifest,
    pub(crate) header: Header,
    pub(crate) keys: VaultKeys,
    pub(crate) slot_id: String,
    pub(crate) actor: Actor,
}

/// Checks everything in a backup (and the earlier backups it refers to) without restoring
/// it. `credentials` are an account's in the backed-up vault (or its recovery key): they
/// unwrap the key the snapshot and blobs are checked with. Any account may verify. When the
/// backup is of the vault at `live`, a wrong password counts against that vault's account
/// as a sign-in would (lock-out and audit).
pub fn verify(
    file: &Path,
    key: &Decryption,
    credentials: &Credentials<'_>,
    live: Option<&Path>,
) -> Result<VerifyReport> {
    let work = TempDir::new()?;
    let db_path = work.0.join(format::DATABASE);
    let opener = Opener { credentials, live };
    let inspected = inspect(file, key, &opener, &db_path, BlobSink::Check, &|_| Ok(()))?;
    authorize(&inspected.actor, Action::BackupList)?;
    Ok(inspected.report)
}

pub(crate) fn authorize(actor: &Actor, action: Action) -> Result<()> {
    if !actor.may_attempt(action) {
        return Err(Error::PasswordChangeRequired(actor.username.clone()));
    }
    if policy::allows(actor.principal, action) {
        Ok(())
    } else {
        Err(Error::Denied {
            role: actor.principal.to_string(),
            action: action.description().to_owned(),
        })
    }
}

/// A private temp directory, removed with everything in it when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new() -> Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("tessera-backup-{}", Uuid::now_v7().simple()));
        fsutil::create_private_dir(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Who opens a backup's key slot, and the live vault their attempt counts against.
pub(crate) struct Opener<'a> {
    pub(crate) credentials: &'a Credentials<'a>,
    pub(crate) live: Option<&'a Path>,
}

/// Reads and checks the backup `file`, writing its snapshot to `db_path` and its blobs to
/// `sink`.
pub(crate) fn inspect(
    file: &Path,
    key: &Decryption,
    opener: &Opener<'_>,
    db_path: &Path,
    sink: BlobSink<'_>,
    check_marker: &dyn Fn(&Marker) -> Result<()>,
) -> Result<Inspected> {
    let shown = file.display().to_string();
    let mut archive = tar::Archive::new(decrypt(file, key)?);
    let mut entries = archive
        .entries()
        .map_err(|e| read_error(&shown, "the start", e))?;
    let mut next = |expected: &str| -> Result<tar::Entry<'_, Plain>> {
        match entries.next() {
            Some(Ok(entry)) => Ok(entry),
            Some(Err(e)) => Err(read_error(&shown, expected, e)),
            None => Err(damaged(
                &shown,
                format!("it ends before {expected} (the backup is incomplete)"),
            )),
        }
    };

    let mut members: Vec<Member> = Vec::new();
    let head = read_head(&mut next, &shown, check_marker, opener, &mut members)?;
    let vault_id = head.header.vault_id;
    let blobs = BlobStore::new(PathBuf::new(), head.keys.subkey(&vault_id, Subkey::Media));
    let mut entry = next(format::DATABASE)?;
    expect_name(&entry, format::DATABASE, &shown)?;
    members.push(copy_to_file(&mut entry, format::DATABASE, db_path, &shown)?);

    // While this thread decrypts and hashes the members, one more checks the snapshot
    // (integrity, the whole audit chain) and another opens every blob with the vault's key
    // (and writes it, when restoring).
    let (rest, facts) = std::thread::scope(|scope| -> Result<_> {
        let examiner = scope.spawn(|| -> Result<snapshot::Facts> {
            let conn = open_snapshot(db_path, &head.keys, &vault_id)?;
            let audit_key = head.keys.subkey(&vault_id, Subkey::Audit);
            snapshot::facts(&conn, Some((&audit_key, &vault_id)))
        });
        let (tx, rx) = sync_channel::<PendingBlob>(4);
        let checker = scope.spawn(|| -> Result<()> {
            for pending in rx {
                check_blob(&blobs, sink, pending)?;
            }
            Ok(())
        });
        let rest = read_blobs_and_manifest(&mut next, file, key, &head, &tx, &mut members);
        drop(tx);
        // The checker's own error says more than the reader's "it stopped".
        checker
            .join()
            .map_err(|_| Error::Internal("the blob checker panicked"))??;
        let facts = examiner
            .join()
            .map_err(|_| Error::Internal("the snapshot check panicked"))?
            .map_err(|e| damaged_inside(&shown, e));
        Ok((rest?, facts?))
    })?;

    compare_facts(&facts, &rest.manifest, &rest.stored).map_err(|r| damaged(&shown, r))?;
    let conn =
        open_snapshot(db_path, &head.keys, &vault_id).map_err(|e| damaged_inside(&shown, e))?;
    let actor = vault::actor_for(&conn, opener.credentials, &head.slot_id)?;
    drop(conn);

    let manifest = rest.manifest;
    let report = VerifyReport {
        file: shown,
        backup_id: manifest.backup_id.to_string(),
        vault_id: vault_id.to_string(),
        created_at: manifest.created_at.clone(),
        created_by: manifest.created_by.clone(),
        kind: manifest.kind,
        members: members.len() as u32,
        blobs: rest.stored.len() as u32,
        chain: rest.chain,
        row_counts: manifest.row_counts.clone(),
        audit_head: manifest.audit_head.clone(),
        missing_blobs: manifest.missing_blobs.len() as u32,
    };
    Ok(Inspected {
        report,
        manifest,
        header: head.header,
        keys: head.keys,
        slot_id: head.slot_id,
        actor,
    })
}

fn damaged(file: &str, reason: String) -> Error {
    Error::BackupDamaged {
        file: file.to_owned(),
        reason,
    }
}

/// An error about what is inside the backup, said as damage to the backup file.
fn damaged_inside(file: &str, error: Error) -> Error {
    match error {
        Error::BackupDamaged { reason, .. } => damaged(file, reason),
        Error::CorruptDatabase(reason) | Error::VaultDamaged(reason) => {
            damaged(file, format!("its database snapshot: {reason}"))
        }
        Error::AuditChainBroken { seq, reason } => damaged(
            file,
            format!("the audit chain inside breaks at #{seq}: {reason}"),
        ),
        other => other,
    }
}

/// The first two members and what the user's credentials open with them.
struct Head {
    marker: Marker,
    header: Header,
    keys: VaultKeys,
    slot_id: String,
}

/// Reads the marker (checked by `check_marker`) and `header.json`, and opens the header's
/// key slot with `credentials`.
fn read_head<'a>(
    next: &mut impl FnMut(&str) -> Result<tar::Entry<'a, Plain>>,
    shown: &str,
    check_marker: &dyn Fn(&Marker) -> Result<()>,
    opener: &Opener<'_>,
    members: &mut Vec<Member>,
) -> Result<Head> {
    let (marker_bytes, member) = read_small(&mut next(format::MARKER)?, format::MARKER, shown)?;
    let marker = Marker::parse(&marker_bytes)?;
    check_marker(&marker)?;
    members.push(member);
    let mut entry = next(format::HEADER)?;
    expect_name(&entry, format::HEADER, shown)?;
    let (header_bytes, member) = read_small(&mut entry, format::HEADER, shown)?;
    members.push(member);
    let header = Header::parse(&header_bytes)?;
    if header.vault_id != marker.vault_id {
        let reason = "its header belongs to another vault than its marker";
        return Err(damaged(shown, reason.into()));
    }
    let (keys, slot_id) = vault::open_backup_slot(opener.live, &header, opener.credentials)?;
    Ok(Head {
        marker,
        keys,
        header,
        slot_id,
    })
}

/// What follows the snapshot: the blobs, the manifest, and the earlier backups it refers to.
struct Rest {
    stored: HashSet<Uuid>,
    manifest: Manifest,
    chain: Vec<String>,
}

/// Reads every blob member (handing each to the checker) up to the manifest, checks the
/// manifest against the members read, and follows its references to earlier backups.
fn read_blobs_and_manifest<'a>(
    next: &mut impl FnMut(&str) -> Result<tar::Entry<'a, Plain>>,
    file: &Path,
    key: &Decryption,
    head: &Head,
    checker: &SyncSender<PendingBlob>,
    members: &mut Vec<Member>,
) -> Result<Rest> {
    let shown = file.display().to_string();
    let mut stored = HashSet::new();
    let manifest_bytes = loop {
        let mut entry = next(format::MANIFEST)?;
        let name = member_name(&entry, &shown)?;
        if name == format::MANIFEST {
            break read_small(&mut entry, format::MANIFEST, &shown)?.0;
        }
        let id = format::parse_blob_member(&name)
            .ok_or_else(|| damaged(&shown, format!("it holds an unexpected member {name:?}")))?;
        let (member, sealed) = read_blob(&mut entry, &name, &shown)?;
        send(checker, id, &name, &shown, sealed)?;
        stored.insert(id);
        members.push(member);
    };
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| damaged(&shown, format!("its manifest cannot be read: {e}")))?;
    if manifest.backup_id != head.marker.backup_id || manifest.vault_id != head.header.vault_id {
        return Err(damaged(
            &shown,
            "its manifest belongs to another backup".into(),
        ));
    }
    compare_members(&manifest.members, members).map_err(|r| damaged(&shown, r))?;
    let chain = follow_references(file, key, &manifest, checker, &mut stored)?;
    Ok(Rest {
        stored,
        manifest,
        chain,
    })
}

type Plain = age::stream::StreamReader<BufReader<File>>;

/// How every binary age file begins (Tessera never writes the armored form).
const AGE_MAGIC: &[u8; 21] = b"age-encryption.org/v1";

/// Opens the age layer, telling a wrong key from a damaged or foreign file.
fn decrypt(file: &Path, key: &Decryption) -> Result<Plain> {
    let shown = file.display().to_string();
    let mut input = File::open(file).map_err(Error::io(format!("cannot open {shown}")))?;
    let mut magic = [0u8; AGE_MAGIC.len()];
    let is_age = input.read_exact(&mut magic).is_ok() && magic == *AGE_MAGIC;
    if !is_age {
        return Err(Error::BackupUnsupported(format!(
            "{shown} is not an age-encrypted Tessera backup"
        )));
    }
    input
        .seek(io::SeekFrom::Start(0))
        .map_err(Error::io(format!("cannot read {shown}")))?;
    let decryptor = age::Decryptor::new_buffered(BufReader::with_capacity(1 << 20, input))
        .map_err(|e| match e {
            age::DecryptError::UnknownFormat => {
                Error::BackupUnsupported(format!("{shown} is not an age-encrypted Tessera backup"))
            }
            age::DecryptError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Error::BackupDamaged {
                    file: shown.clone(),
                    reason: "it is cut off inside its encryption header".into(),
                }
            }
            _ => Error::BackupDamaged {
                file: shown.clone(),
                reason: "its encryption header is damaged".into(),
            },
        })?;
    let passphrase;
    let identities: Vec<&dyn age::Identity> = match key {
        Decryption::Passphrase(p) => {
            passphrase = age::scrypt::Identity::new(p.clone());
            vec![&passphrase]
        }
        Decryption::Identities(_) => key.identities(),
    };
    decryptor
        .decrypt(identities.into_iter())
        .map_err(|e| match e {
            age::DecryptError::InvalidMac | age::DecryptError::InvalidHeader => {
                Error::BackupDamaged {
                    file: shown.clone(),
                    reason: "its encryption header is damaged".into(),
                }
            }
            age::DecryptError::ExcessiveWork { .. } => Error::BackupUnsupported(format!(
                "{shown} asks for far more passphrase work than Tessera ever uses; refusing it"
            )),
            _ => Error::BackupWrongKey(shown.clone()),
        })
}

/// An error while reading `member`: age reports a flipped byte as invalid data and a
/// cut-off file as an early end.
fn read_error(file: &str, member: &str, e: io::Error) -> Error {
    let what = match e.kind() {
        io::ErrorKind::UnexpectedEof => "it is cut off".to_owned(),
        io::ErrorKind::InvalidData => "it is damaged (a chunk fails authentication)".to_owned(),
        // The tar reader's own refusals (a member header that is not tar, a tar that ends
        // inside a member although the age layer around it is whole) carry no OS error
        // code: the bytes are wrong, not the disk. Only what the disk says is an I/O error.
        _ if e.raw_os_error().is_none() => format!("its tar stream is malformed ({e})"),
        _ => {
            return Error::Io {
                context: format!("cannot read {file} (at {member})"),
                source: e,
            };
        }
    };
    Error::BackupDamaged {
        file: file.to_owned(),
        reason: format!("{what} in member {member}"),
    }
}

fn member_name<R: Read>(entry: &tar::Entry<'_, R>, file: &str) -> Result<String> {
    String::from_utf8(entry.path_bytes().into_owned()).map_err(|_| Error::BackupDamaged {
        file: file.to_owned(),
        reason: "a member's name is not UTF-8".into(),
    })
}

fn expect_name<R: Read>(entry: &tar::Entry<'_, R>, expected: &str, file: &str) -> Result<()> {
    let name = member_name(entry, file)?;
    if name == expected {
        Ok(())
    } else {
        Err(Error::BackupDamaged {
            file: file.to_owned(),
            reason: format!("found {name:?} where {expected} belongs"),
        })
    }
}

/// Reads a member whole (refusing one over `max` bytes), hashing it.
/// Refuses a member that is not a plain file: a link, a device, a directory, or a sparse
/// file (whose few stored bytes the reader would expand into as many as its header claims).
fn regular<R: Read>(entry: &tar::Entry<'_, R>, name: &str, file: &str) -> Result<()> {
    match entry.header().entry_type() {
        tar::EntryType::Regular => Ok(()),
        other => Err(Error::BackupDamaged {
            file: file.to_owned(),
            reason: format!(
                "{name} is not a regular file (tar type {:?})",
                other.as_byte() as char
            ),
        }),
    }
}

fn read_member<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    name: &str,
    file: &str,
    max: u64,
) -> Result<(Member, Vec<u8>)> {
    regular(entry, name, file)?;
    if entry.size() > max {
        return Err(Error::BackupDamaged {
            file: file.to_owned(),
            reason: format!("{name} is implausibly large"),
        });
    }
    let mut hashing = Hashing::new(entry);
    let mut bytes = Vec::new();
    hashing
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(file, name, e))?;
    let (_, size, sha256) = hashing.into_parts();
    let member = Member {
        name: name.to_owned(),
        size,
        sha256,
    };
    Ok((member, bytes))
}

/// Reads a small JSON member whole.
fn read_small<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    name: &str,
    file: &str,
) -> Result<(Vec<u8>, Member)> {
    read_member(entry, name, file, 16 << 20).map(|(member, bytes)| (bytes, member))
}

fn copy_to_file<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    name: &str,
    path: &Path,
    file: &str,
) -> Result<Member> {
    regular(entry, name, file)?;
    // The size its header declares is all the reader will take from it: refuse it now if
    // it cannot fit, rather than fill the disk first.
    let dir = path.parent().unwrap_or(Path::new("."));
    fsutil::check_space(dir, entry.size())?;
    let out = fsutil::create_private_file(path)?;
    let mut hashing = Hashing::new(std::io::BufWriter::with_capacity(1 << 20, out));
    let mut source = entry;
    copy(&mut source, &mut hashing, file, name, path)?;
    let (out, size, sha256) = hashing.into_parts();
    // Not synced here: a restore syncs the whole new vault once before the swap, and a
    // verify's copy is thrown away.
    out.into_inner()
        .map_err(|e| e.into_error())
        .map_err(Error::io(format!("cannot write {}", path.display())))?;
    Ok(Member {
        name: name.to_owned(),
        size,
        sha256,
    })
}

/// Copies a member, telling read failures (the backup) from write failures (the target).
fn copy(
    from: &mut impl Read,
    to: &mut impl Write,
    file: &str,
    member: &str,
    target: &Path,
) -> Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = from
            .read(&mut buf)
            .map_err(|e| read_error(file, member, e))?;
        if n == 0 {
            return Ok(());
        }
        to.write_all(&buf[..n])
            .map_err(Error::io(format!("cannot write {}", target.display())))?;
    }
}

/// Reads one blob member whole, hashing it.
fn read_blob<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    name: &str,
    file: &str,
) -> Result<(Member, Vec<u8>)> {
    read_member(entry, name, file, MAX_BLOB)
}

/// A blob read from a backup, on its way to the checker.
struct PendingBlob {
    id: Uuid,
    name: String,
    file: String,
    sealed: Vec<u8>,
}

fn send(
    tx: &SyncSender<PendingBlob>,
    id: Uuid,
    name: &str,
    file: &str,
    sealed: Vec<u8>,
) -> Result<()> {
    tx.send(PendingBlob {
        id,
        name: name.to_owned(),
        file: file.to_owned(),
        sealed,
    })
    .map_err(|_| Error::Internal("the blob checker stopped"))
}

/// Checks a blob opens under the vault's media key, and writes it when restoring.
fn check_blob(blobs: &BlobStore, sink: BlobSink<'_>, blob: PendingBlob) -> Result<()> {
    blobs
        .open_sealed(&blob.id, &blob.sealed)
        .map_err(|_| Error::BackupDamaged {
            file: blob.file.clone(),
            reason: format!(
                "{} does not open with this vault's key (damaged or not this vault's)",
                blob.name
            ),
        })?;
    if let BlobSink::Write(vault_dir) = sink {
        let path = vault_dir.join(&blob.name);
        let dir = path
            .parent()
            .ok_or(Error::Internal("a blob path has no parent"))?;
        fs::create_dir_all(dir).map_err(Error::io(format!("cannot create {}", dir.display())))?;
        // Not synced one by one: the restore syncs the whole new vault once before the swap.
        let mut out = fsutil::create_private_file(&path)?;
        out.write_all(&blob.sealed)
            .map_err(Error::io(format!("cannot write {}", path.display())))?;
        super::io::start_write_back(&out, 0, 0);
    }
    Ok(())
}

/// The first difference between the manifest's members and those read.
fn compare_members(listed: &[Member], read: &[Member]) -> std::result::Result<(), String> {
    for (i, member) in read.iter().enumerate() {
        match listed.get(i) {
            None => return Err(format!("member {} is not in its manifest", member.name)),
            Some(l) if l.name != member.name => {
                return Err(format!(
                    "member {} is where the manifest lists {}",
                    member.name, l.name
                ));
            }
            Some(l) if l.size != member.size || l.sha256 != member.sha256 => {
                return Err(format!(
                    "member {}: its SHA-256 does not match the manifest",
                    member.name
                ));
            }
            Some(_) => {}
        }
    }
    match listed.get(read.len()) {
        Some(l) => Err(format!(
            "member {} listed in the manifest is missing",
            l.name
        )),
        None => Ok(()),
    }
}

/// Reads the blobs an incremental backup refers to from the earlier files beside it.
fn follow_references(
    file: &Path,
    key: &Decryption,
    manifest: &Manifest,
    checker: &SyncSender<PendingBlob>,
    stored: &mut HashSet<Uuid>,
) -> Result<Vec<String>> {
    let mut by_file: BTreeMap<&str, Vec<&format::Reference>> = BTreeMap::new();
    for reference in &manifest.references {
        by_file
            .entry(reference.file.as_str())
            .or_default()
            .push(reference);
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    let shown = file.display().to_string();
    let mut chain = Vec::new();
    for (name, wanted) in by_file {
        if name.contains('/') || name.contains('\\') || name.starts_with('.') {
            return Err(Error::BackupDamaged {
                file: shown,
                reason: format!("it refers to an odd file name {name:?}"),
            });
        }
        let earlier = dir.join(name);
        if !earlier.exists() {
            return Err(Error::BackupDamaged {
                file: shown,
                reason: format!(
                    "it needs the earlier backup {name} for {} photo files, and that file is not beside it",
                    wanted.len()
                ),
            });
        }
        let earlier_shown = earlier.display().to_string();
        let mut archive = tar::Archive::new(decrypt(&earlier, key)?);
        let mut entries = archive
            .entries()
            .map_err(|e| read_error(&earlier_shown, "the start", e))?;
        let mut remaining: BTreeMap<&str, &format::Reference> =
            wanted.iter().map(|r| (r.name.as_str(), *r)).collect();
        let mut checked_marker = false;
        while !remaining.is_empty() {
            let mut entry = match entries.next() {
                Some(Ok(entry)) => entry,
                Some(Err(e)) => return Err(read_error(&earlier_shown, "a member", e)),
                None => break,
            };
            let member = member_name(&entry, &earlier_shown)?;
            if !checked_marker {
                let (bytes, _) = read_small(&mut entry, &member, &earlier_shown)?;
                let marker = Marker::parse(&bytes)?;
                let expected = wanted[0].backup_id;
                if marker.backup_id != expected || marker.vault_id != manifest.vault_id {
                    return Err(Error::BackupDamaged {
                        file: shown,
                        reason: format!("{name} is not the earlier backup it refers to"),
                    });
                }
                checked_marker = true;
                continue;
            }
            let Some(reference) = remaining.remove(member.as_str()) else {
                continue;
            };
            let id = format::parse_blob_member(&member)
                .ok_or(Error::Internal("a reference is not a blob"))?;
            let (read, sealed) = read_blob(&mut entry, &member, &earlier_shown)?;
            send(checker, id, &member, &earlier_shown, sealed)?;
            if read.size != reference.size || read.sha256 != reference.sha256 {
                return Err(Error::BackupDamaged {
                    file: earlier_shown,
                    reason: format!(
                        "member {member}: its SHA-256 does not match what {shown} expects"
                    ),
                });
            }
            stored.insert(id);
        }
        if let Some(missing) = remaining.keys().next() {
            return Err(Error::BackupDamaged {
                file: earlier_shown,
                reason: format!("it does not hold {missing}, which {shown} needs"),
            });
        }
        chain.push(name.to_owned());
    }
    Ok(chain)
}

/// Opens a snapshot read from a backup, refusing a database that is not this vault's.
fn open_snapshot(path: &Path, keys: &VaultKeys, vault_id: &Uuid) -> Result<Connection> {
    let conn = Connection::open(path)?;
    database::apply_data_key(&conn, keys, vault_id)?;
    // The integrity check walks every index against its table: with the default 2 MB page
    // cache it decrypts the same pages over and over.
    conn.execute_batch("PRAGMA cache_size = -262144")?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| Error::BackupDamaged {
        file: String::new(),
        reason: format!("its database snapshot cannot be opened: {e}"),
    })?;
    vault::check_vault_id(&conn, vault_id)?;
    Ok(conn)
}

/// The first difference between what the snapshot holds and what the manifest says.
fn compare_facts(
    facts: &snapshot::Facts,
    manifest: &Manifest,
    stored: &HashSet<Uuid>,
) -> std::result::Result<(), String> {
    if facts.audit_head != manifest.audit_head {
        return Err(format!(
            "its audit chain ends at #{} but the manifest records #{}",
            facts.audit_head.count, manifest.audit_head.count
        ));
    }
    if facts.row_counts != manifest.row_counts {
        return Err("its row counts differ from the manifest".into());
    }
    let missing: HashSet<Uuid> = manifest.missing_blobs.iter().copied().collect();
    if let Some(id) = facts
        .blob_ids
        .iter()
        .find(|id| !stored.contains(id) && !missing.contains(id))
    {
        return Err(format!(
            "the photo file {id} is neither in it nor in its chain"
        ));
    }
    Ok(())
}
