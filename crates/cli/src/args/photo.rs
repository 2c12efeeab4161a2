//! `tessera photo ...`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};
use tessera_core::media::Privacy;

use super::serde_name;

/// `tessera photo ...`.
#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Import JPEG, PNG, WebP or HEIC photos for a patient: metadata stripped, thumbnails made,
    /// everything sealed. Files are processed on every core; one bad file fails alone.
    Import {
        /// The patient's id or human id.
        patient: String,
        /// The photo files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Who may see them: staff (everyone who may see the record) or private (you and
        /// admins).
        #[arg(long, default_value = "staff", value_parser = serde_name::<Privacy>)]
        privacy: Privacy,
        /// A caption for each photo.
        #[arg(long, value_name = "TEXT")]
        caption: Option<String>,
    },
    /// A patient's photos, newest first.
    List {
        /// The patient's id or human id.
        patient: String,
        /// List the photos in the bin instead.
        #[arg(long)]
        deleted: bool,
    },
    /// One photo's record.
    Show {
        /// The photo's id.
        id: String,
    },
    /// Write a photo (the stripped original, or its preview or thumbnail) to a file.
    Get(PhotoGetArgs),
    /// Change a photo's caption or who may see it.
    Edit {
        /// The photo's id.
        id: String,
        /// New caption ("" clears it).
        #[arg(long, value_name = "TEXT")]
        caption: Option<String>,
        /// private or staff.
        #[arg(long, value_parser = serde_name::<Privacy>)]
        privacy: Option<Privacy>,
    },
    /// Move a photo to the bin (restorable).
    Delete {
        /// The photo's id.
        id: String,
    },
    /// Take a photo out of the bin.
    Restore {
        /// The photo's id.
        id: String,
    },
}

/// `tessera photo get`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("variant").args(["thumb", "preview"])))]
pub struct PhotoGetArgs {
    /// The photo's id.
    pub id: String,
    /// Where to write it (refuses to overwrite an existing file).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The 320-pixel thumbnail (JPEG) instead of the original.
    #[arg(long)]
    pub thumb: bool,
    /// The 1280-pixel preview (JPEG) instead of the original.
    #[arg(long)]
    pub preview: bool,
}
