//! Files that leave the vault (backups, exports): how they are encrypted with `age` (a
//! passphrase or public keys) and opened again, the tar header of their members, a writer
//! that hashes what it writes, and how a new export file is written so that no partial
//! file can pass for a whole one.

use std::fmt;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

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
pub struct Hashing<R> {
    pub(crate) inner: R,
    sha: Sha256,
    pub(crate) count: u64,
}

impl<R> fmt::Debug for Hashing<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hashing({} bytes)", self.count)
    }
}

impl<R> Hashing<R> {
    /// Hashes what passes through `inner`.
    pub fn new(inner: R) -> Self {
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
    pub fn into_parts(self) -> (R, u64, String) {
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

/// What names a file still being written beside its target. A sweep removes such a file
/// once no writer holds its lock: what a killed export or subject access export left.
pub(crate) const PARTIAL_PREFIX: &str = ".tessera-partial-";

/// What [`write_new_file`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    /// Lowercase hex SHA-256 of the file as it lies on disk (after encryption, if any).
    pub(crate) sha256: String,
    /// Its size in bytes.
    pub(crate) bytes: u64,
}

/// A new file being written beside its target, under a [`PARTIAL_PREFIX`] name, locked for as
/// long as it is written, synced, and renamed into place only when complete: a failure or a
/// kill leaves no file that could pass for an export. What a killed writer left (its lock
/// died with it) is swept by the next write into that directory, and by the next unlock of
/// the vault that noted it (`Session::write_outside`).
#[derive(Debug)]
pub(crate) struct PartialFile {
    target: PathBuf,
    dir: PathBuf,
    path: PathBuf,
    file: Option<std::fs::File>,
}

impl PartialFile {
    /// Creates and locks the partial file for a new file at `target` (which must not
    /// exist), after sweeping the abandoned ones in its directory.
    pub(crate) fn create(target: &Path) -> Result<PartialFile> {
        if target.exists() {
            return Err(Error::Conflict(format!(
                "{} already exists; choose a new file name",
                target.display()
            )));
        }
        if target.file_name().is_none() {
            return Err(Error::invalid("out", "must name a file"));
        }
        let dir = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        sweep_partial_files(&dir);
        let path = dir.join(format!("{PARTIAL_PREFIX}{}", uuid::Uuid::now_v7().simple()));
        let file = crate::fsutil::create_private_file(&path)?;
        let partial = PartialFile {
            target: target.to_path_buf(),
            dir,
            path,
            file: Some(file),
        };
        if let Some(file) = &partial.file {
            lock_exclusive(file, false)
                .map_err(Error::io(format!("cannot lock {}", partial.path.display())))?;
        }
        Ok(partial)
    }

    /// Where it is written.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the file through `body`, encrypted with `encryption` when given, hashing it on
    /// the way; `record` is called with the finished file's hash before it is published (it
    /// logs the export), and its failure discards the file.
    pub(crate) fn finish(
        mut self,
        encryption: Option<&Encryption>,
        body: impl FnOnce(&mut dyn Write) -> Result<()>,
        record: impl FnOnce(&Written) -> Result<()>,
    ) -> Result<Written> {
        let file = self
            .file
            .take()
            .ok_or(Error::Internal("a partial file written twice"))?;
        let target = self.target.clone();
        let failed = || Error::io(format!("cannot write {}", target.display()));
        let mut out = Hashing::new(io::BufWriter::new(file));
        match encryption {
            None => body(&mut out)?,
            Some(encryption) => {
                let mut age = encryption
                    .encryptor()?
                    .wrap_output(&mut out)
                    .map_err(failed())?;
                body(&mut age)?;
                age.finish().map_err(failed())?;
            }
        }
        let (file, bytes, sha256) = out.into_parts();
        let file = file.into_inner().map_err(|e| failed()(e.into_error()))?;
        file.sync_all().map_err(failed())?;
        let written = Written { sha256, bytes };
        record(&written)?;
        // A file that appeared meanwhile is not replaced.
        if target.exists() {
            return Err(Error::Conflict(format!(
                "{} appeared while the export was written; choose a new file name",
                target.display()
            )));
        }
        std::fs::rename(&self.path, &target).map_err(Error::io(format!(
            "cannot move the file to {}",
            target.display()
        )))?;
        crate::fsutil::sync_dir(&self.dir)?;
        Ok(written)
    }
}

impl Drop for PartialFile {
    /// A partial file not renamed into place (a failure, a cancel) is removed.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes the partial files in `dir` that no live writer holds and nobody has written for
/// a minute (so one just created, not yet locked, is left alone). Best effort.
pub(crate) fn sweep_partial_files(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with(PARTIAL_PREFIX)
        {
            continue;
        }
        let path = entry.path();
        if crate::fsutil::older_than(&path, std::time::Duration::from_secs(60)) {
            remove_if_abandoned(&path);
        }
    }
}

/// Removes the partial file at `path` unless a live writer holds its lock. Returns whether
/// it is gone (removed now, or already). A file whose folder is not there (a stick not
/// plugged in) is not known to be gone.
pub(crate) fn remove_if_abandoned(path: &Path) -> bool {
    let is_partial = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with(PARTIAL_PREFIX));
    if !is_partial {
        return true;
    }
    match std::fs::OpenOptions::new().write(true).open(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => path.parent().is_some_and(Path::is_dir),
        Err(_) => false,
        Ok(file) => lock_exclusive(&file, true).is_ok() && std::fs::remove_file(path).is_ok(),
    }
}

fn lock_exclusive(file: &std::fs::File, nonblocking: bool) -> io::Result<()> {
    let operation = if nonblocking {
        rustix::fs::FlockOperation::NonBlockingLockExclusive
    } else {
        rustix::fs::FlockOperation::LockExclusive
    };
    rustix::fs::flock(file, operation).map_err(io::Error::from)
}
