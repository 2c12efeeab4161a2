//! Replacing a vault's data key: `vault rekey`.
//!
//! An old `header.json` (in a backup, a replaced vault, a disk remnant) and a password valid
//! on its day unwrap that day's data key. Rekeying makes that key open nothing written since:
//! a new data key, the database copied under its subkey, every photo re-sealed, every
//! account's slot re-wrapped to its own public key (no password needed, see
//! [`crate::store::keyslot`]), and a new recovery key. The identity key, which authenticates
//! what the vault has issued (cards, sealed documents, codes, the audit chain), is carried
//! over sealed under the new data key.
//!
//! Crash safety: everything new is built beside the vault (`vault.db.rekey`, `media.rekey/`,
//! `header.json.rekey`) while `.rekey.json` says `preparing`; a crash then is rolled back.
//! Once all is synced the journal says `switching`, and the new files are renamed into
//! place; a crash then is rolled forward. The next opening of the vault finishes either,
//! so it always opens with one whole key set, and the passwords open both.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::check_vault_id;
use crate::audit_chain::Change;
use crate::crypto::{SecretKey, Subkey, VaultKeys};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::media;
use crate::policy::Action;
use crate::progress::Progress;
use crate::session::Session;
use crate::store::blobs::{BlobStore, MediaStore};
use crate::store::database::{self, OpenMode};
use crate::store::header::Header;
use crate::store::keyslot::{KeySlot, RECOVERY_SLOT_ID};
use crate::store::recovery::RecoveryKey;
use crate::store::{VaultPaths, lock};

const JOURNAL: &str = ".rekey.json";
const MEDIA: &str = "media";
/// Where the old photo files wait, during the switch, to be removed.
const MEDIA_OLD: &str = "media.old-key";
const PAGES_PER_STEP: i32 = 1024;
/// `vault_meta` key: when the current data key was made (unix ms), absent for the first.
pub(crate) const DATA_KEY_SINCE: &str = "data_key_since";

/// The journal's states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum State {
    /// New files are being built; the old ones are the vault. A crash rolls back.
    Preparing,
    /// The new files are complete and synced; a crash rolls forward.
    Switching,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    state: State,
}

/// What a rekey did.
#[derive(Debug)]
pub struct Rekeyed {
    /// Staff accounts whose slots now wrap the new key.
    pub accounts: u32,
    /// Key slots of no active account, which were dropped instead.
    pub dropped_slots: u32,
    /// Photo files re-sealed.
    pub photo_files: u64,
    /// Bytes re-encrypted.
    pub bytes: u64,
    /// The new recovery key: the old one opens only copies made before. Show it once.
    pub recovery_key: RecoveryKey,
}

