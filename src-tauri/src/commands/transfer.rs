//! Moving records between paired vaults on a stick: this vault's identity and pairing
//! (admins), writing and importing bundles, receipts, and the conflicts an import left for a
//! person. Thin over `tessera_core::transfer`, which decides who may do what.
//!
//! Paths come from the system's file chooser (`file_choose`, `folder_choose`) or are typed.
//! The small token files (an identity, a receipt) are read and written here, so the webview
//! never touches a file; a token's text is public (keys and signed claims, no health data).

use std::io::Write as _;
use std::path::Path;
use std::sync::Mutex;

use serde::Serialize;
use tauri::State;
use tauri::ipc::Channel;
use tessera_app_macros::command;
use tessera_core::progress::Progress;
use tessera_core::transfer::conflicts::{self, Choice, Conflict};
use tessera_core::transfer::{
    self, BundleWritten, IdentityPreview, ImportReport, Peer, ReceiptAccepted,
};
use ts_rs::TS;

use crate::api_error::ApiError;
use crate::commands::backups::Throttle;
use crate::input::{invalid, typed_path};
use crate::state::{self, AppState, blocking};

/// The largest identity or receipt file read: a token is a few hundred characters.
const TOKEN_FILE_MAX: u64 = 64 * 1024;

/// This vault's transfer identity, as the Transfer screen shows it (core's
/// `transfer::Identity`, named apart from a patient's `Identity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VaultIdentity {
    /// The vault's id.
    pub vault_id: String,
    /// What people compare on both screens before pairing.
    pub fingerprint: String,
    /// The age public key bundles to this vault are encrypted to.
    pub recipient: String,
    /// The identity as token text: the file's content and the QR code's.
    pub token: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

impl From<transfer::Identity> for VaultIdentity {
    fn from(i: transfer::Identity) -> VaultIdentity {
        VaultIdentity {
            vault_id: i.vault_id,
            fingerprint: i.fingerprint,
            recipient: i.recipient,
            token: i.token,
            qr_svg: i.qr_svg,
        }
    }
}

/// A bundle imported, and where its receipt was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BundleImported {
    /// What the import did, with the receipt as text and as a QR code.
    pub report: ImportReport,
    /// The receipt file written beside the bundle (`<bundle>.receipt`), when it could be.
    pub receipt_file: Option<String>,
    /// Why the receipt could not be saved there (a stick that is read-only or full); the QR
    /// code still carries it.
    pub receipt_problem: Option<String>,
}

/// This vault's transfer identity, made on first use. Admins.
#[command]
pub async fn transfer_identity(state: State<'_, AppState>) -> Result<VaultIdentity, ApiError> {
    state
        .with_session(|s| transfer::identity(s).map(VaultIdentity::from))
        .await
}

/// Saves this vault's identity to `file` (its token text and a newline), for a stick; answers
/// the path written. A file there is replaced only if it holds a Tessera token. Admins.
#[command]
pub async fn transfer_identity_save(
    state: State<'_, AppState>,
    file: String,
) -> Result<String, ApiError> {
    let path = typed_path("file", &file)?;
    let identity = state.with_session(transfer::identity).await?;
    blocking(move || {
        write_token(&path, &identity.token).map_err(|why| invalid("file", &why))?;
        Ok(path.display().to_string())
    })
    .await
}

/// The token text in an identity or receipt file, to check before using it.
#[command]
pub async fn transfer_token_read(
    state: State<'_, AppState>,
    file: String,
) -> Result<String, ApiError> {
    state.username()?;
    let path = typed_path("file", &file)?;
    blocking(move || read_token(&path)).await
}

/// Another vault's identity (`token`, from its file or QR code) as a person checks it before
/// pairing: the fingerprint to compare with the one that vault shows. Admins.
#[command]
pub async fn transfer_identity_preview(
    state: State<'_, AppState>,
    token: String,
) -> Result<IdentityPreview, ApiError> {
    state
        .with_session(move |s| transfer::preview_identity(s, &token))
        .await
}

/// Pairs with the vault whose identity is `token`, under `name`. Admins.
#[command]
pub async fn transfer_pair(
    state: State<'_, AppState>,
    token: String,
    name: String,
) -> Result<Peer, ApiError> {
    state
        .with_session(move |s| transfer::pair(s, &token, &name))
        .await
}

/// The vaults this one is paired with.
#[command]
pub async fn transfer_peers(state: State<'_, AppState>) -> Result<Vec<Peer>, ApiError> {
    state.with_session(transfer::peers).await
}

/// Writes a bundle for the paired vault `to` (its name or id) into `folder`, cut into parts
/// of `split_mb` megabytes when given. How many of its images are written arrives on
/// `on_progress`.
#[command]
pub async fn transfer_export(
    state: State<'_, AppState>,
    to: String,
    folder: String,
    split_mb: Option<u32>,
    on_progress: Channel<Progress>,
) -> Result<BundleWritten, ApiError> {
    let folder = typed_path("folder", &folder)?;
    let part_bytes = match split_mb {
        Some(0) => return Err(invalid("split", "a part holds at least 1 MB")),
        mb => mb.map(|mb| u64::from(mb) * 1_000_000),
    };
    state
        .with_session(move |s| {
            let throttle = Mutex::new(Throttle::default());
            transfer::export(s, &to, &folder, part_bytes, &|p| {
                if state::lock(&throttle).due(&p) {
                    // A closed window only stops the progress, not the bundle.
                    let _ = on_progress.send(p);
                }
            })
        })
        .await
}

