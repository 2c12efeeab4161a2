//! The one error type of tessera-core, and the class each error falls into.
//!
//! Front ends (CLI, desktop shell) map [`ErrorClass`] to exit codes or UI codes; they never
//! inspect messages.

use std::path::PathBuf;

/// Result alias used across the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure an [`Error`] is, for exit codes and UI error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Something failed: bad input, a missing record, an I/O error.
    Failure,
    /// Authentication or authorization was refused.
    Refused,
    /// The vault, its audit chain, a backup or a signature failed an integrity check.
    Integrity,
}

/// Everything that can go wrong in the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The vault directory or its header does not exist.
    #[error("no vault at {}: run `tessera init` to create one", .0.display())]
    VaultNotFound(PathBuf),
    /// `create` was asked to write over an existing, non-empty directory.
    #[error("{} already exists and is not empty; choose another directory", .0.display())]
    VaultExists(PathBuf),
    /// The user name is unknown, the account is disabled, or the password is wrong.
    /// These are deliberately indistinguishable.
    #[error("wrong user name or password")]
    BadCredentials,
    /// The recovery key is well-formed but does not open this vault.
    #[error("the recovery key does not open this vault")]
    BadRecoveryKey,
    /// The recovery key was mistyped (bad characters, length or checksum).
    #[error("the recovery key is not valid: {0}")]
    MalformedRecoveryKey(&'static str),
    /// Too many failed sign-ins; the key slot refuses attempts until the delay passes.
    #[error("too many failed sign-ins: this account is locked for another {retry_after_secs} s")]
    LockedOut {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
    /// The policy does not allow this actor to perform this action.
    #[error("{role} may not {action}")]
    Denied {
        /// The actor's role (or `recovery key`).
        role: String,
        /// What was attempted, in words.
        action: String,
    },
    /// Someone else chose this account's password; the user must choose their own first.
    #[error(
        "{0} must choose a new password before doing anything else (`tessera user passwd`, or the app's sign-in)"
    )]
    PasswordChangeRequired(String),
    /// A registration matched patients who may be the same person.
    #[error(
        "this may be the same person as {}, already registered with the same name and date of birth, or the same phone; open that record, or register anyway if this is someone else",
        .human_ids.join(", ")
    )]
    LikelyDuplicate {
        /// The matching patients' human ids.
        human_ids: Vec<String>,
    },
    /// `header.json` cannot be read as a Tessera header.
    #[error("the vault header is corrupt: {0}")]
    CorruptHeader(String),
    /// `vault.db` cannot be decrypted or read.
    #[error("the vault database is damaged or does not belong to this vault: {0}")]
    CorruptDatabase(String),
    /// `vault.db` is a plain, unencrypted SQLite file. Tessera refuses to use it.
    #[error("vault.db is not encrypted; refusing to use it")]
    PlaintextDatabase,
    /// The vault was written by a newer Tessera.
    #[error(
        "this vault uses {what} version {found}, but this Tessera supports up to {supported}; install a newer Tessera"
    )]
    FutureVersion {
        /// `format` (header) or `schema` (database).
        what: &'static str,
        /// Version found in the vault.
        found: u64,
        /// Newest version this build understands.
        supported: u64,
    },
    /// A stored photo file failed authentication: damaged, truncated or swapped.
    #[error("the stored photo file {0} is damaged or does not belong to this record")]
    CorruptBlob(String),
    /// `vault check` found damage (the details are in its report).
    #[error("the vault is damaged: {0}")]
    VaultDamaged(String),
    /// The audit chain failed verification.
    #[error("audit chain broken at entry #{seq}: {reason}")]
    AuditChainBroken {
        /// The first bad entry (or the first missing one).
        seq: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A photo was refused: its format, size, or damage.
    #[error("photo: {0}")]
    Photo(#[from] tessera_media::MediaError),
    /// The vault is open in another session (the app, or another command).
    #[error(
        "the vault is in use by another session: close the app (or wait for the other command) and try again"
    )]
    VaultInUse,
    /// A key replacement stopped after it began switching files; the next sign-in finishes it.
    #[error(
        "the vault key replacement could not finish ({0}); sign in again to finish it: nothing is lost"
    )]
    RekeyUnfinished(String),
    /// The backup file is damaged: a flipped byte, a cut-off end, or a member that does not
    /// match its manifest. Names the first bad member when it can.
    #[error("the backup {file} is damaged: {reason}")]
    BackupDamaged {
        /// The backup file.
        file: String,
        /// What is wrong, naming the first bad member.
        reason: String,
    },
    /// The passphrase or key does not open the backup file.
    #[error(
        "the backup {0} cannot be decrypted: wrong passphrase or key (or its encryption header is damaged)"
    )]
    BackupWrongKey(String),
    /// The backup is of another vault than the one it would replace.
    #[error(
        "the backup belongs to another vault ({backup_vault}) than the one at {target} ({target_vault}); refusing to replace it"
    )]
    BackupForeign {
        /// The vault the backup was taken of.
        backup_vault: String,
        /// Where the restore would go.
        target: String,
        /// The vault there now.
        target_vault: String,
    },
    /// A file that is not a Tessera backup, or one from a newer version.
    #[error("{0}")]
    BackupUnsupported(String),
    /// The destination has too little free space for the backup; nothing was written.
    #[error(
        "not enough space in {destination}: the backup needs about {needed} bytes and {available} are free"
    )]
    BackupNoSpace {
        /// The destination directory.
        destination: String,
        /// Estimated size of the backup file.
        needed: u64,
        /// Free bytes at the destination.
        available: u64,
    },
    /// A transfer bundle or receipt is damaged or altered: a flipped byte, a missing part,
    /// a member that does not match its signed manifest. Nothing of it was applied.
    #[error("the transfer bundle is damaged or incomplete: {0}")]
    BundleDamaged(String),
    /// A whole transfer bundle, receipt or identity that this vault will not take; the
    /// reason says which. Nothing of it was applied.
    #[error("{0}")]
    BundleRefused(TransferRefusal),
    /// An access code or QR token did not open a grant.
    #[error("{0}")]
    AccessRefused(AccessRefusal),
    /// A PDF could not be laid out or sealed.
    #[error("cannot write the PDF: {0}")]
    Pdf(String),
    /// An exported document or file is not what this vault exported: altered, forged, or
    /// from elsewhere. The text says which.
    #[error("not genuine: {0}")]
    NotGenuine(String),
    /// The operation was cancelled by the user; nothing was left behind.
    #[error("cancelled")]
    Cancelled,
    /// Input failed validation.
    #[error("{field}: {message}")]
    Invalid {
        /// The field or argument at fault.
        field: &'static str,
        /// What is wrong, in words a user can act on.
        message: String,
    },
    /// A record does not exist.
    #[error("{what} not found: {id}")]
    NotFound {
        /// Kind of record.
        what: &'static str,
        /// The id or name looked up.
        id: String,
    },
    /// The change conflicts with the current state (duplicate name, last admin, stale edit).
    #[error("{0}")]
    Conflict(String),
    /// The copy of the vault kept before an upgrade changes its format could not be made;
    /// nothing was migrated.
    #[error(
        "this version of Tessera keeps a copy of the vault before it upgrades the vault's format, and could not make one ({0}); the vault is unchanged"
    )]
    UpgradeCopy(Box<Error>),
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The database reported an error not covered above.
    #[error("database error: {0}")]
    Database(rusqlite::Error),
    /// A bug: an invariant of the core was broken. Nothing was written.
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// The operating system's random generator or a cryptographic primitive failed.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

