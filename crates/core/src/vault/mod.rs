//! The vault as a whole: create it, unlock it into a [`Session`], open a second session
//! beside the first, describe and check it. Its files and keys are [`crate::store`]'s; this
//! module puts them together with the accounts, the audit log and the photo sweep.

mod check;
#[cfg(feature = "bench-plaintext")]
pub mod plaintext;
mod rekey;

use std::fmt;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

use crate::accounts;
use crate::audit_chain::Change;
use crate::clock;
use crate::crypto::{self, Argon2Params, SecretKey, Subkey, VaultKeys};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::media;
use crate::policy::{Action, Principal, Role};
use crate::session::{self, Actor, RECOVERY_ACTOR, Session};
use crate::store::blobs::MediaStore;
use crate::store::database::{self, OpenMode};
use crate::store::header::{AuthEvent, AuthEventKind, Header};
use crate::store::keyslot::{self, KeySlot, RECOVERY_SLOT_ID, SlotSecret};
use crate::store::recovery::RecoveryKey;
pub use crate::store::upgrade::Upgrade;
use crate::store::{self, VaultPaths, header, lock};
pub use check::{CheckReport, check, damaged_pages};
pub(crate) use rekey::DATA_KEY_SINCE;
pub use rekey::{Rekeyed, rekey};

/// What [`create`] needs. Its `Debug` leaves the password out.
pub struct NewVault<'a> {
    /// The first admin's user name.
    pub admin_username: &'a str,
    /// The first admin's full name.
    pub admin_display_name: &'a str,
    /// The first admin's password.
    pub admin_password: &'a str,
    /// Argon2id cost for this vault's password slots.
    pub kdf: Argon2Params,
}

/// What [`create`] returns.
#[derive(Debug)]
pub struct CreatedVault {
    /// The new vault's id.
    pub vault_id: Uuid,
    /// The recovery key. Show it once; it is stored nowhere in the clear.
    pub recovery_key: RecoveryKey,
}

