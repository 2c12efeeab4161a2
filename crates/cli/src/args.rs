//! The command-line grammar. Kept apart from the commands so `--help` reads as one document.

mod access;
mod backup;
mod consent;
mod credential;
mod dev;
mod encounter;
mod export;
mod narrative;
mod patient;
mod photo;
mod retention;
mod transfer;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::de::DeserializeOwned;

pub use access::AccessCommand;
pub use backup::{BackupCommand, BackupCreateArgs};
pub use consent::ConsentCommand;
pub use credential::{CredentialCommand, CredentialSetArgs};
pub use dev::DevCommand;
pub use encounter::{EncounterCommand, VisitDetails};
pub use export::{ExportArgs, ExportCommand};
pub use narrative::NarrativeCommand;
pub use patient::{PatientCommand, PatientEditArgs, ProfileFlags};
pub use photo::{PhotoCommand, PhotoGetArgs};
pub use retention::{RetentionCommand, RetentionSetArgs};
pub use transfer::TransferCommand;

/// Tessera: encrypted, offline records of a patient's recovery journey.
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about, propagate_version = true)]
pub struct Cli {
    /// Vault directory [default: the OS data directory, ~/.local/share/tessera on Linux].
    #[arg(long, env = "TESSERA_VAULT", global = true, value_name = "DIR")]
    pub vault: Option<PathBuf>,
    /// The staff account acting.
    #[arg(long, env = "TESSERA_USER", global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// Read the password (or, with --recovery, the recovery key) from the first line of stdin,
    /// instead of TESSERA_PASSWORD or a prompt.
    #[arg(long, global = true)]
    pub password_stdin: bool,
    /// Open the vault with the recovery key (TESSERA_RECOVERY_KEY, --password-stdin or a prompt),
    /// to reset passwords when every admin password is lost.
    #[arg(long, global = true, conflicts_with = "user")]
    pub recovery: bool,
    /// Machine-readable output on stdout. `patient add`, `patient edit` and `credential set`
    /// also take `--json FILE`: the record is read as JSON from FILE (`-` for stdin).
    // May be repeated: `tessera --json patient add --json FILE` is fine.
    #[arg(long, global = true, overrides_with = "json")]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a vault with its first admin, and print the recovery key once.
    Init(InitArgs),
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The vault itself.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Patients: register, find, read, edit, delete and restore.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Visits and consultations, with vital signs.
    #[command(subcommand)]
    Encounter(EncounterCommand),
    /// The patient's story; every edit is kept.
    #[command(subcommand)]
    Narrative(NarrativeCommand),
    /// Photos: import (metadata stripped), list, export, bin.
    #[command(subcommand)]
    Photo(PhotoCommand),
    /// What a patient agreed to, and withdrawals.
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// Clinicians' licences, specialisations and certifications.
    #[command(subcommand)]
    Credential(CredentialCommand),
    /// Encrypted backups: create, verify, restore, list, prune.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// How long records are kept, and applying that (admins).
    #[command(subcommand)]
    Retention(RetentionCommand),
    /// Access codes and QR cards: give, check, scan, list, revoke.
    #[command(subcommand)]
    Access(AccessCommand),
    /// Moving records between vaults with no network (a field laptop and its clinic):
    /// pairing, signed and encrypted bundles, receipts, conflicts.
    #[command(subcommand)]
    Transfer(TransferCommand),
    /// Exports: a PDF report, the JSON record or CSV tables; check an exported file.
    Export(Box<ExportArgs>),
    /// Developer tools: generated test data.
    #[command(subcommand)]
    Dev(DevCommand),
    /// Check a release folder (a USB stick) before installing: both signatures over
    /// SHA256SUMS, then every file it lists.
    VerifyInstall(VerifyInstallArgs),
}

/// `tessera verify-install DIR`.
#[derive(Debug, Args)]
pub struct VerifyInstallArgs {
    /// The folder holding SHA256SUMS, its signatures and the packages.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The folder of the release public keys to trust: `tessera-release.gpg` (an OpenPGP
    /// keyring) and `tessera-release.minisign.pub`. Default: the keys the installed
    /// package brought.
    #[arg(long, value_name = "DIR", default_value = "/usr/share/tessera/keys")]
    pub keys: PathBuf,
}

/// `--limit N` of listings and searches.
#[derive(Debug, Args)]
pub struct Limit {
    /// Show at most N results (1 to 500).
    #[arg(long, default_value_t = 50, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=500))]
    pub limit: u32,
}

