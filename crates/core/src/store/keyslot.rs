//! Key slots: the vault's data key wrapped under a key-encryption key (KEK).
//!
//! A password slot's KEK is Argon2id(password, salt); the recovery slot's is HKDF of the
//! 256-bit recovery key. The wrapping is XChaCha20-Poly1305 whose associated data binds the
//! vault id, slot id, kind and KDF parameters, so a slot cannot be moved or weakened unseen.
//! The AEAD tag is also the password check: Tessera keeps no separate password hash.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::recovery::RecoveryKey;
use crate::crypto::{self, Argon2Params, KEY_LEN, OpenError, SecretKey};
use crate::error::{Error, Result};

/// The id of the one recovery slot.
pub const RECOVERY_SLOT_ID: &str = "recovery";
/// Failed attempts allowed before sign-in is delayed.
pub const FREE_ATTEMPTS: u32 = 5;
const FIRST_DELAY_MS: i64 = 30_000;
const MAX_DELAY_MS: i64 = 3_600_000;
const SALT_LEN: usize = 16;

/// What unlocks a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotKind {
    /// A staff account's password.
    Password,
    /// The recovery key shown at vault creation.
    Recovery,
}

/// How a slot's KEK is derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "alg", rename_all = "snake_case")]
pub enum SlotKdf {
    /// Argon2id over the password.
    Argon2id {
        /// Cost parameters.
        params: Argon2Params,
        /// Base64 salt.
        salt: String,
    },
    /// HKDF-SHA256 over the (already uniformly random) recovery key.
    HkdfSha256 {
        /// Base64 salt.
        salt: String,
    },
}

/// One wrapping of the data key, plus the slot's sign-in failure state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySlot {
    /// `SHA-256(vault id || lower(username))` in hex, or [`RECOVERY_SLOT_ID`].
    pub id: String,
    /// What unlocks it.
    pub kind: SlotKind,
    /// How its KEK is derived.
    pub kdf: SlotKdf,
    /// Base64 of the sealed data key.
    pub wrapped_key: String,
    /// Consecutive failed attempts.
    #[serde(default)]
    pub failed_attempts: u32,
    /// Time of the last failed attempt, unix milliseconds.
    #[serde(default)]
    pub last_failed_at: Option<i64>,
}

/// The slot id of a user name in a vault. Case-insensitive, reveals no name.
pub fn password_slot_id(vault_id: &Uuid, username: &str) -> String {
    let digest = crypto::sha256(&[vault_id.as_bytes(), username.to_lowercase().as_bytes()]);
    data_encoding::HEXLOWER.encode(&digest)
}

/// How long sign-in is refused after `failures` consecutive failures (30 s, doubling, at most 1 h).
pub fn lockout_delay_ms(failures: u32) -> Option<i64> {
    let over = failures.checked_sub(FREE_ATTEMPTS)?;
    Some((FIRST_DELAY_MS << over.min(8)).min(MAX_DELAY_MS))
}

impl KeySlot {
    /// Wraps `data_key` under a password.
    pub fn new_password(
        vault_id: &Uuid,
        username: &str,
        password: &str,
        params: Argon2Params,
        data_key: &SecretKey,
    ) -> Result<KeySlot> {
        let salt = crypto::random_bytes::<SALT_LEN>()?;
        let kdf = SlotKdf::Argon2id {
            params,
            salt: B64.encode(salt),
        };
        let kek = crypto::argon2id_key(password.as_bytes(), &salt, &params)?;
        Self::wrap(
            vault_id,
            password_slot_id(vault_id, username),
            SlotKind::Password,
            kdf,
            &kek,
            data_key,
        )
    }

    /// Wraps `data_key` under the recovery key.
    pub fn new_recovery(
        vault_id: &Uuid,
        recovery: &RecoveryKey,
        data_key: &SecretKey,
    ) -> Result<KeySlot> {
        let salt = crypto::random_bytes::<SALT_LEN>()?;
        let kek = recovery_kek(recovery, &salt);
        let kdf = SlotKdf::HkdfSha256 {
            salt: B64.encode(salt),
        };
        Self::wrap(
            vault_id,
            RECOVERY_SLOT_ID.to_owned(),
            SlotKind::Recovery,
            kdf,
            &kek,
            data_key,
        )
    }