/// Imports the bundle at `file` (its file or any of its parts), then saves the receipt for
/// the sender where core says it goes: beside it (`<bundle>.receipt`, without a part's
/// number).
#[command]
pub async fn transfer_import(
    state: State<'_, AppState>,
    file: String,
) -> Result<BundleImported, ApiError> {
    let path = typed_path("file", &file)?;
    let bundle = path.clone();
    let report = state
        .with_session(move |s| transfer::import(s, &bundle))
        .await?;
    let receipt = transfer::bundle::receipt_path(&path);
    let token = report.receipt.clone();
    let written = blocking(move || Ok(write_token(&receipt, &token).map(|()| receipt))).await?;
    let (receipt_file, receipt_problem) = match written {
        Ok(receipt) => (Some(receipt.display().to_string()), None),
        Err(problem) => (None, Some(problem)),
    };
    Ok(BundleImported {
        report,
        receipt_file,
        receipt_problem,
    })
}

/// Takes in a receipt (`token`, from its file or QR code) from a paired vault: the next
/// bundle to it starts after what it confirms.
#[command]
pub async fn transfer_receipt_accept(
    state: State<'_, AppState>,
    token: String,
) -> Result<ReceiptAccepted, ApiError> {
    state
        .with_session(move |s| transfer::accept_receipt(s, &token))
        .await
}

/// What imports could not settle alone, oldest first: the open ones, or with `all` the
/// settled ones too.
#[command]
pub async fn transfer_conflicts(
    state: State<'_, AppState>,
    all: bool,
) -> Result<Vec<Conflict>, ApiError> {
    state.with_session(move |s| conflicts::list(s, all)).await
}

/// Settles conflict `id`: keep this vault's version, take the other's, or (a possible
/// duplicate) they are different people.
#[command]
pub async fn transfer_conflict_resolve(
    state: State<'_, AppState>,
    id: String,
    choice: Choice,
) -> Result<Conflict, ApiError> {
    state
        .with_session(move |s| conflicts::resolve(s, &id, choice))
        .await
}

/// Whether `text` is a token file's content (an identity or a receipt, or a card's).
fn is_token(text: &str) -> bool {
    text.trim_start().starts_with("TS1:")
}

/// The token in the small file at `path`, trimmed.
fn read_token(path: &Path) -> Result<String, ApiError> {
    let unreadable =
        |e: std::io::Error| invalid("file", &format!("cannot read {}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(unreadable)?.len();
    if size > TOKEN_FILE_MAX {
        return Err(invalid(
            "file",
            &format!(
                "{} is not an identity or receipt file: it is far too large",
                path.display()
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(unreadable)?;
    match String::from_utf8(bytes) {
        Ok(text) if is_token(&text) => Ok(text.trim().to_owned()),
        _ => Err(invalid(
            "file",
            &format!(
                "{} is not an identity or receipt file written by Tessera",
                path.display()
            ),
        )),
    }
}

/// Writes `token` and a newline to `path`: under a partial name, synced, then renamed into
/// place, so a stick pulled out early leaves no half file under the real name. A file
/// already there is replaced only if it holds a token (an older identity or receipt). The
/// error says why in words.
fn write_token(path: &Path, token: &str) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!("{} is a folder: add a file name", path.display()));
    }
    if path.exists() {
        let holds_token = std::fs::metadata(path).is_ok_and(|m| m.len() <= TOKEN_FILE_MAX)
            && std::fs::read_to_string(path).is_ok_and(|text| is_token(&text));
        if !holds_token {
            return Err(format!(
                "{} is there already and is not a Tessera file: choose another name",
                path.display()
            ));
        }
    }
    let name = path
        .file_name()
        .ok_or_else(|| format!("{} has no file name", path.display()))?;
    let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let written = (|| {
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(format!("{token}\n").as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&partial, path)?;
        if let Some(dir) = path.parent()
            && let Ok(dir) = std::fs::File::open(dir)
        {
            // Some file systems (a stick's FAT) cannot sync a folder; the file itself is.
            let _ = dir.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        format!("cannot write {}: {e}", path.display())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_error::ErrorCode;

    #[test]
    fn a_token_file_is_written_whole_read_back_and_replaces_only_a_token() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("clinic.identity");
        write_token(&path, "TS1:ABC").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "TS1:ABC\n");
        assert_eq!(read_token(&path).unwrap(), "TS1:ABC");
        // A newer identity replaces the older one; nothing partial is left.
        write_token(&path, "TS1:DEF").unwrap();
        assert_eq!(read_token(&path).unwrap(), "TS1:DEF");
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);

        // Someone's document is never replaced, nor read as a token.
        let letter = tmp.path().join("letter.txt");
        std::fs::write(&letter, "Dear Dr Silva").unwrap();
        let refused = write_token(&letter, "TS1:ABC").unwrap_err();
        assert!(refused.contains("not a Tessera file"), "{refused}");
        assert_eq!(std::fs::read_to_string(&letter).unwrap(), "Dear Dr Silva");
        assert!(
            read_token(&letter)
                .unwrap_err()
                .message
                .contains("not an identity")
        );
        assert!(write_token(tmp.path(), "TS1:ABC").is_err(), "a folder");
        let missing = read_token(&tmp.path().join("gone.identity")).unwrap_err();
        assert_eq!(
            (missing.code, missing.field.as_deref()),
            (ErrorCode::Invalid, Some("file"))
        );
    }
}