/// Replaces the vault's data key (admins). The session must be the vault's only one; it
/// goes on with the new key. `cancel` is honoured until the switch begins; a cancelled or
/// failed rekey leaves the vault as it was.
pub fn rekey(
    session: &mut Session,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<Rekeyed> {
    session.authorize(Action::VaultRekey)?;
    session._in_use.make_exclusive()?;
    match run(session, progress, cancel) {
        Err(Failed::AfterSwitch(e)) => {
            // The vault is half switched and this session's connection is closed: it keeps
            // the vault to itself, so nothing opens it before a sign-in finishes the switch.
            Err(Error::RekeyUnfinished(e.to_string()))
        }
        result => {
            // Other sessions may open again; a failure to share leaves the vault held.
            let _ = session._in_use.make_shared();
            result.map_err(|(Failed::BeforeSwitch(e) | Failed::AfterSwitch(e))| e)
        }
    }
}

/// Where a rekey failed: before its switch (the vault is as it was) or after.
enum Failed {
    BeforeSwitch(Error),
    AfterSwitch(Error),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Failed {
        Failed::BeforeSwitch(e)
    }
}

impl From<rusqlite::Error> for Failed {
    fn from(e: rusqlite::Error) -> Failed {
        Failed::BeforeSwitch(e.into())
    }
}

/// Whether the vault's data key was ever replaced (its database records when).
pub(crate) fn was_rekeyed(conn: &Connection) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM vault_meta WHERE key = ?1",
            [DATA_KEY_SINCE],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn run(
    session: &mut Session,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> std::result::Result<Rekeyed, Failed> {
    let paths = session.paths.clone();
    // Only a crash leaves a journal behind, and the next sign-in deals with it.
    if paths.dir.join(JOURNAL).exists() {
        return Err(Error::RekeyUnfinished("an earlier key replacement".into()).into());
    }
    let (slots, dropped_slots) = slots_to_rewrap(session)?;
    let blobs = media::referenced_blobs(&session.conn)?;
    let total_bytes = database_bytes(&session.conn)? + files_bytes(&session.media.blobs, &blobs);
    session.write(Action::VaultRekey, |w| {
        w.record_as(
            "vault.rekey_started",
            Change::new("vault", None).after(serde_json::json!({
                "accounts": slots.len(),
                "dropped_slots": dropped_slots,
                "photo_files": blobs.len(),
            })),
        )
    })?;
    session.move_anchor()?;

    let keys = VaultKeys::new(SecretKey::random()?, session.keys.identity().duplicate());
    let recovery_key = RecoveryKey::generate()?;
    write_journal(&paths, State::Preparing)?;
    crash_point("journal");
    let prepared = prepare(
        session,
        &keys,
        &slots,
        &recovery_key,
        &blobs,
        total_bytes,
        progress,
        cancel,
    );
    let bytes = match prepared {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = roll_back(&paths);
            return Err(e.into());
        }
    };
    switch(session, keys)?;
    let accounts = slots.len() as u32;
    let photo_files = blobs.len() as u64;
    // The key is replaced: a failure to record it must not lose the new recovery key,
    // which exists nowhere else. `vault.rekey_started` already tells the log.
    let _ = session.write(Action::VaultRekey, |w| {
        w.record_as(
            "vault.rekeyed",
            Change::new("vault", None).after(serde_json::json!({
                "accounts": accounts,
                "dropped_slots": dropped_slots,
                "photo_files": photo_files,
                "bytes": bytes,
            })),
        )
    });
    Ok(Rekeyed {
        accounts,
        dropped_slots,
        photo_files,
        bytes,
        recovery_key,
    })
}

/// The password slots to re-wrap: those of active accounts. A slot of no active account
/// opens nothing today and must not open the new key: it is dropped. A slot that cannot be
/// re-wrapped without its password (written before slots had key pairs) stops the rekey,
/// naming its account.
fn slots_to_rewrap(session: &Session) -> Result<(Vec<KeySlot>, u32)> {
    let header = session.header()?;
    let mut stmt = session.conn.prepare(
        "SELECT slot_id, username FROM staff WHERE status = 'active' AND slot_id IS NOT NULL",
    )?;
    let active: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut slots = Vec::new();
    let mut unconverted = Vec::new();
    let mut planted = Vec::new();
    for (slot_id, username) in &active {
        match header.slot(slot_id) {
            Some(slot) if slot.made_by(&session.vault_id, &session.keys) => {
                slots.push(slot.clone())
            }
            Some(slot) if slot.has_public_key() => planted.push(username.clone()),
            Some(_) => unconverted.push(username.clone()),
            None => {}
        }
    }
    if !planted.is_empty() {
        planted.sort();
        return Err(Error::CorruptHeader(format!(
            "the key slots of {} were not made by this vault (header.json was changed); \
             set new passwords for these accounts before replacing the key",
            planted.join(", ")
        )));
    }
    if !unconverted.is_empty() {
        unconverted.sort();
        return Err(Error::invalid(
            "accounts",
            format!(
                "{} must sign in once (or be disabled) before the key can be replaced: their \
                 sign-in moves them to key slots that can be re-wrapped without their password",
                unconverted.join(", ")
            ),
        ));
    }
    let kept = slots.len() + 1;
    let dropped = header.slots.len().saturating_sub(kept) as u32;
    Ok((slots, dropped))
}

fn database_bytes(conn: &Connection) -> Result<u64> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    Ok(pages.max(0) as u64 * page_size(conn)?)
}

