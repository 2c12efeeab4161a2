//! Key slots: the vault's data key wrapped under a key-encryption key (KEK).
//!
//! A password slot's KEK is Argon2id(password, salt); the recovery slot's is HKDF of the
//! 256-bit recovery key. The wrapping is XChaCha20-Poly1305 whose associated data binds the
//! vault id, slot id, kind and KDF parameters, so a slot cannot be moved or weakened unseen.
//! The AEAD tag is also the password check: Tessera keeps no separate password hash.
//!
//! A slot of the second form holds an age X25519 key pair of its own: the KEK seals its
//! secret key, and the data key is encrypted to its public key. Replacing the data key
//! (`vault rekey`) can then re-wrap every slot without anyone's password, while an old copy
//! of a slot still yields only its own day's data key. Setting a password makes a new pair,
//! so a password valid once but changed since opens nothing later. First-form slots (data
//! key sealed straight under the KEK) are converted at their next successful sign-in.

use age::secrecy::ExposeSecret;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::recovery::RecoveryKey;
use crate::crypto::{self, Argon2Params, KEY_LEN, OpenError, SecretKey, Subkey, VaultKeys};
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
    /// Base64 of the wrapped data key: sealed under the KEK (first form), or age-encrypted
    /// to [`KeySlot::public_key`].
    pub wrapped_key: String,
    /// The slot's own age public key (`age1…`), in the second form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// Base64 of the vault's identity commitment and the slot's age secret key, sealed under
    /// the KEK, in the second form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wrapped_secret: Option<String>,
    /// Hex HMAC of the slot's public parts under a subkey of the data key it wraps, in the
    /// second form: a rekey re-wraps only slots that carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_mac: Option<String>,
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
    /// Wraps `keys`' data key under a password.
    pub fn new_password(
        vault_id: &Uuid,
        username: &str,
        password: &str,
        params: Argon2Params,
        keys: &VaultKeys,
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
            keys,
        )
    }

    /// Wraps `keys`' data key under the recovery key.
    pub fn new_recovery(
        vault_id: &Uuid,
        recovery: &RecoveryKey,
        keys: &VaultKeys,
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
            keys,
        )
    }

    /// A second-form slot: a new key pair whose secret key (with the identity commitment)
    /// the KEK seals, the data key encrypted to its public key, and the slot MAC.
    fn wrap(
        vault_id: &Uuid,
        id: String,
        kind: SlotKind,
        kdf: SlotKdf,
        kek: &SecretKey,
        keys: &VaultKeys,
    ) -> Result<KeySlot> {
        let pair = age::x25519::Identity::generate();
        let mut slot = KeySlot {
            id,
            kind,
            kdf,
            wrapped_key: String::new(),
            public_key: Some(pair.to_public().to_string()),
            wrapped_secret: None,
            key_mac: None,
            failed_attempts: 0,
            last_failed_at: None,
        };
        let secret = pair.to_string();
        let plain = Zeroizing::new(
            [
                keys.identity_commitment().as_slice(),
                secret.expose_secret().as_bytes(),
            ]
            .concat(),
        );
        let sealed = crypto::seal(kek, &plain, &slot.associated_data(vault_id))?;
        slot.wrapped_secret = Some(B64.encode(sealed));
        slot.rewrap(vault_id, keys)?;
        Ok(slot)
    }

    /// This slot wrapping `keys`' data key instead, with no password: the data key is
    /// encrypted to the slot's public key, and the slot MAC made with the new key. A
    /// first-form slot has no public key and cannot be re-wrapped.
    pub(crate) fn rewrapped(&self, vault_id: &Uuid, keys: &VaultKeys) -> Result<KeySlot> {
        let mut slot = self.clone();
        slot.rewrap(vault_id, keys)?;
        Ok(slot)
    }

    fn rewrap(&mut self, vault_id: &Uuid, keys: &VaultKeys) -> Result<()> {
        self.wrapped_key = self.wrap_to_public(vault_id, keys.data())?;
        self.key_mac = Some(data_encoding::HEXLOWER.encode(&self.mac(vault_id, keys)));
        Ok(())
    }

    /// Whether the slot's public parts carry the MAC of `keys`' data key: a slot this vault
    /// made, not one planted in `header.json` to receive the next data key.
    pub(crate) fn made_by(&self, vault_id: &Uuid, keys: &VaultKeys) -> bool {
        self.public_key.is_some()
            && self.key_mac.as_deref().is_some_and(|mac| {
                data_encoding::HEXLOWER
                    .decode(mac.as_bytes())
                    .is_ok_and(|mac| crypto::ct_eq(&mac, &self.mac(vault_id, keys)))
            })
    }

    fn mac(&self, vault_id: &Uuid, keys: &VaultKeys) -> [u8; 32] {
        let key = keys.subkey(vault_id, Subkey::SlotMac);
        crypto::hmac_sha256(&key, &[&self.associated_data(vault_id)])
    }

    /// Whether the slot can be re-wrapped without its password.
    pub fn has_public_key(&self) -> bool {
        self.public_key.is_some()
    }

    fn wrap_to_public(&self, vault_id: &Uuid, data_key: &SecretKey) -> Result<String> {
        let recipient = self.recipient()?;
        let payload =
            Zeroizing::new([self.binding(vault_id).as_slice(), data_key.expose()].concat());
        let sealed = age::encrypt(&recipient, &payload)
            .map_err(|_| Error::Crypto("wrapping the data key to a key slot failed"))?;
        Ok(B64.encode(sealed))
    }

    fn recipient(&self) -> Result<age::x25519::Recipient> {
        self.public_key
            .as_deref()
            .and_then(|k| k.parse().ok())
            .ok_or_else(|| {
                Error::CorruptHeader(format!("slot {} has no valid public key", self.id))
            })
    }

    /// What the age payload starts with: a digest of the slot's identity, so a payload
    /// moved between slots or vaults is refused.
    fn binding(&self, vault_id: &Uuid) -> [u8; 32] {
        crypto::sha256(&[&self.associated_data(vault_id)])
    }

    /// Unwraps the data key with a password. `Ok(None)` means the password is wrong. The
    /// key is not checked against the vault's identity: that is [`KeySlot::open`]'s work.
    pub fn open_with_password(&self, vault_id: &Uuid, password: &str) -> Result<Option<SecretKey>> {
        let kek = self.password_kek(password)?;
        Ok(self.unwrap_with(vault_id, &kek)?.map(|(key, _)| key))
    }

    /// Unwraps the data key with the recovery key. `Ok(None)` means the key is wrong.
    pub fn open_with_recovery(
        &self,
        vault_id: &Uuid,
        recovery: &RecoveryKey,
    ) -> Result<Option<SecretKey>> {
        let kek = self.recovery_kek(recovery)?;
        Ok(self.unwrap_with(vault_id, &kek)?.map(|(key, _)| key))
    }

    /// Opens the slot with `secret` (`Ok(None)`: the wrong one): the data key, made into the
    /// vault's keys by `keys_of` (the header's identity key), which must match the identity
    /// the slot committed to. A first-form slot comes back converted to the second form, for
    /// the caller to store.
    pub(crate) fn open(
        &self,
        vault_id: &Uuid,
        secret: SlotSecret<'_>,
        keys_of: impl FnOnce(SecretKey) -> Result<VaultKeys>,
    ) -> Result<Option<Opened>> {
        let kek = match secret {
            SlotSecret::Password(password) => self.password_kek(password)?,
            SlotSecret::Recovery(key) => self.recovery_kek(key)?,
        };
        let Some((data_key, commitment)) = self.unwrap_with(vault_id, &kek)? else {
            return Ok(None);
        };
        let keys = keys_of(data_key)?;
        if let Some(commitment) = commitment
            && !crypto::ct_eq(&commitment, &keys.identity_commitment())
        {
            return Err(Error::CorruptHeader(format!(
                "slot {} belongs to another vault than these files",
                self.id
            )));
        }
        let converted = match self.has_public_key() {
            true => None,
            false => {
                let mut slot = Self::wrap(
                    vault_id,
                    self.id.clone(),
                    self.kind,
                    self.kdf.clone(),
                    &kek,
                    &keys,
                )?;
                slot.failed_attempts = self.failed_attempts;
                slot.last_failed_at = self.last_failed_at;
                Some(slot)
            }
        };
        Ok(Some(Opened { keys, converted }))
    }

    fn password_kek(&self, password: &str) -> Result<SecretKey> {
        let SlotKdf::Argon2id { params, salt } = &self.kdf else {
            return Err(Error::CorruptHeader(format!(
                "slot {} is not a password slot",
                self.id
            )));
        };
        crypto::argon2id_key(password.as_bytes(), &decode_salt(salt)?, params)
    }

    fn recovery_kek(&self, recovery: &RecoveryKey) -> Result<SecretKey> {
        let SlotKdf::HkdfSha256 { salt } = &self.kdf else {
            return Err(Error::CorruptHeader(
                "the recovery slot has the wrong kind of KDF".into(),
            ));
        };
        Ok(recovery_kek(recovery, &decode_salt(salt)?))
    }

    /// The data key under `kek`, with the identity commitment of a second-form slot.
    fn unwrap_with(
        &self,
        vault_id: &Uuid,
        kek: &SecretKey,
    ) -> Result<Option<(SecretKey, Option<[u8; 32]>)>> {
        let malformed =
            || Error::CorruptHeader(format!("slot {} holds a malformed wrapped key", self.id));
        let decode = |field: &str| {
            B64.decode(field)
                .map_err(|_| Error::CorruptHeader(format!("slot {} is not valid base64", self.id)))
        };
        let sealed = match &self.wrapped_secret {
            Some(secret) => decode(secret)?,
            None => decode(&self.wrapped_key)?,
        };
        let plain = match crypto::open(kek, &sealed, &self.associated_data(vault_id)) {
            Ok(plain) => plain,
            Err(OpenError::Forged) => return Ok(None),
            Err(OpenError::Malformed) => return Err(malformed()),
        };
        let (key, commitment) = match &self.wrapped_secret {
            None => (plain, None),
            Some(_) => {
                if plain.len() < 32 {
                    return Err(malformed());
                }
                let (commitment, secret) = plain.split_at(32);
                let pair: age::x25519::Identity = std::str::from_utf8(secret)
                    .ok()
                    .and_then(|text| text.parse().ok())
                    .ok_or_else(malformed)?;
                // The secret key opened under this password, so the slot is this account's:
                // a payload that then fails is damage or tampering, not a wrong password.
                let payload = Zeroizing::new(
                    age::decrypt(&pair, &decode(&self.wrapped_key)?).map_err(|_| malformed())?,
                );
                let binding = self.binding(vault_id);
                let key = match payload.strip_prefix(binding.as_slice()) {
                    Some(key) => Zeroizing::new(key.to_vec()),
                    None => return Err(malformed()),
                };
                let commitment: [u8; 32] = commitment.try_into().map_err(|_| malformed())?;
                (key, Some(commitment))
            }
        };
        let bytes: [u8; KEY_LEN] = key.as_slice().try_into().map_err(|_| {
            Error::CorruptHeader(format!("slot {} holds a key of the wrong length", self.id))
        })?;
        Ok(Some((SecretKey::from_bytes(bytes), commitment)))
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
        // The second form binds its public key too, so a slot's pair cannot be swapped.
        let version: &[u8] = match self.public_key {
            None => b"tessera-keyslot-v1\0",
            Some(_) => b"tessera-keyslot-v2\0",
        };
        let mut aad = version.to_vec();
        let parts = [
            vault_id.as_bytes().as_slice(),
            self.id.as_bytes(),
            kind.as_bytes(),
            kdf.as_bytes(),
        ];
        for part in parts
            .into_iter()
            .chain(self.public_key.as_deref().map(str::as_bytes))
        {
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
            public_key: None,
            wrapped_secret: None,
            key_mac: None,
            failed_attempts: 0,
            last_failed_at: None,
        }
    }
}