    fn wrap(
        vault_id: &Uuid,
        id: String,
        kind: SlotKind,
        kdf: SlotKdf,
        kek: &SecretKey,
        data_key: &SecretKey,
    ) -> Result<KeySlot> {
        let mut slot = KeySlot {
            id,
            kind,
            kdf,
            wrapped_key: String::new(),
            failed_attempts: 0,
            last_failed_at: None,
        };
        let sealed = crypto::seal(kek, data_key.expose(), &slot.associated_data(vault_id))?;
        slot.wrapped_key = B64.encode(sealed);
        Ok(slot)
    }

    /// Unwraps the data key with a password. `Ok(None)` means the password is wrong.
    pub fn open_with_password(&self, vault_id: &Uuid, password: &str) -> Result<Option<SecretKey>> {
        let SlotKdf::Argon2id { params, salt } = &self.kdf else {
            return Err(Error::CorruptHeader(format!(
                "slot {} is not a password slot",
                self.id
            )));
        };
        let kek = crypto::argon2id_key(password.as_bytes(), &decode_salt(salt)?, params)?;
        self.unwrap_with(vault_id, &kek)
    }

    /// Unwraps the data key with the recovery key. `Ok(None)` means the key is wrong.
    pub fn open_with_recovery(
        &self,
        vault_id: &Uuid,
        recovery: &RecoveryKey,
    ) -> Result<Option<SecretKey>> {
        let SlotKdf::HkdfSha256 { salt } = &self.kdf else {
            return Err(Error::CorruptHeader(
                "the recovery slot has the wrong kind of KDF".into(),
            ));
        };
        self.unwrap_with(vault_id, &recovery_kek(recovery, &decode_salt(salt)?))
    }

    fn unwrap_with(&self, vault_id: &Uuid, kek: &SecretKey) -> Result<Option<SecretKey>> {
        let sealed = B64
            .decode(&self.wrapped_key)
            .map_err(|_| Error::CorruptHeader(format!("slot {} is not valid base64", self.id)))?;
        match crypto::open(kek, &sealed, &self.associated_data(vault_id)) {
            Ok(plain) => {
                let bytes: [u8; KEY_LEN] = plain.as_slice().try_into().map_err(|_| {
                    Error::CorruptHeader(format!(
                        "slot {} holds a key of the wrong length",
                        self.id
                    ))
                })?;
                Ok(Some(SecretKey::from_bytes(bytes)))
            }
            Err(OpenError::Forged) => Ok(None),
            Err(OpenError::Malformed) => Err(Error::CorruptHeader(format!(
                "slot {} holds a malformed wrapped key",
                self.id
            ))),
        }
    }

    /// Seconds until this slot accepts another attempt, if it is locked out at `now_ms`.
    pub fn locked_for_secs(&self, now_ms: i64) -> Option<u64> {
        let delay = lockout_delay_ms(self.failed_attempts)?;
        let until = self.last_failed_at? + delay;
        (now_ms < until).then(|| ((until - now_ms) as u64).div_ceil(1000))
    }

    pub(crate) fn record_failure(&mut self, now_ms: i64) {
        self.failed_attempts = self.failed_attempts.saturating_add(1);
        self.last_failed_at = Some(now_ms);
    }

    pub(crate) fn clear_failures(&mut self) -> bool {
        let had = self.failed_attempts > 0;
        self.failed_attempts = 0;
        self.last_failed_at = None;
        had
    }

    fn associated_data(&self, vault_id: &Uuid) -> Vec<u8> {
        let kdf = serde_json::to_string(&self.kdf).unwrap_or_default();
        let kind = match self.kind {
            SlotKind::Password => "password",
            SlotKind::Recovery => "recovery",
        };
        let mut aad = b"tessera-keyslot-v1\0".to_vec();
        for part in [
            vault_id.as_bytes().as_slice(),
            self.id.as_bytes(),
            kind.as_bytes(),
            kdf.as_bytes(),
        ] {
            aad.extend_from_slice(&(part.len() as u32).to_be_bytes());
            aad.extend_from_slice(part);
        }
        aad
    }

    #[cfg(test)]
    pub(crate) fn for_tests(id: &str) -> KeySlot {
        KeySlot {
            id: id.to_owned(),
            kind: SlotKind::Recovery,
            kdf: SlotKdf::HkdfSha256 {
                salt: B64.encode([0u8; SALT_LEN]),
            },
            wrapped_key: String::new(),
            failed_attempts: 0,
            last_failed_at: None,
        }
    }
}

