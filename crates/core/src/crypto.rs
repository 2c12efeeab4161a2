//! Cryptographic building blocks: secret keys, subkey derivation, sealing, Argon2id, MACs.
//!
//! Every ciphertext this module produces starts with a version byte, then the nonce, so the
//! format can evolve without guessing.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Length of every symmetric key in Tessera.
pub const KEY_LEN: usize = 32;
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// A 256-bit secret key, wiped from memory when dropped. The key material lives on the heap:
/// moving a key (or a `Session` holding keys) moves a pointer, and leaves no copy of the key
/// behind on the stack.
pub struct SecretKey(Box<Zeroizing<[u8; KEY_LEN]>>);

impl SecretKey {
    /// A fresh key from the operating system's CSPRNG, written straight into its place.
    pub fn random() -> Result<Self> {
        let mut key = Box::new(Zeroizing::new([0u8; KEY_LEN]));
        getrandom::fill(&mut key[..])
            .map_err(|_| Error::Crypto("the system random generator failed"))?;
        Ok(Self(key))
    }

    /// Wraps existing key material (which the caller should zeroize).
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Box::new(Zeroizing::new(bytes)))
    }

    /// A second copy, made heap to heap (no copy of the key passes through the stack).
    pub fn duplicate(&self) -> SecretKey {
        let mut copy = Box::new(Zeroizing::new([0u8; KEY_LEN]));
        copy.copy_from_slice(self.expose());
        SecretKey(copy)
    }

    /// The key material. Keep the borrow short.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Lower-case hex of the key, in a zeroizing string.
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(data_encoding::HEXLOWER.encode(self.expose()))
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// The purposes a vault's keys are split into. Each gets an independent subkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subkey {
    /// SQLCipher's raw database key.
    Database,
    /// Encryption of media blobs.
    Media,
    /// Sealing of the identity key in the header, once the data key has been replaced.
    IdentityWrap,
    /// MAC of each key slot's public parts, so a rekey wraps the new key only to slots
    /// this vault made.
    SlotMac,
    /// HMAC key of photo content fingerprints (duplicate detection).
    ContentMac,
    /// HMAC key of the audit chain and its header anchor.
    Audit,
    /// HMAC key for stored access codes.
    AccessCode,
    /// Seed of the Ed25519 signing key.
    Signing,
}

impl Subkey {
    fn label(self) -> &'static str {
        match self {
            Subkey::Database => "db",
            Subkey::Media => "media",
            Subkey::IdentityWrap => "identity-wrap",
            Subkey::SlotMac => "slot-mac",
            Subkey::ContentMac => "content-mac",
            Subkey::Audit => "audit",
            Subkey::AccessCode => "access-code",
            Subkey::Signing => "signing",
        }
    }

    /// Whether the subkey belongs to the data key, and so is replaced with it: those that
    /// encrypt what is stored, and those that vouch for the slots wrapping it. The others
    /// authenticate what the vault has already issued or recorded (cards, sealed documents,
    /// codes, the audit chain, fingerprints) and stay with the identity.
    fn belongs_to_data_key(self) -> bool {
        matches!(
            self,
            Subkey::Database | Subkey::Media | Subkey::IdentityWrap | Subkey::SlotMac
        )
    }
}

/// A vault's two root keys. The key slots wrap the data key, which `vault rekey` replaces;
/// the subkeys that encrypt come from it. The identity key roots the subkeys that
/// authenticate: it is the vault's first data key, kept (sealed under the current data key)
/// when the data key is replaced, so cards, seals and the audit chain stay valid.
pub struct VaultKeys {
    data: SecretKey,
    identity: SecretKey,
}

impl VaultKeys {
    /// The keys of a vault whose data key was never replaced: one key is both roots.
    pub fn first(data: SecretKey) -> VaultKeys {
        let identity = data.duplicate();
        VaultKeys { data, identity }
    }

    /// A data key with the identity key it carries.
    pub fn new(data: SecretKey, identity: SecretKey) -> VaultKeys {
        VaultKeys { data, identity }
    }

    /// The key the slots wrap.
    pub fn data(&self) -> &SecretKey {
        &self.data
    }

    /// The identity root (see [`VaultKeys`]).
    pub fn identity(&self) -> &SecretKey {
        &self.identity
    }

    /// A second copy, for a second connection or a worker.
    pub fn duplicate(&self) -> VaultKeys {
        VaultKeys::new(self.data.duplicate(), self.identity.duplicate())
    }

    /// A public commitment to the identity key, which key slots keep under their password:
    /// a slot opens only a vault with this identity, so nobody can hand a user a vault (or a
    /// backup) of their own making that the user's real password opens.
    pub fn identity_commitment(&self) -> [u8; 32] {
        sha256(&[b"tessera-identity-commitment-v1\0", self.identity.expose()])
    }