/// The `FILE` of `--json FILE`: the global `--json` flag followed by a file name reads the
/// record as JSON from that file (`-` for stdin), and prints the result as JSON.
#[derive(Debug, Args)]
pub struct JsonFile {
    /// With --json: read the record as JSON from FILE (`-` for stdin).
    #[arg(value_name = "FILE", requires = "json")]
    pub file: Option<PathBuf>,
}

/// Parses a name as the core spells it in JSON (`home_visit`), accepting any case and `-`
/// for `_`: a value parser for the core's enums.
pub fn serde_name<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let name = text.trim().to_lowercase().replace('-', "_");
    serde_json::from_value(serde_json::Value::String(name))
        .map_err(|e: serde_json::Error| e.to_string().replace("unknown variant", "unknown value"))
}

/// `tessera init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// User name of the first admin (the password comes from TESSERA_PASSWORD,
    /// --password-stdin or a prompt).
    #[arg(long, value_name = "NAME")]
    pub admin: String,
    /// The admin's full name [default: the user name].
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// Argon2id memory per password check, in MiB (at least 19).
    #[arg(long, default_value_t = 128, value_name = "MIB")]
    pub argon2_memory_mib: u32,
    /// Argon2id passes (at least 2).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub argon2_passes: u32,
}

/// `tessera user ...`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a staff account (its password from TESSERA_NEW_PASSWORD or a prompt).
    Add {
        /// Sign-in name.
        username: String,
        /// admin, clinician, social_worker or front_desk.
        #[arg(long)]
        role: String,
        /// Full name [default: the user name].
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
    },
    /// List staff accounts.
    List,
    /// Set a password (your own by default; admins may set anyone's).
    Passwd {
        /// Account [default: the acting user].
        username: Option<String>,
    },
    /// Disable an account: its key slot is deleted and it can no longer sign in.
    Disable {
        /// Account.
        username: String,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Re-enable a disabled account with a new password.
    Enable {
        /// Account.
        username: String,
    },
    /// Give a colleague a new password (from TESSERA_NEW_PASSWORD or a prompt) that they
    /// must change at their next sign-in.
    Reset {
        /// Account.
        username: String,
    },
}

/// `tessera audit ...`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole chain; name the first bad entry and exit 4 if it is broken.
    Verify,
    /// List entries, oldest first.
    List(AuditListArgs),
}

/// Filters of `tessera audit list`.
#[derive(Debug, Args)]
pub struct AuditListArgs {
    /// Entries at or after this time (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// Entries before this time (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Entries by this user name.
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// Entries with this action, or this family of actions (`staff`, `auth`).
    #[arg(long)]
    pub action: Option<String>,
    /// Entries about this kind of resource (`staff`, `vault`, ...).
    #[arg(long, value_name = "TYPE")]
    pub resource_type: Option<String>,
    /// Entries about this resource id.
    #[arg(long, value_name = "ID")]
    pub resource_id: Option<String>,
    /// Entries about this patient (id or human id) and their visits, narratives and consents.
    #[arg(long, value_name = "PATIENT")]
    pub patient: Option<String>,
    /// Only the newest N matching entries.
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
}

/// `tessera vault ...`.
#[derive(Debug, Subcommand)]
pub enum VaultCommand {
    /// Format version, counts and settings (no secrets).
    Info,
    /// Check the database and every photo file, and sweep crash leftovers; exit 4 if
    /// anything is damaged.
    Check,
    /// Replace the vault's data key (admins): re-encrypt the database and every photo,
    /// re-wrap every account's key slot, and print a new recovery key. Run it after
    /// disabling an account or losing a copy of the vault: old copies stay locked to the
    /// old key. Every other Tessera window and command must be closed on the vault.
    Rekey,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_grammar_passes_clap_checks() {
        Cli::command().debug_assert();
    }

    /// An argument of a subcommand with the id of a global one (a positional `user`) takes
    /// the global's value too: `credential show carla` would then sign in as carla.
    #[test]
    fn no_argument_shadows_a_global_one() {
        fn walk(cmd: &clap::Command, globals: &[String]) {
            for arg in cmd.get_arguments() {
                if globals.iter().any(|g| g == arg.get_id().as_str()) {
                    assert!(
                        arg.is_global_set(),
                        "`{}` of `{}` shadows a global option",
                        arg.get_id(),
                        cmd.get_name()
                    );
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, globals);
            }
        }
        let mut cmd = Cli::command();
        cmd.build();
        let globals: Vec<String> = cmd
            .get_arguments()
            .filter(|a| a.is_global_set())
            .map(|a| a.get_id().to_string())
            .collect();
        assert!(globals.contains(&"user".to_owned()));
        walk(&cmd, &globals);
    }
}
