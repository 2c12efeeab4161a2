//! An unlocked vault: the open database, the acting user and the derived keys.
//!
//! Feature modules reach data only through [`Session::write`] and [`Session::read`], which
//! ask the policy first and, for writes, record the audit entry in the same transaction as
//! the change. A feature cannot forget either. Keys are wiped when the session is dropped.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};
use serde::Serialize;
use uuid::Uuid;

use crate::audit_chain::{self, Author, ChainHead, Change};
use crate::crypto::{SecretKey, VaultKeys};
use crate::error::{Error, Result};
use crate::policy::{self, Action, Principal};
use crate::store::VaultPaths;
use crate::store::blobs::MediaStore;
use crate::store::header::Header;
use crate::store::lock::{HeaderLock, InUseLock};

/// Who is acting in a session.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// Staff id; `None` when the recovery key opened the vault.
    pub staff_id: Option<String>,
    /// User name (`recovery-key` for the recovery key).
    pub username: String,
    /// Role or recovery key.
    pub principal: Principal,
    /// Someone else chose this account's password (an admin's reset, or an account the app
    /// created): until the user chooses their own, they may do nothing else.
    pub must_change_password: bool,
}

impl Actor {
    /// Whether this actor may attempt `action` at all before the policy is asked: an
    /// account with a password someone else chose may only open its session, see what it
    /// opened and choose its own password.
    pub(crate) fn may_attempt(&self, action: Action) -> bool {
        !self.must_change_password
            || matches!(
                action,
                Action::SessionOpen | Action::VaultInfo | Action::StaffSetOwnPassword
            )
    }
}

/// The name recorded as actor when the recovery key opened the vault.
pub const RECOVERY_ACTOR: &str = "recovery-key";

/// An unlocked vault.
#[derive(Debug)]
pub struct Session {
    pub(crate) paths: VaultPaths,
    pub(crate) vault_id: Uuid,
    pub(crate) conn: Connection,
    pub(crate) actor: Actor,
    pub(crate) session_id: Uuid,
    pub(crate) keys: VaultKeys,
    pub(crate) audit_key: SecretKey,
    /// The photo blob store, shared with import workers.
    pub(crate) media: Arc<MediaStore>,
    /// The newest chain head not yet anchored in the header, and when the anchor last moved.
    pub(crate) anchor: AnchorState,
    /// What this sign-in did to upgrade the vault's format, if it was the first after an
    /// upgrade.
    pub(crate) upgrade: Option<crate::store::upgrade::Upgrade>,
    /// Tells a restore in another process that this vault is open.
    pub(crate) _in_use: InUseLock,
}

/// The header anchor is moved at the first write of a session, then at most once per
/// [`ANCHOR_INTERVAL`] and when the session ends: each move costs a synced header rewrite,
/// which would otherwise double the cost of every audited read. Entries written since the
/// last move are reported as "unanchored" by `audit verify` if the process dies first; the
/// anchor is never ahead of the committed log, so a crash cannot raise a false alarm.
#[derive(Debug, Default)]
pub(crate) struct AnchorState {
    pending: Option<ChainHead>,
    moved_at: Option<Instant>,
}

/// Longest a busy session leaves the header anchor behind the log.
pub const ANCHOR_INTERVAL: Duration = Duration::from_secs(2);

impl Session {
    /// The acting user.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The vault's id.
    pub fn vault_id(&self) -> Uuid {
        self.vault_id
    }

    /// The upgrade this sign-in made (a newer Tessera's first), to tell the user where the
    /// copy of the vault as it was is kept.
    pub fn upgrade(&self) -> Option<&crate::store::upgrade::Upgrade> {
        self.upgrade.as_ref()
    }

    /// The vault's directory.
    pub fn vault_dir(&self) -> &Path {
        &self.paths.dir
    }

    /// This session's id, recorded with each of its audit entries.
    pub fn session_id(&self) -> Uuid {
        self.session_id
    }

