//! `tessera access ...`.

use std::path::PathBuf;

use clap::Subcommand;

/// `tessera access ...`.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Give a patient a time-limited code and QR card opening chosen sections of their record.
    Grant {
        /// The patient's id or human id.
        patient: String,
        /// The sections it opens, comma-separated: emergency, profile, medications, visits,
        /// photos, narratives (or all).
        #[arg(long, value_name = "LIST")]
        perms: String,
        /// How long it runs: 1 to 720 hours (30 days).
        #[arg(long, value_name = "N")]
        hours: u32,
        /// Also write the QR card to this file: .svg or .png.
        #[arg(long, value_name = "FILE")]
        qr_out: Option<PathBuf>,
    },
    /// Open the record a 6-digit code gives access to (what the grant allows, nothing more).
    Verify {
        /// The code, as the patient gives it (spaces and dashes are fine).
        code: String,
        /// The patient's human id, when they give it too: guesses then count against their grants.
        #[arg(long, value_name = "ID")]
        patient: Option<String>,
    },
    /// Find the QR codes in images and check each: signature, expiry and the grant's state.
    /// Exits 0 only when every image held a valid token.
    Scan {
        /// Image files (PNG or JPEG): photos of cards, screenshots, scans.
        #[arg(required = true, value_name = "IMAGE")]
        images: Vec<PathBuf>,
    },
    /// A patient's grants, newest first, with their state and uses.
    List {
        /// The patient's id or human id.
        patient: String,
    },
    /// Revoke a grant: its code and QR stop working at once.
    Revoke {
        /// The grant's id.
        id: String,
    },
    /// Write a grant's QR card again (the code itself cannot be shown again).
    Card {
        /// The grant's id.
        id: String,
        /// Where to write the card: .svg or .png.
        #[arg(long, value_name = "FILE")]
        qr_out: PathBuf,
    },
    /// Print the vault's public signing key and key id, for another site to check its QR codes.
    Key,
}