/// Creates a vault at `dir` (which must not exist, or be empty) with its first admin.
///
/// The vault is built in a hidden sibling directory and renamed into place, so a crash
/// leaves either no vault or a complete one.
pub fn create(dir: &Path, new: &NewVault<'_>) -> Result<CreatedVault> {
    let username = accounts::validate_username(new.admin_username)?;
    let display_name = accounts::validate_display_name(new.admin_display_name)?;
    accounts::validate_password(new.admin_password, &username)?;
    new.kdf.validate()?;
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(Error::io(format!("cannot read {}", dir.display())))?
            .next()
            .is_none();
        if !empty || !dir.is_dir() {
            return Err(Error::VaultExists(dir.to_path_buf()));
        }
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(Error::io(format!("cannot create {}", parent.display())))?;
    let staging = parent.join(format!(".tessera-creating-{}", Uuid::now_v7()));
    fsutil::create_private_dir(&staging)?;
    let result = build(&staging, &username, &display_name, new).and_then(|created| {
        if dir.exists() {
            std::fs::remove_dir(dir)
                .map_err(Error::io(format!("cannot replace empty {}", dir.display())))?;
        }
        std::fs::rename(&staging, dir).map_err(Error::io(format!(
            "cannot move the new vault to {}",
            dir.display()
        )))?;
        fsutil::sync_dir(parent)?;
        Ok(created)
    });
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

fn build(
    dir: &Path,
    username: &str,
    display_name: &str,
    new: &NewVault<'_>,
) -> Result<CreatedVault> {
    let paths = VaultPaths::new(dir);
    let vault_id = Uuid::now_v7();
    let keys = VaultKeys::first(SecretKey::random()?);
    let recovery_key = RecoveryKey::generate()?;
    let now = clock::now_ms();

    let mut header = Header::new(vault_id, clock::to_rfc3339(now), new.kdf);
    header.put_slot(KeySlot::new_recovery(&vault_id, &recovery_key, &keys)?);
    let admin_slot =
        KeySlot::new_password(&vault_id, username, new.admin_password, new.kdf, &keys)?;
    let admin_slot_id = admin_slot.id.clone();
    header.put_slot(admin_slot);
    header.write(&paths.header())?;

    let conn = database::open(
        &paths.database(),
        &keys.subkey(&vault_id, Subkey::Database),
        OpenMode::Create,
    )?;
    let admin_id = Uuid::now_v7().to_string();
    let in_use = lock::InUseLock::shared(&paths.in_use_file())?;
    let mut session = start_session(
        paths,
        vault_id,
        conn,
        keys,
        Actor {
            staff_id: Some(admin_id.clone()),
            username: username.to_owned(),
            principal: Principal::Staff(Role::Admin),
            must_change_password: false,
        },
        in_use,
    );
    session.write(Action::VaultCreate, |w| {
        w.conn().execute(
            "INSERT INTO vault_meta (key, value) VALUES ('vault_id', ?1), ('created_at', ?2)",
            params![vault_id.to_string(), now.to_string()],
        )?;
        w.record(
            Change::new("vault", Some(&vault_id.to_string())).after(serde_json::json!({
                "format_version": header::FORMAT_VERSION,
                "schema_version": database::SCHEMA_VERSION,
            })),
        )?;
        let account = accounts::insert_account(
            w,
            &admin_id,
            &accounts::NewStaff {
                username,
                display_name,
                role: Role::Admin,
                must_change_password: false,
            },
            &admin_slot_id,
            now,
        )?;
        w.record_as(
            Action::StaffAdd.name(),
            Change::new("staff", Some(&admin_id))
                .after(serde_json::to_value(&account).unwrap_or_default()),
        )
    })?;
    // Only the session that began the log may give it its first anchor: now, or never.
    session.move_anchor()?;
    session.lock();
    Ok(CreatedVault {
        vault_id,
        recovery_key,
    })
}

/// What unlocks a vault. Its `Debug` leaves the password out.
pub enum Credentials<'a> {
    /// A staff account's name and password.
    Password {
        /// User name (case-insensitive).
        username: &'a str,
        /// Password.
        password: &'a str,
    },
    /// The recovery key.
    Recovery(&'a RecoveryKey),
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Password { username, .. } => f
                .debug_struct("Password")
                .field("username", username)
                .finish_non_exhaustive(),
            Credentials::Recovery(_) => f.write_str("Recovery(..)"),
        }
    }
}

impl fmt::Debug for NewVault<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewVault")
            .field("admin_username", &self.admin_username)
            .field("admin_display_name", &self.admin_display_name)
            .field("kdf", &self.kdf)
            .finish_non_exhaustive()
    }
}

/// Opens the vault at `dir`.
///
/// A failed attempt never touches `vault.db`: it is counted in the key slot and queued in
/// the header, and audited by the next session that opens. After
/// [`keyslot::FREE_ATTEMPTS`] consecutive failures the slot refuses attempts for a growing delay.
pub fn unlock(dir: &Path, credentials: &Credentials<'_>) -> Result<Session> {
    let paths = locate(dir)?;
    let in_use = lock::InUseLock::shared(&paths.in_use_file())?;
    let unlocked = open_slot(&paths, credentials)?;
    open_session(paths, in_use, unlocked, credentials)
}

/// Opens a vault whose data key the caller has already unwrapped with `credentials` (from
/// slot `slot_id`): a restore checked the backup with it, and need not pay for a second
/// Argon2 run to open the vault it rebuilt.
pub(crate) fn unlock_with_key(
    dir: &Path,
    keys: VaultKeys,
    slot_id: &str,
    credentials: &Credentials<'_>,
) -> Result<Session> {
    let paths = locate(dir)?;
    let in_use = lock::InUseLock::shared(&paths.in_use_file())?;
    let unlocked = Unlocked {
        header: Header::read(&paths.header())?,
        keys,
        slot_id: slot_id.to_owned(),
        converted: None,
    };
    open_session(paths, in_use, unlocked, credentials)
}