    /// Locks the vault: anchors the audit log, closes the database and wipes the keys.
    pub fn lock(self) {
        drop(self);
    }

    /// The current header, read from disk.
    pub fn header(&self) -> Result<Header> {
        Header::read(&self.paths.header())
    }

    /// The vault's signing key (derived from the data key, never stored).
    pub(crate) fn signer(&self) -> crate::signing::Signer25519 {
        crate::signing::Signer25519::from_seed(
            &self
                .keys
                .subkey(&self.vault_id, crate::crypto::Subkey::Signing),
        )
    }

    /// Every action the policy allows this actor, for a front end to offer.
    pub fn permitted(&self) -> Vec<Action> {
        policy::permitted(self.actor.principal)
            .into_iter()
            .filter(|a| self.actor.may_attempt(*a))
            .collect()
    }

    /// Refuses (and audits the refusal) unless the policy allows `action` to this actor.
    pub fn authorize(&mut self, action: Action) -> Result<()> {
        if !self.actor.may_attempt(action) {
            return Err(Error::PasswordChangeRequired(self.actor.username.clone()));
        }
        if policy::allows(self.actor.principal, action) {
            return Ok(());
        }
        let denied = Change::new("action", Some(action.name()));
        self.commit_audited("access.denied", |w| w.record(denied))?;
        Err(Error::Denied {
            role: self.actor.principal.to_string(),
            action: action.description().to_owned(),
        })
    }

    /// Runs a read after the policy allows it.
    pub(crate) fn read<T>(
        &mut self,
        action: Action,
        f: impl FnOnce(&Session) -> Result<T>,
    ) -> Result<T> {
        self.authorize(action)?;
        f(self)
    }

    /// Runs a change in one transaction after the policy allows it. The closure must record
    /// at least one audit entry through [`WriteTx::record`]; the entries commit with the change.
    pub fn write<T>(
        &mut self,
        action: Action,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T>,
    ) -> Result<T> {
        self.authorize(action)?;
        self.commit_audited(action.name(), f)
    }

    pub(crate) fn commit_audited<T>(
        &mut self,
        action: &str,
        f: impl FnOnce(&mut WriteTx<'_>) -> Result<T>,
    ) -> Result<T> {
        let session_id = self.session_id.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let head = ChainHead::load(&tx)?;
        let mut w = WriteTx {
            tx,
            head,
            recorded: 0,
            action,
            author: Author {
                actor_id: self.actor.staff_id.as_deref(),
                actor_name: &self.actor.username,
                session_id: &session_id,
                key: &self.audit_key,
            },
            paths: &self.paths,
            vault_id: self.vault_id,
            keys: &self.keys,
            actor: &self.actor,
        };
        let value = f(&mut w)?;
        if w.recorded == 0 {
            return Err(Error::Internal(
                "a change was attempted without an audit entry",
            ));
        }
        self.anchor.pending = Some(w.commit()?);
        if self
            .anchor
            .moved_at
            .is_none_or(|t| t.elapsed() >= ANCHOR_INTERVAL)
        {
            // The change is committed; an anchor that fails to move now is moved by a later
            // write and shows as "unanchored" entries in `audit verify`, not as a failure.
            let _ = self.move_anchor();
        }
        Ok(value)
    }

    /// Moves the header's audit anchor to the newest entry this session wrote, if it is behind.
    pub fn move_anchor(&mut self) -> Result<()> {
        if let Some(head) = self.anchor.pending.take() {
            let moved = advance_anchor(self, &head);
            if moved.is_err() {
                self.anchor.pending = Some(head);
            }
            moved?;
            self.anchor.moved_at = Some(Instant::now());
        }
        Ok(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.move_anchor();
    }
}

/// Moves the header's audit anchor forward to `head` (never backwards: racing sessions
/// may finish in any order). A log with no anchor is anchored only by the session that
/// began it (a new vault): an anchor someone removed is never put back, so `audit verify`
/// keeps reporting the truncation it could hide.
fn advance_anchor(session: &Session, head: &ChainHead) -> Result<()> {
    let paths = &session.paths;
    let _lock = HeaderLock::acquire(&paths.lock_file())?;
    let mut header = Header::read(&paths.header())?;
    match &header.audit_anchor {
        Some(anchor) if anchor.count >= head.count => return Ok(()),
        Some(_) => {}
        None if others_wrote(&session.conn, &session.session_id)? => return Ok(()),
        None => {}
    }
    header.audit_anchor = Some(audit_chain::anchor_for(
        &session.audit_key,
        &session.vault_id,
        head,
    ));
    header.write(&paths.header())
}

/// Whether the log holds entries of sessions other than `session_id`.
fn others_wrote(conn: &Connection, session_id: &Uuid) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit_log WHERE session_id != ?1)",
        [session_id.to_string()],
        |r| r.get(0),
    )?)
}

