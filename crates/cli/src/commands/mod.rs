//! One module per command group. Each is a thin adapter: read arguments and secrets, call
//! core, print. Authorization is decided in core, never here.

mod access;
mod audit;
mod backup;
mod consent;
mod credential;
mod dev;
mod encounter;
mod erasure;
mod export;
mod init;
mod narrative;
mod patient;
mod photo;
mod retention;
mod transfer;
mod user;
mod vault;
pub mod verify_install;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use tessera_core::Session;
use tessera_core::store::recovery::RecoveryKey;
use tessera_core::vault::{self as core_vault, Credentials};

use crate::args::{Cli, Command};
use crate::secrets::{self, UsageError};

/// Runs the parsed command line.
pub fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Init(args) => init::run(cli, args),
        Command::User(command) => user::run(cli, command),
        Command::Audit(command) => audit::run(cli, command),
        Command::Vault(command) => vault::run(cli, command),
        Command::Patient(command) => patient::run(cli, command),
        Command::Encounter(command) => encounter::run(cli, command),
        Command::Narrative(command) => narrative::run(cli, command),
        Command::Photo(command) => photo::run(cli, command),
        Command::Consent(command) => consent::run(cli, command),
        Command::Credential(command) => credential::run(cli, command),
        Command::Backup(command) => backup::run(cli, command),
        Command::Retention(command) => retention::run(cli, command),
        Command::Access(command) => access::run(cli, command),
        Command::Transfer(command) => transfer::run(cli, command),
        Command::Export(args) => export::run(cli, args),
        Command::Dev(command) => dev::run(cli, command),
        Command::VerifyInstall(args) => verify_install::run(cli, args),
    }
}

/// The vault directory: `--vault`, `TESSERA_VAULT`, or the OS default.
pub fn vault_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.vault {
        Some(dir) => Ok(dir.clone()),
        None => tessera_core::store::default_dir().context(
            "no data directory on this system; name a vault with --vault or TESSERA_VAULT",
        ),
    }
}

/// Unlocks the vault as `--user` with a password, or with the recovery key under `--recovery`.
pub fn unlock(cli: &Cli) -> Result<Session> {
    let dir = vault_dir(cli)?;
    let session = with_credentials(cli, |credentials| {
        Ok(core_vault::unlock(&dir, credentials)?)
    })?;
    if let Some(upgrade) = session.upgrade() {
        eprintln!(
            "This vault was upgraded to this version of Tessera (format {} to {}). A copy of it \
             as it was is kept at {} for {} days.",
            upgrade.from_schema, upgrade.to_schema, upgrade.pre_upgrade_copy, upgrade.kept_for_days
        );
    }
    Ok(session)
}

/// Runs `f` with the acting user's credentials: `--user` and a password, or the recovery key
/// under `--recovery`, read from the environment, stdin or a prompt.
pub fn with_credentials<T>(cli: &Cli, f: impl FnOnce(&Credentials<'_>) -> Result<T>) -> Result<T> {
    if cli.recovery {
        let typed = secrets::recovery_key(cli.password_stdin)?;
        let key = RecoveryKey::parse(&typed)?;
        return f(&Credentials::Recovery(&key));
    }
    let Some(username) = cli.user.as_deref() else {
        bail!(UsageError(
            "name the acting user with --user or TESSERA_USER (or use --recovery)".into()
        ));
    };
    let password = secrets::password(cli.password_stdin, &format!("Password for {username}: "))?;
    f(&Credentials::Password {
        username,
        password: &password,
    })
}
