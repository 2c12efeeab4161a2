//! A receipt: the receiving vault's signed word that it holds everything the sender's
//! audit log named up to an entry. Small enough for a QR code (`TS1:` COSE, like access
//! cards), so a clinic can show it on screen to a field laptop's webcam, or write it to
//! the stick beside the bundle.

use ciborium::Value;
use uuid::Uuid;

use crate::error::{Error, Result, TransferRefusal};
use crate::signing::{self, PublicKey, Signer25519};

const ISSUED_AT: i64 = 6;
const FROM_VAULT: i64 = -65_611;
const TO_VAULT: i64 = -65_612;
const RECEIVED_TO: i64 = -65_613;
const BUNDLE: i64 = -65_614;
const KNOWN: [i64; 5] = [ISSUED_AT, FROM_VAULT, TO_VAULT, RECEIVED_TO, BUNDLE];

/// What a receipt says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptClaims {
    /// The vault that imported and writes the receipt.
    pub from_vault: Uuid,
    /// The vault whose bundles it confirms.
    pub to_vault: Uuid,
    /// The entry of `to_vault`'s audit log up to which `from_vault` holds everything.
    pub received_to: u64,
    /// The newest bundle number imported.
    pub bundle: u64,
    /// Unix seconds.
    pub issued_at: i64,
}

impl ReceiptClaims {
    pub(crate) fn sign(&self, signer: &Signer25519) -> String {
        signer.sign(signing::encode_claims(vec![
            (ISSUED_AT, self.issued_at.into()),
            (
                FROM_VAULT,
                Value::Bytes(self.from_vault.as_bytes().to_vec()),
            ),
            (TO_VAULT, Value::Bytes(self.to_vault.as_bytes().to_vec())),
            (RECEIVED_TO, self.received_to.into()),
            (BUNDLE, self.bundle.into()),
        ]))
    }

    /// The claims without checking the signature: to find whose key checks it.
    pub(crate) fn peek(token: &str) -> Result<ReceiptClaims> {
        let payload = signing::unverified_payload(token).map_err(refused)?;
        ReceiptClaims::from_cbor(&payload)
    }

    /// The claims of a receipt signed by `key`.
    pub(crate) fn open(token: &str, key: &PublicKey) -> Result<ReceiptClaims> {
        let payload = signing::open(token, key).map_err(refused)?;
        ReceiptClaims::from_cbor(&payload)
    }

    fn from_cbor(bytes: &[u8]) -> Result<ReceiptClaims> {
        let bad = |why: &str| Error::BundleRefused(TransferRefusal::NotReceipt(why.to_owned()));
        let mut claims = signing::decode_claims(bytes, &KNOWN).map_err(|why| bad(&why))?;
        let mut vault = |key| match claims.remove(&key) {
            Some(Value::Bytes(b)) => Uuid::from_slice(&b).map_err(|_| bad("a vault id is damaged")),
            _ => Err(bad("a vault id is missing")),
        };
        let (from_vault, to_vault) = (vault(FROM_VAULT)?, vault(TO_VAULT)?);
        let mut number = |key| {
            claims
                .remove(&key)
                .and_then(|v| v.as_integer())
                .and_then(|i| u64::try_from(i).ok())
                .ok_or_else(|| bad("a number is missing"))
        };
        Ok(ReceiptClaims {
            from_vault,
            to_vault,
            received_to: number(RECEIVED_TO)?,
            bundle: number(BUNDLE)?,
            issued_at: number(ISSUED_AT)? as i64,
        })
    }
}

fn refused(problem: signing::TokenProblem) -> Error {
    Error::BundleRefused(TransferRefusal::NotReceipt(problem.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretKey;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_receipt_reads_back_as_signed(received_to in 0u64..u64::MAX / 2, bundle in 0u64..1_000_000, at in 0i64..4_000_000_000) {
            let signer = Signer25519::from_seed(&SecretKey::from_bytes([8; 32]));
            let claims = ReceiptClaims {
                from_vault: Uuid::now_v7(),
                to_vault: Uuid::now_v7(),
                received_to,
                bundle,
                issued_at: at,
            };
            let token = claims.sign(&signer);
            prop_assert_eq!(ReceiptClaims::open(&token, signer.public()).unwrap(), claims.clone());
            prop_assert_eq!(ReceiptClaims::peek(&token).unwrap(), claims);
        }
    }

    #[test]
    fn a_receipt_signed_by_another_vault_is_refused() {
        let clinic = Signer25519::from_seed(&SecretKey::from_bytes([1; 32]));
        let forger = Signer25519::from_seed(&SecretKey::from_bytes([2; 32]));
        let token = ReceiptClaims {
            from_vault: Uuid::now_v7(),
            to_vault: Uuid::now_v7(),
            received_to: 10,
            bundle: 1,
            issued_at: 0,
        }
        .sign(&forger);
        assert!(matches!(
            ReceiptClaims::open(&token, clinic.public()),
            Err(Error::BundleRefused(_))
        ));
    }
}
