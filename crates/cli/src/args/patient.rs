//! `tessera patient ...`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{JsonFile, Limit};

/// `tessera patient ...`.
#[derive(Debug, Subcommand)]
pub enum PatientCommand {
    /// Register a patient from flags (--given and --family at least), or from a profile
    /// file with --json FILE (flags then override the file's fields).
    Add {
        #[command(flatten)]
        file: JsonFile,
        #[command(flatten)]
        fields: Box<ProfileFlags>,
        /// Register even though a patient with the same name and date of birth, or the same
        /// phone, exists: this is someone else.
        #[arg(long)]
        not_duplicate: bool,
    },
    /// List patients by family name, or those in the bin with --deleted.
    List {
        /// Patients in the bin (restorable for 30 days) instead.
        #[arg(long)]
        deleted: bool,
        #[command(flatten)]
        limit: Limit,
    },
    /// A patient's whole record: medical alerts and allergies first.
    Show {
        /// The patient's id or human id (TS-7K3M-9Q2X).
        patient: String,
    },
    /// Find patients by name (accents and case do not matter; words match as prefixes),
    /// human id, phone digits or narrative text.
    Search {
        /// What to look for.
        query: String,
        #[command(flatten)]
        limit: Limit,
    },
    /// Change fields of a patient's profile; the fields not given are kept.
    Edit(PatientEditArgs),
    /// Move a patient to the bin; restorable for 30 days.
    Delete {
        /// The patient's id or human id.
        patient: String,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Take a patient out of the bin.
    Restore {
        /// The patient's id or human id.
        patient: String,
    },
    /// Merge a duplicate record into another (admins): OTHER's visits, narratives, photos
    /// and consents move to SURVIVOR, OTHER goes to the bin and its ids open SURVIVOR.
    /// Undo with `patient unmerge OTHER` until the bin empties.
    Merge {
        /// The record that stays (id or human id).
        survivor: String,
        /// The duplicate merged into it (id or human id).
        other: String,
    },
    /// Undo a merge (admins): what moved goes back, and the record leaves the bin.
    Unmerge {
        /// The merged-away record (id or human id).
        merged: String,
    },
    /// Erase a patient for good (right to be forgotten; admins): every row, photo file and
    /// the personal data in their audit trail. Asks you to type PATIENT again unless --yes.
    Erase {
        /// The patient's id or human id.
        patient: String,
        /// Keep an anonymised record (sex, birth year, visit months and vitals) instead.
        #[arg(long)]
        anonymise: bool,
        /// Do not ask for confirmation (needed when not run in a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Write everything held on a patient to one tar archive (subject access request;
    /// admins): record.json, the photos and a README.
    SubjectExport {
        /// The patient's id or human id.
        patient: String,
        /// The archive to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Encrypt the archive with age to a passphrase (from TESSERA_EXPORT_PASSPHRASE or a
        /// prompt, at least 12 characters); `age -d` opens it.
        #[arg(long, conflicts_with = "recipient")]
        encrypt: bool,
        /// Encrypt the archive to this age public key (age1…) instead; may be repeated.
        #[arg(long, value_name = "KEY")]
        recipient: Vec<String>,
    },
}

/// `tessera patient edit`.
#[derive(Debug, Args)]
pub struct PatientEditArgs {
    /// The patient's id or human id.
    pub patient: String,
    #[command(flatten)]
    pub file: JsonFile,
    /// The version your change is based on [default: the file's `version`, or the current
    /// version]. If the patient was saved since, the edit is refused.
    #[arg(long, value_name = "N")]
    pub expect_version: Option<u32>,
    #[command(flatten)]
    pub fields: Box<ProfileFlags>,
}

/// The profile fields settable by flag, shared by `patient add` and `patient edit`.
/// Each given flag replaces its field; an empty value (`--phone ''`) clears it; list flags
/// replace the whole list. Medications, emergency contacts, insurance and communication
/// preferences are set through --json FILE.
#[derive(Debug, Args)]
#[command(next_help_heading = "Profile fields")]
pub struct ProfileFlags {
    /// Given (first) name.
    #[arg(long, value_name = "NAME")]
    pub given: Option<String>,
    /// Family name.
    #[arg(long, value_name = "NAME")]
    pub family: Option<String>,
    /// The name the patient likes to be called by.
    #[arg(long, value_name = "NAME")]
    pub preferred_name: Option<String>,
    /// Date of birth.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub dob: Option<String>,
    /// female, male, intersex or unknown.
    #[arg(long, value_name = "SEX")]
    pub sex: Option<String>,
    /// Phone number.
    #[arg(long, value_name = "PHONE")]
    pub phone: Option<String>,
    /// Where the patient lives or can be found.
    #[arg(long, value_name = "TEXT")]
    pub location: Option<String>,
    /// Preferred language, as a tag: en, fr, pt-BR.
    #[arg(long, value_name = "TAG")]
    pub language: Option<String>,
    /// A+, A-, B+, B-, AB+, AB-, O+ or O-.
    #[arg(long, value_name = "TYPE")]
    pub blood_type: Option<String>,
    /// Registered organ donor: true or false.
    #[arg(long, value_name = "true|false")]
    pub organ_donor: Option<String>,
    /// An allergy (repeat for each).
    #[arg(long = "allergy", value_name = "SUBSTANCE")]
    pub allergies: Option<Vec<String>>,
    /// A chronic condition (repeat for each).
    #[arg(long = "condition", value_name = "TEXT")]
    pub conditions: Option<Vec<String>>,
    /// A medical alert every reader sees first (repeat for each).
    #[arg(long = "alert", value_name = "TEXT")]
    pub alerts: Option<Vec<String>>,
    /// active, inactive, discharged or deceased.
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
}