fn open_session(
    paths: VaultPaths,
    in_use: lock::InUseLock,
    unlocked: Unlocked,
    credentials: &Credentials<'_>,
) -> Result<Session> {
    let Unlocked {
        header,
        keys,
        slot_id,
        converted,
    } = unlocked;
    let header = &header;
    let slot_id = slot_id.as_str();
    let vault_id = header.vault_id;
    let db_key = keys.subkey(&vault_id, Subkey::Database);
    let mut conn = database::open_unmigrated(&paths.database(), &db_key, OpenMode::Existing)?;
    check_vault_id(&conn, &vault_id)?;
    // The first sign-in after an upgrade keeps the vault as it was before changing it.
    let upgrade = match database::older_schema(&conn)? {
        Some(from) => Some(store::upgrade::keep_copy(&paths, &conn, &db_key, from)?),
        None => None,
    };
    database::migrate(&mut conn)?;
    // A rekeyed vault's header carries its identity key; one that lost it would fork the
    // audit, signing and code keys.
    if header.identity_key.is_none() && rekey::was_rekeyed(&conn)? {
        return Err(Error::CorruptHeader(
            "its sealed identity key is missing, though the vault's key was replaced".into(),
        ));
    }
    if let Some(converted) = converted {
        session::edit_header(&paths, |h| {
            h.put_slot(converted);
            Ok(())
        })?;
    }
    let actor = actor_for(&conn, credentials, slot_id)?;
    let mut session = start_session(paths, vault_id, conn, keys, actor, in_use);
    // A vault written before redaction existed gets its chain converted once. A failure
    // rolls back and is tried again at the next unlock; meanwhile v1 and v2 entries verify
    // side by side, and only redaction of the v1 ones is impossible.
    let _ = crate::audit::upgrade(&mut session);
    flush_auth_events(&mut session, header)?;
    // Crash leftovers cost disk, not data: a failed sweep must not keep anyone out. A
    // killed export's partial file may hold a record in plain text: it goes first.
    let _ = crate::outside::sweep(&session.conn);
    let _ = media::sweep(&session, media::SWEEP_MIN_AGE);
    if let Some(upgrade) = &upgrade {
        session.write(Action::SessionOpen, |w| {
            w.record_as(
                "vault.upgraded",
                Change::new("vault", None).after(serde_json::json!(upgrade)),
            )
        })?;
    }
    session.upgrade = upgrade;
    let removed = session.paths.remove_old_replaced(clock::now_ms());
    if removed > 0 {
        session.write(Action::SessionOpen, |w| {
            w.record_as(
                "vault.replaced_removed",
                Change::new("vault", None).after(serde_json::json!({
                    "removed": removed,
                    "older_than_days": crate::store::REPLACED_VAULT_DAYS,
                })),
            )
        })?;
    }
    Ok(session)
}

fn locate(dir: &Path) -> Result<VaultPaths> {
    let paths = VaultPaths::new(dir);
    if paths.header().exists() {
        rekey::recover(&paths)?;
    }
    if !paths.header().exists() {
        if paths.database().exists() {
            return Err(Error::CorruptHeader(format!(
                "{} is missing",
                paths.header().display()
            )));
        }
        return Err(Error::VaultNotFound(dir.to_path_buf()));
    }
    if !paths.database().exists() {
        return Err(Error::CorruptDatabase(format!(
            "{} is missing",
            paths.database().display()
        )));
    }
    Ok(paths)
}

/// What opening a key slot gave: the header read, the vault's keys, the slot's id, and the
/// slot converted to the second form if it was of the first (stored once the vault opened,
/// after any pre-upgrade copy, so the copy keeps the header an older Tessera reads).
pub(crate) struct Unlocked {
    pub(crate) header: Header,
    pub(crate) keys: VaultKeys,
    pub(crate) slot_id: String,
    converted: Option<KeySlot>,
}

fn slot_secret<'a>(credentials: &Credentials<'a>) -> SlotSecret<'a> {
    match credentials {
        Credentials::Password { password, .. } => SlotSecret::Password(password),
        Credentials::Recovery(key) => SlotSecret::Recovery(key),
    }
}