/// Why an access code or token was refused: each reason is told apart, audited by its
/// [`name`](AccessRefusal::name) and shown in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessRefusal {
    /// No active grant has this code.
    WrongCode,
    /// The grant has expired.
    Expired,
    /// The grant was revoked (or removed with its patient).
    Revoked,
    /// Not a Tessera access code or token; the text says how.
    Malformed(String),
    /// Signed by another vault's key.
    UnknownKey(String),
    /// The signature does not match: the token was altered.
    BadSignature,
    /// Too many wrong codes from this workstation or for this grant.
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: u64,
    },
}

impl AccessRefusal {
    /// The reason's name, as audited and as `--json` prints it.
    pub fn name(&self) -> &'static str {
        match self {
            AccessRefusal::WrongCode => "wrong_code",
            AccessRefusal::Expired => "expired",
            AccessRefusal::Revoked => "revoked",
            AccessRefusal::Malformed(_) => "malformed",
            AccessRefusal::UnknownKey(_) => "unknown_key",
            AccessRefusal::BadSignature => "bad_signature",
            AccessRefusal::TooManyAttempts { .. } => "too_many_attempts",
        }
    }
}

impl std::fmt::Display for AccessRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AccessRefusal::WrongCode => f.write_str("no active access grant has this code"),
            AccessRefusal::Expired => f.write_str("this access grant has expired"),
            AccessRefusal::Revoked => f.write_str("this access grant was revoked"),
            AccessRefusal::Malformed(why) => write!(f, "not a valid Tessera access code: {why}"),
            AccessRefusal::UnknownKey(id) => write!(
                f,
                "signed by another vault's key ({id}), not this vault's: it cannot open a record here"
            ),
            AccessRefusal::BadSignature => {
                f.write_str("the signature does not match: the code was altered or damaged")
            }
            AccessRefusal::TooManyAttempts { retry_after_secs } => write!(
                f,
                "too many wrong access codes: wait {retry_after_secs} s before trying again"
            ),
        }
    }
}

