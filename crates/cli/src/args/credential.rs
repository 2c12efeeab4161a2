//! `tessera credential ...`.

use clap::{Args, Subcommand};
use tessera_core::credentials::Verification;

use super::{JsonFile, serde_name};

/// `tessera credential ...`.
#[derive(Debug, Subcommand)]
pub enum CredentialCommand {
    /// Set a clinician's credentials: the flags given replace those fields of the current
    /// credentials (--json FILE replaces them all first).
    Set(CredentialSetArgs),
    /// A clinician's credentials.
    Show {
        /// The clinician's user name.
        #[arg(value_name = "USER")]
        username: String,
    },
    /// Certifications of active clinicians that expired or expire soon, soonest first.
    Expiring {
        /// Within this many days from today.
        #[arg(long, default_value_t = 60, value_name = "N")]
        days: i64,
    },
}

/// `tessera credential set`.
#[derive(Debug, Args)]
pub struct CredentialSetArgs {
    /// The clinician's user name. (Not `user`: that id is the global --user.)
    #[arg(value_name = "USER")]
    pub username: String,
    #[command(flatten)]
    pub file: JsonFile,
    /// Professional licence number ('' clears it).
    #[arg(long, value_name = "NUMBER")]
    pub licence: Option<String>,
    /// A specialisation (repeat for each; replaces the list).
    #[arg(long = "specialisation", value_name = "TEXT")]
    pub specialisations: Option<Vec<String>>,
    /// An affiliation (repeat for each; replaces the list).
    #[arg(long = "affiliation", value_name = "TEXT")]
    pub affiliations: Option<Vec<String>>,
    /// A certification, as NAME|ISSUER|ISSUED|EXPIRES with dates YYYY-MM-DD; trailing
    /// parts may be left out (repeat for each; replaces the list).
    #[arg(long = "certification", value_name = "NAME|ISSUER|ISSUED|EXPIRES")]
    pub certifications: Option<Vec<String>>,
    /// unverified, verified or rejected.
    #[arg(long, value_name = "STATUS", value_parser = serde_name::<Verification>)]
    pub verification: Option<Verification>,
    /// The version your change is based on [default: the file's `version`, or the current
    /// version].
    #[arg(long, value_name = "N")]
    pub expect_version: Option<u32>,
}
