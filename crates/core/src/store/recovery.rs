//! The recovery key: 256 random bits shown once at vault creation, written down by a person.
//!
//! Displayed as base32 in groups of five, with a 16-bit checksum so a mistyped key is told
//! apart from a wrong one. Reading forgives case, spaces and dashes, and the digits people
//! confuse with letters of the alphabet (0/O, 1/I, 8/B).

use data_encoding::BASE32_NOPAD;
use zeroize::Zeroizing;

use crate::crypto::{self, KEY_LEN, SecretKey};
use crate::error::{Error, Result};

const CHECKSUM_LEN: usize = 2;
const GROUP: usize = 5;

/// A vault's recovery key.
#[derive(Debug)]
pub struct RecoveryKey(SecretKey);

impl RecoveryKey {
    /// A new random recovery key.
    pub fn generate() -> Result<Self> {
        Ok(Self(SecretKey::random()?))
    }

    pub(crate) fn key(&self) -> &SecretKey {
        &self.0
    }

    /// The key as people write it down: `ABCDE-FGHIJ-…` (11 groups).
    pub fn display(&self) -> Zeroizing<String> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(KEY_LEN + CHECKSUM_LEN));
        bytes.extend_from_slice(self.0.expose());
        bytes.extend_from_slice(&checksum(self.0.expose()));
        let encoded = Zeroizing::new(BASE32_NOPAD.encode(&bytes));
        let groups: Vec<&str> = encoded
            .as_bytes()
            .chunks(GROUP)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        Zeroizing::new(groups.join("-"))
    }

    /// Reads a key as typed by a person.
    pub fn parse(text: &str) -> Result<Self> {
        let cleaned: Zeroizing<String> = Zeroizing::new(
            text.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| match c.to_ascii_uppercase() {
                    '0' => 'O',
                    '1' => 'I',
                    '8' => 'B',
                    other => other,
                })
                .collect(),
        );
        if cleaned
            .chars()
            .any(|c| !(c.is_ascii_uppercase() || ('2'..='7').contains(&c)))
        {
            return Err(Error::MalformedRecoveryKey(
                "it contains characters that are not in a recovery key",
            ));
        }
        let bytes = Zeroizing::new(
            BASE32_NOPAD
                .decode(cleaned.as_bytes())
                .map_err(|_| Error::MalformedRecoveryKey("it has the wrong length"))?,
        );
        if bytes.len() != KEY_LEN + CHECKSUM_LEN {
            return Err(Error::MalformedRecoveryKey("it has the wrong length"));
        }
        let (key, sum) = bytes.split_at(KEY_LEN);
        if !crypto::ct_eq(sum, &checksum(key)) {
            return Err(Error::MalformedRecoveryKey(
                "a character is mistyped (checksum mismatch)",
            ));
        }
        let mut raw = [0u8; KEY_LEN];
        raw.copy_from_slice(key);
        Ok(Self(SecretKey::from_bytes(raw)))
    }
}

fn checksum(key: &[u8]) -> [u8; CHECKSUM_LEN] {
    let digest = crypto::sha256(&[b"tessera-recovery-checksum", key]);
    [digest[0], digest[1]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn display_is_eleven_groups_of_five() {
        let shown = RecoveryKey::generate().unwrap().display();
        let groups: Vec<&str> = shown.split('-').collect();
        assert_eq!(groups.len(), 11);
        assert!(groups.iter().all(|g| g.len() == GROUP));
    }

    #[test]
    fn a_single_typo_is_reported_as_malformed() {
        let key = RecoveryKey::generate().unwrap();
        let mut shown = key.display().to_string();
        let first = shown.remove(0);
        shown.insert(0, if first == 'A' { 'C' } else { 'A' });
        assert!(matches!(
            RecoveryKey::parse(&shown),
            Err(Error::MalformedRecoveryKey(_))
        ));
        assert!(matches!(
            RecoveryKey::parse("ABC"),
            Err(Error::MalformedRecoveryKey(_))
        ));
        assert!(matches!(
            RecoveryKey::parse("hello, world!"),
            Err(Error::MalformedRecoveryKey(_))
        ));
    }

    proptest! {
        #[test]
        fn display_parse_round_trips_with_sloppy_typing(raw in any::<[u8; 32]>(), lower in any::<bool>()) {
            let key = RecoveryKey(SecretKey::from_bytes(raw));
            let mut typed = key.display().replace('-', " ");
            if lower {
                typed = typed.to_lowercase().replace('o', "0").replace('i', "1").replace('b', "8");
            }
            let back = RecoveryKey::parse(&typed).unwrap();
            prop_assert_eq!(back.key().expose(), &raw);
        }
    }
}