/// An opened slot: the vault's keys, and the slot converted to the second form when it
/// was of the first.
pub(crate) struct Opened {
    pub(crate) keys: VaultKeys,
    pub(crate) converted: Option<KeySlot>,
}

/// What opens a slot.
#[derive(Clone, Copy)]
pub(crate) enum SlotSecret<'a> {
    /// A password slot's password.
    Password(&'a str),
    /// The recovery key.
    Recovery(&'a RecoveryKey),
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

    fn keys(byte: u8) -> VaultKeys {
        VaultKeys::first(SecretKey::from_bytes([byte; KEY_LEN]))
    }

    fn bob(keys: &VaultKeys) -> KeySlot {
        KeySlot::new_password(&VAULT, "bob", "correct horse", Argon2Params::MINIMUM, keys).unwrap()
    }

    #[test]
    fn weakened_kdf_parameters_do_not_unwrap() {
        let mut slot = bob(&keys(9));
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
        let slot = bob(&keys(9));
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

    /// A first-form slot (as Tessera wrote before slots had key pairs), for the conversion.
    fn first_form(dek: &SecretKey, password: &str) -> KeySlot {
        let salt = [7u8; SALT_LEN];
        let mut slot = KeySlot {
            id: password_slot_id(&VAULT, "bob"),
            kind: SlotKind::Password,
            kdf: SlotKdf::Argon2id {
                params: Argon2Params::MINIMUM,
                salt: B64.encode(salt),
            },
            wrapped_key: String::new(),
            public_key: None,
            wrapped_secret: None,
            key_mac: None,
            failed_attempts: 2,
            last_failed_at: Some(5),
        };
        let kek = crypto::argon2id_key(password.as_bytes(), &salt, &Argon2Params::MINIMUM).unwrap();
        let sealed = crypto::seal(&kek, dek.expose(), &slot.associated_data(&VAULT)).unwrap();
        slot.wrapped_key = B64.encode(sealed);
        slot
    }

    fn open(slot: &KeySlot, password: &str) -> Result<Option<Opened>> {
        slot.open(&VAULT, SlotSecret::Password(password), |k| {
            Ok(VaultKeys::first(k))
        })
    }

    #[test]
    fn a_first_form_slot_opens_and_is_converted_to_one_that_can_be_rewrapped() {
        let dek = SecretKey::from_bytes([3; KEY_LEN]);
        let old = first_form(&dek, "pw one two");
        assert!(!old.has_public_key());
        let opened = open(&old, "pw one two").unwrap().unwrap();
        assert_eq!(opened.keys.data().expose(), dek.expose());
        let converted = opened.converted.unwrap();
        assert!(converted.made_by(&VAULT, &opened.keys));
        assert_eq!(
            (converted.failed_attempts, converted.last_failed_at),
            (2, Some(5))
        );
        let again = open(&converted, "pw one two").unwrap().unwrap();
        assert_eq!(again.keys.data().expose(), dek.expose());
        assert!(
            again.converted.is_none(),
            "a second-form slot is not converted again"
        );
        assert!(old.rewrapped(&VAULT, &opened.keys).is_err());
    }

    /// Someone who can write `header.json` puts their own public key into a colleague's
    /// slot, or a whole slot of their making, hoping the next rekey wraps the new key to it.
    #[test]
    fn a_planted_public_key_is_not_a_slot_this_vault_made() {
        let vault_keys = keys(4);
        let slot = bob(&vault_keys);
        assert!(slot.made_by(&VAULT, &vault_keys));
        let mut swapped = slot.clone();
        swapped.public_key = Some(age::x25519::Identity::generate().to_public().to_string());
        assert!(!swapped.made_by(&VAULT, &vault_keys));
        assert!(open(&swapped, "correct horse").unwrap().is_none());
        // A whole slot made with another data key, for the same account.
        let planted = bob(&keys(5));
        assert!(!planted.made_by(&VAULT, &vault_keys));
    }

    /// Someone who saw the header puts a data key of their own choosing into a colleague's
    /// slot (anyone can encrypt to its public key) and hands over a vault or backup made
    /// with it: the colleague's real password must not open it.
    #[test]
    fn a_data_key_of_someone_elses_choosing_does_not_open_with_the_real_password() {
        let genuine = keys(6);
        let slot = bob(&genuine);
        let forged = slot.rewrapped(&VAULT, &keys(7)).unwrap();
        let refused = forged.open(&VAULT, SlotSecret::Password("correct horse"), |k| {
            Ok(VaultKeys::first(k))
        });
        assert!(
            matches!(refused, Err(Error::CorruptHeader(_))),
            "{:?}",
            refused.err()
        );
        // The genuine slot re-wrapped to a new data key of the same vault opens.
        let rekeyed = VaultKeys::new(
            SecretKey::from_bytes([8; KEY_LEN]),
            genuine.identity().duplicate(),
        );
        let rewrapped = slot.rewrapped(&VAULT, &rekeyed).unwrap();
        let opened = rewrapped
            .open(&VAULT, SlotSecret::Password("correct horse"), |k| {
                Ok(VaultKeys::new(k, genuine.identity().duplicate()))
            })
            .unwrap()
            .unwrap();
        assert_eq!(opened.keys.data().expose(), &[8; KEY_LEN]);
    }

    /// A payload wrapped for one slot, copied into another slot with the same key pair, is
    /// refused rather than opened.
    #[test]
    fn a_wrapped_key_moved_to_another_slot_id_is_refused() {
        let vault_keys = keys(5);
        let slot = bob(&vault_keys);
        let mut moved = slot.clone();
        moved.wrapped_key = slot
            .rewrapped(&Uuid::from_u128(99), &vault_keys)
            .unwrap()
            .wrapped_key;
        assert!(matches!(
            moved.open_with_password(&VAULT, "correct horse"),
            Err(Error::CorruptHeader(_))
        ));
    }

    proptest! {
        // Argon2 at its minimum cost is slow-ish: keep the case count modest.
        #![proptest_config(ProptestConfig::with_cases(12))]
        #[test]
        fn password_wrap_unwrap_round_trips(dek in any::<[u8; 32]>(), user in "[a-z]{1,12}", pw in ".{1,40}", wrong in ".{1,40}") {
            let keys = VaultKeys::first(SecretKey::from_bytes(dek));
            let slot = KeySlot::new_password(&VAULT, &user, &pw, Argon2Params::MINIMUM, &keys).unwrap();
            let back = slot.open_with_password(&VAULT, &pw).unwrap().unwrap();
            prop_assert_eq!(back.expose(), &dek);
            if wrong != pw {
                prop_assert!(slot.open_with_password(&VAULT, &wrong).unwrap().is_none());
            }
        }

        /// Re-wrapping needs no password, and the password then opens the new key only.
        #[test]
        fn rewrapping_round_trips_without_the_password(old in any::<[u8; 32]>(), new in any::<[u8; 32]>(), pw in ".{1,40}") {
            let old = VaultKeys::first(SecretKey::from_bytes(old));
            let new = VaultKeys::new(SecretKey::from_bytes(new), old.identity().duplicate());
            let slot = KeySlot::new_password(&VAULT, "ana", &pw, Argon2Params::MINIMUM, &old).unwrap();
            let rewrapped = slot.rewrapped(&VAULT, &new).unwrap();
            prop_assert!(rewrapped.made_by(&VAULT, &new) && !rewrapped.made_by(&VAULT, &old));
            let opened = rewrapped.open_with_password(&VAULT, &pw).unwrap().unwrap();
            prop_assert_eq!(opened.expose(), new.data().expose());
            let opened = slot.open_with_password(&VAULT, &pw).unwrap().unwrap();
            prop_assert_eq!(opened.expose(), old.data().expose());
        }

        #[test]
        fn recovery_wrap_unwrap_round_trips(dek in any::<[u8; 32]>()) {
            let keys = VaultKeys::first(SecretKey::from_bytes(dek));
            let key = RecoveryKey::generate().unwrap();
            let slot = KeySlot::new_recovery(&VAULT, &key, &keys).unwrap();
            let back = slot.open_with_recovery(&VAULT, &key).unwrap().unwrap();
            prop_assert_eq!(back.expose(), &dek);
            let other = RecoveryKey::generate().unwrap();
            prop_assert!(slot.open_with_recovery(&VAULT, &other).unwrap().is_none());
        }
    }
}
