//! The app's status, first-run vault creation, and settings.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tauri::State;
use tessera_app_macros::command;
use tessera_core::crypto::Argon2Params;
use tessera_core::settings::{self, DEFAULT_AUTO_LOCK_MINUTES, VaultSettings};
use tessera_core::vault::{self, NewVault};
use ts_rs::TS;

use crate::api_error::{ApiError, ErrorCode};
use crate::secret::Secret;
use crate::state::{self, AppState, SessionInfo, blocking};

/// What a file chooser is for: the files it offers first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// A vault's transfer identity (`.identity`).
    Identity,
    /// A transfer bundle, or any of its parts (`.tbundle`, `.001`).
    Bundle,
    /// A transfer receipt (`.receipt`).
    Receipt,
}

impl FileKind {
    /// The chooser's filter: what the files are called, and their extensions.
    fn filter(self) -> (&'static str, &'static [&'static str]) {
        match self {
            FileKind::Identity => ("Tessera identity", &["identity", "txt"]),
            FileKind::Bundle => (
                "Tessera bundle",
                &[tessera_core::transfer::bundle::EXTENSION, "001"],
            ),
            FileKind::Receipt => ("Tessera receipt", &["receipt", "txt"]),
        }
    }
}

/// UI languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    /// English.
    #[default]
    En,
    /// French.
    Fr,
}

/// What the UI needs to choose its first screen.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AppStatus {
    /// The vault directory.
    pub vault_path: String,
    /// Whether a vault exists there (else: first-run setup).
    pub vault_exists: bool,
    /// Who is signed in, if anyone.
    pub session: Option<SessionInfo>,
    /// The UI language.
    pub language: Language,
}

/// What first-run setup returns: the recovery key, shown once.
#[derive(Debug, Clone, Serialize, TS)]
pub struct VaultCreated {
    /// The recovery key in groups of five.
    pub recovery_key: String,
}

/// Settings as the UI edits them: the language (this computer) and the auto-lock (the vault).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UiSettings {
    /// Minutes of inactivity before the vault locks (admins change it).
    pub auto_lock_minutes: u32,
    /// Whether photos' GPS positions are kept in the record (admins change it).
    pub keep_photo_location: bool,
    /// UI language.
    pub language: Language,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Preferences {
    #[serde(default)]
    language: Language,
}

/// Where the vault is, whether it exists, who is signed in, and the UI language.
#[command]
pub async fn app_status(state: State<'_, AppState>) -> Result<AppStatus, ApiError> {
    let session = state::lock(&state.unlocked)
        .as_ref()
        .map(|open| open.info.clone());
    Ok(AppStatus {
        vault_path: state.vault_dir.display().to_string(),
        vault_exists: state.vault_dir.join("header.json").exists(),
        session,
        language: read_preferences(&state.config_dir).language,
    })
}

/// Creates the vault with its first admin; answers the recovery key, shown once.
#[command]
pub async fn vault_create(
    state: State<'_, AppState>,
    admin_username: String,
    admin_display_name: String,
    password: Secret,
) -> Result<VaultCreated, ApiError> {
    let dir = state.vault_dir.clone();
    blocking(move || {
        let created = vault::create(
            &dir,
            &NewVault {
                admin_username: &admin_username,
                admin_display_name: &admin_display_name,
                admin_password: &password,
                kdf: Argon2Params::STANDARD,
            },
        )?;
        Ok(VaultCreated {
            recovery_key: created.recovery_key.display().to_string(),
        })
    })
    .await
}

/// Works without a session too (the language; the auto-lock delay then reads its default).
#[command]
pub async fn settings_get(state: State<'_, AppState>) -> Result<UiSettings, ApiError> {
    let language = read_preferences(&state.config_dir).language;
    let vault = match state.with_session(settings::get).await {
        Ok(vault) => vault,
        Err(e) if e.code == ErrorCode::NoSession => VaultSettings {
            auto_lock_minutes: DEFAULT_AUTO_LOCK_MINUTES,
            keep_photo_location: false,
        },
        Err(e) => return Err(e),
    };
    Ok(UiSettings {
        auto_lock_minutes: vault.auto_lock_minutes,
        keep_photo_location: vault.keep_photo_location,
        language,
    })
}

/// The language is stored even without a session; the auto-lock delay needs an admin's.
#[command]
pub async fn settings_set(
    state: State<'_, AppState>,
    settings: UiSettings,
) -> Result<UiSettings, ApiError> {
    write_preferences(
        &state.config_dir,
        &Preferences {
            language: settings.language,
        },
    )?;
    let wanted = VaultSettings {
        auto_lock_minutes: settings.auto_lock_minutes,
        keep_photo_location: settings.keep_photo_location,
    };
    let current = state.with_session(settings::get).await;
    if let Ok(current) = current
        && current != wanted
    {
        let saved = state
            .with_session(move |s| settings::set(s, wanted))
            .await?;
        if let Some(open) = state::lock(&state.unlocked).as_mut() {
            open.info.auto_lock_minutes = saved.auto_lock_minutes;
            if state.auto_lock_override.is_none() {
                open.auto_lock =
                    std::time::Duration::from_secs(u64::from(saved.auto_lock_minutes) * 60);
            }
        }
    }
    settings_get(state).await
}

fn read_preferences(dir: &Path) -> Preferences {
    std::fs::read(dir.join("preferences.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

fn write_preferences(dir: &Path, preferences: &Preferences) -> Result<(), ApiError> {
    let failed = |e: std::io::Error| {
        ApiError::new(
            ErrorCode::Internal,
            format!("cannot save preferences in {}: {e}", dir.display()),
        )
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    let json = serde_json::to_vec_pretty(preferences)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    std::fs::write(dir.join("preferences.json"), json).map_err(failed)
}

/// Asks for a folder with the system's own chooser (on Linux, GTK's, which lists USB sticks
/// and other mounted drives), over this window; `None` when the user cancels. What is done
/// with the folder is decided by the command it is then given to.
#[command]
pub async fn folder_choose(
    window: tauri::WebviewWindow,
    title: String,
) -> Result<Option<String>, ApiError> {
    use tauri_plugin_dialog::DialogExt;
    blocking(move || {
        let chosen = window
            .dialog()
            .file()
            .set_parent(&window)
            .set_title(title)
            .blocking_pick_folder();
        Ok(chosen
            .and_then(|path| path.into_path().ok())
            .map(|path| path.display().to_string()))
    })
    .await
}

/// Asks for a file with the system's own chooser, over this window: one to open, or, with
/// `save_as` (the name suggested), where to save one (the chooser asks before replacing a
/// file). `None` when the user cancels. What is done with the file is decided by the command
/// it is then given to.
#[command]
pub async fn file_choose(
    window: tauri::WebviewWindow,
    title: String,
    kind: FileKind,
    save_as: Option<String>,
) -> Result<Option<String>, ApiError> {
    use tauri_plugin_dialog::DialogExt;
    let (name, extensions) = kind.filter();
    blocking(move || {
        let dialog = window
            .dialog()
            .file()
            .set_parent(&window)
            .set_title(title)
            .add_filter(name, extensions);
        let chosen = match save_as.filter(|n| !n.trim().is_empty()) {
            Some(suggested) => dialog.set_file_name(suggested).blocking_save_file(),
            None => dialog.blocking_pick_file(),
        };
        Ok(chosen
            .and_then(|path| path.into_path().ok())
            .map(|path| path.display().to_string()))
    })
    .await
}
