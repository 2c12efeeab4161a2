//! The seal every page of an exported PDF carries in its footer: a QR code holding a
//! signed token (the access cards' format, `TS1:` + base45(COSE_Sign1), signed with the
//! vault's key) whose claims name the export and carry the SHA-256 of the document's
//! canonical content.
//!
//! **Canonical content.** The document's own bytes, with the seal's two regions blanked:
//! the token text (a PDF string in the seal image's dictionary, `/TesseraSeal (...)`) and
//! the seal image's pixels (an uncompressed 1-bit image stream). This is how PDF signatures
//! work (a byte range that leaves out the signature): the file is written with both regions
//! blank, hashed, and the regions are then filled in place, lengths unchanged. So any
//! changed byte anywhere else changes the hash; a changed byte in the token breaks its
//! signature; a changed pixel no longer matches the token. A photo of a printed page cannot
//! be hashed, but its QR still proves which export of which vault the page came from.
//!
//! The claims are a CWT-style map like an access token's, with claims of their own, so a
//! seal is refused as an access card and an access card as a seal: `iat` (6), `cti` (7,
//! the export id), the patient's human id (-65537), the content hash (-65539), the
//! export's kind (-65540) and who made it (-65541).

use ciborium::Value;
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};
use uuid::Uuid;

use crate::signing::{self, PublicKey, Signer25519, TokenProblem};

const ISSUED_AT: i64 = 6;
const EXPORT_ID: i64 = 7;
const PATIENT: i64 = -65_537;
const CONTENT_SHA256: i64 = -65_539;
const KIND: i64 = -65_540;
const ISSUER: i64 = -65_541;

/// The name that marks the seal image's dictionary entry holding the token.
pub(crate) const MARKER: &[u8] = b"/TesseraSeal";

/// Light modules around the code, as the QR standard asks.
const QUIET_ZONE: usize = 4;

/// What a seal's token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealClaims {
    /// The export (`cti`).
    pub export_id: Uuid,
    /// The patient's human id.
    pub patient: String,
    /// SHA-256 of the document's canonical content.
    pub content_sha256: [u8; 32],
    /// The export's kind.
    pub kind: String,
    /// Who made it (user name).
    pub issuer: String,
    /// When, unix seconds.
    pub issued_at: i64,
}

impl SealClaims {
    fn to_cbor(&self) -> Vec<u8> {
        signing::encode_claims(vec![
            (ISSUED_AT, self.issued_at.into()),
            (EXPORT_ID, Value::Bytes(self.export_id.as_bytes().to_vec())),
            (PATIENT, Value::Text(self.patient.clone())),
            (CONTENT_SHA256, Value::Bytes(self.content_sha256.to_vec())),
            (KIND, Value::Text(self.kind.clone())),
            (ISSUER, Value::Text(self.issuer.clone())),
        ])
    }

    fn from_cbor(bytes: &[u8]) -> Result<SealClaims, String> {
        let mut claims = signing::decode_claims(
            bytes,
            &[ISSUED_AT, EXPORT_ID, PATIENT, CONTENT_SHA256, KIND, ISSUER],
        )?;
        let mut text = |key: i64, name: &str| match claims.remove(&key) {
            Some(Value::Text(text)) if text.len() <= 128 => Ok(text),
            _ => Err(format!("the {name} claim is missing")),
        };
        let (patient, kind, issuer) = (
            text(PATIENT, "patient")?,
            text(KIND, "kind")?,
            text(ISSUER, "issuer")?,
        );
        let export_id = match claims.remove(&EXPORT_ID) {
            Some(Value::Bytes(b)) => Uuid::from_slice(&b).map_err(|_| "bad export id")?,
            _ => return Err("the export id claim is missing".into()),
        };
        let content_sha256 = match claims.remove(&CONTENT_SHA256) {
            Some(Value::Bytes(b)) => <[u8; 32]>::try_from(b.as_slice())
                .map_err(|_| "the content hash is not 32 bytes")?,
            _ => return Err("the content hash claim is missing".into()),
        };
        let issued_at = claims
            .remove(&ISSUED_AT)
            .and_then(|v| v.as_integer())
            .and_then(|i| i64::try_from(i).ok())
            .ok_or("the issued-at claim is missing")?;
        Ok(SealClaims {
            export_id,
            patient,
            content_sha256,
            kind,
            issuer,
            issued_at,
        })
    }

