//! `tessera backup ...`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// Backups of the whole vault.
#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Write an encrypted backup (passphrase from TESSERA_BACKUP_PASSPHRASE or a prompt, or
    /// --recipient). Incremental when earlier backups in DIR hold some photo files already.
    Create(BackupCreateArgs),
    /// Check a backup without restoring it: every member's hash, every photo file, the
    /// database's integrity and its audit chain. Exit 4 if anything is wrong.
    Verify {
        /// The backup file.
        file: PathBuf,
        /// Open it with the age secret key in FILE instead of a passphrase.
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
    },
    /// Restore a backup into DIR: a new directory, or the same vault's directory (then the
    /// current vault is kept beside it as DIR.previous-<time> for 30 days). Patients erased
    /// in the current vault after the backup was made are erased again. Only admins (or
    /// --recovery).
    Restore {
        /// The backup file (an incremental one needs its earlier backups beside it).
        file: PathBuf,
        /// The vault directory to restore into.
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Check everything and report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Open it with the age secret key in FILE instead of a passphrase.
        #[arg(long, value_name = "FILE")]
        identity: Option<PathBuf>,
        /// Restore although the current vault cannot be read (so the erasures made since the
        /// backup cannot be re-applied), for this reason, which is recorded.
        #[arg(long, value_name = "REASON")]
        override_erasures: Option<String>,
    },
    /// The backup history, newest first.
    List,
    /// Remove old backups from a destination: keep the newest N, and all younger than D
    /// days, and whatever those need.
    Prune {
        /// The destination [default: the vault's default backup directory].
        #[arg(long, value_name = "DIR")]
        dest: Option<PathBuf>,
        /// Always keep this many newest backups.
        #[arg(long, value_name = "N", default_value_t = 7,
              value_parser = clap::value_parser!(u32).range(1..))]
        keep_last: u32,
        /// Also keep every backup younger than this many days.
        #[arg(long, value_name = "DAYS", default_value_t = 30)]
        keep_days: u32,
        /// Only report what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `tessera backup create`.
#[derive(Debug, Args)]
pub struct BackupCreateArgs {
    /// Directory to write into [default: `<vault>-backups` beside the vault].
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Encrypt to this age public key (age1…) instead of a passphrase; may be repeated.
    #[arg(long, value_name = "KEY")]
    pub recipient: Vec<String>,
    /// Copy every photo file even if earlier backups in DIR hold it.
    #[arg(long)]
    pub full: bool,
}
