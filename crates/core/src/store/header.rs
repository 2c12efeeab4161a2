//! `header.json`: the plain part of a vault. Format version, vault id, key slots, the audit
//! anchor and sign-in events waiting to be written into the audit log.
//!
//! Nothing in it names a person: password slots are found by a hash of the user name.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keyslot::KeySlot;
use crate::crypto::{self, Argon2Params, KEY_LEN, SecretKey, Subkey, VaultKeys};
use crate::error::{Error, Result};
use crate::fsutil;

/// The `format` string every header carries.
pub const FORMAT_NAME: &str = "tessera-vault";
/// The newest header format this build reads and writes. Version 2 added key slots with
/// key pairs and the sealed identity key; a header without either is still written as 1.
pub const FORMAT_VERSION: u64 = 2;
/// How many sign-in events the header keeps per key slot while nobody unlocks the vault to
/// record them. Per slot, so a flood of attempts on one (a decoy, locked out and cheap to
/// try) cannot push out the events of guesses on another.
const MAX_PENDING_EVENTS_PER_SLOT: usize = 100;

/// The parsed `header.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT_NAME`].
    pub format: String,
    /// Header format version; a newer one is refused.
    pub format_version: u64,
    /// Random id of this vault, also the HKDF salt of its subkeys.
    pub vault_id: Uuid,
    /// Creation time, RFC 3339.
    pub created_at: String,
    /// Argon2id parameters for new password slots.
    pub kdf_defaults: Argon2Params,
    /// The data key, wrapped once per active account and once for the recovery key.
    pub slots: Vec<KeySlot>,
    /// The identity key sealed under the data key (base64), once the data key has been
    /// replaced; absent while the first data key is both roots (see [`VaultKeys`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_key: Option<String>,
    /// Count and newest MAC of the audit chain, MAC'd, so truncation is detected.
    #[serde(default)]
    pub audit_anchor: Option<AuditAnchor>,
    /// Sign-in failures and lock-outs seen before the vault was unlocked, to be audited.
    #[serde(default)]
    pub pending_auth_events: Vec<AuthEvent>,
    /// Events dropped because a slot's queue was full; audited and reset at the next unlock.
    #[serde(default)]
    pub pending_auth_events_dropped: u64,
}

/// The audit chain's head, kept outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditAnchor {
    /// Number of entries in the chain.
    pub count: u64,
    /// Hex MAC of the newest entry.
    pub head: String,
    /// Hex HMAC(audit key, count, head): only the data key's holder can move the anchor.
    pub mac: String,
}

/// A sign-in event recorded before anyone could write to the (locked) audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthEvent {
    /// Unique id, so an event flushed twice by racing sessions can be told apart.
    pub id: Uuid,
    /// The key slot the attempt was against.
    pub slot_id: String,
    /// What happened.
    pub kind: AuthEventKind,
    /// When, unix milliseconds.
    pub at: i64,
    /// Consecutive failures on the slot after this event.
    pub failures: u32,
}

/// Kinds of [`AuthEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthEventKind {
    /// A wrong password or recovery key.
    LoginFailed,
    /// An attempt refused because the slot is locked out.
    LoginWhileLocked,
    /// A wrong password or recovery key given to open a backup of this vault.
    BackupAttemptFailed,
}

impl AuthEventKind {
    /// The audit action name for this event.
    pub fn action(self) -> &'static str {
        match self {
            AuthEventKind::LoginFailed => "auth.login_failed",
            AuthEventKind::LoginWhileLocked => "auth.login_refused_locked",
            AuthEventKind::BackupAttemptFailed => "auth.backup_password_failed",
        }
    }
}

impl Header {
    /// A header for a new vault, with no slots yet.
    pub(crate) fn new(vault_id: Uuid, created_at: String, kdf_defaults: Argon2Params) -> Self {
        Header {
            format: FORMAT_NAME.to_owned(),
            format_version: FORMAT_VERSION,
            vault_id,
            created_at,
            kdf_defaults,
            slots: Vec::new(),
            identity_key: None,
            audit_anchor: None,
            pending_auth_events: Vec::new(),
            pending_auth_events_dropped: 0,
        }
    }

    /// Reads and checks `header.json`. A damaged file or a newer format is a specific error.
    pub fn read(path: &Path) -> Result<Header> {
        let bytes =
            std::fs::read(path).map_err(Error::io(format!("cannot read {}", path.display())))?;
        Self::parse(&bytes)
    }

