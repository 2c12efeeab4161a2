//! Tessera's desktop shell: a Tauri window whose commands are thin adapters over
//! tessera-core. The UI (ui/) reaches the vault only through these commands.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// A release build without the UI inside would load a development server's URL instead.
#[cfg(all(not(debug_assertions), not(feature = "custom-protocol")))]
compile_error!(
    "a release build of Tessera must embed its UI: build with --features custom-protocol"
);

mod api_error;
mod autolock;
#[cfg(test)]
mod bindings;
mod boot_clock;
mod commands;
mod input;
#[cfg(test)]
mod ipc;
mod media_protocol;
mod navigation;
mod scanning;
mod scheduler;
mod secret;
mod state;
#[cfg(target_os = "linux")]
mod system_lock;
mod webview_data;

use std::path::PathBuf;
use std::time::Duration;

use state::AppState;
use tauri::{Manager, generate_handler};

fn main() {
    // `tessera-app --qr-worker` is the QR decoder's worker process (see tessera-camera): it
    // serves frames on stdin and exits before anything of the window starts.
    tessera_camera::worker::serve_if_requested();
    // The keys this process will hold stay out of core dumps and other processes' reach.
    if let Err(e) = tessera_core::process::keep_memory_private() {
        eprintln!("tessera: {e}");
        std::process::exit(1);
    }
    let Some(vault_dir) = std::env::var_os("TESSERA_VAULT")
        .map(PathBuf::from)
        .or_else(tessera_core::store::default_dir)
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

    let webview_dir = match webview_data::create() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("tessera: cannot make a private folder for the window: {e}");
            std::process::exit(1);
        }
    };
    let window_dir = webview_dir.clone();

    let result = tauri::Builder::default()
        .plugin(navigation::guard())
        .plugin(tauri_plugin_dialog::init())
        .manage(AppState::new(vault_dir, config_dir, auto_lock_override))
        .manage(scanning::Scanning::default())
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
        .setup(move |app| {
            // The window is made here, not from the configuration alone: its data folder is
            // an absolute path known only at run time.
            let config = app
                .config()
                .app
                .windows
                .first()
                .ok_or("no window in tauri.conf.json")?
                .clone();
            tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?
                .data_directory(window_dir.clone())
                .build()?;
            autolock::start(app.handle().clone());
            #[cfg(target_os = "linux")]
            system_lock::start(app.handle().clone());
            scheduler::start(app.handle().clone());
            Ok(())
        })
        .invoke_handler(commands::with_commands!(generate_handler))
        .build(tauri::generate_context!())
        .map(|app| {
            app.run(move |_, event| {
                if let tauri::RunEvent::Exit = event {
                    webview_data::remove(&webview_dir);
                }
            })
        });
    if let Err(e) = result {
        eprintln!("tessera: the window could not start: {e}");
        std::process::exit(1);
    }
}
