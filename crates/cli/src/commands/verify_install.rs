//! `tessera verify-install DIR`: what a site runs on a release folder (a USB stick) before it
//! installs or upgrades. `SHA256SUMS` lists every file of the release; it is signed twice, and
//! both signatures must verify before any file is trusted:
//!
//! - minisign, checked here with `minisign-verify`;
//! - OpenPGP, checked by `gpgv`, as apt checks its archives: every Debian and Ubuntu system
//!   has it, and its keyring is the one apt's `signed-by` uses, so both checks trust the same
//!   file. An OpenPGP implementation inside Tessera would be a second one to keep right.
//!
//! Then each listed file is hashed and compared. Files the list does not name are reported:
//! nothing vouches for them.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use serde::Serialize;
use tessera_core::archive::Hashing;

use crate::args::{Cli, VerifyInstallArgs};
use crate::output;

/// The list of every file of a release, with their SHA-256.
pub const SUMS: &str = "SHA256SUMS";
/// Its OpenPGP detached signature (ASCII-armoured).
pub const OPENPGP_SIGNATURE: &str = "SHA256SUMS.asc";
/// Its minisign signature.
pub const MINISIGN_SIGNATURE: &str = "SHA256SUMS.minisig";
/// The release's OpenPGP public key, as a keyring `gpgv` and apt read.
pub const KEYRING: &str = "tessera-release.gpg";
/// The release's minisign public key.
pub const MINISIGN_KEY: &str = "tessera-release.minisign.pub";

/// Why a release folder is not to be trusted. Each is an integrity failure (exit 4).
#[derive(Debug, thiserror::Error)]
pub enum NotVerified {
    #[error("the minisign signature over {SUMS} does not verify with {key}: {reason}")]
    Minisign { key: String, reason: String },
    #[error("the OpenPGP signature over {SUMS} does not verify with {keyring}: {reason}")]
    OpenPgp { keyring: String, reason: String },
    #[error("{SUMS} line {line} is not '<sha256>  <file name>' inside the folder")]
    BadList { line: usize },
    #[error("{file} does not match {SUMS}: it was changed or damaged")]
    Mismatch { file: String },
    #[error("{file} is listed in {SUMS} but is not in the folder")]
    Missing { file: String },
}

/// What `verify-install` found, for `--json`.
#[derive(Debug, Serialize)]
pub struct Verified {
    /// The fingerprint of the OpenPGP key that made the signature.
    pub openpgp_fingerprint: String,
    /// The minisign key id (hex) that made the signature.
    pub minisign_key_id: String,
    /// Every file `SHA256SUMS` lists, each matching it.
    pub files: Vec<VerifiedFile>,
    /// Files in the folder that `SHA256SUMS` does not list: nothing vouches for them.
    pub unlisted: Vec<String>,
}