    /// The subkey for `purpose`, derived from the root it belongs to.
    pub fn subkey(&self, vault_id: &Uuid, purpose: Subkey) -> SecretKey {
        let root = if purpose.belongs_to_data_key() {
            &self.data
        } else {
            &self.identity
        };
        derive_subkey(root, vault_id, purpose)
    }
}

impl fmt::Debug for VaultKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VaultKeys(..)")
    }
}

/// Derives a purpose-bound subkey: HKDF-SHA256 with the vault id as salt.
fn derive_subkey(root: &SecretKey, vault_id: &Uuid, purpose: Subkey) -> SecretKey {
    let hkdf = Hkdf::<Sha256>::new(Some(vault_id.as_bytes()), root.expose());
    let mut out = Box::new(Zeroizing::new([0u8; KEY_LEN]));
    let info = format!("tessera/v1/{}", purpose.label());
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    hkdf.expand(info.as_bytes(), out.as_mut_slice())
        .unwrap_or_else(|_| unreachable!("HKDF output length is fixed and valid"));
    SecretKey(out)
}

/// HKDF-SHA256 of high-entropy input key material into a key, for the recovery slot.
pub fn hkdf_key(ikm: &[u8], salt: &[u8], info: &str) -> SecretKey {
    let hkdf = Hkdf::<Sha256>::new(Some(salt), ikm);
    let mut out = Box::new(Zeroizing::new([0u8; KEY_LEN]));
    hkdf.expand(info.as_bytes(), out.as_mut_slice())
        .unwrap_or_else(|_| unreachable!("HKDF output length is fixed and valid"));
    SecretKey(out)
}

/// Why [`open`] refused a sealed box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Too short or an unknown version byte.
    #[error("malformed sealed data")]
    Malformed,
    /// Wrong key, wrong associated data, or altered ciphertext.
    #[error("authentication failed")]
    Forged,
}

/// Encrypts with XChaCha20-Poly1305: `version || nonce || ciphertext+tag`.
pub fn seal(key: &SecretKey, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    let nonce_bytes = random_bytes::<NONCE_LEN>()?;
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce_bytes),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| Error::Crypto("encryption failed"))?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
    out.push(SEAL_VERSION);
    out.extend_from_slice(&nonce_bytes);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Decrypts what [`seal`] produced, checking the associated data.
pub fn open(
    key: &SecretKey,
    sealed: &[u8],
    aad: &[u8],
) -> std::result::Result<Zeroizing<Vec<u8>>, OpenError> {
    if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != SEAL_VERSION {
        return Err(OpenError::Malformed);
    }
    let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.expose().into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Forged)
}

/// Argon2id cost parameters, stored with every password key slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Argon2Params {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Argon2Params {
    /// The default for new vaults: 128 MiB, 4 passes, 1 lane. The first plan's 64 MiB x 3 took
    /// 0.135 s on the reference machine; this costs about 0.41 s, inside the 0.3-0.5 s target
    /// (see `cargo bench --bench vault`).
    pub const STANDARD: Argon2Params = Argon2Params {
        memory_kib: 128 * 1024,
        iterations: 4,
        parallelism: 1,
    };
    /// The floor (OWASP's minimum for Argon2id): 19 MiB, 2 passes, 1 lane. For slow machines and tests.
    pub const MINIMUM: Argon2Params = Argon2Params {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Refuses parameters below [`Argon2Params::MINIMUM`] or beyond what a desktop can afford.
    pub fn validate(&self) -> Result<()> {
        if self.memory_kib < Self::MINIMUM.memory_kib || self.memory_kib > 4 * 1024 * 1024 {
            return Err(Error::invalid(
                "argon2 memory",
                "must be between 19 MiB and 4096 MiB",
            ));
        }
        if self.iterations < Self::MINIMUM.iterations || self.iterations > 100 {
            return Err(Error::invalid("argon2 passes", "must be between 2 and 100"));
        }
        if self.parallelism == 0 || self.parallelism > 16 {
            return Err(Error::invalid("argon2 lanes", "must be between 1 and 16"));
        }
        Ok(())
    }
}

/// Derives a key-encryption key from a password with Argon2id.
pub fn argon2id_key(password: &[u8], salt: &[u8], params: &Argon2Params) -> Result<SecretKey> {
    params.validate()?;
    let argon_params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(KEY_LEN),
    )
    .map_err(|_| Error::invalid("argon2 parameters", "rejected by Argon2"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
    let mut out = Box::new(Zeroizing::new([0u8; KEY_LEN]));
    argon
        .hash_password_into(password, salt, out.as_mut_slice())
        .map_err(|_| Error::Crypto("Argon2id failed"))?;
    Ok(SecretKey(out))
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| Error::Crypto("the system random generator failed"))?;
    Ok(buf)
}

