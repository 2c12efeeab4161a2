//! `tessera retention ...`.

use clap::{Args, Subcommand};

/// `tessera retention ...`.
#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Show the retention policy.
    Show,
    /// Change rules of the retention policy; the rules not named are kept.
    Set(RetentionSetArgs),
    /// Apply the policy: delete or anonymise what is past its time, with an audit entry
    /// for each item. With --dry-run, only list what would change.
    Run {
        /// List what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// The rules `retention set` can change. Each takes `off` to turn the rule off.
#[derive(Debug, Args)]
pub struct RetentionSetArgs {
    /// Patients with no activity for YEARS: erased (`delete`) or anonymised.
    #[arg(long, value_name = "YEARS:delete|anonymise|off")]
    pub inactive_patients: Option<String>,
    /// Photos imported more than YEARS ago are deleted with their files.
    #[arg(long, value_name = "YEARS|off")]
    pub photos: Option<String>,
    /// Narratives last edited more than YEARS ago are deleted with every revision.
    #[arg(long, value_name = "YEARS|off")]
    pub narratives: Option<String>,
    /// Visits older than YEARS are deleted or anonymised (vitals and dates kept).
    #[arg(long, value_name = "YEARS:delete|anonymise|off")]
    pub encounters: Option<String>,
    /// Audit entries older than YEARS are removed (at least 6, the legal minimum).
    #[arg(long, value_name = "YEARS|off")]
    pub audit_entries: Option<String>,
    /// Patients and photos in the bin for more than DAYS are purged (at least 30).
    #[arg(long, value_name = "DAYS|off")]
    pub binned: Option<String>,
}
