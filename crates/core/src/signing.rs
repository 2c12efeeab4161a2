//! The vault's signing key and the signed-token format that access QR codes (and, later,
//! documents) carry: `TS1:` + base45(COSE_Sign1), on the model of the EU Digital COVID
//! Certificate and MOSIP Claim 169, so that any COSE implementation given the public key
//! can check a token offline.
//!
//! - The key is Ed25519, derived from the vault's data key ([`crate::crypto::Subkey::Signing`]):
//!   it is never stored, and every copy of the vault (a restored backup included) signs
//!   with the same key.
//! - The key id is the first 8 bytes of SHA-256 of the public key. It travels in the
//!   protected header (`kid`, label 4), where COSE puts it, so it is signed with the payload.
//! - The algorithm (`alg`, label 1) is EdDSA (-8) and nothing else is accepted, so a token
//!   cannot ask to be checked some weaker way.
//! - base45 keeps the text inside the QR alphanumeric set (`TS1:` included), so the code
//!   is dense and a desk scanner that types into a keyboard does not mangle it.

use std::fmt;

use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use crate::crypto::{self, SecretKey};

/// What every token's text begins with.
pub const TOKEN_PREFIX: &str = "TS1:";

/// Longest token text accepted, well above what a QR code can hold: anything longer is not
/// ours, and is refused before it is decoded.
pub const MAX_TOKEN_CHARS: usize = 4_096;

/// A signing key's id: the first 8 bytes of SHA-256 of its public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&data_encoding::HEXLOWER.encode(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// A vault's public key, for checking its tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
    id: KeyId,
}

impl PublicKey {
    /// The key from its 32 raw bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<PublicKey> {
        let key = VerifyingKey::from_bytes(bytes).ok()?;
        Some(PublicKey::new(key))
    }

    fn new(key: VerifyingKey) -> PublicKey {
        let digest = crypto::sha256(&[key.as_bytes()]);
        let mut id = [0u8; 8];
        id.copy_from_slice(&digest[..8]);
        PublicKey { key, id: KeyId(id) }
    }

    /// The key id that tokens signed by this key carry.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The 32 raw bytes (the COSE_Key `x` parameter of an OKP Ed25519 key).
    pub fn to_bytes(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The key as a PEM SubjectPublicKeyInfo, which OpenSSL and most libraries read.
    pub fn to_pem(&self) -> String {
        self.key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_else(|_| unreachable!("an Ed25519 key always encodes as SPKI"))
    }
}

/// A vault's signing key. Dropped keys are wiped (ed25519-dalek zeroizes on drop).
#[derive(Debug)]
pub struct Signer25519 {
    key: SigningKey,
    public: PublicKey,
}

impl Signer25519 {
    /// The signing key whose seed is `seed` (the vault's signing subkey).
    pub fn from_seed(seed: &SecretKey) -> Signer25519 {
        let key = SigningKey::from_bytes(seed.expose());
        let public = PublicKey::new(key.verifying_key());
        Signer25519 { key, public }
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `payload` into token text: `TS1:` + base45(tagged COSE_Sign1).
    pub fn sign(&self, payload: Vec<u8>) -> String {
        let protected = HeaderBuilder::new()
            .algorithm(coset::iana::Algorithm::EdDSA)
            .key_id(self.public.id.0.to_vec())
            .build();
        let sign1 = CoseSign1Builder::new()
            .protected(protected)
            .payload(payload)
            .create_signature(&[], |data| self.key.sign(data).to_bytes().to_vec())
            .build();
        let bytes = sign1
            .to_tagged_vec()
            .unwrap_or_else(|_| unreachable!("a COSE_Sign1 built here always encodes"));
        format!("{TOKEN_PREFIX}{}", base45::encode(&bytes))
    }
}

/// A token's claims: a CBOR map with integer keys in the CWT style (RFC 8392), written in
/// the given order (keep it RFC 8949's deterministic order, shorter encodings first, so
/// the same claims always sign to the same token).
pub fn encode_claims(claims: Vec<(i64, ciborium::Value)>) -> Vec<u8> {
    let map = ciborium::Value::Map(claims.into_iter().map(|(k, v)| (k.into(), v)).collect());
    let mut out = Vec::with_capacity(128);
    ciborium::into_writer(&map, &mut out)
        .unwrap_or_else(|_| unreachable!("writing CBOR into a Vec cannot fail"));
    out
}

/// Reads a claim map back, refusing (with what it was) anything that is not a map of
/// `known` integer keys, each at most once. Which keys must be present is the caller's
/// to check.
pub fn decode_claims(
    bytes: &[u8],
    known: &[i64],
) -> Result<std::collections::BTreeMap<i64, ciborium::Value>, String> {
    let value: ciborium::Value =
        ciborium::from_reader(bytes).map_err(|_| "the claims are not CBOR")?;
    let ciborium::Value::Map(entries) = value else {
        return Err("the claims are not a map".into());
    };
    let mut claims = std::collections::BTreeMap::new();
    for (key, value) in entries {
        let key = key
            .as_integer()
            .and_then(|k| i64::try_from(k).ok())
            .ok_or("a claim has a key that is not a small integer")?;
        if !known.contains(&key) {
            return Err(format!("unknown claim {key}"));
        }
        if claims.insert(key, value).is_some() {
            return Err(format!("claim {key} appears twice"));
        }
    }
    Ok(claims)
}

/// Why a token was not accepted, before anything in the vault was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not a Tessera token at all, or damaged: the text says how.
    Malformed(String),
    /// Signed by a key this vault does not know (another vault's, or made up).
    UnknownKey(String),
    /// The key id is ours but the signature does not match: the token was changed.
    BadSignature,
}