/// HMAC-SHA256 over the concatenation of `parts`.
pub fn hmac_sha256(key: &SecretKey, parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// SHA-256 over the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes([byte; KEY_LEN])
    }

    /// Someone reading a core file or swap for key bytes finds no stale copies left by moves:
    /// a key (and so a `Session`, which holds its keys this way) is a pointer to one heap copy,
    /// whose address a move keeps.
    #[test]
    fn moving_a_key_moves_a_pointer_and_leaves_no_copy_of_the_key() {
        assert_eq!(
            std::mem::size_of::<SecretKey>(),
            std::mem::size_of::<usize>()
        );
        let k = SecretKey::random().unwrap();
        let at = k.expose().as_ptr();
        let moved = Box::new(k);
        assert_eq!(moved.expose().as_ptr(), at);
    }

    /// A new data key changes every key that encrypts, and none that authenticates what the
    /// vault issued before (cards, seals, the audit chain).
    #[test]
    fn a_new_data_key_changes_the_encrypting_subkeys_only() {
        let vault = Uuid::from_u128(3);
        let first = VaultKeys::first(key(1));
        let rekeyed = VaultKeys::new(key(2), key(1));
        for purpose in [
            Subkey::Database,
            Subkey::Media,
            Subkey::IdentityWrap,
            Subkey::SlotMac,
        ] {
            assert_ne!(
                first.subkey(&vault, purpose).expose(),
                rekeyed.subkey(&vault, purpose).expose()
            );
        }
        for purpose in [
            Subkey::ContentMac,
            Subkey::Audit,
            Subkey::AccessCode,
            Subkey::Signing,
        ] {
            assert_eq!(
                first.subkey(&vault, purpose).expose(),
                rekeyed.subkey(&vault, purpose).expose()
            );
        }
    }

    #[test]
    fn sealed_box_has_version_and_nonce_and_refuses_tampering() {
        let k = key(7);
        let sealed = seal(&k, b"secret", b"aad").unwrap();
        assert_eq!(sealed[0], SEAL_VERSION);
        assert_eq!(sealed.len(), 1 + NONCE_LEN + 6 + TAG_LEN);
        assert_eq!(open(&k, &sealed, b"aad").unwrap().as_slice(), b"secret");
        assert_eq!(open(&k, &sealed, b"other"), Err(OpenError::Forged));
        assert_eq!(open(&key(8), &sealed, b"aad"), Err(OpenError::Forged));
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(open(&k, &flipped, b"aad"), Err(OpenError::Forged));
        let mut wrong_version = sealed.clone();
        wrong_version[0] = 2;
        assert_eq!(open(&k, &wrong_version, b"aad"), Err(OpenError::Malformed));
        assert_eq!(open(&k, &sealed[..20], b"aad"), Err(OpenError::Malformed));
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let k = key(1);
        let sealed = seal(&k, b"", b"").unwrap();
        assert!(open(&k, &sealed, b"").unwrap().is_empty());
    }

    #[test]
    fn subkeys_differ_by_purpose_and_vault() {
        let dek = key(3);
        let v1 = Uuid::from_u128(1);
        let v2 = Uuid::from_u128(2);
        let db = derive_subkey(&dek, &v1, Subkey::Database);
        let audit = derive_subkey(&dek, &v1, Subkey::Audit);
        let db_other_vault = derive_subkey(&dek, &v2, Subkey::Database);
        assert_ne!(db.expose(), audit.expose());
        assert_ne!(db.expose(), db_other_vault.expose());
        assert_eq!(
            db.expose(),
            derive_subkey(&dek, &v1, Subkey::Database).expose()
        );
    }

    #[test]
    fn argon2_parameters_below_the_floor_are_refused() {
        let weak = Argon2Params {
            memory_kib: 1024,
            ..Argon2Params::MINIMUM
        };
        assert!(matches!(
            argon2id_key(b"pw", &[0; 16], &weak),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn debug_output_hides_key_material() {
        assert_eq!(format!("{:?}", key(9)), "SecretKey(..)");
    }

    proptest! {
        #[test]
        fn seal_open_round_trips(k in any::<[u8; 32]>(), msg in proptest::collection::vec(any::<u8>(), 0..512), aad in proptest::collection::vec(any::<u8>(), 0..64)) {
            let k = SecretKey::from_bytes(k);
            let sealed = seal(&k, &msg, &aad).unwrap();
            let opened = open(&k, &sealed, &aad).unwrap();
            prop_assert_eq!(opened.as_slice(), msg.as_slice());
        }

        #[test]
        fn any_single_bit_flip_is_detected(k in any::<[u8; 32]>(), msg in proptest::collection::vec(any::<u8>(), 1..128), bit in any::<usize>()) {
            let k = SecretKey::from_bytes(k);
            let mut sealed = seal(&k, &msg, b"").unwrap();
            let bit = bit % (sealed.len() * 8);
            sealed[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(open(&k, &sealed, b"").is_err());
        }
    }
}