/// Finds and opens the key slot for `credentials`, keeping the slot's failure count.
fn open_slot(paths: &VaultPaths, credentials: &Credentials<'_>) -> Result<Unlocked> {
    counted_attempt(paths, None, credentials)
}

/// The keys of the vault at `dir`, unwrapped with `credentials` as a sign-in would (a wrong
/// password counts), without opening it.
pub(crate) fn unwrap_keys(dir: &Path, credentials: &Credentials<'_>) -> Result<VaultKeys> {
    Ok(open_slot(&VaultPaths::new(dir), credentials)?.keys)
}

/// Changes the signed-in user's own password once the current one is proven, as a sign-in
/// would prove it (a wrong one counts towards the lock-out): a screen left unlocked is not
/// enough to take the account over.
pub fn change_own_password(session: &mut Session, current: &str, new: &str) -> Result<()> {
    session.authorize(Action::StaffSetOwnPassword)?;
    if current == new {
        return Err(Error::invalid(
            "new password",
            "must differ from the current password",
        ));
    }
    let username = session.actor().username.clone();
    let credentials = Credentials::Password {
        username: &username,
        password: current,
    };
    match unwrap_keys(session.vault_dir(), &credentials) {
        Ok(_) => accounts::set_password(session, &username, new),
        Err(Error::BadCredentials) => Err(Error::invalid(
            "current password",
            "is not your current password",
        )),
        Err(other) => Err(other),
    }
}

/// Unwraps the data key from a backup's `header` with `credentials`. When the backup is of
/// the vault at `live` (the same vault id), the attempt is one more try at that vault's
/// account: refused while the account is locked out, counted when wrong, and audited by the
/// next sign-in, so a backup is no way around the lock-out. A backup of any other vault has
/// nothing to count against (and whoever holds the file can try it with any program).
pub(crate) fn open_backup_slot(
    live: Option<&Path>,
    header: &Header,
    credentials: &Credentials<'_>,
) -> Result<(VaultKeys, String)> {
    let paths = live.map(VaultPaths::new).filter(|paths| {
        Header::read(&paths.header()).is_ok_and(|live| live.vault_id == header.vault_id)
    });
    match paths {
        Some(paths) => counted_attempt(&paths, Some(header), credentials)
            .map(|unlocked| (unlocked.keys, unlocked.slot_id)),
        None => open_detached_slot(header, credentials),
    }
}

