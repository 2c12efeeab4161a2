//! Writing a backup: snapshot → plan (which blobs this file holds, which earlier backups in
//! the destination already hold) → space check → tar members hashed as they stream →
//! encrypted by a second thread → synced → read back from the disk and compared → renamed
//! to its final name. Until the rename the file is a hidden `.partial` whose age stream is
//! unfinished, so a crash or a full disk never leaves anything that passes for a backup.

use std::collections::{BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, sync_channel};
use std::time::Duration;

use serde::Serialize;

pub use crate::progress::Progress;
use uuid::Uuid;

use crate::clock;
use crate::error::{Error, Result};
use crate::fsutil;
use crate::policy::Action;
use crate::session::Session;
use crate::store::database::SCHEMA_VERSION;

use super::format::{self, Kind, Manifest, Marker, Member, Reference};
use super::history::{self, BackupRecord, StoredBlob};
use super::io::{CHUNK, ChannelWriter, CheckedFile, read_back};
use super::snapshot::{self, Snapshot};
use crate::archive::Encryption;
use crate::archive::Hashing;

/// Partial files older than this are a killed backup's and are removed by the next one.
const STALE_PARTIAL: Duration = Duration::from_secs(3600);
const PARTIAL_SUFFIX: &str = ".partial";

/// Why a backup runs.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Someone asked for it.
    Manual,
    /// The app's schedule.
    Scheduled,
}

impl Trigger {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Scheduled => "scheduled",
        }
    }
}

/// What [`create`] needs.
#[derive(Debug)]
pub struct CreateOptions {
    /// The directory the backup file goes into (it must exist: a removable drive that is not
    /// plugged in is an error, not a new directory on the internal disk).
    pub destination: PathBuf,
    /// How the file is encrypted.
    pub encryption: Encryption,
    /// Copy every blob even if earlier backups in the destination hold it.
    pub full: bool,
    /// Why it runs.
    pub trigger: Trigger,
}

