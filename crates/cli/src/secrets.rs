//! Where passwords and keys come from: environment, stdin or a no-echo prompt. Never argv.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use tessera_core::archive::{Encryption, SecretString};
use zeroize::Zeroizing;

/// A mistake in how `tessera` was called that only shows after parsing (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The acting user's password: `TESSERA_PASSWORD`, `--password-stdin`, or a prompt.
pub fn password(from_stdin: bool, prompt: &str) -> Result<Zeroizing<String>> {
    secret("TESSERA_PASSWORD", from_stdin, prompt, "the password")
}

/// The recovery key: `TESSERA_RECOVERY_KEY`, `--password-stdin`, or a prompt.
pub fn recovery_key(from_stdin: bool) -> Result<Zeroizing<String>> {
    secret(
        "TESSERA_RECOVERY_KEY",
        from_stdin,
        "Recovery key: ",
        "the recovery key",
    )
}

/// The first admin's password at `init`: taken like the acting user's, but a prompt asks twice.
pub fn first_admin_password(from_stdin: bool, admin: &str) -> Result<Zeroizing<String>> {
    if from_stdin || from_env("TESSERA_PASSWORD").is_some() {
        return password(from_stdin, "");
    }
    prompt_twice("TESSERA_PASSWORD", admin)
}

/// A password being set: `TESSERA_NEW_PASSWORD`, or a prompt asked twice.
pub fn new_password(for_whom: &str) -> Result<Zeroizing<String>> {
    match from_env("TESSERA_NEW_PASSWORD") {
        Some(value) => Ok(value),
        None => prompt_twice("TESSERA_NEW_PASSWORD", for_whom),
    }
}

/// The passphrase of a backup being written: `TESSERA_BACKUP_PASSPHRASE`, or a prompt asked
/// twice (a mistyped passphrase would make the backup useless).
pub fn new_backup_passphrase() -> Result<Zeroizing<String>> {
    new_passphrase(BACKUP_VAR, "the backup")
}

/// The passphrase of an encrypted export: `TESSERA_EXPORT_PASSPHRASE`, or a prompt asked
/// twice.
pub fn new_export_passphrase() -> Result<Zeroizing<String>> {
    new_passphrase("TESSERA_EXPORT_PASSPHRASE", "the export")
}

/// How a new file is encrypted: to `recipients` (age public keys) if any are given, else to
/// a passphrase from `passphrase`.
pub fn encryption(
    recipients: &[String],
    passphrase: fn() -> Result<Zeroizing<String>>,
) -> Result<Encryption> {
    if recipients.is_empty() {
        let passphrase = passphrase()?;
        Ok(Encryption::Passphrase(SecretString::from(
            passphrase.as_str().to_owned(),
        )))
    } else {
        Ok(Encryption::recipients(recipients)?)
    }
}

fn new_passphrase(var: &str, for_whom: &str) -> Result<Zeroizing<String>> {
    match from_env(var) {
        Some(value) => Ok(value),
        None => prompt_twice(var, for_whom),
    }
}

/// The passphrase of a backup being read: `TESSERA_BACKUP_PASSPHRASE` or a prompt.
pub fn backup_passphrase() -> Result<Zeroizing<String>> {
    secret(
        BACKUP_VAR,
        false,
        "Backup passphrase: ",
        "backup passphrase",
    )
}

const BACKUP_VAR: &str = "TESSERA_BACKUP_PASSPHRASE";

fn prompt_twice(var: &str, for_whom: &str) -> Result<Zeroizing<String>> {
    if !std::io::stdin().is_terminal() {
        bail!(UsageError(format!(
            "no new password for {for_whom}: set {var} or run in a terminal"
        )));
    }
    let first = Zeroizing::new(rpassword::prompt_password(format!(
        "New password for {for_whom}: "
    ))?);
    let second = Zeroizing::new(rpassword::prompt_password("Repeat the new password: ")?);
    if first != second {
        bail!(UsageError(
            "the two passwords differ; nothing was changed".into()
        ));
    }
    Ok(first)
}

fn secret(var: &str, from_stdin: bool, prompt: &str, what: &str) -> Result<Zeroizing<String>> {
    if from_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read stdin")?;
        let trimmed = Zeroizing::new(line.trim_end_matches(['\n', '\r']).to_owned());
        if trimmed.is_empty() {
            bail!(UsageError(format!(
                "--password-stdin: stdin held no {what}"
            )));
        }
        return Ok(trimmed);
    }
    if let Some(value) = from_env(var) {
        return Ok(value);
    }
    if !std::io::stdin().is_terminal() {
        bail!(UsageError(format!(
            "no {what} given: set {var}, pass --password-stdin, or run in a terminal"
        )));
    }
    Ok(Zeroizing::new(rpassword::prompt_password(prompt)?))
}

fn from_env(var: &str) -> Option<Zeroizing<String>> {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Zeroizing::new)
}
