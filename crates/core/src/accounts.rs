//! Staff accounts: who can sign in, in which role. Each active account owns one key slot.
//!
//! Header and database change together: an account's row and its slot. The order of each
//! operation is chosen so that a crash between the two leaves something safe: a slot whose
//! account row never committed opens nothing (sign-in finds no active account), and an
//! account whose slot was removed simply cannot sign in.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::audit_chain::Change;
use crate::clock;
use crate::crypto;
use crate::error::{Error, Result};
use crate::policy::{Action, Principal, Role};
use crate::session::{Actor, RECOVERY_ACTOR, Session, WriteTx};
use crate::store::keyslot::{self, KeySlot};

const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_BYTES: usize = 1024;
const RESERVED_NAMES: [&str; 3] = [RECOVERY_ACTOR, "recovery", "system"];

/// A staff account as shown to admins. Holds no secret.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffAccount {
    /// UUIDv7.
    pub id: String,
    /// Sign-in name (lower case).
    pub username: String,
    /// Full name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// `active` or `disabled`.
    pub status: String,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// When it was disabled, RFC 3339.
    pub disabled_at: Option<String>,
    /// Its password was chosen by someone else; it must be changed at the next sign-in.
    pub must_change_password: bool,
}

/// A new account's details.
#[derive(Debug, Clone)]
pub struct NewStaff<'a> {
    /// Sign-in name.
    pub username: &'a str,
    /// Full name (defaults to the user name when empty).
    pub display_name: &'a str,
    /// Role.
    pub role: Role,
    /// The first password is the admin's choice, to be replaced at the first sign-in (the
    /// app's accounts). The CLI's `user add` keeps its contract: the password is the user's.
    pub must_change_password: bool,
}

/// Characters of a temporary password: Crockford's base32 in lower case, which leaves out
/// the letters read as digits (i, l, o) since it is read off a screen and typed by someone
/// else. 32 characters, so a random byte modulo 32 is uniform.
const TEMPORARY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A password for an admin to hand over, which its owner must replace at the first sign-in:
/// four groups of four characters (80 bits), e.g. `hq7m-x3ke-pa9t-2nwc`.
pub fn temporary_password() -> Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(crypto::random_bytes::<16>()?);
    let mut password = Zeroizing::new(String::with_capacity(19));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            password.push('-');
        }
        password.push(char::from(TEMPORARY_ALPHABET[usize::from(b % 32)]));
    }
    Ok(password)
}

/// Checks and normalises a user name: 1-64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn validate_username(name: &str) -> Result<String> {
    let name = name.trim().to_lowercase();
    let ok_char =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
    if name.is_empty() || name.len() > 64 {
        return Err(Error::invalid("username", "must be 1 to 64 characters"));
    }
    if !name.chars().all(ok_char) || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            "username",
            "use letters a-z, digits, '.', '_' or '-', starting with a letter or digit",
        ));
    }
    if RESERVED_NAMES.contains(&name.as_str()) {
        return Err(Error::invalid("username", format!("{name:?} is reserved")));
    }
    Ok(name)
}