/// The page size. SQLCipher answers `PRAGMA page_size` as text, SQLite as a number.
fn page_size(conn: &Connection) -> Result<u64> {
    let value: rusqlite::types::Value = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    match value {
        rusqlite::types::Value::Integer(n) => Ok(n.max(0) as u64),
        rusqlite::types::Value::Text(text) => text
            .parse()
            .map_err(|_| Error::CorruptDatabase(format!("page size {text:?}"))),
        _ => Err(Error::CorruptDatabase("no page size".into())),
    }
}

fn files_bytes(blobs: &BlobStore, ids: &[Uuid]) -> u64 {
    ids.iter()
        .filter_map(|id| fs::metadata(blobs.path(id)).ok())
        .map(|m| m.len())
        .sum()
}

/// Builds the new database, photo files and header beside the vault, synced. Returns the
/// bytes re-encrypted.
#[allow(clippy::too_many_arguments)]
fn prepare(
    session: &mut Session,
    keys: &VaultKeys,
    slots: &[KeySlot],
    recovery_key: &RecoveryKey,
    blobs: &[Uuid],
    total_bytes: u64,
    progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<u64> {
    let paths = session.paths.clone();
    let vault_id = session.vault_id;
    let mut done = 0u64;
    let stop = || match cancel.load(Ordering::Relaxed) {
        true => Err(Error::Cancelled),
        false => Ok(()),
    };

    // The database, page by page, into a file keyed with the new database subkey.
    let new_db = paths.rekeyed("vault.db");
    {
        let mut dest = Connection::open(&new_db)?;
        fsutil::restrict_to_owner(&new_db)?;
        database::apply_key(&dest, &keys.subkey(&vault_id, Subkey::Database))?;
        let page_size = page_size(&session.conn)?;
        let copy = Backup::new(&session.conn, &mut dest)?;
        loop {
            stop()?;
            let step = copy.step(PAGES_PER_STEP)?;
            let p = copy.progress();
            progress(Progress {
                done_bytes: ((p.pagecount - p.remaining) as u64) * page_size,
                total_bytes,
            });
            match step {
                StepResult::Done => break,
                StepResult::More => {}
                // Only another connection writing could do this, and the vault is held
                // exclusively; wait a moment as SQLite advises.
                StepResult::Busy | StepResult::Locked => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => return Err(Error::Internal("unexpected database copy step")),
            }
        }
        drop(copy);
        done += database_bytes(&dest)?;
        check_vault_id(&dest, &vault_id)?;
        // Photo files in earlier backups are sealed under the old key: from now on a backup
        // may refer only to backups made since (`backup::history::blobs_at`).
        dest.execute(
            "INSERT INTO vault_meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            rusqlite::params![DATA_KEY_SINCE, crate::clock::now_ms().to_string()],
        )?;
        // Back to a single self-contained file, synced, before anything relies on it.
        dest.execute_batch("PRAGMA journal_mode = DELETE")?;
        dest.close().map_err(|(_, e)| Error::from(e))?;
        fs::File::open(&new_db)
            .and_then(|f| f.sync_all())
            .map_err(Error::io(format!("cannot flush {}", new_db.display())))?;
    }
    crash_point("database");

    // Every photo file, opened with the old media key and sealed with the new one.
    let new_media = paths.rekeyed(MEDIA);
    fsutil::create_private_dir(&new_media)?;
    let sealer = BlobStore::new(&new_media, keys.subkey(&vault_id, Subkey::Media));
    // One thread opens the files with the old key while this one seals and writes them.
    let source = Arc::clone(&session.media);
    std::thread::scope(|scope| -> Result<()> {
        let (opened_tx, opened) = sync_channel::<Result<(Uuid, Zeroizing<Vec<u8>>)>>(2);
        scope.spawn(move || {
            for id in blobs {
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                let plain = source.blobs.get(id).map_err(|e| match e {
                    Error::NotFound { .. } | Error::CorruptBlob(_) => Error::invalid(
                        "photos",
                        format!(
                            "photo file {id} is missing or damaged; run `tessera vault check` \
                             and restore it from a backup before replacing the key"
                        ),
                    ),
                    other => other,
                });
                let failed = plain.is_err();
                // A closed channel means the writer stopped: so does the reader.
                if opened_tx.send(plain.map(|p| (*id, p))).is_err() || failed {
                    break;
                }
            }
        });
        for (n, item) in opened.iter().enumerate() {
            stop()?;
            let (id, plain) = item?;
            done += sealer.put_unsynced(&id, &plain)?;
            progress(Progress {
                done_bytes: done,
                total_bytes,
            });
            if n == 0 {
                crash_point("media-first-file");
            }
        }
        stop()
    })?;
    // One flush for every file and directory just written: the journal still says
    // `preparing`, so until the switch none of it is relied on.
    fsutil::sync_file_system(&new_media)?;
    crash_point("media");

    // The header: every kept slot re-wrapped, a new recovery slot, the identity sealed.
    let mut header: Header = session.header()?;
    header.slots = slots
        .iter()
        .map(|slot| slot.rewrapped(&vault_id, keys))
        .collect::<Result<_>>()?;
    header.put_slot(KeySlot::new_recovery(&vault_id, recovery_key, keys)?);
    header.seal_identity(keys)?;
    header.write(&paths.rekeyed("header.json"))?;
    debug_assert!(header.slot(RECOVERY_SLOT_ID).is_some());
    crash_point("header");
    Ok(done)
}

/// Closes the old database, marks the switch, renames the new files into place and opens
/// them: from here the rekey only goes forward.
fn switch(session: &mut Session, keys: VaultKeys) -> std::result::Result<(), Failed> {
    let paths = session.paths.clone();
    // The old database must be whole in `vault.db`, with no write-ahead log left beside it
    // that the new file could be mistaken to own.
    let (busy, frames, copied): (i64, i64, i64) =
        session
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
    if busy != 0 || frames != copied {
        let _ = roll_back(&paths);
        return Err(Error::VaultInUse.into());
    }
    let old = std::mem::replace(&mut session.conn, Connection::open_in_memory()?);
    if let Err((conn, e)) = old.close() {
        session.conn = conn;
        let _ = roll_back(&paths);
        return Err(Error::from(e).into());
    }
    write_journal(&paths, State::Switching).map_err(Failed::AfterSwitch)?;
    crash_point("switching");
    let opened = finish_switch(&paths).and_then(|()| {
        database::open(
            &paths.database(),
            &keys.subkey(&session.vault_id, Subkey::Database),
            OpenMode::Existing,
        )
    });
    let conn = opened.map_err(Failed::AfterSwitch)?;
    session.media = MediaStore::open(&paths.dir, &keys, &session.vault_id);
    session.keys = keys;
    session.conn = conn;
    Ok(())
}

/// Renames the new files into place, each step safe to repeat after a crash.
fn finish_switch(paths: &VaultPaths) -> Result<()> {
    let rename = |from: &Path, to: &Path| {
        fs::rename(from, to).map_err(Error::io(format!(
            "cannot move {} to {}",
            from.display(),
            to.display()
        )))
    };
    let new_db = paths.rekeyed("vault.db");
    if new_db.exists() {
        // The old database was checkpointed whole before the switch began: its log and
        // shared memory, if left, hold nothing and belong to the old key.
        for stale in [paths.wal(), paths.dir.join("vault.db-shm")] {
            remove_if_present(&stale)?;
        }
        rename(&new_db, &paths.database())?;
        fsutil::sync_dir(&paths.dir)?;
        crash_point("database-swapped");
    }
    let media = paths.dir.join(MEDIA);
    let new_media = paths.rekeyed(MEDIA);
    let old_media = paths.dir.join(MEDIA_OLD);
    if new_media.exists() {
        if media.exists() {
            rename(&media, &old_media)?;
            fsutil::sync_dir(&paths.dir)?;
            crash_point("media-aside");
        }
        rename(&new_media, &media)?;
        fsutil::sync_dir(&paths.dir)?;
        crash_point("media-swapped");
    }
    let new_header = paths.rekeyed("header.json");
    if new_header.exists() {
        let _lock = lock::HeaderLock::acquire(&paths.lock_file())?;
        carry_over(&Header::read(&paths.header())?, &new_header)?;
        rename(&new_header, &paths.header())?;
        fsutil::sync_dir(&paths.dir)?;
        crash_point("header-swapped");
    }
    // Done: the old photo files are only clutter now, and their removal must not keep
    // the vault from opening.
    let _ = remove_tree(&old_media);
    remove_if_present(&paths.dir.join(JOURNAL))?;
    fsutil::sync_dir(&paths.dir)
}

/// Copies into the new header what may have changed in the live one since it was built:
/// sign-in failures another process queued (a backup of this vault being verified counts
/// them), and the audit anchor.
fn carry_over(live: &Header, new_header: &Path) -> Result<()> {
    let mut new = Header::read(new_header)?;
    new.audit_anchor = live.audit_anchor.clone();
    new.pending_auth_events = live.pending_auth_events.clone();
    new.pending_auth_events_dropped = live.pending_auth_events_dropped;
    for slot in &mut new.slots {
        if let Some(old) = live.slot(&slot.id) {
            slot.failed_attempts = old.failed_attempts;
            slot.last_failed_at = old.last_failed_at;
        }
    }
    new.write(new_header)
}

/// Removes what a rekey that did not reach its switch left beside the vault.
fn roll_back(paths: &VaultPaths) -> Result<()> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        remove_if_present(&paths.dir.join(format!("vault.db.rekey{suffix}")))?;
    }
    remove_if_present(&paths.rekeyed("header.json"))?;
    remove_tree(&paths.rekeyed(MEDIA))?;
    remove_tree(&paths.dir.join(MEDIA_OLD))?;
    remove_if_present(&paths.dir.join(JOURNAL))?;
    fsutil::sync_dir(&paths.dir)
}