impl fmt::Display for TokenProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenProblem::Malformed(why) => write!(f, "not a valid Tessera code: {why}"),
            TokenProblem::UnknownKey(id) => write!(
                f,
                "signed by another vault's key ({id}), not this one's; it cannot be checked here"
            ),
            TokenProblem::BadSignature => {
                f.write_str("the signature does not match: the code was altered or damaged")
            }
        }
    }
}

/// Parses token text into its COSE structure, refusing what is not an EdDSA-signed Tessera
/// token before anything is checked.
fn parse(text: &str) -> Result<CoseSign1, TokenProblem> {
    let malformed = |why: &str| TokenProblem::Malformed(why.to_owned());
    let text = text.trim();
    if text.len() > MAX_TOKEN_CHARS {
        return Err(malformed("far too long"));
    }
    let body = text
        .strip_prefix(TOKEN_PREFIX)
        .ok_or_else(|| malformed("it does not begin with TS1:"))?;
    let bytes = base45::decode(body).map_err(|_| malformed("it is not base45 text"))?;
    let sign1 = CoseSign1::from_tagged_slice(&bytes)
        .or_else(|_| CoseSign1::from_slice(&bytes))
        .map_err(|_| malformed("it is not a COSE_Sign1 structure"))?;
    let alg = sign1.protected.header.alg.as_ref();
    if alg
        != Some(&coset::RegisteredLabelWithPrivate::Assigned(
            coset::iana::Algorithm::EdDSA,
        ))
    {
        return Err(malformed("it is not signed with EdDSA"));
    }
    if sign1.payload.is_none() {
        return Err(malformed("it carries no content"));
    }
    Ok(sign1)
}

/// Checks token text against `key` and returns the signed payload.
pub fn open(text: &str, key: &PublicKey) -> Result<Vec<u8>, TokenProblem> {
    let sign1 = parse(text)?;
    let kid = &sign1.protected.header.key_id;
    if kid.as_slice() != key.id.0 {
        let shown = data_encoding::HEXLOWER.encode(&kid[..kid.len().min(16)]);
        return Err(TokenProblem::UnknownKey(if shown.is_empty() {
            "no key id".to_owned()
        } else {
            shown
        }));
    }
    sign1
        .verify_signature(&[], |signature, data| {
            let signature = Signature::from_slice(signature).map_err(|_| ())?;
            key.key.verify_strict(data, &signature).map_err(|_| ())
        })
        .map_err(|()| TokenProblem::BadSignature)?;
    Ok(sign1.payload.unwrap_or_default())
}

/// The payload of a token that carries its own public key (a vault's transfer identity),
/// unchecked: read the key from it, then [`open`] the token with that key. Proves only
/// that the token is whole; whose key it is, a person confirms by its fingerprint.
pub fn unverified_payload(text: &str) -> Result<Vec<u8>, TokenProblem> {
    Ok(parse(text)?.payload.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn signer(byte: u8) -> Signer25519 {
        Signer25519::from_seed(&SecretKey::from_bytes([byte; 32]))
    }

    proptest! {
        #[test]
        fn a_signed_payload_opens_to_itself(payload in proptest::collection::vec(any::<u8>(), 0..200)) {
            let s = signer(7);
            let token = s.sign(payload.clone());
            prop_assert!(token.starts_with(TOKEN_PREFIX));
            prop_assert_eq!(open(&token, s.public()), Ok(payload));
        }

        /// Whatever byte of the COSE structure is changed, to whatever value, the token is
        /// refused: the signature covers the header and payload, and the rest is structure.
        #[test]
        fn a_forger_who_changes_any_byte_is_refused(
            payload in proptest::collection::vec(any::<u8>(), 1..80),
            at in any::<prop::sample::Index>(),
            xor in 1u8..=255,
        ) {
            let s = signer(9);
            let token = s.sign(payload);
            let mut bytes = base45::decode(&token[TOKEN_PREFIX.len()..]).unwrap();
            let i = at.index(bytes.len());
            bytes[i] ^= xor;
            let forged = format!("{TOKEN_PREFIX}{}", base45::encode(&bytes));
            prop_assert!(open(&forged, s.public()).is_err());
        }
    }

    #[test]
    fn a_token_from_another_vault_is_refused_as_an_unknown_key() {
        let ours = signer(1);
        let theirs = signer(2);
        let token = theirs.sign(b"claims".to_vec());
        assert_eq!(
            open(&token, ours.public()),
            Err(TokenProblem::UnknownKey(theirs.public().id().to_string()))
        );
    }

    #[test]
    fn text_that_is_not_a_token_is_malformed_and_says_why() {
        let s = signer(3);
        for (text, why) in [
            ("hello", "TS1:"),
            ("TS1:~~~", "base45"),
            ("TS1:", "COSE_Sign1"),
            (
                &format!("TS1:{}", base45::encode(b"\x84\x40\xa0\xf6\x40")),
                "EdDSA",
            ),
        ] {
            match open(text, s.public()) {
                Err(TokenProblem::Malformed(message)) => {
                    assert!(message.contains(why), "{text}: {message}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(
            open(&"TS1:".repeat(2_000), s.public()),
            Err(TokenProblem::Malformed(_))
        ));
    }

    #[test]
    fn the_key_id_is_the_start_of_the_public_keys_digest_and_pem_reads_back() {
        let s = signer(4);
        let public = s.public();
        assert_eq!(public.id().0, crypto::sha256(&[&public.to_bytes()])[..8]);
        assert!(public.to_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(
            PublicKey::from_bytes(&public.to_bytes()).as_ref(),
            Some(public)
        );
    }
}
