//! `tessera encounter ...`.

use clap::{Args, Subcommand};
use tessera_core::encounters::EncounterKind;

use super::{Limit, serde_name};

/// `tessera encounter ...`.
#[derive(Debug, Subcommand)]
pub enum EncounterCommand {
    /// Record a visit, with what was found and done and the vital signs taken.
    Add(Box<EncounterAddArgs>),
    /// A patient's visits, newest first.
    List {
        /// The patient's id or human id.
        patient: String,
        #[command(flatten)]
        limit: Limit,
    },
    /// Correct a recorded visit: the fields given replace the visit's, the version replaced
    /// is kept, and the reason is recorded.
    Amend(Box<EncounterAmendArgs>),
    /// Void a visit recorded by mistake: it is kept, marked with the reason, and left out of
    /// the chart and exports.
    Void {
        /// The visit's id.
        encounter: String,
        /// Why it is voided (required).
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
}

/// `tessera encounter add`.
#[derive(Debug, Args)]
pub struct EncounterAddArgs {
    /// The patient's id or human id.
    pub patient: String,
    /// When it happened: YYYY-MM-DD or RFC 3339.
    #[arg(long, value_name = "WHEN")]
    pub date: String,
    /// Why the patient came.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    #[command(flatten)]
    pub details: VisitDetails,
}

/// `tessera encounter amend`: any field not given keeps its value.
#[derive(Debug, Args)]
pub struct EncounterAmendArgs {
    /// The visit's id.
    pub encounter: String,
    /// Why it is corrected (required).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
    /// When it happened: YYYY-MM-DD or RFC 3339.
    #[arg(long, value_name = "WHEN")]
    pub date: Option<String>,
    /// Why the patient came.
    #[arg(long, value_name = "TEXT")]
    pub visit_reason: Option<String>,
    #[command(flatten)]
    pub details: VisitDetails,
}

/// What a visit found and did, and its vital signs: the flags `add` and `amend` share.
#[derive(Debug, Args)]
pub struct VisitDetails {
    /// visit, consultation, home_visit or remote [default: visit].
    #[arg(long, value_parser = serde_name::<EncounterKind>)]
    pub kind: Option<EncounterKind>,
    /// Free notes.
    #[arg(long, value_name = "TEXT")]
    pub notes: Option<String>,
    /// A diagnosis (repeat for each; with `amend`, the ones given replace them all).
    #[arg(long = "diagnosis", value_name = "TEXT")]
    pub diagnoses: Vec<String>,
    /// A treatment given or planned (repeat for each; with `amend`, the ones given replace
    /// them all).
    #[arg(long = "treatment", value_name = "TEXT")]
    pub treatments: Vec<String>,
    /// Blood pressure, systolic/diastolic in mmHg: 120/80.
    #[arg(long, value_name = "SYS/DIA", help_heading = "Vital signs")]
    pub bp: Option<String>,
    /// Pulse, beats per minute.
    #[arg(long, value_name = "BPM", help_heading = "Vital signs")]
    pub pulse: Option<u16>,
    /// Body temperature, °C.
    #[arg(long, value_name = "C", help_heading = "Vital signs")]
    pub temp: Option<f64>,
    /// Oxygen saturation, %.
    #[arg(long, value_name = "PERCENT", help_heading = "Vital signs")]
    pub spo2: Option<u8>,
    /// Weight, kg.
    #[arg(long, value_name = "KG", help_heading = "Vital signs")]
    pub weight: Option<f64>,
    /// Height, cm.
    #[arg(long, value_name = "CM", help_heading = "Vital signs")]
    pub height: Option<f64>,
    /// Pain score, 0 (none) to 10 (worst).
    #[arg(long, value_name = "0-10", help_heading = "Vital signs")]
    pub pain: Option<u8>,
}
