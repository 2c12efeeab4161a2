//! `tessera dev ...`.

use clap::{Args, Subcommand};

/// `tessera dev ...`.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Fill the vault with generated patients, visits and narratives (admins only).
    Seed(SeedArgs),
}

/// `tessera dev seed`.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Patients to generate.
    #[arg(long, value_name = "N")]
    pub patients: u32,
    /// Encounters per patient.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub encounters_per_patient: u32,
    /// Narratives per patient.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub narratives_per_patient: u32,
    /// Revisions per narrative, the first included.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub revisions_per_narrative: u32,
    /// Seed of the generator: the same seed gives the same names and stories.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub seed: u64,
}
