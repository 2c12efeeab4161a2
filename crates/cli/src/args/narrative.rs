//! `tessera narrative ...`.

use clap::Subcommand;
use tessera_core::narratives::AuthorType;

use super::serde_name;

/// `tessera narrative ...`.
#[derive(Debug, Subcommand)]
pub enum NarrativeCommand {
    /// Write a new narrative for a patient.
    Add {
        /// The patient's id or human id.
        patient: String,
        /// The story.
        #[arg(long, value_name = "TEXT")]
        text: String,
        /// A short title.
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// The id of the photo it is about.
        #[arg(long, value_name = "ID")]
        photo: Option<String>,
        /// Who it speaks for: patient, social_worker or clinician [default: your role].
        #[arg(long, value_name = "WHO", value_parser = serde_name::<AuthorType>)]
        author_type: Option<AuthorType>,
        /// Readable only by you and admins (as a private photo is).
        #[arg(long)]
        private: bool,
    },
    /// Replace a narrative's text (and title); the earlier text is kept in its history.
    Edit {
        /// The narrative's id.
        id: String,
        /// The new text.
        #[arg(long, value_name = "TEXT")]
        text: String,
        /// A new title [default: keep the title].
        #[arg(long, value_name = "TEXT")]
        title: Option<String>,
        /// The revision your change is based on [default: the current one]. If the
        /// narrative was edited since, the edit is refused.
        #[arg(long, value_name = "N")]
        expect_revision: Option<u32>,
    },
    /// A patient's narratives, newest first.
    List {
        /// The patient's id or human id.
        patient: String,
    },
    /// Every revision of a narrative, oldest first.
    History {
        /// The narrative's id.
        id: String,
    },
}
