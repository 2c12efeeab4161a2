//! Passwords, passphrases and keys as the UI sends them. Tauri deserialises each argument
//! into a `String`; a [`Secret`] takes that string over (moved, not copied) and wipes it when
//! the command is done with it, as the CLI does with what it reads.

use std::fmt;
use std::ops::Deref;

use serde::Deserialize;
use tessera_core::archive::SecretString;
use ts_rs::TS;
use zeroize::Zeroizing;

/// A password or passphrase typed in the UI: wiped from memory when dropped, never printed.
#[derive(Deserialize, TS)]
#[serde(from = "String")]
pub struct Secret(#[ts(type = "string")] Zeroizing<String>);

impl From<String> for Secret {
    fn from(text: String) -> Secret {
        Secret(Zeroizing::new(text))
    }
}

impl Deref for Secret {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Secret {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// What core's age encryption takes: a second copy, which `SecretString` wipes in turn.
impl From<Secret> for SecretString {
    fn from(secret: Secret) -> SecretString {
        SecretString::from(secret.0.as_str())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_reads_as_the_string_it_was_sent_as_and_never_prints() {
        let secret: Secret = serde_json::from_str("\"correct horse battery\"").unwrap();
        assert_eq!(&*secret, "correct horse battery");
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }
}