/// Writes a backup of the session's vault into `options.destination` and records it in the
/// history (a failure is recorded too, with its reason). Admins only: where a backup goes and
/// how it is locked is theirs to choose; others run what they configured ([`super::run_now`]).
pub fn create(
    session: &mut Session,
    options: &CreateOptions,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<BackupRecord> {
    create_as(session, Action::BackupCreate, options, progress, cancel)
}

/// [`create`], allowed and recorded under `action`.
pub(crate) fn create_as(
    session: &mut Session,
    action: Action,
    options: &CreateOptions,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<BackupRecord> {
    session.authorize(action)?;
    options.encryption.check()?;
    let id = Uuid::now_v7();
    let started = clock::now_ms();
    let destination = match existing_dir(&options.destination) {
        Ok(dir) => dir,
        Err(e) => {
            history::record_failure(
                session,
                action,
                id,
                started,
                &options.destination,
                options,
                &e,
            )?;
            return Err(e);
        }
    };
    match write(
        session,
        options,
        &destination,
        id,
        started,
        progress,
        cancel,
    ) {
        Ok(written) => history::record_success(session, action, &written, options),
        Err(e) => {
            history::record_failure(session, action, id, started, &destination, options, &e)?;
            Err(e)
        }
    }
}

/// A backup file written, verified and named.
#[derive(Debug)]
pub(crate) struct Written {
    pub(crate) id: Uuid,
    pub(crate) started: i64,
    pub(crate) destination: PathBuf,
    pub(crate) file_name: String,
    pub(crate) byte_size: u64,
    pub(crate) manifest: Manifest,
    /// The blobs this file holds.
    pub(crate) stored: StoredBlobs,
    pub(crate) depends_on: BTreeSet<Uuid>,
}

fn existing_dir(dir: &Path) -> Result<PathBuf> {
    let canonical = dir.canonicalize().map_err(|e| Error::Io {
        context: format!("the backup destination {} is not available", dir.display()),
        source: e,
    })?;
    if !canonical.is_dir() {
        return Err(Error::invalid(
            "destination",
            format!("{} is not a directory", dir.display()),
        ));
    }
    Ok(canonical)
}

/// The blobs a backup holds and those it refers to.
struct Plan {
    include: Vec<(Uuid, PathBuf, u64)>,
    references: Vec<Reference>,
    missing: Vec<Uuid>,
    depends_on: BTreeSet<Uuid>,
}

fn plan(
    session: &Session,
    snapshot: &Snapshot<'_>,
    stored: &HashMap<Uuid, StoredBlob>,
) -> Result<Plan> {
    let mut plan = Plan {
        include: Vec::new(),
        references: Vec::new(),
        missing: Vec::new(),
        depends_on: BTreeSet::new(),
    };
    for id in &snapshot.facts.blob_ids {
        if let Some(held) = stored.get(id) {
            plan.references.push(Reference {
                name: format::blob_member(id),
                size: held.size,
                sha256: held.sha256.clone(),
                backup_id: held.backup_id,
                file: held.file_name.clone(),
            });
            plan.depends_on.insert(held.backup_id);
            continue;
        }
        let path = session.media.blobs.path(id);
        match fs::metadata(&path) {
            Ok(meta) => plan.include.push((*id, path, meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => plan.missing.push(*id),
            Err(e) => {
                return Err(Error::Io {
                    context: format!("cannot read {}", path.display()),
                    source: e,
                });
            }
        }
    }
    Ok(plan)
}

#[allow(clippy::too_many_arguments)]
fn write(
    session: &mut Session,
    options: &CreateOptions,
    destination: &Path,
    id: Uuid,
    started: i64,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<Written> {
    remove_stale_partials(destination);
    let snapshot = snapshot::take(session)?;
    let header = fs::read(session.paths.header()).map_err(Error::io("cannot read header.json"))?;
    let stored = if options.full {
        HashMap::new()
    } else {
        history::blobs_at(&session.conn, destination)?
    };
    let plan = plan(session, &snapshot, &stored)?;
    let kind = if plan.references.is_empty() {
        Kind::Full
    } else {
        Kind::Incremental
    };
    let payload =
        snapshot.size + header.len() as u64 + plan.include.iter().map(|b| b.2).sum::<u64>();
    fsutil::check_space(destination, estimate(payload, plan.include.len() + 4))?;

    let created_at = clock::to_rfc3339(started);
    let file_name = file_name(started, &id, kind);
    let partial = destination.join(format!(".{file_name}{PARTIAL_SUFFIX}"));
    let manifest_base = Manifest {
        format: format::FORMAT.into(),
        version: format::VERSION,
        backup_id: id,
        vault_id: session.vault_id,
        created_at: created_at.clone(),
        created_by: session.actor.username.clone(),
        app_version: env!("CARGO_PKG_VERSION").into(),
        schema_version: snapshot.facts.schema_version.min(SCHEMA_VERSION),
        kind,
        members: Vec::new(),
        references: plan.references.clone(),
        missing_blobs: plan.missing.clone(),
        row_counts: snapshot.facts.row_counts.clone(),
        audit_head: snapshot.facts.audit_head.clone(),
    };
    let marker = Marker {
        format: format::FORMAT.into(),
        version: format::VERSION,
        backup_id: id,
        vault_id: session.vault_id,
        created_at,
        kind,
    };
    let parts = Parts {
        marker: serde_json::to_vec_pretty(&marker).map_err(|_| Error::Internal("marker JSON"))?,
        header,
        snapshot,
        blobs: &plan.include,
        manifest: manifest_base,
        mtime: (started / 1000).max(0) as u64,
        total: payload,
    };
    let result = (|| {
        let file = fsutil::create_private_file(&partial)?;
        let (manifest, stored, written, reread) =
            write_archive(file, &partial, &options.encryption, parts, progress, cancel)
                .map_err(|e| in_destination(e, destination))?;
        let len = written.1;
        if reread != written {
            return Err(Error::BackupDamaged {
                file: partial.display().to_string(),
                reason: "what was read back from the destination differs from what was written \
                         (a failing drive?)"
                    .into(),
            });
        }
        let final_path = destination.join(&file_name);
        fs::rename(&partial, &final_path)
            .map_err(Error::io(format!("cannot name {}", final_path.display())))?;
        fsutil::sync_dir(destination)?;
        Ok((manifest, stored, len))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&partial);
    }
    let (manifest, stored, byte_size) = result?;
    Ok(Written {
        id,
        started,
        destination: destination.to_path_buf(),
        file_name,
        byte_size,
        manifest,
        stored,
        depends_on: plan.depends_on,
    })
}

/// A write error names the destination (a full or unplugged drive is the usual cause).
fn in_destination(e: Error, destination: &Path) -> Error {
    match e {
        Error::Io { context, source } => Error::Io {
            context: format!("{context} in {}", destination.display()),
            source,
        },
        other => other,
    }
}

/// `tessera-backup-20261123T221500Z-0f3a9c1e-full.age`: sorts by time, says what it is,
/// and opens with `age -d`.
fn file_name(started_ms: i64, id: &Uuid, kind: Kind) -> String {
    let stamp = clock::file_stamp(started_ms);
    let short = &id.simple().to_string()[24..];
    format!("tessera-backup-{stamp}-{short}-{}.age", kind.as_str())
}

/// The backup file's size for `payload` bytes in `members` members: tar headers and padding,
/// age's 16-byte tag per 64 KiB chunk and its header, and 1 MiB of slack.
fn estimate(payload: u64, members: usize) -> u64 {
    let tar = payload + members as u64 * 1024 + 10 * 1024;
    tar + tar.div_ceil(64 * 1024) * 16 + (1 << 20)
}

fn remove_stale_partials(destination: &Path) {
    fsutil::remove_stale_files(destination, STALE_PARTIAL, |name| {
        name.starts_with(".tessera-backup-") && name.ends_with(PARTIAL_SUFFIX)
    });
}

/// The members of one backup file.
struct Parts<'a> {
    marker: Vec<u8>,
    header: Vec<u8>,
    snapshot: Snapshot<'a>,
    blobs: &'a [(Uuid, PathBuf, u64)],
    manifest: Manifest,
    mtime: u64,
    total: u64,
}

/// The blobs a file holds: id, size, SHA-256 (hex).
pub(crate) type StoredBlobs = Vec<(Uuid, u64, String)>;

/// The manifest, the blobs stored, and the CRC-32 and length of the file as written and as
/// read back from the disk.
type Archived = (Manifest, StoredBlobs, (u32, u64), (u32, u64));

/// Streams the members through tar into age on a second thread, while a third reads the
/// file back from the disk behind it.
fn write_archive(
    file: File,
    path: &Path,
    encryption: &Encryption,
    parts: Parts<'_>,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<Archived> {
    let encryptor = encryption.encryptor()?;
    let (tx, rx) = sync_channel::<Vec<u8>>(8);
    let (written_tx, written_rx) = channel::<u64>();
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_back(path, written_rx));
        let writer = scope.spawn(move || -> std::io::Result<(u32, u64)> {
            let mut age = encryptor.wrap_output(CheckedFile::new(file, written_tx))?;
            for chunk in rx {
                age.write_all(&chunk)?;
            }
            age.finish()?.finish()
        });
        let produced = produce(ChannelWriter::new(tx), parts, progress, cancel);
        let written = writer
            .join()
            .map_err(|_| Error::Internal("the backup writer panicked"))?;
        let reread = reader
            .join()
            .map_err(|_| Error::Internal("the backup read-back panicked"))?;
        // A writer failure (a full disk) makes the producer fail too, with a vaguer error.
        let written = written.map_err(Error::io("cannot write the backup"))?;
        let (manifest, stored) = produced?;
        let reread = reread.map_err(Error::io(format!("cannot read back {}", path.display())))?;
        Ok((manifest, stored, written, reread))
    })
}

fn produce(
    out: ChannelWriter,
    mut parts: Parts<'_>,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<(Manifest, StoredBlobs)> {
    let mut tar = tar::Builder::new(out);
    let mtime = parts.mtime;
    let mut done = 0u64;
    let mut report = |n: u64| {
        done += n;
        progress(Progress {
            done_bytes: done,
            total_bytes: parts.total,
        });
    };
    let check_cancel = || {
        if cancel.load(Ordering::Relaxed) {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    };
    let mut members = Vec::with_capacity(parts.blobs.len() + 3);
    for (name, bytes) in [
        (format::MARKER, &parts.marker),
        (format::HEADER, &parts.header),
    ] {
        members.push(append(
            &mut tar,
            name,
            bytes.len() as u64,
            bytes.as_slice(),
            mtime,
        )?);
    }
    report(parts.header.len() as u64);
    check_cancel()?;
    let snapshot = parts.snapshot;
    members.push(append(
        &mut tar,
        format::DATABASE,
        snapshot.size,
        snapshot.reader()?,
        mtime,
    )?);
    report(snapshot.size);
    // Ends its read transaction: the vault may checkpoint again.
    drop(snapshot);
    let mut stored = Vec::with_capacity(parts.blobs.len());
    for (id, path, size) in parts.blobs {
        check_cancel()?;
        let file =
            File::open(path).map_err(Error::io(format!("cannot read {}", path.display())))?;
        let member = append(&mut tar, &format::blob_member(id), *size, file, mtime)?;
        stored.push((*id, member.size, member.sha256.clone()));
        members.push(member);
        report(*size);
    }
    parts.manifest.members = members;
    let manifest_json =
        serde_json::to_vec_pretty(&parts.manifest).map_err(|_| Error::Internal("manifest JSON"))?;
    append(
        &mut tar,
        format::MANIFEST,
        manifest_json.len() as u64,
        manifest_json.as_slice(),
        mtime,
    )?;
    let out = tar
        .into_inner()
        .map_err(Error::io("cannot write the backup"))?;
    out.finish().map_err(Error::io("cannot write the backup"))?;
    Ok((parts.manifest, stored))
}

/// Appends one member of exactly `size` bytes, hashing it on the way.
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    data: impl Read,
    mtime: u64,
) -> Result<Member> {
    let mut header = crate::archive::file_header(size, mtime);
    // tar copies in 8 KiB pieces: read the source in larger ones.
    let mut hashing = Hashing::new(BufReader::with_capacity(CHUNK, data.take(size)));
    tar.append_data(&mut header, name, &mut hashing)
        .map_err(Error::io("cannot write the backup"))?;
    if hashing.count != size {
        return Err(Error::Conflict(format!(
            "{name} changed while it was being backed up; try again"
        )));
    }
    Ok(Member {
        name: name.to_owned(),
        size,
        sha256: hashing.hex(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_sort_by_time_and_say_their_kind() {
        let id = Uuid::now_v7();
        let a = file_name(1_763_936_100_000, &id, Kind::Full);
        let b = file_name(1_763_936_160_000, &id, Kind::Incremental);
        assert!(a < b, "{a} {b}");
        assert!(
            a.starts_with("tessera-backup-2025") && a.ends_with("-full.age"),
            "{a}"
        );
        assert!(b.ends_with("-incremental.age"), "{b}");
    }

    #[test]
    fn the_estimate_covers_the_real_overheads() {
        // 10 members of 1 MiB: tar adds a 512-byte header each (plus padding), age 16 bytes
        // per 64 KiB.
        let payload: u64 = 10 << 20;
        let real_tar = payload + 10 * 512 + 1024;
        let real_age = real_tar + real_tar.div_ceil(64 * 1024) * 16 + 200;
        assert!(estimate(payload, 10) >= real_age);
    }
}