/// Finishes or undoes a rekey a crash interrupted, before the vault is opened. Refuses
/// while another session has the vault (its rekey may be running).
pub(crate) fn recover(paths: &VaultPaths) -> Result<()> {
    let journal = paths.dir.join(JOURNAL);
    if !journal.exists() {
        return Ok(());
    }
    let _only = lock::InUseLock::exclusive(&paths.in_use_file())?;
    let bytes = match fs::read(&journal) {
        Ok(bytes) => bytes,
        // Finished by its own process since we looked.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(format!("cannot read {}", journal.display()))(e)),
    };
    // The journal is written atomically, so one that does not parse was altered: guessing
    // a direction could destroy the only copy of the new key.
    match serde_json::from_slice::<Journal>(&bytes).map(|j| j.state) {
        Ok(State::Switching) => finish_switch(paths),
        Ok(State::Preparing) => roll_back(paths),
        Err(_) => Err(Error::CorruptHeader(format!(
            "{} (the journal of an interrupted key replacement) is damaged",
            journal.display()
        ))),
    }
}

fn write_journal(paths: &VaultPaths, state: State) -> Result<()> {
    let bytes = serde_json::to_vec(&Journal { state })
        .map_err(|_| Error::Internal("cannot serialise the rekey journal"))?;
    fsutil::write_atomic(&paths.dir.join(JOURNAL), &bytes)
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("cannot remove {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}

fn remove_tree(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(Error::io(format!("cannot remove {}", path.display()))(e))
        }
        _ => Ok(()),
    }
}

/// In debug builds, stops at `step` when `TESSERA_CRASH_AT` names it: it says so on
/// stderr and waits to be killed, so tests can `kill -9` a rekey at every step. Release
/// builds have no such code.
fn crash_point(step: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("TESSERA_CRASH_AT").is_ok_and(|at| at == step) {
        eprintln!("crash point {step}");
        loop {
            std::thread::sleep(Duration::from_secs(60));
        }
    }
    #[cfg(not(debug_assertions))]
    let _ = step;
}
