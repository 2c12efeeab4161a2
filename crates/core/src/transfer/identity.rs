//! A vault's transfer identity: the age X25519 key bundles to it are encrypted to, and the
//! Ed25519 key its bundles and receipts are signed with (the vault's signing key). It is
//! published as a self-signed token in the access-token format (`TS1:` + base45 COSE), so
//! it fits a QR code and a desk scanner reads it like a card; a person confirms whose it
//! is by the fingerprint both screens show before pairing.
//!
//! The age secret key is made at the first use and kept in `vault_meta`, inside the
//! encrypted database: a restored backup keeps it, a rekey re-encrypts it with the rest.

use age::secrecy::ExposeSecret;
use ciborium::Value;
use rusqlite::{Connection, OptionalExtension};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::signing::{self, PublicKey, Signer25519, TokenProblem};

const META_KEY: &str = "transfer_identity";

const VAULT: i64 = -65_601;
const RECIPIENT: i64 = -65_602;
const VERIFY_KEY: i64 = -65_603;

/// What a vault publishes so another can pair with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityClaims {
    /// The vault's id.
    pub vault_id: Uuid,
    /// Its age X25519 public key (`age1…`): bundles to it are encrypted to this.
    pub recipient: String,
    /// Its Ed25519 public key: its bundles and receipts are signed with this.
    pub verify_key: PublicKey,
}

impl IdentityClaims {
    /// Signs the claims into token text with `signer` (whose public key they carry).
    pub(crate) fn sign(&self, signer: &Signer25519) -> String {
        signer.sign(signing::encode_claims(vec![
            (VAULT, Value::Bytes(self.vault_id.as_bytes().to_vec())),
            (RECIPIENT, Value::Text(self.recipient.clone())),
            (
                VERIFY_KEY,
                Value::Bytes(self.verify_key.to_bytes().to_vec()),
            ),
        ]))
    }

    /// Reads an identity token, checking it is whole and signed by the key it carries.
    pub fn open(text: &str) -> std::result::Result<IdentityClaims, TokenProblem> {
        let malformed = |why: &str| TokenProblem::Malformed(why.to_owned());
        let payload = signing::unverified_payload(text)?;
        let mut claims = signing::decode_claims(&payload, &[VAULT, RECIPIENT, VERIFY_KEY])
            .map_err(|why| TokenProblem::Malformed(format!("not a transfer identity: {why}")))?;
        let vault_id = match claims.remove(&VAULT) {
            Some(Value::Bytes(b)) => Uuid::from_slice(&b).map_err(|_| malformed("bad vault id"))?,
            _ => return Err(malformed("not a transfer identity: no vault id")),
        };
        let recipient = match claims.remove(&RECIPIENT) {
            Some(Value::Text(t)) if crate::archive::parse_recipient(&t).is_ok() => t,
            _ => return Err(malformed("not a transfer identity: no age public key")),
        };
        let verify_key = match claims.remove(&VERIFY_KEY) {
            Some(Value::Bytes(b)) => <[u8; 32]>::try_from(b.as_slice())
                .ok()
                .and_then(|b| PublicKey::from_bytes(&b))
                .ok_or_else(|| malformed("its signing key is not an Ed25519 key"))?,
            _ => return Err(malformed("not a transfer identity: no signing key")),
        };
        signing::open(text, &verify_key)?;
        Ok(IdentityClaims {
            vault_id,
            recipient,
            verify_key,
        })
    }
}

/// The fingerprint people compare before pairing: the signing key's id, in groups of four.
pub fn fingerprint(key: &PublicKey) -> String {
    let hex = key.id().to_string().to_uppercase();
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// This vault's age secret key, if it has published an identity.
pub(crate) fn stored_age_identity(conn: &Connection) -> Result<Option<age::x25519::Identity>> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM vault_meta WHERE key = ?1",
            [META_KEY],
            |r| r.get(0),
        )
        .optional()?;
    stored
        .map(|text| {
            let text = zeroize::Zeroizing::new(text);
            text.parse().map_err(|_| {
                Error::CorruptDatabase("the stored transfer key is not an age key".into())
            })
        })
        .transpose()
}

/// This vault's age secret key, made and stored on first use.
fn age_identity(conn: &Connection) -> Result<age::x25519::Identity> {
    if let Some(identity) = stored_age_identity(conn)? {
        return Ok(identity);
    }
    let identity = age::x25519::Identity::generate();
    conn.execute(
        "INSERT INTO vault_meta (key, value) VALUES (?1, ?2)",
        rusqlite::params![META_KEY, identity.to_string().expose_secret()],
    )?;
    Ok(identity)
}

/// This vault's identity claims.
pub(crate) fn own(
    conn: &Connection,
    vault_id: Uuid,
    signer: &Signer25519,
) -> Result<IdentityClaims> {
    Ok(IdentityClaims {
        vault_id,
        recipient: age_identity(conn)?.to_public().to_string(),
        verify_key: signer.public().clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretKey;

    fn claims(signer: &Signer25519) -> IdentityClaims {
        IdentityClaims {
            vault_id: Uuid::now_v7(),
            recipient: age::x25519::Identity::generate().to_public().to_string(),
            verify_key: signer.public().clone(),
        }
    }

    #[test]
    fn an_identity_reads_back_as_it_was_signed() {
        let signer = Signer25519::from_seed(&SecretKey::from_bytes([3; 32]));
        let claims = claims(&signer);
        assert_eq!(IdentityClaims::open(&claims.sign(&signer)), Ok(claims));
    }

    #[test]
    fn an_identity_carrying_someone_elses_key_is_refused() {
        let ours = Signer25519::from_seed(&SecretKey::from_bytes([3; 32]));
        let attacker = Signer25519::from_seed(&SecretKey::from_bytes([4; 32]));
        // The attacker signs claims naming our key, hoping to be trusted as us.
        let token = claims(&ours).sign(&attacker);
        assert!(matches!(
            IdentityClaims::open(&token),
            Err(TokenProblem::UnknownKey(_))
        ));
    }

    #[test]
    fn the_fingerprint_is_the_key_id_in_groups_of_four() {
        let signer = Signer25519::from_seed(&SecretKey::from_bytes([5; 32]));
        let shown = fingerprint(signer.public());
        assert_eq!(shown.len(), 19);
        assert_eq!(
            shown.replace(' ', "").to_lowercase(),
            signer.public().id().to_string()
        );
    }
}