/// One attempt at the live vault's slot for `credentials`, with the key unwrapped from
/// `backup`'s copy of the slot when given (its password is the one of that day), else from
/// the live header. The live slot's failure count decides the lock-out and counts a
/// failure; the recovery slot (a 256-bit secret, not guessable) is never locked, so nobody
/// can lock an admin out of recovery by typing wrong keys. Every failure is queued for the
/// audit log.
fn counted_attempt(
    paths: &VaultPaths,
    backup: Option<&Header>,
    credentials: &Credentials<'_>,
) -> Result<Unlocked> {
    let _lock = lock::HeaderLock::acquire(&paths.lock_file())?;
    let mut header = Header::read(&paths.header())?;
    let vault_id = header.vault_id;
    let slot_id = slot_id_for(&vault_id, credentials);
    let now = clock::now_ms();
    let Some(slot) = backup.unwrap_or(&header).slot(&slot_id).cloned() else {
        return match credentials {
            Credentials::Password { password, .. } => {
                // Spend the same time as a real attempt, so timing does not reveal which
                // user names exist.
                let _ = crypto::argon2id_key(password.as_bytes(), &[0u8; 16], &header.kdf_defaults);
                Err(Error::BadCredentials)
            }
            Credentials::Recovery(_) => {
                Err(Error::CorruptHeader("the recovery slot is missing".into()))
            }
        };
    };
    let lockable = slot_id != RECOVERY_SLOT_ID;
    let event = |kind, failures| AuthEvent {
        id: Uuid::now_v7(),
        slot_id: slot_id.clone(),
        kind,
        at: now,
        failures,
    };
    let live_failures = |header: &Header| header.slot(&slot_id).map_or(0, |s| s.failed_attempts);
    let locked = header
        .slot(&slot_id)
        .filter(|_| lockable)
        .and_then(|live| live.locked_for_secs(now));
    if let Some(retry_after_secs) = locked {
        let failures = live_failures(&header);
        header.push_auth_event(event(AuthEventKind::LoginWhileLocked, failures));
        header.write(&paths.header())?;
        return Err(Error::LockedOut { retry_after_secs });
    }
    let slot_header = backup.unwrap_or(&header);
    match slot.open(&vault_id, slot_secret(credentials), |k| {
        slot_header.vault_keys(k)
    })? {
        None => {
            if let Some(live) = header.slot_mut(&slot_id).filter(|_| lockable) {
                live.record_failure(now);
            }
            let kind = match backup {
                Some(_) => AuthEventKind::BackupAttemptFailed,
                None => AuthEventKind::LoginFailed,
            };
            let failures = live_failures(&header);
            header.push_auth_event(event(kind, failures));
            header.write(&paths.header())?;
            Err(match credentials {
                Credentials::Password { .. } => Error::BadCredentials,
                Credentials::Recovery(_) => Error::BadRecoveryKey,
            })
        }
        Some(opened) => {
            // A backup's slot holds the password of its day: opening it proves nothing
            // about today's, so it clears no failures, and the live slot is not its to convert.
            let cleared = backup.is_none()
                && header
                    .slot_mut(&slot_id)
                    .is_some_and(keyslot::KeySlot::clear_failures);
            if cleared {
                header.write(&paths.header())?;
            }
            Ok(Unlocked {
                header,
                keys: opened.keys,
                slot_id,
                converted: opened.converted.filter(|_| backup.is_none()),
            })
        }
    }
}

/// Who `credentials` (which opened slot `slot_id`) act as in the database `conn`.
pub(crate) fn actor_for(
    conn: &rusqlite::Connection,
    credentials: &Credentials<'_>,
    slot_id: &str,
) -> Result<Actor> {
    match credentials {
        Credentials::Recovery(_) => Ok(Actor {
            staff_id: None,
            username: RECOVERY_ACTOR.to_owned(),
            principal: Principal::RecoveryKey,
            must_change_password: false,
        }),
        Credentials::Password { .. } => accounts::actor_for_slot(conn, slot_id),
    }
}

fn slot_id_for(vault_id: &Uuid, credentials: &Credentials<'_>) -> String {
    match credentials {
        Credentials::Password { username, .. } => keyslot::password_slot_id(vault_id, username),
        Credentials::Recovery(_) => RECOVERY_SLOT_ID.to_owned(),
    }
}

/// Unwraps the data key from a header that is not a live vault's (one inside a backup of
/// another vault): nothing is written, so failures are not counted. Returns the key and the
/// slot's id.
fn open_detached_slot(
    header: &Header,
    credentials: &Credentials<'_>,
) -> Result<(VaultKeys, String)> {
    let slot_id = slot_id_for(&header.vault_id, credentials);
    let refused = || match credentials {
        Credentials::Password { .. } => Error::BadCredentials,
        Credentials::Recovery(_) => Error::BadRecoveryKey,
    };
    let slot = header.slot(&slot_id).ok_or_else(refused)?;
    let opened = slot.open(&header.vault_id, slot_secret(credentials), |k| {
        header.vault_keys(k)
    })?;
    Ok((opened.ok_or_else(refused)?.keys, slot_id))
}

pub(crate) fn check_vault_id(conn: &rusqlite::Connection, vault_id: &Uuid) -> Result<()> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM vault_meta WHERE key = 'vault_id'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if stored.as_deref() != Some(vault_id.to_string().as_str()) {
        return Err(Error::CorruptDatabase(
            "vault.db belongs to another vault".into(),
        ));
    }
    Ok(())
}

