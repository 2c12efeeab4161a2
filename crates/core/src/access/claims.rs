//! The claim set an access token signs: a CBOR map in the CWT style (RFC 8392), with the
//! registered claims `exp` (4), `iat` (6) and `cti` (7), and two private-use claims (below
//! -65536, as CWT reserves them): the patient's human id and the permission bits. It holds
//! no health data, so a lost card says only that this person had a grant.
//!
//! The issuing vault is named by the key id in the token's protected header.

use ciborium::Value;
use uuid::Uuid;

use super::permissions::Permissions;
use crate::signing;

const EXPIRES_AT: i64 = 4;
const ISSUED_AT: i64 = 6;
const GRANT_ID: i64 = 7;
const PATIENT: i64 = -65_537;
const PERMISSIONS: i64 = -65_538;

/// What an access token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantClaims {
    /// The grant (`cti`).
    pub grant_id: Uuid,
    /// The patient's human id, e.g. `TS-7K3M-9Q2X`.
    pub patient: String,
    /// The sections it opens.
    pub permissions: Permissions,
    /// Issued at, unix seconds (`iat`).
    pub issued_at: i64,
    /// Expires at, unix seconds (`exp`).
    pub expires_at: i64,
}

impl GrantClaims {
    /// The CBOR bytes, keys in the deterministic order of RFC 8949 §4.2.1 (shorter
    /// encodings first), so the same claims always sign to the same token.
    pub fn to_cbor(&self) -> Vec<u8> {
        signing::encode_claims(vec![
            (EXPIRES_AT, self.expires_at.into()),
            (ISSUED_AT, self.issued_at.into()),
            (GRANT_ID, Value::Bytes(self.grant_id.as_bytes().to_vec())),
            (PATIENT, Value::Text(self.patient.clone())),
            (PERMISSIONS, u64::from(self.permissions.bits()).into()),
        ])
    }

    /// Reads the claims back; anything missing, extra or of the wrong type is refused
    /// with what it was.
    pub fn from_cbor(bytes: &[u8]) -> Result<GrantClaims, String> {
        let mut claims = signing::decode_claims(
            bytes,
            &[EXPIRES_AT, ISSUED_AT, GRANT_ID, PATIENT, PERMISSIONS],
        )?;
        let (exp, iat, cti, patient, perms) = (
            claims.remove(&EXPIRES_AT),
            claims.remove(&ISSUED_AT),
            claims.remove(&GRANT_ID),
            claims.remove(&PATIENT),
            claims.remove(&PERMISSIONS),
        );
        let integer = |v: Option<Value>, name: &str| -> Result<i64, String> {
            v.and_then(|v| v.as_integer())
                .and_then(|i| i64::try_from(i).ok())
                .ok_or_else(|| format!("the {name} claim is missing or not an integer"))
        };
        let grant_id = match cti {
            Some(Value::Bytes(bytes)) => Uuid::from_slice(&bytes).map_err(|_| "bad grant id")?,
            _ => return Err("the grant id claim is missing".into()),
        };
        let patient = match patient {
            Some(Value::Text(text)) if text.len() <= 32 => text,
            _ => return Err("the patient claim is missing".into()),
        };
        let bits = integer(perms, "permissions")?;
        let permissions = u8::try_from(bits)
            .ok()
            .and_then(Permissions::from_bits)
            .ok_or("the permissions claim names unknown sections")?;
        Ok(GrantClaims {
            grant_id,
            patient,
            permissions,
            issued_at: integer(iat, "issued-at")?,
            expires_at: integer(exp, "expiry")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn claims_round_trip_through_cbor(
            id in any::<[u8; 16]>(),
            patient in "TS-[0-9A-Z]{4}-[0-9A-Z]{4}",
            bits in 1u8..64,
            issued_at in 0i64..4_000_000_000,
            valid_for in 3_600i64..2_592_001,
        ) {
            let claims = GrantClaims {
                grant_id: Uuid::from_bytes(id),
                patient,
                permissions: Permissions::from_bits(bits).unwrap(),
                issued_at,
                expires_at: issued_at + valid_for,
            };
            prop_assert_eq!(GrantClaims::from_cbor(&claims.to_cbor()), Ok(claims));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = GrantClaims::from_cbor(&bytes);
        }
    }

    #[test]
    fn a_claim_set_with_an_extra_or_missing_claim_is_refused() {
        let with = |entries: Vec<(Value, Value)>| {
            let mut out = Vec::new();
            ciborium::into_writer(&Value::Map(entries), &mut out).unwrap();
            GrantClaims::from_cbor(&out)
        };
        let missing = with(vec![(4.into(), 10.into())]).unwrap_err();
        assert!(missing.contains("missing"), "{missing}");
        let extra = with(vec![(99.into(), 1.into())]).unwrap_err();
        assert_eq!(extra, "unknown claim 99");
    }
}
