//! `tessera export ...`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `tessera export PATIENT ...`, or `tessera export verify|list ...`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub command: Option<ExportCommand>,
    /// The patient's id or human id.
    #[arg(required = true)]
    pub patient: Option<String>,
    /// summary (emergency information, allergies and medications first, recent visits),
    /// full (everything your role may read) or referral (a letter; needs --referral-to and
    /// --purpose). Front desk exports hold emergency information only.
    #[arg(long, default_value = "full", value_name = "KIND")]
    pub kind: String,
    /// pdf (a report with a verification seal on every page), json (the complete record,
    /// see docs/record.schema.json) or csv (one table per file, zipped when several).
    #[arg(long, value_name = "FORMAT", required = true)]
    pub format: Option<String>,
    /// The file to write (must not exist).
    #[arg(long, value_name = "FILE", required = true)]
    pub out: Option<PathBuf>,
    /// Leave out visits, narratives, photos and consents before this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Leave out visits, narratives, photos and consents after this day (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// For a referral: the clinician or service it is addressed to.
    #[arg(long, value_name = "WHOM")]
    pub referral_to: Option<String>,
    /// For a referral: why the patient is referred.
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// For CSV: begin each file with a byte-order mark, for spreadsheet programs.
    #[arg(long)]
    pub bom: bool,
    /// Encrypt the file with age to a passphrase (from TESSERA_EXPORT_PASSPHRASE or a
    /// prompt, at least 12 characters); `age -d` opens it.
    #[arg(long, conflicts_with = "recipient")]
    pub encrypt: bool,
    /// Encrypt the file to this age public key (age1…) instead; may be repeated.
    #[arg(long, value_name = "KEY")]
    pub recipient: Vec<String>,
}

/// `tessera export verify|list`.
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Check an exported file: a PDF by its seal and content, a photo or scan of a printed
    /// page (PNG or JPEG) by the seal's QR code, a JSON, CSV or encrypted file against the
    /// export log. Exits 4 when it is not genuine.
    Verify {
        /// The file or image.
        #[arg(value_name = "FILE|IMAGE")]
        file: PathBuf,
    },
    /// The export log, newest first: every export, or one patient's.
    List {
        /// The patient's id or human id.
        patient: Option<String>,
    },
}
