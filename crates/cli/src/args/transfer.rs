//! `tessera transfer ...`.

use std::path::PathBuf;

use clap::Subcommand;

/// `tessera transfer ...`.
#[derive(Debug, Subcommand)]
pub enum TransferCommand {
    /// Write this vault's transfer identity (its public keys) for another vault to pair
    /// with, and print its fingerprint (admins).
    Identity {
        /// Write the identity to this file (its text), for a stick.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also write it as a QR code: .svg or .png.
        #[arg(long, value_name = "FILE")]
        qr_out: Option<PathBuf>,
    },
    /// Pair with another vault from its identity file (admins). Compare the fingerprint
    /// printed with the one the other vault shows before trusting it.
    Pair {
        /// The other vault's identity file (or `-` for its text on stdin).
        identity: PathBuf,
        /// What to call it here, e.g. "Clinic Maputo" or "Ana's field laptop".
        #[arg(long, value_name = "NAME")]
        name: String,
    },
    /// The vaults this one is paired with.
    Peers,
    /// Write a bundle of everything changed since the paired vault last confirmed.
    Export {
        /// The paired vault: its name or vault id.
        #[arg(long, value_name = "VAULT")]
        to: String,
        /// The folder to write it in (a stick).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Cut the bundle into parts of at most this many megabytes (1 MB = 1,000,000 bytes).
        #[arg(long, value_name = "MB", value_parser = clap::value_parser!(u64).range(1..))]
        split_mb: Option<u64>,
    },
    /// Import a bundle from a paired vault (its file, or any of its parts) and write the
    /// receipt to take back.
    Import {
        /// The bundle file.
        bundle: PathBuf,
        /// Where to write the receipt [default: beside the bundle, `<bundle>.receipt`].
        #[arg(long, value_name = "FILE")]
        receipt_out: Option<PathBuf>,
    },
    /// Receipts: take one in (the next bundle starts after what it confirms), or write the
    /// receipt for a paired vault again.
    Receipt {
        /// A receipt file to take in.
        #[arg(
            value_name = "FILE",
            conflicts_with = "to",
            required_unless_present = "to"
        )]
        file: Option<PathBuf>,
        /// Write the receipt for this paired vault instead (name or vault id).
        #[arg(long, value_name = "VAULT", requires = "out")]
        to: Option<String>,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Records changed on both sides, and possible duplicates: list them, or settle one.
    Conflicts {
        /// Settle this conflict (its id).
        #[arg(long, value_name = "ID", requires = "keep")]
        resolve: Option<String>,
        /// With --resolve: ours, theirs, or (for a possible duplicate) different.
        #[arg(long, value_name = "CHOICE")]
        keep: Option<String>,
        /// List settled conflicts too.
        #[arg(long)]
        all: bool,
    },
}