    /// Parses header bytes (see [`Header::read`]).
    pub fn parse(bytes: &[u8]) -> Result<Header> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::CorruptHeader(format!("not valid JSON ({e})")))?;
        if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT_NAME) {
            return Err(Error::CorruptHeader(
                "not a Tessera vault header (missing \"format\": \"tessera-vault\")".into(),
            ));
        }
        let version = value
            .get("format_version")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| Error::CorruptHeader("format_version is missing".into()))?;
        if version > FORMAT_VERSION {
            return Err(Error::FutureVersion {
                what: "header format",
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(Error::CorruptHeader("format_version 0 is not valid".into()));
        }
        let header: Header = serde_json::from_value(value)
            .map_err(|e| Error::CorruptHeader(format!("unexpected content ({e})")))?;
        if header.slots.is_empty() {
            return Err(Error::CorruptHeader("it holds no key slots".into()));
        }
        // Not authenticated, yet every new password slot takes its cost from it: a value
        // outside the bounds any Tessera writes (below OWASP's floor, say) is damage.
        header.kdf_defaults.validate().map_err(|e| {
            Error::CorruptHeader(format!(
                "its default key derivation cost is out of bounds ({e})"
            ))
        })?;
        Ok(header)
    }

    /// Writes the header atomically.
    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        let mut value =
            serde_json::to_value(self).map_err(|_| Error::Crypto("cannot serialise the header"))?;
        // Version 1 until something of version 2 is in it, so a vault an older Tessera
        // wrote stays readable by it until a slot is converted or the key replaced.
        let second_form =
            self.identity_key.is_some() || self.slots.iter().any(KeySlot::has_public_key);
        value["format_version"] = (if second_form { FORMAT_VERSION } else { 1 }).into();
        let mut bytes = serde_json::to_vec_pretty(&value)
            .map_err(|_| Error::Crypto("cannot serialise the header"))?;
        bytes.push(b'\n');
        fsutil::write_atomic(path, &bytes)
    }

    /// The vault's keys, given the data key a slot unwrapped.
    pub(crate) fn vault_keys(&self, data_key: SecretKey) -> Result<VaultKeys> {
        let Some(sealed) = &self.identity_key else {
            return Ok(VaultKeys::first(data_key));
        };
        let damaged = || Error::CorruptHeader("its sealed identity key does not open".into());
        let sealed = B64.decode(sealed).map_err(|_| damaged())?;
        let wrap =
            VaultKeys::first(data_key.duplicate()).subkey(&self.vault_id, Subkey::IdentityWrap);
        let plain = crypto::open(&wrap, &sealed, &self.identity_aad()).map_err(|_| damaged())?;
        let bytes: [u8; KEY_LEN] = plain.as_slice().try_into().map_err(|_| damaged())?;
        Ok(VaultKeys::new(data_key, SecretKey::from_bytes(bytes)))
    }

    /// Seals `keys`' identity key under its data key, for a header whose slots wrap that key.
    pub(crate) fn seal_identity(&mut self, keys: &VaultKeys) -> Result<()> {
        let wrap = keys.subkey(&self.vault_id, Subkey::IdentityWrap);
        let sealed = crypto::seal(&wrap, keys.identity().expose(), &self.identity_aad())?;
        self.identity_key = Some(B64.encode(sealed));
        Ok(())
    }

    fn identity_aad(&self) -> Vec<u8> {
        [
            b"tessera-identity-key-v1\0".as_slice(),
            self.vault_id.as_bytes(),
        ]
        .concat()
    }

    /// The slot with this id.
    pub fn slot(&self, id: &str) -> Option<&KeySlot> {
        self.slots.iter().find(|s| s.id == id)
    }

    pub(crate) fn slot_mut(&mut self, id: &str) -> Option<&mut KeySlot> {
        self.slots.iter_mut().find(|s| s.id == id)
    }

    /// Adds a slot, replacing any with the same id.
    pub(crate) fn put_slot(&mut self, slot: KeySlot) {
        self.slots.retain(|s| s.id != slot.id);
        self.slots.push(slot);
    }

    pub(crate) fn remove_slot(&mut self, id: &str) {
        self.slots.retain(|s| s.id != id);
    }

    pub(crate) fn push_auth_event(&mut self, event: AuthEvent) {
        let queued = self
            .pending_auth_events
            .iter()
            .filter(|e| e.slot_id == event.slot_id)
            .count();
        if queued >= MAX_PENDING_EVENTS_PER_SLOT {
            self.pending_auth_events_dropped += 1;
        } else {
            self.pending_auth_events.push(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rekeyed header gives back the identity key under the new data key, and refuses
    /// to under any other (an old data key, say).
    #[test]
    fn the_sealed_identity_key_opens_only_under_its_data_key() {
        let mut header = Header::new(
            Uuid::from_u128(8),
            "2026-01-01T00:00:00Z".into(),
            Argon2Params::MINIMUM,
        );
        let keys = VaultKeys::new(
            SecretKey::from_bytes([2; KEY_LEN]),
            SecretKey::from_bytes([1; KEY_LEN]),
        );
        header.seal_identity(&keys).unwrap();
        let back = header
            .vault_keys(SecretKey::from_bytes([2; KEY_LEN]))
            .unwrap();
        assert_eq!(back.identity().expose(), &[1; KEY_LEN]);
        assert!(matches!(
            header.vault_keys(SecretKey::from_bytes([1; KEY_LEN])),
            Err(Error::CorruptHeader(_))
        ));
        header.identity_key = None;
        let first = header
            .vault_keys(SecretKey::from_bytes([2; KEY_LEN]))
            .unwrap();
        assert_eq!(first.identity().expose(), &[2; KEY_LEN]);
    }

    fn sample() -> Header {
        let mut h = Header::new(
            Uuid::from_u128(5),
            "2026-01-01T00:00:00Z".into(),
            Argon2Params::MINIMUM,
        );
        h.put_slot(KeySlot::for_tests("recovery"));
        h
    }

    #[test]
    fn round_trips_through_json() {
        let h = sample();
        let parsed = Header::parse(&serde_json::to_vec(&h).unwrap()).unwrap();
        assert_eq!(parsed.vault_id, h.vault_id);
        assert_eq!(parsed.slots.len(), 1);
    }

    #[test]
    fn garbage_is_a_corrupt_header() {
        assert!(matches!(
            Header::parse(b"\x00\x01garbage"),
            Err(Error::CorruptHeader(_))
        ));
        assert!(matches!(
            Header::parse(b"{\"format\":\"zip\"}"),
            Err(Error::CorruptHeader(_))
        ));
        assert!(matches!(Header::parse(b""), Err(Error::CorruptHeader(_))));
    }

    #[test]
    fn newer_format_is_refused_with_versions() {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["format_version"] = serde_json::json!(FORMAT_VERSION + 1);
        match Header::parse(&serde_json::to_vec(&value).unwrap()) {
            Err(Error::FutureVersion {
                found, supported, ..
            }) => {
                assert_eq!((found, supported), (FORMAT_VERSION + 1, FORMAT_VERSION));
            }
            other => panic!("expected FutureVersion, got {other:?}"),
        }
    }

    #[test]
    fn a_header_without_slots_is_corrupt() {
        let mut h = sample();
        h.slots.clear();
        assert!(matches!(
            Header::parse(&serde_json::to_vec(&h).unwrap()),
            Err(Error::CorruptHeader(_))
        ));
    }

    #[test]
    fn pending_events_are_capped_per_slot() {
        let mut h = sample();
        let event = |i: usize, slot: &str| AuthEvent {
            id: Uuid::from_u128(i as u128),
            slot_id: slot.into(),
            kind: AuthEventKind::LoginFailed,
            at: 0,
            failures: 1,
        };
        for i in 0..(MAX_PENDING_EVENTS_PER_SLOT + 3) {
            h.push_auth_event(event(i, "decoy"));
        }
        h.push_auth_event(event(10_000, "target"));
        assert_eq!(h.pending_auth_events.len(), MAX_PENDING_EVENTS_PER_SLOT + 1);
        assert_eq!(h.pending_auth_events_dropped, 3);
        assert!(h.pending_auth_events.iter().any(|e| e.slot_id == "target"));
    }

    #[test]
    fn a_weakened_default_key_derivation_cost_is_refused() {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["kdf_defaults"]["memory_kib"] = serde_json::json!(8);
        let err = Header::parse(&serde_json::to_vec(&value).unwrap()).unwrap_err();
        assert!(matches!(err, Error::CorruptHeader(_)), "{err}");
    }
}