fn recovery_kek(recovery: &RecoveryKey, salt: &[u8]) -> SecretKey {
    crypto::hkdf_key(recovery.key().expose(), salt, "tessera/v1/recovery-kek")
}

fn decode_salt(salt: &str) -> Result<Vec<u8>> {
    B64.decode(salt)
        .ok()
        .filter(|s| s.len() == SALT_LEN)
        .ok_or_else(|| Error::CorruptHeader("a key slot has a malformed salt".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VAULT: Uuid = Uuid::from_u128(42);

    #[test]
    fn slot_ids_ignore_case_and_hide_the_name() {
        let id = password_slot_id(&VAULT, "Alice");
        assert_eq!(id, password_slot_id(&VAULT, "alice"));
        assert_ne!(id, password_slot_id(&Uuid::from_u128(43), "alice"));
        assert!(!id.contains("alice"));
        assert_eq!(id.len(), 64);
    }

    #[test]
    fn lockout_starts_after_five_failures_and_doubles_to_an_hour() {
        assert_eq!(lockout_delay_ms(4), None);
        assert_eq!(lockout_delay_ms(5), Some(30_000));
        assert_eq!(lockout_delay_ms(6), Some(60_000));
        assert_eq!(lockout_delay_ms(12), Some(MAX_DELAY_MS));
        assert_eq!(lockout_delay_ms(u32::MAX), Some(MAX_DELAY_MS));
        let mut slot = KeySlot::for_tests("x");
        for _ in 0..5 {
            slot.record_failure(1_000_000);
        }
        assert_eq!(slot.locked_for_secs(1_000_000), Some(30));
        assert_eq!(slot.locked_for_secs(1_029_001), Some(1));
        assert_eq!(slot.locked_for_secs(1_030_000), None);
    }

    #[test]
    fn weakened_kdf_parameters_do_not_unwrap() {
        let dek = SecretKey::from_bytes([9; KEY_LEN]);
        let mut slot =
            KeySlot::new_password(&VAULT, "bob", "correct horse", Argon2Params::MINIMUM, &dek)
                .unwrap();
        if let SlotKdf::Argon2id { params, .. } = &mut slot.kdf {
            params.iterations += 1;
        }
        assert!(
            slot.open_with_password(&VAULT, "correct horse")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_slot_moved_to_another_vault_does_not_unwrap() {
        let dek = SecretKey::from_bytes([9; KEY_LEN]);
        let slot =
            KeySlot::new_password(&VAULT, "bob", "correct horse", Argon2Params::MINIMUM, &dek)
                .unwrap();
        assert!(
            slot.open_with_password(&Uuid::from_u128(7), "correct horse")
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_damaged_wrapped_key_is_a_corrupt_header() {
        let mut slot = KeySlot::for_tests("x");
        slot.wrapped_key = "!!!".into();
        let key = RecoveryKey::generate().unwrap();
        assert!(matches!(
            slot.open_with_recovery(&VAULT, &key),
            Err(Error::CorruptHeader(_))
        ));
    }

    proptest! {
        // Argon2 at its minimum cost is slow-ish: keep the case count modest.
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn password_wrap_unwrap_round_trips(dek in any::<[u8; 32]>(), user in "[a-z]{1,12}", pw in ".{1,40}", wrong in ".{1,40}") {
            let dek = SecretKey::from_bytes(dek);
            let slot = KeySlot::new_password(&VAULT, &user, &pw, Argon2Params::MINIMUM, &dek).unwrap();
            let back = slot.open_with_password(&VAULT, &pw).unwrap().unwrap();
            prop_assert_eq!(back.expose(), dek.expose());
            if wrong != pw {
                prop_assert!(slot.open_with_password(&VAULT, &wrong).unwrap().is_none());
            }
        }

        #[test]
        fn recovery_wrap_unwrap_round_trips(dek in any::<[u8; 32]>()) {
            let dek = SecretKey::from_bytes(dek);
            let key = RecoveryKey::generate().unwrap();
            let slot = KeySlot::new_recovery(&VAULT, &key, &dek).unwrap();
            let back = slot.open_with_recovery(&VAULT, &key).unwrap().unwrap();
            prop_assert_eq!(back.expose(), dek.expose());
            let other = RecoveryKey::generate().unwrap();
            prop_assert!(slot.open_with_recovery(&VAULT, &other).unwrap().is_none());
        }
    }
}