/// Checks a full name: 1-200 characters, no control characters.
pub fn validate_display_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::invalid(
            "display name",
            "must be 1 to 200 characters",
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(
            "display name",
            "must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// Checks a new password: at least 10 characters, not the user name.
pub fn validate_password(password: &str, username: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(
            "password",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    if password.trim().to_lowercase() == username.to_lowercase() {
        return Err(Error::invalid("password", "must not be the user name"));
    }
    Ok(())
}

/// Creates an account with its key slot.
pub fn add(session: &mut Session, new: &NewStaff<'_>, password: &str) -> Result<StaffAccount> {
    let username = validate_username(new.username)?;
    let display_name = if new.display_name.trim().is_empty() {
        username.clone()
    } else {
        validate_display_name(new.display_name)?
    };
    validate_password(password, &username)?;
    session.write(Action::StaffAdd, |w| {
        if find(w.conn(), &username)?.is_some() {
            return Err(Error::Conflict(format!(
                "a staff account named {username:?} already exists"
            )));
        }
        let slot_id = put_password_slot(w, &username, password)?;
        let id = Uuid::now_v7().to_string();
        let checked = NewStaff {
            username: &username,
            display_name: &display_name,
            ..*new
        };
        let account = insert_account(w, &id, &checked, &slot_id, clock::now_ms())?;
        w.record(Change::new("staff", Some(&id)).after(json!(account)))?;
        Ok(account)
    })
}

/// All accounts, by user name.
pub fn list(session: &mut Session) -> Result<Vec<StaffAccount>> {
    session.read(Action::StaffList, |s| {
        let mut stmt = s
            .conn
            .prepare(&format!("{SELECT_ACCOUNT} ORDER BY username"))?;
        let rows = stmt.query_map([], account_from_row)?;
        rows.map(|r| r?).collect()
    })
}

/// Sets an account's password (its own, or any for admins and the recovery key).
/// Re-wraps one key slot; no data is re-encrypted. Clears the slot's failed attempts.
/// Choosing one's own password lifts a required change; setting a colleague's leaves it as
/// it was (see [`reset_password`] to require one).
pub fn set_password(session: &mut Session, username: &str, new_password: &str) -> Result<()> {
    let username = validate_username(username)?;
    let own = session.actor().username == username && session.actor().staff_id.is_some();
    if own {
        replace_password(session, &username, new_password, Some(false))?;
        session.actor.must_change_password = false;
    } else {
        replace_password(session, &username, new_password, None)?;
    }
    Ok(())
}

/// Gives a colleague's account a password chosen for them (admins), which they must replace
/// at their next sign-in. Clears the slot's failed attempts, so it also lifts a lock-out.
pub fn reset_password(
    session: &mut Session,
    username: &str,
    new_password: &str,
) -> Result<StaffAccount> {
    let username = validate_username(username)?;
    if session.actor().username == username {
        return Err(Error::invalid(
            "username",
            "to change your own password, use the password change instead of a reset",
        ));
    }
    replace_password(session, &username, new_password, Some(true))
}

/// Puts a new password slot for an active account, setting its "must change" flag when
/// `must_change` says so.
fn replace_password(
    session: &mut Session,
    username: &str,
    new_password: &str,
    must_change: Option<bool>,
) -> Result<StaffAccount> {
    validate_password(new_password, username)?;
    let own = session.actor().username == username && session.actor().staff_id.is_some();
    let action = if own {
        Action::StaffSetOwnPassword
    } else {
        Action::StaffSetPassword
    };
    session.write(action, |w| {
        let account = require(w.conn(), username)?;
        if account.status != "active" {
            return Err(Error::Conflict(format!(
                "{username} is disabled; enable the account with a new password instead"
            )));
        }
        put_password_slot(w, username, new_password)?;
        let state = match must_change {
            Some(true) => "reset",
            _ => "changed",
        };
        if let Some(flag) = must_change {
            w.conn().execute(
                "UPDATE staff SET must_change_password = ?1, updated_at = ?2 WHERE id = ?3",
                params![flag, clock::now_ms(), account.id],
            )?;
        }
        w.record(Change::new("staff", Some(&account.id)).after(json!({ "password": state })))?;
        require(w.conn(), username)
    })
}

/// Disables an account and deletes its key slot. The last active admin cannot be disabled.
pub fn disable(
    session: &mut Session,
    username: &str,
    reason: Option<&str>,
) -> Result<StaffAccount> {
    let username = validate_username(username)?;
    session.write(Action::StaffDisable, |w| {
        let before = require(w.conn(), &username)?;
        if before.status != "active" {
            return Err(Error::Conflict(format!("{username} is already disabled")));
        }
        if before.role == Role::Admin && active_admins(w.conn())? <= 1 {
            return Err(Error::Conflict(format!("{username} is the last active admin and cannot be disabled")));
        }
        let now = clock::now_ms();
        w.conn().execute(
            "UPDATE staff SET status = 'disabled', slot_id = NULL, disabled_at = ?1, updated_at = ?1 WHERE id = ?2",
            params![now, before.id],
        )?;
        let after = require(w.conn(), &username)?;
        w.record(Change::new("staff", Some(&before.id)).before(json!(before)).after(json!(after)).reason(reason))?;
        let slot_id = keyslot::password_slot_id(&w.vault_id(), &username);
        w.edit_header(|h| {
            h.remove_slot(&slot_id);
            Ok(())
        })?;
        Ok(after)
    })
}

/// Re-enables a disabled account with a new password, which its owner must replace at the
/// first sign-in when `must_change_password` says so.
pub fn enable(
    session: &mut Session,
    username: &str,
    new_password: &str,
    must_change_password: bool,
) -> Result<StaffAccount> {
    let username = validate_username(username)?;
    validate_password(new_password, &username)?;
    session.write(Action::StaffEnable, |w| {
        let before = require(w.conn(), &username)?;
        if before.status == "active" {
            return Err(Error::Conflict(format!("{username} is already active")));
        }
        let slot_id = put_password_slot(w, &username, new_password)?;
        w.conn().execute(
            "UPDATE staff SET status = 'active', slot_id = ?1, disabled_at = NULL, \
             must_change_password = ?2, updated_at = ?3 WHERE id = ?4",
            params![slot_id, must_change_password, clock::now_ms(), before.id],
        )?;
        let after = require(w.conn(), &username)?;
        w.record(
            Change::new("staff", Some(&before.id))
                .before(json!(before))
                .after(json!(after)),
        )?;
        Ok(after)
    })
}

/// Wraps the data key under `password` for `username`, replacing any previous slot.
fn put_password_slot(w: &WriteTx<'_>, username: &str, password: &str) -> Result<String> {
    let vault_id = w.vault_id();
    w.edit_header(|h| {
        let slot = KeySlot::new_password(&vault_id, username, password, h.kdf_defaults, w.keys())?;
        let id = slot.id.clone();
        h.put_slot(slot);
        Ok(id)
    })
}

/// Inserts an account whose user name and full name are already checked.
pub(crate) fn insert_account(
    w: &WriteTx<'_>,
    id: &str,
    new: &NewStaff<'_>,
    slot_id: &str,
    now: i64,
) -> Result<StaffAccount> {
    w.conn().execute(
        "INSERT INTO staff (id, username, display_name, role, status, slot_id, \
         must_change_password, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, 'active', ?5, ?6, ?7, ?7)",
        params![
            id,
            new.username,
            new.display_name,
            new.role.as_str(),
            slot_id,
            new.must_change_password,
            now
        ],
    )?;
    require(w.conn(), new.username)
}

/// The actor behind a password slot, refusing disabled or unknown accounts.
pub(crate) fn actor_for_slot(conn: &Connection, slot_id: &str) -> Result<Actor> {
    let account = conn
        .query_row(
            &format!("{SELECT_ACCOUNT} WHERE slot_id = ?1 AND status = 'active'"),
            [slot_id],
            account_from_row,
        )
        .optional()?
        .transpose()?;
    let account = account.ok_or(Error::BadCredentials)?;
    Ok(Actor {
        staff_id: Some(account.id),
        username: account.username,
        principal: Principal::Staff(account.role),
        must_change_password: account.must_change_password,
    })
}

/// Map of key-slot id to staff id, for naming the accounts in queued sign-in events.
pub(crate) fn slot_owners(conn: &Connection) -> Result<HashMap<String, String>> {
    let mut stmt = conn.prepare("SELECT slot_id, id FROM staff WHERE slot_id IS NOT NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

const SELECT_ACCOUNT: &str = "SELECT id, username, display_name, role, status, created_at, \
     disabled_at, must_change_password FROM staff";

fn account_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<StaffAccount>> {
    let role: String = r.get(3)?;
    let disabled_at: Option<i64> = r.get(6)?;
    Ok(role.parse::<Role>().map(|role| StaffAccount {
        id: r.get(0).unwrap_or_default(),
        username: r.get(1).unwrap_or_default(),
        display_name: r.get(2).unwrap_or_default(),
        role,
        status: r.get(4).unwrap_or_default(),
        created_at: clock::to_rfc3339(r.get(5).unwrap_or_default()),
        disabled_at: disabled_at.map(clock::to_rfc3339),
        must_change_password: r.get(7).unwrap_or_default(),
    }))
}

fn find(conn: &Connection, username: &str) -> Result<Option<StaffAccount>> {
    conn.query_row(
        &format!("{SELECT_ACCOUNT} WHERE username = ?1"),
        [username],
        account_from_row,
    )
    .optional()?
    .transpose()
}

fn require(conn: &Connection, username: &str) -> Result<StaffAccount> {
    find(conn, username)?.ok_or_else(|| Error::NotFound {
        what: "staff account",
        id: username.to_owned(),
    })
}

fn active_admins(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM staff WHERE role = 'admin' AND status = 'active'",
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(validate_username("  Alice.Smith ").unwrap(), "alice.smith");
        for bad in [
            "",
            "-bob",
            "bob smith",
            "bøb",
            "recovery-key",
            &"a".repeat(65),
        ] {
            assert!(
                matches!(
                    validate_username(bad),
                    Err(Error::Invalid {
                        field: "username",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn passwords_must_be_long_and_not_the_username() {
        assert!(validate_password("short", "bob").is_err());
        assert!(validate_password("bobbybobby", "BobbyBobby").is_err());
        assert!(validate_password("a sound passphrase", "bob").is_ok());
        assert!(validate_password(&"x".repeat(2000), "bob").is_err());
    }

    #[test]
    fn temporary_passwords_are_four_groups_of_crockford_base32_and_pass_the_rules() {
        let a = temporary_password().unwrap();
        let b = temporary_password().unwrap();
        assert_ne!(*a, *b);
        let groups: Vec<&str> = a.split('-').collect();
        assert_eq!(groups.len(), 4);
        for group in groups {
            assert_eq!(group.len(), 4);
            assert!(group.bytes().all(|c| TEMPORARY_ALPHABET.contains(&c)));
        }
        assert!(validate_password(&a, "dan").is_ok());
    }

    #[test]
    fn display_names_refuse_control_characters() {
        assert!(validate_display_name("Dr. Ana Souza").is_ok());
        assert!(validate_display_name("Ana\u{0007}").is_err());
        assert!(validate_display_name("   ").is_err());
    }
}