/// A second session on `session`'s vault, for the same person, on a connection of its own:
/// for work that runs beside the first without holding it (the app's scheduled backups), so
/// the first stays free for the user. Not a sign-in: nothing is recorded, and its entries
/// carry the first's session id. It keeps the vault marked in use (a restore waits) until
/// dropped.
pub fn open_alongside(session: &Session) -> Result<Session> {
    let paths = session.paths.clone();
    let in_use = lock::InUseLock::shared(&paths.in_use_file())?;
    let keys = session.keys.duplicate();
    let conn = database::open(
        &paths.database(),
        &keys.subkey(&session.vault_id, Subkey::Database),
        OpenMode::Existing,
    )?;
    check_vault_id(&conn, &session.vault_id)?;
    let mut alongside = start_session(
        paths,
        session.vault_id,
        conn,
        keys,
        session.actor.clone(),
        in_use,
    );
    alongside.session_id = session.session_id;
    Ok(alongside)
}

fn start_session(
    paths: VaultPaths,
    vault_id: Uuid,
    conn: rusqlite::Connection,
    keys: VaultKeys,
    actor: Actor,
    in_use: lock::InUseLock,
) -> Session {
    let audit_key = keys.subkey(&vault_id, Subkey::Audit);
    let media = MediaStore::open(&paths.dir, &keys, &vault_id);
    Session {
        media,
        paths,
        vault_id,
        conn,
        actor,
        session_id: Uuid::now_v7(),
        keys,
        audit_key,
        anchor: Default::default(),
        upgrade: None,
        _in_use: in_use,
    }
}

/// Whether a queued sign-in event is one Tessera could have written: `header.json` is not
/// authenticated, so someone who can write it could otherwise put anything into the chain.
fn plausible(event: &AuthEvent, now: i64) -> bool {
    let slot_id_ok = event.slot_id == RECOVERY_SLOT_ID
        || (event.slot_id.len() == 64 && event.slot_id.bytes().all(|b| b.is_ascii_hexdigit()));
    // A minute of clock skew between processes; nothing before 2020.
    slot_id_ok
        && (1_577_836_800_000..=now + 60_000).contains(&event.at)
        && event.failures <= 1_000_000
}

/// Writes the sign-in events queued in the header into the audit log, with the session's
/// own opening, then removes them from the header. Events dropped from a full queue, and
/// events no Tessera could have written, are counted in one entry of their own.
fn flush_auth_events(session: &mut Session, header: &Header) -> Result<()> {
    let now = clock::now_ms();
    let (events, implausible): (Vec<&AuthEvent>, Vec<&AuthEvent>) = header
        .pending_auth_events
        .iter()
        .partition(|e| plausible(e, now));
    let dropped = header.pending_auth_events_dropped;
    let slot_owners = accounts::slot_owners(&session.conn)?;
    let opened_with = match &session.actor.principal {
        Principal::RecoveryKey => "recovery_key",
        Principal::Staff(_) => "password",
    };
    session.write(Action::SessionOpen, |w| {
        for event in events {
            let staff_id = slot_owners.get(&event.slot_id).map(String::as_str);
            let (resource_type, resource_id) = match (staff_id, event.slot_id.as_str()) {
                (Some(id), _) => ("staff", Some(id)),
                (None, RECOVERY_SLOT_ID) => ("recovery_key", None),
                (None, _) => ("key_slot", Some(event.slot_id.as_str())),
            };
            w.record_as(
                event.kind.action(),
                Change::new(resource_type, resource_id).after(serde_json::json!({
                    "event_id": event.id,
                    "attempted_at": clock::to_rfc3339(event.at),
                    "consecutive_failures": event.failures,
                    "locked_for_secs": keyslot::lockout_delay_ms(event.failures).map(|ms| ms / 1000),
                })),
            )?;
        }
        if dropped > 0 || !implausible.is_empty() {
            w.record_as(
                "auth.events_lost",
                Change::new("vault", None).after(serde_json::json!({
                    "dropped_from_a_full_queue": dropped,
                    "refused_as_implausible": implausible.len(),
                })),
            )?;
        }
        let session_id = w.session_id().to_owned();
        w.record(Change::new("session", Some(&session_id)).after(serde_json::json!({ "opened_with": opened_with })))
    })?;
    if !header.pending_auth_events.is_empty() || dropped > 0 {
        session::edit_header(&session.paths, |h| {
            h.pending_auth_events
                .retain(|e| !header.pending_auth_events.iter().any(|f| f.id == e.id));
            h.pending_auth_events_dropped = h.pending_auth_events_dropped.saturating_sub(dropped);
            Ok(())
        })?;
    }
    Ok(())
}

