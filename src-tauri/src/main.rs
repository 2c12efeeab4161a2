//! Tessera's desktop shell: a Tauri window whose commands are thin adapters over
//! tessera-core. The UI (ui/) reaches the vault only through these commands.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod api_error;
mod autolock;
#[cfg(test)]
mod bindings;
mod commands;
mod media_protocol;
mod scheduler;
mod state;

use std::path::PathBuf;
use std::time::Duration;

use commands::{
    app, audit, backups, narratives, patient_rights, patients, photos, retention, session, staff,
};
use state::AppState;
use tauri::Manager;

fn main() {
    let Some(vault_dir) = std::env::var_os("TESSERA_VAULT")
        .map(PathBuf::from)
        .or_else(tessera_core::vault::default_dir)
    else {
        eprintln!("tessera: no data directory on this system; set TESSERA_VAULT");
        std::process::exit(1);
    };
    let config_dir = std::env::var_os("TESSERA_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("tessera")))
        .unwrap_or_else(|| vault_dir.join("..").join("tessera-config"));
    // End-to-end tests shorten the auto-lock to seconds; the vault setting is in minutes.
    let auto_lock_override = std::env::var("TESSERA_AUTO_LOCK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs);

    let result = tauri::Builder::default()
        .manage(AppState::new(vault_dir, config_dir, auto_lock_override))
        .register_asynchronous_uri_scheme_protocol(
            media_protocol::SCHEME,
            |ctx, request, responder| {
                let unlocked = ctx.app_handle().state::<AppState>().unlocked.clone();
                // Decrypting can take a moment; keep it off the webview's thread.
                tauri::async_runtime::spawn_blocking(move || {
                    responder.respond(media_protocol::serve(&unlocked, &request));
                });
            },
        )
        .setup(|app| {
            autolock::start(app.handle().clone());
            scheduler::start(app.handle().clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            app::app_status,
            app::vault_create,
            app::settings_get,
            app::settings_set,
            session::session_unlock,
            session::session_lock,
            session::session_touch,
            patients::patient_search,
            patients::patient_create,
            patients::patient_chart,
            patients::patient_update,
            patients::encounter_add,
            patient_rights::patient_erase,
            patient_rights::patient_subject_export,
            narratives::narrative_list,
            narratives::narrative_add,
            narratives::narrative_edit,
            narratives::narrative_history,
            photos::photo_list,
            photos::photo_import,
            photos::photo_edit,
            photos::photo_delete,
            photos::photo_restore,
            staff::staff_list,
            staff::staff_add,
            staff::staff_disable,
            audit::audit_list,
            audit::audit_verify,
            backups::backup_status,
            backups::backup_list,
            backups::backup_schedule_get,
            backups::backup_schedule_set,
            backups::backup_create,
            backups::backup_cancel,
            backups::backup_verify,
            backups::backup_restore,
            backups::backup_prune,
            retention::retention_get,
            retention::retention_set,
            retention::retention_run,
        ])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("tessera: the window could not start: {e}");
        std::process::exit(1);
    }
}