    /// Signs the claims into token text.
    pub(crate) fn sign(&self, signer: &Signer25519) -> String {
        signer.sign(self.to_cbor())
    }
}

/// Checks a seal's token against `key` and reads its claims.
pub(crate) fn open(token: &str, key: &PublicKey) -> Result<SealClaims, TokenProblem> {
    let payload = signing::open(token, key)?;
    SealClaims::from_cbor(&payload)
        .map_err(|why| TokenProblem::Malformed(format!("it is not a document seal ({why})")))
}

/// A seal image: a square 1-bit bitmap, one pixel per module, quiet zone included, rows
/// padded to whole bytes, 1 = light (as PDF's DeviceGray reads one-bit samples).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SealImage {
    /// Pixels on a side.
    pub(crate) side: u32,
    /// The packed rows.
    pub(crate) bits: Vec<u8>,
}

impl SealImage {
    /// The QR code of `token`: EC level Q (as access cards use), the text in one
    /// alphanumeric segment in the smallest version that holds it. One segment, rather
    /// than the shortest mix of segments, makes the code's size depend on the text's length
    /// alone, so the blank seal a document is written with has the signed seal's size.
    pub(crate) fn of(token: &str) -> Result<SealImage, String> {
        let code = (1..=40)
            .find_map(|v| {
                let mut bits = Bits::new(Version::Normal(v));
                bits.push_alphanumeric_data(token.as_bytes()).ok()?;
                bits.push_terminator(EcLevel::Q).ok()?;
                QrCode::with_bits(bits, EcLevel::Q).ok()
            })
            .ok_or("the seal does not fit in a QR code")?;
        let modules = code.width();
        let side = modules + 2 * QUIET_ZONE;
        let row_bytes = side.div_ceil(8);
        let mut bits = vec![0xffu8; row_bytes * side];
        for (i, color) in code.to_colors().into_iter().enumerate() {
            if color == Color::Dark {
                let (x, y) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
                bits[y * row_bytes + x / 8] &= !(0x80 >> (x % 8));
            }
        }
        // Padding bits at the end of each row stay light; they are never drawn.
        Ok(SealImage {
            side: u32::try_from(side).map_err(|_| "the seal is too large")?,
            bits,
        })
    }
}

/// Where a document's seal lies in its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SealRegions {
    /// The token text, between the parentheses.
    pub(crate) token: std::ops::Range<usize>,
    /// The image's pixel data.
    pub(crate) pixels: std::ops::Range<usize>,
}

impl SealRegions {
    /// Finds the seal in a PDF's bytes: the one `/TesseraSeal (...)` string, and the image
    /// stream after it, whose length follows from the token's (see [`SealImage::of`]).
    pub(crate) fn find(pdf: &[u8]) -> Result<SealRegions, String> {
        let not_sealed = "it carries no Tessera seal";
        let mut hits = memchr::memmem::find_iter(pdf, MARKER);
        let at = hits.next().ok_or(not_sealed)?;
        if hits.next().is_some() {
            return Err("it carries more than one seal".into());
        }
        let mut i = at + MARKER.len();
        while pdf.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if pdf.get(i) != Some(&b'(') {
            return Err(not_sealed.into());
        }
        let start = i + 1;
        let length = pdf[start..]
            .iter()
            .take(signing::MAX_TOKEN_CHARS + 1)
            .position(|&b| b == b')')
            .ok_or(not_sealed)?;
        let token = start..start + length;
        let image = SealImage::of(&"0".repeat(length)).map_err(|e| e.to_owned())?;
        let after = token.end;
        let keyword = memchr::memmem::find(&pdf[after..], b"stream")
            .map(|k| after + k + b"stream".len())
            .ok_or(not_sealed)?;
        let data = match pdf.get(keyword..keyword + 2) {
            Some(b"\r\n") => keyword + 2,
            Some([b'\n', _]) => keyword + 1,
            _ => return Err(not_sealed.into()),
        };
        let pixels = data..data + image.bits.len();
        if pdf.len() < pixels.end {
            return Err("it ends inside its seal".into());
        }
        Ok(SealRegions { token, pixels })
    }