/// A summary of a vault, safe to show: no secrets, no personal data.
#[derive(Debug, Clone, Serialize)]
pub struct VaultInfo {
    /// Vault directory.
    pub path: PathBuf,
    /// Vault id.
    pub vault_id: Uuid,
    /// Header format version.
    pub format_version: u64,
    /// Database schema version.
    pub schema_version: u32,
    /// When the vault was created.
    pub created_at: String,
    /// SQLCipher version in use.
    pub cipher: String,
    /// Argon2id parameters for new password slots.
    pub kdf: Argon2Params,
    /// Number of key slots (active accounts plus recovery).
    pub key_slots: usize,
    /// Row counts.
    pub counts: VaultCounts,
    /// Audit entries anchored in the header.
    pub audit_anchored: Option<u64>,
    /// Who is signed in.
    pub signed_in_as: Actor,
}

/// Row counts reported by [`info`].
#[derive(Debug, Clone, Serialize)]
pub struct VaultCounts {
    /// Staff accounts, active or not.
    pub staff: u64,
    /// Active staff accounts.
    pub active_staff: u64,
    /// Audit entries.
    pub audit_entries: u64,
    /// Patients not in the bin.
    pub patients: u64,
    /// Patients in the bin.
    pub deleted_patients: u64,
    /// Encounters.
    pub encounters: u64,
    /// Narratives.
    pub narratives: u64,
    /// Narrative revisions, the first of each included.
    pub narrative_revisions: u64,
    /// Photos not in the bin.
    pub photos: u64,
    /// Photos in the bin.
    pub deleted_photos: u64,
}

/// Describes the vault.
pub fn info(session: &mut Session) -> Result<VaultInfo> {
    let header = session.header()?;
    session.read(Action::VaultInfo, |s| {
        let count = |sql: &str| {
            s.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        };
        Ok(VaultInfo {
            path: s.paths.dir.clone(),
            vault_id: s.vault_id,
            format_version: header.format_version,
            schema_version: s.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
            created_at: header.created_at.clone(),
            cipher: format!(
                "SQLCipher {}",
                s.conn
                    .query_row("PRAGMA cipher_version", [], |r| r.get::<_, String>(0))?
            ),
            kdf: header.kdf_defaults,
            key_slots: header.slots.len(),
            counts: VaultCounts {
                staff: count("SELECT count(*) FROM staff")?,
                active_staff: count("SELECT count(*) FROM staff WHERE status = 'active'")?,
                audit_entries: count("SELECT count(*) FROM audit_log")?,
                patients: count("SELECT count(*) FROM patients WHERE deleted_at IS NULL")?,
                deleted_patients: count(
                    "SELECT count(*) FROM patients WHERE deleted_at IS NOT NULL",
                )?,
                encounters: count("SELECT count(*) FROM encounters")?,
                narratives: count("SELECT count(*) FROM narratives")?,
                narrative_revisions: count("SELECT count(*) FROM narrative_revisions")?,
                photos: count("SELECT count(*) FROM photos WHERE deleted_at IS NULL")?,
                deleted_photos: count("SELECT count(*) FROM photos WHERE deleted_at IS NOT NULL")?,
            },
            audit_anchored: header.audit_anchor.as_ref().map(|a| a.count),
            signed_in_as: s.actor.clone(),
        })
    })
}
