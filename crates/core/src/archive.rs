//! Files that leave the vault (backups, subject access exports): how they are encrypted
//! with `age` (a passphrase or public keys) and opened again, the tar header of their
//! members, and a writer that hashes what it writes.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::Path;

use age::secrecy::ExposeSecret;
pub use age::secrecy::SecretString;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The fewest characters a new passphrase (a backup's, an export's) may have: age's scrypt makes each guess
/// cost about a second, which does not save a short passphrase.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// Refuses a passphrase too short for a new backup, the schedule or an encrypted export.
pub fn check_new_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::invalid(
            "passphrase",
            format!("use at least {MIN_PASSPHRASE_CHARS} characters"),
        ));
    }
    Ok(())
}

/// How a new backup or export is encrypted.
pub enum Encryption {
    /// To a passphrase (age's scrypt recipient, about a second of work to open).
    Passphrase(SecretString),
    /// To one or more age X25519 public keys (`age1…`); only their secret keys open it.
    Recipients(Vec<age::x25519::Recipient>),
}

impl Encryption {
    /// Parses `age1…` public keys.
    pub fn recipients<S: AsRef<str>>(keys: &[S]) -> Result<Encryption> {
        if keys.is_empty() {
            return Err(Error::invalid(
                "recipient",
                "give at least one age public key",
            ));
        }
        keys.iter()
            .map(|k| parse_recipient(k.as_ref()))
            .collect::<Result<_>>()
            .map(Encryption::Recipients)
    }

    /// Refuses what cannot encrypt a new backup.
    pub(crate) fn check(&self) -> Result<()> {
        match self {
            Encryption::Passphrase(p) => check_new_passphrase(p.expose_secret()),
            Encryption::Recipients(_) => Ok(()),
        }
    }

    /// The name stored in the history.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Encryption::Passphrase(_) => "passphrase",
            Encryption::Recipients(_) => "recipient",
        }
    }

    pub(crate) fn encryptor(&self) -> Result<age::Encryptor> {
        match self {
            Encryption::Passphrase(p) => Ok(age::Encryptor::with_user_passphrase(p.clone())),
            Encryption::Recipients(keys) => {
                age::Encryptor::with_recipients(keys.iter().map(|k| k as &dyn age::Recipient))
                    .map_err(|_| Error::invalid("recipient", "these keys cannot be used together"))
            }
        }
    }
}

impl fmt::Debug for Encryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

/// Parses one `age1…` public key.
pub fn parse_recipient(key: &str) -> Result<age::x25519::Recipient> {
    key.trim().parse().map_err(|_| {
        Error::invalid(
            "recipient",
            format!("{key:?} is not an age public key (age1…)"),
        )
    })
}

/// What opens a backup or an encrypted export.
pub enum Decryption {
    /// The passphrase it was made with.
    Passphrase(SecretString),
    /// Secret keys (`AGE-SECRET-KEY-1…`), from an age identity file.
    Identities(Vec<Box<dyn age::Identity + Send + Sync>>),
}

impl Decryption {
    /// Reads an age identity file (as written by `age-keygen`).
    pub fn identity_file(path: &Path) -> Result<Decryption> {
        let text = std::fs::read(path).map_err(Error::io(format!(
            "cannot read identity file {}",
            path.display()
        )))?;
        let identities = age::IdentityFile::from_buffer(text.as_slice())
            .ok()
            .and_then(|f| f.into_identities().ok())
            .filter(|ids| !ids.is_empty())
            .ok_or_else(|| {
                Error::invalid(
                    "identity",
                    format!("{} holds no age secret key", path.display()),
                )
            })?;
        Ok(Decryption::Identities(identities))
    }

    pub(crate) fn identities(&self) -> Vec<&dyn age::Identity> {
        match self {
            Decryption::Passphrase(_) => Vec::new(),
            Decryption::Identities(ids) => ids
                .iter()
                .map(|i| i.as_ref() as &dyn age::Identity)
                .collect(),
        }
    }
}

impl fmt::Debug for Decryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decryption::Passphrase(_) => "passphrase",
            Decryption::Identities(_) => "identities",
        })
    }
}
/// Passes bytes through, hashing them with SHA-256 and counting them.
pub(crate) struct Hashing<R> {
    pub(crate) inner: R,
    sha: Sha256,
    pub(crate) count: u64,
}

impl<R> Hashing<R> {
    pub(crate) fn new(inner: R) -> Self {
        Hashing {
            inner,
            sha: Sha256::new(),
            count: 0,
        }
    }

    /// The hash, lowercase hex.
    pub(crate) fn hex(self) -> String {
        self.into_parts().2
    }

    /// The inner reader or writer, the byte count and the hash (lowercase hex).
    pub(crate) fn into_parts(self) -> (R, u64, String) {
        let hex = data_encoding::HEXLOWER.encode(&self.sha.finalize());
        (self.inner, self.count, hex)
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The ustar header of a regular file member of `size` bytes, readable by its owner only
/// once extracted (backups and the subject access export alike).
pub(crate) fn file_header(size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    header
}