/// Why a transfer bundle, receipt or identity was refused: each reason is told apart by its
/// [`name`](TransferRefusal::name), which the app puts in words; the text names the vaults
/// and numbers for the CLI and for support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferRefusal {
    /// Not a transfer identity (or a damaged one); the text says how.
    NotIdentity(String),
    /// This vault has no transfer identity, so nothing can have been made for it.
    NoIdentityHere,
    /// Made for another vault: its id, when the file says it (an age file encrypted to
    /// another key does not).
    ForAnotherVault(Option<String>),
    /// From a vault this one is not paired with.
    NotPaired(String),
    /// Signed with a key other than the paired vault's.
    BadSignature {
        /// The paired vault's name.
        peer: String,
        /// What the signature check found.
        problem: String,
    },
    /// Written by a Tessera whose vault format differs from this one's.
    OtherSchema {
        /// The sender's schema version.
        theirs: u32,
        /// This vault's.
        ours: u32,
    },
    /// Written in a newer bundle layout than this Tessera reads.
    NewerLayout(u32),
    /// It starts after changes this vault has not received: an earlier bundle is missing.
    Gap {
        /// The bundle's number.
        bundle: u64,
        /// The paired vault's name.
        peer: String,
        /// The last of its bundles this vault took in.
        received: u64,
    },
    /// A receipt for more than this vault has written.
    ReceiptBeyond,
    /// Not a transfer receipt (or a damaged one); the text says how.
    NotReceipt(String),
}

impl TransferRefusal {
    /// The reason's name, as the app receives it.
    pub fn name(&self) -> &'static str {
        match self {
            TransferRefusal::NotIdentity(_) => "not_identity",
            TransferRefusal::NoIdentityHere => "no_identity_here",
            TransferRefusal::ForAnotherVault(_) => "for_another_vault",
            TransferRefusal::NotPaired(_) => "not_paired",
            TransferRefusal::BadSignature { .. } => "bad_signature",
            TransferRefusal::OtherSchema { .. } | TransferRefusal::NewerLayout(_) => {
                "other_version"
            }
            TransferRefusal::Gap { .. } => "gap",
            TransferRefusal::ReceiptBeyond => "receipt_beyond",
            TransferRefusal::NotReceipt(_) => "not_receipt",
        }
    }
}

impl std::fmt::Display for TransferRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransferRefusal::NotIdentity(why) => {
                write!(f, "not a usable transfer identity: {why}")
            }
            TransferRefusal::NoIdentityHere => f.write_str(
                "this vault has not published a transfer identity yet, so nothing can be for it",
            ),
            TransferRefusal::ForAnotherVault(Some(vault)) => {
                write!(f, "this was made for vault {vault}, not this one")
            }
            TransferRefusal::ForAnotherVault(None) => f.write_str(
                "this bundle was not made for this vault: it is encrypted to another vault's key",
            ),
            TransferRefusal::NotPaired(vault) => {
                write!(
                    f,
                    "this comes from vault {vault}, which this vault is not paired with"
                )
            }
            TransferRefusal::BadSignature { peer, problem } => {
                write!(f, "the signature is not {peer}'s: {problem}")
            }
            TransferRefusal::OtherSchema { theirs, ours } => write!(
                f,
                "the bundle was written by a Tessera with vault format {theirs} and this one has \
                 {ours}: update both to the same version first"
            ),
            TransferRefusal::NewerLayout(layout) => write!(
                f,
                "the bundle was written by a newer Tessera (layout {layout}); update this one first"
            ),
            TransferRefusal::Gap {
                bundle,
                peer,
                received,
            } => write!(
                f,
                "bundle {bundle} from {peer} starts after changes this vault has not received: \
                 import {peer}'s earlier bundle first (after number {received}), or ask for a \
                 new bundle"
            ),
            TransferRefusal::ReceiptBeyond => f.write_str(
                "this receipt confirms more than this vault has written: it is not for this \
                 vault's bundles",
            ),
            TransferRefusal::NotReceipt(why) => write!(f, "not a usable transfer receipt: {why}"),
        }
    }
}

impl Error {
    /// The class this error belongs to.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::BadCredentials
            | Error::BadRecoveryKey
            | Error::LockedOut { .. }
            | Error::Denied { .. }
            | Error::PasswordChangeRequired(_)
            | Error::BackupWrongKey(_)
            | Error::AccessRefused(_)
            | Error::BundleRefused(_) => ErrorClass::Refused,
            Error::CorruptHeader(_)
            | Error::CorruptDatabase(_)
            | Error::PlaintextDatabase
            | Error::CorruptBlob(_)
            | Error::VaultDamaged(_)
            | Error::AuditChainBroken { .. }
            | Error::BackupDamaged { .. }
            | Error::NotGenuine(_)
            | Error::BundleDamaged(_) => ErrorClass::Integrity,
            _ => ErrorClass::Failure,
        }
    }

    /// Wraps an I/O error with what was being done.
    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
        let context = context.into();
        move |source| Error::Io { context, source }
    }

    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                Error::CorruptDatabase(e.to_string())
            }
            // SQLCipher reports a page that fails authentication as "out of memory" (the
            // codec hands SQLite no page); with the memory this runs in, that is what it
            // means.
            Some(ErrorCode::OutOfMemory) => Error::CorruptDatabase(
                "a page failed authentication: the file was changed or damaged \
                 (`tessera vault check` names the pages)"
                    .into(),
            ),
            _ => Error::Database(e),
        }
    }
}
