//! `tessera consent ...`.

use clap::Subcommand;

/// `tessera consent ...`.
#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Record that a patient granted consent for a purpose (or withdrew it, --withdraw).
    Add {
        /// The patient's id or human id.
        patient: String,
        /// What it is for: treatment, photography, data sharing with ...
        #[arg(long, value_name = "TEXT")]
        purpose: String,
        /// Record a withdrawal of the consent in force for this purpose.
        #[arg(long)]
        withdraw: bool,
        /// The id of a photo of the signed form.
        #[arg(long, value_name = "ID")]
        evidence: Option<String>,
        /// Anything else worth keeping.
        #[arg(long, value_name = "TEXT")]
        notes: Option<String>,
    },
    /// Every consent decision of a patient, oldest first.
    List {
        /// The patient's id or human id.
        patient: String,
    },
}