/// One file that matched.
#[derive(Debug, Serialize)]
pub struct VerifiedFile {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

pub fn run(cli: &Cli, args: &VerifyInstallArgs) -> Result<()> {
    let verified = verify(&args.dir, &args.keys)?;
    output::emit(cli.json, &verified, |v| {
        println!("OpenPGP signature: good (key {})", v.openpgp_fingerprint);
        println!("minisign signature: good (key {})", v.minisign_key_id);
        for file in &v.files {
            println!("OK  {}", file.name);
        }
        for name in &v.unlisted {
            println!("NOT LISTED  {name} (not covered by the signatures: do not install it)");
        }
        println!("{} files match {SUMS}.", v.files.len());
    })
}

/// Checks both signatures over `dir/SHA256SUMS` with the keys in `keys`, then every file it
/// lists.
pub fn verify(dir: &Path, keys: &Path) -> Result<Verified> {
    let sums_path = dir.join(SUMS);
    let sums = fs::read(&sums_path).with_context(|| {
        format!(
            "{} is not there: is this a Tessera release folder?",
            sums_path.display()
        )
    })?;
    let minisign_key_id = check_minisign(dir, keys, &sums)?;
    let openpgp_fingerprint = check_openpgp(dir, keys)?;
    let listed = parse_sums(&sums)?;
    let mut files = Vec::with_capacity(listed.len());
    for (expected, name) in &listed {
        let (actual, bytes) = match sha256_file(&dir.join(name)) {
            Ok(found) => found,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(NotVerified::Missing { file: name.clone() }.into());
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {name}")),
        };
        if &actual != expected {
            return Err(NotVerified::Mismatch { file: name.clone() }.into());
        }
        files.push(VerifiedFile {
            name: name.clone(),
            sha256: actual,
            bytes,
        });
    }
    let named: BTreeSet<&str> = listed.iter().map(|(_, name)| name.as_str()).collect();
    let mut unlisted = Vec::new();
    for name in files_under(dir, Path::new(""))? {
        if !named.contains(name.as_str())
            && ![SUMS, OPENPGP_SIGNATURE, MINISIGN_SIGNATURE].contains(&name.as_str())
        {
            unlisted.push(name);
        }
    }
    Ok(Verified {
        openpgp_fingerprint,
        minisign_key_id,
        files,
        unlisted,
    })
}

fn check_minisign(dir: &Path, keys: &Path, sums: &[u8]) -> Result<String> {
    let key_path = keys.join(MINISIGN_KEY);
    let key_text = fs::read_to_string(&key_path)
        .with_context(|| format!("cannot read the release key {}", key_path.display()))?;
    let fail = |reason: String| NotVerified::Minisign {
        key: key_path.display().to_string(),
        reason,
    };
    let key = minisign_verify::PublicKey::decode(&key_text)
        .map_err(|e| fail(format!("the key file is not a minisign public key ({e})")))?;
    let signature_path = dir.join(MINISIGN_SIGNATURE);
    let signature_text = fs::read_to_string(&signature_path)
        .with_context(|| format!("{} is not there", signature_path.display()))?;
    let signature = minisign_verify::Signature::decode(&signature_text).map_err(|e| {
        fail(format!(
            "{MINISIGN_SIGNATURE} is not a minisign signature ({e})"
        ))
    })?;
    key.verify(sums, &signature, false)
        .map_err(|e| fail(e.to_string()))?;
    Ok(minisign_key_id(&key_text).unwrap_or_default())
}

/// The key id minisign prints in the comment line of its public keys.
fn minisign_key_id(text: &str) -> Option<String> {
    let comment = text.lines().next()?;
    Some(comment.rsplit(' ').next()?.trim().to_owned())
}

fn check_openpgp(dir: &Path, keys: &Path) -> Result<String> {
    let keyring = keys.join(KEYRING);
    if !keyring.is_file() {
        anyhow::bail!("the release keyring {} is not there", keyring.display());
    }
    let output = Command::new("gpgv")
        .arg("--status-fd")
        .arg("1")
        .arg("--keyring")
        .arg(&keyring)
        .arg(dir.join(OPENPGP_SIGNATURE))
        .arg(dir.join(SUMS))
        // gpgv writes a trust database nowhere, but finds its home for its options.
        .env("GNUPGHOME", keys)
        .output()
        .context("cannot run gpgv (Debian's gpgv package), which checks the OpenPGP signature")?;
    let status = String::from_utf8_lossy(&output.stdout);
    let fingerprint = status
        .lines()
        .find_map(|l| l.strip_prefix("[GNUPG:] VALIDSIG "))
        .and_then(|rest| rest.split(' ').next());
    match (output.status.success(), fingerprint) {
        (true, Some(fingerprint)) => Ok(fingerprint.to_owned()),
        _ => Err(NotVerified::OpenPgp {
            keyring: keyring.display().to_string(),
            reason: gpgv_reason(&status, &String::from_utf8_lossy(&output.stderr)),
        }
        .into()),
    }
}

/// gpgv's reason in a few words, from its status lines.
fn gpgv_reason(status: &str, stderr: &str) -> String {
    if status.contains("[GNUPG:] BADSIG") {
        return format!("the signature is bad: {SUMS} was changed after it was signed");
    }
    if status.contains("[GNUPG:] NO_PUBKEY") || status.contains("[GNUPG:] ERRSIG") {
        return "it was made by a key that is not in this keyring".to_owned();
    }
    if status.contains("[GNUPG:] NODATA") {
        return format!("{OPENPGP_SIGNATURE} is missing or is not a signature");
    }
    stderr
        .lines()
        .last()
        .unwrap_or("gpgv refused it")
        .to_owned()
}

/// `<64 hex>  <name>` (or `<64 hex> *<name>`, binary mode) lines, names relative to the
/// folder: an absolute name or `..` would let a crafted list vouch for files elsewhere.
fn parse_sums(text: &[u8]) -> Result<Vec<(String, String)>, NotVerified> {
    let text = std::str::from_utf8(text).map_err(|_| NotVerified::BadList { line: 1 })?;
    let mut listed = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || NotVerified::BadList { line: i + 1 };
        let (hash, rest) = line.split_once(' ').ok_or_else(bad)?;
        let name = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('*'))
            .ok_or_else(bad)?;
        let inside = Path::new(name)
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) || !inside {
            return Err(bad());
        }
        listed.push((hash.to_ascii_lowercase(), name.to_owned()));
    }
    Ok(listed)
}

fn sha256_file(path: &Path) -> io::Result<(String, u64)> {
    let mut hashing = Hashing::new(File::open(path)?);
    io::copy(&mut hashing, &mut io::sink())?;
    let (_, bytes, sha256) = hashing.into_parts();
    Ok((sha256, bytes))
}

/// Every regular file under `dir`, as `/`-separated names relative to the folder.
fn files_under(root: &Path, relative: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let dir: PathBuf = root.join(relative);
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .collect::<io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = relative.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            names.extend(files_under(root, &name)?);
        } else {
            names.push(name.to_string_lossy().into_owned());
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sums_line_naming_a_file_outside_the_folder_is_refused() {
        let hash = "a".repeat(64);
        for name in ["/etc/passwd", "../tessera.deb", "pool/../../x"] {
            let line = format!("{hash}  {name}\n");
            assert!(
                matches!(
                    parse_sums(line.as_bytes()),
                    Err(NotVerified::BadList { line: 1 })
                ),
                "{name}"
            );
        }
    }

    #[test]
    fn sums_lines_in_text_and_binary_mode_are_read() {
        let hash = "AB".repeat(32);
        let text = format!("{hash}  tessera.deb\n\n{hash} *apt/dists/stable/Release\n");
        let listed = parse_sums(text.as_bytes()).unwrap_or_default();
        assert_eq!(
            listed,
            [
                (hash.to_lowercase(), "tessera.deb".to_owned()),
                (hash.to_lowercase(), "apt/dists/stable/Release".to_owned()),
            ]
        );
    }

    #[test]
    fn a_short_or_non_hex_hash_is_refused() {
        for line in [
            "abc  x.deb",
            &format!("{}  x.deb", "g".repeat(64)),
            "no-name",
        ] {
            assert!(parse_sums(line.as_bytes()).is_err(), "{line}");
        }
    }
}