/// A change in progress: the open transaction plus the audit chain's head.
#[derive(Debug)]
pub struct WriteTx<'s> {
    tx: rusqlite::Transaction<'s>,
    head: ChainHead,
    recorded: usize,
    action: &'s str,
    author: Author<'s>,
    paths: &'s VaultPaths,
    vault_id: Uuid,
    keys: &'s VaultKeys,
    actor: &'s Actor,
}

impl WriteTx<'_> {
    /// Commits the change with its audit entries; returns the chain's new head.
    fn commit(self) -> Result<ChainHead> {
        self.tx.commit()?;
        Ok(self.head)
    }

    /// Records what the change did, in the same transaction.
    pub fn record(&mut self, change: Change) -> Result<()> {
        self.record_as(self.action, change)
    }

    /// Records an entry under another action name (sign-in events flushed at unlock).
    pub(crate) fn record_as(&mut self, action: &str, change: Change) -> Result<()> {
        audit_chain::append(&self.tx, &self.author, &mut self.head, action, &change)?;
        self.recorded += 1;
        Ok(())
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.tx
    }

    /// The audit key (the chain conversion and the retention checkpoint MAC with it).
    pub(crate) fn audit_key(&self) -> &SecretKey {
        self.author.key
    }

    /// Reloads the chain head after the chain itself was rewritten in this transaction.
    pub(crate) fn reload_head(&mut self) -> Result<()> {
        self.head = ChainHead::load(&self.tx)?;
        Ok(())
    }

    /// The acting user's name, as recorded on the rows a change writes.
    pub(crate) fn actor_name(&self) -> &str {
        self.author.actor_name
    }

    /// Who is acting.
    pub(crate) fn actor(&self) -> &Actor {
        self.actor
    }

    /// The acting user's staff id (none for the recovery key).
    pub(crate) fn actor_id(&self) -> Option<&str> {
        self.author.actor_id
    }

    pub(crate) fn session_id(&self) -> &str {
        self.author.session_id
    }

    pub(crate) fn vault_id(&self) -> Uuid {
        self.vault_id
    }

    /// The vault's keys, which new key slots wrap.
    pub(crate) fn keys(&self) -> &VaultKeys {
        self.keys
    }

    /// Edits `header.json` under the header lock while the transaction is open. If the
    /// transaction then fails, the header change stands: callers order their work so that
    /// is harmless (see `accounts`).
    pub(crate) fn edit_header<T>(&self, f: impl FnOnce(&mut Header) -> Result<T>) -> Result<T> {
        edit_header(self.paths, f)
    }
}

/// Read-modify-write of the header under the cross-process lock.
pub(crate) fn edit_header<T>(
    paths: &VaultPaths,
    f: impl FnOnce(&mut Header) -> Result<T>,
) -> Result<T> {
    let _lock = HeaderLock::acquire(&paths.lock_file())?;
    let mut header = Header::read(&paths.header())?;
    let value = f(&mut header)?;
    header.write(&paths.header())?;
    Ok(value)
}