    /// The document's canonical content: its bytes with both regions blanked.
    pub(crate) fn canonical_sha256(&self, pdf: &[u8]) -> [u8; 32] {
        let parts: [&[u8]; 5] = [
            &pdf[..self.token.start],
            &vec![BLANK_TOKEN_BYTE; self.token.len()],
            &pdf[self.token.end..self.pixels.start],
            &vec![BLANK_PIXEL_BYTE; self.pixels.len()],
            &pdf[self.pixels.end..],
        ];
        crate::crypto::sha256(&parts)
    }
}

/// What the token text is before it is filled in.
pub(crate) const BLANK_TOKEN_BYTE: u8 = b'0';
/// What the pixels are before they are filled in.
pub(crate) const BLANK_PIXEL_BYTE: u8 = 0;

/// Fills the regions of `pdf` (written blank) with the token and its image.
pub(crate) fn fill(pdf: &mut [u8], regions: &SealRegions, token: &str) -> Result<(), String> {
    let image = SealImage::of(token)?;
    if token.len() != regions.token.len() || image.bits.len() != regions.pixels.len() {
        return Err("the seal changed size between writing and signing".into());
    }
    pdf[regions.token.clone()].copy_from_slice(token.as_bytes());
    pdf[regions.pixels.clone()].copy_from_slice(&image.bits);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SecretKey;
    use proptest::prelude::*;

    fn claims(hash: [u8; 32]) -> SealClaims {
        SealClaims {
            export_id: Uuid::now_v7(),
            patient: "TS-7K3M-9Q2X".into(),
            content_sha256: hash,
            kind: "summary".into(),
            issuer: "amina".into(),
            issued_at: 1_790_000_000,
        }
    }

    proptest! {
        /// The seal's size is known before the content hash is: only the hash changes
        /// between the blank seal and the signed one, and it is always 32 bytes.
        #[test]
        fn the_signed_seal_has_the_blank_seals_size(hash in any::<[u8; 32]>(), issuer in "[a-z]{1,64}") {
            let signer = Signer25519::from_seed(&SecretKey::from_bytes([4; 32]));
            let mut blank = claims([0; 32]);
            blank.issuer = issuer;
            let signed = SealClaims { content_sha256: hash, ..blank.clone() };
            let (a, b) = (blank.sign(&signer), signed.sign(&signer));
            prop_assert_eq!(a.len(), b.len());
            prop_assert_eq!(SealImage::of(&a).unwrap().side, SealImage::of(&b).unwrap().side);
            prop_assert_eq!(open(&b, signer.public()), Ok(signed));
        }
    }

    #[test]
    fn an_access_card_is_not_accepted_as_a_document_seal() {
        let signer = Signer25519::from_seed(&SecretKey::from_bytes([5; 32]));
        let grant = crate::access::GrantClaims {
            grant_id: Uuid::now_v7(),
            patient: "TS-7K3M-9Q2X".into(),
            permissions: crate::access::Permissions::of(&[crate::access::Permission::Emergency])
                .unwrap(),
            issued_at: 1,
            expires_at: 2,
        };
        let token = signer.sign(grant.to_cbor());
        assert!(
            matches!(open(&token, signer.public()), Err(TokenProblem::Malformed(why)) if why.contains("not a document seal"))
        );
        let seal = claims([1; 32]).sign(&signer);
        let payload = signing::open(&seal, signer.public()).unwrap();
        assert!(crate::access::GrantClaims::from_cbor(&payload).is_err());
    }
}
